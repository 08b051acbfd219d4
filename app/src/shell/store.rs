//! What every area's store shares: the pool, the embedded migrations, the error type.

pub use sqlx::PgPool;

/// The schema, embedded in the binary so `switchboard migrate` needs no files on disk.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique constraint refused the row; the string says what is taken.
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
}

/// Turns a unique-violation into a `Conflict` with a message a person can act on.
pub fn conflict_as(message: &str) -> impl FnOnce(sqlx::Error) -> DbError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DbError::Conflict(message.to_string()),
        _ => DbError::Sqlx(e),
    }
}
