//! The REST API for contacts, callouts, participations and calls (`/api/v1/…`).
//!
//! Callers: a token with the `callouts` scope, or a signed-in user whose roles open the callouts
//! area; changes need `CalloutEdit::Run` (managers, coordinators, admins), agents may only read.
//! Errors are JSON `{error, message, fields?}`: 422 for validation (field by field) and refused
//! transitions, 404, 409 for conflicts; 401/403 from the caller checks.

use crate::caller::Caller;
use crate::error::HttpError;
use crate::state::AppState;
use app::callouts::rules::callout::CalloutStatus;
use app::callouts::rules::settings::{CalloutInput, ContactFilter, ContactInput};
use app::callouts::service::{self, Population};
use app::callouts::store::callouts::Callout;
use app::callouts::store::calls::CallFilter;
use app::callouts::store::contacts::page_bounds;
use app::shell::rules::Invalid;
use app::shell::service::{Actor, ServiceError};
use app::{
    callouts::store::callouts, callouts::store::calls, callouts::store::contacts, callouts::store::participations,
    shell::store::DbError,
};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// Errors of the REST API, as JSON.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("the request is not valid")]
    Invalid(Vec<Invalid>),
    /// A status transition the callout's state machine refuses.
    #[error("{0}")]
    Refused(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Auth(#[from] HttpError),
    #[error("internal error")]
    Internal(String),
}

impl RestError {
    fn invalid(field: &str, message: impl Into<String>) -> RestError {
        RestError::Invalid(vec![Invalid::new(field, message)])
    }

    fn db(what: &'static str) -> impl FnOnce(DbError) -> RestError {
        move |e| match e {
            DbError::NotFound => RestError::NotFound(what.to_string()),
            DbError::Conflict(m) => RestError::Conflict(m),
            DbError::Sqlx(e) => RestError::Internal(format!("database: {e}")),
        }
    }
}

impl From<ServiceError> for RestError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Forbidden => RestError::Auth(HttpError::Forbidden),
            ServiceError::Invalid(v) => RestError::Invalid(v),
            ServiceError::Refused(i) => RestError::Refused(i.message),
            ServiceError::NotFound(what) => RestError::NotFound(what),
            ServiceError::Conflict(m) => RestError::Conflict(m),
            ServiceError::Internal => RestError::Internal("service".into()),
        }
    }
}

fn fields(errors: &[Invalid]) -> Map<String, Value> {
    let mut m = Map::new();
    for e in errors {
        m.entry(e.field.clone())
            .or_insert_with(|| Value::from(e.message.clone()));
    }
    m
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            RestError::Invalid(errors) => {
                let message = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "error": "invalid", "message": message, "fields": fields(errors) }),
                )
            }
            RestError::Refused(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "transition_refused", "message": m, "fields": { "event": m } }),
            ),
            RestError::NotFound(_) => (
                StatusCode::NOT_FOUND,
                json!({ "error": "not_found", "message": self.to_string() }),
            ),
            RestError::Conflict(m) => {
                let mut body = json!({ "error": "conflict", "message": m });
                if let Some((field, msg)) = m.split_once(": ") {
                    body["fields"] = json!({ field: msg });
                }
                (StatusCode::CONFLICT, body)
            }
            RestError::Auth(_) => {
                let RestError::Auth(e) = self else { unreachable!() };
                return e.into_response();
            }
            RestError::Internal(detail) => {
                tracing::error!(detail = %detail, "REST API internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "error": "internal", "message": "internal error" }),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

type Res<T> = Result<T, RestError>;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(|| async { Json(app::callouts::openapi::spec()) }),
        )
        .route("/api/v1/contacts", get(list_contacts).post(create_contact))
        .route("/api/v1/contacts/bulk", post(bulk_contacts))
        .route("/api/v1/contacts.csv", get(export_contacts))
        .route("/api/v1/callouts/{id}/participations.csv", get(export_participations))
        .route(
            "/api/v1/contacts/{id}",
            get(get_contact).patch(update_contact).delete(delete_contact),
        )
        .route("/api/v1/callouts", get(list_callouts).post(create_callout))
        .route(
            "/api/v1/callouts/{id}",
            get(get_callout).patch(update_callout).delete(delete_callout),
        )
        .route("/api/v1/callouts/{id}/events", post(callout_event))
        .route("/api/v1/callouts/{id}/populate", post(populate))
        .route("/api/v1/callouts/{id}/statistics", get(statistics))
        .route("/api/v1/callouts/{id}/participations", get(list_participations))
        .route("/api/v1/participations/{id}", get(get_participation))
        .route("/api/v1/caller_ids", get(list_caller_ids).post(set_caller_id))
        .route("/api/v1/caller_ids/{prefix}", axum::routing::delete(delete_caller_id))
        .route("/api/v1/calls", get(list_calls))
        .route("/api/v1/calls/{id}", get(get_call))
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

/// Overlays the keys of `patch` (a JSON object) on `base`.
fn merged<T: DeserializeOwned>(base: Value, patch: &Bytes) -> Res<T> {
    let patch: Value = body(patch)?;
    let Value::Object(changes) = patch else {
        return Err(RestError::invalid("body", "must be a JSON object"));
    };
    let mut base = base;
    if let Value::Object(m) = &mut base {
        for (k, v) in changes {
            m.insert(k, v);
        }
    }
    serde_json::from_value(base).map_err(|e| RestError::invalid("body", e.to_string()))
}

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

// ---- contacts ----

async fn list_contacts(State(st): State<AppState>, caller: Caller, Query(q): Params) -> Res<Json<Value>> {
    viewer(caller)?;
    let (page, per_page) = paging(&q)?;
    let filter = contact_filter(&q)?;
    let p = contacts::list(&st.services.db, &filter, page, per_page)
        .await
        .map_err(RestError::db("contacts"))?;
    Ok(Json(serde_json::to_value(p).unwrap_or_default()))
}

async fn get_contact(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<Value>> {
    viewer(caller)?;
    let c = contacts::get(&st.services.db, id)
        .await
        .map_err(RestError::db("contact"))?;
    Ok(Json(serde_json::to_value(c).unwrap_or_default()))
}

async fn create_contact(State(st): State<AppState>, caller: Caller, bytes: Bytes) -> Res<(StatusCode, Json<Value>)> {
    let actor = actor(caller)?;
    let input: ContactInput = body(&bytes)?;
    let c = service::create_contact(&st.services, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(c).unwrap_or_default())))
}

