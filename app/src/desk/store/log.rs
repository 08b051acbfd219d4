//! Annotations on desk calls (categories, comment, the contact and contract it was about),
//! calls recorded by hand, and the call log's reads (a day's calls with filters, calls per
//! category). Days are the team's (team_settings.time_zone).
use super::{DbError, PgPool};
use crate::desk::rules::annotation::{Annotation, ManualCall};
use crate::desk::{CallView, Category, LogFilter, LogRow};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;

/// The team's time zone (the rota's settings; UTC when there are none).
pub async fn team_zone(db: &PgPool) -> Result<String, DbError> {
    Ok(
        sqlx::query_scalar("SELECT coalesce((SELECT time_zone FROM team_settings LIMIT 1), 'UTC')")
            .fetch_one(db)
            .await?,
    )
}

/// Today in the team's time zone.
pub async fn today(db: &PgPool) -> Result<NaiveDate, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT (now() AT TIME ZONE coalesce((SELECT time_zone FROM team_settings LIMIT 1), 'UTC'))::date",
    )
    .fetch_one(db)
    .await?)
}

/// The call's agent, locked for the annotation's transaction; NotFound when there is no call.
pub async fn lock_call(conn: &mut PgConnection, id: i64) -> Result<Option<i64>, DbError> {
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT user_id FROM desk_calls WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.0).ok_or(DbError::NotFound)
}

/// Whether the contract (if any) is the contact's, and the contact exists.
pub async fn about_ok(
    conn: &mut PgConnection,
    contact: Option<i64>,
    contract: Option<i64>,
) -> Result<(bool, bool), DbError> {
    let contact_ok: bool = match contact {
        None => true,
        Some(c) => {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contacts WHERE id = $1)")
                .bind(c)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    let contract_ok: bool = match (contact, contract) {
        (_, None) => true,
        (Some(c), Some(k)) => {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contracts WHERE id = $1 AND contact_id = $2)")
                .bind(k)
                .bind(c)
                .fetch_one(&mut *conn)
                .await?
        }
        (None, Some(_)) => false,
    };
    Ok((contact_ok, contract_ok))
}

/// Replaces the call's annotation.
pub async fn annotate(conn: &mut PgConnection, call: i64, by: Option<i64>, a: &Annotation) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE desk_calls SET annotated_at = now(), annotated_by = $2, annotation_comment = $3,
                about_contact_id = $4, about_contract_id = $5 WHERE id = $1",
    )
    .bind(call)
    .bind(by)
    .bind(&a.comment)
    .bind(a.contact)
    .bind(a.contract)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM desk_call_categories WHERE call_id = $1")
        .bind(call)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO desk_call_categories (call_id, category_id) SELECT $1, unnest($2::bigint[])")
        .bind(call)
        .bind(&a.categories)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The call is to annotate again.
pub async fn clear(conn: &mut PgConnection, call: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE desk_calls SET annotated_at = NULL, annotated_by = NULL, annotation_comment = '',
                about_contact_id = NULL, about_contract_id = NULL WHERE id = $1",
    )
    .bind(call)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM desk_call_categories WHERE call_id = $1")
        .bind(call)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A call recorded by hand by `user`: their extension and person in the rota if they have one,
/// the number's contact. Returns its id.
pub async fn record_manual(conn: &mut PgConnection, user: i64, m: &ManualCall) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "WITH p AS (SELECT id, extension FROM people WHERE user_id = $1 AND active ORDER BY id LIMIT 1),
              c AS (SELECT id FROM contacts WHERE phone = $2)
         INSERT INTO desk_calls (rang_at, extension, person_id, user_id, phone, contact_id, manual)
         VALUES ($3, (SELECT extension FROM p WHERE extension ~ '^[0-9]{2,8}$'), (SELECT id FROM p), $1, $2,
                 (SELECT id FROM c), true)
         RETURNING id",
    )
    .bind(user)
    .bind(&m.phone)
    .bind(m.at)
    .fetch_one(conn)
    .await?)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    rang_at: DateTime<Utc>,
    extension: String,
    phone: String,
    pbx_call_id: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    manual: bool,
    user_id: Option<i64>,
    agent: Option<String>,
    contact_name: Option<String>,
    annotated_at: Option<DateTime<Utc>>,
    annotation_comment: String,
    about_contact_id: Option<i64>,
    about_contact_name: Option<String>,
    about_contract_id: Option<i64>,
    about_contract_number: Option<String>,
    category_ids: Vec<i64>,
}

