//! The REST API for contacts, callouts, participations and calls (`/api/v1/…`).
//!
//! Callers: a token with the `callouts` scope, or a signed-in user whose roles open the callouts
//! area; changes need `CalloutEdit::Run` (managers, coordinators, admins), agents may only read.
//! Errors are JSON `{error, message, fields?}`: 422 for validation (field by field) and refused
//! transitions, 404, 409 for conflicts; 401/403 from the caller checks.
//!
//! Every handler carries its `#[utoipa::path]` (method, path, parameters, body, responses) and
//! answers with a typed body; [`routes`] registers them only through `routes!`, which takes the
//! method and path from that annotation, so what is served is what the document says.

use super::error::{Conflict, Denied, Invalid, NotFound, RestError};
use crate::caller::Caller;
use crate::error::HttpError;
use crate::state::AppState;
use app::callouts::rules::callout::{CalloutEvent, CalloutStatus};
use app::callouts::rules::calls::CallStatus;
use app::callouts::rules::settings::{CalloutInput, ContactFilter, ContactInput};
use app::callouts::service::{self, Population};
use app::callouts::store::callouts::{Callout, Stats};
use app::callouts::store::calls::{Call, CallFilter};
use app::callouts::store::contacts::{Contact, Page, page_bounds};
use app::callouts::store::participations::Participation;
use app::shell::service::Actor;
use app::{
    callouts::store::callouts, callouts::store::calls, callouts::store::contacts, callouts::store::participations,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The tags of this area's operations (declared, with their descriptions, in [`super::TAGS`]).
pub const CONTACTS: &str = "contacts";
pub const CALLOUTS: &str = "callouts";
pub const PARTICIPATIONS: &str = "participations";
pub const CALLS: &str = "calls";
pub const CALLER_IDS: &str = "caller ids";

type Res<T> = Result<T, RestError>;

/// The area's routes. Only `routes!` of annotated handlers here (no `.route`): a handler
/// cannot be served without its method and path being in the OpenAPI document. One `routes!`
/// per path (utoipa-axum mounts every handler of one call on each of its paths).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(bulk_contacts))
        .routes(routes!(export_contacts))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(list_callouts, create_callout))
        .routes(routes!(get_callout, update_callout, delete_callout))
        .routes(routes!(callout_event))
        .routes(routes!(populate))
        .routes(routes!(statistics))
        .routes(routes!(list_participations))
        .routes(routes!(export_participations))
        .routes(routes!(get_participation))
        .routes(routes!(list_caller_ids, set_caller_id))
        .routes(routes!(delete_caller_id))
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
}

/// The caller as the service's actor: a user or a token; 401 for nobody.
fn actor(caller: Caller) -> Res<Actor> {
    match caller {
        Caller::User(me) => Ok(Actor::User(me)),
        Caller::Machine(t) => Ok(Actor::Token {
            id: t.id,
            name: t.name,
            scopes: t.scopes,
        }),
        Caller::Anonymous => Err(HttpError::Unauthenticated.into()),
    }
}

/// May read callouts and contacts.
fn viewer(caller: Caller) -> Res<Actor> {
    let a = actor(caller)?;
    service::may_view(&a)?;
    Ok(a)
}

/// Parses a JSON body (an empty body is `{}`), naming what is wrong.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Res<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_value(json!({})).map_err(|e| RestError::invalid("body", e.to_string()));
    }
    serde_json::from_slice(bytes).map_err(|e| RestError::invalid("body", format!("not the expected JSON: {e}")))
}

/// Overlays the keys of `patch` (a JSON object) on `base` (the current value's input form).
fn merged<T: Serialize + DeserializeOwned>(base: &T, patch: &Bytes) -> Res<T> {
    let patch: Value = body(patch)?;
    let Value::Object(changes) = patch else {
        return Err(RestError::invalid("body", "must be a JSON object"));
    };
    let mut base = serde_json::to_value(base).map_err(|e| RestError::Internal(format!("current value: {e}")))?;
    if let Value::Object(m) = &mut base {
        for (k, v) in changes {
            m.insert(k, v);
        }
    }
    serde_json::from_value(base).map_err(|e| RestError::invalid("body", e.to_string()))
}

