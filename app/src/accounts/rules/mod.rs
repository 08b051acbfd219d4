//! Accounts' rules without I/O.
pub use crate::shell::rules::Invalid;

pub mod login;
pub mod roles;
pub mod tokens;
pub mod users;
