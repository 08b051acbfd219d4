//! Passwords, sessions and tokens on the server side.
use crate::accounts::Me;
use crate::shell::ctx::Services;
use crate::shell::error::ApiError;
use crate::{accounts::rules::login, accounts::rules::users};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use tower_sessions::Session;

const SESSION_USER: &str = "user_id";
const SESSION_EPOCH: &str = "epoch";
/// When the session's idle expiry was last extended (Unix milliseconds).
const SESSION_SEEN: &str = "seen";

/// The account's session epoch this session was signed in with (None: not signed in).
pub async fn session_epoch(session: &Session) -> Option<i32> {
    session.get(SESSION_EPOCH).await.ok().flatten()
}

/// Extends a signed-in session's idle expiry when it was last extended `every` ago or more:
/// the session is then re-saved (with a new expiry and cookie); a request sooner after the
/// last extension writes nothing.
pub async fn keep_alive(session: &Session, every: std::time::Duration) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let seen: Option<i64> = session.get(SESSION_SEEN).await.ok().flatten();
    if seen.is_none_or(|t| now - t >= every.as_millis() as i64)
        && let Err(e) = session.insert(SESSION_SEEN, now).await
    {
        tracing::warn!(error = %e, "session not extended");
    }
}

/// Hashes with argon2id (default parameters) on the blocking pool: a hash takes tens of
/// milliseconds of CPU and must not stall the async threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::internal("hash task", e))?
    .map_err(|e| ApiError::internal("argon2", e))
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so an unknown name costs as much
/// time as a wrong password and the timing reveals nothing.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"not a real password", &salt)
            .expect("argon2 hashes a constant")
            .to_string()
    })
}

/// A random password for new accounts and resets: 16 characters without look-alikes.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A new machine token: the secret shown once, its hash to store, and a prefix to recognise it.
pub fn generate_token() -> (String, String, String) {
    let bytes: [u8; 24] = OsRng.r#gen();
    let token = format!("sb_{}", hex::encode(bytes));
    let prefix = token[..9].to_string();
    let hash = hash_token(&token);
    (token, hash, prefix)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The user signed in on this session, if the session is still valid for them.
pub async fn session_user(session: &Session, db: &crate::shell::store::PgPool) -> Option<Me> {
    let id: i64 = session.get(SESSION_USER).await.ok().flatten()?;
    let epoch: i32 = session.get(SESSION_EPOCH).await.ok().flatten()?;
    match crate::accounts::store::users::session_user(db, id, epoch).await {
        Ok(Some(me)) => Some(me),
        Ok(None) => {
            // Password changed or account deactivated: this session is over.
            let _ = session.flush().await;
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "loading the session's user failed");
            None
        }
    }
}

/// Checks a user name and password and signs the session in. Every failure gives the same
/// message; repeated failures for a name slow further attempts down.
pub async fn sign_in(
    services: &Services,
    session: &Session,
    raw_username: &str,
    password: &str,
) -> Result<Me, ApiError> {
    let username = raw_username.trim().to_lowercase();
    if username.is_empty() || password.is_empty() {
        return Err(ApiError::BadCredentials);
    }
    let db = &services.db;
    if let Some((failures, since)) = crate::accounts::store::login_failures::get(db, &username).await?
        && let Some(wait) = login::wait_before_next_attempt(failures, since)
    {
        return Err(ApiError::TooManyAttempts { retry_after_s: wait });
    }
    let creds = match users::normalize_username(&username) {
        Ok(name) => crate::accounts::store::users::credentials(db, &name).await?,
        Err(_) => None,
    };
    let hash = creds
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |c| c.password_hash.clone());
    let password_ok = verify_password(password.to_string(), hash).await;
    let creds = match creds {
        Some(c) if password_ok && c.active => c,
        _ => {
            crate::accounts::store::login_failures::record(db, &username).await?;
            tracing::info!(username = %username, "sign-in refused");
            return Err(ApiError::BadCredentials);
        }
    };
    crate::accounts::store::login_failures::clear(db, &username).await?;
    // A new session id at sign-in, so an id planted before cannot be ridden (session fixation).
    session
        .cycle_id()
        .await
        .map_err(|e| ApiError::internal("session cycle", e))?;
    session
        .insert(SESSION_USER, creds.id)
        .await
        .map_err(|e| ApiError::internal("session", e))?;
    session
        .insert(SESSION_EPOCH, creds.session_epoch)
        .await
        .map_err(|e| ApiError::internal("session", e))?;
    keep_alive(session, std::time::Duration::ZERO).await;
    crate::accounts::store::users::session_user(db, creds.id, creds.session_epoch)
        .await?
        .ok_or(ApiError::BadCredentials)
}

/// The signed-in user of the request being served, as resolved by the server's middleware.
pub fn current_user() -> Option<Me> {
    leptos::prelude::use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<Me>().cloned())
}
