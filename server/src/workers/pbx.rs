//! The PBX's news that other areas keep: a queue call answered and ended stamps the desk call
//! it rang (matched by the caller channel's `Uniqueid`, the id the dial plan posts as `callid`).
use app::ports::{Pbx, PbxNews};
use app::queue::rules::ami::Event;
use app::shell::ctx::Services;
use app::shell::service::Actor;
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// Runs until the PBX adapter is dropped.
pub async fn run(services: Services, pbx: Arc<dyn Pbx>) {
    let mut news = pbx.subscribe();
    drop(pbx);
    loop {
        let event = match news.recv().await {
            Ok(PbxNews::Event(e)) => e,
            Ok(_) => continue,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(
                    missed = n,
                    "PBX news: events missed (answered/ended times of some calls)"
                );
                continue;
            }
            Err(RecvError::Closed) => return,
        };
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
