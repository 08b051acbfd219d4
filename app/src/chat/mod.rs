//! Chat reminders and alerts: messages to the team chat through the `Chat` port (an incoming
//! webhook, or the built-in chat simulator): N minutes before each turn, an agent on duty who is
//! disconnected and not paused (and when it is over), the end-of-day statistics, and "say as
//! Switchboard". Every message is logged with its result; failed sends are retried. The
//! Simulators page (admins) shows what the simulated outside world received.
pub mod api;
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Reminder,
    Alert,
    Statistics,
    Say,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Reminder => "reminder",
            MessageKind::Alert => "alert",
            MessageKind::Statistics => "statistics",
            MessageKind::Say => "say",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "reminder" => MessageKind::Reminder,
            "alert" => MessageKind::Alert,
            "statistics" => MessageKind::Statistics,
            "say" => MessageKind::Say,
            _ => return None,
        })
    }
}

/// Where a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Claimed by one instance, being sent.
    Sending,
    Sent,
    /// Every attempt failed.
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => MessageStatus::Pending,
            "sending" => MessageStatus::Sending,
            "sent" => MessageStatus::Sent,
            "failed" => MessageStatus::Failed,
            _ => return None,
        })
    }
}

#[cfg(feature = "ssr")]
crate::text_enum!(MessageKind);
#[cfg(feature = "ssr")]
crate::text_enum!(MessageStatus);

/// One message of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ChatMessage {
    pub id: i64,
    pub kind: MessageKind,
    pub text: String,
    pub actor: Option<String>,
    pub status: MessageStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A message the chat simulator received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimChatMessage {
    pub at: DateTime<Utc>,
    pub text: String,
}

/// A call telsim placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimCall {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub status: String,
    pub created_at: Option<DateTime<Utc>>,
    pub duration: Option<u32>,
}

/// A member of a pbxsim queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimMember {
    pub interface: String,
    pub name: String,
    pub status: String,
    pub paused: bool,
    pub reason: Option<String>,
    pub calls_taken: u64,
}

/// A pbxsim queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimQueue {
    pub name: String,
    pub members: Vec<SimMember>,
    pub waiting: Vec<String>,
    pub completed: u64,
    pub abandoned: u64,
}

/// One simulator's part of the page: absent when that simulator is not running (a real
/// webhook, provider or PBX is configured), or what went wrong reading it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SimPart<T> {
    NotRunning,
    Unreadable(String),
    Read(T),
}

/// What the Simulators page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorsView {
    pub chat: SimPart<Vec<SimChatMessage>>,
    pub calls: SimPart<Vec<SimCall>>,
    pub pbx: SimPart<Vec<SimQueue>>,
    /// Switchboard's own log of chat messages, newest first.
    pub log: Vec<ChatMessage>,
}
