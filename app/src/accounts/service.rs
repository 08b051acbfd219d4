//! The one door to accounts and API tokens: the admin page's server functions, the command line
//! and the first start all come here. Every change is checked (admins only, or the operator at
//! the command line), validated, written in one transaction and announced inside it.
use crate::accounts::auth;
use crate::accounts::rules::roles::Role;
use crate::accounts::rules::tokens::{Scope, check_token_name};
use crate::accounts::rules::users;
use crate::accounts::store::{tokens as token_store, users as user_store};
use crate::shell::events::publish_in;
use crate::shell::rules::Invalid;
use crate::shell::rules::access::Area;
use crate::shell::service::{Actor, ServiceError};
use crate::shell::store::PgPool;
use crate::shell::topics::Topic;
use serde_json::json;

type Result<T> = std::result::Result<T, ServiceError>;

/// Admins (or the operator); tokens never manage accounts.
fn may_admin(actor: &Actor) -> Result<()> {
    match actor {
        Actor::User(me) if Area::Admin.allows(&me.roles) => Ok(()),
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

pub struct CreatedUser {
    pub id: i64,
    /// The password to hand over: the one given, or a generated one.
    pub password: String,
}

pub async fn create_user(
    db: &PgPool,
    actor: &Actor,
    username: &str,
    display_name: &str,
    roles: &[Role],
    password: Option<String>,
) -> Result<CreatedUser> {
    may_admin(actor)?;
    let mut errors = Vec::new();
    let username = users::normalize_username(username).map_err(|e| errors.push(e)).ok();
    let display_name = users::check_display_name(display_name).map_err(|e| errors.push(e)).ok();
    if roles.is_empty() {
        errors.push(Invalid::new("roles", "give at least one role"));
    }
    let password = match password.filter(|p| !p.is_empty()) {
        Some(p) => users::check_password(&p).map(|_| p).map_err(|e| errors.push(e)).ok(),
        None => Some(auth::generate_password()),
    };
    let (Some(username), Some(display_name), Some(password), true) =
        (username, display_name, password, errors.is_empty())
    else {
        return Err(ServiceError::Invalid(errors));
    };
    let hash = auth::hash_password(password.clone())
        .await
        .map_err(|_| ServiceError::Internal)?;
    let mut tx = db.begin().await?;
    let id = user_store::insert(&mut tx, &username, &display_name, &hash, roles).await?;
    publish_in(&mut tx, Topic::Users, json!({ "id": id })).await?;
    tx.commit().await?;
    tracing::info!(user = %username, roles = ?roles, "user created");
    Ok(CreatedUser { id, password })
}

pub async fn set_roles(db: &PgPool, actor: &Actor, id: i64, roles: &[Role]) -> Result<()> {
    may_admin(actor)?;
    let mut tx = db.begin().await?;
    user_store::set_roles(&mut tx, id, roles)
        .await
        .map_err(ServiceError::db("user"))?;
    publish_in(&mut tx, Topic::Users, json!({ "id": id })).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a password (given or generated) and returns it; ends the user's sessions.
pub async fn set_password(db: &PgPool, actor: &Actor, id: i64, password: Option<String>) -> Result<String> {
    may_admin(actor)?;
    let password = match password {
        Some(p) => {
            users::check_password(&p)?;
            p
        }
        None => auth::generate_password(),
    };
    let hash = auth::hash_password(password.clone())
        .await
        .map_err(|_| ServiceError::Internal)?;
    let mut tx = db.begin().await?;
    user_store::set_password(&mut tx, id, &hash)
        .await
        .map_err(ServiceError::db("user"))?;
    publish_in(&mut tx, Topic::Users, json!({ "id": id })).await?;
    tx.commit().await?;
    tracing::info!(user_id = id, "password changed");
    Ok(password)
}

/// Activates or deactivates an account (deactivating ends its sessions); nobody deactivates
/// their own account, and the last active admin stays.
pub async fn set_active(db: &PgPool, actor: &Actor, id: i64, active: bool) -> Result<()> {
    may_admin(actor)?;
    if let Actor::User(me) = actor
        && me.id == id
        && !active
    {
        return Err(ServiceError::Conflict("You cannot deactivate your own account.".into()));
    }
    let mut tx = db.begin().await?;
    user_store::set_active(&mut tx, id, active)
        .await
        .map_err(ServiceError::db("user"))?;
    publish_in(&mut tx, Topic::Users, json!({ "id": id })).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a token; returns its id and the secret, which is not stored and cannot be shown again.
pub async fn create_token(db: &PgPool, actor: &Actor, name: &str, scopes: &[Scope]) -> Result<(i64, String)> {
    may_admin(actor)?;
    let mut errors = Vec::new();
    let name = check_token_name(name).map_err(|e| errors.push(e)).ok();
    if scopes.is_empty() {
        errors.push(Invalid::new("scopes", "give at least one scope"));
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let (token, hash, prefix) = auth::generate_token();
    let mut tx = db.begin().await?;
    let id = token_store::insert(&mut tx, &name, scopes, &hash, &prefix, actor.user_id()).await?;
    publish_in(&mut tx, Topic::Tokens, json!({ "id": id })).await?;
    tx.commit().await?;
    tracing::info!(token = %name, prefix = %prefix, "API token created");
    Ok((id, token))
}

pub async fn revoke_token(db: &PgPool, actor: &Actor, id: i64) -> Result<()> {
    may_admin(actor)?;
    let mut tx = db.begin().await?;
    token_store::revoke(&mut tx, id)
        .await
        .map_err(ServiceError::db("token (or it is already revoked)"))?;
    publish_in(&mut tx, Topic::Tokens, json!({ "id": id })).await?;
    tx.commit().await?;
    Ok(())
}
