//! The queue follows the published timetable.
use super::{QueueSettings, Result};
use crate::ports::{Pbx, QueueMemberSpec};
use crate::queue::rules::follow::{self, Slot};
use crate::queue::store::follow as store;
use crate::shell::ctx::Services;
use crate::shell::service::{Actor, ServiceError};
use chrono::{DateTime, Utc};

/// What made a change (the log's `source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A boundary of the team's day.
    Rota,
    /// After a (re)connect: the queue is put back as the timetable wants it.
    Reconcile,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rota => "rota",
            Source::Reconcile => "reconcile",
        }
    }
}

/// What following the timetable did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Followed {
    pub slot: Option<Slot>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Changes the PBX refused or could not make, in words.
    pub failed: Vec<String>,
    /// People on duty without an extension (left out).
    pub without_extension: Vec<String>,
}

/// Only the server itself (its workers, the command line) moves the queue with the rota.
fn may_follow(actor: &Actor) -> Result<()> {
    match actor {
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Makes the queue's members the people of the turn `now` falls in (none outside turns, on
/// holidays and days without seats), adding and removing only members Switchboard added.
pub async fn follow_rota(
    s: &Services,
    actor: &Actor,
    pbx: &dyn Pbx,
    q: &QueueSettings,
    now: DateTime<Utc>,
    source: Source,
) -> Result<Followed> {
    may_follow(actor)?;
    let team = crate::rota::store::team::get(&s.db).await?;
    let tz: chrono_tz::Tz = team
        .time_zone
        .parse()
        .map_err(|_| ServiceError::invalid("time_zone", "the team's time zone is not known"))?;
    let slot = follow::slot_at(&team.turn_boundaries, tz, now)
        .ok_or_else(|| ServiceError::invalid("turn_boundaries", "the team's turn boundaries cannot be read"))?;
    // On a holiday (or a day without service) nobody is on duty, even if a published week
    // still has seats that day.
    let holiday = store::is_holiday(&s.db, slot.day).await?;
    let (wanted, without_extension) = match slot.turn {
        Some(turn) if !holiday => store::on_duty(&s.db, slot.day, turn, &q.interface_template).await?,
        _ => (Vec::new(), Vec::new()),
    };
    let snapshot = pbx
        .queue_status(Some(&q.queue))
        .await
        .map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let members: Vec<String> = snapshot
        .members
        .iter()
        .filter(|m| m.queue == q.queue)
        .map(|m| m.interface.clone())
        .collect();
    let ours = store::ours(&s.db, &q.queue).await?;
    // Hand changes of this turn stand until its end (the next boundary).
    let hand = store::hand_changes(&s.db, &q.queue, now).await?;
    let changes = follow::changes(&wanted, &members, &ours, &hand);
    let mut done = Followed {
        slot: Some(slot.clone()),
        without_extension,
        ..Followed::default()
    };
    let mut added = Vec::new();
    for w in &changes.add {
        let spec = QueueMemberSpec {
            queue: q.queue.clone(),
            interface: w.interface.clone(),
            member_name: w.name.clone(),
            paused: false,
            reason: None,
        };
        match pbx.add_member(spec).await {
            // Already there: put there by a reconcile running at the same moment.
            Ok(()) | Err(crate::ports::PbxError::Refused(crate::queue::rules::ami::Refusal::AlreadyThere)) => {
                added.push(w.clone())
            }
            Err(e) => done.failed.push(format!("adding {} ({}): {e}", w.handle, w.interface)),
        }
    }
    let mut removed = Vec::new();
    for i in &changes.remove {
        match pbx.remove_member(&q.queue, i).await {
            Ok(()) => removed.push(i.clone()),
            // Gone already (removed at the PBX): ours no more either.
            Err(crate::ports::PbxError::Refused(crate::queue::rules::ami::Refusal::NotThere)) => {
                removed.push(i.clone())
            }
            Err(e) => done.failed.push(format!("removing {i}: {e}")),
        }
    }
    // Ours that left the queue some other way are ours no more.
    let vanished: Vec<&String> = ours
        .iter()
        .filter(|o| !members.iter().any(|m| m.eq_ignore_ascii_case(o)) && !removed.contains(o))
        .collect();
    let turn = match slot.turn {
        Some(t) if holiday => format!("{} turn {} (holiday)", slot.day, t + 1),
        Some(t) => format!("{} turn {}", slot.day, t + 1),
        None => format!("{} outside turns", slot.day),
    };
    let mut tx = s.db.begin().await?;
    for w in &added {
        store::added(&mut tx, &q.queue, w).await?;
        let what = format!("added {} ({}) for {turn}", w.handle, w.interface);
        store::log(&mut tx, &q.queue, source.as_str(), None, &what).await?;
    }
    for i in removed.iter().chain(vanished.iter().copied()) {
        store::removed(&mut tx, &q.queue, i).await?;
    }
    for i in &removed {
        store::log(
            &mut tx,
            &q.queue,
            source.as_str(),
            None,
            &format!("removed {i} for {turn}"),
        )
        .await?;
    }
    for h in &done.without_extension {
        let what = format!("left out {h} for {turn}: no extension");
        store::log(&mut tx, &q.queue, source.as_str(), None, &what).await?;
    }
    for f in &done.failed {
        store::log(&mut tx, &q.queue, source.as_str(), None, &format!("failed: {f}")).await?;
    }
    tx.commit().await?;
    done.added = added.into_iter().map(|w| w.interface).collect();
    done.removed = removed;
    if !done.without_extension.is_empty() {
        tracing::warn!(queue = %q.queue, people = ?done.without_extension, "on duty without an extension: left out of the queue");
    }
    Ok(done)
}

/// At a boundary: the one instance that claims it applies it; a boundary whose changes could
/// not be followed is given back, so the next look retries it. `None`: another instance has it.
pub async fn apply_boundary(
    s: &Services,
    actor: &Actor,
    pbx: &dyn Pbx,
    q: &QueueSettings,
    now: DateTime<Utc>,
) -> Result<Option<Followed>> {
    may_follow(actor)?;
    let team = crate::rota::store::team::get(&s.db).await?;
    let Some(slot) = team
        .time_zone
        .parse::<chrono_tz::Tz>()
        .ok()
        .and_then(|tz| follow::slot_at(&team.turn_boundaries, tz, now))
    else {
        return Err(ServiceError::invalid(
            "turn_boundaries",
            "the team's day cannot be read",
        ));
    };
    if !store::claim_boundary(&s.db, &q.queue, slot.starts_at).await? {
        return Ok(None);
    }
    // Refusals of single members are logged and stay refused; a PBX (or database) that could
    // not be used gives the boundary back for the next look (the reconcile after a reconnect
    // catches up too).
    match follow_rota(s, actor, pbx, q, now, Source::Rota).await {
        Ok(done) => Ok(Some(done)),
        Err(e) => {
            store::release_boundary(&s.db, &q.queue, slot.starts_at).await?;
            Err(e)
        }
    }
}
