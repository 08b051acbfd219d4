//! The one door to the desk: ringing calls from the PBX (recorded, then the card pushed to the
//! signed-in sessions of the person with the extension), the PBX's answered/ended times, and
//! the card a desk user reads.
use crate::accounts::rules::tokens::Scope;
use crate::desk::rules::ringing::{RingInput, RingOutcome};
use crate::desk::store::calls::{self, DeskCall};
use crate::shell::ctx::Services;
use crate::shell::events::publish_to_user_in;
use crate::shell::rules::access::Area;
use crate::shell::service::{Actor, ServiceError};
use crate::shell::topics::Topic;
use chrono::{DateTime, Utc};
use serde_json::json;

type Result<T> = std::result::Result<T, ServiceError>;

/// Only the PBX (a token with the `pbx` scope) or the operator reports calls: a signed-in user
/// never does, whatever their roles.
pub fn may_report_calls(actor: &Actor) -> Result<()> {
    match actor {
        Actor::Token { scopes, .. } if scopes.contains(&Scope::Pbx) => Ok(()),
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Desk users: agents, coordinators, managers, admins.
pub fn may_use_desk(actor: &Actor) -> Result<()> {
    match actor {
        Actor::User(me) if Area::Desk.allows(&me.roles) => Ok(()),
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// What a ringing request did.
#[derive(Clone, Debug, PartialEq)]
pub struct Rang {
    pub outcome: RingOutcome,
    pub call: DeskCall,
}

/// A call rings an extension: it is recorded (who has the extension and which contact has the
/// number, as they are now) and, in the same transaction, the card is addressed to the
/// person's account so every session they have signed in receives it on commit. Recorded even
/// when the extension is nobody's or nobody is signed in.
pub async fn ring(s: &Services, actor: &Actor, input: &RingInput) -> Result<Rang> {
    may_report_calls(actor)?;
    let ringing = input.validate(&s.default_country_code)?;
    let mut tx = s.db.begin().await?;
    let call = calls::record(&mut tx, &ringing).await?;
    let outcome = RingOutcome::of(call.person_id, call.user_id);
    match call.user_id {
        Some(user) => {
            publish_to_user_in(
                &mut tx,
                Topic::DeskRinging,
                user,
                json!({"call": call.id, "phone": call.phone, "contact": call.contact_id}),
            )
            .await?
        }
        None => tracing::warn!(
            extension = %call.extension,
            call = call.id,
            outcome = outcome.as_str(),
            "ringing call for an extension nobody can see"
        ),
    }
    tx.commit().await?;
    Ok(Rang { outcome, call })
}

/// The PBX says the call was answered at `at`: the calls it rang get that time (the first
/// report wins). Returns the desk calls stamped (none for an unknown call id).
pub async fn call_answered(s: &Services, actor: &Actor, pbx_call_id: &str, at: DateTime<Utc>) -> Result<Vec<i64>> {
    may_report_calls(actor)?;
    let mut tx = s.db.begin().await?;
    let ids = calls::set_answered(&mut tx, pbx_call_id.trim(), at).await?;
    tx.commit().await?;
    Ok(ids)
}

/// The PBX says the call ended at `at` (the first report wins).
pub async fn call_ended(s: &Services, actor: &Actor, pbx_call_id: &str, at: DateTime<Utc>) -> Result<Vec<i64>> {
    may_report_calls(actor)?;
    let mut tx = s.db.begin().await?;
    let ids = calls::set_ended(&mut tx, pbx_call_id.trim(), at).await?;
    tx.commit().await?;
    Ok(ids)
}

/// One recorded call.
pub async fn call(s: &Services, actor: &Actor, id: i64) -> Result<DeskCall> {
    may_use_desk(actor)?;
    calls::get(&s.db, id).await.map_err(ServiceError::db("call"))
}

fn view(c: DeskCall) -> crate::desk::CallView {
    crate::desk::CallView {
        id: c.id,
        rang_at: c.rang_at,
        extension: c.extension,
        phone: c.phone,
        pbx_call_id: c.pbx_call_id,
        answered_at: c.answered_at,
        ended_at: c.ended_at,
    }
}

/// The card of a call (`None`: the latest call that rang this user, if any): the contacts with
/// its number, with their contracts, alerts and callouts, and the earlier calls.
pub async fn card(s: &Services, actor: &Actor, call_id: Option<i64>) -> Result<Option<crate::desk::Card>> {
    use crate::desk::CARD_MATCHES;
    use crate::directory::store::entries;
    may_use_desk(actor)?;
    let call = match call_id {
        Some(id) => calls::get(&s.db, id).await.map_err(ServiceError::db("call"))?,
        None => match actor.user_id() {
            Some(u) => match calls::of_user(&s.db, u, 1).await?.pop() {
                Some(c) => c,
                None => return Ok(None),
            },
            None => return Ok(None),
        },
    };
    let ids = entries::with_phone(&s.db, &call.phone).await?;
    let mut contacts = Vec::new();
    for id in ids.iter().take(CARD_MATCHES) {
        contacts.push(entries::get(&s.db, *id).await?);
    }
    let earlier = calls::earlier(&s.db, &call.phone, call.contact_id, call.id, 20).await?;
    Ok(Some(crate::desk::Card {
        call: view(call),
        contacts,
        more_contacts: ids.len() > CARD_MATCHES,
        earlier: earlier.into_iter().map(view).collect(),
    }))
}
