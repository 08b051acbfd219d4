//! Rules without I/O. Plain Rust, unit-tested; no leptos or sqlx in here, so the server
//! functions, the workers and the browser all apply the same rules.
pub mod access;
pub mod caller_id;
pub mod callout_export;
pub mod callout_settings;
pub mod callouts;
pub mod calls;
pub mod contacts_csv;
pub mod load;
pub mod login;
pub mod pacing;
pub mod phone;
pub mod roles;
pub mod rota;
pub mod rota_calendar;
pub mod rota_export;
pub mod rota_plan;
pub mod solver;
pub mod tokens;
pub mod tomatic;
/// Reads YAML, which only the server needs.
#[cfg(feature = "ssr")]
pub mod tomatic_import;
pub mod users;

/// A rule broken by input: names the field so a form can show the message next to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}
