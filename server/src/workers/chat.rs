//! The chat's worker: every `look_every` it posts the next turn's reminder when due (one
//! instance per turn), the day's statistics once its last turn is over (one instance per day), compares the live board with the open incidents (alerts and their end),
//! and retries the messages whose send failed (claimed with SKIP LOCKED, so two instances never
//! send one message twice at once).
use app::chat::service;
use app::shell::ctx::Services;
use app::shell::service::Actor;
use chrono::Utc;
use std::time::Duration;

pub async fn run(services: Services, look_every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(look_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        if let Err(e) = service::remind(&services, &Actor::Operator, Utc::now()).await {
            tracing::warn!(error = %e, "turn reminder not posted");
        }
        if let Err(e) = service::post_day_statistics(&services, &Actor::Operator, Utc::now()).await {
            tracing::warn!(error = %e, "end-of-day statistics not posted");
        }
        if let Err(e) = service::watch_incidents(&services, &Actor::Operator, Utc::now()).await {
            tracing::warn!(error = %e, "disconnected agents not checked");
        }
        if let Err(e) = service::deliver(&services, &Actor::Operator).await {
            tracing::warn!(error = %e, "chat messages not retried");
        }
    }
}

/// Tells the Simulators page (live) of each message the in-process chat simulator receives.
pub async fn announce_sim(services: Services, mut rx: tokio::sync::broadcast::Receiver<app::chat::SimChatMessage>) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match rx.recv().await {
            Ok(_) | Err(RecvError::Lagged(_)) => {
                services
                    .events
                    .announce(
                        app::shell::topics::Topic::SimulatorsChat,
                        serde_json::json!({"simulator": "chat"}),
                    )
                    .await
            }
            Err(RecvError::Closed) => return,
        }
    }
}