// ---- query strings ----
//
// The handlers read their query as raw pairs (`tag` repeats, `metadata.KEY` has a key in its
// name, and a bad number is a 422 naming its parameter); the `…Query` types below only
// document those parameters in the OpenAPI document, next to the functions that read them.

type Params = Query<Vec<(String, String)>>;

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn int_param(q: &[(String, String)], name: &str) -> Res<Option<i64>> {
    param(q, name)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| RestError::invalid(name, format!("'{v}' is not a whole number")))
        })
        .transpose()
}

/// A page of a list (read by [`paging`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct PageQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<i64>,
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    per_page: Option<i64>,
}

fn paging(q: &[(String, String)]) -> Res<(i64, i64)> {
    let page = int_param(q, "page")?;
    let per_page = int_param(q, "per_page")?;
    if page.is_some_and(|p| p < 1) {
        return Err(RestError::invalid("page", "must be at least 1"));
    }
    if per_page.is_some_and(|p| !(1..=1000).contains(&p)) {
        return Err(RestError::invalid("per_page", "must be between 1 and 1000"));
    }
    Ok(page_bounds(page, per_page))
}

/// Which contacts (read by [`contact_filter`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ContactQuery {
    /// Name or number contains.
    search: Option<String>,
    /// Has this tag (repeatable: every one).
    tag: Option<Vec<String>>,
    /// Has these tags, comma-separated.
    tags: Option<String>,
    /// Metadata contains this JSON object, e.g. `{"zone":"n"}`.
    metadata: Option<String>,
    /// Metadata has KEY = this value (one parameter per key, e.g. `metadata.zone=n`).
    #[param(rename = "metadata.KEY")]
    metadata_key: Option<String>,
}

/// `search=`, `tag=` (repeatable, or comma-separated `tags=`), `metadata.KEY=VALUE`, or
/// `metadata=` a JSON object.
fn contact_filter(q: &[(String, String)]) -> Res<ContactFilter> {
    let mut f = ContactFilter {
        search: param(q, "search").map(str::to_string),
        ..Default::default()
    };
    let mut meta = Map::new();
    for (k, v) in q {
        match k.as_str() {
            "tag" => f.tags.push(v.trim().to_string()),
            "tags" => f.tags.extend(v.split(',').map(|t| t.trim().to_string())),
            "metadata" => match serde_json::from_str::<Value>(v) {
                Ok(Value::Object(m)) => meta.extend(m),
                _ => return Err(RestError::invalid("metadata", "must be a JSON object")),
            },
            _ => {
                if let Some(key) = k.strip_prefix("metadata.") {
                    meta.insert(key.to_string(), Value::from(v.clone()));
                }
            }
        }
    }
    f.tags.retain(|t| !t.is_empty());
    if !meta.is_empty() {
        f.metadata = Some(Value::Object(meta));
    }
    Ok(f)
}

/// Which callouts (read by [`list_callouts`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct CalloutQuery {
    status: Option<CalloutStatus>,
}

/// Which participations (read by [`participation_filter`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ParticipationQuery {
    /// pending, calling or done.
    #[param(example = "pending")]
    state: Option<String>,
    answered: Option<bool>,
    /// The status of the last call.
    last_call_status: Option<CallStatus>,
    /// Name or number contains.
    search: Option<String>,
}

/// `state=`, `answered=true|false`, `last_call_status=`, `search=`.
fn participation_filter(q: &[(String, String)]) -> Res<participations::ParticipationFilter> {
    let answered = match param(q, "answered") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(RestError::invalid("answered", "must be true or false")),
    };
    participations::ParticipationFilter {
        state: param(q, "state").map(str::to_string),
        answered,
        last_call_status: param(q, "last_call_status").map(str::to_string),
        search: param(q, "search").map(str::to_string),
    }
    .checked()
    .map_err(|e| RestError::Invalid(vec![e]))
}

