//! The outside CRM's side of the server: the HTTP adapter of the `Crm` port (http.rs) and the
//! CRM simulator (sim.rs) that `serve --demo`, the tests and `switchboard crmsim` run.
pub mod http;
pub mod sim;
