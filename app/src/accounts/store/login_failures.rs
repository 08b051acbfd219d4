use super::{DbError, PgPool};

/// Consecutive failures for a user name and the seconds since the last one.
pub async fn get(db: &PgPool, username: &str) -> Result<Option<(u32, i64)>, DbError> {
    let row: Option<(i32, f64)> = sqlx::query_as(
        "SELECT failures, extract(epoch FROM now() - last_failure)::float8 FROM login_failures WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(n, secs)| (n.max(0) as u32, secs.floor() as i64)))
}

pub async fn record(db: &PgPool, username: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO login_failures (username, failures, last_failure) VALUES ($1, 1, now())
         ON CONFLICT (username) DO UPDATE SET last_failure = now(),
             failures = CASE WHEN login_failures.last_failure < now() - interval '1 hour' THEN 1
                             ELSE login_failures.failures + 1 END",
    )
    .bind(username)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn clear(db: &PgPool, username: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(db)
        .await?;
    Ok(())
}
