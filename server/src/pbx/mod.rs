//! The PBX side: `sim` is the simulated Asterisk (`switchboard pbxsim`, and in-process in `serve`
//! while no PBX is configured).
pub mod ami;
pub mod sim;

use app::accounts::rules::tokens::Scope;
use app::shell::service::Actor;
use app::shell::store::PgPool;
use sim::{Pbxsim, PbxsimConfig, RingingTarget, StaticMember};
use std::net::SocketAddr;

/// The name of the token `serve` gives its in-process pbxsim (a new one each start; the
/// previous ones are revoked).
pub const PBXSIM_TOKEN_NAME: &str = "pbxsim (in-process simulated PBX)";

fn random_hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum PbxError {
    #[error("the simulated PBX's ringing token: {0}")]
    Token(String),
    #[error("the simulated PBX's set-up: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The PBX `serve` uses: the configured Asterisk manager, or pbxsim started in-process (kept
/// alive by the returned handle) with the adapter connected to it. The desk's answered/ended
/// times follow the adapter's events.
pub async fn connect(
    services: &app::shell::ctx::Services,
    cfg: &crate::config::PbxConfig,
    app_addr: SocketAddr,
    demo: bool,
) -> Result<(std::sync::Arc<ami::AmiClient>, Option<Pbxsim>), PbxError> {
    let (ami_cfg, sim) = match (&cfg.ami_addr, &cfg.username, &cfg.secret) {
        (Some(addr), Some(username), Some(secret)) => (
            ami::AmiConfig {
                addr: *addr,
                username: username.clone(),
                secret: secret.clone(),
            },
            None,
        ),
        _ => {
            let sim = start_in_process(&services.db, app_addr, demo, cfg).await?;
            (sim.ami_config(), Some(sim))
        }
    };
    let client = ami::AmiClient::spawn(ami_cfg);
    tokio::spawn(crate::workers::pbx::run(services.clone(), client.clone()));
    let queue = app::queue::service::QueueSettings {
        queue: cfg.queue.clone(),
        interface_template: cfg.interface_template.clone(),
    };
    let board = std::sync::Arc::new(std::sync::RwLock::new(app::queue::rules::board::Board::new(
        &queue.queue,
        chrono::Utc::now(),
    )));
    tokio::spawn(crate::workers::queue::keep_board(
        services.clone(),
        client.clone(),
        board.clone(),
    ));
    let _ = services.queue.set(app::queue::service::QueueLink {
        pbx: client.clone(),
        board,
        settings: queue.clone(),
    });
    tokio::spawn(crate::workers::queue_stats::run(
        services.clone(),
        client.clone(),
        queue.queue.clone(),
    ));
    tokio::spawn(crate::workers::queue::run(
        services.clone(),
        client.clone(),
        queue,
        crate::workers::queue::LOOK_EVERY,
    ));
    Ok((client, sim))
}

/// Starts pbxsim inside `serve`: its ringing calls go to this app's ringing endpoint with a
/// token of its own. With `demo`, the people who have an extension and an account are static
/// members of the queue (until the queue follows the rota), and callers arrive about once a
/// minute from numbers of the directory (the demo contacts with contracts first) and one number
/// nobody knows.
pub async fn start_in_process(
    db: &PgPool,
    app_addr: SocketAddr,
    demo: bool,
    pbx: &crate::config::PbxConfig,
) -> Result<Pbxsim, PbxError> {
    for t in app::accounts::store::tokens::list(db)
        .await
        .map_err(|e| PbxError::Token(e.to_string()))?
    {
        if t.name == PBXSIM_TOKEN_NAME && t.revoked_at.is_none() {
            let _ = app::accounts::service::revoke_token(db, &Actor::Operator, t.id).await;
        }
    }
    let (_, token) = app::accounts::service::create_token(db, &Actor::Operator, PBXSIM_TOKEN_NAME, &[Scope::Pbx])
        .await
        .map_err(|e| PbxError::Token(e.to_string()))?;
    // A fixed secret and control address let a browser test drive the in-process simulator.
    let secret = std::env::var("SWITCHBOARD_PBXSIM_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| random_hex(16));
    let mut cfg = PbxsimConfig::new("switchboard", &secret);
    if let Ok(addr) = std::env::var("SWITCHBOARD_PBXSIM_CONTROL_ADDR") {
        cfg.control_addr = addr.parse().map_err(|_| {
            PbxError::Io(std::io::Error::other(format!(
                "SWITCHBOARD_PBXSIM_CONTROL_ADDR: '{addr}' is not host:port"
            )))
        })?;
    }
    cfg.queues = vec![pbx.queue.clone()];
    cfg.ringing = Some(RingingTarget {
        url: format!("http://{app_addr}{}", crate::desk::RINGING_PATH),
        token,
    });
    if demo {
        let members: Vec<(String, String)> = sqlx::query_as(
            "SELECT extension, full_name FROM people
              WHERE extension IS NOT NULL AND user_id IS NOT NULL ORDER BY extension",
        )
        .fetch_all(db)
        .await?;
        cfg.static_members = members
            .into_iter()
            .map(|(ext, name)| StaticMember {
                queue: pbx.queue.clone(),
                interface: app::queue::rules::ami::interface_for(&pbx.interface_template, &ext),
                name,
            })
            .collect();
        let mut numbers: Vec<String> = sqlx::query_scalar(
            "SELECT c.phone FROM contacts c
              ORDER BY EXISTS (SELECT 1 FROM contracts k WHERE k.contact_id = c.id) DESC, c.id LIMIT 12",
        )
        .fetch_all(db)
        .await?;
        numbers.push("+34699000999".into());
        cfg.numbers = numbers;
        cfg.callers_per_hour = 60.0;
    }
    Ok(sim::spawn(cfg).await?)
}
