//! The queue area: the PBX queue follows the published timetable (rules/follow.rs, store,
//! service), the live queue console (rules/board.rs kept from the PBX's events, pages). The AMI
//! codec (rules/ami.rs) is what the `Pbx` port's Asterisk adapter and pbxsim speak.
pub mod api;
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
pub mod stats_api;
#[cfg(feature = "ssr")]
pub mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A turn of the team's day and who is on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnView {
    pub label: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub people: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub at: DateTime<Utc>,
    pub source: String,
    pub who: Option<String>,
    pub what: String,
}

/// What the console shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub now: DateTime<Utc>,
    pub board: rules::board::Board,
    /// This turn, then the next.
    pub turns: Vec<TurnView>,
    pub log: Vec<LogLine>,
    /// Whether the viewer steers anyone (coordinators, admins).
    #[serde(default)]
    pub steer: bool,
    /// An agent's own interface (their rota person's extension): the row they may pause.
    #[serde(default)]
    pub mine: Option<String>,
    /// People with an extension a coordinator may add (empty for others).
    #[serde(default)]
    pub addable: Vec<Addable>,
}

/// Someone the console offers to add to the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addable {
    pub handle: String,
    pub name: String,
    pub extension: String,
}
