//! The template week of fixed turns.
use super::DbError;
use crate::rota::rules::data::FixedSeat;

/// Every seat that holds a person or "nobody"; seats not listed are free for the solver.
pub async fn all<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<Vec<FixedSeat>, DbError> {
    let rows: Vec<(i16, i16, i16, Option<String>)> = sqlx::query_as(
        "SELECT f.weekday, f.turn, f.line, p.handle FROM fixed_turns f LEFT JOIN people p ON p.id = f.person_id
         ORDER BY f.weekday, f.turn, f.line",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(weekday, turn, line, person)| FixedSeat {
            weekday: weekday as u8,
            turn: turn as u32,
            line: line as u32,
            person,
        })
        .collect())
}

/// Puts a person (or nobody) in a seat.
pub async fn set<'e>(db: impl sqlx::PgExecutor<'e>, seat: &FixedSeat, person_id: Option<i64>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO fixed_turns (weekday, turn, line, person_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (weekday, turn, line) DO UPDATE SET person_id = EXCLUDED.person_id, updated_at = now()",
    )
    .bind(i16::from(seat.weekday))
    .bind(seat.turn as i16)
    .bind(seat.line as i16)
    .bind(person_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Frees a seat (the solver decides it again).
pub async fn clear<'e>(db: impl sqlx::PgExecutor<'e>, weekday: u8, turn: u32, line: u32) -> Result<(), DbError> {
    sqlx::query("DELETE FROM fixed_turns WHERE weekday = $1 AND turn = $2 AND line = $3")
        .bind(i16::from(weekday))
        .bind(turn as i16)
        .bind(line as i16)
        .execute(db)
        .await?;
    Ok(())
}

/// Adds a line to the team (every turn gets one more seat).
pub async fn add_line(db: impl sqlx::PgExecutor<'_>) -> Result<u32, DbError> {
    let lines: i32 = sqlx::query_scalar(
        "UPDATE team_settings SET lines = lines + 1, updated_at = now() WHERE lines < 200 RETURNING lines",
    )
    .fetch_optional(db)
    .await?
    .ok_or_else(|| DbError::Conflict("lines: the team already has the most lines (200)".into()))?;
    Ok(lines as u32)
}

/// Removes the last line; refused while a fixed turn puts a person on it, with where.
pub async fn remove_line(db: impl sqlx::Acquire<'_, Database = sqlx::Postgres>) -> Result<u32, DbError> {
    let mut tx = db.begin().await?;
    let lines: i32 = sqlx::query_scalar("SELECT lines FROM team_settings FOR UPDATE")
        .fetch_one(&mut *tx)
        .await?;
    if lines <= 1 {
        return Err(DbError::Conflict("lines: the team needs at least one line".into()));
    }
    let last = lines - 1;
    let used: i64 = sqlx::query_scalar("SELECT count(*) FROM fixed_turns WHERE line = $1 AND person_id IS NOT NULL")
        .bind(last)
        .fetch_one(&mut *tx)
        .await?;
    if used > 0 {
        return Err(DbError::Conflict(format!(
            "lines: line {lines} has {used} fixed turn{}: clear them before removing the line",
            if used == 1 { "" } else { "s" }
        )));
    }
    sqlx::query("DELETE FROM fixed_turns WHERE line >= $1")
        .bind(last)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE team_settings SET lines = $1, max_empty_seats = LEAST(max_empty_seats, $1), updated_at = now()",
    )
    .bind(last)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(last as u32)
}
