//! The queue's SQL: the members Switchboard added, the boundaries applied, the log.
pub mod follow;
pub mod stats;

pub use crate::shell::store::{DbError, PgPool};