/// Which calls (read by [`list_calls`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct CallQuery {
    callout_id: Option<i64>,
    participation_id: Option<i64>,
    status: Option<CallStatus>,
}

// ---- contacts ----

/// List contacts
///
/// Filtered by search, tags and metadata; paginated.
#[utoipa::path(
    get, path = "/api/v1/contacts", tag = CONTACTS,
    params(PageQuery, ContactQuery),
    responses((status = 200, description = "a page of contacts", body = Page<Contact>), Denied, Invalid)
)]
async fn list_contacts(State(st): State<AppState>, caller: Caller, Query(q): Params) -> Res<Json<Page<Contact>>> {
    viewer(caller)?;
    let (page, per_page) = paging(&q)?;
    let filter = contact_filter(&q)?;
    let p = contacts::list(&st.services.db, &filter, page, per_page)
        .await
        .map_err(RestError::db("contacts"))?;
    Ok(Json(p))
}

/// Get a contact
#[utoipa::path(
    get, path = "/api/v1/contacts/{id}", tag = CONTACTS,
    params(("id" = i64, Path, description = "the contact's id")),
    responses((status = 200, description = "the contact", body = Contact), Denied, NotFound)
)]
async fn get_contact(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<Contact>> {
    viewer(caller)?;
    let c = contacts::get(&st.services.db, id)
        .await
        .map_err(RestError::db("contact"))?;
    Ok(Json(c))
}

/// Create a contact
///
/// A national number gets the configured default country code; a number already in the
/// directory is a conflict.
#[utoipa::path(
    post, path = "/api/v1/contacts", tag = CONTACTS,
    request_body = ContactInput,
    responses((status = 201, description = "created", body = Contact), Denied, Conflict, Invalid)
)]
async fn create_contact(State(st): State<AppState>, caller: Caller, bytes: Bytes) -> Res<(StatusCode, Json<Contact>)> {
    let actor = actor(caller)?;
    let input: ContactInput = body(&bytes)?;
    let c = service::create_contact(&st.services, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Change a contact
///
/// Only the given fields change.
#[utoipa::path(
    patch, path = "/api/v1/contacts/{id}", tag = CONTACTS,
    params(("id" = i64, Path, description = "the contact's id")),
    request_body = ContactInput,
    responses((status = 200, description = "the contact", body = Contact), Denied, NotFound, Conflict, Invalid)
)]
async fn update_contact(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Res<Json<Contact>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let current = service::contact(&st.services, &actor, id).await?;
    let input: ContactInput = merged(&ContactInput::of(&current.fields()), &bytes)?;
    let c = service::update_contact(&st.services, &actor, id, &input).await?;
    Ok(Json(c))
}

/// Delete a contact
///
/// Refused (409) while the contact is in a callout: its calls would be lost.
#[utoipa::path(
    delete, path = "/api/v1/contacts/{id}", tag = CONTACTS,
    params(("id" = i64, Path, description = "the contact's id")),
    responses((status = 204, description = "deleted"), Denied, NotFound, Conflict)
)]
async fn delete_contact(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<StatusCode> {
    let actor = actor(caller)?;
    service::delete_contact(&st.services, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Many contacts: `{"contacts": [...]}` or the list itself. Each item is read on its own, so
/// an invalid one is reported by its index while the others are written.
#[derive(serde::Deserialize, ToSchema)]
#[serde(untagged)]
enum BulkContacts {
    #[schema(value_type = Vec<ContactInput>)]
    List(Vec<Value>),
    Wrapped {
        #[schema(value_type = Vec<ContactInput>)]
        contacts: Vec<Value>,
    },
}

/// A contact of a bulk request that was refused.
#[derive(Serialize, ToSchema)]
struct BulkError {
    /// Its position in the request, from 0.
    index: usize,
    field: String,
    message: String,
}

/// What a bulk request did.
#[derive(Serialize, ToSchema)]
struct BulkResult {
    created: u64,
    /// Existing numbers (or repeats within the request) merged into one contact.
    merged: u64,
    /// How many items were refused (each is in `errors`, one line per problem).
    invalid: usize,
    errors: Vec<BulkError>,
}

/// Create or merge many contacts
///
/// Valid ones are created, or merged into the contact that has their number; invalid ones are
/// reported by index.
#[utoipa::path(
    post, path = "/api/v1/contacts/bulk", tag = CONTACTS,
    request_body = BulkContacts,
    responses((status = 200, description = "counts and errors", body = BulkResult), Denied, Invalid)
)]
async fn bulk_contacts(State(st): State<AppState>, caller: Caller, bytes: Bytes) -> Res<Json<BulkResult>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let items = match body::<BulkContacts>(&bytes)? {
        BulkContacts::List(v) | BulkContacts::Wrapped { contacts: v } => v,
    };
    let (done, errors) = service::bulk_contacts(&st.services, &actor, items).await?;
    Ok(Json(BulkResult {
        created: done.created,
        merged: done.merged,
        invalid: errors.len(),
        errors: errors
            .into_iter()
            .map(|e| BulkError {
                index: e.index,
                field: e.field,
                message: e.message,
            })
            .collect(),
    }))
}

