//! Availability entries: weekly, one-off and leave.
use super::{DbError, PgPool, conflict_as};
use crate::rota::AvailabilityEntry;
use crate::rota::rules::data::{AvailabilityInput, AvailabilityKind};
use chrono::{Duration, NaiveDate};

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    person_id: i64,
    handle: String,
    kind: String,
    weekday: Option<i16>,
    date_from: Option<NaiveDate>,
    date_to: Option<NaiveDate>,
    turns: Option<Vec<bool>>,
    mandatory: bool,
    reason: String,
}

impl From<EntryRow> for AvailabilityEntry {
    fn from(r: EntryRow) -> Self {
        AvailabilityEntry {
            id: r.id,
            person_id: r.person_id,
            handle: r.handle,
            entry: AvailabilityInput {
                kind: AvailabilityKind::parse(&r.kind).unwrap_or(AvailabilityKind::OneOff),
                weekday: r.weekday.map(|d| d as u8),
                date_from: r.date_from,
                date_to: r.date_to,
                turns: r.turns,
                mandatory: r.mandatory,
                reason: r.reason,
            },
        }
    }
}

const SELECT: &str = "SELECT a.id, a.person_id, p.handle, a.kind, a.weekday, a.date_from, a.date_to, a.turns,
    a.mandatory, a.reason FROM availability a JOIN people p ON p.id = a.person_id";

pub async fn of_person(db: &PgPool, person_id: i64) -> Result<Vec<AvailabilityEntry>, DbError> {
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE a.person_id = $1 ORDER BY a.kind = 'weekly' DESC, a.weekday NULLS FIRST, a.date_from, a.id"
    ))
    .bind(person_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AvailabilityEntry::from).collect())
}

/// Entries of active people on the rota that can touch the week starting `monday`.
pub async fn in_week(db: &PgPool, monday: NaiveDate) -> Result<Vec<AvailabilityEntry>, DbError> {
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE p.active AND p.ideal_load IS NOT NULL
           AND (a.kind = 'weekly' OR (a.date_from <= $2 AND a.date_to >= $1))
         ORDER BY p.handle, a.id"
    ))
    .bind(monday)
    .bind(monday + Duration::days(6))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AvailabilityEntry::from).collect())
}

pub async fn get(db: &PgPool, id: i64) -> Result<AvailabilityEntry, DbError> {
    let row: Option<EntryRow> = sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(AvailabilityEntry::from).ok_or(DbError::NotFound)
}

/// Inserts an entry (already checked by `AvailabilityInput::normalized`). Returns `None` when
/// the very same entry is already recorded, which an import counts as skipped.
pub async fn insert<'e>(
    db: impl sqlx::PgExecutor<'e>,
    person_id: i64,
    e: &AvailabilityInput,
) -> Result<Option<i64>, DbError> {
    sqlx::query_scalar(
        "INSERT INTO availability (person_id, kind, weekday, date_from, date_to, turns, mandatory, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(person_id)
    .bind(e.kind.as_str())
    .bind(e.weekday.map(i16::from))
    .bind(e.date_from)
    .bind(e.date_to)
    .bind(&e.turns)
    .bind(e.mandatory)
    .bind(&e.reason)
    .fetch_optional(db)
    .await
    .map_err(conflict_as("this entry is already recorded"))
}

pub async fn delete(db: impl sqlx::PgExecutor<'_>, id: i64) -> Result<(), DbError> {
    let done = sqlx::query("DELETE FROM availability WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
