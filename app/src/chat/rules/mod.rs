//! The chat's rules, without I/O: when a turn's reminder is due and what it says (reminder),
//! which disconnected agents start or end an incident (incident), what "say as Switchboard"
//! accepts and how failed sends are retried (message).
pub mod incident;
pub mod message;
pub mod reminder;