// ---- callouts ----

/// A callout: its settings (the fields of `CalloutInput`), status and times.
#[derive(Serialize, ToSchema)]
#[schema(as = Callout)]
struct CalloutBody {
    id: i64,
    status: CalloutStatus,
    /// The events the status accepts now.
    allowed_events: Vec<CalloutEvent>,
    /// The user who created it (none for a token).
    created_by: Option<i64>,
    started_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(flatten)]
    settings: CalloutInput,
}

impl From<Callout> for CalloutBody {
    fn from(c: Callout) -> Self {
        CalloutBody {
            id: c.id,
            status: c.status,
            allowed_events: c.status.allowed_events(),
            created_by: c.created_by,
            started_at: c.started_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            settings: CalloutInput::of(&c.settings),
        }
    }
}

/// List callouts
#[utoipa::path(
    get, path = "/api/v1/callouts", tag = CALLOUTS,
    params(PageQuery, CalloutQuery),
    responses((status = 200, description = "a page of callouts", body = Page<CalloutBody>), Denied, Invalid)
)]
async fn list_callouts(State(st): State<AppState>, caller: Caller, Query(q): Params) -> Res<Json<Page<CalloutBody>>> {
    viewer(caller)?;
    let (page, per_page) = paging(&q)?;
    let status = match param(&q, "status") {
        None => None,
        Some(s) => Some(CalloutStatus::parse(s).ok_or_else(|| {
            RestError::invalid(
                "status",
                format!("unknown status '{s}' (initialized, running, paused, stopped)"),
            )
        })?),
    };
    let (items, total) = callouts::list(&st.services.db, status, page, per_page)
        .await
        .map_err(RestError::db("callouts"))?;
    Ok(Json(Page {
        items: items.into_iter().map(CalloutBody::from).collect(),
        total,
        page,
        per_page,
    }))
}

/// Get a callout
#[utoipa::path(
    get, path = "/api/v1/callouts/{id}", tag = CALLOUTS,
    params(("id" = i64, Path, description = "the callout's id")),
    responses((status = 200, description = "the callout", body = CalloutBody), Denied, NotFound)
)]
async fn get_callout(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<CalloutBody>> {
    viewer(caller)?;
    let c = callouts::get(&st.services.db, id)
        .await
        .map_err(RestError::db("callout"))?;
    Ok(Json(c.into()))
}

/// Create a callout
///
/// Only a name is needed; every other setting has a default.
#[utoipa::path(
    post, path = "/api/v1/callouts", tag = CALLOUTS,
    request_body = CalloutInput,
    responses((status = 201, description = "created", body = CalloutBody), Denied, Invalid)
)]
async fn create_callout(
    State(st): State<AppState>,
    caller: Caller,
    bytes: Bytes,
) -> Res<(StatusCode, Json<CalloutBody>)> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let input: CalloutInput = body(&bytes)?;
    let c = service::create_callout(&st.services, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Change a callout's settings
///
/// Only the given fields change.
#[utoipa::path(
    patch, path = "/api/v1/callouts/{id}", tag = CALLOUTS,
    params(("id" = i64, Path, description = "the callout's id")),
    request_body = CalloutInput,
    responses((status = 200, description = "the callout", body = CalloutBody), Denied, NotFound, Invalid)
)]
async fn update_callout(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Res<Json<CalloutBody>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let current = service::callout(&st.services, &actor, id).await?;
    let input: CalloutInput = merged(&CalloutInput::of(&current.settings), &bytes)?;
    let c = service::update_callout(&st.services, &actor, id, &input).await?;
    Ok(Json(c.into()))
}

