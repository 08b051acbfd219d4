//! The queue area: the PBX queue follows the published timetable (rules/follow.rs, store,
//! service). The AMI codec
//! (rules/ami.rs) that the `Pbx` port's Asterisk adapter and the simulator (pbxsim) speak.
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
