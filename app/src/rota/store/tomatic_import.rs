//! Applies a Tomàtic import plan in one transaction: everything or, when any line is rejected
//! (by the files or by what is stored), nothing. Each write runs under a savepoint so a refused
//! row is reported and the rest can still be checked, then the whole transaction is rolled back.
use super::{DbError, availability, fixed_turns, holidays, people, team};
use crate::rota::rules::data::{FixedSeat, PersonFields, TeamSettings, WEEKDAY_NAMES};
use crate::rota::rules::tomatic::{ImportReport, Rejected, Skipped, Taken, TomaticFile};
use crate::rota::rules::tomatic_import::{FILE_CONFIG, ImportPlan, PlannedPerson, PlannedSeat};

const FILE_FORCED: &str = "data/forced-turns.yaml";
use sqlx::{Acquire, PgConnection};
use std::collections::HashMap;

/// The stored fields of an existing person with those the files set.
fn merged(current: &PersonFields, p: &PlannedPerson) -> PersonFields {
    let f = &p.fields;
    let mut out = current.clone();
    if p.has_name {
        out.full_name = f.full_name.clone();
    }
    if p.has_extension {
        out.extension = f.extension.clone();
    }
    if p.has_email {
        out.email = f.email.clone();
    }
    if p.has_colour {
        out.colour = f.colour.clone();
    }
    if p.has_desk {
        out.desk = f.desk.clone();
    }
    if p.has_groups {
        out.groups = f.groups.clone();
    }
    if p.has_load {
        out.ideal_load = f.ideal_load;
    }
    out
}

