//! Callouts: their settings, status transitions and statistics.
use super::{DbError, PgPool};
use crate::callouts::rules::callout::{CalloutEvent, CalloutStatus, TransitionRefused, transition};
use crate::callouts::rules::calls::{CallStatus, RetryPolicy};
use crate::callouts::rules::pacing::{PacingSettings, Strategy};
use crate::callouts::rules::settings::{CalloutSettings, Script, calling_hours_of, day_numbers, statuses_of};
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::PgConnection;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Callout {
    pub id: i64,
    pub status: CalloutStatus,
    pub settings: CalloutSettings,
    pub created_by: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    description: String,
    status: CalloutStatus,
    max_calls_per_run: Option<i32>,
    strategy: String,
    min_calls_per_run: i32,
    max_calls_per_period: Option<i32>,
    period_hours: i32,
    max_concurrent_calls: Option<i32>,
    calls_per_second: Option<i32>,
    retry_statuses: Vec<String>,
    max_attempts: i32,
    retry_delay_minutes: i32,
    calling_days: Option<Vec<i16>>,
    calling_hours_start: Option<NaiveTime>,
    calling_hours_end: Option<NaiveTime>,
    time_zone: Option<String>,
    caller_id: Option<String>,
    script_url: Option<String>,
    script_method: String,
    twiml: Option<String>,
    created_by: Option<i64>,
    started_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn pos(v: Option<i32>) -> Option<u32> {
    v.map(|n| n.max(0) as u32)
}

impl From<Row> for Callout {
    fn from(r: Row) -> Self {
        let script = match (r.script_url, r.twiml) {
            (Some(url), _) => Some(Script::Url {
                url,
                method: r.script_method,
            }),
            (None, Some(t)) => Some(Script::Twiml(t)),
            (None, None) => None,
        };
        Callout {
            id: r.id,
            status: r.status,
            settings: CalloutSettings {
                name: r.name,
                description: r.description,
                pacing: PacingSettings {
                    max_calls_per_run: pos(r.max_calls_per_run),
                    strategy: Strategy::parse(&r.strategy).unwrap_or_default(),
                    min_calls_per_run: r.min_calls_per_run.max(0) as u32,
                    max_calls_per_period: pos(r.max_calls_per_period),
                    period_hours: r.period_hours.max(1) as u32,
                    max_concurrent_calls: pos(r.max_concurrent_calls),
                    calls_per_second: pos(r.calls_per_second),
                },
                retry: RetryPolicy {
                    statuses: statuses_of(&r.retry_statuses),
                    max_attempts: r.max_attempts.max(1) as u32,
                    delay_minutes: r.retry_delay_minutes.max(0) as u32,
                },
                calling_hours: calling_hours_of(r.calling_days, r.calling_hours_start, r.calling_hours_end),
                time_zone: r.time_zone,
                caller_id: r.caller_id,
                script,
            },
            created_by: r.created_by,
            started_at: r.started_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str = "SELECT id, name, description, status, max_calls_per_run, strategy, min_calls_per_run,
    max_calls_per_period, period_hours, max_concurrent_calls, calls_per_second, retry_statuses, max_attempts,
    retry_delay_minutes, calling_days, calling_hours_start, calling_hours_end, time_zone, caller_id, script_url,
    script_method, twiml, created_by, started_at, created_at, updated_at FROM callouts";

/// The settings as bind parameters $2.. $21 (after the id or created_by at $1).
macro_rules! bind_settings {
    ($q:expr, $s:expr) => {{
        let s: &CalloutSettings = $s;
        let p = &s.pacing;
        let (url, method, twiml) = match &s.script {
            Some(Script::Url { url, method }) => (Some(url.clone()), method.clone(), None),
            Some(Script::Twiml(t)) => (None, "POST".to_string(), Some(t.clone())),
            None => (None, "POST".to_string(), None),
        };
        $q.bind(s.name.clone())
            .bind(s.description.clone())
            .bind(p.max_calls_per_run.map(|n| n as i32))
            .bind(p.strategy.as_str())
            .bind(p.min_calls_per_run as i32)
            .bind(p.max_calls_per_period.map(|n| n as i32))
            .bind(p.period_hours as i32)
            .bind(p.max_concurrent_calls.map(|n| n as i32))
            .bind(p.calls_per_second.map(|n| n as i32))
            .bind(
                s.retry
                    .statuses
                    .iter()
                    .map(|c| c.as_str().to_string())
                    .collect::<Vec<_>>(),
            )
            .bind(s.retry.max_attempts as i32)
            .bind(s.retry.delay_minutes as i32)
            .bind(s.calling_hours.as_ref().map(|h| day_numbers(&h.days)))
            .bind(s.calling_hours.as_ref().map(|h| h.start))
            .bind(s.calling_hours.as_ref().map(|h| h.end))
            .bind(s.time_zone.clone())
            .bind(s.caller_id.clone())
            .bind(url)
            .bind(method)
            .bind(twiml)
    }};
}

const SETTING_COLUMNS: &str = "name, description, max_calls_per_run, strategy, min_calls_per_run,
    max_calls_per_period, period_hours, max_concurrent_calls, calls_per_second, retry_statuses, max_attempts,
    retry_delay_minutes, calling_days, calling_hours_start, calling_hours_end, time_zone, caller_id, script_url,
    script_method, twiml";

crate::text_enum!(CalloutStatus);

pub async fn create(tx: &mut PgConnection, s: &CalloutSettings, created_by: Option<i64>) -> Result<Callout, DbError> {
    let sql = format!(
        "INSERT INTO callouts (created_by, {SETTING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id"
    );
    let q = sqlx::query_scalar::<_, i64>(&sql).bind(created_by);
    let id = bind_settings!(q, s).fetch_one(&mut *tx).await?;
    get(&mut *tx, id).await
}

pub async fn update(tx: &mut PgConnection, id: i64, s: &CalloutSettings) -> Result<Callout, DbError> {
    let q = sqlx::query(
        "UPDATE callouts SET name = $2, description = $3, max_calls_per_run = $4, strategy = $5,
         min_calls_per_run = $6, max_calls_per_period = $7, period_hours = $8, max_concurrent_calls = $9,
         calls_per_second = $10, retry_statuses = $11, max_attempts = $12, retry_delay_minutes = $13,
         calling_days = $14, calling_hours_start = $15, calling_hours_end = $16, time_zone = $17, caller_id = $18,
         script_url = $19, script_method = $20, twiml = $21, updated_at = now()
         WHERE id = $1",
    )
    .bind(id);
    let done = bind_settings!(q, s).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    get(&mut *tx, id).await
}

pub async fn get<'e>(db: impl sqlx::PgExecutor<'e>, id: i64) -> Result<Callout, DbError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(Callout::from).ok_or(DbError::NotFound)
}

/// The callout, share-locked until the transaction ends: a status change (which takes the row
/// `FOR UPDATE`) waits for the dialer's round, or the round sees the change — a pause that has
/// answered never lets a round that started before it place calls after it.
pub async fn get_locked(tx: &mut sqlx::PgConnection, id: i64) -> Result<Callout, DbError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = $1 FOR SHARE"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    row.map(Callout::from).ok_or(DbError::NotFound)
}

pub async fn list(
    db: &PgPool,
    status: Option<CalloutStatus>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<Callout>, i64), DbError> {
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM callouts WHERE ($1::text IS NULL OR status = $1)")
        .bind(status)
        .fetch_one(db)
        .await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1::text IS NULL OR status = $1) ORDER BY id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(status)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(db)
    .await?;
    Ok((rows.into_iter().map(Callout::from).collect(), total))
}

