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
use std::time::Duration;

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

    /// Waits until the live board has (or has not) `interface`.
    pub async fn board_has(&self, interface: &str, present: bool) {
        let deadline = tokio::time::Instant::now() + HANG_GUARD;
        while self.board.read().expect("board").members.contains_key(interface) != present {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the board never {} {interface}",
                if present { "showed" } else { "dropped" }
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Polls the queue board's server function until `ok` holds (the PBX's events arrive
/// asynchronously).
pub async fn board_until(b: &Browser, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        let (status, body) = b.call("/api/queue/board", json!({})).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body:?}");
        let v = body.expect("board");
        if ok(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the board never got there: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
