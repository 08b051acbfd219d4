//! The rota's SQL, per aggregate.
pub use crate::shell::store::{DbError, PgPool, conflict_as};

pub mod availability;
pub mod balances;
pub mod calendar;
pub mod fixed_turns;
pub mod holidays;
pub mod people;
pub mod solver_jobs;
pub mod source;
pub mod team;
pub mod timetables;
pub mod tomatic_import;
