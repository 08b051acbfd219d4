//! Team settings, people, availability, holidays, fixed turns and the Tomàtic import.
use super::{Result, changed, edit_level, may_edit, own_person};
use crate::rota::Person;
use crate::rota::api::data::{BusyWeek, FixedTemplate, HolidayYear, PersonDetail, RotaInfo, SeatChoice};
use crate::rota::rules::data::{AvailabilityInput, ContactFields, FixedSeat, Holiday, PersonFields, TeamSettings};
use crate::rota::rules::tomatic::{ImportReport, TomaticFile};
use crate::rota::store::{availability, fixed_turns, holidays, people, team, tomatic_import};
use crate::shell::ctx::Services;
use crate::shell::rules::access::RotaEdit;
use crate::shell::service::{Actor, ServiceError};
use chrono::NaiveDate;

/// What every rota page needs: the settings and what the actor may change.
pub async fn context(s: &Services, actor: &Actor) -> Result<RotaInfo> {
    let edit = edit_level(actor)?;
    let me = match actor.user_id() {
        Some(user) => people::of_user(&s.db, user).await?.map(|p| p.fields.handle),
        None => None,
    };
    Ok(RotaInfo {
        settings: team::get(&s.db).await?,
        edit,
        me,
    })
}

pub async fn save_settings(s: &Services, actor: &Actor, settings: TeamSettings) -> Result<()> {
    may_edit(actor, RotaEdit::Settings)?;
    let settings = settings.normalized()?;
    let mut tx = s.db.begin().await?;
    team::save(&mut *tx, &settings).await?;
    changed(&mut tx, "settings").await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_people(s: &Services, actor: &Actor) -> Result<Vec<Person>> {
    edit_level(actor)?;
    Ok(people::list(&s.db).await?)
}

pub async fn person_page(s: &Services, actor: &Actor, handle: &str) -> Result<PersonDetail> {
    let edit = edit_level(actor)?;
    let person = people::by_handle(&s.db, &handle.trim().to_lowercase())
        .await
        .map_err(ServiceError::db("person"))?;
    let entries = availability::of_person(&s.db, person.id).await?;
    let may_edit_all = edit >= RotaEdit::Team;
    let own = actor.user_id().is_some_and(|u| person.fields.user_id == Some(u));
    let balance = crate::rota::store::balances::by_handle(&s.db)
        .await?
        .into_iter()
        .find(|(h, _)| *h == person.fields.handle)
        .map_or(0, |(_, c)| c);
    Ok(PersonDetail {
        may_edit_own: may_edit_all || own,
        may_edit_all,
        person,
        entries,
        balance,
    })
}

/// Creates (`id` none) or updates a person; `account` is the user name to link, if any.
/// Returns the person's handle.
pub async fn save_person(
    s: &Services,
    actor: &Actor,
    id: Option<i64>,
    fields: PersonFields,
    account: Option<String>,
) -> Result<String> {
    may_edit(actor, RotaEdit::Team)?;
    let mut fields = fields.normalized()?;
    fields.user_id = match account.map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()) {
        Some(name) => Some(
            crate::accounts::store::users::id_by_username(&s.db, &name)
                .await
                .map_err(|_| ServiceError::invalid("account", format!("there is no user named '{name}'")))?,
        ),
        None => None,
    };
    let mut tx = s.db.begin().await?;
    match id {
        Some(id) => people::update(&mut *tx, id, &fields)
            .await
            .map_err(ServiceError::db("person"))?,
        None => {
            people::insert(&mut *tx, &fields).await?;
        }
    }
    changed(&mut tx, "people").await?;
    tx.commit().await?;
    Ok(fields.handle)
}

/// A person's own email and colour (coordinators may change anyone's).
pub async fn save_contact(s: &Services, actor: &Actor, person_id: i64, contact: ContactFields) -> Result<()> {
    own_person(s, actor, person_id).await?;
    let contact = contact.normalized()?;
    let mut tx = s.db.begin().await?;
    people::set_contact(&mut *tx, person_id, &contact)
        .await
        .map_err(ServiceError::db("person"))?;
    changed(&mut tx, "people").await?;
    tx.commit().await?;
    Ok(())
}

pub async fn group_members(s: &Services, actor: &Actor, name: &str) -> Result<Vec<Person>> {
    edit_level(actor)?;
    Ok(people::in_group(&s.db, &name.trim().to_lowercase()).await?)
}

