//! The live console: the board with this turn and the next, pausing and resuming.
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
    Ok(crate::queue::QueueView { now, board, turns, log })
}

/// Pauses (with a reason) or resumes a member of the queue; logged with who did it.
pub async fn set_paused(
    s: &Services,
    actor: &Actor,
    interface: &str,
    paused: bool,
    reason: Option<&str>,
) -> Result<()> {
    let who = may_steer(actor)?;
    let link = link(s)?;
    let interface = interface.trim();
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
    store::log(&mut tx, &link.settings.queue, "coordinator", who.as_deref(), &what).await?;
    tx.commit().await?;
    Ok(())
}
