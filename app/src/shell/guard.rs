//! What every server function does first and last: check the caller, give errors their status.
use crate::accounts::Me;
use crate::shell::error::ApiError;
use crate::shell::rules::access::Area;

/// The signed-in user if their roles open `area`; 401 without a session, 403 without the role.
pub(crate) fn require(area: Area) -> Result<Me, ApiError> {
    let me = crate::accounts::auth::current_user().ok_or(ApiError::Unauthenticated)?;
    if !area.allows(&me.roles) {
        return Err(ApiError::Forbidden);
    }
    Ok(me)
}

/// Runs a server function's body and gives an error its HTTP status; internals are logged
/// where the error was made, never sent.
pub(crate) async fn respond<T>(body: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    let result = body.await;
    if let Err(e) = &result
        && let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        res.set_status(e.status());
    }
    result
}

/// The signed-in user as a service's actor; 401 without a session. The service checks the
/// capability itself.
pub(crate) fn signed_in() -> Result<crate::shell::service::Actor, ApiError> {
    crate::accounts::auth::current_user()
        .map(crate::shell::service::Actor::User)
        .ok_or(ApiError::Unauthenticated)
}
