//! The `switchboard` server: configuration, the embedded PostgreSQL, the HTTP application and
//! the command line's operations. The pages, server functions and rules live in the `app` crate.
pub mod bootstrap;
pub mod calendar;
pub mod caller;
pub mod chat;
pub mod config;
pub mod crm;
pub mod database;
pub mod desk;
pub mod error;
pub mod exports;
pub mod input;
pub mod live;
pub mod ops;
pub mod pbx;
pub mod pg;
pub mod queue_stats;
pub mod rest;
pub mod rota_cli;
pub mod state;
pub mod telephony;
pub mod testing;
pub mod tomatic_dir;
pub mod web;
pub mod workers;

use app::shell::ctx::Services;
use leptos::prelude::LeptosOptions;
use state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use telephony::provider::Provider;
use tokio::net::TcpListener;

/// Leptos settings: the built site (JS, wasm, CSS) is served from `site_root`. A site built with
/// hashed names carries their hashes in `hash.txt` (see the workspace's leptos metadata): the
/// shell links to those names if it is there, to the plain ones otherwise.
pub fn leptos_options(site_root: &str, addr: SocketAddr) -> LeptosOptions {
    let hash_file = std::path::absolute(std::path::Path::new(site_root).join("hash.txt")).unwrap_or_default();
    LeptosOptions::builder()
        .output_name("switchboard")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .hash_files(hash_file.is_file())
        .hash_file(hash_file.to_string_lossy().as_ref().into())
        .build()
}

/// The session store's own pool. With expiry on inactivity every request re-saves its session;
/// waiting for that write to reach the disk would cost a flush per page view, while losing the
/// last few expiry extensions in a crash costs nothing (sessions just end a little earlier). So
/// these connections commit without waiting for the flush; everything else keeps full durability.
fn session_pool(db: &app::shell::store::PgPool) -> app::shell::store::PgPool {
    let opts = (*db.connect_options()).clone().options([("synchronous_commit", "off")]);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect_lazy_with(opts)
}

/// A running app: its address and its services (for tests and benchmarks).
pub struct Running {
    pub addr: SocketAddr,
    pub services: Services,
    pub task: tokio::task::JoinHandle<()>,
    /// The telephony provider in use (telsim in-process when none is configured).
    pub provider: Arc<Provider>,
    /// What the Simulators page reads (pbxsim is added once connected: `set_pbxsim`).
    pub simulators: Arc<chat::simulators::SimulatorsView>,
    /// The chat simulator, when no webhook is configured.
    pub chatsim: Option<Arc<chat::sim::Chatsim>>,
}

/// Options of `start_with` beyond the web app's.
#[derive(Clone, Debug)]
pub struct StartOptions {
    pub telephony: config::TelephonyConfig,
    pub dialer: workers::callouts::DialerSettings,
    pub default_country_code: String,
    /// The team chat (webhook or the chat simulator), reminders and retries.
    pub chat: config::ChatConfig,
    /// The outside CRM (none: cards show the directory only).
    pub crm: config::CrmConfig,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            telephony: config::TelephonyConfig::default(),
            dialer: workers::callouts::DialerSettings::default(),
            default_country_code: "34".into(),
            chat: config::ChatConfig::default(),
            crm: config::CrmConfig::default(),
        }
    }
}

