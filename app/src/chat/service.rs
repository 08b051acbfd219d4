//! The one door to the team chat: every message goes through [`post`] (validated, logged, then
//! sent at once when a chat is connected; a failed send is retried by [`deliver`] with backoff
//! until it is given up). The workers call [`remind`] (N minutes before each turn, claimed once
//! per turn across instances) and [`watch_incidents`] (an agent on duty disconnected and not
//! paused: one alert per incident and one message when it is over, the incident kept in the
//! database). Coordinators and admins [`say`] free text; admins read [`simulators`].
use crate::accounts::rules::roles::Role;
use crate::chat::rules::{incident, message, reminder};
use crate::chat::store::{incidents, messages, reminders};
use crate::chat::{ChatMessage, MessageKind, SimulatorsView};
use crate::ports::{Chat, Simulators};
use crate::shell::ctx::Services;
use crate::shell::events::publish_in;
use crate::shell::service::{Actor, ServiceError};
use crate::shell::topics::Topic;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

type Result<T> = std::result::Result<T, ServiceError>;

/// How the chat is used (configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatSettings {
    /// Minutes before each turn for its reminder; 0: no reminders.
    pub remind_minutes: u32,
    /// The reminder's text (placeholders: `reminder::PLACEHOLDERS`).
    pub remind_template: String,
    /// The first retry's delay (then 4× each time).
    pub retry_base: Duration,
    /// This instance's name in send claims.
    pub instance: String,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            remind_minutes: 5,
            remind_template: reminder::DEFAULT_TEMPLATE.into(),
            retry_base: Duration::from_secs(2),
            instance: "switchboard".into(),
        }
    }
}

/// What connects the running app to its chat. Set once at start-up (`Services::chat`).
#[derive(Clone)]
pub struct ChatLink {
    pub chat: Arc<dyn Chat>,
    /// The simulators started in-process (the Simulators page).
    pub simulators: Option<Arc<dyn Simulators>>,
    pub settings: ChatSettings,
}

/// How long one attempt's claim holds before another instance may retry it.
const LEASE_SECS: i64 = 60;

fn may_say(actor: &Actor) -> Result<Option<String>> {
    match actor {
        Actor::User(me) if me.roles.iter().any(|r| matches!(r, Role::Coordinator | Role::Admin)) => {
            Ok(Some(me.username.clone()))
        }
        Actor::Operator => Ok(None),
        _ => Err(ServiceError::Forbidden),
    }
}

