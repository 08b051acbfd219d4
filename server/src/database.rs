//! Connecting to PostgreSQL: the configured server, or the embedded cluster.
use crate::config::Config;
use crate::pg::{EmbeddedPg, PgError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("embedded PostgreSQL: {0}")]
    Embedded(#[from] PgError),
    #[error("connecting to PostgreSQL: {0}")]
    Connect(sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The URL of the server to use: the configured one, or the embedded cluster started on demand
/// with the configured database created in it.
pub async fn url(cfg: &Config) -> Result<String, DatabaseError> {
    if let Some(url) = &cfg.database_url {
        return Ok(url.clone());
    }
    let pg = EmbeddedPg::ensure(&cfg.data_dir, cfg.pg_port)?;
    create_database(&pg.url("postgres"), &cfg.db_name).await?;
    Ok(pg.url(&cfg.db_name))
}

/// Creates a database unless it exists (several processes may race to do it).
pub async fn create_database(server_url: &str, name: &str) -> Result<(), DatabaseError> {
    let mut conn = sqlx::PgConnection::connect(server_url)
        .await
        .map_err(DatabaseError::Connect)?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .map_err(DatabaseError::Connect)?;
    if !exists {
        // The name was checked to be [A-Za-z0-9_]; it cannot be a bind parameter here.
        if let Err(e) = sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
        {
            let raced = matches!(&e, sqlx::Error::Database(d) if d.code().as_deref() == Some("42P04") || d.code().as_deref() == Some("23505"));
            if !raced {
                return Err(DatabaseError::Connect(e));
            }
        }
    }
    Ok(())
}

pub async fn pool(url: &str, max: u32) -> Result<PgPool, DatabaseError> {
    let opts = PgConnectOptions::from_str(url).map_err(DatabaseError::Connect)?;
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(DatabaseError::Connect)
}

pub async fn migrate(db: &PgPool) -> Result<(), DatabaseError> {
    app::shell::store::MIGRATOR.run(db).await?;
    Ok(())
}
