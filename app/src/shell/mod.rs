//! The pieces every area shares: access by role, errors, live events, the services context,
//! the home page.
pub mod error;
pub mod live;
pub mod pages;
pub mod rules;
pub mod topics;

#[cfg(feature = "ssr")]
pub mod ctx;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub(crate) mod guard;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
