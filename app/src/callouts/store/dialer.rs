//! The dialer's own bookkeeping: its instances' heartbeats, and each callout's next free send
//! slot (see `rules::pacing::send_slots`).
use super::{DbError, PgPool};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Records that `instance` is alive (now, by the database's clock).
pub async fn heartbeat(db: &PgPool, instance: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO dialer_instances (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET seen_at = now()",
    )
    .bind(instance)
    .execute(db)
    .await?;
    Ok(())
}

/// An instance that stops cleanly says so: its calls in flight are then looked after by the
/// others' sweeps at once, instead of after its heartbeat has been silent long enough.
pub async fn retire(db: &PgPool, instance: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM dialer_instances WHERE name = $1")
        .bind(instance)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets instances not seen for a day (their calls are long settled).
pub async fn forget_old_instances(db: &PgPool) -> Result<u64, DbError> {
    Ok(
        sqlx::query("DELETE FROM dialer_instances WHERE seen_at < now() - interval '1 day'")
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// The callout's next free send slot (none yet: `None`), and the database's clock now. Call it
/// holding the callout's dialer lock.
pub async fn next_slot(
    tx: &mut PgConnection,
    callout_id: i64,
) -> Result<(Option<DateTime<Utc>>, DateTime<Utc>), DbError> {
    Ok(
        sqlx::query_as("SELECT (SELECT next_at FROM callout_send_slots WHERE callout_id = $1), clock_timestamp()")
            .bind(callout_id)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// Moves the callout's next free send slot to `next_at`.
pub async fn set_next_slot(tx: &mut PgConnection, callout_id: i64, next_at: DateTime<Utc>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO callout_send_slots (callout_id, next_at) VALUES ($1, $2)
         ON CONFLICT (callout_id) DO UPDATE SET next_at = excluded.next_at",
    )
    .bind(callout_id)
    .bind(next_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
