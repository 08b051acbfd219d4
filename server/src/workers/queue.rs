//! The queue follows the published timetable: every few seconds the current boundary of the
//! team's day is applied (by the one instance that claims it), and after every (re)connect the
//! PBX's queue is put back as the timetable wants it.
use app::ports::{Pbx, PbxNews};
use app::queue::service::{self, QueueSettings, Source};
use app::shell::ctx::Services;
use app::shell::service::Actor;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How often the boundary is looked at: a missed boundary is caught up within this.
pub const LOOK_EVERY: Duration = Duration::from_secs(5);

pub async fn run(services: Services, pbx: Arc<dyn Pbx>, queue: QueueSettings, look_every: Duration) {
    let mut news = pbx.subscribe();
    let mut tick = tokio::time::interval(look_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let source = tokio::select! {
            _ = tick.tick() => None,
            n = news.recv() => match n {
                Ok(PbxNews::Snapshot(_)) => Some(Source::Reconcile),
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
        };
        let done = match source {
            None => service::apply_boundary(&services, &Actor::Operator, pbx.as_ref(), &queue, Utc::now()).await,
            Some(s) => service::follow_rota(&services, &Actor::Operator, pbx.as_ref(), &queue, Utc::now(), s)
                .await
                .map(Some),
        };
        match done {
            Ok(Some(d)) if !d.added.is_empty() || !d.removed.is_empty() || !d.failed.is_empty() => {
                tracing::info!(queue = %queue.queue, added = ?d.added, removed = ?d.removed, failed = ?d.failed, "the queue follows the rota");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(queue = %queue.queue, error = %e, "the queue could not follow the rota"),
        }
    }
}

/// How long board changes are gathered before the browsers are sent the new board: a busy
/// queue's events come in bursts (a caller joining rings several phones at once).
pub const BOARD_GATHER: Duration = Duration::from_millis(40);

/// Keeps the console's board from the PBX's news and sends it to this instance's browsers
/// (`queue.board` with the whole board, at most once per [`BOARD_GATHER`]); they draw it as is.
pub async fn keep_board(
    services: Services,
    pbx: Arc<dyn Pbx>,
    board: Arc<std::sync::RwLock<app::queue::rules::board::Board>>,
) {
    let mut news = pbx.subscribe();
    // Connected before we subscribed? Then its first snapshot has gone by: ask for one (if not,
    // the snapshot after the connect arrives as news).
    if let Ok(snapshot) = pbx.queue_status(None).await
        && let Ok(mut b) = board.write()
    {
        b.apply_snapshot(&snapshot, Utc::now());
    }
    drop(pbx);
    // The first change of a quiet queue goes out at once; changes right after it are gathered.
    let mut last_sent = tokio::time::Instant::now() - BOARD_GATHER;
    let mut pending = false;
    loop {
        let wait = if pending {
            BOARD_GATHER.saturating_sub(last_sent.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        let changed = tokio::select! {
            n = news.recv() => {
                let now = Utc::now();
                let Ok(mut b) = board.write() else { return };
                match n {
                    Ok(PbxNews::Snapshot(s)) => {
                        b.apply_snapshot(&s, now);
                        true
                    }
                    Ok(PbxNews::Event(e)) => b.apply(&e, now),
                    Ok(PbxNews::Disconnected(_)) => {
                        let was = b.connected;
                        b.connected = false;
                        was
                    }
                    Ok(PbxNews::Connected) | Err(RecvError::Lagged(_)) => false,
                    Err(RecvError::Closed) => return,
                }
            }
            _ = tokio::time::sleep(wait) => false,
        };
        pending |= changed;
        if pending && last_sent.elapsed() >= BOARD_GATHER {
            let Ok(current) = board.read().map(|b| serde_json::to_value(&*b)) else {
                return;
            };
            match current {
                Ok(v) => services.events.deliver_here(
                    app::shell::topics::Topic::QueueBoard,
                    serde_json::json!({ "board": v, "now": Utc::now() }),
                ),
                Err(e) => tracing::warn!(error = %e, "the queue board could not be sent"),
            }
            last_sent = tokio::time::Instant::now();
            pending = false;
        }
    }
}
