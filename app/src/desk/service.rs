//! The one door to the desk: ringing calls from the PBX (recorded, then the card pushed to the
//! signed-in sessions of the person with the extension), the PBX's answered/ended times, and
//! the card a desk user reads.
use crate::accounts::rules::tokens::Scope;
use crate::desk::rules::ringing::{RingInput, RingOutcome};
use crate::desk::store::calls::{self, DeskCall};
use crate::shell::ctx::Services;
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
    let events = calls::RingingEvents {
        channel: crate::shell::events::CHANNEL,
        card_topic: &Topic::DeskRinging.name(),
        log_topic: &Topic::DeskCalls.name(),
    };
    // One statement, so one round trip and its own transaction: the record and both events.
    let mut conn = s.db.acquire().await?;
    let call = calls::record(&mut conn, &ringing, &events).await?;
    let outcome = RingOutcome::of(call.person_id, call.user_id);
    if call.user_id.is_none() {
        tracing::warn!(
            extension = %call.extension,
            call = call.id,
            outcome = outcome.as_str(),
            "ringing call for an extension nobody can see"
        );
    }
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
        crm: s.crm.get().is_some(),
        earlier: earlier.into_iter().map(view).collect(),
    }))
}

// ---- The outside CRM ----

use crate::desk::rules::crm::Read;
use crate::desk::{CrmFailure, CrmLookup};
use crate::ports::{Crm, CrmError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a CRM answer is reused (the same card in several tabs or sessions asks once).
const CRM_KEEP: Duration = Duration::from_secs(30);
/// Answers kept at most (then the cache starts again).
const CRM_KEEP_AT_MOST: usize = 1000;

/// The configured CRM, the time it is given, and its recent answers.
pub struct CrmLink {
    crm: Arc<dyn Crm>,
    budget: Duration,
    recent: Mutex<HashMap<LookupKey, (Instant, Read)>>,
}

/// A lookup as the CRM is asked it: the number (E.164), and the text.
type LookupKey = (Option<String>, String);

impl CrmLink {
    pub fn new(crm: Arc<dyn Crm>, budget: Duration) -> CrmLink {
        CrmLink {
            crm,
            budget,
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// Asks the CRM, within the budget whatever the adapter does; failures are logged and said.
    async fn look_up(&self, phone: Option<&str>, query: &str) -> CrmLookup {
        let key = (phone.map(str::to_string), query.to_string());
        if let Some((at, read)) = self.recent.lock().ok().and_then(|m| m.get(&key).cloned())
            && at.elapsed() < CRM_KEEP
        {
            return CrmLookup::Answered {
                records: read.records,
                more: read.more,
            };
        }
        let answer = match tokio::time::timeout(self.budget, self.crm.look_up(phone, query)).await {
            Ok(a) => a,
            Err(_) => Err(CrmError::TimedOut),
        };
        match answer {
            Ok(read) => {
                if let Ok(mut m) = self.recent.lock() {
                    if m.len() >= CRM_KEEP_AT_MOST {
                        m.clear();
                    }
                    m.insert(key, (Instant::now(), read.clone()));
                }
                CrmLookup::Answered {
                    records: read.records,
                    more: read.more,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the CRM gave no usable answer; the card is shown without it");
                let (failure, status) = match e {
                    CrmError::TimedOut => (CrmFailure::TimedOut, None),
                    CrmError::Unreachable(_) => (CrmFailure::Unreachable, None),
                    CrmError::Refused { status } => (CrmFailure::Refused, Some(status)),
                    CrmError::Unreadable(_) => (CrmFailure::Unreadable, None),
                };
                CrmLookup::Failed { failure, status }
            }
        }
    }
}

/// The CRM's part of a call's card (asked apart from the card, which never waits on it).
pub async fn crm_for_call(s: &Services, actor: &Actor, call_id: i64) -> Result<CrmLookup> {
    may_use_desk(actor)?;
    let call = calls::get(&s.db, call_id).await.map_err(ServiceError::db("call"))?;
    let Some(link) = s.crm.get() else {
        return Ok(CrmLookup::NotConfigured);
    };
    Ok(link.look_up(Some(&call.phone), &call.phone).await)
}

/// What the CRM has for a text searched at the desk (the same budget; at least 2 characters).
pub async fn crm_search(s: &Services, actor: &Actor, query: &str) -> Result<CrmLookup> {
    may_use_desk(actor)?;
    let q = query.trim();
    if q.chars().count() < 2 || q.chars().count() > 200 {
        return Err(ServiceError::invalid("query", "search with 2 to 200 characters"));
    }
    let Some(link) = s.crm.get() else {
        return Ok(CrmLookup::NotConfigured);
    };
    // A number typed nationally is asked in E.164, as the directory matches it.
    use crate::directory::rules::search::{SearchField, guess};
    let g = guess(q, &s.default_country_code);
    let phone = (g.field == SearchField::Phone).then_some(g.normalised);
    Ok(link.look_up(phone.as_deref(), q).await)
}

// ---- Categories, annotations and the call log ----

use crate::accounts::rules::roles::Role;
use crate::desk::rules::annotation::{AnnotationInput, CategoryInput, ManualCallInput, parse_categories_csv};
use crate::desk::store::{categories, log};
use crate::desk::{
    Category, CategoryCount, CategoryImport, LOG_CAP, LOG_EXPORT_CAP, LogFilter, LogRow, MyDay, TeamLog,
};
use crate::shell::events::publish_in;

/// Coordinators, managers and admins: the team's log, and annotating anyone's call.
pub fn may_see_team(actor: &Actor) -> Result<()> {
    match actor {
        Actor::User(me) if crate::accounts::rules::roles::sees_the_team(&me.roles) => Ok(()),
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Admins edit the categories.
pub fn may_edit_categories(actor: &Actor) -> Result<()> {
    match actor {
        Actor::User(me) if me.roles.contains(&Role::Admin) => Ok(()),
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// The call's own agent, or a coordinator, manager or admin.
fn may_annotate(actor: &Actor, agent: Option<i64>) -> Result<()> {
    may_use_desk(actor)?;
    if agent.is_some() && actor.user_id() == agent {
        return Ok(());
    }
    may_see_team(actor)
}

/// Every category (`all`: disabled ones too, for the admins' page).
pub async fn categories(s: &Services, actor: &Actor, all: bool) -> Result<Vec<Category>> {
    if all {
        may_edit_categories(actor)?;
    } else {
        may_use_desk(actor)?;
    }
    Ok(categories::list(&s.db, !all).await?)
}

/// Creates (`id` None) or changes a category.
pub async fn save_category(s: &Services, actor: &Actor, id: Option<i64>, input: &CategoryInput) -> Result<i64> {
    may_edit_categories(actor)?;
    let c = input.validate()?;
    let mut tx = s.db.begin().await?;
    let id = match id {
        None => categories::create(&mut tx, &c).await?,
        Some(id) => {
            categories::update(&mut tx, id, &c)
                .await
                .map_err(ServiceError::db("category"))?;
            id
        }
    };
    publish_in(&mut tx, Topic::DeskCalls, json!({"category": id})).await?;
    tx.commit().await?;
    tracing::info!(category = id, code = %c.code, by = %actor.who(), "call category saved");
    Ok(id)
}

/// A CSV list of categories: every row checked first; one refused row and nothing is written
/// (the answer lists every refused row); otherwise new codes are created and known ones
/// changed, in one transaction.
pub async fn import_categories(s: &Services, actor: &Actor, csv: &str) -> Result<CategoryImport> {
    may_edit_categories(actor)?;
    let rows = match parse_categories_csv(csv) {
        Ok(rows) => rows,
        Err(refused) => {
            return Ok(CategoryImport {
                created: 0,
                updated: 0,
                refused,
            });
        }
    };
    let mut tx = s.db.begin().await?;
    let (created, updated) = categories::import(&mut tx, &rows).await?;
    publish_in(&mut tx, Topic::DeskCalls, json!({"categories": rows.len()})).await?;
    tx.commit().await?;
    tracing::info!(created, updated, by = %actor.who(), "call categories imported");
    Ok(CategoryImport {
        created,
        updated,
        refused: Vec::new(),
    })
}

/// Annotates a call (replacing what it had): at least one enabled category, a comment, the
/// contact and contract it was about. Only the call's agent, coordinators and managers.
pub async fn annotate(s: &Services, actor: &Actor, call: i64, input: &AnnotationInput) -> Result<()> {
    may_use_desk(actor)?;
    let a = input.validate()?;
    let mut tx = s.db.begin().await?;
    let agent = log::lock_call(&mut tx, call).await.map_err(ServiceError::db("call"))?;
    may_annotate(actor, agent)?;
    let known = categories::enabled_among(&mut tx, &a.categories).await?;
    if let Some(missing) = a.categories.iter().find(|c| !known.contains(c)) {
        return Err(ServiceError::invalid(
            "categories",
            format!("category {missing} does not exist or is disabled: choose another"),
        ));
    }
    let (contact_ok, contract_ok) = log::about_ok(&mut tx, a.contact, a.contract).await?;
    if !contact_ok {
        return Err(ServiceError::invalid("contact", "no such contact"));
    }
    if !contract_ok {
        return Err(ServiceError::invalid("contract", "the contract is not that contact's"));
    }
    log::annotate(&mut tx, call, actor.user_id(), &a).await?;
    publish_in(&mut tx, Topic::DeskCalls, json!({"call": call})).await?;
    tx.commit().await?;
    Ok(())
}

/// The call is to annotate again (its categories, comment, contact and contract removed).
pub async fn clear_annotation(s: &Services, actor: &Actor, call: i64) -> Result<()> {
    may_use_desk(actor)?;
    let mut tx = s.db.begin().await?;
    let agent = log::lock_call(&mut tx, call).await.map_err(ServiceError::db("call"))?;
    may_annotate(actor, agent)?;
    log::clear(&mut tx, call).await?;
    publish_in(&mut tx, Topic::DeskCalls, json!({"call": call})).await?;
    tx.commit().await?;
    Ok(())
}

/// A call not from the PBX, recorded by the signed-in agent (then annotated like any other).
pub async fn record_call(s: &Services, actor: &Actor, input: &ManualCallInput) -> Result<i64> {
    may_use_desk(actor)?;
    let Some(user) = actor.user_id() else {
        return Err(ServiceError::Forbidden);
    };
    let zone = log::team_zone(&s.db).await?;
    let m = input.validate(&s.default_country_code, &zone, Utc::now())?;
    let mut tx = s.db.begin().await?;
    let id = log::record_manual(&mut tx, user, &m).await?;
    publish_in(&mut tx, Topic::DeskCalls, json!({"call": id})).await?;
    tx.commit().await?;
    tracing::info!(call = id, by = %actor.who(), "call recorded by hand");
    Ok(id)
}

/// One call's row in the log (with its annotation), for its card.
pub async fn call_row(s: &Services, actor: &Actor, call: i64) -> Result<LogRow> {
    may_use_desk(actor)?;
    let c = calls::get(&s.db, call).await.map_err(ServiceError::db("call"))?;
    let zone: chrono_tz::Tz = log::team_zone(&s.db).await?.parse().unwrap_or(chrono_tz::UTC);
    let day = c.rang_at.with_timezone(&zone).date_naive();
    // That agent's day (a call is on its agent's day): a few dozen rows, not the team's.
    let f = LogFilter {
        agent: c.user_id,
        ..Default::default()
    };
    let rows = log::day(&s.db, day, &f, i64::MAX).await?;
    rows.into_iter()
        .find(|r| r.call.id == call)
        .ok_or_else(|| ServiceError::NotFound("call".into()))
}

/// The signed-in agent's calls of a day (today by default), newest first.
pub async fn my_day(s: &Services, actor: &Actor, day: Option<chrono::NaiveDate>) -> Result<MyDay> {
    may_use_desk(actor)?;
    let Some(user) = actor.user_id() else {
        return Err(ServiceError::Forbidden);
    };
    let day = match day {
        Some(d) => d,
        None => log::today(&s.db).await?,
    };
    let f = LogFilter {
        agent: Some(user),
        ..Default::default()
    };
    let rows = log::day(&s.db, day, &f, LOG_CAP as i64).await?;
    let to_annotate = rows.iter().filter(|r| r.annotated_at.is_none()).count();
    Ok(MyDay { day, rows, to_annotate })
}

/// The team's log of a day with filters, calls per category, the agents to filter by.
pub async fn team_log(s: &Services, actor: &Actor, f: &LogFilter) -> Result<TeamLog> {
    may_see_team(actor)?;
    let day = match f.day {
        Some(d) => d,
        None => log::today(&s.db).await?,
    };
    let mut rows = log::day(&s.db, day, f, LOG_CAP as i64 + 1).await?;
    let truncated = rows.len() > LOG_CAP;
    rows.truncate(LOG_CAP);
    let (counts, unannotated) = log::per_category(&s.db, day, f).await?;
    let cats = categories::list(&s.db, false).await?;
    let per_category = counts
        .into_iter()
        .filter_map(|(id, n)| {
            cats.iter().find(|c| c.id == id).map(|c| CategoryCount {
                category: c.clone(),
                calls: n,
            })
        })
        .collect();
    let agents = log::agents_of_day(&s.db, day).await?;
    Ok(TeamLog {
        day,
        rows,
        truncated,
        per_category,
        unannotated,
        agents,
    })
}

/// The team log as CSV (at most [`LOG_EXPORT_CAP`] calls), with its file name.
pub async fn team_log_csv(s: &Services, actor: &Actor, f: &LogFilter) -> Result<(String, String)> {
    may_see_team(actor)?;
    let day = match f.day {
        Some(d) => d,
        None => log::today(&s.db).await?,
    };
    let rows = log::day(&s.db, day, f, LOG_EXPORT_CAP as i64).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "call",
        "rang_at",
        "extension",
        "phone",
        "agent",
        "contact",
        "manual",
        "answered_at",
        "ended_at",
        "annotated_at",
        "categories",
        "comment",
        "about_contact",
        "about_contract",
    ];
    let csv_err = |e: csv::Error| {
        tracing::error!(error = %e, "call log CSV");
        ServiceError::Internal
    };
    w.write_record(header).map_err(csv_err)?;
    let t = |v: Option<DateTime<Utc>>| v.map(|t| t.to_rfc3339()).unwrap_or_default();
    for r in rows {
        w.write_record([
            r.call.id.to_string(),
            r.call.rang_at.to_rfc3339(),
            r.call.extension.clone(),
            r.call.phone.clone(),
            r.agent.clone().unwrap_or_default(),
            r.contact.clone().unwrap_or_default(),
            r.manual.to_string(),
            t(r.call.answered_at),
            t(r.call.ended_at),
            t(r.annotated_at),
            r.categories
                .iter()
                .map(|c| c.code.as_str())
                .collect::<Vec<_>>()
                .join("|"),
            r.comment.clone(),
            r.about_contact.map(|c| c.1).unwrap_or_default(),
            r.about_contract.map(|c| c.1).unwrap_or_default(),
        ])
        .map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| {
        tracing::error!(error = %e, "call log CSV");
        ServiceError::Internal
    })?;
    Ok((
        String::from_utf8(bytes).map_err(|_| ServiceError::Internal)?,
        format!("calls-{day}.csv"),
    ))
}
