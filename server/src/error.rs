//! Errors of the non-Leptos routes (machine interfaces, SSE, operations), as JSON.
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("sign in or give a valid token")]
    Unauthenticated,
    #[error("this token or user may not do this")]
    Forbidden,
    #[error("the token is missing, unknown or revoked")]
    BadToken,
    #[error("internal error")]
    Internal(String),
}

impl HttpError {
    pub fn internal(what: &str, e: impl std::fmt::Display) -> Self {
        HttpError::Internal(format!("{what}: {e}"))
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            HttpError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            HttpError::BadToken => (StatusCode::UNAUTHORIZED, "bad_token"),
            HttpError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            HttpError::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let mut res = (
            status,
            Json(serde_json::json!({ "error": code, "message": self.to_string() })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<app::shell::store::DbError> for HttpError {
    fn from(e: app::shell::store::DbError) -> Self {
        HttpError::internal("database", e)
    }
}
