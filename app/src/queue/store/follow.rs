use super::DbError;
use crate::queue::rules::follow::Wanted;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

/// The people in the published timetable's seats of `day`'s turn `turn`: those with an
/// extension as members (interface from `template`), the handles of those without one.
pub async fn on_duty(
    db: impl sqlx::PgExecutor<'_>,
    day: NaiveDate,
    turn: usize,
    template: &str,
) -> Result<(Vec<Wanted>, Vec<String>), DbError> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT p.handle, p.full_name, p.extension
           FROM rota_seats s
           JOIN rota_weeks w ON w.monday = s.monday AND w.status = 'published'
           JOIN people p ON p.id = s.person_id
          WHERE s.day = $1 AND s.turn = $2
          ORDER BY s.line",
    )
    .bind(day)
    .bind(turn as i16)
    .fetch_all(db)
    .await?;
    let mut wanted = Vec::new();
    let mut missing = Vec::new();
    for (handle, name, ext) in rows {
        match ext.filter(|e| !e.trim().is_empty()) {
            Some(e) => wanted.push(Wanted {
                handle,
                name,
                interface: crate::queue::rules::ami::interface_for(template, e.trim()),
            }),
            None => missing.push(handle),
        }
    }
    Ok((wanted, missing))
}

/// The interfaces Switchboard added to `queue`.
pub async fn ours(db: impl sqlx::PgExecutor<'_>, queue: &str) -> Result<Vec<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT interface FROM queue_members WHERE queue = $1 ORDER BY interface")
            .bind(queue)
            .fetch_all(db)
            .await?,
    )
}

pub async fn added(conn: &mut PgConnection, queue: &str, w: &Wanted) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO queue_members (queue, interface, handle) VALUES ($1, $2, $3)
         ON CONFLICT (queue, interface) DO UPDATE SET handle = EXCLUDED.handle, added_at = now()",
    )
    .bind(queue)
    .bind(&w.interface)
    .bind(&w.handle)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn removed(conn: &mut PgConnection, queue: &str, interface: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM queue_members WHERE queue = $1 AND interface = $2")
        .bind(queue)
        .bind(interface)
        .execute(conn)
        .await?;
    Ok(())
}

/// Claims a boundary: true for the one instance that applies it.
pub async fn claim_boundary(
    db: impl sqlx::PgExecutor<'_>,
    queue: &str,
    starts_at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let claimed: Option<i32> = sqlx::query_scalar(
        "INSERT INTO queue_boundaries (queue, starts_at) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING 1",
    )
    .bind(queue)
    .bind(starts_at)
    .fetch_optional(db)
    .await?;
    Ok(claimed.is_some())
}

/// Gives a claimed boundary back (its changes could not be made): the next look retries it.
pub async fn release_boundary(
    db: impl sqlx::PgExecutor<'_>,
    queue: &str,
    starts_at: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM queue_boundaries WHERE queue = $1 AND starts_at = $2")
        .bind(queue)
        .bind(starts_at)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn log(
    conn: &mut PgConnection,
    queue: &str,
    source: &str,
    who: Option<&str>,
    what: &str,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO queue_log (queue, source, who, what) VALUES ($1, $2, $3, $4)")
        .bind(queue)
        .bind(source)
        .bind(who)
        .bind(what)
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest entries of the log, newest first.
pub async fn recent(
    db: impl sqlx::PgExecutor<'_>,
    queue: &str,
    limit: i64,
) -> Result<Vec<(DateTime<Utc>, String, Option<String>, String)>, DbError> {
    Ok(
        sqlx::query_as("SELECT at, source, who, what FROM queue_log WHERE queue = $1 ORDER BY id DESC LIMIT $2")
            .bind(queue)
            .bind(limit)
            .fetch_all(db)
            .await?,
    )
}
