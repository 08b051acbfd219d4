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

/// The hand changes of `queue` still in force at `now` (their turn has not ended).
pub async fn hand_changes(
    db: impl sqlx::PgExecutor<'_>,
    queue: &str,
    now: DateTime<Utc>,
) -> Result<Vec<crate::queue::rules::follow::HandChange>, DbError> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT handle, name, interface, kind FROM queue_hand_changes
          WHERE queue = $1 AND until > $2 ORDER BY interface",
    )
    .bind(queue)
    .bind(now)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(handle, name, interface, kind)| crate::queue::rules::follow::HandChange {
                wanted: Wanted {
                    handle,
                    name,
                    interface,
                },
                added: kind == "added",
            },
        )
        .collect())
}

/// Records a hand change (replacing an earlier one for the same member) until `until`.
pub async fn hand_change(
    conn: &mut PgConnection,
    queue: &str,
    w: &Wanted,
    added: bool,
    until: DateTime<Utc>,
    by: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO queue_hand_changes (queue, interface, handle, name, kind, until, by_user)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (queue, interface) DO UPDATE SET handle = EXCLUDED.handle, name = EXCLUDED.name,
           kind = EXCLUDED.kind, until = EXCLUDED.until, by_user = EXCLUDED.by_user, at = now()",
    )
    .bind(queue)
    .bind(&w.interface)
    .bind(&w.handle)
    .bind(&w.name)
    .bind(if added { "added" } else { "removed" })
    .bind(until)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `day` is a holiday or a day without service.
pub async fn is_holiday(db: impl sqlx::PgExecutor<'_>, day: NaiveDate) -> Result<bool, DbError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM holidays WHERE day = $1)")
            .bind(day)
            .fetch_one(db)
            .await?,
    )
}

/// A person of the rota who can be put in a queue by hand.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonPhone {
    pub handle: String,
    pub full_name: String,
    pub extension: Option<String>,
}

/// A person by handle (any case).
pub async fn person(db: impl sqlx::PgExecutor<'_>, handle: &str) -> Result<Option<PersonPhone>, DbError> {
    Ok(sqlx::query_as(
        "SELECT handle, full_name, NULLIF(btrim(extension), '') AS extension FROM people
          WHERE lower(handle) = lower($1) AND active",
    )
    .bind(handle)
    .fetch_optional(db)
    .await?)
}

/// The active people with an extension, by name (the console's select).
pub async fn people_with_extension(db: impl sqlx::PgExecutor<'_>) -> Result<Vec<PersonPhone>, DbError> {
    Ok(sqlx::query_as(
        "SELECT handle, full_name, extension FROM people
          WHERE active AND extension IS NOT NULL AND btrim(extension) <> ''
          ORDER BY full_name, handle",
    )
    .fetch_all(db)
    .await?)
}

/// The person with this extension (who a member is).
pub async fn person_by_extension(
    db: impl sqlx::PgExecutor<'_>,
    extension: &str,
) -> Result<Option<PersonPhone>, DbError> {
    Ok(
        sqlx::query_as("SELECT handle, full_name, extension FROM people WHERE extension = $1")
            .bind(extension)
            .fetch_optional(db)
            .await?,
    )
}

/// The extension of the rota person linked to a user account.
pub async fn extension_of_user(db: impl sqlx::PgExecutor<'_>, user_id: i64) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT NULLIF(btrim(extension), '') FROM people WHERE user_id = $1 AND active")
            .bind(user_id)
            .fetch_optional(db)
            .await?
            .flatten(),
    )
}
