//! The queue area: the PBX queue follows the published timetable. So far: the AMI codec
//! (rules/ami.rs) that the `Pbx` port's Asterisk adapter and the simulator (pbxsim) speak.
pub mod rules;
