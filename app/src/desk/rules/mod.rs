//! The desk's rules, without I/O: what a ringing request must carry, and its answers; call
//! categories and annotations; the outside CRM's lookup URL and answer.
pub mod annotation;
pub mod crm;
pub mod ringing;

pub use crate::shell::rules::Invalid;
