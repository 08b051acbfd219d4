//! The team chat's side of the server: the incoming-webhook adapter of the `Chat` port
//! (webhook.rs), the chat simulator `serve` starts when no webhook is configured (sim.rs), and
//! what the admins' Simulators page reads of the simulators (simulators.rs).
pub mod sim;
pub mod simulators;
pub mod webhook;
