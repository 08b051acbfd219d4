//! The rota: people, availability, holidays, fixed turns, the weekly timetable and its solver,
//! calendar feeds.
pub mod api;
pub mod pages;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod store;