/// Delete a callout
///
/// With its participations and calls; refused (409) while it is running.
#[utoipa::path(
    delete, path = "/api/v1/callouts/{id}", tag = CALLOUTS,
    params(("id" = i64, Path, description = "the callout's id")),
    responses((status = 204, description = "deleted"), Denied, NotFound, Conflict)
)]
async fn delete_callout(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<StatusCode> {
    let actor = actor(caller)?;
    service::delete_callout(&st.services, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An event for a callout's status.
#[derive(serde::Deserialize, ToSchema)]
#[schema(as = Event)]
#[serde(deny_unknown_fields)]
struct EventBody {
    #[schema(value_type = CalloutEvent)]
    event: Option<String>,
}

/// Start, pause, resume or stop a callout
///
/// A transition the status does not allow is refused with 422 and a message.
#[utoipa::path(
    post, path = "/api/v1/callouts/{id}/events", tag = CALLOUTS,
    params(("id" = i64, Path, description = "the callout's id")),
    request_body = EventBody,
    responses((status = 200, description = "the callout", body = CalloutBody), Denied, NotFound, Invalid)
)]
async fn callout_event(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Res<Json<CalloutBody>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let b: EventBody = body(&bytes)?;
    let Some(name) = b.event else {
        return Err(RestError::invalid(
            "event",
            "give an event: start, pause, resume or stop",
        ));
    };
    let c = service::transition(&st.services, &actor, id, &name).await?;
    Ok(Json(c.into()))
}

/// Who to add to a callout: contacts matching `filter` (every contact when nothing is given)
/// or the contacts `contact_ids`, not both.
#[derive(serde::Deserialize, Default, ToSchema)]
#[schema(as = Populate)]
#[serde(default, deny_unknown_fields)]
struct PopulateBody {
    filter: Option<ContactFilter>,
    /// Unknown ids are skipped.
    contact_ids: Option<Vec<i64>>,
}

/// What populating did.
#[derive(Serialize, ToSchema)]
struct Populated {
    /// Contacts added now (each contact is in a callout at most once).
    added: u64,
    /// The callout's participations now.
    participations: i64,
}

/// Add contacts to a callout
///
/// By filter (every contact when empty) or by id; each contact at most once.
#[utoipa::path(
    post, path = "/api/v1/callouts/{id}/populate", tag = CALLOUTS,
    params(("id" = i64, Path, description = "the callout's id")),
    request_body = PopulateBody,
    responses((status = 200, description = "how many were added", body = Populated), Denied, NotFound, Invalid)
)]
async fn populate(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Res<Json<Populated>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let b: PopulateBody = body(&bytes)?;
    let who = match (b.filter, b.contact_ids) {
        (Some(_), Some(_)) => {
            return Err(RestError::invalid(
                "contact_ids",
                "give either a filter or contact_ids, not both",
            ));
        }
        (None, Some(ids)) => Population::Ids(ids),
        (filter, None) => Population::Matching(filter.unwrap_or_default()),
    };
    let (added, participations) = service::populate(&st.services, &actor, id, &who).await?;
    Ok(Json(Populated { added, participations }))
}

