//! Admin: user accounts and machine tokens.
use crate::accounts::rules::roles::Role;
use crate::accounts::rules::tokens::Scope;
use crate::accounts::{TokenSummary, UserSummary};
use crate::shell::error::ApiError;
#[cfg(feature = "ssr")]
use crate::shell::topics::Topic;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    crate::accounts::service,
    crate::shell::ctx::services,
    crate::shell::guard::{require, respond},
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
        require(Area::Admin)?;
        let s = services()?;
        let created = service::create_user(&s.db, &username, &display_name, &roles, password).await?;
        s.events
            .announce(Topic::Users, serde_json::json!({ "id": created.id }))
            .await;
        Ok(created.password)
    })
    .await
}

#[server(prefix = "/api", endpoint = "admin/users/roles", input = server_fn::codec::Json)]
pub async fn set_user_roles(id: i64, roles: Vec<Role>) -> Result<(), ApiError> {
    respond(async move {
        require(Area::Admin)?;
        let s = services()?;
        crate::accounts::store::users::set_roles(&s.db, id, &roles).await?;
        s.events.announce(Topic::Users, serde_json::json!({ "id": id })).await;
        Ok(())
    })
    .await
}

/// Gives the user a new generated password and ends their sessions; returns the password.
#[server(prefix = "/api", endpoint = "admin/users/reset-password", input = server_fn::codec::Json)]
pub async fn reset_password(id: i64) -> Result<String, ApiError> {
    respond(async move {
        require(Area::Admin)?;
        let s = services()?;
        let password = service::set_password(&s.db, id, None).await?;
        s.events.announce(Topic::Users, serde_json::json!({ "id": id })).await;
        Ok(password)
    })
    .await
}

#[server(prefix = "/api", endpoint = "admin/users/active", input = server_fn::codec::Json)]
pub async fn set_user_active(id: i64, active: bool) -> Result<(), ApiError> {
    respond(async move {
        let me = require(Area::Admin)?;
        if me.id == id && !active {
            return Err(ApiError::Conflict("You cannot deactivate your own account.".into()));
        }
        let s = services()?;
        crate::accounts::store::users::set_active(&s.db, id, active).await?;
        s.events.announce(Topic::Users, serde_json::json!({ "id": id })).await;
        Ok(())
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
        let me = require(Area::Admin)?;
        let s = services()?;
        let (id, token) = service::create_token(&s.db, &name, &scopes, Some(me.id)).await?;
        s.events.announce(Topic::Tokens, serde_json::json!({ "id": id })).await;
        Ok(token)
    })
    .await
}

#[server(prefix = "/api", endpoint = "admin/tokens/revoke", input = server_fn::codec::Json)]
pub async fn revoke_token(id: i64) -> Result<(), ApiError> {
    respond(async move {
        require(Area::Admin)?;
        let s = services()?;
        crate::accounts::store::tokens::revoke(&s.db, id)
            .await
            .map_err(|e| match e {
                crate::shell::store::DbError::NotFound => ApiError::NotFound("token (or it is already revoked)".into()),
                e => e.into(),
            })?;
        s.events.announce(Topic::Tokens, serde_json::json!({ "id": id })).await;
        Ok(())
    })
    .await
}
