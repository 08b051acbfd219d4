//! The one door to the queue's changes. So far: the queue follows the published timetable, at
//! each boundary of the team's day (claimed once across instances) and after every (re)connect
//! to the PBX (a reconcile); every change it makes is logged.
use crate::ports::{Pbx, QueueMemberSpec};
use crate::queue::rules::follow::{self, Slot};
use crate::queue::store::follow as store;
use crate::shell::ctx::Services;
use crate::shell::service::{Actor, ServiceError};
use chrono::{DateTime, Utc};

type Result<T> = std::result::Result<T, ServiceError>;

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

/// Which queue and how its members' interfaces are named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    pub queue: String,
    /// E.g. `PJSIP/{extension}`.
    pub interface_template: String,
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
    let (wanted, without_extension) = match slot.turn {
        Some(turn) => store::on_duty(&s.db, slot.day, turn, &q.interface_template).await?,
        None => (Vec::new(), Vec::new()),
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
    let changes = follow::changes(&wanted, &members, &ours);
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

/// What connects the running app to its PBX: the adapter, the live board its events keep, and
/// the queue's settings. Set once at start-up (`Services::queue`).
#[derive(Clone)]
pub struct QueueLink {
    pub pbx: std::sync::Arc<dyn Pbx>,
    pub board: std::sync::Arc<std::sync::RwLock<crate::queue::rules::board::Board>>,
    pub settings: QueueSettings,
}

fn link(s: &Services) -> Result<&QueueLink> {
    s.queue
        .get()
        .ok_or_else(|| ServiceError::NotFound("a PBX connected to this server".into()))
}

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