/// A callout's numbers.
#[derive(Serialize, ToSchema)]
struct Statistics {
    callout_id: i64,
    status: CalloutStatus,
    #[serde(flatten)]
    stats: Stats,
}

/// Numbers of a callout
///
/// Participations total / remaining / answered, calls by status, participations by attempts,
/// calls per 10 minutes by outcome.
#[utoipa::path(
    get, path = "/api/v1/callouts/{id}/statistics", tag = CALLOUTS,
    params(("id" = i64, Path, description = "the callout's id")),
    responses((status = 200, description = "statistics", body = Statistics), Denied, NotFound)
)]
async fn statistics(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<Statistics>> {
    viewer(caller)?;
    let db = &st.services.db;
    let c = callouts::get(db, id).await.map_err(RestError::db("callout"))?;
    let stats = callouts::stats(db, id).await.map_err(RestError::db("callout"))?;
    Ok(Json(Statistics {
        callout_id: id,
        status: c.status,
        stats,
    }))
}

// ---- participations and calls ----

/// List a callout's participations
#[utoipa::path(
    get, path = "/api/v1/callouts/{id}/participations", tag = PARTICIPATIONS,
    params(("id" = i64, Path, description = "the callout's id"), PageQuery, ParticipationQuery),
    responses(
        (status = 200, description = "a page of participations", body = Page<Participation>),
        Denied, NotFound, Invalid
    )
)]
async fn list_participations(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Params,
) -> Res<Json<Page<Participation>>> {
    viewer(caller)?;
    let (page, per_page) = paging(&q)?;
    let filter = participation_filter(&q)?;
    let p = participations::list(&st.services.db, id, &filter, page, per_page)
        .await
        .map_err(RestError::db("callout"))?;
    Ok(Json(p))
}

/// Get a participation
#[utoipa::path(
    get, path = "/api/v1/participations/{id}", tag = PARTICIPATIONS,
    params(("id" = i64, Path, description = "the participation's id")),
    responses((status = 200, description = "the participation", body = Participation), Denied, NotFound)
)]
async fn get_participation(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Res<Json<Participation>> {
    viewer(caller)?;
    let p = participations::get(&st.services.db, id)
        .await
        .map_err(RestError::db("participation"))?;
    Ok(Json(p))
}

/// List calls
#[utoipa::path(
    get, path = "/api/v1/calls", tag = CALLS,
    params(PageQuery, CallQuery),
    responses((status = 200, description = "a page of calls", body = Page<Call>), Denied, Invalid)
)]
async fn list_calls(State(st): State<AppState>, caller: Caller, Query(q): Params) -> Res<Json<Page<Call>>> {
    viewer(caller)?;
    let (page, per_page) = paging(&q)?;
    let status = param(&q, "status").map(str::to_string);
    if let Some(s) = &status
        && CallStatus::parse(s).is_none()
    {
        return Err(RestError::invalid("status", format!("unknown call status '{s}'")));
    }
    let f = CallFilter {
        callout_id: int_param(&q, "callout_id")?,
        participation_id: int_param(&q, "participation_id")?,
        status,
    };
    let p = calls::list(&st.services.db, &f, page, per_page)
        .await
        .map_err(RestError::db("calls"))?;
    Ok(Json(p))
}

/// Get a call with its status history
#[utoipa::path(
    get, path = "/api/v1/calls/{id}", tag = CALLS,
    params(("id" = i64, Path, description = "the call's id")),
    responses((status = 200, description = "the call", body = Call), Denied, NotFound)
)]
async fn get_call(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<Call>> {
    viewer(caller)?;
    let c = calls::get(&st.services.db, id).await.map_err(RestError::db("call"))?;
    Ok(Json(c))
}

// ---- caller ids ----

/// The caller id for numbers that start with `prefix` (the longest matching prefix wins).
#[derive(serde::Deserialize, Serialize, ToSchema)]
#[schema(as = CallerId)]
#[serde(deny_unknown_fields)]
struct CallerIdBody {
    #[schema(example = "+3851")]
    prefix: String,
    #[schema(example = "+38512345678")]
    caller_id: String,
}

/// List caller ids by prefix
///
/// The longest prefix of the dialled number wins, else the callout's caller id.
#[utoipa::path(
    get, path = "/api/v1/caller_ids", tag = CALLER_IDS,
    responses((status = 200, description = "the rules", body = Vec<CallerIdBody>), Denied)
)]
async fn list_caller_ids(State(st): State<AppState>, caller: Caller) -> Res<Json<Vec<CallerIdBody>>> {
    viewer(caller)?;
    let rules = callouts::caller_id_rules(&st.services.db)
        .await
        .map_err(RestError::db("caller id"))?;
    Ok(Json(
        rules
            .into_iter()
            .map(|(prefix, caller_id)| CallerIdBody { prefix, caller_id })
            .collect(),
    ))
}

