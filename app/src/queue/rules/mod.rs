//! The queue's rules, without I/O.
pub mod ami;
pub mod board;
pub mod follow;
pub mod stats;
