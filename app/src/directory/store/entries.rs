//! Directory entries: the `contacts` row with its profile columns, its extra phones, contracts
//! and alerts, and the callouts it was in.
use super::{DbError, PgPool, conflict_as};
use crate::directory::rules::profile::{AlertInput, ContactKind, ContractInput, ContractState, Profile, Severity};
use crate::directory::{Alert, CalloutTaken, Contract, Entry};
use sqlx::PgConnection;

crate::text_enum!(ContactKind);
crate::text_enum!(ContractState);
crate::text_enum!(Severity);

#[derive(sqlx::FromRow)]
struct Head {
    id: i64,
    kind: ContactKind,
    name: String,
    phone: String,
    more: Vec<String>,
    emails: Vec<String>,
    tax_id: Option<String>,
    member_number: Option<String>,
    notes: String,
}

/// The ids of the contacts with this number (main or extra), oldest first.
pub async fn with_phone(db: &PgPool, phone: &str) -> Result<Vec<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM contacts WHERE phone = $1
         UNION SELECT contact_id FROM contact_phones WHERE phone = $1
         ORDER BY 1",
    )
    .bind(phone)
    .fetch_all(db)
    .await?)
}

pub async fn get(db: &PgPool, id: i64) -> Result<Entry, DbError> {
    let head: Head = sqlx::query_as(
        "SELECT c.id, c.kind, c.name, c.phone, c.emails, c.tax_id, c.member_number, c.notes,
                coalesce((SELECT array_agg(p.phone ORDER BY p.phone) FROM contact_phones p WHERE p.contact_id = c.id), '{}') AS more
           FROM contacts c WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(DbError::NotFound)?;
    let alerts: Vec<Alert> = sqlx::query_as(
        "SELECT id, text, severity FROM contact_alerts WHERE contact_id = $1
          ORDER BY CASE severity WHEN 'danger' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let contracts: Vec<Contract> = sqlx::query_as(
        "SELECT id, number, address, state, starts_on, ends_on FROM contracts WHERE contact_id = $1
          ORDER BY state = 'ended', starts_on DESC NULLS LAST, id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let callouts: Vec<CalloutTaken> = sqlx::query_as(
        "SELECT p.callout_id, co.name, p.state, p.done_reason, p.answered, p.attempts
           FROM participations p JOIN callouts co ON co.id = p.callout_id
          WHERE p.contact_id = $1 ORDER BY p.created_at DESC LIMIT 20",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let mut phones = vec![head.phone];
    phones.extend(head.more);
    Ok(Entry {
        id: head.id,
        kind: head.kind,
        name: head.name,
        phones,
        emails: head.emails,
        tax_id: head.tax_id,
        member_number: head.member_number,
        notes: head.notes,
        alerts,
        contracts,
        callouts,
    })
}

const TAKEN: &str = "one of these phone numbers already belongs to another contact";

async fn set_extra_phones(tx: &mut PgConnection, id: i64, extra: &[String]) -> Result<(), DbError> {
    sqlx::query("DELETE FROM contact_phones WHERE contact_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // A number is one contact's only: neither another's main number nor another's extra one.
    let clash: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contacts WHERE phone = ANY($1) AND id <> $2)")
        .bind(extra)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if clash {
        return Err(DbError::Conflict(TAKEN.into()));
    }
    sqlx::query("INSERT INTO contact_phones (contact_id, phone) SELECT $1, unnest($2::text[])")
        .bind(id)
        .bind(extra)
        .execute(&mut *tx)
        .await
        .map_err(conflict_as(TAKEN))?;
    Ok(())
}

/// A new entry; returns its id.
pub async fn create(tx: &mut PgConnection, p: &Profile) -> Result<i64, DbError> {
    let clash: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contact_phones WHERE phone = $1)")
        .bind(&p.phones[0])
        .fetch_one(&mut *tx)
        .await?;
    if clash {
        return Err(DbError::Conflict(TAKEN.into()));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO contacts (phone, name, kind, emails, tax_id, member_number, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&p.phones[0])
    .bind(&p.name)
    .bind(p.kind)
    .bind(&p.emails)
    .bind(&p.tax_id)
    .bind(&p.member_number)
    .bind(&p.notes)
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_as(TAKEN))?;
    set_extra_phones(tx, id, &p.phones[1..]).await?;
    Ok(id)
}

/// Replaces an entry's profile (its callout data — metadata, tags, zone — is kept).
pub async fn update(tx: &mut PgConnection, id: i64, p: &Profile) -> Result<(), DbError> {
    let n = sqlx::query(
        "UPDATE contacts SET phone = $2, name = $3, kind = $4, emails = $5, tax_id = $6, member_number = $7,
                notes = $8, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(&p.phones[0])
    .bind(&p.name)
    .bind(p.kind)
    .bind(&p.emails)
    .bind(&p.tax_id)
    .bind(&p.member_number)
    .bind(&p.notes)
    .execute(&mut *tx)
    .await
    .map_err(conflict_as(TAKEN))?
    .rows_affected();
    if n == 0 {
        return Err(DbError::NotFound);
    }
    set_extra_phones(tx, id, &p.phones[1..]).await
}

pub async fn add_contract(tx: &mut PgConnection, contact: i64, c: &ContractInput) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO contracts (contact_id, number, address, state, starts_on, ends_on)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(contact)
    .bind(&c.number)
    .bind(&c.address)
    .bind(c.state)
    .bind(c.starts_on)
    .bind(c.ends_on)
    .fetch_one(tx)
    .await
    .map_err(conflict_as("another contract has this number"))
}

pub async fn add_alert(tx: &mut PgConnection, contact: i64, a: &AlertInput) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar("INSERT INTO contact_alerts (contact_id, text, severity) VALUES ($1, $2, $3) RETURNING id")
            .bind(contact)
            .bind(&a.text)
            .bind(a.severity)
            .fetch_one(tx)
            .await?,
    )
}

/// Removes an alert of this contact; false if there was none.
pub async fn delete_alert(tx: &mut PgConnection, contact: i64, alert: i64) -> Result<bool, DbError> {
    Ok(
        sqlx::query("DELETE FROM contact_alerts WHERE id = $1 AND contact_id = $2")
            .bind(alert)
            .bind(contact)
            .execute(tx)
            .await?
            .rows_affected()
            > 0,
    )
}

pub async fn exists(db: &PgPool, id: i64) -> Result<bool, DbError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contacts WHERE id = $1)")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}
