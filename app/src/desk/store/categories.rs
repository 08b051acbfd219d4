//! Call categories: listed, created, changed, imported (by code: new ones created, known ones
//! changed) in the caller's transaction.
use super::{DbError, PgPool};
use crate::desk::Category;
use crate::desk::rules::annotation::{CategoryFields, CategoryKind};
use crate::shell::store::conflict_as;
use sqlx::PgConnection;

crate::text_enum!(CategoryKind);

const COLUMNS: &str = "id, code, name, colour, keywords, kind, enabled";
const TAKEN: &str = "another category has this code";

/// Every category (enabled ones only when `enabled_only`), by name.
pub async fn list(db: &PgPool, enabled_only: bool) -> Result<Vec<Category>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM call_categories WHERE enabled OR NOT $1 ORDER BY name, id"
    ))
    .bind(enabled_only)
    .fetch_all(db)
    .await?)
}

pub async fn create(tx: &mut PgConnection, c: &CategoryFields) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO call_categories (code, name, colour, keywords, kind, enabled)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&c.code)
    .bind(&c.name)
    .bind(&c.colour)
    .bind(&c.keywords)
    .bind(c.kind)
    .bind(c.enabled)
    .fetch_one(tx)
    .await
    .map_err(conflict_as(TAKEN))
}

pub async fn update(tx: &mut PgConnection, id: i64, c: &CategoryFields) -> Result<(), DbError> {
    let n = sqlx::query(
        "UPDATE call_categories SET code = $2, name = $3, colour = $4, keywords = $5, kind = $6, enabled = $7
          WHERE id = $1",
    )
    .bind(id)
    .bind(&c.code)
    .bind(&c.name)
    .bind(&c.colour)
    .bind(&c.keywords)
    .bind(c.kind)
    .bind(c.enabled)
    .execute(tx)
    .await
    .map_err(conflict_as(TAKEN))?
    .rows_affected();
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

/// Writes the rows of an import by code; returns (created, updated).
pub async fn import(tx: &mut PgConnection, rows: &[CategoryFields]) -> Result<(usize, usize), DbError> {
    let (mut created, mut updated) = (0, 0);
    for c in rows {
        let inserted: bool = sqlx::query_scalar(
            "INSERT INTO call_categories (code, name, colour, keywords, kind, enabled)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, colour = EXCLUDED.colour,
                 keywords = EXCLUDED.keywords, kind = EXCLUDED.kind, enabled = EXCLUDED.enabled
             RETURNING (xmax = 0)",
        )
        .bind(&c.code)
        .bind(&c.name)
        .bind(&c.colour)
        .bind(&c.keywords)
        .bind(c.kind)
        .bind(c.enabled)
        .fetch_one(&mut *tx)
        .await?;
        if inserted { created += 1 } else { updated += 1 }
    }
    Ok((created, updated))
}

/// Of these ids, those that are categories an agent may choose (enabled).
pub async fn enabled_among(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<i64>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM call_categories WHERE id = ANY($1) AND enabled ORDER BY id")
            .bind(ids)
            .fetch_all(conn)
            .await?,
    )
}
