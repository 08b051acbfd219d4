//! The one door to the queue's changes: the queue follows the published timetable (follow.rs: at
//! each boundary of the team's day, claimed once across instances, and after every (re)connect
//! to the PBX), and the console's reads and steering (console.rs). Every change is logged.
pub mod console;
pub mod follow;
pub mod stats;

pub use console::*;
pub use follow::*;

use crate::ports::Pbx;
use crate::shell::ctx::Services;
use crate::shell::service::ServiceError;

type Result<T> = std::result::Result<T, ServiceError>;

/// Which queue and how its members' interfaces are named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    pub queue: String,
    /// E.g. `PJSIP/{extension}`.
    pub interface_template: String,
}

/// What connects the running app to its PBX: the adapter, the live board its events keep, and
/// the queue's settings. Set once at start-up (`Services::queue`).
#[derive(Clone)]
pub struct QueueLink {
    pub pbx: std::sync::Arc<dyn Pbx>,
    pub board: std::sync::Arc<std::sync::RwLock<crate::queue::rules::board::Board>>,
    pub settings: QueueSettings,
}

pub(super) fn link(s: &Services) -> Result<&QueueLink> {
    s.queue
        .get()
        .ok_or_else(|| ServiceError::NotFound("a PBX connected to this server".into()))
}
