use crate::shell::rules::Invalid;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The errors a server function returns to the browser: each says what a person can do about
/// it. Internal details are logged on the server and never serialized.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum ApiError {
    #[error("Please sign in.")]
    Unauthenticated,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("Wrong user name or password.")]
    BadCredentials,
    #[error("Too many failed sign-ins. Try again in {retry_after_s} s.")]
    TooManyAttempts { retry_after_s: i64 },
    #[error("{0}")]
    Invalid(Invalid),
    #[error("Not found: {0}.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on the server; it has been logged.")]
    Internal,
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl ApiError {
    /// Logs the cause and gives the client only the generic message.
    pub fn internal(what: &str, cause: impl std::fmt::Display) -> Self {
        #[cfg(feature = "ssr")]
        tracing::error!(what, cause = %cause, "internal error");
        #[cfg(not(feature = "ssr"))]
        let _ = (what, cause.to_string());
        ApiError::Internal
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(Invalid::new(field, message))
    }

    /// The field a validation error is about, for showing it next to that field.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid(i) => Some(&i.field),
            _ => None,
        }
    }

    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            ApiError::Unauthenticated | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Transport(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> Self {
        ApiError::Invalid(i)
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not even decode are bad input, not a server fault.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => ApiError::invalid("request", m),
            other => ApiError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::shell::store::DbError> for ApiError {
    fn from(e: crate::shell::store::DbError) -> Self {
        use crate::shell::store::DbError;
        match e {
            DbError::Conflict(m) => ApiError::Conflict(m),
            DbError::NotFound => ApiError::NotFound("no such record".into()),
            DbError::Sqlx(e) => ApiError::internal("database", e),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::shell::service::ServiceError> for ApiError {
    fn from(e: crate::shell::service::ServiceError) -> Self {
        use crate::shell::service::ServiceError as S;
        match e {
            S::Forbidden => ApiError::Forbidden,
            // A form shows one message next to its field: the first.
            S::Invalid(v) => v
                .into_iter()
                .next()
                .map(ApiError::Invalid)
                .unwrap_or_else(|| ApiError::invalid("request", "not valid")),
            S::Refused(i) => ApiError::Invalid(i),
            S::NotFound(what) => ApiError::NotFound(what),
            S::Conflict(m) => ApiError::Conflict(m),
            S::Internal => ApiError::Internal,
        }
    }
}
