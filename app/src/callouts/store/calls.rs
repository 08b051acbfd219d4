//! Calls: the attempts to reach a participation. Every change of status goes through
//! [`apply_provider`] or [`finish`], which lock the call row, apply the domain's monotonic state
//! machine (so duplicate and out-of-order news change nothing), and, when the call is over,
//! settle its participation with the callout's retry policy.
use super::contacts::Page;
use super::{DbError, PgPool};
use crate::callouts::rules::calls::RetryPolicy;
use crate::callouts::rules::calls::{
    CallStatus, DoneReason, INSTANCE_GONE_AFTER, LOOKUP_EVERY, Outcome, ProviderStatus, QUIET_QUEUED, QUIET_RINGING,
    QUIET_TALKING, RetryDecision, apply_provider_status, decide_retry,
};
use crate::callouts::rules::pacing::PacingState;
use crate::callouts::rules::settings::statuses_of;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Call {
    pub id: i64,
    pub participation_id: i64,
    pub callout_id: i64,
    pub attempt: i32,
    pub phone: String,
    pub caller_id: Option<String>,
    #[schema(value_type = CallStatus)]
    pub status: String,
    pub provider_sid: Option<String>,
    pub provider_status: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub remote_queued_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<i32>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub placed_by: Option<String>,
    /// Every status the call took: `{status, provider_status, source, at}`.
    #[schema(value_type = Vec<Object>)]
    pub history: Json<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT id, participation_id, callout_id, attempt, phone, caller_id, status, provider_sid,
    provider_status, sent_at, remote_queued_at, answered_at, completed_at, duration_secs, error_code, error_message,
    last_polled_at, placed_by, history, created_at, updated_at FROM calls";

/// Which calls to list.
#[derive(Clone, Debug, Default)]
pub struct CallFilter {
    pub callout_id: Option<i64>,
    pub participation_id: Option<i64>,
    pub status: Option<String>,
}

pub async fn list(db: &PgPool, f: &CallFilter, page: i64, per_page: i64) -> Result<Page<Call>, DbError> {
    const WHERE: &str =
        "WHERE ($1::bigint IS NULL OR callout_id = $1) AND ($2::bigint IS NULL OR participation_id = $2)
        AND ($3::text IS NULL OR status = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM calls {WHERE}"))
        .bind(f.callout_id)
        .bind(f.participation_id)
        .bind(&f.status)
        .fetch_one(db)
        .await?;
    let items: Vec<Call> = sqlx::query_as(&format!("{SELECT} {WHERE} ORDER BY id LIMIT $4 OFFSET $5"))
        .bind(f.callout_id)
        .bind(f.participation_id)
        .bind(&f.status)
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(db)
        .await?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

pub async fn get(db: &PgPool, id: i64) -> Result<Call, DbError> {
    sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(DbError::NotFound)
}

crate::text_enum!(CallStatus);

/// The counts the pacing limits need, read from the calls themselves (so every instance sees the
/// same numbers): calls awaiting completion, sent in the period, sent in the last second.
pub async fn pacing_state(tx: &mut PgConnection, callout_id: i64, period_hours: u32) -> Result<PacingState, DbError> {
    let (awaiting, in_period, last_second): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = ANY($3)),
                count(*) FILTER (WHERE sent_at > now() - make_interval(hours => $2)),
                count(*) FILTER (WHERE sent_at > now() - interval '1 second')
         FROM calls
         WHERE callout_id = $1
           AND (status = ANY($3) OR sent_at > now() - make_interval(hours => $2))",
    )
    .bind(callout_id)
    .bind(period_hours as i32)
    .bind(&CallStatus::IN_FLIGHT[..])
    .fetch_one(&mut *tx)
    .await?;
    let n = |v: i64| v.clamp(0, u32::MAX as i64) as u32;
    Ok(PacingState {
        awaiting_completion: n(awaiting),
        sent_in_period: n(in_period),
        sent_last_second: n(last_second),
    })
}

/// A call to create for a claimed participation.
#[derive(Clone, Debug)]
pub struct NewCall {
    pub participation_id: i64,
    pub attempt: i32,
    pub phone: String,
    pub caller_id: Option<String>,
    /// Its send slot (a callout with a calls-per-second limit), else `None`.
    pub send_at: Option<DateTime<Utc>>,
}

/// Creates the calls of claimed participations, already handed to the worker (`queued`) and
/// counted as sent from now (`sent_at` is the call's send slot when it has one, else now). Times of sending and ending are `clock_timestamp()` (not the
/// transaction's start), so the recorded history orders them as they happened. Returns their ids, in the order given.
pub async fn insert_queued(
    tx: &mut PgConnection,
    callout_id: i64,
    instance: &str,
    calls: &[NewCall],
) -> Result<Vec<i64>, DbError> {
    let pids: Vec<i64> = calls.iter().map(|c| c.participation_id).collect();
    let attempts: Vec<i32> = calls.iter().map(|c| c.attempt).collect();
    let phones: Vec<&str> = calls.iter().map(|c| c.phone.as_str()).collect();
    let callers: Vec<Option<&str>> = calls.iter().map(|c| c.caller_id.as_deref()).collect();
    let slots: Vec<Option<DateTime<Utc>>> = calls.iter().map(|c| c.send_at).collect();
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "INSERT INTO calls (participation_id, callout_id, attempt, phone, caller_id, status, sent_at, send_at, placed_by, history)
         SELECT u.pid, $1, u.attempt, u.phone, u.caller_id, 'queued', coalesce(u.send_at, clock_timestamp()), u.send_at, $2,
                jsonb_build_array(jsonb_build_object('status', 'created', 'source', 'worker', 'at', now()),
                                  jsonb_build_object('status', 'queued', 'source', 'worker', 'at', now()))
         FROM unnest($3::bigint[], $4::int[], $5::text[], $6::text[], $7::timestamptz[])
              AS u(pid, attempt, phone, caller_id, send_at)
         RETURNING participation_id, id",
    )
    .bind(callout_id)
    .bind(instance)
    .bind(&pids)
    .bind(&attempts)
    .bind(&phones)
    .bind(&callers)
    .bind(&slots)
    .fetch_all(&mut *tx)
    .await?;
    let by_pid: std::collections::HashMap<i64, i64> = rows.into_iter().collect();
    Ok(pids.iter().filter_map(|p| by_pid.get(p).copied()).collect())
}

