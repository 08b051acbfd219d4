//! The contact directory: people we call in callouts (and, later, who call the desk).
use super::{DbError, PgPool, conflict_as};
use crate::callouts::rules::settings::{ContactFields, ContactFilter};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use sqlx::types::Json;

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Contact {
    pub id: i64,
    /// E.164.
    pub phone: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub metadata: Json<Map<String, Value>>,
    pub tags: Vec<String>,
    pub time_zone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    pub fn fields(&self) -> ContactFields {
        ContactFields {
            phone: self.phone.clone(),
            name: self.name.clone(),
            metadata: self.metadata.0.clone(),
            tags: self.tags.clone(),
            time_zone: self.time_zone.clone(),
        }
    }
}

/// A page of results.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Page numbers start at 1; at most 1000 per page.
pub fn page_bounds(page: Option<i64>, per_page: Option<i64>) -> (i64, i64) {
    (page.unwrap_or(1).max(1), per_page.unwrap_or(50).clamp(1, 1000))
}

const COLUMNS: &str = "id, phone, name, metadata, tags, time_zone, created_at, updated_at";

/// `LIKE` pattern for "contains", with the wildcards of the search escaped.
pub(crate) fn contains_pattern(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The SQL condition of a filter on the contacts table aliased `c`, with its parameters at
/// `$first`, `$first+1`, `$first+2` (search pattern, tags, metadata).
pub(crate) fn filter_sql(first: usize) -> String {
    format!(
        "(${a}::text IS NULL OR c.name ILIKE ${a} OR c.phone LIKE ${a})
         AND (cardinality(${b}::text[]) = 0 OR c.tags @> ${b}::text[])
         AND (${c}::jsonb IS NULL OR c.metadata @> ${c}::jsonb)",
        a = first,
        b = first + 1,
        c = first + 2
    )
}

pub(crate) struct FilterArgs {
    pub search: Option<String>,
    pub tags: Vec<String>,
    pub metadata: Option<Value>,
}

impl From<&ContactFilter> for FilterArgs {
    fn from(f: &ContactFilter) -> Self {
        FilterArgs {
            search: f
                .search
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(contains_pattern),
            tags: f
                .tags
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            metadata: f
                .metadata
                .clone()
                .filter(|m| m.as_object().is_some_and(|o| !o.is_empty())),
        }
    }
}

pub async fn list(db: &PgPool, filter: &ContactFilter, page: i64, per_page: i64) -> Result<Page<Contact>, DbError> {
    let args = FilterArgs::from(filter);
    let cond = filter_sql(1);
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM contacts c WHERE {cond}"))
        .bind(&args.search)
        .bind(&args.tags)
        .bind(&args.metadata)
        .fetch_one(db)
        .await?;
    let items: Vec<Contact> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM contacts c WHERE {cond} ORDER BY c.id LIMIT $4 OFFSET $5"
    ))
    .bind(&args.search)
    .bind(&args.tags)
    .bind(&args.metadata)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(db)
    .await?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

pub async fn get(db: &PgPool, id: i64) -> Result<Contact, DbError> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM contacts WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(DbError::NotFound)
}

const TAKEN: &str = "phone: another contact has this number";

pub async fn create(tx: &mut PgConnection, f: &ContactFields) -> Result<Contact, DbError> {
    sqlx::query_as(&format!(
        "INSERT INTO contacts (phone, name, metadata, tags, time_zone) VALUES ($1, $2, $3, $4, $5)
         RETURNING {COLUMNS}"
    ))
    .bind(&f.phone)
    .bind(&f.name)
    .bind(Json(&f.metadata))
    .bind(&f.tags)
    .bind(&f.time_zone)
    .fetch_one(tx)
    .await
    .map_err(conflict_as(TAKEN))
}

