//! Holidays and no-service days.
use super::{DbError, PgPool};
use crate::rota::rules::data::{Holiday, HolidayKind};
use chrono::NaiveDate;

#[derive(sqlx::FromRow)]
struct HolidayRow {
    day: NaiveDate,
    name: String,
    kind: String,
}

impl From<HolidayRow> for Holiday {
    fn from(r: HolidayRow) -> Self {
        Holiday {
            day: r.day,
            name: r.name,
            kind: HolidayKind::parse(&r.kind).unwrap_or(HolidayKind::Holiday),
        }
    }
}

/// Days from `from` to `to`, inclusive, in order.
pub async fn between(db: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<Vec<Holiday>, DbError> {
    let rows: Vec<HolidayRow> =
        sqlx::query_as("SELECT day, name, kind FROM holidays WHERE day BETWEEN $1 AND $2 ORDER BY day")
            .bind(from)
            .bind(to)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(Holiday::from).collect())
}

pub async fn all(db: &PgPool) -> Result<Vec<Holiday>, DbError> {
    let rows: Vec<HolidayRow> = sqlx::query_as("SELECT day, name, kind FROM holidays ORDER BY day")
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(Holiday::from).collect())
}

/// Adds the day or renames it; returns whether anything changed (`false`: the same day with
/// the same name and kind was already there).
pub async fn upsert<'e>(db: impl sqlx::PgExecutor<'e>, h: &Holiday) -> Result<Upserted, DbError> {
    let row: Option<(bool,)> = sqlx::query_as(
        "INSERT INTO holidays (day, name, kind) VALUES ($1, $2, $3)
         ON CONFLICT (day) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind
           WHERE (holidays.name, holidays.kind) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind)
         RETURNING (xmax = 0)",
    )
    .bind(h.day)
    .bind(&h.name)
    .bind(h.kind.as_str())
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((true,)) => Upserted::Created,
        Some((false,)) => Upserted::Updated,
        None => Upserted::Unchanged,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

pub async fn delete(db: impl sqlx::PgExecutor<'_>, day: NaiveDate) -> Result<(), DbError> {
    let done = sqlx::query("DELETE FROM holidays WHERE day = $1")
        .bind(day)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
