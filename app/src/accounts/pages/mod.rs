pub mod admin;
pub mod login;
