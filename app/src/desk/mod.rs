//! The desk: a ringing call opens the caller's card in the browser of the agent whose
//! extension rings; the calls they took.
pub mod api;
pub mod pages;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use crate::directory::Entry;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A recorded call as the card shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallView {
    pub id: i64,
    pub rang_at: DateTime<Utc>,
    pub extension: String,
    pub phone: String,
    pub pbx_call_id: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Contacts a card shows at most (more: "refine" through the search).
pub const CARD_MATCHES: usize = 5;

/// The card of a call: the call, the contacts with its number (several: the agent chooses),
/// the earlier calls from that number or to that contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub call: CallView,
    pub contacts: Vec<Entry>,
    /// More contacts than [`CARD_MATCHES`] have the number.
    pub more_contacts: bool,
    pub earlier: Vec<CallView>,
}
