//! The PBX's ringing webhook: `POST`/`GET /api/pbx/ringing` (`ext`, `phone`, optional
//! `callid`, as a form, JSON or the query) and the Tomàtic-compatible `/api/info/ringring`
//! (`ext`, `phone`, `callid`; its GET form also takes `extension`), so existing dial plans keep
//! working with a token added (`Authorization: Bearer …` or `?token=`).
//!
//! The answer says what happened (`{"result": "ok" | "no_person_for_extension" |
//! "person_has_no_account", "call": id}`) as soon as the call is recorded: one statement, whose
//! look-ups (the extension's person, the number's contact) are unique-index probes; the card's
//! details are read by the agent's browser when the event arrives. Bad input: 400 with the
//! field; no token: 401; a token without the `pbx` scope (or a browser session): 403.
use crate::caller::Caller;
use crate::error::HttpError;
use crate::state::AppState;
use app::desk::rules::ringing::RingInput;
use app::desk::service;
use app::shell::service::{Actor, ServiceError};
use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::{Value, json};

pub const RINGING_PATH: &str = "/api/pbx/ringing";
pub const TOMATIC_RINGRING_PATH: &str = "/api/info/ringring";

pub async fn ringing(st: State<AppState>, caller: Caller, req: Request) -> Response {
    handle(st, caller, req, false).await
}

pub async fn ringring(st: State<AppState>, caller: Caller, req: Request) -> Response {
    handle(st, caller, req, true).await
}

fn bad(field: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid", "field": field, "message": message})),
    )
        .into_response()
}

/// A JSON value as the text a form would carry (PBXs send extensions as numbers too).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The fields of the request, whatever it was sent as; `None` when the body cannot be read.
async fn fields(st: &AppState, req: Request) -> Result<Vec<(String, String)>, Response> {
    let is_json = req.method() != Method::GET
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim_start().starts_with("application/json"));
    if is_json {
        let Json(body) = Json::<Value>::from_request(req, st)
            .await
            .map_err(|_| bad("body", "the body is not a JSON object"))?;
        let Value::Object(map) = body else {
            return Err(bad("body", "the body is not a JSON object"));
        };
        Ok(map
            .iter()
            .filter_map(|(k, v)| text(v).map(|t| (k.clone(), t)))
            .collect())
    } else {
        // A form body for POST, the query for GET.
        let Form(form) = Form::<Vec<(String, String)>>::from_request(req, st)
            .await
            .map_err(|_| {
                bad(
                    "body",
                    "the body is not a form (application/x-www-form-urlencoded) or JSON",
                )
            })?;
        Ok(form)
    }
}

async fn handle(State(st): State<AppState>, caller: Caller, req: Request, tomatic: bool) -> Response {
    let actor = match caller {
        Caller::Machine(t) => Actor::Token {
            id: t.id,
            name: t.name,
            scopes: t.scopes,
        },
        Caller::User(_) => return HttpError::Forbidden.into_response(),
        Caller::Anonymous => return HttpError::Unauthenticated.into_response(),
    };
    if service::may_report_calls(&actor).is_err() {
        return HttpError::Forbidden.into_response();
    }
    let is_get = req.method() == Method::GET;
    let form = match fields(&st, req).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let input = RingInput {
        ext: get("ext").or_else(|| if tomatic && is_get { get("extension") } else { None }),
        phone: get("phone"),
        callid: get("callid"),
    };
    match service::ring(&st.services, &actor, &input).await {
        Ok(rang) => (
            StatusCode::OK,
            Json(json!({"result": rang.outcome.as_str(), "call": rang.call.id})),
        )
            .into_response(),
        Err(ServiceError::Invalid(errors)) => {
            let first = errors.first();
            let field = first.map(|i| i.field.as_str()).unwrap_or("body");
            // The Tomàtic GET form names the extension `extension`.
            let shown = if field == "ext" && tomatic && is_get && get("ext").is_none() {
                "extension"
            } else {
                field
            };
            let message: Vec<String> = errors.iter().map(|i| i.to_string()).collect();
            bad(shown, &message.join("; "))
        }
        Err(ServiceError::Forbidden) => HttpError::Forbidden.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "ringing call not recorded");
            HttpError::internal("ringing", e).into_response()
        }
    }
}

/// `GET /api/desk/log.csv?day=YYYY-MM-DD&agent=&category=&annotated=true|false`: the team's
/// call log as CSV for coordinators, managers and admins (a browser link; bounded to
/// `LOG_EXPORT_CAP` calls). A bad filter: 400 naming it.
pub const LOG_CSV_PATH: &str = "/api/desk/log.csv";

pub async fn log_csv(
    crate::caller::SignedIn(me): crate::caller::SignedIn,
    State(st): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    let get = |name: &str| {
        q.iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    };
    let mut filter = app::desk::LogFilter::default();
    if let Some(d) = get("day") {
        match chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(d) => filter.day = Some(d),
            Err(_) => return bad("day", "a day is YYYY-MM-DD"),
        }
    }
    for (name, slot) in [("agent", &mut filter.agent), ("category", &mut filter.category)] {
        if let Some(v) = get(name) {
            match v.parse::<i64>() {
                Ok(n) => *slot = Some(n),
                Err(_) => return bad(name, "an id is a number"),
            }
        }
    }
    if let Some(v) = get("annotated") {
        match v.as_str() {
            "true" | "yes" => filter.annotated = Some(true),
            "false" | "no" => filter.annotated = Some(false),
            _ => return bad("annotated", "true or false"),
        }
    }
    match service::team_log_csv(&st.services, &Actor::User(me), &filter).await {
        Ok((csv, name)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            csv,
        )
            .into_response(),
        Err(ServiceError::Forbidden) => HttpError::Forbidden.into_response(),
        Err(e) => HttpError::internal("call log", e).into_response(),
    }
}