/// The provider accepted the call: record its CallSid (a callback may have moved it on already).
pub async fn record_remote(db: &PgPool, call_id: i64, sid: &str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    record_remote_in(&mut tx, call_id, sid).await?;
    tx.commit().await?;
    Ok(())
}

/// [`record_remote`] in the caller's transaction (a call adopted after a look-up).
pub async fn record_remote_in(tx: &mut PgConnection, call_id: i64, sid: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE calls SET provider_sid = $2, remote_queued_at = coalesce(remote_queued_at, now()), updated_at = now(),
             history = CASE WHEN status IN ('created', 'queued')
                 THEN history || jsonb_build_array(jsonb_build_object('status', 'remotely_queued', 'source', 'worker', 'at', now()))
                 ELSE history END,
             status = CASE WHEN status IN ('created', 'queued') THEN 'remotely_queued' ELSE status END
         WHERE id = $1",
    )
    .bind(call_id)
    .bind(sid)
    .execute(&mut *tx)
    .await?;
    // The provider has the call: the claim's lease is no longer needed.
    sqlx::query(
        "UPDATE participations SET lease_until = NULL
         WHERE id = (SELECT participation_id FROM calls WHERE id = $1) AND state = 'calling'",
    )
    .bind(call_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Notes a provider error on a call that stays in flight (a transient error at create: the
/// call may or may not have been placed; the claim's lease decides).
pub async fn note_error(db: &PgPool, call_id: i64, message: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE calls SET error_message = $2, updated_at = now() WHERE id = $1")
        .bind(call_id)
        .bind(message)
        .execute(db)
        .await?;
    Ok(())
}

/// A call row, locked for the rest of the transaction.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Locked {
    pub id: i64,
    pub callout_id: i64,
    pub participation_id: i64,
    pub status: String,
    pub provider_sid: Option<String>,
}

impl Locked {
    pub fn status(&self) -> CallStatus {
        CallStatus::parse(&self.status).unwrap_or(CallStatus::Created)
    }
}

const LOCK: &str = "SELECT id, callout_id, participation_id, status, provider_sid FROM calls";

pub async fn lock_by_sid(tx: &mut PgConnection, sid: &str) -> Result<Option<Locked>, DbError> {
    Ok(sqlx::query_as(&format!("{LOCK} WHERE provider_sid = $1 FOR UPDATE"))
        .bind(sid)
        .fetch_optional(&mut *tx)
        .await?)
}

pub async fn lock_by_id(tx: &mut PgConnection, id: i64) -> Result<Option<Locked>, DbError> {
    Ok(sqlx::query_as(&format!("{LOCK} WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?)
}

/// Where news of a call came from (kept in its history).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Worker,
    Callback,
    Poll,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Worker => "worker",
            Source::Callback => "callback",
            Source::Poll => "poll",
        }
    }
}

/// What applying news did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    pub call_id: i64,
    pub callout_id: i64,
    /// The call's status afterwards.
    pub status: CallStatus,
    /// Whether anything changed.
    pub changed: bool,
}

