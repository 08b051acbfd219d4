//! The desk's rules, without I/O: what a ringing request must carry, and its answers; call
//! categories and annotations.
pub mod annotation;
pub mod ringing;

pub use crate::shell::rules::Invalid;
