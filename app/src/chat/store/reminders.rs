use super::DbError;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Claims the reminder of the turn starting at `starts_at` for `message`: true for the one
/// caller (across instances) that may send it. Inside the transaction that inserts the message.
pub async fn claim(conn: &mut PgConnection, starts_at: DateTime<Utc>, message: i64) -> Result<bool, DbError> {
    let r = sqlx::query("INSERT INTO chat_reminders (starts_at, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(starts_at)
        .bind(message)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether the turn starting at `starts_at` was reminded already.
pub async fn exists(db: impl sqlx::PgExecutor<'_>, starts_at: DateTime<Utc>) -> Result<bool, DbError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM chat_reminders WHERE starts_at = $1)")
            .bind(starts_at)
            .fetch_one(db)
            .await?,
    )
}

/// Claims the end-of-day statistics of `day` for `message`: true for the one caller (across
/// instances) that may send them. Inside the transaction that inserts the message.
pub async fn claim_day(conn: &mut PgConnection, day: chrono::NaiveDate, message: i64) -> Result<bool, DbError> {
    let r = sqlx::query("INSERT INTO chat_day_statistics (day, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(day)
        .bind(message)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether the statistics of `day` were posted already.
pub async fn day_posted(db: impl sqlx::PgExecutor<'_>, day: chrono::NaiveDate) -> Result<bool, DbError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM chat_day_statistics WHERE day = $1)")
            .bind(day)
            .fetch_one(db)
            .await?,
    )
}
