//! Rota data: team settings, people, availability, holidays, fixed turns, Tomàtic import.
//! Everyone in the rota area reads; `RotaEdit` decides who changes what.
use crate::rota::rules::data::{
    AvailabilityInput, BusyDayView, ContactFields, FixedSeat, Holiday, PersonFields, TeamSettings,
};
use crate::rota::rules::tomatic::{ImportReport, TomaticFile};
use crate::rota::{AvailabilityEntry, Person};
use crate::shell::error::ApiError;
use crate::shell::rules::access::RotaEdit;
#[cfg(feature = "ssr")]
use crate::shell::topics::Topic;
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
    crate::accounts::Me,
    crate::shell::ctx::{Services, services},
    crate::shell::guard::{require, respond},
    crate::shell::rules::access::Area,
};

#[cfg(feature = "ssr")]
fn require_edit(level: RotaEdit) -> Result<Me, ApiError> {
    let me = require(Area::Rota)?;
    if RotaEdit::of(&me.roles) < level {
        return Err(ApiError::Forbidden);
    }
    Ok(me)
}

/// The viewer may change `person_id`'s own things (availability, contact, calendar links):
/// coordinators anyone's, others only their own. Returns the viewer and the person; an unknown
/// person is 404 for coordinators and 403 for everyone else (who may not learn who exists).
#[cfg(feature = "ssr")]
pub(crate) async fn require_own(s: &Services, person_id: i64) -> Result<(Me, Person), ApiError> {
    let me = require(Area::Rota)?;
    if RotaEdit::of(&me.roles) >= RotaEdit::Team {
        let person = crate::rota::store::people::by_id(&s.db, person_id)
            .await
            .map_err(|e| not_found(e, "person"))?;
        return Ok((me, person));
    }
    match crate::rota::store::people::of_user(&s.db, me.id).await? {
        Some(p) if p.id == person_id => Ok((me, p)),
        _ => Err(ApiError::Forbidden),
    }
}

#[cfg(feature = "ssr")]
async fn changed(s: &Services, what: &str) {
    s.events
        .announce(Topic::Rota, serde_json::json!({ "what": what }))
        .await;
}

