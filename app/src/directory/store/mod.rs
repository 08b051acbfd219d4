//! The directory's SQL.
pub use crate::shell::store::{DbError, PgPool, conflict_as};

pub mod entries;
pub mod search;
