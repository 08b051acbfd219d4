//! The weekly timetable: generate it (a solver run in the worker), adjust it by hand, publish
//! it, see its history; and the solver worker's side of a run (progress, result, end).
use super::{Result, edit_level, may_edit, monday_of};
use crate::rota::JobStatus;
use crate::rota::api::timetable::{
    Candidate, ChangeLine, Chip, History, JobView, LoadLine, SeatRef, VersionLine, WeekView,
};
use crate::rota::rules::data::week_start;
use crate::rota::rules::plan::Standing;
use crate::rota::rules::solver::Progress;
use crate::rota::store::{solver_jobs, source, timetables};
use crate::shell::ctx::Services;
use crate::shell::events::publish_in;
use crate::shell::rules::access::RotaEdit;
use crate::shell::service::{Actor, ServiceError};
use crate::shell::topics::Topic;
use chrono::{NaiveDate, Utc};
use sqlx::PgConnection;

/// Tells the timetable pages that a week's seats or state changed.
async fn changed(tx: &mut PgConnection) -> Result<()> {
    super::changed(tx, "timetable").await
}

/// Tells the timetable pages how a solver run stands.
async fn solver_news(tx: &mut PgConnection, data: serde_json::Value) -> Result<()> {
    Ok(publish_in(tx, Topic::Solver, data).await?)
}

/// The week holding `day` (this week when none) as the timetable page shows it.
pub async fn week(s: &Services, actor: &Actor, day: Option<NaiveDate>) -> Result<WeekView> {
    let edit = edit_level(actor)?;
    let settings = crate::rota::store::team::get(&s.db).await?;
    let monday = match day {
        Some(d) => monday_of(d)?,
        None => week_start(settings.today(Utc::now())),
    };
    let source = source::week_source(&s.db, monday).await?;
    let week = timetables::week(&s.db, monday).await?;
    let plan = crate::rota::rules::plan::plan_week(&source, monday, 0, 1.0)?;
    let (turn_labels, lines) = match &week {
        Some(w) => (
            (0..w.turns())
                .map(|t| format!("{}–{}", w.turn_boundaries[t], w.turn_boundaries[t + 1]))
                .collect::<Vec<_>>(),
            w.lines.max(1) as u32,
        ),
        None => (
            (0..source.settings.turns())
                .map(|t| source.settings.turn_label(t))
                .collect(),
            plan.problem.lines.max(1) as u32,
        ),
    };
    let grid = timetables::grid(&s.db, monday, turn_labels.len(), lines as usize).await?;
    let (days, seats) = if week.is_some() {
        (grid.days, grid.seats)
    } else {
        let empty = vec![vec![vec![None; lines as usize]; turn_labels.len()]; plan.days.len()];
        (plan.days.clone(), empty)
    };
    let assigned = |h: &str| -> u32 {
        seats
            .iter()
            .flatten()
            .flatten()
            .filter(|x| x.as_deref() == Some(h))
            .count() as u32
    };
    let loads = plan
        .load
        .people
        .iter()
        .map(|l| LoadLine {
            explain: l.explain(),
            assigned: assigned(&l.id),
            load: l.clone(),
        })
        .collect();
    let sum = &plan.load.summary;
    let mut load_notes = vec![format!(
        "{} seats ({} days × {} turns × {} lines); loads add up to {}",
        sum.seats, sum.team_days, sum.turns, sum.lines, sum.assigned
    )];
    if let Some(m) = sum.max_overload
        && sum.overload_capped > 0
    {
        let capped: Vec<&str> = plan
            .load
            .people
            .iter()
            .filter(|p| p.overload_capped)
            .map(|p| p.id.as_str())
            .collect();
        load_notes.push(format!(
            "Not raised beyond their proportional load + {m} (the most turns above the proportional load): {}; {} seat(s) stay empty because of it.",
            capped.join(", "),
            sum.empty_by_overload
        ));
    }
    if sum.lines_dropped > 0 {
        let empty = sum.seats.saturating_sub(sum.assigned);
        let why = if sum.empty_by_overload > 0 {
            format!(
                "{} of them because of the most turns above the proportional load, the rest beyond what people can take",
                sum.empty_by_overload
            )
        } else {
            "more than the people on the rota can take".to_string()
        };
        load_notes.push(format!(
            "Not enough people for every line: {} line(s) dropped this week, {} in use: {empty} seat(s) nobody takes ({why}), and a whole line is {} seats.",
            sum.lines_dropped,
            sum.lines_used,
            sum.team_days * sum.turns
        ));
    }
    if sum.empty_seats > 0 {
        load_notes.push(format!("{} seat(s) will stay empty.", sum.empty_seats));
    }
    let balances: Vec<String> = plan
        .load
        .people
        .iter()
        .filter(|p| p.credit != 0)
        .map(|p| format!("{} {:+}", p.id, p.credit))
        .collect();
    if !balances.is_empty() {
        let moved: i64 = plan.load.people.iter().map(|p| p.exchanged.max(0)).sum();
        load_notes.push(format!(
            "Balances of turns before this week: {}; {moved} turn(s) moved from the most credited to the most indebted.",
            balances.join(", ")
        ));
    }
    let job = solver_jobs::latest(&s.db, monday).await?.map(|j| JobView {
        id: j.id,
        status: j.status,
        progress: j.progress,
        error: j.error,
    });
    Ok(WeekView {
        monday,
        status: week.as_ref().map(|w| w.status),
        version: week.as_ref().map(|w| w.version).unwrap_or(0),
        days,
        turn_labels,
        lines,
        seats,
        cost: week.as_ref().and_then(|w| w.cost),
        penalties: week.as_ref().map(|w| w.penalties.clone()).unwrap_or_default(),
        published_at: week.as_ref().and_then(|w| w.published_at),
        imported_from: week.as_ref().and_then(|w| w.imported_from.clone()),
        people: source
            .people
            .iter()
            .filter(|p| p.active)
            .map(|p| Chip {
                handle: p.handle.clone(),
                name: p.full_name.clone(),
                colour: p.colour.clone(),
            })
            .collect(),
        loads,
        load_notes,
        notes: plan.notes.clone(),
        job,
        max_empty_seats: source.settings.max_empty_seats,
        may_edit: edit >= RotaEdit::Team,
    })
}

