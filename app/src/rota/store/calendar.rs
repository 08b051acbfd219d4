//! Personal calendar-feed tokens (only their hash is kept) and the published turns a feed shows.
use super::{DbError, PgPool, conflict_as};
use crate::rota::CalendarToken;
use crate::rota::rules::calendar::PublishedTurn;
use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::OsRng;

/// How many characters of a token are kept in clear, to tell a person's links apart.
pub const PREFIX_LEN: usize = 8;

/// A new random token (192 bits, hex) and its hash and prefix.
fn generate() -> (String, String, String) {
    let bytes: [u8; 24] = OsRng.r#gen();
    let token = hex::encode(bytes);
    let prefix = token[..PREFIX_LEN].to_string();
    let hash = crate::accounts::auth::hash_token(&token);
    (token, hash, prefix)
}

/// Creates a token for a person; returns its id and the token, which is never stored.
pub async fn create(db: impl sqlx::PgExecutor<'_>, person_id: i64) -> Result<(i64, String), DbError> {
    let (token, hash, prefix) = generate();
    let id = sqlx::query_scalar(
        "INSERT INTO calendar_tokens (person_id, token_hash, prefix) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(person_id)
    .bind(&hash)
    .bind(&prefix)
    .fetch_one(db)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => DbError::NotFound,
        _ => conflict_as("token collision, create it again")(e),
    })?;
    Ok((id, token))
}

/// A person's tokens, active ones first, newest first; never the secrets.
pub async fn list(db: &PgPool, person_id: i64) -> Result<Vec<CalendarToken>, DbError> {
    type Row = (i64, String, DateTime<Utc>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, prefix, created_at, revoked_at FROM calendar_tokens WHERE person_id = $1
         ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC",
    )
    .bind(person_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, prefix, created_at, revoked_at)| CalendarToken {
            id,
            prefix,
            created_at,
            revoked_at,
        })
        .collect())
}

/// Revokes one of a person's tokens. A token of someone else, or one already revoked, is
/// `NotFound`, so the caller learns the list they saw was stale.
pub async fn revoke(db: impl sqlx::PgExecutor<'_>, person_id: i64, id: i64) -> Result<(), DbError> {
    let done = sqlx::query(
        "UPDATE calendar_tokens SET revoked_at = now() WHERE id = $1 AND person_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(person_id)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// The person whose handle is `handle`, when `token_hash` is an active token of theirs.
pub async fn person_for_token(db: &PgPool, handle: &str, token_hash: &str) -> Result<Option<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT p.id FROM calendar_tokens t JOIN people p ON p.id = t.person_id
         WHERE p.handle = $1 AND t.token_hash = $2 AND t.revoked_at IS NULL",
    )
    .bind(handle)
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}

#[derive(sqlx::FromRow)]
struct TurnRow {
    day: NaiveDate,
    turn: i16,
    line: i16,
    turn_boundaries: Vec<String>,
    time_zone: String,
}

/// A person's seats in published weeks with days from `from` to `to` (both included), in order.
pub async fn published_turns(
    db: &PgPool,
    person_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PublishedTurn>, DbError> {
    let rows: Vec<TurnRow> = sqlx::query_as(
        "SELECT s.day, s.turn, s.line, w.turn_boundaries, w.time_zone
         FROM rota_seats s JOIN rota_weeks w ON w.monday = s.monday
         WHERE s.person_id = $1 AND w.status = 'published' AND s.day BETWEEN $2 AND $3
         ORDER BY s.day, s.turn, s.line",
    )
    .bind(person_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PublishedTurn {
            day: r.day,
            turn: r.turn.max(0) as u32,
            line: r.line.max(0) as u32,
            boundaries: r.turn_boundaries,
            time_zone: r.time_zone,
        })
        .collect())
}