/// Runs one write under a savepoint; a refused write becomes a rejection instead of ending the
/// transaction.
async fn attempt<T>(
    tx: &mut PgConnection,
    report: &mut ImportReport,
    file: &str,
    line: Option<usize>,
    write: impl AsyncFnOnce(&mut PgConnection) -> Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    let mut sp = tx.begin().await?;
    match write(&mut sp).await {
        Ok(v) => {
            sp.commit().await?;
            Ok(Some(v))
        }
        Err(DbError::Conflict(reason)) => {
            sp.rollback().await?;
            report.rejected.push(Rejected {
                file: file.into(),
                line,
                reason,
            });
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Reads and applies a Tomàtic folder's files: the command line and the upload form both come
/// here.
pub async fn import(db: &mut PgConnection, files: &[TomaticFile]) -> Result<ImportReport, DbError> {
    let turns = team::get(&mut *db).await?.turns();
    let report = apply(&mut *db, crate::rota::rules::tomatic_import::plan(files, turns)).await?;
    super::timetables::adopt_pending(db).await?;
    Ok(report)
}

pub async fn apply(db: &mut PgConnection, plan: ImportPlan) -> Result<ImportReport, DbError> {
    let mut report = ImportReport {
        rejected: plan.rejected.clone(),
        notes: plan.notes.clone(),
        ..Default::default()
    };
    let mut tx = db.begin().await?;
    // One import at a time: two at once would each see the other's rows as missing.
    sqlx::query("SELECT 1 FROM team_settings FOR UPDATE")
        .execute(&mut *tx)
        .await?;

    let mut settings = team::get(&mut *tx).await?;
    let config = &plan.config;
    let from_config = config.lines.is_some()
        || config.hours.is_some()
        || config.max_turns_per_day.is_some()
        || config.max_overload.is_some();
    if from_config || plan.hours.is_some() || plan.lines.is_some() {
        let current = settings.clone();
        // config.yaml says what the team works with; the forced-turns file's shape is used only
        // where it says nothing (and its lines never lower the team's).
        let lines = config
            .lines
            .unwrap_or_else(|| plan.lines.unwrap_or(0).max(current.lines));
        let wanted = TeamSettings {
            turn_boundaries: config
                .hours
                .clone()
                .or_else(|| plan.hours.clone())
                .unwrap_or(current.turn_boundaries.clone()),
            lines,
            max_empty_seats: current.max_empty_seats.min(lines),
            max_turns_per_day: config.max_turns_per_day.unwrap_or(current.max_turns_per_day),
            max_overload: config.max_overload.unwrap_or(current.max_overload),
            ..current.clone()
        };
        let file = if from_config { FILE_CONFIG } else { FILE_FORCED };
        match wanted.normalized() {
            Ok(wanted) if wanted != current => {
                let saved = attempt(&mut tx, &mut report, file, None, async |c| {
                    team::save_in(c, &wanted).await
                })
                .await?;
                if saved.is_some() {
                    report.notes.push(format!(
                        "team settings: turns {} → {}, lines {} → {}, most turns a day {} → {}, most turns above the proportional load {} → {}",
                        current.turn_boundaries.join(" "),
                        wanted.turn_boundaries.join(" "),
                        current.lines,
                        wanted.lines,
                        current.max_turns_per_day,
                        wanted.max_turns_per_day,
                        current.max_overload,
                        wanted.max_overload,
                    ));
                    report.count("team settings").updated += 1;
                    settings = wanted;
                }
            }
            Ok(_) => report.count("team settings").unchanged += 1,
            Err(e) => report.rejected.push(Rejected {
                file: file.into(),
                line: None,
                reason: format!("{}: {}", e.field, e.message),
            }),
        }
        report.taken = taken(&plan);
    }

    let mut ids: HashMap<String, i64> = people::ids_by_handle(&mut *tx).await?.into_iter().collect();
    for p in &plan.people {
        let handle = p.fields.handle.clone();
        match ids.get(&handle).copied() {
            Some(id) => {
                let current = people::by_id(&mut *tx, id).await?.fields;
                let next = merged(&current, p);
                if next == current {
                    report.count("people").unchanged += 1;
                } else if attempt(&mut tx, &mut report, "persons.yaml", p.line, async |c| {
                    people::update(c, id, &next).await
                })
                .await?
                .is_some()
                {
                    report.count("people").updated += 1;
                }
            }
            None => {
                let fields = p.fields.clone();
                if let Some(id) = attempt(&mut tx, &mut report, "persons.yaml", p.line, async |c| {
                    people::insert(c, &fields).await
                })
                .await?
                {
                    ids.insert(handle, id);
                    report.count("people").created += 1;
                }
            }
        }
    }

    let planned: Vec<&str> = plan.people.iter().map(|p| p.fields.handle.as_str()).collect();
    for e in &plan.availability {
        let Some(&person_id) = ids.get(&e.handle) else {
            // Someone who has left: Tomàtic ignores their entries too. (A person of
            // persons.yaml whose row was refused is already in the rejected lines.)
            if !planned.contains(&e.handle.as_str()) {
                report.warnings.push(Skipped {
                    file: e.file.clone(),
                    line: Some(e.line),
                    person: e.handle.clone(),
                    reason: "not in persons.yaml nor in Switchboard: entry not imported".into(),
                });
            }
            continue;
        };
        if e.entry.turns.as_ref().is_some_and(|m| m.len() != settings.turns()) {
            report.rejected.push(Rejected {
                file: e.file.clone(),
                line: Some(e.line),
                reason: format!("the turn mask does not have the team's {} turns", settings.turns()),
            });
            continue;
        }
        match availability::insert(&mut *tx, person_id, &e.entry).await? {
            Some(_) => report.count("availability entries").created += 1,
            None => report.count("availability entries").unchanged += 1,
        }
    }

    for (handle, credit, line) in &plan.credits {
        let file = "shiftcredit.yaml";
        let Some(&person_id) = ids.get(handle) else {
            if !planned.contains(&handle.as_str()) {
                report.warnings.push(Skipped {
                    file: file.into(),
                    line: *line,
                    person: handle.clone(),
                    reason: "not in persons.yaml nor in Switchboard: balance not imported".into(),
                });
            }
            continue;
        };
        if super::balances::set(&mut tx, person_id, *credit, None, "imported from shiftcredit.yaml").await? {
            report.count("balances").updated += 1;
        } else {
            report.count("balances").unchanged += 1;
        }
    }

    for (line, h) in &plan.holidays {
        let done = attempt(&mut tx, &mut report, "holidays.conf", Some(*line), async |c| {
            holidays::upsert(c, h).await
        })
        .await?;
        match done {
            Some(holidays::Upserted::Created) => report.count("holidays").created += 1,
            Some(holidays::Upserted::Updated) => report.count("holidays").updated += 1,
            Some(holidays::Upserted::Unchanged) => report.count("holidays").unchanged += 1,
            None => {}
        }
    }

    if let Some(seats) = &plan.fixed {
        apply_fixed(&mut tx, &mut report, &settings, &plan, seats, &ids).await?;
    }

    for t in &plan.timetables {
        let stored: Option<serde_json::Value> =
            sqlx::query_scalar("SELECT timetable FROM imported_timetables WHERE week = $1")
                .bind(t.week)
                .fetch_optional(&mut *tx)
                .await?;
        if stored.as_ref() == Some(&t.timetable) {
            report.count("timetables").unchanged += 1;
            continue;
        }
        sqlx::query(
            "INSERT INTO imported_timetables (week, source, timetable) VALUES ($1, $2, $3)
             ON CONFLICT (week) DO UPDATE SET source = EXCLUDED.source, timetable = EXCLUDED.timetable, imported_at = now()",
        )
        .bind(t.week)
        .bind(&t.source)
        .bind(&t.timetable)
        .execute(&mut *tx)
        .await?;
        if stored.is_some() {
            report.count("timetables").updated += 1;
        } else {
            report.count("timetables").created += 1;
        }
    }

    if report.rejected.is_empty() {
        tx.commit().await?;
        report.applied = true;
    } else {
        tx.rollback().await?;
    }
    Ok(report)
}

/// What the report says was taken from `config.yaml` (and from the forced-turns file where
/// `config.yaml` says nothing).
fn taken(plan: &ImportPlan) -> Vec<Taken> {
    let c = &plan.config;
    let item = |file: &str, key: &str, value: String, setting: &str| Taken {
        file: file.into(),
        key: key.into(),
        value,
        setting: setting.into(),
    };
    let mut out = Vec::new();
    if let Some(n) = c.lines {
        out.push(item(FILE_CONFIG, "nTelefons", n.to_string(), "phone lines"));
    } else if let Some(n) = plan.lines {
        out.push(item(FILE_FORCED, "turns", n.to_string(), "phone lines (at least)"));
    }
    if let Some(h) = &c.hours {
        out.push(item(FILE_CONFIG, "hours", h.join(" "), "turn boundaries"));
    } else if let Some(h) = &plan.hours {
        out.push(item(FILE_FORCED, "hours", h.join(" "), "turn boundaries"));
    }
    if let Some(n) = c.max_turns_per_day {
        out.push(item(
            FILE_CONFIG,
            "maximHoresDiariesGeneral",
            n.to_string(),
            "most turns a person takes a day",
        ));
    }
    if let Some(n) = c.max_overload {
        out.push(item(
            FILE_CONFIG,
            "maxOverload",
            n.to_string(),
            "most turns above the proportional load",
        ));
    }
    out
}

/// The file's template week replaces the stored one: seats it lists are set, seats it leaves
/// out (or whose person is skipped) are freed.
async fn apply_fixed(
    tx: &mut PgConnection,
    report: &mut ImportReport,
    settings: &TeamSettings,
    plan: &ImportPlan,
    seats: &[PlannedSeat],
    ids: &HashMap<String, i64>,
) -> Result<(), DbError> {
    let stored = fixed_turns::all(&mut *tx).await?;
    let key = |s: &FixedSeat| (s.weekday, s.turn, s.line);
    let planned: Vec<&str> = plan.people.iter().map(|p| p.fields.handle.as_str()).collect();
    let mut kept = Vec::new();
    for PlannedSeat { seat, line } in seats {
        if let Err(e) = seat.check(settings) {
            report.rejected.push(Rejected {
                file: FILE_FORCED.into(),
                line: *line,
                reason: format!(
                    "seat {}/{}/{}: {}",
                    seat.weekday,
                    seat.turn + 1,
                    seat.line + 1,
                    e.message
                ),
            });
            continue;
        }
        let person_id = match &seat.person {
            Some(h) => match ids.get(h) {
                Some(id) => Some(*id),
                None => {
                    if !planned.contains(&h.as_str()) {
                        let only_here = if plan.forced_names.contains(h) {
                            "only in the forced-turns file's own names, "
                        } else {
                            ""
                        };
                        report.warnings.push(Skipped {
                            file: FILE_FORCED.into(),
                            line: *line,
                            person: h.clone(),
                            reason: format!(
                                "{only_here}not in persons.yaml nor in Switchboard: fixed turn {} {} line {} not imported",
                                WEEKDAY_NAMES.get(usize::from(seat.weekday)).unwrap_or(&"?"),
                                settings.turn_start(seat.turn as usize),
                                seat.line + 1
                            ),
                        });
                    }
                    continue;
                }
            },
            None => None,
        };
        kept.push(key(seat));
        match stored.iter().find(|s| key(s) == key(seat)) {
            Some(s) if s.person == seat.person => report.count("fixed turns").unchanged += 1,
            Some(_) => {
                fixed_turns::set(&mut *tx, seat, person_id).await?;
                report.count("fixed turns").updated += 1;
            }
            None => {
                fixed_turns::set(&mut *tx, seat, person_id).await?;
                report.count("fixed turns").created += 1;
            }
        }
    }
    for s in stored.iter().filter(|s| !kept.contains(&key(s))) {
        fixed_turns::clear(&mut *tx, s.weekday, s.turn, s.line).await?;
        report.count("fixed turns").updated += 1;
    }
    Ok(())
}