/// Queues a solver run for the week (a repair of the current timetable when `repair`);
/// returns the run's id.
pub async fn generate(
    s: &Services,
    actor: &Actor,
    day: NaiveDate,
    seed: Option<u64>,
    time_limit_s: Option<f64>,
    repair: bool,
) -> Result<i64> {
    may_edit(actor, RotaEdit::Team)?;
    let monday = monday_of(day)?;
    let limit = time_limit_s.unwrap_or(10.0);
    if !(0.1..=600.0).contains(&limit) || !limit.is_finite() {
        return Err(ServiceError::invalid("time_limit_s", "between 0.1 and 600 seconds"));
    }
    let seed = seed.unwrap_or_else(|| rand::random::<u32>() as u64);
    // A published week is what people follow: only a repair may change it wholesale.
    if !repair
        && timetables::week(&s.db, monday)
            .await?
            .is_some_and(|w| w.status == crate::rota::WeekStatus::Published)
    {
        // Told at once; the solver's write checks it again under the week's lock.
        return Err(ServiceError::Conflict(timetables::PUBLISHED_NEEDS_REPAIR.into()));
    }
    let mut tx = s.db.begin().await?;
    let id = solver_jobs::create(&mut *tx, monday, seed as i64, limit, repair, actor.user_id()).await?;
    solver_news(&mut tx, serde_json::json!({ "job": id, "status": JobStatus::Queued })).await?;
    tx.commit().await?;
    Ok(id)
}

/// Asks the week's solver run to stop (the best timetable so far is kept).
pub async fn stop(s: &Services, actor: &Actor, day: NaiveDate) -> Result<()> {
    may_edit(actor, RotaEdit::Team)?;
    let mut tx = s.db.begin().await?;
    if !solver_jobs::request_stop(&mut *tx, monday_of(day)?).await? {
        return Err(ServiceError::Conflict("No solver run is going for this week.".into()));
    }
    solver_news(&mut tx, serde_json::json!({ "stop": true })).await?;
    tx.commit().await?;
    Ok(())
}

