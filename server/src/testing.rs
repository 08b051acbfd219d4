//! Test support: a fresh database per test in the embedded cluster (or the server named by
//! `SWITCHBOARD_TEST_DATABASE_URL`), and the app started on port 0 against it.
use crate::{database, pg, web};
use app::shell::store::PgPool;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Test databases are named with this prefix so `switchboard db prune-tests` can drop them.
pub const TEST_DB_PREFIX: &str = "sbtest_";

/// The URL of the PostgreSQL server tests use (without a database name). Found once per
/// process: the tests of one binary run on many threads, and two of them must not both start
/// (initdb) the embedded cluster.
pub fn server_url() -> String {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("SWITCHBOARD_TEST_DATABASE_URL") {
            return url.trim_end_matches('/').to_string();
        }
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.data");
        let cluster = pg::EmbeddedPg::ensure(&data, None).expect("embedded PostgreSQL for tests");
        cluster.url("").trim_end_matches('/').to_string()
    })
    .clone()
}

/// A new, migrated database of its own.
pub async fn fresh_db() -> PgPool {
    let server = server_url();
    let name = format!("{TEST_DB_PREFIX}{}", uuid::Uuid::new_v4().simple());
    database::create_database(&format!("{server}/postgres"), &name)
        .await
        .expect("create test database");
    let db = database::pool(&format!("{server}/{name}"), 20)
        .await
        .expect("connect test database");
    database::migrate(&db).await.expect("migrate test database");
    db
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    pub db: PgPool,
    pub services: app::shell::ctx::Services,
    pub provider: std::sync::Arc<crate::telephony::provider::Provider>,
}

impl TestApp {
    /// The app on a fresh database.
    pub async fn spawn() -> TestApp {
        Self::spawn_on(fresh_db().await).await
    }

    /// Another instance of the app on an existing database (as a second server would be).
    pub async fn spawn_on(db: PgPool) -> TestApp {
        Self::spawn_with(db, crate::StartOptions::default()).await
    }

    /// An instance with its own options (telephony provider, dialer tick).
    pub async fn spawn_with(db: PgPool, options: crate::StartOptions) -> TestApp {
        Self::spawn_full(db, options, None).await
    }

    /// The app on a fresh database whose sessions end after `idle_seconds` without use.
    pub async fn spawn_with_idle(idle_seconds: i64) -> TestApp {
        Self::spawn_full(fresh_db().await, crate::StartOptions::default(), Some(idle_seconds)).await
    }

    async fn spawn_full(db: PgPool, options: crate::StartOptions, idle_seconds: Option<i64>) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let key: Vec<u8> = (0..64).map(|_| rand::random::<u8>()).collect();
        let sessions = web::SessionSettings {
            key,
            secure: false,
            idle_minutes: 60,
            idle_seconds,
        };
        let site = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
        let running = crate::start_with(
            db.clone(),
            listener,
            &site.to_string_lossy(),
            sessions,
            options,
            std::future::pending(),
        )
        .await
        .expect("start test app");
        TestApp {
            addr: running.addr,
            url: format!("http://{}", running.addr),
            db,
            services: running.services,
            provider: running.provider,
        }
    }

    /// Creates a user with these roles and returns its password.
    pub async fn user(&self, username: &str, roles: &[app::accounts::rules::roles::Role]) -> String {
        let password = format!("{username}-password-1");
        app::accounts::service::create_user(
            &self.db,
            &app::shell::service::Actor::Operator,
            username,
            username,
            roles,
            Some(password.clone()),
        )
        .await
        .expect("create test user");
        password
    }

    /// Creates a token with these scopes and returns it.
    pub async fn token(&self, name: &str, scopes: &[app::accounts::rules::tokens::Scope]) -> String {
        app::accounts::service::create_token(&self.db, &app::shell::service::Actor::Operator, name, scopes)
            .await
            .expect("create test token")
            .1
    }
}
