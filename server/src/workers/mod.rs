//! Background workers, started by `server::start` as tokio tasks and stopped on shutdown. They
//! share the `db`/`domain` code with the server functions and the REST API.
pub mod dialer;
pub mod solver;