/// Set the caller id for a prefix
#[utoipa::path(
    post, path = "/api/v1/caller_ids", tag = CALLER_IDS,
    request_body = CallerIdBody,
    responses((status = 200, description = "the rule", body = CallerIdBody), Denied, Invalid)
)]
async fn set_caller_id(State(st): State<AppState>, caller: Caller, bytes: Bytes) -> Res<Json<CallerIdBody>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let b: CallerIdBody = body(&bytes)?;
    let (prefix, caller_id) = service::set_caller_id(&st.services, &actor, &b.prefix, &b.caller_id).await?;
    Ok(Json(CallerIdBody { prefix, caller_id }))
}

/// Remove a prefix
#[utoipa::path(
    delete, path = "/api/v1/caller_ids/{prefix}", tag = CALLER_IDS,
    params(("prefix" = String, Path, description = "e.g. +385 (URL-encoded: %2B385)")),
    responses((status = 204, description = "removed"), Denied, NotFound)
)]
async fn delete_caller_id(State(st): State<AppState>, caller: Caller, Path(prefix): Path<String>) -> Res<StatusCode> {
    let actor = actor(caller)?;
    service::delete_caller_id(&st.services, &actor, &prefix).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- CSV exports (the console's download links; tokens may use them too) ----

/// Rows of an export are read and written this many at a time: a long export streams, and
/// the server holds one page of it, not the whole file.
const EXPORT_PAGE: i64 = 1000;

/// A CSV download written as its pages come: `first` (the header and the first page, read
/// before answering so that errors get their status), then `rest`. A database error half-way
/// ends the body early (the client sees a broken download, never a short file that looks whole).
fn csv_download(
    name: &str,
    first: String,
    rest: impl futures::Stream<Item = Result<String, DbErrorText>> + Send + 'static,
) -> Response {
    use futures::StreamExt;
    let body = futures::stream::once(async move { Ok::<_, DbErrorText>(first) })
        .chain(rest)
        .map(|chunk| {
            chunk.map(Bytes::from).map_err(|e| {
                tracing::error!(error = %e.0, "CSV export stopped");
                std::io::Error::other(e.0)
            })
        });
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

/// A database error met while streaming an export.
struct DbErrorText(String);

/// The pages after the first of a paged read, each turned into text; ends after a short page.
fn later_pages<T, F, Fut>(
    first_len: usize,
    read: F,
    render: impl Fn(&[T]) -> String + Send + Sync + 'static,
) -> impl futures::Stream<Item = Result<String, DbErrorText>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(i64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Vec<T>, app::shell::store::DbError>> + Send,
{
    let read = std::sync::Arc::new(read);
    let render = std::sync::Arc::new(render);
    let next = (first_len as i64 == EXPORT_PAGE).then_some(2i64);
    futures::stream::unfold(next, move |page| {
        let (read, render) = (read.clone(), render.clone());
        async move {
            let page = page?;
            match read(page).await {
                Ok(items) => {
                    let next = (items.len() as i64 == EXPORT_PAGE).then_some(page + 1);
                    Some((Ok(render(&items)), next))
                }
                Err(e) => Some((Err(DbErrorText(e.to_string())), None)),
            }
        }
    })
}

/// Export contacts as CSV
///
/// Every contact matching the list's filters, as CSV the import reads back.
#[utoipa::path(
    get, path = "/api/v1/contacts.csv", tag = CONTACTS,
    params(ContactQuery),
    responses(
        (status = 200, description = "phone, name, tags, time_zone and one column per metadata key",
            body = String, content_type = "text/csv"),
        Denied, Invalid
    )
)]
async fn export_contacts(State(st): State<AppState>, caller: Caller, Query(q): Params) -> Res<Response> {
    use app::callouts::rules::export::{contact_line, contacts_header, metadata_columns};
    viewer(caller)?;
    let filter = contact_filter(&q)?;
    let db = st.services.db.clone();
    // The header names every metadata key: a first pass collects them, a page at a time.
    let mut keys = std::collections::BTreeSet::new();
    let mut page = 1;
    let first = loop {
        let items = contacts::list(&db, &filter, page, EXPORT_PAGE)
            .await
            .map_err(RestError::db("contact"))?
            .items;
        keys.extend(items.iter().flat_map(|c| c.metadata.0.keys().cloned()));
        if page == 1 && (items.len() as i64) < EXPORT_PAGE {
            break Some(items);
        }
        if (items.len() as i64) < EXPORT_PAGE {
            break None;
        }
        page += 1;
    };
    let keys = std::sync::Arc::new(metadata_columns(keys));
    let first = match first {
        Some(items) => items,
        None => {
            contacts::list(&db, &filter, 1, EXPORT_PAGE)
                .await
                .map_err(RestError::db("contact"))?
                .items
        }
    };
    let render = {
        let keys = keys.clone();
        move |items: &[Contact]| {
            let mut out = String::new();
            for c in items {
                contact_line(&mut out, &keys, &c.fields());
            }
            out
        }
    };
    let mut head = contacts_header(&keys);
    head.push_str(&render(&first));
    let rest = later_pages(
        first.len(),
        move |page| {
            let (db, filter) = (db.clone(), filter.clone());
            async move { Ok(contacts::list(&db, &filter, page, EXPORT_PAGE).await?.items) }
        },
        render,
    );
    Ok(csv_download("contacts.csv", head, rest))
}

/// Export a callout's participations as CSV
///
/// The participations matching `state`, `answered`, `last_call_status` and `search`.
#[utoipa::path(
    get, path = "/api/v1/callouts/{id}/participations.csv", tag = PARTICIPATIONS,
    params(("id" = i64, Path, description = "the callout's id"), ParticipationQuery),
    responses(
        (status = 200, description = "one row per participation", body = String, content_type = "text/csv"),
        Denied, NotFound, Invalid
    )
)]
async fn export_participations(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Params,
) -> Res<Response> {
    use app::callouts::rules::export::{ParticipationRow, participation_line, participations_header};
    viewer(caller)?;
    let filter = participation_filter(&q)?;
    let db = st.services.db.clone();
    let render = |items: &[Participation]| {
        let mut out = String::new();
        for p in items {
            participation_line(
                &mut out,
                &ParticipationRow {
                    phone: &p.phone,
                    name: &p.name,
                    state: &p.state,
                    done_reason: p.done_reason.as_deref(),
                    attempts: p.attempts,
                    answered: p.answered,
                    last_call_status: p.last_call_status.as_deref(),
                    next_attempt_at: p.next_attempt_at.to_rfc3339(),
                },
            );
        }
        out
    };
    let first = participations::list(&db, id, &filter, 1, EXPORT_PAGE)
        .await
        .map_err(RestError::db("callout"))?
        .items;
    let mut head = participations_header();
    head.push_str(&render(&first));
    let rest = later_pages(
        first.len(),
        move |page| {
            let (db, filter) = (db.clone(), filter.clone());
            async move { Ok(participations::list(&db, id, &filter, page, EXPORT_PAGE).await?.items) }
        },
        render,
    );
    Ok(csv_download(&format!("callout-{id}-participations.csv"), head, rest))
}
