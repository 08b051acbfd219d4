//! Errors of the REST API: one JSON body, [`ErrorBody`] (`{error, message, fields?}`), for every
//! status, and the error responses the handlers' OpenAPI annotations list ([`Denied`],
//! [`NotFound`], [`Conflict`], [`Invalid`]), all pointing at that one schema.
use crate::error::HttpError;
use app::shell::rules::Invalid as InvalidField;
use app::shell::service::ServiceError;
use app::shell::store::DbError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

/// The body of every error of the REST API (401 and 403 come from the caller checks with the
/// same shape, without `fields`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What went wrong, for programs: `invalid` or `transition_refused` (422), `not_found`,
    /// `conflict`, `unauthenticated` or `bad_token` (401), `forbidden`, `internal`.
    #[schema(example = "invalid")]
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// A message per field: what to fix (validation, refused transitions, some conflicts).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub fields: Option<BTreeMap<String, String>>,
}

impl ErrorBody {
    fn new(error: &str, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: error.to_string(),
            message: message.into(),
            fields: None,
        }
    }

    fn with_fields(self, fields: BTreeMap<String, String>) -> ErrorBody {
        ErrorBody {
            fields: Some(fields),
            ..self
        }
    }
}

/// Errors of the REST API, as JSON.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("the request is not valid")]
    Invalid(Vec<InvalidField>),
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
    pub fn invalid(field: &str, message: impl Into<String>) -> RestError {
        RestError::Invalid(vec![InvalidField::new(field, message)])
    }

    pub fn db(what: &'static str) -> impl FnOnce(DbError) -> RestError {
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

/// The first message of each field.
fn fields(errors: &[InvalidField]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for e in errors {
        m.entry(e.field.clone()).or_insert_with(|| e.message.clone());
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
                    ErrorBody::new("invalid", message).with_fields(fields(errors)),
                )
            }
            RestError::Refused(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody::new("transition_refused", m.clone())
                    .with_fields(BTreeMap::from([("event".to_string(), m.clone())])),
            ),
            RestError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorBody::new("not_found", self.to_string())),
            RestError::Conflict(m) => {
                let body = ErrorBody::new("conflict", m.clone());
                let body = match m.split_once(": ") {
                    Some((field, msg)) => body.with_fields(BTreeMap::from([(field.to_string(), msg.to_string())])),
                    None => body,
                };
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
                    ErrorBody::new("internal", "internal error"),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

/// One documented error response: `description`, with an [`ErrorBody`] as JSON.
fn error_response(status: StatusCode, description: &str) -> (String, RefOr<utoipa::openapi::Response>) {
    let schema = Ref::from_schema_name(<ErrorBody as utoipa::ToSchema>::name());
    let response = ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(schema)).build())
        .build();
    (status.as_u16().to_string(), RefOr::T(response))
}

/// Documents 401 (no or bad credentials) and 403 (credentials that may not do this): every
/// route checks its caller.
pub struct Denied;

impl utoipa::IntoResponses for Denied {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([
            error_response(
                StatusCode::UNAUTHORIZED,
                "no credentials, or a token that is unknown or revoked",
            ),
            error_response(
                StatusCode::FORBIDDEN,
                "the token lacks the callouts scope, or the user's roles do not allow this",
            ),
        ])
    }
}

/// Documents 404: the resource named in the path does not exist.
pub struct NotFound;

impl utoipa::IntoResponses for NotFound {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([error_response(StatusCode::NOT_FOUND, "not found")])
    }
}

/// Documents 409: the change conflicts with what is stored.
pub struct Conflict;

impl utoipa::IntoResponses for Conflict {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([error_response(
            StatusCode::CONFLICT,
            "conflict (a number already taken, a contact in a callout, a running callout, …)",
        )])
    }
}

/// Documents 422: invalid input (every field's message in `fields`) or a refused transition.
pub struct Invalid;

impl utoipa::IntoResponses for Invalid {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([error_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid input, field by field, or a refused transition",
        )])
    }
}
