//! Callouts' SQL, per aggregate.
pub use crate::shell::store::{DbError, PgPool, conflict_as};

pub mod callouts;
pub mod calls;
pub mod contacts;
pub mod dialer;
pub mod participations;