const FILTERED: &str = "FROM desk_calls d, (SELECT coalesce((SELECT time_zone FROM team_settings LIMIT 1), 'UTC') AS z) tz
      WHERE d.rang_at >= ($1::date::timestamp AT TIME ZONE tz.z)
        AND d.rang_at < (($1::date + 1)::timestamp AT TIME ZONE tz.z)
        AND ($2::bigint IS NULL OR d.user_id = $2)
        AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM desk_call_categories x WHERE x.call_id = d.id AND x.category_id = $3))
        AND ($4::boolean IS NULL OR (d.annotated_at IS NOT NULL) = $4)";

/// A day's calls matching the filter, newest first, at most `limit`.
pub async fn day(db: &PgPool, day: NaiveDate, f: &LogFilter, limit: i64) -> Result<Vec<LogRow>, DbError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT d.id, d.rang_at, coalesce(d.extension, '') AS extension, d.phone, d.pbx_call_id, d.answered_at,
                d.ended_at, d.manual, d.user_id, u.display_name AS agent, c.name AS contact_name, d.annotated_at,
                d.annotation_comment, d.about_contact_id, ac.name AS about_contact_name, d.about_contract_id,
                k.number AS about_contract_number,
                coalesce((SELECT array_agg(dc.category_id ORDER BY dc.category_id) FROM desk_call_categories dc
                           WHERE dc.call_id = d.id), '{{}}') AS category_ids
           FROM ( SELECT d.* {FILTERED} ORDER BY d.rang_at DESC, d.id DESC LIMIT $5 ) d
           LEFT JOIN users u ON u.id = d.user_id
           LEFT JOIN contacts c ON c.id = d.contact_id
           LEFT JOIN contacts ac ON ac.id = d.about_contact_id
           LEFT JOIN contracts k ON k.id = d.about_contract_id
          ORDER BY d.rang_at DESC, d.id DESC"
    ))
    .bind(day)
    .bind(f.agent)
    .bind(f.category)
    .bind(f.annotated)
    .bind(limit)
    .fetch_all(db)
    .await?;
    let cats: HashMap<i64, Category> = super::categories::list(db, false)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| LogRow {
            call: CallView {
                id: r.id,
                rang_at: r.rang_at,
                extension: r.extension,
                phone: r.phone,
                pbx_call_id: r.pbx_call_id,
                answered_at: r.answered_at,
                ended_at: r.ended_at,
            },
            manual: r.manual,
            agent_id: r.user_id,
            agent: r.agent,
            contact: r.contact_name,
            annotated_at: r.annotated_at,
            comment: r.annotation_comment,
            categories: r.category_ids.iter().filter_map(|id| cats.get(id).cloned()).collect(),
            about_contact: r.about_contact_id.zip(r.about_contact_name),
            about_contract: r.about_contract_id.zip(r.about_contract_number),
        })
        .collect())
}

/// Calls matching the filter per category (categories with none left out), and the calls not
/// annotated yet.
pub async fn per_category(db: &PgPool, day: NaiveDate, f: &LogFilter) -> Result<(Vec<(i64, i64)>, i64), DbError> {
    let counts: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT dc.category_id, count(*) FROM desk_call_categories dc
          WHERE dc.call_id IN (SELECT d.id {FILTERED}) GROUP BY dc.category_id ORDER BY count(*) DESC, dc.category_id"
    ))
    .bind(day)
    .bind(f.agent)
    .bind(f.category)
    .bind(f.annotated)
    .fetch_all(db)
    .await?;
    let unannotated: i64 = sqlx::query_scalar(&format!("SELECT count(*) {FILTERED} AND d.annotated_at IS NULL"))
        .bind(day)
        .bind(f.agent)
        .bind(f.category)
        .bind(f.annotated)
        .fetch_one(db)
        .await?;
    Ok((counts, unannotated))
}

/// The people whose calls the log may be filtered by: users who took a call that day.
pub async fn agents_of_day(db: &PgPool, day: NaiveDate) -> Result<Vec<(i64, String)>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT u.id, u.display_name FROM users u
          WHERE u.id IN (SELECT d.user_id {FILTERED})
          ORDER BY u.display_name, u.id"
    ))
    .bind(day)
    .bind(None::<i64>)
    .bind(None::<i64>)
    .bind(None::<bool>)
    .fetch_all(db)
    .await?)
}
