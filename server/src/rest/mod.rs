//! The REST API (`/api/v1/…`), one module per area.
pub mod callouts;

pub use callouts::router;
