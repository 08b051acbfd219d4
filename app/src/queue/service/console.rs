//! The live console: the board with this turn and the next, pausing and resuming (coordinators
//! anyone, agents themselves), adding and removing by hand for the rest of the turn.
use super::{Result, link};
use crate::queue::rules::follow;
use crate::queue::store::follow as store;
use crate::shell::ctx::Services;
use crate::shell::service::{Actor, ServiceError};
use chrono::Utc;

fn may_view(actor: &Actor) -> Result<()> {
    match actor {
        Actor::User(me) if crate::shell::rules::access::Area::Queue.allows(&me.roles) => Ok(()),
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Coordinators (and admins) pause and resume anyone.
fn may_steer(actor: &Actor) -> Result<Option<String>> {
    use crate::accounts::rules::roles::Role;
    match actor {
        Actor::User(me) if me.roles.iter().any(|r| matches!(r, Role::Coordinator | Role::Admin)) => {
            Ok(Some(me.username.clone()))
        }
        Actor::Operator => Ok(None),
        _ => Err(ServiceError::Forbidden),
    }
}

/// The interface of the agent's own phone: their rota person's extension through the template.
async fn own_interface(s: &Services, me: &crate::accounts::Me, template: &str) -> Result<Option<String>> {
    Ok(store::extension_of_user(&s.db, me.id)
        .await?
        .map(|e| crate::queue::rules::ami::interface_for(template, &e)))
}

/// Who pauses `interface`, for the log (source, who): coordinators and admins anyone, agents
/// only their own phone.
async fn may_pause(
    s: &Services,
    actor: &Actor,
    template: &str,
    interface: &str,
) -> Result<(&'static str, Option<String>)> {
    if let Ok(who) = may_steer(actor) {
        return Ok(("coordinator", who));
    }
    may_view(actor)?;
    let Actor::User(me) = actor else {
        return Err(ServiceError::Forbidden);
    };
    match own_interface(s, me, template).await? {
        Some(mine) if mine.eq_ignore_ascii_case(interface) => Ok(("agent", Some(me.username.clone()))),
        _ => Err(ServiceError::Forbidden),
    }
}

/// The slot of `now` in the team's day (to know when a hand change ends) and the team's zone.
async fn slot_now(s: &Services, now: chrono::DateTime<Utc>) -> Result<(follow::Slot, chrono_tz::Tz)> {
    let team = crate::rota::store::team::get(&s.db).await?;
    let tz: chrono_tz::Tz = team
        .time_zone
        .parse()
        .map_err(|_| ServiceError::invalid("time_zone", "the team's time zone is not known"))?;
    let slot = follow::slot_at(&team.turn_boundaries, tz, now)
        .ok_or_else(|| ServiceError::invalid("turn_boundaries", "the team's turn boundaries cannot be read"))?;
    Ok((slot, tz))
}

/// Adds a person (by handle) to the queue for the rest of the turn: it stays until the next
/// boundary of the team's day, whatever the rota says; then the rota decides again.
pub async fn add_by_hand(s: &Services, actor: &Actor, handle: &str, now: chrono::DateTime<Utc>) -> Result<String> {
    let who = may_steer(actor)?;
    let link = link(s)?;
    let handle = handle.trim();
    if handle.is_empty() {
        return Err(ServiceError::invalid("person", "choose who to add to the queue"));
    }
    let p = store::person(&s.db, handle)
        .await?
        .ok_or_else(|| ServiceError::invalid("person", format!("nobody called “{handle}” is in the rota")))?;
    let Some(ext) = p.extension.clone() else {
        return Err(ServiceError::invalid(
            "person",
            format!(
                "{} has no extension: give them one on the People page first",
                p.full_name
            ),
        ));
    };
    let q = &link.settings.queue;
    let interface = crate::queue::rules::ami::interface_for(&link.settings.interface_template, &ext);
    let already = || {
        ServiceError::invalid(
            "person",
            format!("{} ({interface}) is already in the queue", p.full_name),
        )
    };
    let on_board = link
        .board
        .read()
        .map_err(|_| ServiceError::Internal)?
        .members
        .keys()
        .any(|m| m.eq_ignore_ascii_case(&interface));
    if on_board {
        return Err(already());
    }
    let (slot, tz) = slot_now(s, now).await?;
    let spec = crate::ports::QueueMemberSpec {
        queue: q.clone(),
        interface: interface.clone(),
        member_name: p.full_name.clone(),
        paused: false,
        reason: None,
    };
    match link.pbx.add_member(spec).await {
        Ok(()) => {}
        Err(crate::ports::PbxError::Refused(crate::queue::rules::ami::Refusal::AlreadyThere)) => return Err(already()),
        Err(e) => {
            return Err(ServiceError::Conflict(format!(
                "the PBX did not add {}: {e}",
                p.full_name
            )));
        }
    }
    let w = follow::Wanted {
        handle: p.handle.clone(),
        name: p.full_name.clone(),
        interface: interface.clone(),
    };
    let until = slot.ends_at.with_timezone(&tz).format("%H:%M");
    let mut tx = s.db.begin().await?;
    store::added(&mut tx, q, &w).await?;
    store::hand_change(&mut tx, q, &w, true, slot.ends_at, who.as_deref()).await?;
    let what = format!("added {} ({interface}) by hand until {until}", p.handle);
    store::log(&mut tx, q, "coordinator", who.as_deref(), &what).await?;
    tx.commit().await?;
    Ok(interface)
}

/// Removes a member from the queue; it stays out until the next boundary of the team's day.
pub async fn remove_by_hand(s: &Services, actor: &Actor, interface: &str, now: chrono::DateTime<Utc>) -> Result<()> {
    let who = may_steer(actor)?;
    let link = link(s)?;
    let q = &link.settings.queue;
    let interface = interface.trim();
    let member = link
        .board
        .read()
        .map_err(|_| ServiceError::Internal)?
        .members
        .get(interface)
        .cloned()
        .ok_or_else(|| ServiceError::invalid("interface", "no such member in the queue"))?;
    let (slot, tz) = slot_now(s, now).await?;
    let person = match crate::queue::rules::ami::extension_of(&link.settings.interface_template, interface) {
        Some(e) => store::person_by_extension(&s.db, &e).await?,
        None => None,
    };
    match link.pbx.remove_member(q, interface).await {
        Ok(()) | Err(crate::ports::PbxError::Refused(crate::queue::rules::ami::Refusal::NotThere)) => {}
        Err(e) => {
            return Err(ServiceError::Conflict(format!(
                "the PBX did not remove {interface}: {e}"
            )));
        }
    }
    let w = follow::Wanted {
        handle: person
            .as_ref()
            .map_or_else(|| member.name.clone(), |p| p.handle.clone()),
        name: person.map_or(member.name, |p| p.full_name),
        interface: interface.to_string(),
    };
    let until = slot.ends_at.with_timezone(&tz).format("%H:%M");
    let mut tx = s.db.begin().await?;
    store::removed(&mut tx, q, interface).await?;
    store::hand_change(&mut tx, q, &w, false, slot.ends_at, who.as_deref()).await?;
    let what = format!("removed {} ({interface}) by hand until {until}", w.handle);
    store::log(&mut tx, q, "coordinator", who.as_deref(), &what).await?;
    tx.commit().await?;
    Ok(())
}

/// The live queue with this turn's and the next turn's people and the latest changes.
pub async fn board(s: &Services, actor: &Actor) -> Result<crate::queue::QueueView> {
    may_view(actor)?;
    let link = link(s)?;
    let board = link.board.read().map_err(|_| ServiceError::Internal)?.clone();
    let now = Utc::now();
    let team = crate::rota::store::team::get(&s.db).await?;
    let tz: Option<chrono_tz::Tz> = team.time_zone.parse().ok();
    let mut turns = Vec::new();
    let mut at = now;
    for _ in 0..2 {
        let Some(slot) = tz.and_then(|tz| follow::slot_at(&team.turn_boundaries, tz, at)) else {
            break;
        };
        let people = match slot.turn {
            // Nobody is on duty on a holiday (following the rota empties the queue too).
            Some(_) if store::is_holiday(&s.db, slot.day).await? => Vec::new(),
            Some(t) => {
                let (w, missing) = store::on_duty(&s.db, slot.day, t, &link.settings.interface_template).await?;
                w.into_iter().map(|w| w.name).chain(missing).collect()
            }
            None => Vec::new(),
        };
        turns.push(crate::queue::TurnView {
            label: match slot.turn {
                Some(t) => format!(
                    "Turn {} ({}–{})",
                    t + 1,
                    team.turn_boundaries[t],
                    team.turn_boundaries[t + 1]
                ),
                None => "Outside turns".into(),
            },
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
            people,
        });
        at = slot.ends_at;
    }
    let log = store::recent(&s.db, &link.settings.queue, 12)
        .await?
        .into_iter()
        .map(|(at, source, who, what)| crate::queue::LogLine { at, source, who, what })
        .collect();
    let steer = may_steer(actor).is_ok();
    let mine = match actor {
        Actor::User(me) if !steer => own_interface(s, me, &link.settings.interface_template).await?,
        _ => None,
    };
    let addable = if steer {
        store::people_with_extension(&s.db)
            .await?
            .into_iter()
            .filter_map(|p| {
                let extension = p.extension?;
                Some(crate::queue::Addable {
                    handle: p.handle,
                    name: p.full_name,
                    extension,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(crate::queue::QueueView {
        now,
        board,
        turns,
        log,
        steer,
        mine,
        addable,
    })
}

/// Pauses (with a reason) or resumes a member of the queue; logged with who did it.
/// Coordinators and admins steer anyone, agents only their own phone.
pub async fn set_paused(
    s: &Services,
    actor: &Actor,
    interface: &str,
    paused: bool,
    reason: Option<&str>,
) -> Result<()> {
    let link = link(s)?;
    let interface = interface.trim();
    let (source, who) = may_pause(s, actor, &link.settings.interface_template, interface).await?;
    let known = link
        .board
        .read()
        .map_err(|_| ServiceError::Internal)?
        .members
        .contains_key(interface);
    if !known {
        return Err(ServiceError::invalid("interface", "no such member in the queue"));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if paused && reason.is_none() {
        return Err(ServiceError::invalid("reason", "say why the member is paused"));
    }
    if reason.is_some_and(|r| r.chars().count() > 60 || r.chars().any(char::is_control)) {
        return Err(ServiceError::invalid(
            "reason",
            "a reason of at most 60 characters on one line",
        ));
    }
    link.pbx
        .pause(
            Some(&link.settings.queue),
            interface,
            paused,
            if paused { reason } else { None },
        )
        .await
        .map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let what = match (paused, reason) {
        (true, Some(r)) => format!("paused {interface}: {r}"),
        _ => format!("resumed {interface}"),
    };
    let mut tx = s.db.begin().await?;
    store::log(&mut tx, &link.settings.queue, source, who.as_deref(), &what).await?;
    tx.commit().await?;
    Ok(())
}
