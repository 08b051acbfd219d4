//! The PBX set-up the queue, chat and statistics tests share: pbxsim on free ports, the AMI
//! adapter connected to it (its reconciling snapshot seen), and the workers a test needs on
//! it: the live board linked to the app as its queue (`QueueLink`), or the statistics recorder.
use super::{Browser, HANG_GUARD, TestApp};
use app::ports::{Pbx, PbxNews, QueueMemberSpec};
use app::queue::rules::board::Board;
use app::queue::service::{QueueLink, QueueSettings};
use serde_json::{Value, json};
use server::pbx::ami::AmiClient;
use server::pbx::sim::{self, Pbxsim, PbxsimConfig};
use std::sync::{Arc, RwLock};

/// The queue pbxsim has and the tests link.
pub const QUEUE: &str = "support";

/// pbxsim's configuration: AMI user `switchboard` with `secret` (also the control interface's
/// token), the queue `support`, its clock `speed` times faster than real time.
pub fn config(secret: &str, speed: f64) -> PbxsimConfig {
    let mut cfg = PbxsimConfig::new("switchboard", secret);
    cfg.speed = speed;
    cfg
}

/// The queue settings linked: `support`, members `PJSIP/{extension}`.
pub fn settings() -> QueueSettings {
    QueueSettings {
        queue: QUEUE.into(),
        interface_template: "PJSIP/{extension}".into(),
    }
}

/// What runs on the adapter for the app besides the test itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workers {
    /// Nothing: the test drives the adapter itself.
    None,
    /// The live board kept from the PBX's events (`workers::queue::keep_board`), linked to the
    /// app as its queue's PBX (`services.queue`).
    Board,
    /// The statistics recorder (`workers::queue_stats::run`).
    Stats,
}

/// A running pbxsim and the adapter connected to it.
pub struct PbxRig {
    pub sim: Pbxsim,
    pub client: Arc<AmiClient>,
    pub pbx: Arc<dyn Pbx>,
    /// The live board (kept from the PBX's events only with `Workers::Board`).
    pub board: Arc<RwLock<Board>>,
    pub q: QueueSettings,
    /// The app's live events (the board keeper announces each change of the board on them).
    events: app::shell::events::EventBus,
}

/// Starts pbxsim with `cfg`, connects the AMI adapter, starts `workers` for `app` and returns
/// once the adapter has logged in and read the queue (its snapshot).
pub async fn start(app: &TestApp, cfg: PbxsimConfig, workers: Workers) -> PbxRig {
    let sim = sim::spawn(cfg).await.expect("pbxsim");
    let (client, board) = connect(app, &sim, workers).await;
    PbxRig {
        sim,
        pbx: client.clone(),
        client,
        board,
        q: settings(),
        events: app.services.events.clone(),
    }
}

/// Another adapter on `sim` (as a second instance has), with `workers` for `app`; returns once
/// it has logged in and read the queue.
pub async fn connect(app: &TestApp, sim: &Pbxsim, workers: Workers) -> (Arc<AmiClient>, Arc<RwLock<Board>>) {
    let client = AmiClient::spawn(sim.ami_config());
    let mut rx = client.subscribe();
    let board = Arc::new(RwLock::new(Board::new(QUEUE, chrono::Utc::now())));
    match workers {
        Workers::None => {}
        Workers::Board => {
            tokio::spawn(server::workers::queue::keep_board(
                app.services.clone(),
                client.clone(),
                board.clone(),
            ));
        }
        Workers::Stats => {
            tokio::spawn(server::workers::queue_stats::run(
                app.services.clone(),
                client.clone(),
                QUEUE.into(),
            ));
        }
    }
    tokio::time::timeout(HANG_GUARD, async {
        while !matches!(rx.recv().await, Ok(PbxNews::Snapshot(_))) {}
    })
    .await
    .expect("connected to pbxsim");
    if workers == Workers::Board {
        assert!(
            app.services
                .queue
                .set(QueueLink {
                    pbx: client.clone(),
                    board: board.clone(),
                    settings: settings(),
                })
                .is_ok(),
            "the app had a queue linked already"
        );
    }
    (client, board)
}

impl PbxRig {
    /// Adds `interface` (`name`) to the queue at the PBX, as someone else than Switchboard does.
    pub async fn add_member(&self, interface: &str, name: &str) {
        self.client
            .add_member(QueueMemberSpec {
                queue: QUEUE.into(),
                interface: interface.into(),
                member_name: name.into(),
                paused: false,
                reason: None,
            })
            .await
            .expect("member added");
    }

    /// The queue's members at the PBX as (interface, paused), sorted.
    pub async fn members(&self) -> Vec<(String, bool)> {
        let mut m: Vec<(String, bool)> = self
            .client
            .queue_status(Some(QUEUE))
            .await
            .expect("status")
            .members
            .into_iter()
            .map(|m| (m.interface, m.paused))
            .collect();
        m.sort();
        m
    }

    /// Waits until the live board has (or has not) `interface`: checked again after each board
    /// the keeper announces (it announces every change once applied).
    pub async fn board_has(&self, interface: &str, present: bool) {
        let mut announced = self.events.subscribe();
        let deadline = tokio::time::Instant::now() + HANG_GUARD;
        while self.board.read().expect("board").members.contains_key(interface) != present {
            let next = tokio::time::timeout_at(deadline, announced.recv()).await;
            assert!(
                next.is_ok(),
                "the board never {} {interface}",
                if present { "showed" } else { "dropped" }
            );
        }
    }
}

/// The queue board's server function once `ok` holds its answer (the PBX's events arrive
/// asynchronously; the board is pushed live on each change).
pub async fn board_until(b: &Browser, ok: impl Fn(&Value) -> bool) -> Value {
    super::call_until_live(b, "/api/queue/board", json!({}), HANG_GUARD, ok).await
}
