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
    /// An outside CRM is configured: its part is asked apart (`desk_crm`).
    pub crm: bool,
}

use chrono::NaiveDate;
use rules::annotation::CategoryKind;

/// A call category as admins edit it and agents choose it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub colour: String,
    pub keywords: Vec<String>,
    pub kind: CategoryKind,
    pub enabled: bool,
}

/// A call in the call log: the call, who took it, what it was annotated with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogRow {
    pub call: CallView,
    /// Recorded by hand (not from the PBX).
    pub manual: bool,
    pub agent_id: Option<i64>,
    /// The agent's display name.
    pub agent: Option<String>,
    /// The directory's contact with the number when it rang.
    pub contact: Option<String>,
    pub annotated_at: Option<DateTime<Utc>>,
    pub comment: String,
    pub categories: Vec<Category>,
    pub about_contact: Option<(i64, String)>,
    pub about_contract: Option<(i64, String)>,
}

/// The team log's filters (every one optional; no day: today in the team's time zone).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogFilter {
    pub day: Option<NaiveDate>,
    pub agent: Option<i64>,
    pub category: Option<i64>,
    /// Some(true): annotated only; Some(false): still to annotate.
    pub annotated: Option<bool>,
}

/// Rows a log page shows at most (the CSV export takes up to [`LOG_EXPORT_CAP`]).
pub const LOG_CAP: usize = 500;
pub const LOG_EXPORT_CAP: usize = 20_000;

/// Calls per category for a chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub category: Category,
    pub calls: i64,
}

/// The team log: the day shown, its calls (newest first), calls per category, and the people
/// who may be filtered by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamLog {
    pub day: NaiveDate,
    pub rows: Vec<LogRow>,
    /// More calls matched than [`LOG_CAP`].
    pub truncated: bool,
    pub per_category: Vec<CategoryCount>,
    pub unannotated: i64,
    pub agents: Vec<(i64, String)>,
}

/// An agent's own day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyDay {
    pub day: NaiveDate,
    pub rows: Vec<LogRow>,
    pub to_annotate: usize,
}

/// What a categories import did: every row written, or every refused row (nothing written).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryImport {
    pub created: usize,
    pub updated: usize,
    pub refused: Vec<rules::annotation::RefusedRow>,
}

use crate::directory::rules::profile::{ContactKind, Severity};

/// A contract as the outside CRM gives it (its states are its own words).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrmContract {
    pub number: String,
    pub address: String,
    pub state: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrmAlert {
    pub text: String,
    pub severity: Severity,
}

/// One of the outside CRM's records for a number, as read from its answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrmRecord {
    /// The CRM's own reference (may be empty).
    pub id: String,
    pub kind: ContactKind,
    pub name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub tax_id: Option<String>,
    pub member_number: Option<String>,
    pub contracts: Vec<CrmContract>,
    /// The most severe first.
    pub alerts: Vec<CrmAlert>,
    pub notes: String,
    /// A web link to the record in the CRM.
    pub url: Option<String>,
}

/// Why the CRM's part of a card is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmFailure {
    /// No answer within the time budget.
    TimedOut,
    /// It could not be reached (connection refused, DNS, TLS).
    Unreachable,
    /// It answered with an error status (401/403: Switchboard's token was refused).
    Refused,
    /// Its answer is not the documented JSON.
    Unreadable,
}

/// The CRM's part of a card, fetched apart from the card so that it never delays it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CrmLookup {
    /// No CRM is configured.
    NotConfigured,
    /// The CRM answered: its records for the number (none: it does not know it), and how many
    /// more it had than a card shows.
    Answered { records: Vec<CrmRecord>, more: usize },
    /// The CRM did not give a usable answer; `status` is its HTTP status when it sent one.
    Failed { failure: CrmFailure, status: Option<u16> },
}
