//! The one door to the rota's rules. The console's server functions, the command line, the
//! first start and the solver worker call these functions: the capability first, then every
//! field, then one transaction in which the rota's live events are published (delivered on
//! commit, never for a rollback).
pub mod calendar;
pub mod data;
pub mod timetable;

use crate::rota::Person;
use crate::shell::ctx::Services;
use crate::shell::events::publish_in;
use crate::shell::rules::access::{Area, RotaEdit};
use crate::shell::service::{Actor, ServiceError};
use crate::shell::topics::Topic;
use chrono::NaiveDate;
use sqlx::PgConnection;

type Result<T> = std::result::Result<T, ServiceError>;

/// What the actor may change in the rota; refused when the rota is closed to them. No token
/// scope opens the rota; the operator (command line, first start) may change everything.
pub fn edit_level(actor: &Actor) -> Result<RotaEdit> {
    match actor {
        Actor::User(me) if Area::Rota.allows(&me.roles) => Ok(RotaEdit::of(&me.roles)),
        Actor::Operator => Ok(RotaEdit::Settings),
        Actor::User(_) | Actor::Token { .. } => Err(ServiceError::Forbidden),
    }
}

/// May change at least `level` (coordinators the team, admins the settings).
pub fn may_edit(actor: &Actor, level: RotaEdit) -> Result<RotaEdit> {
    let have = edit_level(actor)?;
    if have < level {
        return Err(ServiceError::Forbidden);
    }
    Ok(have)
}

/// The actor may change `person_id`'s own things (availability, contact, calendar links):
/// coordinators anyone's, others only their own. An unknown person is 404 for coordinators and
/// 403 for everyone else (who may not learn who exists).
pub async fn own_person(s: &Services, actor: &Actor, person_id: i64) -> Result<Person> {
    if edit_level(actor)? >= RotaEdit::Team {
        return crate::rota::store::people::by_id(&s.db, person_id)
            .await
            .map_err(ServiceError::db("person"));
    }
    let Some(user) = actor.user_id() else {
        return Err(ServiceError::Forbidden);
    };
    match crate::rota::store::people::of_user(&s.db, user).await? {
        Some(p) if p.id == person_id => Ok(p),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Tells every rota page that `what` changed (people, availability, timetable, …).
async fn changed(tx: &mut PgConnection, what: &str) -> Result<()> {
    Ok(publish_in(tx, Topic::Rota, serde_json::json!({ "what": what })).await?)
}

/// The Monday of the week holding `day` (a day the rota can plan).
fn monday_of(day: NaiveDate) -> Result<NaiveDate> {
    Ok(crate::rota::rules::data::week_start(
        crate::rota::rules::data::check_week_day(day)?,
    ))
}
