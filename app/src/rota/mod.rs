//! The rota: people, availability, holidays, fixed turns, the weekly timetable and its solver,
//! calendar feeds.
pub mod api;
pub mod pages;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod store;

use crate::rota::rules::data::{AvailabilityInput, PersonFields};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

// The area's types shared with the browser (the store reads them, server functions send them).

/// A calendar token as listed: never the secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalendarToken {
    pub id: i64,
    /// The first characters of the token, to tell links apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub fields: PersonFields,
    /// The linked account's user name.
    pub username: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityEntry {
    pub id: i64,
    pub person_id: i64,
    pub handle: String,
    pub entry: AvailabilityInput,
}