pub async fn update(tx: &mut PgConnection, id: i64, f: &ContactFields) -> Result<Contact, DbError> {
    sqlx::query_as(&format!(
        "UPDATE contacts SET phone = $2, name = $3, metadata = $4, tags = $5, time_zone = $6,
         updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(&f.phone)
    .bind(&f.name)
    .bind(Json(&f.metadata))
    .bind(&f.tags)
    .bind(&f.time_zone)
    .fetch_optional(tx)
    .await
    .map_err(conflict_as(TAKEN))?
    .ok_or(DbError::NotFound)
}

/// Deletes a contact that is in no callout (otherwise a conflict: its calls would be lost).
pub async fn delete(tx: &mut PgConnection, id: i64) -> Result<(), DbError> {
    let done = sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                DbError::Conflict("contact: it takes part in a callout; it cannot be deleted".into())
            }
            _ => DbError::Sqlx(e),
        })?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// How a bulk write went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Upserted {
    pub created: u64,
    /// Existing numbers (or repeats within the input) merged into one contact.
    pub merged: u64,
}

/// Merges `b` into `a`: a non-empty name wins, metadata keys are overwritten, tags are joined.
fn merge_into(a: &mut ContactFields, b: &ContactFields) {
    if !b.name.is_empty() {
        a.name = b.name.clone();
    }
    for (k, v) in &b.metadata {
        a.metadata.insert(k.clone(), v.clone());
    }
    for t in &b.tags {
        if !a.tags.contains(t) {
            a.tags.push(t.clone());
        }
    }
    if b.time_zone.is_some() {
        a.time_zone = b.time_zone.clone();
    }
}

/// Creates many contacts at once; a number that already exists (in the table or earlier in the
/// input) is merged into its contact (non-empty name wins, metadata keys overwritten, tags
/// joined). Sent in chunks of multi-row `INSERT … ON CONFLICT`.
pub async fn upsert_many(conn: &mut PgConnection, rows: &[ContactFields]) -> Result<Upserted, DbError> {
    let mut order: Vec<ContactFields> = Vec::with_capacity(rows.len());
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::with_capacity(rows.len());
    let mut repeats = 0u64;
    for r in rows {
        match index.get(r.phone.as_str()) {
            Some(&i) => {
                merge_into(&mut order[i], r);
                repeats += 1;
            }
            None => {
                index.insert(&r.phone, order.len());
                order.push(r.clone());
            }
        }
    }
    let mut out = Upserted {
        created: 0,
        merged: repeats,
    };
    // A savepoint when the caller is in a transaction: all chunks or none.
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for chunk in order.chunks(10_000) {
        let phones: Vec<&str> = chunk.iter().map(|c| c.phone.as_str()).collect();
        let names: Vec<&str> = chunk.iter().map(|c| c.name.as_str()).collect();
        let metas: Vec<Value> = chunk.iter().map(|c| Value::Object(c.metadata.clone())).collect();
        let tags: Vec<Value> = chunk.iter().map(|c| Value::from(c.tags.clone())).collect();
        let zones: Vec<Option<&str>> = chunk.iter().map(|c| c.time_zone.as_deref()).collect();
        let inserted: Vec<bool> = sqlx::query_scalar(
            "INSERT INTO contacts (phone, name, metadata, tags, time_zone)
             SELECT u.p, u.n, u.m, ARRAY(SELECT jsonb_array_elements_text(u.t)), u.z
             FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::text[]) AS u(p, n, m, t, z)
             ON CONFLICT (phone) DO UPDATE SET
                 name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,
                 metadata = contacts.metadata || excluded.metadata,
                 tags = contacts.tags || ARRAY(SELECT t FROM unnest(excluded.tags) t WHERE t <> ALL (contacts.tags)),
                 time_zone = coalesce(excluded.time_zone, contacts.time_zone),
                 updated_at = now()
             RETURNING (xmax = 0)",
        )
        .bind(&phones)
        .bind(&names)
        .bind(&metas)
        .bind(&tags)
        .bind(&zones)
        .fetch_all(&mut *tx)
        .await?;
        let created = inserted.iter().filter(|i| **i).count() as u64;
        out.created += created;
        out.merged += inserted.len() as u64 - created;
    }
    tx.commit().await?;
    Ok(out)
}