/// Applies a provider status (callback or poll) to a locked call.
pub async fn apply_provider(
    tx: &mut PgConnection,
    call: &Locked,
    sid: &str,
    status: ProviderStatus,
    duration_secs: Option<u32>,
    source: Source,
) -> Result<Applied, DbError> {
    let current = call.status();
    if call.provider_sid.is_none() && !sid.is_empty() {
        // The callback beat the worker's recording of the CallSid.
        sqlx::query("UPDATE calls SET provider_sid = $2 WHERE id = $1 AND provider_sid IS NULL")
            .bind(call.id)
            .bind(sid)
            .execute(&mut *tx)
            .await?;
    }
    match apply_provider_status(current, status) {
        Outcome::NoChange if !current.is_final() && status.call_status() == Some(current) => {
            // Same state, newer news (ringing → in-progress): kept, so that polling knows how long
            // the call may stay quiet; not a change of status.
            sqlx::query(
                "UPDATE calls SET provider_status = $2, updated_at = now(),
                     answered_at = CASE WHEN $2 = 'in-progress' THEN coalesce(answered_at, now()) ELSE answered_at END
                 WHERE id = $1 AND provider_status IS DISTINCT FROM $2",
            )
            .bind(call.id)
            .bind(status.as_str())
            .execute(&mut *tx)
            .await?;
            Ok(Applied {
                call_id: call.id,
                callout_id: call.callout_id,
                status: current,
                changed: false,
            })
        }
        Outcome::NoChange => Ok(Applied {
            call_id: call.id,
            callout_id: call.callout_id,
            status: current,
            changed: false,
        }),
        Outcome::Transition(next) => {
            sqlx::query(
                "UPDATE calls SET status = $2, provider_status = $3, updated_at = now(),
                     duration_secs = coalesce($4, duration_secs),
                     answered_at = CASE WHEN $3 = 'in-progress' OR $2 = 'completed' THEN coalesce(answered_at, now()) ELSE answered_at END,
                     completed_at = CASE WHEN $5 THEN clock_timestamp() ELSE completed_at END,
                     history = history || jsonb_build_array(jsonb_build_object(
                         'status', $2, 'provider_status', $3, 'source', $6, 'at', now()))
                 WHERE id = $1",
            )
            .bind(call.id)
            .bind(next.as_str())
            .bind(status.as_str())
            .bind(duration_secs.map(|d| d.min(i32::MAX as u32) as i32))
            .bind(next.is_final())
            .bind(source.as_str())
            .execute(&mut *tx)
            .await?;
            if next.is_final() {
                settle(tx, call.participation_id, next).await?;
            }
            Ok(Applied {
                call_id: call.id,
                callout_id: call.callout_id,
                status: next,
                changed: true,
            })
        }
    }
}

