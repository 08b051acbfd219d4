use super::DbError;
use crate::chat::rules::incident::Open;
use sqlx::PgConnection;

/// The open incidents.
pub async fn open(db: impl sqlx::PgExecutor<'_>) -> Result<Vec<Open>, DbError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT interface, name FROM chat_incidents WHERE ended_at IS NULL ORDER BY interface")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(interface, name)| Open { interface, name })
        .collect())
}

/// Opens an incident for `interface`: its id, or `None` when one is open already (another
/// instance saw it first).
pub async fn start(conn: &mut PgConnection, interface: &str, name: &str) -> Result<Option<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO chat_incidents (interface, name) VALUES ($1, $2)
         ON CONFLICT (interface) WHERE ended_at IS NULL DO NOTHING RETURNING id",
    )
    .bind(interface)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// Closes the open incident of `interface`: its id, or `None` when none is open (closed by
/// another instance).
pub async fn end(conn: &mut PgConnection, interface: &str) -> Result<Option<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "UPDATE chat_incidents SET ended_at = now() WHERE interface = $1 AND ended_at IS NULL RETURNING id",
    )
    .bind(interface)
    .fetch_optional(conn)
    .await?)
}

/// Records which message told of the incident's start or end.
pub async fn told(conn: &mut PgConnection, id: i64, message: i64, over: bool) -> Result<(), DbError> {
    sqlx::query(if over {
        "UPDATE chat_incidents SET over_id = $2 WHERE id = $1"
    } else {
        "UPDATE chat_incidents SET alert_id = $2 WHERE id = $1"
    })
    .bind(id)
    .bind(message)
    .execute(conn)
    .await?;
    Ok(())
}
