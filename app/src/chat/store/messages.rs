use super::DbError;
use crate::chat::{ChatMessage, MessageKind};
use sqlx::PgConnection;

const COLUMNS: &str = "id, kind, text, actor, status, attempts, last_error, created_at, sent_at";

/// A new message, pending for its first attempt now.
pub async fn insert(
    conn: &mut PgConnection,
    kind: MessageKind,
    text: &str,
    actor: Option<&str>,
) -> Result<ChatMessage, DbError> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO chat_messages (kind, text, actor) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
    ))
    .bind(kind)
    .bind(text)
    .bind(actor)
    .fetch_one(conn)
    .await?)
}

/// A message claimed for one attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub text: String,
    /// Including this one.
    pub attempts: i32,
}

/// Claims up to `limit` messages due for an attempt (pending and due, or sending with a lease
/// run out: its instance stopped), counting the attempt; other instances skip the rows locked
/// here, so no message is sent twice at once. `only` claims that one message if due.
pub async fn claim_due(
    conn: &mut PgConnection,
    by: &str,
    lease_secs: i64,
    limit: i64,
    only: Option<i64>,
) -> Result<Vec<Claimed>, DbError> {
    Ok(sqlx::query_as(
        "UPDATE chat_messages m
            SET status = 'sending', attempts = attempts + 1, claimed_by = $1,
                lease_until = now() + make_interval(secs => $2)
          WHERE m.id IN (
                SELECT id FROM chat_messages
                 WHERE ((status = 'pending' AND next_attempt_at <= now())
                        OR (status = 'sending' AND lease_until < now()))
                   AND ($4::bigint IS NULL OR id = $4)
                 ORDER BY next_attempt_at, id
                 LIMIT $3
                 FOR UPDATE SKIP LOCKED)
         RETURNING m.id, m.text, m.attempts",
    )
    .bind(by)
    .bind(lease_secs as f64)
    .bind(limit)
    .bind(only)
    .fetch_all(conn)
    .await?)
}

/// The claimed attempt succeeded (an earlier attempt's error stays, as its history).
pub async fn sent(conn: &mut PgConnection, id: i64, by: &str) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE chat_messages SET status = 'sent', sent_at = now(), lease_until = NULL
          WHERE id = $1 AND status = 'sending' AND claimed_by = $2",
    )
    .bind(id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The claimed attempt failed: retry after `retry_ms`, or give up (`None`).
pub async fn attempt_failed(
    conn: &mut PgConnection,
    id: i64,
    by: &str,
    error: &str,
    retry_ms: Option<i64>,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE chat_messages
            SET status = CASE WHEN $4::bigint IS NULL THEN 'failed' ELSE 'pending' END,
                last_error = $3, lease_until = NULL,
                next_attempt_at = now() + make_interval(secs => coalesce($4::bigint, 0) / 1000.0)
          WHERE id = $1 AND status = 'sending' AND claimed_by = $2",
    )
    .bind(id)
    .bind(by)
    .bind(error)
    .bind(retry_ms)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn get(db: impl sqlx::PgExecutor<'_>, id: i64) -> Result<ChatMessage, DbError> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM chat_messages WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(DbError::NotFound)
}

/// The latest messages, newest first.
pub async fn recent(db: impl sqlx::PgExecutor<'_>, limit: i64) -> Result<Vec<ChatMessage>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM chat_messages ORDER BY created_at DESC, id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db)
    .await?)
}
