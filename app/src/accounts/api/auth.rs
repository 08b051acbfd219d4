use crate::accounts::Me;
use crate::shell::error::ApiError;
use leptos::prelude::*;

/// Signs in and returns where to go next (a local path only, so the form cannot be used to
/// send people to another site).
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String, next: Option<String>) -> Result<String, ApiError> {
    crate::shell::guard::respond(async move {
        let services = crate::shell::ctx::services()?;
        let session: tower_sessions::Session = leptos_axum::extract()
            .await
            .map_err(|e| ApiError::internal("session extractor", e))?;
        crate::accounts::auth::sign_in(&services, &session, &username, &password).await?;
        let next = next
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
            .unwrap_or_else(|| "/".into());
        Ok(next)
    })
    .await
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    crate::shell::guard::respond(async move {
        let session: tower_sessions::Session = leptos_axum::extract()
            .await
            .map_err(|e| ApiError::internal("session extractor", e))?;
        session
            .flush()
            .await
            .map_err(|e| ApiError::internal("session flush", e))?;
        Ok(())
    })
    .await
}

/// The signed-in user, or `None`.
#[server(prefix = "/api", endpoint = "who-am-i")]
pub async fn who_am_i() -> Result<Option<Me>, ApiError> {
    Ok(crate::accounts::auth::current_user())
}
