//! The one door to the callouts area's rules. The console's server functions and the REST API
//! both call these functions, so a change made through either is checked, validated, written
//! and announced the same way: the capability first, then every field, then one transaction in
//! which the live events are published (delivered on commit, never for a rollback).
use super::api::IMPORT_CHUNK;
use crate::accounts::rules::tokens::Scope;
use crate::callouts::rules::caller_id::check_rule;
use crate::callouts::rules::callout::{CalloutEvent, CalloutStatus, ParticipationFilter};
use crate::callouts::rules::contacts_csv::{self, Mapping, Row, RowError};
use crate::callouts::rules::settings::{CalloutInput, ContactFields, ContactFilter, ContactInput, tags};
use crate::callouts::store::callouts::{self as callout_store, Callout, Stats};
use crate::callouts::store::contacts::{self as contact_store, Contact, Page, Upserted};
use crate::callouts::store::participations::{self as participation_store, Participation};
use crate::shell::ctx::Services;
use crate::shell::events::publish_in;
use crate::shell::rules::Invalid;
use crate::shell::rules::access::{Area, CalloutEdit};
use crate::shell::service::{Actor, ServiceError};
use crate::shell::topics::Topic;
use serde_json::json;
use sqlx::PgConnection;

type Result<T> = std::result::Result<T, ServiceError>;

/// Contacts one bulk request may carry (REST).
pub const BULK_MAX: usize = 100_000;

/// May read callouts and contacts: a token with the `callouts` scope or a user whose roles open
/// the area (agents included).
pub fn may_view(actor: &Actor) -> Result<()> {
    actor.require(Scope::Callouts, Area::Callouts)
}

/// May change them: a token with the scope, or a manager, coordinator or admin.
pub fn may_run(actor: &Actor) -> Result<()> {
    may_view(actor)?;
    match actor {
        Actor::User(me) if CalloutEdit::of(&me.roles) < CalloutEdit::Run => Err(ServiceError::Forbidden),
        _ => Ok(()),
    }
}

/// Whether the actor may change callouts (what the console shows it).
pub fn runs(actor: &Actor) -> bool {
    may_run(actor).is_ok()
}

/// Announces a change of one callout to its page and to the list.
async fn callout_changed(tx: &mut PgConnection, id: i64, data: serde_json::Value) -> Result<()> {
    publish_in(tx, Topic::Callout(id), data.clone()).await?;
    publish_in(tx, Topic::Callouts, data).await?;
    Ok(())
}

// ---- callouts ----

pub async fn list_callouts(
    s: &Services,
    actor: &Actor,
    status: Option<CalloutStatus>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<Callout>, i64)> {
    may_view(actor)?;
    Ok(callout_store::list(&s.db, status, page, per_page).await?)
}

pub async fn summaries(s: &Services, actor: &Actor) -> Result<Vec<callout_store::Summary>> {
    may_view(actor)?;
    Ok(callout_store::summaries(&s.db).await?)
}

pub async fn callout(s: &Services, actor: &Actor, id: i64) -> Result<Callout> {
    may_view(actor)?;
    callout_store::get(&s.db, id).await.map_err(ServiceError::db("callout"))
}

pub async fn statistics(s: &Services, actor: &Actor, id: i64) -> Result<(Callout, Stats)> {
    let c = callout(s, actor, id).await?;
    let stats = callout_store::stats(&s.db, id)
        .await
        .map_err(ServiceError::db("callout"))?;
    Ok((c, stats))
}

