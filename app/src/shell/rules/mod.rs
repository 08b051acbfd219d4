//! Rules shared by every area, without I/O (no sqlx, leptos or tokio: `make lint` checks it).
pub mod access;
pub mod input;
pub mod xml;

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
