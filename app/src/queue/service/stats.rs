//! Daily call statistics: each queue call recorded from the PBX's events as it happens (once
//! per caller and queue, whichever instance sees the event first; a repeated event changes
//! nothing), and the figures of a day, its hours, its agents and the days before it, for the
//! page, the CSV export and the chat.
use super::Result;
use crate::queue::rules::ami::{CallerChannel, Event};
use crate::queue::rules::stats::{self as rules, DayStats, StatsView};
use crate::queue::store::stats::{self as store, AgentOf, CallKey};
use crate::shell::ctx::Services;
use crate::shell::events::publish_in;
use crate::shell::rules::Invalid;
use crate::shell::service::{Actor, ServiceError};
use crate::shell::topics::Topic;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

/// Longest wait or talk taken from the PBX (a week): anything longer is a malformed event.
pub const MAX_SECS: u32 = 7 * 24 * 3600;

/// What recording an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Not an event about a queue call.
    NotACall,
    /// Seen before (a repeated event, or recorded by another instance).
    Unchanged,
    Changed,
}

/// Only the server itself (its PBX worker) records calls.
fn may_record(actor: &Actor) -> Result<()> {
    match actor {
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Coordinators, managers and admins read the statistics (agents do not).
pub fn may_see_stats(actor: &Actor) -> Result<()> {
    match actor {
        Actor::User(me) if crate::accounts::rules::roles::sees_the_team(&me.roles) => Ok(()),
        Actor::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
}

fn text<'a>(errors: &mut Vec<Invalid>, field: &str, v: &'a str, max: usize) -> &'a str {
    let v = v.trim();
    if v.is_empty() {
        errors.push(Invalid::new(field, "missing"));
    } else if v.chars().count() > max || v.chars().any(char::is_control) {
        errors.push(Invalid::new(field, format!("at most {max} characters on one line")));
    }
    v
}

fn secs(errors: &mut Vec<Invalid>, field: &str, v: Option<u32>) -> u32 {
    match v {
        None => {
            errors.push(Invalid::new(field, "missing"));
            0
        }
        Some(v) if v > MAX_SECS => {
            errors.push(Invalid::new(field, format!("at most {MAX_SECS} seconds")));
            0
        }
        Some(v) => v,
    }
}

fn key<'a>(errors: &mut Vec<Invalid>, queue: &'a str, c: &'a CallerChannel) -> CallKey<'a> {
    let queue = text(errors, "Queue", queue, 80);
    let uniqueid = text(errors, "Uniqueid", &c.uniqueid, 150);
    let number = c.number.trim();
    if number.chars().count() > 80 || number.chars().any(char::is_control) {
        errors.push(Invalid::new("CallerIDNum", "at most 80 characters on one line"));
    }
    CallKey {
        queue,
        uniqueid,
        number,
    }
}

/// Records what a PBX event says about a queue call (seen at `at`): a caller joined, left,
/// was answered (after its wait), ended (after its talk) or abandoned (after its wait). An event
/// missing a field the statistics need is refused (`Invalid`, naming the AMI field) and changes
/// nothing; the worker logs and skips it. A change is announced on `queue.stats` in its
/// transaction.
pub async fn record(s: &Services, actor: &Actor, event: &Event, at: DateTime<Utc>) -> Result<Recorded> {
    may_record(actor)?;
    let mut errors = Vec::new();
    enum Op<'a> {
        Joined(CallKey<'a>),
        Left(CallKey<'a>),
        Answered(CallKey<'a>, AgentOf<'a>, u32),
        Ended(CallKey<'a>, AgentOf<'a>, u32, u32),
        Abandoned(CallKey<'a>, u32),
    }
    let agent = |errors: &mut Vec<Invalid>, a: &'_ crate::queue::rules::ami::AgentCall| -> (String, String) {
        let interface = text(errors, "Interface", &a.interface, 120).to_string();
        let name = a.member_name.trim();
        let name = if name.is_empty() {
            interface.clone()
        } else {
            name.chars().take(120).collect()
        };
        (interface, name)
    };
    let agent_fields;
    let op = match event {
        Event::QueueCallerJoin(j) => Op::Joined(key(&mut errors, &j.queue, &j.caller)),
        Event::QueueCallerLeave(l) => Op::Left(key(&mut errors, &l.queue, &l.caller)),
        Event::QueueCallerAbandon(a) => {
            let k = key(&mut errors, &a.queue, &a.caller);
            Op::Abandoned(k, secs(&mut errors, "HoldTime", Some(a.hold_time_secs)))
        }
        Event::AgentConnect(a) => {
            let k = key(&mut errors, &a.queue, &a.caller);
            let wait = secs(&mut errors, "HoldTime", a.hold_time_secs);
            agent_fields = agent(&mut errors, a);
            Op::Answered(
                k,
                AgentOf {
                    interface: &agent_fields.0,
                    name: &agent_fields.1,
                },
                wait,
            )
        }
        Event::AgentComplete(a) => {
            let k = key(&mut errors, &a.queue, &a.caller);
            let wait = secs(&mut errors, "HoldTime", a.hold_time_secs);
            let talk = secs(&mut errors, "TalkTime", a.talk_time_secs);
            agent_fields = agent(&mut errors, a);
            Op::Ended(
                k,
                AgentOf {
                    interface: &agent_fields.0,
                    name: &agent_fields.1,
                },
                wait,
                talk,
            )
        }
        _ => return Ok(Recorded::NotACall),
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut tx = s.db.begin().await?;
    let (changed, queue) = match op {
        Op::Joined(k) => (store::joined(&mut tx, k, at).await?, k.queue),
        Op::Left(k) => (store::left(&mut tx, k, at).await?, k.queue),
        Op::Answered(k, a, wait) => (store::answered(&mut tx, k, a, at, wait).await?, k.queue),
        Op::Ended(k, a, wait, talk) => (store::ended(&mut tx, k, a, at, wait, talk).await?, k.queue),
        Op::Abandoned(k, wait) => (store::abandoned(&mut tx, k, at, wait).await?, k.queue),
    };
    if !changed {
        return Ok(Recorded::Unchanged);
    }
    publish_in(&mut tx, Topic::QueueStats, json!({"queue": queue})).await?;
    tx.commit().await?;
    Ok(Recorded::Changed)
}

/// The team's time zone (UTC when it cannot be read) and its name.
async fn zone(s: &Services) -> Result<(chrono_tz::Tz, String)> {
    let team = crate::rota::store::team::get(&s.db).await?;
    let tz = team.time_zone.parse().unwrap_or(chrono_tz::UTC);
    Ok((tz, team.time_zone))
}

/// The queue the statistics are about: the connected PBX's queue, or every queue.
fn queue_of(s: &Services) -> Option<String> {
    s.queue.get().map(|l| l.settings.queue.clone())
}

/// Today in the team's time zone.
pub async fn today(s: &Services) -> Result<NaiveDate> {
    let (tz, _) = zone(s).await?;
    Ok(rules::local_day_hour(Utc::now(), &tz).0)
}

async fn stats_of(s: &Services, day: NaiveDate) -> Result<DayStats> {
    let (tz, name) = zone(s).await?;
    let (from, to) = rules::days_range(day, day, &tz);
    let mut rows = store::calls_between(&s.db, queue_of(s).as_deref(), from, to).await?;
    rules::settle(&mut rows, Utc::now());
    Ok(rules::day_stats(day, &tz, &name, &rows))
}

fn check_day(day: NaiveDate, today: NaiveDate) -> Result<()> {
    if day > today {
        return Err(ServiceError::invalid("day", "a day up to today"));
    }
    if day.year_ce().1 < 2000 {
        return Err(ServiceError::invalid("day", "a day from the year 2000 on"));
    }
    Ok(())
}

use chrono::Datelike as _;

/// The statistics of `day` (today when `None`) and the [`rules::HISTORY_DAYS`] days up to it.
pub async fn day(s: &Services, actor: &Actor, day: Option<NaiveDate>) -> Result<StatsView> {
    may_see_stats(actor)?;
    let (tz, name) = zone(s).await?;
    let today = rules::local_day_hour(Utc::now(), &tz).0;
    let day = day.unwrap_or(today);
    check_day(day, today)?;
    let first = day - chrono::Duration::days(rules::HISTORY_DAYS as i64 - 1);
    let (from, to) = rules::days_range(first, day, &tz);
    let mut rows = store::calls_between(&s.db, queue_of(s).as_deref(), from, to).await?;
    rules::settle(&mut rows, Utc::now());
    Ok(StatsView {
        today,
        stats: rules::day_stats(day, &tz, &name, &rows),
        history: rules::history(day, rules::HISTORY_DAYS, &tz, &rows),
    })
}

/// The day per hour and per agent as CSV ([`rules::csv_records`]), with its file name.
pub async fn day_csv(s: &Services, actor: &Actor, day: Option<NaiveDate>) -> Result<(String, String)> {
    may_see_stats(actor)?;
    let today = today(s).await?;
    let day = day.unwrap_or(today);
    check_day(day, today)?;
    let stats = stats_of(s, day).await?;
    let csv_err = |e: csv::Error| {
        tracing::error!(error = %e, "queue statistics CSV");
        ServiceError::Internal
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(rules::CSV_HEADER).map_err(csv_err)?;
    for r in rules::csv_records(&stats) {
        w.write_record(&r).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| {
        tracing::error!(error = %e, "queue statistics CSV");
        ServiceError::Internal
    })?;
    Ok((
        String::from_utf8(bytes).map_err(|_| ServiceError::Internal)?,
        format!("queue-stats-{day}.csv"),
    ))
}

/// A short chat-ready text of `day`'s statistics (for the end-of-day post).
pub async fn day_summary_text(s: &Services, actor: &Actor, day: NaiveDate) -> Result<String> {
    may_see_stats(actor)?;
    check_day(day, today(s).await?)?;
    let stats = stats_of(s, day).await?;
    let title = queue_of(s).map_or_else(|| "Queue calls".to_string(), |q| format!("Queue {q}"));
    Ok(rules::summary_text(&title, &stats))
}

/// The day's chat text for the end-of-day post, or `None` when no call reached the queue that
/// day (nothing to report: a holiday, a day without service).
pub async fn day_summary_if_any(s: &Services, actor: &Actor, day: NaiveDate) -> Result<Option<String>> {
    may_see_stats(actor)?;
    check_day(day, today(s).await?)?;
    let stats = stats_of(s, day).await?;
    if stats.figures.received == 0 {
        return Ok(None);
    }
    let title = queue_of(s).map_or_else(|| "Queue calls".to_string(), |q| format!("Queue {q}"));
    Ok(Some(rules::summary_text(&title, &stats)))
}