/// Records a busy time, leave or preference of a person; returns the entry's id.
pub async fn add_availability(s: &Services, actor: &Actor, person_id: i64, entry: AvailabilityInput) -> Result<i64> {
    own_person(s, actor, person_id).await?;
    let settings = team::get(&s.db).await?;
    let entry = entry.normalized(settings.turns())?;
    let mut tx = s.db.begin().await?;
    let id = availability::insert(&mut *tx, person_id, &entry)
        .await?
        .ok_or_else(|| ServiceError::Conflict("This entry is already recorded.".into()))?;
    changed(&mut tx, "availability").await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_availability(s: &Services, actor: &Actor, id: i64) -> Result<()> {
    edit_level(actor)?;
    let entry = availability::get(&s.db, id).await.map_err(ServiceError::db("entry"))?;
    own_person(s, actor, entry.person_id).await?;
    let mut tx = s.db.begin().await?;
    availability::delete(&mut *tx, id)
        .await
        .map_err(ServiceError::db("entry"))?;
    changed(&mut tx, "availability").await?;
    tx.commit().await?;
    Ok(())
}

/// Who is busy in each turn of the week holding `day` (this week when none), and why.
pub async fn week_busy(s: &Services, actor: &Actor, day: Option<NaiveDate>) -> Result<BusyWeek> {
    use crate::rota::rules::data::{check_week_day, week_busy as busy, week_start};
    edit_level(actor)?;
    let settings = team::get(&s.db).await?;
    let day = match day {
        Some(d) => check_week_day(d)?,
        None => settings.today(chrono::Utc::now()),
    };
    let monday = week_start(day);
    let holidays = holidays::between(&s.db, monday, monday + chrono::Duration::days(6)).await?;
    let entries: Vec<(String, AvailabilityInput)> = availability::in_week(&s.db, monday)
        .await?
        .into_iter()
        .map(|e| (e.handle, e.entry))
        .collect();
    let on_rota = people::list(&s.db)
        .await?
        .iter()
        .filter(|p| p.fields.active && p.fields.ideal_load.is_some())
        .count() as u32;
    Ok(BusyWeek {
        monday,
        days: busy(&settings, &holidays, &entries, monday),
        on_rota,
    })
}

/// The holidays of `year` (the team's current year when none).
pub async fn holidays(s: &Services, actor: &Actor, year: Option<i32>) -> Result<HolidayYear> {
    use chrono::Datelike;
    edit_level(actor)?;
    let year = match year {
        Some(y) => y,
        None => team::get(&s.db).await?.today(chrono::Utc::now()).year(),
    };
    let (from, to) = crate::rota::rules::data::year_bounds(year)?;
    Ok(HolidayYear {
        year,
        holidays: holidays::between(&s.db, from, to).await?,
    })
}

pub async fn save_holiday(s: &Services, actor: &Actor, holiday: Holiday) -> Result<()> {
    may_edit(actor, RotaEdit::Team)?;
    let holiday = holiday.normalized()?;
    let mut tx = s.db.begin().await?;
    holidays::upsert(&mut *tx, &holiday).await?;
    changed(&mut tx, "holidays").await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_holiday(s: &Services, actor: &Actor, day: NaiveDate) -> Result<()> {
    may_edit(actor, RotaEdit::Team)?;
    let mut tx = s.db.begin().await?;
    holidays::delete(&mut *tx, day)
        .await
        .map_err(ServiceError::db("holiday"))?;
    changed(&mut tx, "holidays").await?;
    tx.commit().await?;
    Ok(())
}

pub async fn fixed_week(s: &Services, actor: &Actor) -> Result<FixedTemplate> {
    edit_level(actor)?;
    let people = people::list(&s.db)
        .await?
        .into_iter()
        .filter(|p| p.fields.active)
        .map(|p| (p.fields.handle, p.fields.full_name, p.fields.colour))
        .collect();
    Ok(FixedTemplate {
        seats: fixed_turns::all(&s.db).await?,
        people,
    })
}

pub async fn set_fixed_seat(
    s: &Services,
    actor: &Actor,
    (weekday, turn, line): (u8, u32, u32),
    choice: SeatChoice,
) -> Result<()> {
    may_edit(actor, RotaEdit::Team)?;
    let settings = team::get(&s.db).await?;
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
    let mut tx = s.db.begin().await?;
    match &seat.person {
        _ if choice == SeatChoice::Free => fixed_turns::clear(&mut *tx, weekday, turn, line).await?,
        Some(h) => {
            let p = people::by_handle(&s.db, h)
                .await
                .map_err(|_| ServiceError::invalid("person", format!("there is no person '{h}'")))?;
            fixed_turns::set(&mut *tx, &seat, Some(p.id)).await?;
        }
        None => fixed_turns::set(&mut *tx, &seat, None).await?,
    }
    changed(&mut tx, "fixed").await?;
    tx.commit().await?;
    Ok(())
}

/// Adds (`add`) or removes the last phone line; returns the new count.
pub async fn change_lines(s: &Services, actor: &Actor, add: bool) -> Result<u32> {
    may_edit(actor, RotaEdit::Team)?;
    let mut tx = s.db.begin().await?;
    let lines = if add {
        fixed_turns::add_line(&mut *tx).await?
    } else {
        fixed_turns::remove_line(&mut *tx).await?
    };
    changed(&mut tx, "settings").await?;
    tx.commit().await?;
    Ok(lines)
}

/// Imports a Tomàtic folder sent as its files; all or nothing. Imported timetables of weeks not
/// yet planned become those weeks' published timetables in the same transaction.
pub async fn import_tomatic(s: &Services, actor: &Actor, files: &[TomaticFile]) -> Result<ImportReport> {
    may_edit(actor, RotaEdit::Settings)?;
    let mut tx = s.db.begin().await?;
    let report = tomatic_import::import(&mut tx, files).await?;
    if report.applied && report.changed_anything() {
        changed(&mut tx, "import").await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Forgives a person's balance of turns (`handle`) or everyone's (`None`): back to 0, logged.
/// Returns how many balances changed.
pub async fn forgive_balance(s: &Services, actor: &Actor, handle: Option<String>) -> Result<u64> {
    may_edit(actor, RotaEdit::Team)?;
    let mut tx = s.db.begin().await?;
    let person_id = match handle {
        Some(h) => Some(
            people::by_handle(&s.db, &h.trim().to_lowercase())
                .await
                .map_err(ServiceError::db("person"))?
                .id,
        ),
        None => None,
    };
    let done = crate::rota::store::balances::forgive(&mut tx, person_id, actor.user_id()).await?;
    changed(&mut tx, "balances").await?;
    tx.commit().await?;
    Ok(done)
}