fn only_server(actor: &Actor) -> Result<()> {
    match actor {
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// "Say as Switchboard": a coordinator's (or admin's) free text, at most 1000 characters.
pub async fn say(s: &Services, actor: &Actor, text: &str) -> Result<ChatMessage> {
    post(s, actor, MessageKind::Say, text).await
}

/// Posts a message to the team chat: logged first (so it is never lost), then sent at once if
/// a chat is connected; a failure is logged on the message and retried later. "Say" is for
/// coordinators and admins; the other kinds only for the server itself (`Actor::Operator`: the
/// reminders, alerts and the end-of-day statistics).
pub async fn post(s: &Services, actor: &Actor, kind: MessageKind, text: &str) -> Result<ChatMessage> {
    let who = match kind {
        MessageKind::Say => may_say(actor)?,
        _ => {
            only_server(actor)?;
            None
        }
    };
    let text = match kind {
        MessageKind::Say => message::check_say(text)?,
        _ => message::fit(text).ok_or_else(|| ServiceError::invalid("text", "the message is empty"))?,
    };
    let mut tx = s.db.begin().await?;
    let m = messages::insert(&mut tx, kind, &text, who.as_deref()).await?;
    publish_in(&mut tx, Topic::SimulatorsChat, serde_json::json!({"message": m.id})).await?;
    tx.commit().await?;
    after_insert(s, m.id).await
}

/// Sends a just-logged message at once (when a chat is connected) and reads it back.
async fn after_insert(s: &Services, id: i64) -> Result<ChatMessage> {
    if s.chat.get().is_some()
        && let Err(e) = deliver_some(s, Some(id)).await
    {
        tracing::warn!(error = %e, message = id, "chat message not sent yet: it is retried");
    }
    Ok(messages::get(&s.db, id).await?)
}

/// One round of the sender: claims the messages due (SKIP LOCKED: another instance takes
/// others), posts each, and records the result (sent; or failed with the error, retried after
/// a backoff until given up). Returns how many were sent.
pub async fn deliver(s: &Services, actor: &Actor) -> Result<usize> {
    only_server(actor)?;
    deliver_some(s, None).await
}

async fn deliver_some(s: &Services, only: Option<i64>) -> Result<usize> {
    let Some(link) = s.chat.get() else {
        return Ok(0);
    };
    let by = &link.settings.instance;
    let claimed = {
        let mut conn = s.db.acquire().await?;
        messages::claim_due(&mut conn, by, LEASE_SECS, 20, only).await?
    };
    let mut sent = 0;
    for c in claimed {
        let result = link.chat.post(&c.text).await;
        let mut tx = s.db.begin().await?;
        match &result {
            Ok(()) => {
                if messages::sent(&mut tx, c.id, by).await? {
                    sent += 1;
                }
            }
            Err(e) => {
                let retry = message::retry_after(c.attempts, link.settings.retry_base).map(|d| d.as_millis() as i64);
                messages::attempt_failed(&mut tx, c.id, by, &e.to_string(), retry).await?;
                match retry {
                    Some(ms) => {
                        tracing::warn!(message = c.id, attempt = c.attempts, retry_in_ms = ms, error = %e, "chat message not sent: retried later")
                    }
                    None => {
                        tracing::error!(message = c.id, attempts = c.attempts, error = %e, "chat message given up")
                    }
                }
            }
        }
        publish_in(&mut tx, Topic::SimulatorsChat, serde_json::json!({"message": c.id})).await?;
        tx.commit().await?;
    }
    Ok(sent)
}

fn team_zone(team: &crate::rota::rules::data::TeamSettings) -> Result<chrono_tz::Tz> {
    team.time_zone
        .parse()
        .map_err(|_| ServiceError::invalid("time_zone", "the team's time zone is not known"))
}

fn interface_template(s: &Services) -> String {
    s.queue.get().map_or_else(
        || "PJSIP/{extension}".to_string(),
        |q| q.settings.interface_template.clone(),
    )
}

/// The reminder of the next turn when it is due at `now`: posted by the one instance that
/// claims the turn (a row per turn start), with who is on it. `None`: not due, already
/// reminded, or nobody is on that turn (a holiday, a day without service).
pub async fn remind(s: &Services, actor: &Actor, now: DateTime<Utc>) -> Result<Option<ChatMessage>> {
    only_server(actor)?;
    let Some(link) = s.chat.get() else {
        return Ok(None);
    };
    let settings = &link.settings;
    let team = crate::rota::store::team::get(&s.db).await?;
    let tz = team_zone(&team)?;
    let Some(due) = reminder::due(&team.turn_boundaries, tz, now, settings.remind_minutes) else {
        return Ok(None);
    };
    if reminders::exists(&s.db, due.starts_at).await? {
        return Ok(None);
    }
    let (wanted, missing) =
        crate::queue::store::follow::on_duty(&s.db, due.day, due.turn, &interface_template(s)).await?;
    let people: Vec<String> = wanted.into_iter().map(|w| w.name).chain(missing).collect();
    if people.is_empty() {
        return Ok(None);
    }
    let text = reminder::render(&settings.remind_template, &due, tz, settings.remind_minutes, &people);
    let text = message::fit(&text).ok_or_else(|| ServiceError::invalid("remind_template", "the reminder is empty"))?;
    let mut tx = s.db.begin().await?;
    let m = messages::insert(&mut tx, MessageKind::Reminder, &text, None).await?;
    if !reminders::claim(&mut tx, due.starts_at, m.id).await? {
        // Another instance claimed this turn between our look and our claim.
        tx.rollback().await?;
        return Ok(None);
    }
    publish_in(&mut tx, Topic::SimulatorsChat, serde_json::json!({"message": m.id})).await?;
    tx.commit().await?;
    after_insert(s, m.id).await.map(Some)
}

/// The end-of-day statistics, once the team's last turn is over: posted by the one instance
/// that claims the day, when a call reached the queue that day. `None`: not due, posted
/// already, or no calls.
pub async fn post_day_statistics(s: &Services, actor: &Actor, now: DateTime<Utc>) -> Result<Option<ChatMessage>> {
    only_server(actor)?;
    if s.chat.get().is_none() {
        return Ok(None);
    }
    let team = crate::rota::store::team::get(&s.db).await?;
    let tz = team_zone(&team)?;
    let Some(day) = reminder::day_over(&team.turn_boundaries, tz, now) else {
        return Ok(None);
    };
    if reminders::day_posted(&s.db, day).await? {
        return Ok(None);
    }
    let Some(text) = crate::queue::service::stats::day_summary_if_any(s, actor, day).await? else {
        return Ok(None);
    };
    let text = message::fit(&text).ok_or_else(|| ServiceError::invalid("text", "the statistics are empty"))?;
    let mut tx = s.db.begin().await?;
    let m = messages::insert(&mut tx, MessageKind::Statistics, &text, None).await?;
    if !reminders::claim_day(&mut tx, day, m.id).await? {
        // Another instance claimed the day between our look and our claim.
        tx.rollback().await?;
        return Ok(None);
    }
    publish_in(&mut tx, Topic::SimulatorsChat, serde_json::json!({"message": m.id})).await?;
    tx.commit().await?;
    after_insert(s, m.id).await.map(Some)
}

/// Compares the live board with the open incidents: an agent on duty whose phone is
/// disconnected while not paused opens one (one alert), and its end (connected again, paused,
/// off duty, gone from the queue) closes it (one message). Kept in the database, so another
/// instance or a restart does not repeat them. Returns the messages posted.
pub async fn watch_incidents(s: &Services, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<ChatMessage>> {
    only_server(actor)?;
    let Some(q) = s.queue.get() else {
        return Ok(Vec::new());
    };
    let board = q.board.read().map_err(|_| ServiceError::Internal)?.clone();
    let team = crate::rota::store::team::get(&s.db).await?;
    let tz = team_zone(&team)?;
    let on_duty: Vec<String> = match crate::queue::rules::follow::slot_at(&team.turn_boundaries, tz, now) {
        Some(crate::queue::rules::follow::Slot { day, turn: Some(t), .. }) => {
            crate::queue::store::follow::on_duty(&s.db, day, t, &q.settings.interface_template)
                .await?
                .0
                .into_iter()
                .map(|w| w.interface)
                .collect()
        }
        _ => Vec::new(),
    };
    let seen: Vec<incident::Seen> = board
        .members
        .values()
        .map(|m| incident::Seen {
            interface: m.interface.clone(),
            name: m.name.clone(),
            state: m.state,
            paused: m.paused,
            on_duty: on_duty.iter().any(|i| i.eq_ignore_ascii_case(&m.interface)),
        })
        .collect();
    let open = incidents::open(&s.db).await?;
    let changes = incident::changes(board.connected, &open, &seen);
    let mut posted = Vec::new();
    for (interface, name) in &changes.start {
        let mut tx = s.db.begin().await?;
        let Some(id) = incidents::start(&mut tx, interface, name).await? else {
            continue;
        };
        let m = messages::insert(
            &mut tx,
            MessageKind::Alert,
            &incident::alert_text(name, interface),
            None,
        )
        .await?;
        incidents::told(&mut tx, id, m.id, false).await?;
        publish_in(&mut tx, Topic::SimulatorsChat, serde_json::json!({"message": m.id})).await?;
        tx.commit().await?;
        posted.push(after_insert(s, m.id).await?);
    }
    for (o, ending) in &changes.end {
        let mut tx = s.db.begin().await?;
        let Some(id) = incidents::end(&mut tx, &o.interface).await? else {
            continue;
        };
        let text = incident::over_text(&o.name, &o.interface, *ending);
        let m = messages::insert(&mut tx, MessageKind::Alert, &text, None).await?;
        incidents::told(&mut tx, id, m.id, true).await?;
        publish_in(&mut tx, Topic::SimulatorsChat, serde_json::json!({"message": m.id})).await?;
        tx.commit().await?;
        posted.push(after_insert(s, m.id).await?);
    }
    Ok(posted)
}

/// The Simulators page (admins): what the in-process simulators received, and the chat log.
pub async fn simulators(s: &Services, actor: &Actor) -> Result<SimulatorsView> {
    match actor {
        Actor::User(me) if crate::shell::rules::access::Area::Simulators.allows(&me.roles) => {}
        Actor::Operator => {}
        _ => return Err(ServiceError::Forbidden),
    }
    use crate::chat::SimPart;
    let sims = s.chat.get().and_then(|l| l.simulators.clone());
    let (chat, calls, pbx) = match &sims {
        Some(v) => (v.chat().await, v.calls().await, v.pbx().await),
        None => (SimPart::NotRunning, SimPart::NotRunning, SimPart::NotRunning),
    };
    let log = messages::recent(&s.db, 30).await?;
    Ok(SimulatorsView { chat, calls, pbx, log })
}
