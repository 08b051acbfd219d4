//! Who is calling: a signed-in user (resolved from the session by middleware) or a machine
//! with an API token (`Authorization: Bearer …`, or `?token=` for PBXs that can only do GET).
use crate::error::HttpError;
use crate::state::AppState;
use app::accounts::Me;
use app::accounts::rules::tokens::Scope;
use app::accounts::store::tokens::TokenHolder;
use app::shell::rules::access::Area;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub enum Caller {
    User(Me),
    Machine(TokenHolder),
    Anonymous,
}

fn presented_token(parts: &Parts) -> Option<String> {
    if let Some(v) = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))
    {
        return Some(t.trim().to_string());
    }
    parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("token=").map(|t| t.to_string()))
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(token) = presented_token(parts) {
            let hash = app::accounts::auth::hash_token(&token);
            return match app::accounts::store::tokens::authenticate(&state.services.db, &hash).await? {
                Some(holder) => Ok(Caller::Machine(holder)),
                None => Err(HttpError::BadToken),
            };
        }
        Ok(parts
            .extensions
            .get::<Me>()
            .cloned()
            .map_or(Caller::Anonymous, Caller::User))
    }
}

impl Caller {
    /// Lets through a machine with `scope`, or a user whose roles open `area`.
    pub fn allow(self, scope: Scope, area: Area) -> Result<Caller, HttpError> {
        match &self {
            Caller::Machine(t) if t.scopes.contains(&scope) => Ok(self),
            Caller::User(u) if area.allows(&u.roles) => Ok(self),
            Caller::Anonymous => Err(HttpError::Unauthenticated),
            _ => Err(HttpError::Forbidden),
        }
    }
}

/// A machine with a valid token, whatever its scopes (handlers check the scope they need).
pub struct Machine(pub TokenHolder);

impl FromRequestParts<AppState> for Machine {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = presented_token(parts).ok_or(HttpError::BadToken)?;
        let hash = app::accounts::auth::hash_token(&token);
        app::accounts::store::tokens::authenticate(&state.services.db, &hash)
            .await?
            .map(Machine)
            .ok_or(HttpError::BadToken)
    }
}

/// A signed-in user (browser session).
pub struct SignedIn(pub Me);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Me>()
            .cloned()
            .map(SignedIn)
            .ok_or(HttpError::Unauthenticated)
    }
}
