//! Rota data: team settings, people, availability, holidays, fixed turns, Tomàtic import.
//! Everyone in the rota area reads; `RotaEdit` decides who changes what.
use crate::rota::rules::data::{
    AvailabilityInput, BusyDayView, ContactFields, FixedSeat, Holiday, PersonFields, TeamSettings,
};
use crate::rota::rules::tomatic::{ImportReport, TomaticFile};
use crate::rota::{AvailabilityEntry, Person};
use crate::shell::error::ApiError;
use crate::shell::rules::access::RotaEdit;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What every rota page needs: the settings and what the viewer may change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RotaInfo {
    pub settings: TeamSettings,
    pub edit: RotaEdit,
    /// The handle of the viewer's own person, if their account is linked to one.
    pub me: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonDetail {
    pub person: Person,
    pub entries: Vec<AvailabilityEntry>,
    /// The viewer may change this person's availability and contact fields.
    pub may_edit_own: bool,
    /// The viewer may change every field.
    pub may_edit_all: bool,
    /// Balance of turns over the published weeks (+ = more than their share so far).
    #[serde(default)]
    pub balance: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusyWeek {
    pub monday: NaiveDate,
    pub days: Vec<BusyDayView>,
    /// People on the rota this week (active, with an ideal load).
    pub on_rota: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixedTemplate {
    pub seats: Vec<FixedSeat>,
    /// Active people: handle, full name, colour.
    pub people: Vec<(String, String, String)>,
}

#[cfg(feature = "ssr")]
use {
    crate::rota::service::data as service,
    crate::shell::ctx::services,
    crate::shell::guard::{respond, signed_in},
};

#[server(prefix = "/api", endpoint = "rota/context", input = server_fn::codec::Json)]
pub async fn rota_context() -> Result<RotaInfo, ApiError> {
    respond(async move { Ok(service::context(&services()?, &signed_in()?).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/settings", input = server_fn::codec::Json)]
pub async fn save_settings(settings: TeamSettings) -> Result<(), ApiError> {
    respond(async move { Ok(service::save_settings(&services()?, &signed_in()?, settings).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/people", input = server_fn::codec::Json)]
pub async fn list_people() -> Result<Vec<Person>, ApiError> {
    respond(async move { Ok(service::list_people(&services()?, &signed_in()?).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/person", input = server_fn::codec::Json)]
pub async fn person_page(handle: String) -> Result<PersonDetail, ApiError> {
    respond(async move { Ok(service::person_page(&services()?, &signed_in()?, &handle).await?) }).await
}

/// Creates (`id` none) or updates a person. `account` is the user name to link, if any.
#[server(prefix = "/api", endpoint = "rota/person/save", input = server_fn::codec::Json)]
pub async fn save_person(id: Option<i64>, fields: PersonFields, account: Option<String>) -> Result<String, ApiError> {
    respond(async move { Ok(service::save_person(&services()?, &signed_in()?, id, fields, account).await?) }).await
}

/// An agent's own email and colour (coordinators may change anyone's).
#[server(prefix = "/api", endpoint = "rota/person/contact", input = server_fn::codec::Json)]
pub async fn save_contact(person_id: i64, contact: ContactFields) -> Result<(), ApiError> {
    respond(async move { Ok(service::save_contact(&services()?, &signed_in()?, person_id, contact).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/group", input = server_fn::codec::Json)]
pub async fn group_members(name: String) -> Result<Vec<Person>, ApiError> {
    respond(async move { Ok(service::group_members(&services()?, &signed_in()?, &name).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/availability/add", input = server_fn::codec::Json)]
pub async fn add_availability(person_id: i64, entry: AvailabilityInput) -> Result<i64, ApiError> {
    respond(async move { Ok(service::add_availability(&services()?, &signed_in()?, person_id, entry).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/availability/delete", input = server_fn::codec::Json)]
pub async fn delete_availability(id: i64) -> Result<(), ApiError> {
    respond(async move { Ok(service::delete_availability(&services()?, &signed_in()?, id).await?) }).await
}

/// Who is busy in each turn of the week holding `day` (this week when none), and why.
#[server(prefix = "/api", endpoint = "rota/week-busy", input = server_fn::codec::Json)]
pub async fn week_busy(day: Option<NaiveDate>) -> Result<BusyWeek, ApiError> {
    respond(async move { Ok(service::week_busy(&services()?, &signed_in()?, day).await?) }).await
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HolidayYear {
    pub year: i32,
    pub holidays: Vec<Holiday>,
}

/// The holidays of `year` (the team's current year when none).
#[server(prefix = "/api", endpoint = "rota/holidays", input = server_fn::codec::Json)]
pub async fn list_holidays(year: Option<i32>) -> Result<HolidayYear, ApiError> {
    respond(async move { Ok(service::holidays(&services()?, &signed_in()?, year).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/holidays/save", input = server_fn::codec::Json)]
pub async fn save_holiday(holiday: Holiday) -> Result<(), ApiError> {
    respond(async move { Ok(service::save_holiday(&services()?, &signed_in()?, holiday).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/holidays/delete", input = server_fn::codec::Json)]
pub async fn delete_holiday(day: NaiveDate) -> Result<(), ApiError> {
    respond(async move { Ok(service::delete_holiday(&services()?, &signed_in()?, day).await?) }).await
}

#[server(prefix = "/api", endpoint = "rota/fixed", input = server_fn::codec::Json)]
pub async fn fixed_week() -> Result<FixedTemplate, ApiError> {
    respond(async move { Ok(service::fixed_week(&services()?, &signed_in()?).await?) }).await
}

/// What a fixed seat should hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "person", rename_all = "snake_case")]
pub enum SeatChoice {
    /// Free for the solver.
    Free,
    /// Keep the seat empty.
    Nobody,
    Person(String),
}

#[server(prefix = "/api", endpoint = "rota/fixed/set", input = server_fn::codec::Json)]
pub async fn set_fixed_seat(weekday: u8, turn: u32, line: u32, choice: SeatChoice) -> Result<(), ApiError> {
    respond(
        async move { Ok(service::set_fixed_seat(&services()?, &signed_in()?, (weekday, turn, line), choice).await?) },
    )
    .await
}

/// Adds (`add`) or removes the last phone line; returns the new count.
#[server(prefix = "/api", endpoint = "rota/lines", input = server_fn::codec::Json)]
pub async fn change_lines(add: bool) -> Result<u32, ApiError> {
    respond(async move { Ok(service::change_lines(&services()?, &signed_in()?, add).await?) }).await
}

/// Imports a Tomàtic folder sent as its files; all or nothing.
#[server(prefix = "/api", endpoint = "rota/import-tomatic", input = server_fn::codec::Json)]
pub async fn import_tomatic(files: Vec<TomaticFile>) -> Result<ImportReport, ApiError> {
    respond(async move { Ok(service::import_tomatic(&services()?, &signed_in()?, &files).await?) }).await
}

/// Forgives a person's balance of turns (`handle`), or everyone's; returns how many changed.
#[server(prefix = "/api", endpoint = "rota/balances/forgive", input = server_fn::codec::Json)]
pub async fn forgive_balance(handle: Option<String>) -> Result<u64, ApiError> {
    respond(async move { Ok(service::forgive_balance(&services()?, &signed_in()?, handle).await?) }).await
}
