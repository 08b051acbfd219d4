use super::{DbError, PgPool, conflict_as};
use crate::accounts::Me;
use crate::accounts::UserSummary;
use crate::accounts::rules::roles::Role;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    roles: Vec<String>,
    active: bool,
    created_at: DateTime<Utc>,
}

fn roles_of(raw: &[String]) -> Vec<Role> {
    let mut roles: Vec<Role> = raw.iter().filter_map(|r| Role::parse(r)).collect();
    roles.sort();
    roles
}

/// The stored form of a role set: sorted, each role once.
fn role_names(roles: &[Role]) -> Vec<String> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles.iter().map(|r| r.as_str().to_string()).collect()
}

impl From<UserRow> for UserSummary {
    fn from(r: UserRow) -> Self {
        UserSummary {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            roles: roles_of(&r.roles),
            active: r.active,
            created_at: r.created_at,
        }
    }
}

/// What a sign-in needs to check a password.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
    pub session_epoch: i32,
}

pub async fn count(db: &PgPool) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(db).await?)
}

pub async fn insert(
    db: &mut PgConnection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    roles: &[Role],
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, roles) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(role_names(roles))
    .fetch_one(db)
    .await
    .map_err(conflict_as("a user with this name already exists"))
}

pub async fn credentials(db: &PgPool, username: &str) -> Result<Option<Credentials>, DbError> {
    Ok(
        sqlx::query_as("SELECT id, password_hash, active, session_epoch FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(db)
            .await?,
    )
}

/// The signed-in user of a session, if the account is still active and the session was opened
/// after the last password change or deactivation.
pub async fn session_user(db: &PgPool, id: i64, epoch: i32) -> Result<Option<Me>, DbError> {
    let row: Option<(i64, String, String, Vec<String>)> = sqlx::query_as(
        "SELECT id, username, display_name, roles FROM users WHERE id = $1 AND active AND session_epoch = $2",
    )
    .bind(id)
    .bind(epoch)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, username, display_name, roles)| Me {
        id,
        username,
        display_name,
        roles: roles_of(&roles),
    }))
}

pub async fn list(db: &PgPool) -> Result<Vec<UserSummary>, DbError> {
    let rows: Vec<UserRow> = sqlx::query_as(
        "SELECT id, username, display_name, roles, active, created_at FROM users ORDER BY active DESC, username",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(db: &PgPool, id: i64) -> Result<UserSummary, DbError> {
    let row: Option<UserRow> =
        sqlx::query_as("SELECT id, username, display_name, roles, active, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(Into::into).ok_or(DbError::NotFound)
}

pub async fn id_by_username(db: &PgPool, username: &str) -> Result<i64, DbError> {
    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(db)
        .await?
        .ok_or(DbError::NotFound)
}

/// Another active admin besides `id` exists: the last admin may not lose the role or the account.
async fn other_active_admin(tx: &mut sqlx::PgConnection, id: i64) -> Result<bool, DbError> {
    // Lock every active admin (this one included) in id order, so two concurrent demotions
    // queue behind each other instead of both seeing the other admin, or deadlocking.
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE active AND 'admin' = ANY(roles) ORDER BY id FOR UPDATE")
            .fetch_all(&mut *tx)
            .await?;
    Ok(ids.iter().any(|&other| other != id))
}

pub async fn set_roles(tx: &mut PgConnection, id: i64, roles: &[Role]) -> Result<(), DbError> {
    if !roles.contains(&Role::Admin) && !other_active_admin(&mut *tx, id).await? {
        let was_admin: Option<bool> =
            sqlx::query_scalar("SELECT 'admin' = ANY(roles) AND active FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if was_admin == Some(true) {
            return Err(DbError::Conflict(
                "the last active admin cannot lose the admin role".into(),
            ));
        }
    }
    let done = sqlx::query("UPDATE users SET roles = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(role_names(roles))
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Sets a new password hash and ends every open session of the user.
pub async fn set_password(db: &mut PgConnection, id: i64, password_hash: &str) -> Result<(), DbError> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(password_hash)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Activates or deactivates an account; deactivating ends its sessions.
pub async fn set_active(tx: &mut PgConnection, id: i64, active: bool) -> Result<(), DbError> {
    if !active && !other_active_admin(&mut *tx, id).await? {
        let is_admin: Option<bool> =
            sqlx::query_scalar("SELECT 'admin' = ANY(roles) AND active FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if is_admin == Some(true) {
            return Err(DbError::Conflict("the last active admin cannot be deactivated".into()));
        }
    }
    let done = sqlx::query(
        "UPDATE users SET active = $2, updated_at = now(),
             session_epoch = session_epoch + CASE WHEN $2 THEN 0 ELSE 1 END
         WHERE id = $1",
    )
    .bind(id)
    .bind(active)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
