//! Telephony: the Twilio-dialect client (the `Telephony` port's adapter), the callback signature,
//! and `telsim`, the simulated provider used by the demo and the tests.
pub mod callbacks;
pub mod provider;
pub mod signature;
pub mod telsim;
pub mod twilio;
