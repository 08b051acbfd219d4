//! Screens that belong to no one area.
pub mod home;
