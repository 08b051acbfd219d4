//! The directory's rules, without I/O: tax ids, a contact's profile fields.
pub mod profile;
pub mod search;
pub mod tax_id;

pub use crate::shell::rules::Invalid;
