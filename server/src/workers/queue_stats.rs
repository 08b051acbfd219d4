//! Daily call statistics: every queue call event of the configured queue (a caller joins,
//! leaves, is answered, ends, abandons) is recorded through `queue::service::stats::record` as
//! it arrives. Each instance connected to the PBX records the same events; the recording is
//! idempotent per call (caller's Uniqueid + queue), so a call is stored once. An event missing a
//! field the statistics need is logged and skipped.
use app::ports::Pbx;
use app::queue::service::stats::{self, Recorded};
use app::shell::ctx::Services;
use app::shell::service::{Actor, ServiceError};
use chrono::Utc;
use std::sync::Arc;

/// Runs until the PBX adapter is dropped. `queue`: only this queue's calls are recorded.
pub async fn run(services: Services, pbx: Arc<dyn Pbx>, queue: String) {
    let mut news = pbx.subscribe();
    drop(pbx);
    while let Some(event) = super::pbx::next_event(&mut news, "some calls' statistics may lack a step").await {
        if event.queue() != Some(queue.as_str()) {
            continue;
        }
        match stats::record(&services, &Actor::Operator, &event, Utc::now()).await {
            Ok(Recorded::Changed | Recorded::Unchanged | Recorded::NotACall) => {}
            Err(ServiceError::Invalid(errors)) => {
                let why: Vec<String> = errors.iter().map(ToString::to_string).collect();
                // The why names the AMI fields; the event itself (callers' numbers) is not logged.
                tracing::warn!(queue = %queue, why = %why.join("; "), "queue statistics: an event skipped");
            }
            Err(e) => tracing::warn!(queue = %queue, error = %e, "queue statistics: a call event not recorded"),
        }
    }
}
