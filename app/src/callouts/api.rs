//! Callouts and the contact directory for the pages: list, create and change callouts, move
//! them through start/pause/resume/stop, populate them, read their numbers and participations;
//! search and import contacts; the caller-id registry. Everyone in the callouts area reads;
//! `CalloutEdit::Run` changes. The REST API (server/src/rest) offers the same to machines.
use crate::callouts::rules::callout::{CalloutStats, CalloutStatus};
use crate::callouts::rules::contacts_csv::{Mapping, Row, RowError};
use crate::callouts::rules::settings::{CalloutInput, ContactFields, ContactFilter, ContactInput};
use crate::shell::error::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalloutLine {
    pub id: i64,
    pub name: String,
    pub status: CalloutStatus,
    pub participations: i64,
    pub done: i64,
    pub answered: i64,
    pub calls_in_flight: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalloutList {
    pub callouts: Vec<CalloutLine>,
    pub may_run: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalloutView {
    pub id: i64,
    pub status: CalloutStatus,
    pub settings: CalloutInput,
    pub started_at: Option<DateTime<Utc>>,
    pub stats: CalloutStats,
    pub may_run: bool,
    /// Outside calling hours now (in the callout's default zone): what the page says about it.
    pub outside_hours: Option<String>,
    /// Neither the callout nor the caller-id registry gives a `From` number: calls would fail.
    pub no_caller_id: bool,
    /// The zone the page shows times in (the callout's, else the team's).
    pub time_zone: String,
    /// When the numbers were read (the page's clock; wasm has no reliable one).
    pub now: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParticipationLine {
    pub id: i64,
    pub contact_id: i64,
    pub phone: String,
    pub name: String,
    pub state: String,
    pub done_reason: Option<String>,
    pub attempts: i32,
    pub answered: bool,
    pub last_call_status: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParticipationPage {
    pub items: Vec<ParticipationLine>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    /// The zone the page shows times in (the callout's, else the team's).
    pub time_zone: String,
}

/// One call of a participation, for its history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallLine {
    pub attempt: i32,
    pub status: String,
    pub caller_id: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<i32>,
    pub error: Option<String>,
    /// Every status the call took: status, where it came from (worker, callback, poll), when.
    pub history: Vec<(String, String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactLine {
    pub id: i64,
    pub fields: ContactFields,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactPage {
    pub items: Vec<ContactLine>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub may_edit: bool,
    /// Country code given to national numbers (shown on the import form).
    pub default_country_code: String,
}

/// What one chunk of an import did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportChunk {
    pub created: u64,
    pub merged: u64,
    pub errors: Vec<RowError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallerIdRule {
    pub prefix: String,
    pub caller_id: String,
}

/// Rows one import request may carry (the page sends the file in chunks of this size).
pub const IMPORT_CHUNK: usize = 5_000;

#[cfg(feature = "ssr")]
use {
    super::service::{self, Population},
    crate::shell::ctx::{Services, services},
    crate::shell::guard::{respond, signed_in},
};

/// The zone a callout's page shows times in: the callout's own, else the team's.
#[cfg(feature = "ssr")]
async fn shown_zone(
    s: &Services,
    settings: &crate::callouts::rules::settings::CalloutSettings,
) -> Result<String, ApiError> {
    Ok(match &settings.time_zone {
        Some(z) => z.clone(),
        None => crate::callouts::store::callouts::team_time_zone(&s.db).await?,
    })
}

#[server(prefix = "/api", endpoint = "callouts/list", input = server_fn::codec::Json)]
pub async fn list_callouts() -> Result<CalloutList, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        let callouts = service::summaries(&s, &actor)
            .await?
            .into_iter()
            .map(|r| CalloutLine {
                id: r.id,
                name: r.name,
                status: r.status,
                participations: r.participations,
                done: r.done,
                answered: r.answered,
                calls_in_flight: r.calls_in_flight,
                created_at: r.created_at,
            })
            .collect();
        Ok(CalloutList {
            callouts,
            may_run: service::runs(&actor),
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "callouts/get", input = server_fn::codec::Json)]
pub async fn get_callout(id: i64) -> Result<CalloutView, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        let (c, stats) = service::statistics(&s, &actor, id).await?;
        let no_caller_id = c.settings.caller_id.is_none() && service::caller_ids(&s, &actor).await?.is_empty();
        let zone = shown_zone(&s, &c.settings).await?;
        let outside_hours = match &c.settings.calling_hours {
            None => None,
            Some(h) => {
                let now = Utc::now();
                match crate::callouts::rules::pacing::within_calling_hours(h, &zone, now) {
                    Ok(true) | Err(_) => None,
                    Ok(false) => Some(format!(
                        "Outside calling hours: calls are placed {} {}–{} in each contact's time zone \
                         (default {zone}, where it is now {}).",
                        crate::callouts::rules::settings::days_text(&h.days),
                        h.start.format("%H:%M"),
                        h.end.format("%H:%M"),
                        now.with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC))
                            .format("%a %H:%M"),
                    )),
                }
            }
        };
        Ok(CalloutView {
            time_zone: zone,
            outside_hours,
            no_caller_id,
            id,
            status: c.status,
            settings: CalloutInput::of(&c.settings),
            started_at: c.started_at,
            stats,
            may_run: service::runs(&actor),
            now: Utc::now(),
        })
    })
    .await
}

/// Creates (`id` none) or changes a callout's settings; returns its id.
#[server(prefix = "/api", endpoint = "callouts/save", input = server_fn::codec::Json)]
pub async fn save_callout(id: Option<i64>, input: CalloutInput) -> Result<i64, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        let c = match id {
            None => service::create_callout(&s, &actor, &input).await?,
            Some(id) => service::update_callout(&s, &actor, id, &input).await?,
        };
        Ok(c.id)
    })
    .await
}