/// `start_with` with the default options (telsim in-process, a 1 s dialer tick).
pub async fn start(
    db: app::shell::store::PgPool,
    listener: TcpListener,
    site_root: &str,
    sessions: web::SessionSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, std::io::Error> {
    start_with(db, listener, site_root, sessions, StartOptions::default(), shutdown).await
}

/// Starts the live-event listener and the workers (dialer), and serves on `listener` until
/// `shutdown` resolves; the workers stop with it.
pub async fn start_with(
    db: app::shell::store::PgPool,
    listener: TcpListener,
    site_root: &str,
    sessions: web::SessionSettings,
    options: StartOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, std::io::Error> {
    let addr = listener.local_addr()?;
    let services = Services::new(db.clone()).with_country_code(&options.default_country_code);
    services.events.start_listener().await.map_err(std::io::Error::other)?;
    // Tomàtic timetables imported before weeks were adopted at import time.
    if let Err(e) = app::rota::service::timetable::adopt_imported(&services).await {
        tracing::warn!(error = %e, "imported timetables not adopted");
    }
    let provider = Arc::new(Provider::from_config(&options.telephony, addr).await?);
    let state = AppState {
        services: services.clone(),
        leptos: leptos_options(site_root, addr),
        metrics: ops::metrics_handle(),
        telephony: Some(provider.clone()),
    };
    // One stop signal for everything that would keep the process up: on shutdown, open event
    // streams end at once (so graceful shutdown does not wait for open pages), the workers stop
    // claiming at the top of their loops, the dialer finishes the round under way and retires,
    // and a solver run going is stopped (its best timetable kept).
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if let Some(url) = &options.crm.url {
        let crm = crm::http::HttpCrm::new(url, options.crm.token.as_deref(), options.crm.budget)
            .map_err(|e| std::io::Error::other(format!("SWITCHBOARD_CRM_URL: {e}")))?;
        let _ = services
            .crm
            .set(app::desk::service::CrmLink::new(Arc::new(crm), options.crm.budget));
    }
    let (simulators, chatsim) = start_chat(&services, &options.chat, &provider, stop_rx.clone()).await?;
    let dialer = workers::callouts::spawn(
        services.clone(),
        provider.clone(),
        options.dialer.clone(),
        stop_rx.clone(),
    );
    let solver = tokio::spawn(workers::rota::run(services.clone(), stop_rx.clone()));
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: event streams end, workers stop claiming");
        let _ = stop_tx.send(true);
        let _ = dialer.await;
        // A run going is stopped and its best timetable stored before the process exits.
        let _ = solver.await;
    };
    let store = tower_sessions_sqlx_store::PostgresStore::new(session_pool(&db));
    let router = web::router(state, &sessions, store.clone()).layer(axum::Extension(live::Shutdown(stop_rx.clone())));
    let session_cleanup = store;
    tokio::spawn(async move {
        use tower_sessions::ExpiredDeletion;
        if let Err(e) = session_cleanup
            .continuously_delete_expired(std::time::Duration::from_secs(600))
            .await
        {
            tracing::warn!(error = %e, "expired-session clean-up stopped");
        }
    });
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(
            // Small responses must not wait for Nagle's algorithm and the peer's delayed ACK.
            axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            }),
            router,
        )
        .with_graceful_shutdown(shutdown)
        .await
        {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running {
        addr,
        services,
        task,
        provider,
        simulators,
        chatsim,
    })
}

/// The team chat: the configured webhook, or the chat simulator started here (its messages are
/// announced live to the Simulators page); the chat worker (reminders, incidents, retries).
async fn start_chat(
    services: &Services,
    cfg: &config::ChatConfig,
    provider: &Provider,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(Arc<chat::simulators::SimulatorsView>, Option<Arc<chat::sim::Chatsim>>), std::io::Error> {
    let chatsim = match &cfg.webhook_url {
        Some(_) => None,
        None => {
            let addr = std::env::var("SWITCHBOARD_CHATSIM_ADDR")
                .ok()
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "127.0.0.1:0".into());
            let addr = addr
                .parse()
                .map_err(|_| std::io::Error::other(format!("SWITCHBOARD_CHATSIM_ADDR: '{addr}' is not host:port")))?;
            Some(Arc::new(chat::sim::spawn(addr).await?))
        }
    };
    let url = match (&cfg.webhook_url, &chatsim) {
        (Some(u), _) => u.clone(),
        (None, Some(sim)) => sim.webhook_url(),
        (None, None) => unreachable!("a chat simulator without a webhook"),
    };
    let client = chat::webhook::WebhookChat::new(&url).map_err(std::io::Error::other)?;
    let simulators = Arc::new(chat::simulators::SimulatorsView::new(chatsim.clone()));
    if provider.telsim.is_some() {
        simulators.set_telsim(&provider.base_url, &provider.account_sid, &provider.auth_token);
    }
    let instance: String = (0..6).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
    let _ = services.chat.set(app::chat::service::ChatLink {
        chat: Arc::new(client),
        simulators: Some(simulators.clone()),
        settings: app::chat::service::ChatSettings {
            remind_minutes: cfg.remind_minutes,
            remind_template: cfg.remind_template.clone(),
            retry_base: cfg.retry_base,
            instance: format!("switchboard-{instance}"),
        },
    });
    if let Some(sim) = &chatsim {
        tokio::spawn(workers::chat::announce_sim(services.clone(), sim.subscribe()));
    }
    tokio::spawn(workers::chat::run(services.clone(), cfg.look_every, stop));
    Ok((simulators, chatsim))
}
