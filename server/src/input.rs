//! The input boundary: one layer in front of every route (pages, server functions, REST,
//! webhooks) refuses text that PostgreSQL cannot store — a NUL character in the query string,
//! in a JSON body (`\u0000`) or in a form body (`%00`) — with 422 naming the field, before any
//! handler runs. The rule itself is `app::shell::rules::input` (the CSV reader uses it too).
use crate::rest::error::RestError;
use app::shell::error::ApiError;
use app::shell::rules::Invalid;
use app::shell::rules::input::{nul_at, nul_in_form, nul_in_json};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Bodies up to this size are read and checked here; a larger one (its declared length) goes
/// on unread to its handler, whose own limit answers it.
const CHECKED_BODY: usize = 16 * 1024 * 1024;

pub async fn refuse_nul(req: Request, next: Next) -> Response {
    if let Some(path) = req.uri().query().and_then(nul_in_form) {
        return refused(&req, nul_at(&path));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let kind = body_kind(req.headers());
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || kind == BodyKind::Other
        || declared.is_some_and(|n| n == 0 || n > CHECKED_BODY)
    {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, CHECKED_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is over {} MiB.", CHECKED_BODY >> 20),
            )
                .into_response();
        }
    };
    let found = match kind {
        BodyKind::Json => serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| nul_in_json(&v)),
        BodyKind::Form => std::str::from_utf8(&bytes).ok().and_then(nul_in_form),
        BodyKind::Text => bytes.contains(&0).then(String::new),
        BodyKind::Other => None,
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    match found {
        Some(path) => refused(&req, nul_at(&path)),
        None => next.run(req).await,
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum BodyKind {
    Json,
    Form,
    Text,
    Other,
}

fn body_kind(headers: &axum::http::HeaderMap) -> BodyKind {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence == "application/json" || essence.ends_with("+json") {
        BodyKind::Json
    } else if essence == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if essence.starts_with("text/") || essence.is_empty() {
        BodyKind::Text
    } else {
        BodyKind::Other
    }
}

fn server_fn_paths() -> &'static HashSet<&'static str> {
    static PATHS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    PATHS.get_or_init(|| {
        leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect()
    })
}

/// 422 in the caller's own error shape: a server function's `ApiError` (as Leptos encodes
/// it, so the page shows it next to the field), else the REST API's error body.
fn refused(req: &Request, invalid: Invalid) -> Response {
    tracing::info!(path = %req.uri().path(), field = %invalid.field, "NUL character refused");
    let path = req.uri().path();
    if server_fn_paths().contains(path) {
        let body = serde_json::to_string(&ApiError::Invalid(invalid)).unwrap_or_default();
        let mut res = (
            StatusCode::UNPROCESSABLE_ENTITY,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(path) {
            res.headers_mut()
                .insert(leptos::server_fn::error::SERVER_FN_ERROR_HEADER, v);
        }
        return res;
    }
    RestError::Invalid(vec![invalid]).into_response()
}
