//! The directory every area shares: the callouts' contacts grown into people and organisations
//! with several phones and emails, a tax id, a member number, contracts, alerts and notes.
//! Callouts keep reading and writing the same `contacts` rows (their columns are unchanged).
pub mod api;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use chrono::NaiveDate;
use rules::profile::{ContactKind, ContractState, Severity};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Contract {
    pub id: i64,
    pub number: String,
    pub address: String,
    pub state: ContractState,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Alert {
    pub id: i64,
    pub text: String,
    pub severity: Severity,
}

/// A callout the contact was in, with its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CalloutTaken {
    pub callout_id: i64,
    pub name: String,
    /// pending, calling or done.
    pub state: String,
    pub done_reason: Option<String>,
    pub answered: bool,
    pub attempts: i32,
}

/// One directory entry with everything a card shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub kind: ContactKind,
    pub name: String,
    /// The main number first.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub tax_id: Option<String>,
    pub member_number: Option<String>,
    pub notes: String,
    /// The most severe first.
    pub alerts: Vec<Alert>,
    pub contracts: Vec<Contract>,
    pub callouts: Vec<CalloutTaken>,
}

/// One search result: enough to tell contacts apart and open the card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Hit {
    pub id: i64,
    pub kind: ContactKind,
    pub name: String,
    pub phone: String,
    pub tax_id: Option<String>,
    pub member_number: Option<String>,
}

/// What the search box shows: how the query was read, the first results, and whether there
/// were more (then: refine the search).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    pub guess: rules::search::Guess,
    /// The field was guessed (not chosen).
    pub guessed: bool,
    pub hits: Vec<Hit>,
    pub more: bool,
}
