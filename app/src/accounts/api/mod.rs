//! Server functions of accounts: thin adapters over the service.
pub mod admin;
pub mod auth;
