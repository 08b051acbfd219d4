//! The chat's SQL: the message log (with its send claims), the reminders' per-turn claims and
//! the disconnection incidents.
pub mod incidents;
pub mod messages;
pub mod reminders;

pub use crate::shell::store::DbError;