/// Ends a locked call with a status of our own (errored, expired), unless it is final already.
pub async fn finish(
    tx: &mut PgConnection,
    call: &Locked,
    status: CallStatus,
    error_code: Option<i64>,
    message: Option<&str>,
) -> Result<Applied, DbError> {
    let current = call.status();
    if current.is_final() {
        return Ok(Applied {
            call_id: call.id,
            callout_id: call.callout_id,
            status: current,
            changed: false,
        });
    }
    sqlx::query(
        "UPDATE calls SET status = $2, error_code = coalesce($3, error_code), error_message = coalesce($4, error_message),
             completed_at = clock_timestamp(), updated_at = now(),
             history = history || jsonb_build_array(jsonb_build_object('status', $2, 'source', 'worker', 'at', now()))
         WHERE id = $1",
    )
    .bind(call.id)
    .bind(status.as_str())
    .bind(error_code)
    .bind(message)
    .execute(&mut *tx)
    .await?;
    settle(tx, call.participation_id, status).await?;
    Ok(Applied {
        call_id: call.id,
        callout_id: call.callout_id,
        status,
        changed: true,
    })
}

/// After a call ended in `last`: the participation waits for its next attempt, or is done.
async fn settle(tx: &mut PgConnection, participation_id: i64, last: CallStatus) -> Result<(), DbError> {
    let (attempts, answered, statuses, max_attempts, delay): (i32, bool, Vec<String>, i32, i32) = sqlx::query_as(
        "SELECT p.attempts, p.answered, c.retry_statuses, c.max_attempts, c.retry_delay_minutes
         FROM participations p JOIN callouts c ON c.id = p.callout_id
         WHERE p.id = $1 FOR UPDATE OF p",
    )
    .bind(participation_id)
    .fetch_one(&mut *tx)
    .await?;
    let policy = RetryPolicy {
        statuses: statuses_of(&statuses),
        max_attempts: max_attempts.max(1) as u32,
        delay_minutes: delay.max(0) as u32,
    };
    let answered = answered || last.is_answered();
    let (state, reason, next_at) = match decide_retry(&policy, last, Utc::now(), attempts.max(0) as u32, answered) {
        RetryDecision::RetryAt(at) => ("pending", None, Some(at)),
        RetryDecision::Done(r) => (
            "done",
            Some(match r {
                DoneReason::Answered => "answered",
                DoneReason::MaxAttempts => "max_attempts",
                DoneReason::NotRetried(_) => "not_retried",
            }),
            None,
        ),
        RetryDecision::Wait => return Ok(()),
    };
    sqlx::query(
        "UPDATE participations SET state = $2, done_reason = $3, next_attempt_at = coalesce($4, next_attempt_at),
             answered = $5, last_call_status = $6, claimed_by = NULL, lease_until = NULL, updated_at = now()
         WHERE id = $1",
    )
    .bind(participation_id)
    .bind(state)
    .bind(reason)
    .bind(next_at)
    .bind(answered)
    .bind(last.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Calls at the provider whose news is overdue: quiet for longer than their last provider state
/// can last (`rules::calls::quiet_limit`), or placed by an instance that is gone and not polled
/// since. Marked as polled now and returned (id, CallSid) for the caller to ask the provider.
pub async fn take_due_polls(db: &PgPool, limit: i64) -> Result<Vec<(i64, String)>, DbError> {
    Ok(sqlx::query_as(
        "WITH due AS (
             SELECT k.id FROM calls k LEFT JOIN dialer_instances i ON i.name = k.placed_by
             WHERE k.status = ANY($2) AND k.provider_sid IS NOT NULL
               AND (greatest(k.updated_at, k.last_polled_at, k.sent_at) + make_interval(secs => CASE
                        WHEN k.provider_status IS NULL OR k.provider_status IN ('queued', 'initiated') THEN $3
                        WHEN k.provider_status = 'ringing' THEN $4
                        ELSE $5 END) <= now()
                    OR ((i.name IS NULL OR i.seen_at < now() - make_interval(secs => $6))
                        AND (k.last_polled_at IS NULL
                             OR k.last_polled_at < i.seen_at + make_interval(secs => $6))))
             ORDER BY k.id LIMIT $1
             FOR UPDATE OF k SKIP LOCKED
         )
         UPDATE calls SET last_polled_at = now() FROM due WHERE calls.id = due.id
         RETURNING calls.id, calls.provider_sid",
    )
    .bind(limit)
    .bind(&CallStatus::AT_PROVIDER[..])
    .bind(QUIET_QUEUED.num_seconds() as f64)
    .bind(QUIET_RINGING.num_seconds() as f64)
    .bind(QUIET_TALKING.num_seconds() as f64)
    .bind(INSTANCE_GONE_AFTER.num_seconds() as f64)
    .fetch_all(db)
    .await?)
}

/// A call whose outcome is unknown: handed to the provider (or about to be), no CallSid recorded.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Unknown {
    pub id: i64,
    pub phone: String,
    pub caller_id: Option<String>,
    pub sent_at: DateTime<Utc>,
}

