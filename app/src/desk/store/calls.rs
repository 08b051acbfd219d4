//! Calls that rang an agent's extension: recorded in one statement (who has the extension and
//! which contact has the number are looked up in it), stamped answered and ended later.
use super::{DbError, PgPool};
use crate::desk::rules::ringing::Ringing;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;

/// A call as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct DeskCall {
    pub id: i64,
    pub rang_at: DateTime<Utc>,
    pub extension: String,
    pub person_id: Option<i64>,
    pub user_id: Option<i64>,
    pub phone: String,
    pub pbx_call_id: Option<String>,
    pub contact_id: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// (A call recorded by hand without an extension reads as an empty one.)
const COLUMNS: &str = "id, rang_at, coalesce(extension, '') AS extension, person_id, user_id, phone, pbx_call_id, contact_id, answered_at, ended_at";

/// The live events a ringing call is announced with, written in the same statement.
pub struct RingingEvents<'a> {
    pub channel: &'a str,
    /// Addressed to the person's account: the card (call, number, contact).
    pub card_topic: &'a str,
    /// To everyone the desk admits: the call's id (the team's log refetches).
    pub log_topic: &'a str,
}

/// Records a ringing call — the active person with the extension (and their account) and the
/// contact with the number, as they are now — and announces it, in one statement (one round
/// trip: the PBX waits on the answer). Its commit does not wait for the disk
/// (`synchronous_commit` off for this transaction only): the record survives a crash of
/// Switchboard; only a crash of PostgreSQL's machine within a fraction of a second could lose
/// it, and the call itself is not affected.
pub async fn record(conn: &mut PgConnection, r: &Ringing, events: &RingingEvents<'_>) -> Result<DeskCall, DbError> {
    use crate::shell::events::envelope_sql;
    let card = envelope_sql(
        "$5",
        "jsonb_build_object('call', id, 'phone', phone, 'contact', contact_id)",
        "user_id",
    );
    let log = envelope_sql("$6", "jsonb_build_object('call', id)", "NULL::bigint");
    let sql = format!(
        "WITH p AS (SELECT id, user_id FROM people WHERE extension = $1 AND active),
              c AS (SELECT id FROM contacts WHERE phone = $2),
              call AS (
                INSERT INTO desk_calls (extension, person_id, user_id, phone, pbx_call_id, contact_id)
                VALUES ($1, (SELECT id FROM p), (SELECT user_id FROM p), $2, $3, (SELECT id FROM c))
                RETURNING *),
              card AS (SELECT pg_notify($4, {card}) FROM call WHERE user_id IS NOT NULL),
              log AS (SELECT pg_notify($4, {log}) FROM call),
              quick AS (SELECT set_config('synchronous_commit', 'off', true))
         -- The notifications and the setting are CTEs without writes: PostgreSQL runs them only
         -- when the answer refers to them, hence `announced`.
         SELECT {COLUMNS},
                (SELECT count(*) FROM card) + (SELECT count(*) FROM log) + (SELECT count(*) FROM quick) AS announced
           FROM call"
    );
    Ok(sqlx::query_as(&sql)
        .bind(&r.extension)
        .bind(&r.phone)
        .bind(&r.pbx_call_id)
        .bind(events.channel)
        .bind(events.card_topic)
        .bind(events.log_topic)
        .fetch_one(conn)
        .await?)
}

pub async fn get(db: &PgPool, id: i64) -> Result<DeskCall, DbError> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM desk_calls WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(DbError::NotFound)
}

/// The calls of a PBX call id get their answer time (the first one reported wins). Returns the
/// ids stamped.
pub async fn set_answered(conn: &mut PgConnection, pbx_call_id: &str, at: DateTime<Utc>) -> Result<Vec<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "UPDATE desk_calls SET answered_at = $2
          WHERE pbx_call_id = $1 AND answered_at IS NULL AND rang_at >= $2 - interval '1 day'
          RETURNING id",
    )
    .bind(pbx_call_id)
    .bind(at)
    .fetch_all(conn)
    .await?)
}

/// The calls of a PBX call id get their end time (the first one reported wins).
pub async fn set_ended(conn: &mut PgConnection, pbx_call_id: &str, at: DateTime<Utc>) -> Result<Vec<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "UPDATE desk_calls SET ended_at = $2
          WHERE pbx_call_id = $1 AND ended_at IS NULL AND rang_at >= $2 - interval '1 day'
          RETURNING id",
    )
    .bind(pbx_call_id)
    .bind(at)
    .fetch_all(conn)
    .await?)
}

/// Earlier calls from a number (or to a contact), newest first, without `except`.
pub async fn earlier(
    db: &PgPool,
    phone: &str,
    contact_id: Option<i64>,
    except: i64,
    limit: i64,
) -> Result<Vec<DeskCall>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM desk_calls
          WHERE (phone = $1 OR ($2::bigint IS NOT NULL AND contact_id = $2)) AND id <> $3
          ORDER BY rang_at DESC, id DESC LIMIT $4"
    ))
    .bind(phone)
    .bind(contact_id)
    .bind(except)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The calls that rang a user, newest first.
pub async fn of_user(db: &PgPool, user_id: i64, limit: i64) -> Result<Vec<DeskCall>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM desk_calls WHERE user_id = $1 ORDER BY rang_at DESC, id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
