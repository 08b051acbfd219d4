//! The PBX's news that other areas keep: a queue call answered and ended stamps the desk call
//! it rang (matched by the caller channel's `Uniqueid`, the id the dial plan posts as `callid`).
use app::ports::{Pbx, PbxNews};
use app::queue::rules::ami::Event;
use app::shell::ctx::Services;
use app::shell::service::Actor;
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// The next PBX event from the adapter's news; `None` once the adapter is dropped. Missed events
/// (a subscriber that fell behind) are logged with `missing`: what the worker may lack for them.
pub async fn next_event(news: &mut tokio::sync::broadcast::Receiver<PbxNews>, missing: &str) -> Option<Event> {
    loop {
        match news.recv().await {
            Ok(PbxNews::Event(e)) => return Some(e),
            Ok(_) => continue,
            Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "PBX events missed ({missing})"),
            Err(RecvError::Closed) => return None,
        }
    }
}

/// Runs until the PBX adapter is dropped.
pub async fn run(services: Services, pbx: Arc<dyn Pbx>) {
    let mut news = pbx.subscribe();
    drop(pbx);
    while let Some(event) = next_event(&mut news, "answered/ended times of some desk calls").await {
        let (answered, a) = match &event {
            Event::AgentConnect(a) => (true, a),
            Event::AgentComplete(a) => (false, a),
            _ => continue,
        };
        let id = &a.caller.uniqueid;
        let at = Utc::now();
        let done = if answered {
            app::desk::service::call_answered(&services, &Actor::Operator, id, at).await
        } else {
            app::desk::service::call_ended(&services, &Actor::Operator, id, at).await
        };
        if let Err(e) = done {
            tracing::warn!(call = %id, error = %e, "PBX news: a desk call's time not recorded");
        }
    }
}
