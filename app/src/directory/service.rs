//! The one door to the directory: read an entry (desk users, callouts viewers, tokens with the
//! callouts scope), create and change entries, their contracts and alerts (desk users and the
//! callouts' runners). Every change is announced on the contacts topic.
use crate::accounts::rules::tokens::Scope;
use crate::directory::Entry;
use crate::directory::rules::profile::{AlertInput, ContractInput, ProfileInput};
use crate::directory::store::entries;
use crate::shell::ctx::Services;
use crate::shell::events::publish_in;
use crate::shell::rules::access::{Area, CalloutEdit};
use crate::shell::service::{Actor, ServiceError};
use crate::shell::topics::Topic;
use serde_json::json;

type Result<T> = std::result::Result<T, ServiceError>;

/// Desk users (agents and above), callouts' users, tokens with the callouts scope.
pub fn may_read(actor: &Actor) -> Result<()> {
    actor
        .require(Scope::Callouts, Area::Desk)
        .or_else(|_| actor.require(Scope::Callouts, Area::Callouts))
}

/// Agents create and complete entries from the desk (a caller's new contact, an alert they
/// learnt of); in callouts, only its runners change contacts.
pub fn may_edit(actor: &Actor) -> Result<()> {
    match actor {
        Actor::User(me) if Area::Desk.allows(&me.roles) || CalloutEdit::of(&me.roles) == CalloutEdit::Run => Ok(()),
        Actor::User(_) => Err(ServiceError::Forbidden),
        _ => actor.require(Scope::Callouts, Area::Desk),
    }
}

pub async fn entry(s: &Services, actor: &Actor, id: i64) -> Result<Entry> {
    may_read(actor)?;
    entries::get(&s.db, id).await.map_err(ServiceError::db("contact"))
}

async fn changed(tx: &mut sqlx::PgConnection, id: i64) -> Result<()> {
    publish_in(tx, Topic::Contacts, json!({"id": id})).await?;
    Ok(())
}

pub async fn create(s: &Services, actor: &Actor, input: &ProfileInput) -> Result<Entry> {
    may_edit(actor)?;
    let p = input.validate(&s.default_country_code)?;
    let mut tx = s.db.begin().await?;
    let id = entries::create(&mut tx, &p).await?;
    changed(&mut tx, id).await?;
    tx.commit().await?;
    tracing::info!(contact = id, by = %actor.who(), "directory entry created");
    entry(s, actor, id).await
}

pub async fn update(s: &Services, actor: &Actor, id: i64, input: &ProfileInput) -> Result<Entry> {
    may_edit(actor)?;
    let p = input.validate(&s.default_country_code)?;
    let mut tx = s.db.begin().await?;
    entries::update(&mut tx, id, &p)
        .await
        .map_err(ServiceError::db("contact"))?;
    changed(&mut tx, id).await?;
    tx.commit().await?;
    entry(s, actor, id).await
}

async fn must_exist(s: &Services, id: i64) -> Result<()> {
    if entries::exists(&s.db, id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("contact".into()))
    }
}

pub async fn add_contract(s: &Services, actor: &Actor, contact: i64, input: &ContractInput) -> Result<i64> {
    may_edit(actor)?;
    let c = input.validate()?;
    must_exist(s, contact).await?;
    let mut tx = s.db.begin().await?;
    let id = entries::add_contract(&mut tx, contact, &c).await?;
    changed(&mut tx, contact).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn add_alert(s: &Services, actor: &Actor, contact: i64, input: &AlertInput) -> Result<i64> {
    may_edit(actor)?;
    let a = input.validate()?;
    must_exist(s, contact).await?;
    let mut tx = s.db.begin().await?;
    let id = entries::add_alert(&mut tx, contact, &a).await?;
    changed(&mut tx, contact).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_alert(s: &Services, actor: &Actor, contact: i64, alert: i64) -> Result<()> {
    may_edit(actor)?;
    let mut tx = s.db.begin().await?;
    if !entries::delete_alert(&mut tx, contact, alert).await? {
        return Err(ServiceError::NotFound("alert".into()));
    }
    changed(&mut tx, contact).await?;
    tx.commit().await?;
    Ok(())
}

/// The search box: the query read as the field chosen, or as the field its shape suggests;
/// at most [`SEARCH_CAP`](crate::directory::rules::search::SEARCH_CAP) results, and whether
/// there were more.
pub async fn search(
    s: &Services,
    actor: &Actor,
    query: &str,
    field: Option<crate::directory::rules::search::SearchField>,
) -> Result<crate::directory::SearchResult> {
    use crate::directory::rules::search::{SEARCH_CAP, as_field, guess};
    may_read(actor)?;
    let cc = &s.default_country_code;
    let chosen = match field {
        Some(f) => f,
        None => guess(query, cc).field,
    };
    let g = as_field(query, chosen, cc)?;
    let mut hits = crate::directory::store::search::search(&s.db, &g, SEARCH_CAP as i64 + 1).await?;
    let more = hits.len() > SEARCH_CAP;
    hits.truncate(SEARCH_CAP);
    Ok(crate::directory::SearchResult {
        guess: g,
        guessed: field.is_none(),
        hits,
        more,
    })
}
