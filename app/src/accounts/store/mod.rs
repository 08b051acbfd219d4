//! Accounts' SQL, per aggregate.
pub use crate::shell::store::{DbError, PgPool, conflict_as};

pub mod login_failures;
pub mod tokens;
pub mod users;
