//! Server functions of the rota.
pub mod calendar;
pub mod data;
pub mod timetable;
