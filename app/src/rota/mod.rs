//! The rota: people, availability, holidays, fixed turns, the weekly timetable and its solver,
//! calendar feeds.
pub mod api;
pub mod pages;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod service;
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

/// A planned week: a draft the coordinators edit, or published (what people and the calendar
/// feeds follow; only a repair changes it wholesale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekStatus {
    Draft,
    Published,
}

/// A solver run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    /// Ran to its time limit; the best timetable found is the week's draft.
    Done,
    /// Stopped by a coordinator; the best timetable so far is kept.
    Stopped,
    Failed,
}

macro_rules! text_states {
    ($t:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),+];

            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),+ }
            }

            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some($t::$v),)+ _ => None }
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_states!(WeekStatus { Draft => "draft", Published => "published" });
text_states!(JobStatus {
    Queued => "queued",
    Running => "running",
    Done => "done",
    Stopped => "stopped",
    Failed => "failed",
});

impl JobStatus {
    /// Queued or running: the week has a run going.
    pub fn is_going(self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::{JobStatus, WeekStatus};

    #[test]
    fn states_read_back_what_they_write() {
        for s in WeekStatus::ALL {
            assert_eq!(WeekStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(WeekStatus::parse("Published"), None);
    }
}