pub async fn create_callout(s: &Services, actor: &Actor, input: &CalloutInput) -> Result<Callout> {
    may_run(actor)?;
    let settings = input.validate()?;
    let mut tx = s.db.begin().await?;
    let c = callout_store::create(&mut tx, &settings, actor.user_id()).await?;
    callout_changed(&mut tx, c.id, json!({ "created": c.id })).await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn update_callout(s: &Services, actor: &Actor, id: i64, input: &CalloutInput) -> Result<Callout> {
    may_run(actor)?;
    let settings = input.validate()?;
    let mut tx = s.db.begin().await?;
    let c = callout_store::update(&mut tx, id, &settings)
        .await
        .map_err(ServiceError::db("callout"))?;
    callout_changed(&mut tx, id, json!({ "settings": id })).await?;
    tx.commit().await?;
    Ok(c)
}

/// Deletes a callout that is not running, with its participations and calls.
pub async fn delete_callout(s: &Services, actor: &Actor, id: i64) -> Result<()> {
    may_run(actor)?;
    let mut tx = s.db.begin().await?;
    callout_store::delete(&mut tx, id)
        .await
        .map_err(ServiceError::db("callout"))?;
    callout_changed(&mut tx, id, json!({ "deleted": id })).await?;
    tx.commit().await?;
    Ok(())
}

/// Start, pause, resume or stop; a refused transition changes nothing and says why.
pub async fn transition(s: &Services, actor: &Actor, id: i64, event: &str) -> Result<Callout> {
    may_run(actor)?;
    let event = CalloutEvent::parse(event)?;
    let mut tx = s.db.begin().await?;
    let c = callout_store::apply_event(&mut tx, id, event)
        .await
        .map_err(ServiceError::db("callout"))?
        .map_err(|refused| ServiceError::Refused(Invalid::new("event", refused.message)))?;
    callout_changed(&mut tx, id, json!({ "status": c.status })).await?;
    tx.commit().await?;
    Ok(c)
}

/// Who to add to a callout.
pub enum Population {
    /// Every contact matching the filter (all when it is empty).
    Matching(ContactFilter),
    /// These contacts (unknown ids are skipped).
    Ids(Vec<i64>),
}

/// Adds contacts to a callout (each at most once); returns how many were added and how many
/// participations it has now.
pub async fn populate(s: &Services, actor: &Actor, id: i64, who: &Population) -> Result<(u64, i64)> {
    may_run(actor)?;
    if let Population::Matching(filter) = who {
        filter.check()?;
    }
    let mut tx = s.db.begin().await?;
    let added = match who {
        Population::Matching(filter) => participation_store::populate(&mut tx, id, filter).await,
        Population::Ids(ids) => participation_store::populate_ids(&mut tx, id, ids).await,
    }
    .map_err(ServiceError::db("callout"))?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM participations WHERE callout_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    callout_changed(&mut tx, id, json!({ "populated": added })).await?;
    tx.commit().await?;
    Ok((added, total))
}

pub async fn participations(
    s: &Services,
    actor: &Actor,
    id: i64,
    filter: &ParticipationFilter,
    page: i64,
    per_page: i64,
) -> Result<Page<Participation>> {
    may_view(actor)?;
    let f = filter.checked()?;
    participation_store::list(&s.db, id, &f, page, per_page)
        .await
        .map_err(ServiceError::db("callout"))
}

// ---- contacts ----

pub async fn list_contacts(
    s: &Services,
    actor: &Actor,
    filter: &ContactFilter,
    page: i64,
    per_page: i64,
) -> Result<Page<Contact>> {
    may_view(actor)?;
    filter.check()?;
    Ok(contact_store::list(&s.db, filter, page, per_page).await?)
}

pub async fn contact(s: &Services, actor: &Actor, id: i64) -> Result<Contact> {
    may_view(actor)?;
    contact_store::get(&s.db, id).await.map_err(ServiceError::db("contact"))
}

pub async fn create_contact(s: &Services, actor: &Actor, input: &ContactInput) -> Result<Contact> {
    may_run(actor)?;
    let fields = input.validate(&s.default_country_code)?;
    let mut tx = s.db.begin().await?;
    let c = contact_store::create(&mut tx, &fields).await?;
    publish_in(&mut tx, Topic::Contacts, json!({ "id": c.id })).await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn update_contact(s: &Services, actor: &Actor, id: i64, input: &ContactInput) -> Result<Contact> {
    may_run(actor)?;
    let fields = input.validate(&s.default_country_code)?;
    let mut tx = s.db.begin().await?;
    let c = contact_store::update(&mut tx, id, &fields)
        .await
        .map_err(ServiceError::db("contact"))?;
    publish_in(&mut tx, Topic::Contacts, json!({ "id": id })).await?;
    tx.commit().await?;
    Ok(c)
}

/// Deletes a contact that takes part in no callout (its calls would be lost).
pub async fn delete_contact(s: &Services, actor: &Actor, id: i64) -> Result<()> {
    may_run(actor)?;
    let mut tx = s.db.begin().await?;
    contact_store::delete(&mut tx, id)
        .await
        .map_err(ServiceError::db("contact"))?;
    publish_in(&mut tx, Topic::Contacts, json!({ "deleted": id })).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes validated contacts (repeated numbers merged) in one transaction and announces them.
async fn write_contacts(s: &Services, contacts: &[ContactFields]) -> Result<Upserted> {
    let mut tx = s.db.begin().await?;
    let written = contact_store::upsert_many(&mut tx, contacts).await?;
    if written.created + written.merged > 0 {
        publish_in(&mut tx, Topic::Contacts, json!({ "imported": written.created })).await?;
    }
    tx.commit().await?;
    Ok(written)
}

/// A contact of a bulk request that was refused: its position and what is wrong.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RefusedItem {
    pub index: usize,
    pub field: String,
    pub message: String,
}

/// Many contacts at once (REST): every valid one is written, the refused ones are listed by
/// position. `items` are the request's JSON objects, each read as a [`ContactInput`].
pub async fn bulk_contacts(
    s: &Services,
    actor: &Actor,
    items: Vec<serde_json::Value>,
) -> Result<(Upserted, Vec<RefusedItem>)> {
    may_run(actor)?;
    if items.len() > BULK_MAX {
        return Err(ServiceError::invalid(
            "contacts",
            format!("at most {BULK_MAX} contacts per request"),
        ));
    }
    let mut valid = Vec::with_capacity(items.len());
    let mut refused = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let parsed = serde_json::from_value::<ContactInput>(item)
            .map_err(|e| vec![Invalid::new("body", e.to_string())])
            .and_then(|i| i.validate(&s.default_country_code));
        match parsed {
            Ok(f) => valid.push(f),
            Err(es) => refused.extend(es.into_iter().map(|e| RefusedItem {
                index,
                field: e.field,
                message: e.message,
            })),
        }
    }
    Ok((write_contacts(s, &valid).await?, refused))
}

/// One chunk of a CSV file the console has read: every row is validated, the valid ones are
/// written (repeats merged), the refused ones come back with line and reason. `tag` (optional)
/// is added to every imported contact, so the file can populate a callout by it.
pub async fn import_chunk(
    s: &Services,
    actor: &Actor,
    mapping: &Mapping,
    rows: &[Row],
    tag: Option<&str>,
) -> Result<(Upserted, Vec<RowError>)> {
    may_run(actor)?;
    if rows.len() > IMPORT_CHUNK {
        return Err(ServiceError::invalid(
            "rows",
            format!("send at most {IMPORT_CHUNK} rows at a time"),
        ));
    }
    mapping.check(mapping.columns.len())?;
    let tag = match tag.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(tags(&[t.to_string()])?.remove(0)),
        None => None,
    };
    let (mut contacts, errors) = contacts_csv::contacts(mapping, rows, &s.default_country_code);
    if let Some(tag) = tag {
        for c in &mut contacts {
            if !c.tags.contains(&tag) {
                c.tags.push(tag.clone());
            }
        }
    }
    Ok((write_contacts(s, &contacts).await?, errors))
}

