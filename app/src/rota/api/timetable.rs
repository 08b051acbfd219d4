//! The weekly timetable: generate it (a solver run in the worker), adjust it by hand, publish
//! it, see its history. Everyone in the rota area reads; coordinators change.
use crate::rota::rules::load::PersonLoad;
use crate::rota::rules::plan::{Seats, Standing};
use crate::rota::rules::solver::Penalty;
use crate::shell::error::ApiError;
#[cfg(feature = "ssr")]
use crate::shell::topics::Topic;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chip {
    pub handle: String,
    pub name: String,
    pub colour: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadLine {
    pub load: PersonLoad,
    pub explain: String,
    /// Turns the person has in the current timetable.
    pub assigned: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: i64,
    pub status: crate::rota::JobStatus,
    pub progress: Option<crate::rota::rules::solver::Progress>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeekView {
    pub monday: NaiveDate,
    /// `None`: the week was never planned.
    pub status: Option<crate::rota::WeekStatus>,
    pub version: i32,
    pub days: Vec<NaiveDate>,
    pub turn_labels: Vec<String>,
    pub lines: u32,
    pub seats: Seats,
    pub cost: Option<i64>,
    pub penalties: Vec<Penalty>,
    pub published_at: Option<DateTime<Utc>>,
    pub imported_from: Option<String>,
    pub people: Vec<Chip>,
    pub loads: Vec<LoadLine>,
    /// What the week's load report says as a whole (seats, lines dropped).
    pub load_notes: Vec<String>,
    pub job: Option<JobView>,
    pub max_empty_seats: u32,
    pub may_edit: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub handle: String,
    pub name: String,
    pub standing: Standing,
    /// Turns in this week's timetable, and the load asked for.
    pub turns: u32,
    pub load: u32,
    /// Already on the phone in this turn.
    pub in_turn: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub changes: Vec<crate::rota::api::timetable::ChangeLine>,
    pub versions: Vec<crate::rota::api::timetable::VersionLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeLine {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub version: i32,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionLine {
    pub version: i32,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub note: String,
}

/// A seat of the week: the day's date, the turn and line (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatRef {
    pub day: NaiveDate,
    pub turn: u32,
    pub line: u32,
}

#[cfg(feature = "ssr")]
use {
    crate::accounts::Me,
    crate::rota::rules::data::week_start,
    crate::shell::ctx::{Services, services},
    crate::shell::guard::{require, respond},
    crate::shell::rules::access::{Area, RotaEdit},
};

#[cfg(feature = "ssr")]
fn require_team() -> Result<Me, ApiError> {
    let me = require(Area::Rota)?;
    if RotaEdit::of(&me.roles) < RotaEdit::Team {
        return Err(ApiError::Forbidden);
    }
    Ok(me)
}

#[cfg(feature = "ssr")]
fn monday_of(d: NaiveDate) -> Result<NaiveDate, ApiError> {
    Ok(week_start(crate::rota::rules::data::check_week_day(d)?))
}

#[cfg(feature = "ssr")]
async fn changed(s: &Services) {
    s.events
        .announce(Topic::Rota, serde_json::json!({ "what": "timetable" }))
        .await;
}

#[server(prefix = "/api", endpoint = "rota/timetable", input = server_fn::codec::Json)]
pub async fn week_timetable(day: Option<NaiveDate>) -> Result<WeekView, ApiError> {
    respond(async move {
        let me = require(Area::Rota)?;
        let s = services()?;
        let source0 = crate::rota::store::team::get(&s.db).await?;
        let monday = match day {
            Some(d) => monday_of(d)?,
            None => week_start(source0.today(Utc::now())),
        };
        let source = crate::rota::store::source::week_source(&s.db, monday).await?;
        let week = crate::rota::store::timetables::week(&s.db, monday).await?;
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
        let grid = crate::rota::store::timetables::grid(&s.db, monday, turn_labels.len(), lines as usize).await?;
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
        if sum.lines_dropped > 0 {
            load_notes.push(format!(
                "Not enough people for every line: {} line(s) dropped this week, {} in use.",
                sum.lines_dropped, sum.lines_used
            ));
        }
        if sum.empty_seats > 0 {
            load_notes.push(format!("{} seat(s) will stay empty.", sum.empty_seats));
        }
        let job = crate::rota::store::solver_jobs::latest(&s.db, monday)
            .await?
            .map(|j| JobView {
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
            job,
            max_empty_seats: source.settings.max_empty_seats,
            may_edit: RotaEdit::of(&me.roles) >= RotaEdit::Team,
        })
    })
    .await
}

/// Starts a solver run for the week (a repair of the current timetable when `repair`).
#[server(prefix = "/api", endpoint = "rota/timetable/generate", input = server_fn::codec::Json)]
pub async fn generate_week(
    day: NaiveDate,
    seed: Option<u64>,
    time_limit_s: Option<f64>,
    repair: bool,
) -> Result<i64, ApiError> {
    respond(async move {
        let me = require_team()?;
        let monday = monday_of(day)?;
        let limit = time_limit_s.unwrap_or(10.0);
        if !(0.1..=600.0).contains(&limit) || !limit.is_finite() {
            return Err(ApiError::invalid("time_limit_s", "between 0.1 and 600 seconds"));
        }
        let seed = seed.unwrap_or_else(|| rand::random::<u32>() as u64);
        let s = services()?;
        // A published week is what people follow: only a repair may change it wholesale.
        if !repair
            && crate::rota::store::timetables::week(&s.db, monday)
                .await?
                .is_some_and(|w| w.status == crate::rota::WeekStatus::Published)
        {
            // Told at once; the solver's write checks it again under the week's lock.
            return Err(ApiError::Conflict(
                crate::rota::store::timetables::PUBLISHED_NEEDS_REPAIR.into(),
            ));
        }
        let id = crate::rota::store::solver_jobs::create(&s.db, monday, seed as i64, limit, repair, me.id).await?;
        s.events
            .announce(Topic::Solver, serde_json::json!({ "job": id, "status": "queued" }))
            .await;
        Ok(id)
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/timetable/stop", input = server_fn::codec::Json)]
pub async fn stop_solver(day: NaiveDate) -> Result<(), ApiError> {
    respond(async move {
        require_team()?;
        let s = services()?;
        if !crate::rota::store::solver_jobs::request_stop(&s.db, monday_of(day)?).await? {
            return Err(ApiError::Conflict("No solver run is going for this week.".into()));
        }
        s.events
            .announce(Topic::Solver, serde_json::json!({ "stop": true }))
            .await;
        Ok(())
    })
    .await
}

/// Who could take a seat's turn: free, rather not (why), cannot (why), and their turns so far.
#[server(prefix = "/api", endpoint = "rota/timetable/candidates", input = server_fn::codec::Json)]
pub async fn seat_candidates(seat: SeatRef) -> Result<Vec<Candidate>, ApiError> {
    respond(async move {
        require(Area::Rota)?;
        let s = services()?;
        let monday = monday_of(seat.day)?;
        let source = crate::rota::store::source::week_source(&s.db, monday).await?;
        let (_, grid) = crate::rota::store::timetables::week_grid(&s.db, monday)
            .await?
            .ok_or_else(|| ApiError::NotFound("week".into()))?;
        let plan = crate::rota::rules::plan::plan_week(&source, monday, 0, 1.0)?;
        if !grid.days.contains(&seat.day) {
            return Err(ApiError::invalid("day", "this day has no seats"));
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
    })
    .await
}

/// Puts a person in a seat, or empties it (`person` none) within the team's empty-seat limit.
#[server(prefix = "/api", endpoint = "rota/timetable/seat", input = server_fn::codec::Json)]
pub async fn set_seat(seat: SeatRef, person: Option<String>) -> Result<(), ApiError> {
    respond(async move {
        let me = require_team()?;
        let s = services()?;
        let monday = monday_of(seat.day)?;
        let source = crate::rota::store::source::week_source(&s.db, monday).await?;
        let mut tx = s.db.begin().await.map_err(crate::shell::store::DbError::from)?;
        let (week, grid) = crate::rota::store::timetables::locked_grid(&mut tx, monday)
            .await?
            .ok_or_else(|| ApiError::NotFound("week (generate it first)".into()))?;
        if !grid.days.contains(&seat.day) {
            return Err(ApiError::invalid("day", "this day has no seats"));
        }
        let row = grid
            .row(seat.day, seat.turn as usize)
            .ok_or_else(|| ApiError::invalid("turn", "no such turn"))?;
        let current = row
            .get(seat.line as usize)
            .ok_or_else(|| ApiError::invalid("line", "no such line"))?;
        let label = format!(
            "{} {}",
            crate::rota::rules::data::WEEKDAY_NAMES
                [chrono::Datelike::weekday(&seat.day).num_days_from_monday() as usize],
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
                    return Err(ApiError::invalid("person", format!("there is no active person '{h}'")));
                }
                if row
                    .iter()
                    .enumerate()
                    .any(|(l, x)| l != seat.line as usize && x.as_deref() == Some(h))
                {
                    return Err(ApiError::invalid(
                        "person",
                        format!("{h} already has a seat in {label}"),
                    ));
                }
                if let Standing::Cannot(why) = source.standing(h, seat.day, seat.turn as usize) {
                    return Err(ApiError::invalid("person", format!("{h} cannot take {label}: {why}")));
                }
            }
        }
        crate::rota::store::timetables::set_seat(
            &mut tx,
            monday,
            (seat.day, seat.turn as i16, seat.line as i16),
            person.as_deref(),
            me.id,
        )
        .await?;
        tx.commit().await.map_err(crate::shell::store::DbError::from)?;
        changed(&s).await;
        Ok(())
    })
    .await
}

/// Exchanges two seats' people in one change.
#[server(prefix = "/api", endpoint = "rota/timetable/swap", input = server_fn::codec::Json)]
pub async fn swap_seats(a: SeatRef, b: SeatRef) -> Result<(), ApiError> {
    respond(async move {
        let me = require_team()?;
        let s = services()?;
        let monday = monday_of(a.day)?;
        if monday_of(b.day)? != monday {
            return Err(ApiError::invalid("b", "both seats must be in the same week"));
        }
        let source = crate::rota::store::source::week_source(&s.db, monday).await?;
        let mut tx = s.db.begin().await.map_err(crate::shell::store::DbError::from)?;
        let (_, grid) = crate::rota::store::timetables::locked_grid(&mut tx, monday)
            .await?
            .ok_or_else(|| ApiError::NotFound("week".into()))?;
        let at = |r: SeatRef| -> Result<Option<String>, ApiError> {
            if !grid.days.contains(&r.day) {
                return Err(ApiError::invalid("day", "no seats"));
            }
            grid.row(r.day, r.turn as usize)
                .and_then(|row| row.get(r.line as usize))
                .cloned()
                .ok_or_else(|| ApiError::invalid("line", "no such seat"))
        };
        let (pa, pb) = (at(a)?, at(b)?);
        for (person, to) in [(&pa, b), (&pb, a)] {
            if let Some(h) = person
                && let Standing::Cannot(why) = source.standing(h, to.day, to.turn as usize)
            {
                return Err(ApiError::invalid("seat", format!("{h} cannot take that turn: {why}")));
            }
        }
        crate::rota::store::timetables::swap(
            &mut tx,
            monday,
            (a.day, a.turn as i16, a.line as i16),
            (b.day, b.turn as i16, b.line as i16),
            me.id,
        )
        .await?;
        tx.commit().await.map_err(crate::shell::store::DbError::from)?;
        changed(&s).await;
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/timetable/publish", input = server_fn::codec::Json)]
pub async fn publish_week(day: NaiveDate) -> Result<(), ApiError> {
    respond(async move {
        let me = require_team()?;
        let s = services()?;
        crate::rota::store::timetables::publish(&s.db, monday_of(day)?, me.id)
            .await
            .map_err(|e| match e {
                crate::shell::store::DbError::NotFound => ApiError::NotFound("week (generate it first)".into()),
                e => e.into(),
            })?;
        changed(&s).await;
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/timetable/history", input = server_fn::codec::Json)]
pub async fn week_history(day: Option<NaiveDate>) -> Result<History, ApiError> {
    respond(async move {
        require(Area::Rota)?;
        let s = services()?;
        // No day: this week in the team's zone (like week_timetable), so a page can load both
        // side by side.
        let monday = match day {
            Some(d) => monday_of(d)?,
            None => week_start(crate::rota::store::team::get(&s.db).await?.today(Utc::now())),
        };
        let changes = crate::rota::store::timetables::changes(&s.db, monday, 200)
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
        let versions = crate::rota::store::timetables::versions(&s.db, monday)
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
    })
    .await
}

/// Makes an earlier version the current seats again (as a new version; history is kept).
#[server(prefix = "/api", endpoint = "rota/timetable/restore", input = server_fn::codec::Json)]
pub async fn restore_version(day: NaiveDate, version: i32) -> Result<(), ApiError> {
    respond(async move {
        let me = require_team()?;
        let s = services()?;
        let monday = monday_of(day)?;
        let week = crate::rota::store::timetables::week(&s.db, monday)
            .await?
            .ok_or_else(|| ApiError::NotFound("week".into()))?;
        let grid = crate::rota::store::timetables::version_grid(&s.db, monday, version)
            .await
            .map_err(|_| ApiError::NotFound(format!("version {version}")))?;
        crate::rota::store::timetables::store_grid(
            &s.db,
            monday,
            crate::rota::store::timetables::Shape {
                turn_boundaries: &week.turn_boundaries,
                time_zone: &week.time_zone,
                lines: week.lines.max(1) as u32,
            },
            &grid,
            crate::rota::store::timetables::Revision {
                cost: week.cost,
                penalties: &week.penalties,
                by: Some(me.id),
                kind: "restore",
                note: &format!("restored version {version}"),
                status: None,
                not_on_published: false,
            },
        )
        .await?;
        changed(&s).await;
        Ok(())
    })
    .await
}

/// A coordinator's load for a person this week (`load` none: back to the computed one).
#[server(prefix = "/api", endpoint = "rota/timetable/load", input = server_fn::codec::Json)]
pub async fn set_load_override(day: NaiveDate, handle: String, load: Option<u32>) -> Result<(), ApiError> {
    respond(async move {
        require_team()?;
        if load.is_some_and(|l| l > 100) {
            return Err(ApiError::invalid("load", "at most 100 turns"));
        }
        let s = services()?;
        let handle = handle.trim().to_lowercase();
        let person = crate::rota::store::people::by_handle(&s.db, &handle)
            .await
            .map_err(|_| ApiError::NotFound(format!("person '{handle}'")))?;
        crate::rota::store::timetables::set_override(&s.db, monday_of(day)?, person.id, load).await?;
        changed(&s).await;
        Ok(())
    })
    .await
}
