use super::{DbError, PgPool, conflict_as};
use crate::accounts::TokenSummary;
use crate::accounts::rules::tokens::Scope;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    scopes: Vec<String>,
    prefix: String,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

fn scopes_of(raw: &[String]) -> Vec<Scope> {
    raw.iter().filter_map(|s| Scope::parse(s)).collect()
}

/// A machine that presented a valid, unrevoked token.
#[derive(Clone, Debug)]
pub struct TokenHolder {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
}

pub async fn insert(
    db: &mut PgConnection,
    name: &str,
    scopes: &[Scope],
    token_hash: &str,
    prefix: &str,
    created_by: Option<i64>,
) -> Result<i64, DbError> {
    // Stored as a set: sorted, each scope once.
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    sqlx::query_scalar(
        "INSERT INTO api_tokens (name, scopes, token_hash, prefix, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(scopes)
    .bind(token_hash)
    .bind(prefix)
    .bind(created_by)
    .fetch_one(db)
    .await
    .map_err(conflict_as("token collision, create it again"))
}

pub async fn list(db: &PgPool) -> Result<Vec<TokenSummary>, DbError> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT t.id, t.name, t.scopes, t.prefix, u.username AS created_by, t.created_at, t.last_used_at, t.revoked_at
         FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by
         ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenSummary {
            id: r.id,
            name: r.name,
            scopes: scopes_of(&r.scopes),
            prefix: r.prefix,
            created_by: r.created_by,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
        .collect())
}

/// Revokes a token; revoking one already revoked is refused so the caller learns it was stale.
pub async fn revoke(db: &mut PgConnection, id: i64) -> Result<(), DbError> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Looks a presented token up by its hash and records its use. The last-used time is written
/// at most once a minute so a busy PBX does not turn every request into a write.
pub async fn authenticate(db: &PgPool, token_hash: &str) -> Result<Option<TokenHolder>, DbError> {
    type Row = (i64, String, Vec<String>, Option<DateTime<Utc>>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, name, scopes, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    let Some((id, name, scopes, last_used)) = row else {
        return Ok(None);
    };
    if last_used.is_none_or(|t| Utc::now() - t > chrono::Duration::seconds(60)) {
        sqlx::query("UPDATE api_tokens SET last_used_at = now() WHERE id = $1")
            .bind(id)
            .execute(db)
            .await?;
    }
    Ok(Some(TokenHolder {
        id,
        name,
        scopes: scopes_of(&scopes),
    }))
}
