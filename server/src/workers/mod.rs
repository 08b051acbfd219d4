//! Background workers, one module per area, started by `server::start` as tokio tasks and
//! stopped on shutdown. They call the same services and stores as the server functions and the
//! REST API.
pub mod callouts;
pub mod chat;
pub mod pbx;
pub mod queue;
pub mod queue_stats;
pub mod rota;