#[server(prefix = "/api", endpoint = "rota/context", input = server_fn::codec::Json)]
pub async fn rota_context() -> Result<RotaInfo, ApiError> {
    respond(async move {
        let me = require(Area::Rota)?;
        let s = services()?;
        Ok(RotaInfo {
            settings: crate::rota::store::team::get(&s.db).await?,
            edit: RotaEdit::of(&me.roles),
            me: crate::rota::store::people::of_user(&s.db, me.id)
                .await?
                .map(|p| p.fields.handle),
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/settings", input = server_fn::codec::Json)]
pub async fn save_settings(settings: TeamSettings) -> Result<(), ApiError> {
    respond(async move {
        require_edit(RotaEdit::Settings)?;
        let settings = settings.normalized()?;
        let s = services()?;
        crate::rota::store::team::save(&s.db, &settings).await?;
        changed(&s, "settings").await;
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/people", input = server_fn::codec::Json)]
pub async fn list_people() -> Result<Vec<Person>, ApiError> {
    respond(async move {
        require(Area::Rota)?;
        Ok(crate::rota::store::people::list(&services()?.db).await?)
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/person", input = server_fn::codec::Json)]
pub async fn person_page(handle: String) -> Result<PersonDetail, ApiError> {
    respond(async move {
        let me = require(Area::Rota)?;
        let s = services()?;
        let person = crate::rota::store::people::by_handle(&s.db, &handle.trim().to_lowercase())
            .await
            .map_err(|e| not_found(e, "person"))?;
        let entries = crate::rota::store::availability::of_person(&s.db, person.id).await?;
        let may_edit_all = RotaEdit::of(&me.roles) >= RotaEdit::Team;
        Ok(PersonDetail {
            may_edit_own: may_edit_all || person.fields.user_id == Some(me.id),
            may_edit_all,
            person,
            entries,
        })
    })
    .await
}

#[cfg(feature = "ssr")]
fn not_found(e: crate::shell::store::DbError, what: &str) -> ApiError {
    match e {
        crate::shell::store::DbError::NotFound => ApiError::NotFound(what.into()),
        e => e.into(),
    }
}

/// Creates (`id` none) or updates a person. `account` is the user name to link, if any.
#[server(prefix = "/api", endpoint = "rota/person/save", input = server_fn::codec::Json)]
pub async fn save_person(id: Option<i64>, fields: PersonFields, account: Option<String>) -> Result<String, ApiError> {
    respond(async move {
        require_edit(RotaEdit::Team)?;
        let s = services()?;
        let mut fields = fields.normalized()?;
        fields.user_id = match account.map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()) {
            Some(name) => Some(
                crate::accounts::store::users::id_by_username(&s.db, &name)
                    .await
                    .map_err(|_| ApiError::invalid("account", format!("there is no user named '{name}'")))?,
            ),
            None => None,
        };
        match id {
            Some(id) => crate::rota::store::people::update(&s.db, id, &fields)
                .await
                .map_err(|e| not_found(e, "person"))?,
            None => {
                crate::rota::store::people::insert(&s.db, &fields).await?;
            }
        }
        changed(&s, "people").await;
        Ok(fields.handle)
    })
    .await
}

/// An agent's own email and colour (coordinators may change anyone's).
#[server(prefix = "/api", endpoint = "rota/person/contact", input = server_fn::codec::Json)]
pub async fn save_contact(person_id: i64, contact: ContactFields) -> Result<(), ApiError> {
    respond(async move {
        let s = services()?;
        require_own(&s, person_id).await?;
        let contact = contact.normalized()?;
        crate::rota::store::people::set_contact(&s.db, person_id, &contact)
            .await
            .map_err(|e| not_found(e, "person"))?;
        changed(&s, "people").await;
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/group", input = server_fn::codec::Json)]
pub async fn group_members(name: String) -> Result<Vec<Person>, ApiError> {
    respond(async move {
        require(Area::Rota)?;
        Ok(crate::rota::store::people::in_group(&services()?.db, &name.trim().to_lowercase()).await?)
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/availability/add", input = server_fn::codec::Json)]
pub async fn add_availability(person_id: i64, entry: AvailabilityInput) -> Result<i64, ApiError> {
    respond(async move {
        let s = services()?;
        require_own(&s, person_id).await?;
        let settings = crate::rota::store::team::get(&s.db).await?;
        let entry = entry.normalized(settings.turns())?;
        crate::rota::store::people::by_id(&s.db, person_id)
            .await
            .map_err(|e| not_found(e, "person"))?;
        let id = crate::rota::store::availability::insert(&s.db, person_id, &entry)
            .await?
            .ok_or_else(|| ApiError::Conflict("This entry is already recorded.".into()))?;
        changed(&s, "availability").await;
        Ok(id)
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/availability/delete", input = server_fn::codec::Json)]
pub async fn delete_availability(id: i64) -> Result<(), ApiError> {
    respond(async move {
        let s = services()?;
        require(Area::Rota)?;
        let entry = crate::rota::store::availability::get(&s.db, id)
            .await
            .map_err(|e| not_found(e, "entry"))?;
        require_own(&s, entry.person_id).await?;
        crate::rota::store::availability::delete(&s.db, id)
            .await
            .map_err(|e| not_found(e, "entry"))?;
        changed(&s, "availability").await;
        Ok(())
    })
    .await
}

/// Who is busy in each turn of the week holding `day` (this week when none), and why.
#[server(prefix = "/api", endpoint = "rota/week-busy", input = server_fn::codec::Json)]
pub async fn week_busy(day: Option<NaiveDate>) -> Result<BusyWeek, ApiError> {
    use crate::rota::rules::data::{check_week_day, week_busy as busy, week_start};
    respond(async move {
        require(Area::Rota)?;
        let s = services()?;
        let settings = crate::rota::store::team::get(&s.db).await?;
        let day = match day {
            Some(d) => check_week_day(d)?,
            None => settings.today(chrono::Utc::now()),
        };
        let monday = week_start(day);
        let holidays = crate::rota::store::holidays::between(&s.db, monday, monday + chrono::Duration::days(6)).await?;
        let entries: Vec<(String, AvailabilityInput)> = crate::rota::store::availability::in_week(&s.db, monday)
            .await?
            .into_iter()
            .map(|e| (e.handle, e.entry))
            .collect();
        let on_rota = crate::rota::store::people::list(&s.db)
            .await?
            .iter()
            .filter(|p| p.fields.active && p.fields.ideal_load.is_some())
            .count() as u32;
        Ok(BusyWeek {
            monday,
            days: busy(&settings, &holidays, &entries, monday),
            on_rota,
        })
    })
    .await
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HolidayYear {
    pub year: i32,
    pub holidays: Vec<Holiday>,
}

/// The holidays of `year` (the team's current year when none).
#[server(prefix = "/api", endpoint = "rota/holidays", input = server_fn::codec::Json)]
pub async fn list_holidays(year: Option<i32>) -> Result<HolidayYear, ApiError> {
    use chrono::Datelike;
    respond(async move {
        require(Area::Rota)?;
        let s = services()?;
        let year = match year {
            Some(y) => y,
            None => crate::rota::store::team::get(&s.db)
                .await?
                .today(chrono::Utc::now())
                .year(),
        };
        let (from, to) = crate::rota::rules::data::year_bounds(year)?;
        Ok(HolidayYear {
            year,
            holidays: crate::rota::store::holidays::between(&s.db, from, to).await?,
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/holidays/save", input = server_fn::codec::Json)]
pub async fn save_holiday(holiday: Holiday) -> Result<(), ApiError> {
    respond(async move {
        require_edit(RotaEdit::Team)?;
        let holiday = holiday.normalized()?;
        let s = services()?;
        crate::rota::store::holidays::upsert(&s.db, &holiday).await?;
        changed(&s, "holidays").await;
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/holidays/delete", input = server_fn::codec::Json)]
pub async fn delete_holiday(day: NaiveDate) -> Result<(), ApiError> {
    respond(async move {
        require_edit(RotaEdit::Team)?;
        let s = services()?;
        crate::rota::store::holidays::delete(&s.db, day)
            .await
            .map_err(|e| not_found(e, "holiday"))?;
        changed(&s, "holidays").await;
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "rota/fixed", input = server_fn::codec::Json)]
pub async fn fixed_week() -> Result<FixedTemplate, ApiError> {
    respond(async move {
        require(Area::Rota)?;
        let s = services()?;
        let people = crate::rota::store::people::list(&s.db)
            .await?
            .into_iter()
            .filter(|p| p.fields.active)
            .map(|p| (p.fields.handle, p.fields.full_name, p.fields.colour))
            .collect();
        Ok(FixedTemplate {
            seats: crate::rota::store::fixed_turns::all(&s.db).await?,
            people,
        })
    })
    .await
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
    respond(async move {
        require_edit(RotaEdit::Team)?;
        let s = services()?;
        let settings = crate::rota::store::team::get(&s.db).await?;
        let seat = FixedSeat {
            weekday,
            turn,
            line,
            person: match &choice {
                SeatChoice::Person(h) => Some(h.trim().to_lowercase()),
                _ => None,
            },
        };
        seat.check(&settings)?;
        match &seat.person {
            _ if choice == SeatChoice::Free => {
                crate::rota::store::fixed_turns::clear(&s.db, weekday, turn, line).await?
            }
            Some(h) => {
                let p = crate::rota::store::people::by_handle(&s.db, h)
                    .await
                    .map_err(|_| ApiError::invalid("person", format!("there is no person '{h}'")))?;
                crate::rota::store::fixed_turns::set(&s.db, &seat, Some(p.id)).await?;
            }
            None => crate::rota::store::fixed_turns::set(&s.db, &seat, None).await?,
        }
        changed(&s, "fixed").await;
        Ok(())
    })
    .await
}

/// Adds (`add`) or removes the last phone line; returns the new count.
#[server(prefix = "/api", endpoint = "rota/lines", input = server_fn::codec::Json)]
pub async fn change_lines(add: bool) -> Result<u32, ApiError> {
    respond(async move {
        require_edit(RotaEdit::Team)?;
        let s = services()?;
        let lines = if add {
            crate::rota::store::fixed_turns::add_line(&s.db).await?
        } else {
            crate::rota::store::fixed_turns::remove_line(&s.db).await?
        };
        changed(&s, "settings").await;
        Ok(lines)
    })
    .await
}

/// Imports a Tomàtic folder sent as its files; all or nothing.
#[server(prefix = "/api", endpoint = "rota/import-tomatic", input = server_fn::codec::Json)]
pub async fn import_tomatic(files: Vec<TomaticFile>) -> Result<ImportReport, ApiError> {
    respond(async move {
        require_edit(RotaEdit::Settings)?;
        let s = services()?;
        let report = crate::rota::store::tomatic_import::import(&s.db, &files).await?;
        if report.applied && report.changed_anything() {
            changed(&s, "import").await;
        }
        Ok(report)
    })
    .await
}