/// Start, pause, resume or stop; returns the new status, or 422 saying why not.
#[server(prefix = "/api", endpoint = "callouts/event", input = server_fn::codec::Json)]
pub async fn callout_transition(id: i64, event: String) -> Result<CalloutStatus, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        Ok(service::transition(&s, &actor, id, &event).await?.status)
    })
    .await
}

/// Deletes a callout that is not running.
#[server(prefix = "/api", endpoint = "callouts/delete", input = server_fn::codec::Json)]
pub async fn delete_callout(id: i64) -> Result<(), ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        Ok(service::delete_callout(&s, &actor, id).await?)
    })
    .await
}

/// Adds the contacts matching `filter` (all when empty); returns how many were added.
#[server(prefix = "/api", endpoint = "callouts/populate", input = server_fn::codec::Json)]
pub async fn populate_callout(id: i64, filter: ContactFilter) -> Result<u64, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        Ok(service::populate(&s, &actor, id, &Population::Matching(filter))
            .await?
            .0)
    })
    .await
}

#[server(prefix = "/api", endpoint = "callouts/participations", input = server_fn::codec::Json)]
pub async fn list_participations(
    id: i64,
    filter: crate::callouts::rules::callout::ParticipationFilter,
    page: i64,
) -> Result<ParticipationPage, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        let (page, per_page) = crate::callouts::store::contacts::page_bounds(Some(page), Some(50));
        let c = service::callout(&s, &actor, id).await?;
        let p = service::participations(&s, &actor, id, &filter, page, per_page).await?;
        Ok(ParticipationPage {
            items: p.items.into_iter().map(participation_line).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
            time_zone: shown_zone(&s, &c.settings).await?,
        })
    })
    .await
}

/// The calls made to one participation, first attempt first.
#[server(prefix = "/api", endpoint = "callouts/participation-calls", input = server_fn::codec::Json)]
pub async fn participation_calls(participation_id: i64) -> Result<Vec<CallLine>, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        service::may_view(&actor)?;
        let f = crate::callouts::store::calls::CallFilter {
            participation_id: Some(participation_id),
            ..Default::default()
        };
        let page = crate::callouts::store::calls::list(&s.db, &f, 1, 100).await?;
        let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
        Ok(page
            .items
            .into_iter()
            .map(|c| CallLine {
                attempt: c.attempt,
                status: c.status,
                caller_id: c.caller_id,
                sent_at: c.sent_at,
                answered_at: c.answered_at,
                duration_secs: c.duration_secs,
                error: c.error_message,
                history: c
                    .history
                    .0
                    .as_array()
                    .map(|h| {
                        h.iter()
                            .map(|e| (text(e, "status"), text(e, "source"), text(e, "at")))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect())
    })
    .await
}

#[cfg(feature = "ssr")]
fn participation_line(p: crate::callouts::store::participations::Participation) -> ParticipationLine {
    ParticipationLine {
        id: p.id,
        contact_id: p.contact_id,
        phone: p.phone,
        name: p.name,
        state: p.state,
        done_reason: p.done_reason,
        attempts: p.attempts,
        answered: p.answered,
        last_call_status: p.last_call_status,
        next_attempt_at: p.next_attempt_at,
    }
}

#[server(prefix = "/api", endpoint = "contacts/list", input = server_fn::codec::Json)]
pub async fn list_contacts(filter: ContactFilter, page: i64) -> Result<ContactPage, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        let (page, per_page) = crate::callouts::store::contacts::page_bounds(Some(page), Some(50));
        let p = service::list_contacts(&s, &actor, &filter, page, per_page).await?;
        Ok(ContactPage {
            items: p
                .items
                .into_iter()
                .map(|c| ContactLine {
                    id: c.id,
                    fields: c.fields(),
                    updated_at: c.updated_at,
                })
                .collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
            may_edit: service::runs(&actor),
            default_country_code: s.default_country_code.clone(),
        })
    })
    .await
}