/// Who could take a seat's turn: free, rather not (why), cannot (why), and their turns so far.
pub async fn candidates(s: &Services, actor: &Actor, seat: SeatRef) -> Result<Vec<Candidate>> {
    edit_level(actor)?;
    let monday = monday_of(seat.day)?;
    let source = source::week_source(&s.db, monday).await?;
    let (_, grid) = timetables::week_grid(&s.db, monday)
        .await?
        .ok_or_else(|| ServiceError::NotFound("week".into()))?;
    let plan = crate::rota::rules::plan::plan_week(&source, monday, 0, 1.0)?;
    if !grid.days.contains(&seat.day) {
        return Err(ServiceError::invalid("day", "this day has no seats"));
    }
    let in_turn = |h: &str| {
        grid.row(seat.day, seat.turn as usize)
            .is_some_and(|row| row.iter().any(|x| x.as_deref() == Some(h)))
    };
    let mut out: Vec<Candidate> = source
        .people
        .iter()
        .filter(|p| p.active && p.ideal_load.is_some())
        .map(|p| Candidate {
            handle: p.handle.clone(),
            name: p.full_name.clone(),
            standing: source.standing(&p.handle, seat.day, seat.turn as usize),
            turns: grid
                .seats
                .iter()
                .flatten()
                .flatten()
                .filter(|x| x.as_deref() == Some(&p.handle))
                .count() as u32,
            load: plan
                .load
                .people
                .iter()
                .find(|l| l.id == p.handle)
                .map(|l| l.final_load)
                .unwrap_or(0),
            in_turn: in_turn(&p.handle),
        })
        .collect();
    let rank = |c: &Candidate| match c.standing {
        Standing::Free => 0,
        Standing::RatherNot(_) => 1,
        Standing::Cannot(_) => 2,
    };
    out.sort_by(|a, b| {
        (a.in_turn, rank(a), a.turns as i64 - a.load as i64, &a.handle).cmp(&(
            b.in_turn,
            rank(b),
            b.turns as i64 - b.load as i64,
            &b.handle,
        ))
    });
    Ok(out)
}

/// Puts a person in a seat, or empties it (`person` none) within the team's empty-seat limit.
pub async fn set_seat(s: &Services, actor: &Actor, seat: SeatRef, person: Option<String>) -> Result<()> {
    let by = may_edit(actor, RotaEdit::Team).map(|_| actor.user_id())?;
    let monday = monday_of(seat.day)?;
    let source = source::week_source(&s.db, monday).await?;
    let mut tx = s.db.begin().await?;
    let (week, grid) = timetables::locked_grid(&mut tx, monday)
        .await?
        .ok_or_else(|| ServiceError::NotFound("week (generate it first)".into()))?;
    if !grid.days.contains(&seat.day) {
        return Err(ServiceError::invalid("day", "this day has no seats"));
    }
    let row = grid
        .row(seat.day, seat.turn as usize)
        .ok_or_else(|| ServiceError::invalid("turn", "no such turn"))?;
    let current = row
        .get(seat.line as usize)
        .ok_or_else(|| ServiceError::invalid("line", "no such line"))?;
    let label = format!(
        "{} {}",
        crate::rota::rules::data::WEEKDAY_NAMES[chrono::Datelike::weekday(&seat.day).num_days_from_monday() as usize],
        week.turn_boundaries
            .get(seat.turn as usize)
            .cloned()
            .unwrap_or_default()
    );
    let person = person.map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty());
    if person.is_none() && current.is_none() {
        return Ok(()); // already empty: nothing to change or log
    }
    match &person {
        None if current.is_some() => {
            crate::rota::rules::plan::check_empty_seats(row, source.settings.max_empty_seats, &label)?
        }
        None => {}
        Some(h) => {
            if !source.people.iter().any(|p| &p.handle == h && p.active) {
                return Err(ServiceError::invalid(
                    "person",
                    format!("there is no active person '{h}'"),
                ));
            }
            if row
                .iter()
                .enumerate()
                .any(|(l, x)| l != seat.line as usize && x.as_deref() == Some(h))
            {
                return Err(ServiceError::invalid(
                    "person",
                    format!("{h} already has a seat in {label}"),
                ));
            }
            if let Standing::Cannot(why) = source.standing(h, seat.day, seat.turn as usize) {
                return Err(ServiceError::invalid(
                    "person",
                    format!("{h} cannot take {label}: {why}"),
                ));
            }
        }
    }
    timetables::set_seat(
        &mut tx,
        monday,
        (seat.day, seat.turn as i16, seat.line as i16),
        person.as_deref(),
        by,
    )
    .await?;
    changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Exchanges two seats' people in one change.
