//! One module per screen.
pub mod admin;
pub mod home;
pub mod login;
pub mod rota;
