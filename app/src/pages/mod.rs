//! One module per screen.
pub mod admin;
pub mod callouts;
pub mod home;
pub mod login;
pub mod rota;