/// Creates (`id` none) or changes a contact; returns its id. A number another contact has is a
/// conflict naming the field.
#[server(prefix = "/api", endpoint = "contacts/save", input = server_fn::codec::Json)]
pub async fn save_contact(id: Option<i64>, input: ContactInput) -> Result<i64, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        let c = match id {
            None => service::create_contact(&s, &actor, &input).await?,
            Some(id) => service::update_contact(&s, &actor, id, &input).await?,
        };
        Ok(c.id)
    })
    .await
}

/// Deletes a contact that takes part in no callout (409 otherwise: its calls would be lost).
#[server(prefix = "/api", endpoint = "contacts/delete", input = server_fn::codec::Json)]
pub async fn delete_contact(id: i64) -> Result<(), ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        Ok(service::delete_contact(&s, &actor, id).await?)
    })
    .await
}

/// Imports one chunk of a CSV file the page has read (see `service::import_chunk`). Chunks
/// already imported stay imported.
#[server(prefix = "/api", endpoint = "contacts/import", input = server_fn::codec::Json)]
pub async fn import_contacts(mapping: Mapping, rows: Vec<Row>, tag: Option<String>) -> Result<ImportChunk, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        let (written, errors) = service::import_chunk(&s, &actor, &mapping, &rows, tag.as_deref()).await?;
        Ok(ImportChunk {
            created: written.created,
            merged: written.merged,
            errors,
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "callouts/caller-ids", input = server_fn::codec::Json)]
pub async fn caller_id_rules() -> Result<Vec<CallerIdRule>, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        Ok(service::caller_ids(&s, &actor)
            .await?
            .into_iter()
            .map(|(prefix, caller_id)| CallerIdRule { prefix, caller_id })
            .collect())
    })
    .await
}

/// Sets (or, with an empty caller id, removes) the caller id used for numbers with `prefix`.
#[server(prefix = "/api", endpoint = "callouts/caller-ids/save", input = server_fn::codec::Json)]
pub async fn save_caller_id_rule(prefix: String, caller_id: String) -> Result<(), ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        if caller_id.trim().is_empty() {
            service::delete_caller_id(&s, &actor, &prefix).await?;
        } else {
            service::set_caller_id(&s, &actor, &prefix, &caller_id).await?;
        }
        Ok(())
    })
    .await
}

/// The REST API's OpenAPI document, generated by the server from its handlers' types
/// (server/src/rest) and handed over with [`set_openapi_document`] when it builds the router:
/// this crate cannot see the server's.
#[cfg(feature = "ssr")]
static OPENAPI_DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();

/// Called by the server with the document it serves at `/api/v1/openapi.json` (the first call
/// wins; every router of one build generates the same document).
#[cfg(feature = "ssr")]
pub fn set_openapi_document(document: serde_json::Value) {
    let _ = OPENAPI_DOCUMENT.set(document);
}

/// The REST API's OpenAPI document, for the console's reference page.
#[server(prefix = "/api", endpoint = "callouts/openapi", input = server_fn::codec::Json)]
pub async fn openapi_document() -> Result<serde_json::Value, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        service::may_view(&actor)?;
        OPENAPI_DOCUMENT
            .get()
            .cloned()
            .ok_or_else(|| ApiError::internal("openapi", "the server has not set the REST API document"))
    })
    .await
}
