//! Account and token operations shared by the admin page and the command line.
use crate::accounts::auth;
use crate::accounts::rules::roles::Role;
use crate::accounts::rules::tokens::{Scope, check_token_name};
use crate::accounts::rules::users;
use crate::shell::error::ApiError;
use crate::shell::store::PgPool;

pub struct CreatedUser {
    pub id: i64,
    /// The password to hand over: the one given, or a generated one.
    pub password: String,
}

pub async fn create_user(
    db: &PgPool,
    username: &str,
    display_name: &str,
    roles: &[Role],
    password: Option<String>,
) -> Result<CreatedUser, ApiError> {
    let username = users::normalize_username(username)?;
    let display_name = users::check_display_name(display_name)?;
    if roles.is_empty() {
        return Err(ApiError::invalid("roles", "give at least one role"));
    }
    let password = match password.filter(|p| !p.is_empty()) {
        Some(p) => {
            users::check_password(&p)?;
            p
        }
        None => auth::generate_password(),
    };
    let hash = auth::hash_password(password.clone()).await?;
    let id = crate::accounts::store::users::insert(db, &username, &display_name, &hash, roles).await?;
    tracing::info!(user = %username, roles = ?roles, "user created");
    Ok(CreatedUser { id, password })
}

/// Sets a password (given or generated) and returns it; ends the user's sessions.
pub async fn set_password(db: &PgPool, id: i64, password: Option<String>) -> Result<String, ApiError> {
    let password = match password {
        Some(p) => {
            users::check_password(&p)?;
            p
        }
        None => auth::generate_password(),
    };
    let hash = auth::hash_password(password.clone()).await?;
    crate::accounts::store::users::set_password(db, id, &hash)
        .await
        .map_err(|e| match e {
            crate::shell::store::DbError::NotFound => ApiError::NotFound("user".into()),
            e => e.into(),
        })?;
    tracing::info!(user_id = id, "password changed");
    Ok(password)
}

/// Creates a token; returns its id and the secret, which is not stored and cannot be shown again.
pub async fn create_token(
    db: &PgPool,
    name: &str,
    scopes: &[Scope],
    created_by: Option<i64>,
) -> Result<(i64, String), ApiError> {
    let name = check_token_name(name)?;
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "give at least one scope"));
    }
    let (token, hash, prefix) = auth::generate_token();
    let id = crate::accounts::store::tokens::insert(db, &name, scopes, &hash, &prefix, created_by).await?;
    tracing::info!(token = %name, prefix = %prefix, "API token created");
    Ok((id, token))
}