// ---- caller ids ----

pub async fn caller_ids(s: &Services, actor: &Actor) -> Result<Vec<(String, String)>> {
    may_view(actor)?;
    Ok(callout_store::caller_id_rules(&s.db).await?)
}

/// Sets the caller id used for numbers starting with `prefix` (the longest prefix wins).
pub async fn set_caller_id(s: &Services, actor: &Actor, prefix: &str, caller_id: &str) -> Result<(String, String)> {
    may_run(actor)?;
    let rule = check_rule(prefix, caller_id)?;
    let mut tx = s.db.begin().await?;
    callout_store::set_caller_id_rule(&mut tx, &rule.prefix, &rule.caller_id).await?;
    publish_in(&mut tx, Topic::Callouts, json!({ "caller_ids": true })).await?;
    tx.commit().await?;
    Ok((rule.prefix, rule.caller_id))
}

pub async fn delete_caller_id(s: &Services, actor: &Actor, prefix: &str) -> Result<()> {
    may_run(actor)?;
    let mut tx = s.db.begin().await?;
    if !callout_store::delete_caller_id_rule(&mut tx, prefix.trim()).await? {
        return Err(ServiceError::NotFound(format!("caller id rule for {}", prefix.trim())));
    }
    publish_in(&mut tx, Topic::Callouts, json!({ "caller_ids": true })).await?;
    tx.commit().await?;
    Ok(())
}