/// Unconfirmed calls (no CallSid) whose claim's lease ran out, or whose instance is gone (and
/// that were sent more than [`INSTANCE_GONE_AFTER`] ago), not looked up in the last
/// [`LOOKUP_EVERY`]: marked as looked up now and returned, for the caller to ask the provider
/// whether it has them.
pub async fn take_unknown(db: &PgPool, limit: i64) -> Result<Vec<Unknown>, DbError> {
    Ok(sqlx::query_as(
        "WITH due AS (
             SELECT k.id FROM calls k JOIN participations p ON p.id = k.participation_id
                  LEFT JOIN dialer_instances i ON i.name = k.placed_by
             WHERE k.status IN ('created', 'queued') AND k.provider_sid IS NULL
               AND k.sent_at < now() - make_interval(secs => $2)
               AND (p.lease_until < now() OR i.name IS NULL OR i.seen_at < now() - make_interval(secs => $2))
               AND (k.last_polled_at IS NULL OR k.last_polled_at < now() - make_interval(secs => $3))
             ORDER BY k.id LIMIT $1
             FOR UPDATE OF k SKIP LOCKED
         )
         UPDATE calls SET last_polled_at = now() FROM due WHERE calls.id = due.id
         RETURNING calls.id, calls.phone, calls.caller_id, calls.sent_at",
    )
    .bind(limit)
    .bind(INSTANCE_GONE_AFTER.num_seconds() as f64)
    .bind(LOOKUP_EVERY.num_seconds() as f64)
    .fetch_all(db)
    .await?)
}

/// Which of these CallSids are already recorded on a call.
pub async fn known_sids(db: &PgPool, sids: &[String]) -> Result<Vec<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT provider_sid FROM calls WHERE provider_sid = ANY($1)")
            .bind(sids)
            .fetch_all(db)
            .await?,
    )
}

/// Calls still queued at the provider an hour after they were sent.
pub async fn expired_ids(db: &PgPool, limit: i64) -> Result<Vec<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM calls WHERE status = 'remotely_queued' AND sent_at <= now() - make_interval(secs => $2)
         ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .bind(crate::callouts::rules::calls::EXPIRE_AFTER.num_seconds() as f64)
    .fetch_all(db)
    .await?)
}
