//! The team's settings (one row).
use super::DbError;
use crate::rota::rules::data::TeamSettings;

#[derive(sqlx::FromRow)]
struct SettingsRow {
    time_zone: String,
    turn_boundaries: Vec<String>,
    lines: i32,
    working_days: Vec<i16>,
    max_turns_per_day: i32,
    max_empty_seats: i32,
    max_per_desk: Option<i32>,
    group_rules: serde_json::Value,
    max_overload: i32,
}

impl From<SettingsRow> for TeamSettings {
    fn from(r: SettingsRow) -> Self {
        TeamSettings {
            time_zone: r.time_zone,
            turn_boundaries: r.turn_boundaries,
            lines: r.lines.max(1) as u32,
            working_days: r.working_days.into_iter().map(|d| d as u8).collect(),
            max_turns_per_day: r.max_turns_per_day.max(1) as u32,
            max_empty_seats: r.max_empty_seats.max(0) as u32,
            max_per_desk: r.max_per_desk.map(|m| m.max(1) as u32),
            group_rules: serde_json::from_value(r.group_rules).unwrap_or_default(),
            max_overload: r.max_overload.max(0) as u32,
        }
    }
}

pub async fn get<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<TeamSettings, DbError> {
    let row: SettingsRow = sqlx::query_as(
        "SELECT time_zone, turn_boundaries, lines, working_days, max_turns_per_day, max_empty_seats, max_per_desk,
             group_rules, max_overload FROM team_settings",
    )
    .fetch_one(db)
    .await?;
    Ok(row.into())
}

/// Why the new settings cannot be taken with what is stored, if they cannot: entries and fixed
/// seats made for the current turns and lines must still fit. Locks the settings row so two
/// admins cannot slip a change past each other's check.
async fn conflicts(tx: &mut sqlx::PgConnection, new: &TeamSettings) -> Result<Option<String>, DbError> {
    let turns = new.turns() as i32;
    let masks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM availability WHERE turns IS NOT NULL AND cardinality(turns) <> $1")
            .bind(turns)
            .fetch_one(&mut *tx)
            .await?;
    if masks > 0 {
        return Ok(Some(format!(
            "{masks} availability entries are for a day of another number of turns: change or remove them before setting {turns} turns"
        )));
    }
    let outside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM fixed_turns WHERE person_id IS NOT NULL AND (turn >= $1 OR line >= $2 OR NOT (weekday = ANY($3)))",
    )
    .bind(turns)
    .bind(new.lines as i32)
    .bind(new.working_days.iter().map(|d| i16::from(*d)).collect::<Vec<_>>())
    .fetch_one(&mut *tx)
    .await?;
    if outside > 0 {
        return Ok(Some(format!(
            "{outside} fixed turns hold people in seats these settings remove (a line, a turn or a day): clear those seats first"
        )));
    }
    Ok(None)
}

/// Saves the settings (already checked by `TeamSettings::normalized`); refused with `Conflict`
/// when stored entries or fixed turns no longer fit. "Nobody" seats that no longer exist are
/// dropped with the line or turn they were in.
pub async fn save(db: impl sqlx::Acquire<'_, Database = sqlx::Postgres>, s: &TeamSettings) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    save_in(&mut tx, s).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn save_in(tx: &mut sqlx::PgConnection, s: &TeamSettings) -> Result<(), DbError> {
    sqlx::query("SELECT 1 FROM team_settings FOR UPDATE")
        .execute(&mut *tx)
        .await?;
    if let Some(why) = conflicts(tx, s).await? {
        return Err(DbError::Conflict(why));
    }
    sqlx::query("DELETE FROM fixed_turns WHERE turn >= $1 OR line >= $2 OR NOT (weekday = ANY($3))")
        .bind(s.turns() as i32)
        .bind(s.lines as i32)
        .bind(s.working_days.iter().map(|d| i16::from(*d)).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE team_settings SET time_zone = $1, turn_boundaries = $2, lines = $3, working_days = $4,
             max_turns_per_day = $5, max_empty_seats = $6, max_per_desk = $7, group_rules = $8, max_overload = $9, updated_at = now()",
    )
    .bind(&s.time_zone)
    .bind(&s.turn_boundaries)
    .bind(s.lines as i32)
    .bind(s.working_days.iter().map(|d| i16::from(*d)).collect::<Vec<_>>())
    .bind(s.max_turns_per_day as i32)
    .bind(s.max_empty_seats as i32)
    .bind(s.max_per_desk.map(|m| m as i32))
    .bind(serde_json::to_value(&s.group_rules).unwrap_or_default())
    .bind(s.max_overload as i32)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