pub async fn swap(s: &Services, actor: &Actor, a: SeatRef, b: SeatRef) -> Result<()> {
    let by = may_edit(actor, RotaEdit::Team).map(|_| actor.user_id())?;
    let monday = monday_of(a.day)?;
    if monday_of(b.day)? != monday {
        return Err(ServiceError::invalid("b", "both seats must be in the same week"));
    }
    let source = source::week_source(&s.db, monday).await?;
    let mut tx = s.db.begin().await?;
    let (_, grid) = timetables::locked_grid(&mut tx, monday)
        .await?
        .ok_or_else(|| ServiceError::NotFound("week".into()))?;
    let at = |r: SeatRef| -> Result<Option<String>> {
        if !grid.days.contains(&r.day) {
            return Err(ServiceError::invalid("day", "no seats"));
        }
        grid.row(r.day, r.turn as usize)
            .and_then(|row| row.get(r.line as usize))
            .cloned()
            .ok_or_else(|| ServiceError::invalid("line", "no such seat"))
    };
    let (pa, pb) = (at(a)?, at(b)?);
    for (person, to) in [(&pa, b), (&pb, a)] {
        if let Some(h) = person
            && let Standing::Cannot(why) = source.standing(h, to.day, to.turn as usize)
        {
            return Err(ServiceError::invalid(
                "seat",
                format!("{h} cannot take that turn: {why}"),
            ));
        }
    }
    timetables::swap(
        &mut tx,
        monday,
        (a.day, a.turn as i16, a.line as i16),
        (b.day, b.turn as i16, b.line as i16),
        by,
    )
    .await?;
    changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Makes the week what people follow.
pub async fn publish(s: &Services, actor: &Actor, day: NaiveDate) -> Result<()> {
    let by = may_edit(actor, RotaEdit::Team).map(|_| actor.user_id())?;
    let monday = monday_of(day)?;
    let mut tx = s.db.begin().await?;
    timetables::publish(&mut *tx, monday, by)
        .await
        .map_err(ServiceError::db("week (generate it first)"))?;
    record_balances(s, &mut tx, monday).await?;
    changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds to each person's balance what the published week gives them against their share (the
/// load before the week's adjustments). A week published again replaces what it added before.
async fn record_balances(s: &Services, tx: &mut PgConnection, monday: NaiveDate) -> Result<()> {
    let Some(week) = timetables::week(&mut *tx, monday).await? else {
        return Ok(());
    };
    let source = source::week_source(&s.db, monday).await?;
    let plan = crate::rota::rules::plan::plan_week(&source, monday, 0, 1.0)?;
    let grid = timetables::grid(&mut *tx, monday, week.turns(), week.lines.max(1) as usize).await?;
    let ids: std::collections::HashMap<String, i64> = crate::rota::store::people::ids_by_handle(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let rows: Vec<(i64, i64)> = plan
        .load
        .people
        .iter()
        .filter_map(|l| {
            let given = grid
                .seats
                .iter()
                .flatten()
                .flatten()
                .filter(|x| x.as_deref() == Some(l.id.as_str()))
                .count() as i64;
            let share = i64::from(l.override_load.unwrap_or(l.capped));
            ids.get(&l.id).map(|id| (*id, given - share))
        })
        .collect();
    crate::rota::store::balances::record_week(tx, monday, &rows).await?;
    Ok(())
}

/// The week's changes and versions (this week in the team's zone when no day, like `week`, so a
/// page can load both side by side).
pub async fn history(s: &Services, actor: &Actor, day: Option<NaiveDate>) -> Result<History> {
    edit_level(actor)?;
    let monday = match day {
        Some(d) => monday_of(d)?,
        None => week_start(crate::rota::store::team::get(&s.db).await?.today(Utc::now())),
    };
    let changes = timetables::changes(&s.db, monday, 200)
        .await?
        .into_iter()
        .map(|c| {
            let seat = match (c.day, c.turn, c.line) {
                (Some(d), Some(t), Some(l)) => format!("{} turn {} line {}", d.format("%a %d"), t + 1, l + 1),
                _ => String::new(),
            };
            let text = match c.kind.as_str() {
                "seat" => format!(
                    "{seat}: {} → {}",
                    c.from.as_deref().unwrap_or("nobody"),
                    c.to.as_deref().unwrap_or("nobody")
                ),
                "swap" => format!("swapped {seat} {}", c.note.clone().unwrap_or_default()),
                "publish" => "published".into(),
                _ => c.note.clone().unwrap_or_else(|| c.kind.clone()),
            };
            ChangeLine {
                at: c.at,
                by: c.by,
                version: c.version,
                text,
            }
        })
        .collect();
    let versions = timetables::versions(&s.db, monday)
        .await?
        .into_iter()
        .map(|v| VersionLine {
            version: v.version,
            at: v.created_at,
            by: v.by,
            note: v.note,
        })
        .collect();
    Ok(History { changes, versions })
}

/// Makes an earlier version the current seats again (as a new version; history is kept).
pub async fn restore(s: &Services, actor: &Actor, day: NaiveDate, version: i32) -> Result<()> {
    let by = may_edit(actor, RotaEdit::Team).map(|_| actor.user_id())?;
    let monday = monday_of(day)?;
    let week = timetables::week(&s.db, monday)
        .await?
        .ok_or_else(|| ServiceError::NotFound("week".into()))?;
    let grid = timetables::version_grid(&s.db, monday, version)
        .await
        .map_err(|_| ServiceError::NotFound(format!("version {version}")))?;
    let mut tx = s.db.begin().await?;
    timetables::store_grid(
        &mut *tx,
        monday,
        timetables::Shape {
            turn_boundaries: &week.turn_boundaries,
            time_zone: &week.time_zone,
            lines: week.lines.max(1) as u32,
        },
        &grid,
        timetables::Revision {
            cost: week.cost,
            penalties: &week.penalties,
            by,
            kind: "restore",
            note: &format!("restored version {version}"),
            status: None,
            not_on_published: false,
        },
    )
    .await?;
    changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// A coordinator's load for a person this week (`load` none: back to the computed one).
pub async fn set_load(s: &Services, actor: &Actor, day: NaiveDate, handle: &str, load: Option<u32>) -> Result<()> {
    may_edit(actor, RotaEdit::Team)?;
    if load.is_some_and(|l| l > 100) {
        return Err(ServiceError::invalid("load", "at most 100 turns"));
    }
    let monday = monday_of(day)?;
    let handle = handle.trim().to_lowercase();
    let person = crate::rota::store::people::by_handle(&s.db, &handle)
        .await
        .map_err(|_| ServiceError::NotFound(format!("person '{handle}'")))?;
    let mut tx = s.db.begin().await?;
    timetables::set_override(&mut tx, monday, person.id, load).await?;
    changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Makes every imported Tomàtic timetable of a week not yet planned that week's published
/// timetable (at start-up; an import does it itself). Returns how many weeks were adopted.
pub async fn adopt_imported(s: &Services) -> Result<u32> {
    let mut tx = s.db.begin().await?;
    let adopted = timetables::adopt_pending(&mut tx).await?;
    if adopted > 0 {
        changed(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(adopted)
}

// ---- the solver worker's side of a run ----

/// Records a run's progress and keeps its lease; says whether the run should stop (asked to,
/// or taken over by another worker). `news` announces the progress.
pub async fn run_progress(
    s: &Services,
    job: i64,
    worker: &str,
    lease_s: f64,
    progress: Option<&Progress>,
    news: bool,
) -> Result<bool> {
    // Most beats (four a second) announce nothing: one statement, no transaction around it.
    if !news {
        return Ok(solver_jobs::heartbeat(&s.db, job, worker, lease_s, progress).await?);
    }
    let mut tx = s.db.begin().await?;
    let stop = solver_jobs::heartbeat(&mut *tx, job, worker, lease_s, progress).await?;
    solver_news(&mut tx, serde_json::json!({ "job": job, "status": JobStatus::Running })).await?;
    tx.commit().await?;
    Ok(stop)
}

/// Ends `worker`'s run without a result (it failed, or was dropped).
pub async fn run_ended(s: &Services, job: i64, worker: &str, status: JobStatus, error: Option<&str>) -> Result<()> {
    let mut tx = s.db.begin().await?;
    if solver_jobs::finish(&mut *tx, job, worker, status, error).await? {
        solver_news(&mut tx, serde_json::json!({ "job": job, "status": status })).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Stores a run's timetable as the week's new version and ends the run, in one transaction:
/// a week published while the run went is not overwritten unless the run is a repair.
pub async fn run_solved(
    s: &Services,
    job: &solver_jobs::Job,
    worker: &str,
    shape: timetables::Shape<'_>,
    grid: &timetables::Grid,
    revision: timetables::Revision<'_>,
    status: JobStatus,
) -> Result<()> {
    let mut tx = s.db.begin().await?;
    // A worker whose lease ran out, and whose run another worker took, leaves the result to it.
    // The run's row stays locked to the commit, so nobody takes it over between the check, the
    // timetable and the end of the run.
    if !solver_jobs::lock_held(&mut tx, job.id, worker).await? {
        tracing::warn!(job = job.id, "solver run taken over by another worker: result dropped");
        return Ok(());
    }
    timetables::store_grid(&mut *tx, job.monday, shape, grid, revision).await?;
    if !solver_jobs::finish(&mut *tx, job.id, worker, status, None).await? {
        // Cannot happen under the lock; never store a timetable without ending the run.
        tx.rollback().await?;
        return Ok(());
    }
    solver_news(&mut tx, serde_json::json!({ "job": job.id, "status": status })).await?;
    changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
