//! The desk: a ringing call opens the caller's card in the browser of the agent whose
//! extension rings; the calls they took.
pub mod rules;

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
