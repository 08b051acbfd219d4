//! A person's calendar-feed links: list, create (the token shown once), revoke. A person's own
//! linked account manages their links; coordinators and admins manage anyone's.
use crate::rota::CalendarToken;
use crate::shell::error::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A new link, shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalendarLink {
    pub id: i64,
    pub token: String,
    /// `/calendar/<handle>.ics?token=…`; the page puts its origin in front.
    pub path: String,
}

/// The feed's path for a person and token.
pub fn feed_path(handle: &str, token: &str) -> String {
    format!("/calendar/{handle}.ics?token={token}")
}

#[cfg(feature = "ssr")]
use {
    crate::rota::service::calendar as service,
    crate::shell::ctx::services,
    crate::shell::guard::{respond, signed_in},
};

#[server(prefix = "/api", endpoint = "rota/calendar/tokens", input = server_fn::codec::Json)]
pub async fn calendar_tokens(person_id: i64) -> Result<Vec<CalendarToken>, ApiError> {
    respond(async move { Ok(service::links(&services()?, &signed_in()?, person_id).await?) }).await
}

/// The calendar links of the person with this handle, or `None` when the viewer may not manage
/// them: the person page loads this beside the person, keyed by the route's handle.
#[server(prefix = "/api", endpoint = "rota/calendar/tokens-of", input = server_fn::codec::Json)]
pub async fn calendar_tokens_of(handle: String) -> Result<Option<Vec<CalendarToken>>, ApiError> {
    respond(async move { Ok(service::links_of(&services()?, &signed_in()?, &handle).await?) }).await
}

/// Creates a calendar link for the person; the token is returned this once and stored hashed.
#[server(prefix = "/api", endpoint = "rota/calendar/create", input = server_fn::codec::Json)]
pub async fn create_calendar_token(person_id: i64) -> Result<CalendarLink, ApiError> {
    respond(async move { Ok(service::create_link(&services()?, &signed_in()?, person_id).await?) }).await
}

/// Revokes one of the person's calendar links; calendar apps using it get 404 from then on.
#[server(prefix = "/api", endpoint = "rota/calendar/revoke", input = server_fn::codec::Json)]
pub async fn revoke_calendar_token(person_id: i64, id: i64) -> Result<(), ApiError> {
    respond(async move { Ok(service::revoke_link(&services()?, &signed_in()?, person_id, id).await?) }).await
}
