//! The weekly timetable: generate it (a solver run in the worker), adjust it by hand, publish
//! it, see its history. Everyone in the rota area reads; coordinators change.
use crate::rota::rules::load::PersonLoad;
use crate::rota::rules::plan::{Seats, Standing};
use crate::rota::rules::solver::Penalty;
use crate::shell::error::ApiError;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chip {
    pub handle: String,
    pub name: String,
    pub colour: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadLine {
    pub load: PersonLoad,
    pub explain: String,
    /// Turns the person has in the current timetable.
    pub assigned: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: i64,
    pub status: crate::rota::JobStatus,
    pub progress: Option<crate::rota::rules::solver::Progress>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeekView {
    pub monday: NaiveDate,
    /// `None`: the week was never planned.
    pub status: Option<crate::rota::WeekStatus>,
    pub version: i32,
    pub days: Vec<NaiveDate>,
    pub turn_labels: Vec<String>,
    pub lines: u32,
    pub seats: Seats,
    pub cost: Option<i64>,
    pub penalties: Vec<Penalty>,
    pub published_at: Option<DateTime<Utc>>,
    pub imported_from: Option<String>,
    pub people: Vec<Chip>,
    pub loads: Vec<LoadLine>,
    /// What the week's load report says as a whole (seats, lines dropped).
    pub load_notes: Vec<String>,
    /// The week's notes: fixed turns that do not apply this week (busy, leave, not on the
    /// rota), which are therefore not charged.
    #[serde(default)]
    pub notes: Vec<String>,
    pub job: Option<JobView>,
    pub max_empty_seats: u32,
    pub may_edit: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub handle: String,
    pub name: String,
    pub standing: Standing,
    /// Turns in this week's timetable, and the load asked for.
    pub turns: u32,
    pub load: u32,
    /// Already on the phone in this turn.
    pub in_turn: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub changes: Vec<crate::rota::api::timetable::ChangeLine>,
    pub versions: Vec<crate::rota::api::timetable::VersionLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeLine {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub version: i32,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionLine {
    pub version: i32,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub note: String,
}

/// A seat of the week: the day's date, the turn and line (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatRef {
    pub day: NaiveDate,
    pub turn: u32,
    pub line: u32,
}

#[cfg(feature = "ssr")]
use {
    crate::rota::service::timetable as service,
    crate::shell::ctx::services,
    crate::shell::guard::{respond, signed_in},
};

#[server(prefix = "/api", endpoint = "rota/timetable", input = server_fn::codec::Json)]
pub async fn week_timetable(day: Option<NaiveDate>) -> Result<WeekView, ApiError> {
    respond(async move { Ok(service::week(&services()?, &signed_in()?, day).await?) }).await
}

/// Starts a solver run for the week (a repair of the current timetable when `repair`).
#[server(prefix = "/api", endpoint = "rota/timetable/generate", input = server_fn::codec::Json)]
pub async fn generate_week(
    day: NaiveDate,
    seed: Option<u64>,
    time_limit_s: Option<f64>,
    repair: bool,
) -> Result<i64, ApiError> {
    respond(async move { Ok(service::generate(&services()?, &signed_in()?, day, seed, time_limit_s, repair).await?) })
        .await
}

#[server(prefix = "/api", endpoint = "rota/timetable/stop", input = server_fn::codec::Json)]
pub async fn stop_solver(day: NaiveDate) -> Result<(), ApiError> {
    respond(async move { Ok(service::stop(&services()?, &signed_in()?, day).await?) }).await
}

/// Who could take a seat's turn: free, rather not (why), cannot (why), and their turns so far.
#[server(prefix = "/api", endpoint = "rota/timetable/candidates", input = server_fn::codec::Json)]
pub async fn seat_candidates(seat: SeatRef) -> Result<Vec<Candidate>, ApiError> {
    respond(async move { Ok(service::candidates(&services()?, &signed_in()?, seat).await?) }).await
}

/// Puts a person in a seat, or empties it (`person` none) within the team's empty-seat limit.
#[server(prefix = "/api", endpoint = "rota/timetable/seat", input = server_fn::codec::Json)]
pub async fn set_seat(seat: SeatRef, person: Option<String>) -> Result<(), ApiError> {
    respond(async move { Ok(service::set_seat(&services()?, &signed_in()?, seat, person).await?) }).await
}

/// Exchanges two seats' people in one change.
#[server(prefix = "/api", endpoint = "rota/timetable/swap", input = server_fn::codec::Json)]
pub async fn swap_seats(a: SeatRef, b: SeatRef) -> Result<(), ApiError> {
    respond(async move { Ok(service::swap(&services()?, &signed_in()?, a, b).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/timetable/publish", input = server_fn::codec::Json)]
pub async fn publish_week(day: NaiveDate) -> Result<(), ApiError> {
    respond(async move { Ok(service::publish(&services()?, &signed_in()?, day).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/timetable/history", input = server_fn::codec::Json)]
pub async fn week_history(day: Option<NaiveDate>) -> Result<History, ApiError> {
    respond(async move { Ok(service::history(&services()?, &signed_in()?, day).await?) }).await
}

/// Makes an earlier version the current seats again (as a new version; history is kept).
#[server(prefix = "/api", endpoint = "rota/timetable/restore", input = server_fn::codec::Json)]
pub async fn restore_version(day: NaiveDate, version: i32) -> Result<(), ApiError> {
    respond(async move { Ok(service::restore(&services()?, &signed_in()?, day, version).await?) }).await
}

/// A coordinator's load for a person this week (`load` none: back to the computed one).
#[server(prefix = "/api", endpoint = "rota/timetable/load", input = server_fn::codec::Json)]
pub async fn set_load_override(day: NaiveDate, handle: String, load: Option<u32>) -> Result<(), ApiError> {
    respond(async move { Ok(service::set_load(&services()?, &signed_in()?, day, &handle, load).await?) }).await
}
