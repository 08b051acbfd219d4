//! The queue's calls for the statistics (`queue_calls`): one row per caller (`Uniqueid`) and
//! queue, written from the PBX's events. Every write is an upsert guarded so that a repeated
//! event, or the same event recorded by a second instance, changes nothing: each returns
//! whether it changed the row.
use super::DbError;
use crate::queue::rules::stats::CallRow;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Who called, in which queue (the call's key).
#[derive(Clone, Copy, Debug)]
pub struct CallKey<'a> {
    pub queue: &'a str,
    pub uniqueid: &'a str,
    pub number: &'a str,
}

/// The agent who answered.
#[derive(Clone, Copy, Debug)]
pub struct AgentOf<'a> {
    pub interface: &'a str,
    pub name: &'a str,
}

fn secs(v: u32) -> chrono::Duration {
    chrono::Duration::seconds(i64::from(v))
}

/// A caller joined the queue at `at`.
pub async fn joined(conn: &mut PgConnection, k: CallKey<'_>, at: DateTime<Utc>) -> Result<bool, DbError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO queue_calls (queue, uniqueid, caller_number, joined_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (queue, uniqueid) DO NOTHING RETURNING id",
    )
    .bind(k.queue)
    .bind(k.uniqueid)
    .bind(k.number)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

/// The caller left the queue (answered, abandoned or out by a timeout); only a call seen before.
pub async fn left(conn: &mut PgConnection, k: CallKey<'_>, at: DateTime<Utc>) -> Result<bool, DbError> {
    let id: Option<i64> = sqlx::query_scalar(
        "UPDATE queue_calls SET left_at = $3 WHERE queue = $1 AND uniqueid = $2 AND left_at IS NULL RETURNING id",
    )
    .bind(k.queue)
    .bind(k.uniqueid)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

/// An agent answered at `at` after the caller waited `wait` seconds (a call not seen joining
/// is recorded as having joined `wait` seconds before).
pub async fn answered(
    conn: &mut PgConnection,
    k: CallKey<'_>,
    agent: AgentOf<'_>,
    at: DateTime<Utc>,
    wait: u32,
) -> Result<bool, DbError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO queue_calls (queue, uniqueid, caller_number, joined_at, wait_secs, answered_at,
                                  agent_interface, agent_name, left_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6)
         ON CONFLICT (queue, uniqueid) DO UPDATE
            SET wait_secs = EXCLUDED.wait_secs, answered_at = EXCLUDED.answered_at,
                agent_interface = EXCLUDED.agent_interface, agent_name = EXCLUDED.agent_name,
                left_at = coalesce(queue_calls.left_at, EXCLUDED.left_at)
          WHERE queue_calls.answered_at IS NULL AND queue_calls.abandoned_at IS NULL
         RETURNING id",
    )
    .bind(k.queue)
    .bind(k.uniqueid)
    .bind(k.number)
    .bind(at - secs(wait))
    .bind(wait as i32)
    .bind(at)
    .bind(agent.interface)
    .bind(agent.name)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

/// An answered call ended at `at` after `talk` seconds (a call not seen before is recorded
/// whole from the PBX's hold and talk times).
pub async fn ended(
    conn: &mut PgConnection,
    k: CallKey<'_>,
    agent: AgentOf<'_>,
    at: DateTime<Utc>,
    wait: u32,
    talk: u32,
) -> Result<bool, DbError> {
    let answered_at = at - secs(talk);
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO queue_calls (queue, uniqueid, caller_number, joined_at, wait_secs, answered_at,
                                  agent_interface, agent_name, left_at, talk_secs, ended_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6, $9, $10)
         ON CONFLICT (queue, uniqueid) DO UPDATE
            SET talk_secs = EXCLUDED.talk_secs, ended_at = EXCLUDED.ended_at,
                wait_secs = coalesce(queue_calls.wait_secs, EXCLUDED.wait_secs),
                answered_at = coalesce(queue_calls.answered_at, EXCLUDED.answered_at),
                agent_interface = coalesce(queue_calls.agent_interface, EXCLUDED.agent_interface),
                agent_name = coalesce(queue_calls.agent_name, EXCLUDED.agent_name),
                left_at = coalesce(queue_calls.left_at, EXCLUDED.left_at)
          WHERE queue_calls.ended_at IS NULL AND queue_calls.abandoned_at IS NULL
         RETURNING id",
    )
    .bind(k.queue)
    .bind(k.uniqueid)
    .bind(k.number)
    .bind(answered_at - secs(wait))
    .bind(wait as i32)
    .bind(answered_at)
    .bind(agent.interface)
    .bind(agent.name)
    .bind(talk as i32)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

/// The caller hung up at `at` after waiting `wait` seconds.
pub async fn abandoned(conn: &mut PgConnection, k: CallKey<'_>, at: DateTime<Utc>, wait: u32) -> Result<bool, DbError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO queue_calls (queue, uniqueid, caller_number, joined_at, wait_secs, abandoned_at, left_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (queue, uniqueid) DO UPDATE
            SET wait_secs = EXCLUDED.wait_secs, abandoned_at = EXCLUDED.abandoned_at,
                left_at = coalesce(queue_calls.left_at, EXCLUDED.left_at)
          WHERE queue_calls.answered_at IS NULL AND queue_calls.abandoned_at IS NULL
         RETURNING id",
    )
    .bind(k.queue)
    .bind(k.uniqueid)
    .bind(k.number)
    .bind(at - secs(wait))
    .bind(wait as i32)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

type Row = (
    DateTime<Utc>,
    Option<i32>,
    bool,
    bool,
    bool,
    Option<i32>,
    Option<String>,
    Option<String>,
);

/// The calls that joined in `[from, to)` (of `queue`, or of every queue), oldest first.
pub async fn calls_between(
    db: impl sqlx::PgExecutor<'_>,
    queue: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CallRow>, DbError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT joined_at, wait_secs, answered_at IS NOT NULL, abandoned_at IS NOT NULL, left_at IS NOT NULL,
                talk_secs, agent_interface, agent_name
           FROM queue_calls
          WHERE joined_at >= $1 AND joined_at < $2 AND ($3::text IS NULL OR queue = $3)
          ORDER BY joined_at, id",
    )
    .bind(from)
    .bind(to)
    .bind(queue)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(joined_at, wait, answered, abandoned, left, talk, interface, name)| CallRow {
                joined_at,
                wait_secs: wait.map(|v| v.max(0) as u32),
                answered,
                abandoned,
                left,
                talk_secs: talk.map(|v| v.max(0) as u32),
                agent_interface: interface,
                agent_name: name,
            },
        )
        .collect())
}
