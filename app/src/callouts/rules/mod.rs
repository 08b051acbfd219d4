//! Callouts' rules without I/O.
pub use crate::shell::rules::Invalid;

pub mod caller_id;
pub mod callout;
pub mod calls;
pub mod contacts_csv;
pub mod export;
pub mod pacing;
pub mod phone;
pub mod settings;
