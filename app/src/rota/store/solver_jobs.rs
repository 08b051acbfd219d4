//! Solver runs: queued by a coordinator, claimed by one worker (any instance) with a lease.
use super::{DbError, PgPool};
use crate::rota::JobStatus;
use crate::rota::rules::solver::Progress;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub monday: NaiveDate,
    pub status: JobStatus,
    pub repair: bool,
    pub seed: i64,
    pub time_limit_s: f64,
    #[sqlx(json(nullable))]
    pub progress: Option<Progress>,
    pub error: Option<String>,
    pub stop_requested: bool,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

crate::text_enum!(JobStatus);

const COLUMNS: &str =
    "id, monday, status, repair, seed, time_limit_s, progress, error, stop_requested, created_at, finished_at";

/// Queues a run; refused while another run of the same week is queued or running.
pub async fn create(
    db: impl sqlx::PgExecutor<'_>,
    monday: NaiveDate,
    seed: i64,
    time_limit_s: f64,
    repair: bool,
    by: Option<i64>,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO solver_jobs (monday, seed, time_limit_s, repair, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(monday)
    .bind(seed)
    .bind(time_limit_s)
    .bind(repair)
    .bind(by)
    .fetch_one(db)
    .await
    .map_err(super::conflict_as("A solver run for this week is already going: wait for it or stop it."))
}

/// The latest run of a week.
pub async fn latest(db: &PgPool, monday: NaiveDate) -> Result<Option<Job>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM solver_jobs WHERE monday = $1 ORDER BY id DESC LIMIT 1"
    ))
    .bind(monday)
    .fetch_optional(db)
    .await?)
}

/// Takes the oldest waiting run (or one whose worker's lease ran out) for `worker`.
pub async fn claim(db: &PgPool, worker: &str, lease_s: f64) -> Result<Option<Job>, DbError> {
    Ok(sqlx::query_as(&format!(
        "UPDATE solver_jobs SET status = 'running', claimed_by = $1,
             lease_until = clock_timestamp() + make_interval(secs => $2)
         WHERE id = (SELECT id FROM solver_jobs
                     WHERE status = 'queued' OR (status = 'running' AND lease_until < clock_timestamp())
                     ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
         RETURNING {COLUMNS}"
    ))
    .bind(worker)
    .bind(lease_s)
    .fetch_optional(db)
    .await?)
}

/// Records progress, extends the lease, and says whether a stop was asked for.
pub async fn heartbeat(
    db: impl sqlx::PgExecutor<'_>,
    id: i64,
    worker: &str,
    lease_s: f64,
    progress: Option<&Progress>,
) -> Result<bool, DbError> {
    let stop: Option<bool> = sqlx::query_scalar(
        "UPDATE solver_jobs SET progress = coalesce($3, progress), lease_until = clock_timestamp() + make_interval(secs => $4)
         WHERE id = $1 AND claimed_by = $2 RETURNING stop_requested",
    )
    .bind(id)
    .bind(worker)
    .bind(progress.map(sqlx::types::Json))
    .bind(lease_s)
    .fetch_optional(db)
    .await?;
    // Lost the claim (lease expired and someone else took it): stop too.
    Ok(stop.unwrap_or(true))
}

/// Whether `worker` still holds the run: its lease may have run out and another worker taken it.
pub async fn holds(db: impl sqlx::PgExecutor<'_>, id: i64, worker: &str) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM solver_jobs WHERE id = $1 AND claimed_by = $2 AND status = 'running')",
    )
    .bind(id)
    .bind(worker)
    .fetch_one(db)
    .await?)
}

/// Whether `worker` still holds the run, taking the run's row lock for the rest of the
/// transaction when it does: no other worker can take the run over (its claim skips locked
/// rows, a heartbeat waits) until the caller commits.
pub async fn lock_held(tx: &mut sqlx::PgConnection, id: i64, worker: &str) -> Result<bool, DbError> {
    let held: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM solver_jobs WHERE id = $1 AND claimed_by = $2 AND status = 'running' FOR UPDATE",
    )
    .bind(id)
    .bind(worker)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(held.is_some())
}

/// Ends `worker`'s run; does nothing (and says so) when another worker has taken it since.
pub async fn finish(
    db: impl sqlx::PgExecutor<'_>,
    id: i64,
    worker: &str,
    status: JobStatus,
    error: Option<&str>,
) -> Result<bool, DbError> {
    let n = sqlx::query(
        "UPDATE solver_jobs SET status = $2, error = $3, finished_at = now(), lease_until = NULL
         WHERE id = $1 AND claimed_by = $4",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(worker)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Asks the week's running or queued run to stop; a queued one stops at once.
pub async fn request_stop(db: impl sqlx::PgExecutor<'_>, monday: NaiveDate) -> Result<bool, DbError> {
    let n = sqlx::query(
        "UPDATE solver_jobs SET stop_requested = true,
             status = CASE WHEN status = 'queued' THEN 'stopped' ELSE status END,
             finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
         WHERE monday = $1 AND status IN ('queued', 'running')",
    )
    .bind(monday)
    .execute(db)
    .await?
    .rows_affected();
    Ok(n > 0)
}