async fn update_contact(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Res<Json<Value>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let current = service::contact(&st.services, &actor, id).await?;
    let base = serde_json::to_value(ContactInput::of(&current.fields())).unwrap_or_default();
    let input: ContactInput = merged(base, &bytes)?;
    let c = service::update_contact(&st.services, &actor, id, &input).await?;
    Ok(Json(serde_json::to_value(c).unwrap_or_default()))
}

async fn delete_contact(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<StatusCode> {
    let actor = actor(caller)?;
    service::delete_contact(&st.services, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Bulk {
    List(Vec<Value>),
    Wrapped { contacts: Vec<Value> },
}

async fn bulk_contacts(State(st): State<AppState>, caller: Caller, bytes: Bytes) -> Res<Json<Value>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let items = match body::<Bulk>(&bytes)? {
        Bulk::List(v) | Bulk::Wrapped { contacts: v } => v,
    };
    let (done, errors) = service::bulk_contacts(&st.services, &actor, items).await?;
    Ok(Json(json!({
        "created": done.created,
        "merged": done.merged,
        "invalid": errors.len(),
        "errors": errors,
    })))
}

// ---- callouts ----

fn callout_json(c: &Callout) -> Value {
    let mut v = serde_json::to_value(CalloutInput::of(&c.settings)).unwrap_or_else(|_| json!({}));
    v["id"] = json!(c.id);
    v["status"] = json!(c.status);
    v["allowed_events"] = json!(c.status.allowed_events());
    v["created_by"] = json!(c.created_by);
    v["started_at"] = json!(c.started_at);
    v["created_at"] = json!(c.created_at);
    v["updated_at"] = json!(c.updated_at);
    v
}

async fn list_callouts(State(st): State<AppState>, caller: Caller, Query(q): Params) -> Res<Json<Value>> {
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
    Ok(Json(json!({
        "items": items.iter().map(callout_json).collect::<Vec<_>>(),
        "total": total,
        "page": page,
        "per_page": per_page,
    })))
}

async fn get_callout(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<Value>> {
    viewer(caller)?;
    let c = callouts::get(&st.services.db, id)
        .await
        .map_err(RestError::db("callout"))?;
    Ok(Json(callout_json(&c)))
}

async fn create_callout(State(st): State<AppState>, caller: Caller, bytes: Bytes) -> Res<(StatusCode, Json<Value>)> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let input: CalloutInput = body(&bytes)?;
    let c = service::create_callout(&st.services, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(callout_json(&c))))
}

async fn update_callout(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Res<Json<Value>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let current = service::callout(&st.services, &actor, id).await?;
    let base = serde_json::to_value(CalloutInput::of(&current.settings)).unwrap_or_default();
    let input: CalloutInput = merged(base, &bytes)?;
    let c = service::update_callout(&st.services, &actor, id, &input).await?;
    Ok(Json(callout_json(&c)))
}

async fn delete_callout(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<StatusCode> {
    let actor = actor(caller)?;
    service::delete_callout(&st.services, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    event: Option<String>,
}

async fn callout_event(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Res<Json<Value>> {
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
    Ok(Json(callout_json(&c)))
}

#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct PopulateBody {
    filter: Option<ContactFilter>,
    contact_ids: Option<Vec<i64>>,
}

async fn populate(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, bytes: Bytes) -> Res<Json<Value>> {
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
    Ok(Json(json!({ "added": added, "participations": participations })))
}

async fn statistics(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<Value>> {
    viewer(caller)?;
    let db = &st.services.db;
    let c = callouts::get(db, id).await.map_err(RestError::db("callout"))?;
    let stats = callouts::stats(db, id).await.map_err(RestError::db("callout"))?;
    let mut v = serde_json::to_value(stats).unwrap_or_default();
    v["callout_id"] = json!(id);
    v["status"] = json!(c.status);
    Ok(Json(v))
}

async fn list_participations(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Params,
) -> Res<Json<Value>> {
    viewer(caller)?;
    let (page, per_page) = paging(&q)?;
    let filter = participation_filter(&q)?;
    let p = participations::list(&st.services.db, id, &filter, page, per_page)
        .await
        .map_err(RestError::db("callout"))?;
    Ok(Json(serde_json::to_value(p).unwrap_or_default()))
}

async fn get_participation(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<Value>> {
    viewer(caller)?;
    let p = participations::get(&st.services.db, id)
        .await
        .map_err(RestError::db("participation"))?;
    Ok(Json(serde_json::to_value(p).unwrap_or_default()))
}

async fn list_calls(State(st): State<AppState>, caller: Caller, Query(q): Params) -> Res<Json<Value>> {
    viewer(caller)?;
    let (page, per_page) = paging(&q)?;
    let status = param(&q, "status").map(str::to_string);
    if let Some(s) = &status
        && app::callouts::rules::calls::CallStatus::parse(s).is_none()
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
    Ok(Json(serde_json::to_value(p).unwrap_or_default()))
}

async fn get_call(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Res<Json<Value>> {
    viewer(caller)?;
    let c = calls::get(&st.services.db, id).await.map_err(RestError::db("call"))?;
    Ok(Json(serde_json::to_value(c).unwrap_or_default()))
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

// ---- caller ids ----

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct CallerIdBody {
    prefix: String,
    caller_id: String,
}

async fn list_caller_ids(State(st): State<AppState>, caller: Caller) -> Res<Json<Value>> {
    viewer(caller)?;
    let rules = callouts::caller_id_rules(&st.services.db)
        .await
        .map_err(RestError::db("caller id"))?;
    let rules: Vec<CallerIdBody> = rules
        .into_iter()
        .map(|(prefix, caller_id)| CallerIdBody { prefix, caller_id })
        .collect();
    Ok(Json(json!(rules)))
}

async fn set_caller_id(State(st): State<AppState>, caller: Caller, bytes: Bytes) -> Res<Json<Value>> {
    let actor = actor(caller)?;
    service::may_run(&actor)?;
    let b: CallerIdBody = body(&bytes)?;
    let (prefix, caller_id) = service::set_caller_id(&st.services, &actor, &b.prefix, &b.caller_id).await?;
    Ok(Json(json!({ "prefix": prefix, "caller_id": caller_id })))
}

async fn delete_caller_id(State(st): State<AppState>, caller: Caller, Path(prefix): Path<String>) -> Res<StatusCode> {
    let actor = actor(caller)?;
    service::delete_caller_id(&st.services, &actor, &prefix).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- CSV exports (the console's download links; tokens may use them too) ----

fn csv_download(name: &str, body: String) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Every contact matching the list's filters, as CSV the import reads back.
async fn export_contacts(State(st): State<AppState>, caller: Caller, Query(q): Params) -> Res<Response> {
    viewer(caller)?;
    let filter = contact_filter(&q)?;
    let db = &st.services.db;
    let total = contacts::list(db, &filter, 1, 1)
        .await
        .map_err(RestError::db("contact"))?
        .total;
    let all = contacts::list(db, &filter, 1, total.max(1))
        .await
        .map_err(RestError::db("contact"))?;
    let fields: Vec<_> = all.items.iter().map(|c| c.fields()).collect();
    Ok(csv_download(
        "contacts.csv",
        app::callouts::rules::export::contacts_csv(&fields),
    ))
}

/// A callout's participations matching `state`, `answered`, `last_call_status`, `search`.
async fn export_participations(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Params,
) -> Res<Response> {
    use app::callouts::rules::export::{ParticipationRow, participations_csv};
    viewer(caller)?;
    let filter = participation_filter(&q)?;
    let all = participations::all(&st.services.db, id, &filter)
        .await
        .map_err(RestError::db("callout"))?;
    let rows: Vec<ParticipationRow> = all
        .iter()
        .map(|p| ParticipationRow {
            phone: &p.phone,
            name: &p.name,
            state: &p.state,
            done_reason: p.done_reason.as_deref(),
            attempts: p.attempts,
            answered: p.answered,
            last_call_status: p.last_call_status.as_deref(),
            next_attempt_at: p.next_attempt_at.to_rfc3339(),
        })
        .collect();
    Ok(csv_download(
        &format!("callout-{id}-participations.csv"),
        participations_csv(&rows),
    ))
}
