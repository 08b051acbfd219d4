//! Callouts: contacts, callouts (campaigns), their participations and calls.
pub mod api;
pub mod pages;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
