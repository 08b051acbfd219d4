//! The desk's SQL, per aggregate.
pub use crate::shell::store::{DbError, PgPool};

pub mod calls;
pub mod categories;
pub mod log;
