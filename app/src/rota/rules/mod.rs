//! The rota's rules without I/O.
pub use crate::shell::rules::Invalid;

pub mod calendar;
pub mod data;
pub mod export;
pub mod load;
pub mod plan;
pub mod solver;
pub mod tomatic;
/// Reads YAML, which only the server needs.
#[cfg(feature = "ssr")]
pub mod tomatic_import;
