//! Admin: user accounts and machine tokens.
use crate::accounts::rules::roles::Role;
use crate::accounts::rules::tokens::Scope;
use crate::accounts::{TokenSummary, UserSummary};
use crate::shell::error::ApiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    crate::accounts::service,
    crate::shell::ctx::services,
    crate::shell::guard::{require, respond, signed_in},
    crate::shell::rules::access::Area,
};

#[server(prefix = "/api", endpoint = "admin/users", input = server_fn::codec::Json)]
pub async fn list_users() -> Result<Vec<UserSummary>, ApiError> {
    respond(async move {
        require(Area::Admin)?;
        Ok(crate::accounts::store::users::list(&services()?.db).await?)
    })
    .await
}

/// Creates an account; returns the password (the one given, or a generated one to hand over).
#[server(prefix = "/api", endpoint = "admin/users/create", input = server_fn::codec::Json)]
pub async fn create_user(
    username: String,
    display_name: String,
    roles: Vec<Role>,
    password: Option<String>,
) -> Result<String, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let s = services()?;
        let created = service::create_user(&s.db, &actor, &username, &display_name, &roles, password).await?;
        Ok(created.password)
    })
    .await
}

#[server(prefix = "/api", endpoint = "admin/users/roles", input = server_fn::codec::Json)]
pub async fn set_user_roles(id: i64, roles: Vec<Role>) -> Result<(), ApiError> {
    respond(async move {
        let actor = signed_in()?;
        Ok(service::set_roles(&services()?.db, &actor, id, &roles).await?)
    })
    .await
}

/// Gives the user a new generated password and ends their sessions; returns the password.
#[server(prefix = "/api", endpoint = "admin/users/reset-password", input = server_fn::codec::Json)]
pub async fn reset_password(id: i64) -> Result<String, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        Ok(service::set_password(&services()?.db, &actor, id, None).await?)
    })
    .await
}

#[server(prefix = "/api", endpoint = "admin/users/active", input = server_fn::codec::Json)]
pub async fn set_user_active(id: i64, active: bool) -> Result<(), ApiError> {
    respond(async move {
        let actor = signed_in()?;
        Ok(service::set_active(&services()?.db, &actor, id, active).await?)
    })
    .await
}

#[server(prefix = "/api", endpoint = "admin/tokens", input = server_fn::codec::Json)]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, ApiError> {
    respond(async move {
        require(Area::Admin)?;
        Ok(crate::accounts::store::tokens::list(&services()?.db).await?)
    })
    .await
}

/// Creates a machine token and returns it; it is shown this once and stored only hashed.
#[server(prefix = "/api", endpoint = "admin/tokens/create", input = server_fn::codec::Json)]
pub async fn create_token(name: String, scopes: Vec<Scope>) -> Result<String, ApiError> {
    respond(async move {
        let actor = signed_in()?;
        let (_, token) = service::create_token(&services()?.db, &actor, &name, &scopes).await?;
        Ok(token)
    })
    .await
}

#[server(prefix = "/api", endpoint = "admin/tokens/revoke", input = server_fn::codec::Json)]
pub async fn revoke_token(id: i64) -> Result<(), ApiError> {
    respond(async move {
        let actor = signed_in()?;
        Ok(service::revoke_token(&services()?.db, &actor, id).await?)
    })
    .await
}
