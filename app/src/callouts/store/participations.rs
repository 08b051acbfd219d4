//! Participations: a contact in a callout (at most once), with its attempts and whether it was
//! answered. Populated from a contact filter or a list of ids in one `INSERT … SELECT`.
use super::contacts::{FilterArgs, Page, filter_sql};
use super::{DbError, PgPool};
use crate::callouts::rules::settings::ContactFilter;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Participation {
    pub id: i64,
    pub callout_id: i64,
    pub contact_id: i64,
    pub phone: String,
    pub name: String,
    /// pending, calling or done.
    pub state: String,
    /// answered, max_attempts or not_retried (when done).
    pub done_reason: Option<String>,
    pub attempts: i32,
    pub answered: bool,
    #[schema(value_type = Option<crate::callouts::rules::calls::CallStatus>)]
    pub last_call_status: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_by: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT p.id, p.callout_id, p.contact_id, c.phone, c.name, p.state, p.done_reason, p.attempts,
    p.answered, p.last_call_status, p.next_attempt_at, p.claimed_by, p.lease_until, p.created_at, p.updated_at
    FROM participations p JOIN contacts c ON c.id = p.contact_id";

async fn callout_exists<'e>(db: impl sqlx::PgExecutor<'e>, callout_id: i64) -> Result<(), DbError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM callouts WHERE id = $1")
        .bind(callout_id)
        .fetch_optional(db)
        .await?;
    found.map(|_| ()).ok_or(DbError::NotFound)
}

/// Adds every contact matching `filter` that is not in the callout yet; returns how many.
pub async fn populate(tx: &mut PgConnection, callout_id: i64, filter: &ContactFilter) -> Result<u64, DbError> {
    callout_exists(&mut *tx, callout_id).await?;
    let args = FilterArgs::from(filter);
    let done = sqlx::query(&format!(
        "INSERT INTO participations (callout_id, contact_id)
         SELECT $1, c.id FROM contacts c WHERE {} ORDER BY c.id
         ON CONFLICT (callout_id, contact_id) DO NOTHING",
        filter_sql(2)
    ))
    .bind(callout_id)
    .bind(&args.search)
    .bind(&args.tags)
    .bind(&args.metadata)
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

/// Adds these contacts (unknown ids are skipped); returns how many were added.
pub async fn populate_ids(tx: &mut PgConnection, callout_id: i64, contact_ids: &[i64]) -> Result<u64, DbError> {
    callout_exists(&mut *tx, callout_id).await?;
    let done = sqlx::query(
        "INSERT INTO participations (callout_id, contact_id)
         SELECT $1, c.id FROM contacts c WHERE c.id = ANY($2) ORDER BY c.id
         ON CONFLICT (callout_id, contact_id) DO NOTHING",
    )
    .bind(callout_id)
    .bind(contact_ids)
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

pub use crate::callouts::rules::callout::ParticipationFilter;

const FILTER: &str = "p.callout_id = $1 AND ($2::text IS NULL OR p.state = $2)
    AND ($3::boolean IS NULL OR p.answered = $3) AND ($4::text IS NULL OR p.last_call_status = $4)
    AND ($5::text IS NULL OR c.name ILIKE $5 OR c.phone LIKE $5)";

pub async fn list(
    db: &PgPool,
    callout_id: i64,
    f: &ParticipationFilter,
    page: i64,
    per_page: i64,
) -> Result<Page<Participation>, DbError> {
    callout_exists(db, callout_id).await?;
    let search = f
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(super::contacts::contains_pattern);
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM participations p JOIN contacts c ON c.id = p.contact_id WHERE {FILTER}"
    ))
    .bind(callout_id)
    .bind(&f.state)
    .bind(f.answered)
    .bind(&f.last_call_status)
    .bind(&search)
    .fetch_one(db)
    .await?;
    let items: Vec<Participation> =
        sqlx::query_as(&format!("{SELECT} WHERE {FILTER} ORDER BY p.id LIMIT $6 OFFSET $7"))
            .bind(callout_id)
            .bind(&f.state)
            .bind(f.answered)
            .bind(&f.last_call_status)
            .bind(&search)
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

/// Every participation of a callout matching `f`, in order (for the CSV export).
pub async fn all(db: &PgPool, callout_id: i64, f: &ParticipationFilter) -> Result<Vec<Participation>, DbError> {
    let total = list(db, callout_id, f, 1, 1).await?.total;
    Ok(list(db, callout_id, f, 1, total.max(1)).await?.items)
}

pub async fn get(db: &PgPool, id: i64) -> Result<Participation, DbError> {
    sqlx::query_as(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(DbError::NotFound)
}

/// A participation the dialer claimed: call it now.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    /// This attempt's number (1 for the first call).
    pub attempts: i32,
    pub phone: String,
}

/// Calling hours as the claim applies them: in each contact's zone, else `default_zone`.
#[derive(Clone, Debug)]
pub struct HoursFilter {
    pub hours: crate::callouts::rules::pacing::CallingHours,
    pub default_zone: String,
}

/// Claims up to `n` due participations of a callout for `instance` until `lease_secs` from now:
/// they move to `calling` with one more attempt. Rows locked by another transaction are skipped;
/// with `hours`, so are contacts outside their calling hours (SQL `within_calling_hours`, the
/// same rule as `CallingHours::contains`).
pub async fn claim(
    tx: &mut sqlx::PgConnection,
    callout_id: i64,
    n: i64,
    instance: &str,
    lease_secs: f64,
    hours: Option<&HoursFilter>,
) -> Result<Vec<Claimed>, DbError> {
    let days = hours.map(|h| crate::callouts::rules::settings::day_numbers(&h.hours.days));
    Ok(sqlx::query_as(
        "WITH due AS (
             SELECT p.id FROM participations p JOIN contacts c ON c.id = p.contact_id
             WHERE p.callout_id = $1 AND p.state = 'pending' AND p.next_attempt_at <= now()
               AND ($5::smallint[] IS NULL OR within_calling_hours(
                       now() AT TIME ZONE coalesce(c.time_zone, $8), $5, $6, $7))
             ORDER BY p.next_attempt_at, p.id
             LIMIT $2
             FOR UPDATE OF p SKIP LOCKED
         )
         UPDATE participations p SET state = 'calling', attempts = p.attempts + 1, claimed_by = $3,
             lease_until = now() + make_interval(secs => $4), updated_at = now()
         FROM due, contacts c
         WHERE p.id = due.id AND c.id = p.contact_id
         RETURNING p.id, p.attempts, c.phone",
    )
    .bind(callout_id)
    .bind(n)
    .bind(instance)
    .bind(lease_secs)
    .bind(days)
    .bind(hours.map(|h| h.hours.start))
    .bind(hours.map(|h| h.hours.end))
    .bind(hours.map(|h| h.default_zone.as_str()))
    .fetch_all(&mut *tx)
    .await?)
}
