//! Applies a Tomàtic import plan in one transaction: everything or, when any line is rejected
//! (by the files or by what is stored), nothing. Each write runs under a savepoint so a refused
//! row is reported and the rest can still be checked, then the whole transaction is rolled back.
use super::{DbError, availability, fixed_turns, holidays, people, team};
use crate::rota::rules::data::{FixedSeat, PersonFields, TeamSettings};
use crate::rota::rules::tomatic::{ImportReport, Rejected, TomaticFile};
use crate::rota::rules::tomatic_import::{ImportPlan, PlannedPerson};
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
    if plan.hours.is_some() || plan.lines.is_some() {
        let current = settings.clone();
        let wanted = TeamSettings {
            turn_boundaries: plan.hours.clone().unwrap_or(current.turn_boundaries.clone()),
            lines: plan.lines.unwrap_or(0).max(current.lines),
            ..current.clone()
        };
        match wanted.normalized() {
            Ok(wanted) if wanted != current => {
                let saved = attempt(&mut tx, &mut report, "data/forced-turns.yaml", None, async |c| {
                    team::save_in(c, &wanted).await
                })
                .await?;
                if saved.is_some() {
                    report.notes.push(format!(
                        "team settings: turns {} → {}, lines {} → {}",
                        current.turn_boundaries.join(" "),
                        wanted.turn_boundaries.join(" "),
                        current.lines,
                        wanted.lines
                    ));
                    report.count("team settings").updated += 1;
                    settings = wanted;
                }
            }
            Ok(_) => report.count("team settings").unchanged += 1,
            Err(e) => report.rejected.push(Rejected {
                file: "data/forced-turns.yaml".into(),
                line: None,
                reason: format!("{}: {}", e.field, e.message),
            }),
        }
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

    for e in &plan.availability {
        let Some(&person_id) = ids.get(&e.handle) else {
            report.rejected.push(Rejected {
                file: e.file.clone(),
                line: Some(e.line),
                reason: format!("unknown person '{}': not in persons.yaml nor in Switchboard", e.handle),
            });
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
        apply_fixed(&mut tx, &mut report, &settings, seats, &ids).await?;
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

/// The file's template week replaces the stored one: seats it lists are set, seats it leaves
/// out are freed.
async fn apply_fixed(
    tx: &mut PgConnection,
    report: &mut ImportReport,
    settings: &TeamSettings,
    seats: &[FixedSeat],
    ids: &HashMap<String, i64>,
) -> Result<(), DbError> {
    const FILE: &str = "data/forced-turns.yaml";
    let stored = fixed_turns::all(&mut *tx).await?;
    let key = |s: &FixedSeat| (s.weekday, s.turn, s.line);
    for seat in seats {
        if let Err(e) = seat.check(settings) {
            report.rejected.push(Rejected {
                file: FILE.into(),
                line: None,
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
                    report.rejected.push(Rejected {
                        file: FILE.into(),
                        line: None,
                        reason: format!("unknown person '{h}': not in persons.yaml nor in Switchboard"),
                    });
                    continue;
                }
            },
            None => None,
        };
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
    for s in stored.iter().filter(|s| !seats.iter().any(|n| key(n) == key(s))) {
        fixed_turns::clear(&mut *tx, s.weekday, s.turn, s.line).await?;
        report.count("fixed turns").updated += 1;
    }
    Ok(())
}