/// Deletes a callout with its participations and calls; a running one must be stopped first.
pub async fn delete(tx: &mut PgConnection, id: i64) -> Result<(), DbError> {
    let status: Option<CalloutStatus> = sqlx::query_scalar("SELECT status FROM callouts WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    match status {
        None => return Err(DbError::NotFound),
        Some(CalloutStatus::Running) => {
            return Err(DbError::Conflict(
                "status: a running callout cannot be deleted; stop it first".into(),
            ));
        }
        Some(_) => {}
    }
    sqlx::query("DELETE FROM callouts WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Applies a start/pause/resume/stop event, or says why it is refused (nothing changed).
pub async fn apply_event(
    tx: &mut PgConnection,
    id: i64,
    event: CalloutEvent,
) -> Result<Result<Callout, TransitionRefused>, DbError> {
    let from: CalloutStatus = sqlx::query_scalar("SELECT status FROM callouts WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(DbError::NotFound)?;
    let to = match transition(from, event) {
        Ok(to) => to,
        Err(refused) => return Ok(Err(refused)),
    };
    sqlx::query(
        "UPDATE callouts SET status = $2, updated_at = now(),
         started_at = CASE WHEN $2::text = 'running' THEN coalesce(started_at, now()) ELSE started_at END
         WHERE id = $1",
    )
    .bind(id)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    Ok(Ok(get(&mut *tx, id).await?))
}

/// The callouts the dialer visits.
pub async fn running_ids(db: &PgPool) -> Result<Vec<i64>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM callouts WHERE status = 'running' ORDER BY id")
            .fetch_all(db)
            .await?,
    )
}

/// The team's time zone (calling hours default to it).
pub async fn team_time_zone<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<String, DbError> {
    Ok(sqlx::query_scalar("SELECT time_zone FROM team_settings")
        .fetch_optional(db)
        .await?
        .unwrap_or_else(|| "Europe/Madrid".to_string()))
}

/// Caller-id rules by prefix.
pub async fn caller_id_rules<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<Vec<(String, String)>, DbError> {
    Ok(
        sqlx::query_as("SELECT prefix, caller_id FROM caller_ids ORDER BY prefix")
            .fetch_all(db)
            .await?,
    )
}

pub async fn set_caller_id_rule(tx: &mut PgConnection, prefix: &str, caller_id: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO caller_ids (prefix, caller_id) VALUES ($1, $2)
         ON CONFLICT (prefix) DO UPDATE SET caller_id = excluded.caller_id",
    )
    .bind(prefix)
    .bind(caller_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Removes a caller-id rule; false when there was none.
pub async fn delete_caller_id_rule(tx: &mut PgConnection, prefix: &str) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM caller_ids WHERE prefix = $1")
        .bind(prefix)
        .execute(tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub use crate::callouts::rules::callout::{Bucket, CalloutStats as Stats};

/// A line of the callout list: the callout and its progress.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Summary {
    pub id: i64,
    pub name: String,
    pub status: CalloutStatus,
    pub participations: i64,
    pub done: i64,
    pub answered: i64,
    pub calls_in_flight: i64,
    pub created_at: DateTime<Utc>,
}

/// Every callout, newest first, with its progress.
pub async fn summaries(db: &PgPool) -> Result<Vec<Summary>, DbError> {
    Ok(sqlx::query_as(
        "SELECT co.id, co.name, co.status,
             coalesce(p.total, 0) AS participations, coalesce(p.done, 0) AS done,
             coalesce(p.answered, 0) AS answered, coalesce(f.n, 0) AS calls_in_flight, co.created_at
         FROM callouts co
         LEFT JOIN (SELECT callout_id, count(*) AS total, count(*) FILTER (WHERE state = 'done') AS done,
                        count(*) FILTER (WHERE answered) AS answered
                    FROM participations GROUP BY callout_id) p ON p.callout_id = co.id
         LEFT JOIN (SELECT callout_id, count(*) AS n FROM calls
                    WHERE status = ANY($1)
                    GROUP BY callout_id) f ON f.callout_id = co.id
         ORDER BY co.id DESC",
    )
    .bind(&CallStatus::IN_FLIGHT[..])
    .fetch_all(db)
    .await?)
}

pub async fn stats(db: &PgPool, id: i64) -> Result<Stats, DbError> {
    let (participations, remaining, answered): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE state <> 'done'), count(*) FILTER (WHERE answered)
         FROM participations WHERE callout_id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    let by_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM calls WHERE callout_id = $1 GROUP BY status")
            .bind(id)
            .fetch_all(db)
            .await?;
    let by_attempts: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT attempts, count(*) FROM participations WHERE callout_id = $1 GROUP BY attempts ORDER BY attempts",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let buckets: Vec<(DateTime<Utc>, String, i64)> = sqlx::query_as(
        "SELECT date_bin('10 minutes', sent_at, timestamptz '2000-01-01'), status, count(*)
         FROM calls WHERE callout_id = $1 AND sent_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let mut per_10: Vec<Bucket> = Vec::new();
    for (start, status, n) in buckets {
        match per_10.last_mut() {
            Some(b) if b.start == start => {
                b.calls.insert(status, n);
            }
            _ => per_10.push(Bucket {
                start,
                calls: BTreeMap::from([(status, n)]),
            }),
        }
    }
    let calls_by_status: BTreeMap<String, i64> = by_status.into_iter().collect();
    let in_flight = CallStatus::IN_FLIGHT
        .iter()
        .filter_map(|s| calls_by_status.get(s.as_str()))
        .sum();
    Ok(Stats {
        participations,
        remaining,
        answered,
        calls_in_flight: in_flight,
        calls_total: calls_by_status.values().sum(),
        calls_by_status,
        participations_by_attempts: by_attempts.into_iter().collect(),
        calls_per_10_minutes: per_10,
    })
}
