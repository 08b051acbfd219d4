//! Daily call statistics, from the stored queue calls (no I/O): calls received, answered,
//! abandoned (and after how long), waiting time, talk time, the share answered within 20 s;
//! per day, per hour of the day (the team's time zone) and per agent; a history of past days;
//! the chat text and the CSV records of a day.
//!
//! Definitions (README "Call statistics"):
//! - received: every call that joined the queue that day (by the hour it joined);
//! - answered / abandoned: answered by an agent / the caller hung up while waiting;
//!   unanswered: left the queue otherwise (a queue timeout), or not seen leaving within
//!   [`LOST_AFTER_HOURS`]; waiting: still in the queue;
//! - waiting time: over the calls that stopped waiting by an answer or an abandon;
//! - talk time: over the answered calls that have ended;
//! - answered within 20 s: answered after a wait of at most 20 s (exactly 20 s counts), as a
//!   share of the calls that stopped waiting (answered, abandoned or unanswered).
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A call answered after at most this wait counts as answered in time.
pub const ANSWER_TARGET_SECS: u32 = 20;
/// How many days the history shows (the chosen day and the days before it).
pub const HISTORY_DAYS: usize = 30;

/// One stored queue call, as the statistics read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRow {
    pub joined_at: DateTime<Utc>,
    /// Seconds waited until answered or abandoned.
    pub wait_secs: Option<u32>,
    pub answered: bool,
    pub abandoned: bool,
    /// Left the queue (however).
    pub left: bool,
    /// Seconds talked, once an answered call ended.
    pub talk_secs: Option<u32>,
    pub agent_interface: Option<String>,
    pub agent_name: Option<String>,
}

/// Where a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Waiting,
    Answered,
    Abandoned,
    /// Left the queue without an answer and without hanging up (a timeout).
    Unanswered,
}

impl CallRow {
    pub fn outcome(&self) -> Outcome {
        if self.answered {
            Outcome::Answered
        } else if self.abandoned {
            Outcome::Abandoned
        } else if self.left {
            Outcome::Unanswered
        } else {
            Outcome::Waiting
        }
    }

    fn answered_in_time(&self) -> bool {
        self.answered && self.wait_secs.is_some_and(|w| w <= ANSWER_TARGET_SECS)
    }
}

/// A caller not seen leaving the queue this long after joining has left it unanswered (the
/// events of its end were missed: Switchboard was not connected then). Queue waits are minutes.
pub const LOST_AFTER_HOURS: i64 = 4;

/// Calls still "waiting" [`LOST_AFTER_HOURS`] after they joined count as left unanswered.
pub fn settle(rows: &mut [CallRow], now: DateTime<Utc>) {
    let cut = now - chrono::Duration::hours(LOST_AFTER_HOURS);
    for r in rows.iter_mut().filter(|r| r.joined_at < cut) {
        r.left = true;
    }
}

/// The figures of a set of calls (a day, an hour).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub received: u32,
    pub answered: u32,
    pub abandoned: u32,
    pub unanswered: u32,
    pub waiting: u32,
    pub wait_avg_secs: Option<f64>,
    pub wait_max_secs: Option<u32>,
    pub abandoned_wait_avg_secs: Option<f64>,
    pub abandoned_wait_max_secs: Option<u32>,
    pub talk_avg_secs: Option<f64>,
    pub talk_total_secs: u64,
    pub answered_in_time: u32,
    /// `answered_in_time` over the calls that stopped waiting; `None` when none did.
    pub in_time_share: Option<f64>,
}

fn avg(total: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| total as f64 / n as f64)
}

/// The figures of these calls.
pub fn figures<'a>(rows: impl IntoIterator<Item = &'a CallRow>) -> Figures {
    let mut f = Figures::default();
    let (mut wait_total, mut waits) = (0u64, 0u64);
    let (mut ab_total, mut abs) = (0u64, 0u64);
    let mut talks = 0u64;
    for r in rows {
        f.received += 1;
        match r.outcome() {
            Outcome::Answered => f.answered += 1,
            Outcome::Abandoned => f.abandoned += 1,
            Outcome::Unanswered => f.unanswered += 1,
            Outcome::Waiting => f.waiting += 1,
        }
        if let (Some(w), Outcome::Answered | Outcome::Abandoned) = (r.wait_secs, r.outcome()) {
            wait_total += u64::from(w);
            waits += 1;
            f.wait_max_secs = Some(f.wait_max_secs.map_or(w, |m| m.max(w)));
            if r.outcome() == Outcome::Abandoned {
                ab_total += u64::from(w);
                abs += 1;
                f.abandoned_wait_max_secs = Some(f.abandoned_wait_max_secs.map_or(w, |m| m.max(w)));
            }
        }
        if let (Some(t), true) = (r.talk_secs, r.answered) {
            f.talk_total_secs += u64::from(t);
            talks += 1;
        }
        if r.answered_in_time() {
            f.answered_in_time += 1;
        }
    }
    f.wait_avg_secs = avg(wait_total, waits);
    f.abandoned_wait_avg_secs = avg(ab_total, abs);
    f.talk_avg_secs = avg(f.talk_total_secs, talks);
    let done = f.received - f.waiting;
    f.in_time_share = (done > 0).then(|| f64::from(f.answered_in_time) / f64::from(done));
    f
}

/// An hour of the day (0–23, the team's clock) and its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HourFigures {
    pub hour: u8,
    pub figures: Figures,
}

/// An agent's answered calls of the day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentFigures {
    pub interface: String,
    pub name: String,
    pub answered: u32,
    pub wait_avg_secs: Option<f64>,
    pub talk_total_secs: u64,
    pub talk_avg_secs: Option<f64>,
}

/// A day's statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayStats {
    pub day: NaiveDate,
    /// The team's time zone the day and hours are in.
    pub zone: String,
    pub figures: Figures,
    /// Every hour 0–23.
    pub hours: Vec<HourFigures>,
    /// Most answered calls first.
    pub agents: Vec<AgentFigures>,
}

/// A past day in the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryDay {
    pub day: NaiveDate,
    pub received: u32,
    pub answered: u32,
    pub abandoned: u32,
}

/// What the statistics page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatsView {
    /// Today in the team's time zone (the day picker's default and latest day).
    pub today: NaiveDate,
    pub stats: DayStats,
    /// The [`HISTORY_DAYS`] days up to the chosen day, oldest first.
    pub history: Vec<HistoryDay>,
}

/// The local day and hour of an instant.
pub fn local_day_hour<Z: TimeZone>(t: DateTime<Utc>, tz: &Z) -> (NaiveDate, u8) {
    let l = t.with_timezone(tz);
    (l.date_naive(), l.hour() as u8)
}

/// The first instant of a local day (its midnight, or the first hour after a gap).
pub fn day_start<Z: TimeZone>(day: NaiveDate, tz: &Z) -> DateTime<Utc> {
    let mut at = day.and_hms_opt(0, 0, 0).expect("midnight");
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += chrono::Duration::hours(1);
    }
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
}

/// The instants `[from, to)` of the local days `first..=last`.
pub fn days_range<Z: TimeZone>(first: NaiveDate, last: NaiveDate, tz: &Z) -> (DateTime<Utc>, DateTime<Utc>) {
    (day_start(first, tz), day_start(last + chrono::Duration::days(1), tz))
}

/// The statistics of `day` from calls (those of other days are left out).
pub fn day_stats<Z: TimeZone>(day: NaiveDate, tz: &Z, zone: &str, rows: &[CallRow]) -> DayStats {
    let of_day: Vec<(u8, &CallRow)> = rows
        .iter()
        .filter_map(|r| {
            let (d, h) = local_day_hour(r.joined_at, tz);
            (d == day).then_some((h, r))
        })
        .collect();
    let hours = (0..24u8)
        .map(|hour| HourFigures {
            hour,
            figures: figures(of_day.iter().filter(|(h, _)| *h == hour).map(|(_, r)| *r)),
        })
        .collect();
    let mut by_agent: BTreeMap<&str, Vec<&CallRow>> = BTreeMap::new();
    for (_, r) in &of_day {
        if let (true, Some(i)) = (r.answered, r.agent_interface.as_deref()) {
            by_agent.entry(i).or_default().push(r);
        }
    }
    let mut agents: Vec<AgentFigures> = by_agent
        .into_iter()
        .map(|(interface, calls)| {
            let f = figures(calls.iter().copied());
            let name = calls
                .iter()
                .rev()
                .find_map(|r| r.agent_name.clone().filter(|n| !n.is_empty()))
                .unwrap_or_else(|| interface.to_string());
            AgentFigures {
                interface: interface.to_string(),
                name,
                answered: f.answered,
                wait_avg_secs: f.wait_avg_secs,
                talk_total_secs: f.talk_total_secs,
                talk_avg_secs: f.talk_avg_secs,
            }
        })
        .collect();
    agents.sort_by(|a, b| b.answered.cmp(&a.answered).then_with(|| a.name.cmp(&b.name)));
    DayStats {
        day,
        zone: zone.to_string(),
        figures: figures(of_day.iter().map(|(_, r)| *r)),
        hours,
        agents,
    }
}

/// Calls received, answered and abandoned on each of the `days` days up to `last`, oldest first
/// (days without calls included).
pub fn history<Z: TimeZone>(last: NaiveDate, days: usize, tz: &Z, rows: &[CallRow]) -> Vec<HistoryDay> {
    let first = last - chrono::Duration::days(days.saturating_sub(1) as i64);
    let mut out: Vec<HistoryDay> = (0..days)
        .map(|i| HistoryDay {
            day: first + chrono::Duration::days(i as i64),
            received: 0,
            answered: 0,
            abandoned: 0,
        })
        .collect();
    for r in rows {
        let (d, _) = local_day_hour(r.joined_at, tz);
        let Some(h) = usize::try_from((d - first).num_days())
            .ok()
            .and_then(|i| out.get_mut(i))
        else {
            continue;
        };
        h.received += 1;
        match r.outcome() {
            Outcome::Answered => h.answered += 1,
            Outcome::Abandoned => h.abandoned += 1,
            _ => {}
        }
    }
    out
}

/// Seconds as `m:ss` (`h:mm:ss` from an hour), rounded to the second; `—` for none.
pub fn duration(secs: Option<f64>) -> String {
    let Some(s) = secs else { return "—".into() };
    let s = s.round().max(0.0) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A share as a whole percentage (`—` for none).
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".into(), |v| format!("{:.0} %", v * 100.0))
}

fn weekday(d: NaiveDate) -> &'static str {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][d.weekday().num_days_from_monday() as usize]
}

/// A short text of the day for the team's chat, headed by `title` (e.g. `Queue support`).
pub fn summary_text(title: &str, s: &DayStats) -> String {
    let f = &s.figures;
    let head = format!("{title}, {} {}", weekday(s.day), s.day.format("%Y-%m-%d"));
    if f.received == 0 {
        return format!("{head}: no calls.");
    }
    let share = |n: u32| percent(Some(f64::from(n) / f64::from(f.received)));
    let mut parts = vec![format!(
        "{head}: {} calls, {} answered ({})",
        f.received,
        f.answered,
        share(f.answered)
    )];
    if f.abandoned > 0 {
        parts.push(format!(
            "{} abandoned (after {} on average)",
            f.abandoned,
            duration(f.abandoned_wait_avg_secs)
        ));
    } else {
        parts.push("none abandoned".into());
    }
    if f.unanswered > 0 {
        parts.push(format!("{} not answered", f.unanswered));
    }
    if f.waiting > 0 {
        parts.push(format!("{} still waiting", f.waiting));
    }
    let mut text = parts.join(", ") + ".";
    text.push_str(&format!(
        " Wait {} on average, {} at most; {} answered within {ANSWER_TARGET_SECS} s.",
        duration(f.wait_avg_secs),
        duration(f.wait_max_secs.map(f64::from)),
        percent(f.in_time_share)
    ));
    if f.answered > 0 {
        text.push_str(&format!(
            " Talk {} on average, {} in all.",
            duration(f.talk_avg_secs),
            duration(Some(f.talk_total_secs as f64))
        ));
    }
    if !s.agents.is_empty() {
        let top: Vec<String> = s
            .agents
            .iter()
            .take(5)
            .map(|a| format!("{} {}", a.name, a.answered))
            .collect();
        text.push_str(&format!(" Answered by: {}.", top.join(", ")));
    }
    text
}

/// The CSV columns of [`csv_records`].
pub const CSV_HEADER: [&str; 14] = [
    "kind",
    "key",
    "name",
    "received",
    "answered",
    "abandoned",
    "unanswered",
    "wait_avg_secs",
    "wait_max_secs",
    "abandoned_wait_avg_secs",
    "answered_within_20s",
    "answered_within_20s_share",
    "talk_total_secs",
    "talk_avg_secs",
];

fn secs(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn figures_record(kind: &str, key: String, name: String, f: &Figures) -> Vec<String> {
    vec![
        kind.into(),
        key,
        name,
        f.received.to_string(),
        f.answered.to_string(),
        f.abandoned.to_string(),
        f.unanswered.to_string(),
        secs(f.wait_avg_secs),
        f.wait_max_secs.map(|v| v.to_string()).unwrap_or_default(),
        secs(f.abandoned_wait_avg_secs),
        f.answered_in_time.to_string(),
        f.in_time_share.map(|v| format!("{v:.3}")).unwrap_or_default(),
        f.talk_total_secs.to_string(),
        secs(f.talk_avg_secs),
    ]
}

/// The day as CSV records: one `day` line, one `hour` line per hour 0–23 (`key` 00–23), one
/// `agent` line per agent (`key` the interface; figures of the calls they answered).
pub fn csv_records(s: &DayStats) -> Vec<Vec<String>> {
    let mut out = vec![figures_record("day", s.day.to_string(), s.zone.clone(), &s.figures)];
    for h in &s.hours {
        out.push(figures_record(
            "hour",
            format!("{:02}", h.hour),
            String::new(),
            &h.figures,
        ));
    }
    for a in &s.agents {
        out.push(vec![
            "agent".into(),
            a.interface.clone(),
            a.name.clone(),
            String::new(),
            a.answered.to_string(),
            String::new(),
            String::new(),
            secs(a.wait_avg_secs),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            a.talk_total_secs.to_string(),
            secs(a.talk_avg_secs),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Madrid;

    fn at(hms: &str) -> DateTime<Utc> {
        // 2026-12-03 in Madrid is UTC+1.
        DateTime::parse_from_rfc3339(&format!("2026-12-03T{hms}+01:00"))
            .expect("time")
            .with_timezone(&Utc)
    }

    fn answered(t: &str, wait: u32, talk: Option<u32>, agent: &str) -> CallRow {
        CallRow {
            joined_at: at(t),
            wait_secs: Some(wait),
            answered: true,
            abandoned: false,
            left: true,
            talk_secs: talk,
            agent_interface: Some(format!("PJSIP/{agent}")),
            agent_name: Some(format!("Agent {agent}")),
        }
    }

    fn abandoned(t: &str, wait: u32) -> CallRow {
        CallRow {
            joined_at: at(t),
            wait_secs: Some(wait),
            answered: false,
            abandoned: true,
            left: true,
            talk_secs: None,
            agent_interface: None,
            agent_name: None,
        }
    }

    fn waiting(t: &str) -> CallRow {
        CallRow {
            joined_at: at(t),
            wait_secs: None,
            answered: false,
            abandoned: false,
            left: false,
            talk_secs: None,
            agent_interface: None,
            agent_name: None,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).expect("day")
    }

    #[test]
    fn no_calls_have_no_averages_and_say_so() {
        let s = day_stats(day(), &Madrid, "Europe/Madrid", &[]);
        assert_eq!(s.figures, Figures::default());
        assert_eq!(s.figures.in_time_share, None);
        assert_eq!(s.hours.len(), 24);
        assert!(s.agents.is_empty());
        assert_eq!(
            summary_text("Queue support", &s),
            "Queue support, Thu 2026-12-03: no calls."
        );
        let rec = csv_records(&s);
        assert_eq!(rec.len(), 1 + 24);
        assert_eq!(
            rec[0],
            vec![
                "day",
                "2026-12-03",
                "Europe/Madrid",
                "0",
                "0",
                "0",
                "0",
                "",
                "",
                "",
                "0",
                "",
                "0",
                ""
            ]
        );
    }

    #[test]
    fn a_day_of_answered_abandoned_and_waiting_calls() {
        let rows = vec![
            answered("09:05:00", 10, Some(120), "202"),
            answered("09:40:00", 20, Some(60), "203"),
            answered("10:10:00", 21, Some(90), "202"),
            answered("10:20:00", 5, None, "202"), // still talking
            abandoned("10:30:00", 45),
            abandoned("11:00:00", 15),
            waiting("11:30:00"),
            // Another day (Madrid): left out.
            answered("00:30:00", 1, Some(1), "202").tap(|r| r.joined_at -= chrono::Duration::hours(1)),
        ];
        let s = day_stats(day(), &Madrid, "Europe/Madrid", &rows);
        let f = &s.figures;
        assert_eq!(
            (f.received, f.answered, f.abandoned, f.unanswered, f.waiting),
            (7, 4, 2, 0, 1)
        );
        // Waits of the answered and abandoned: 10 + 20 + 21 + 5 + 45 + 15 = 116 over 6.
        assert_eq!(f.wait_avg_secs, Some(116.0 / 6.0));
        assert_eq!(f.wait_max_secs, Some(45));
        assert_eq!(f.abandoned_wait_avg_secs, Some(30.0));
        assert_eq!(f.abandoned_wait_max_secs, Some(45));
        // Talk of the ended calls: 120 + 60 + 90.
        assert_eq!(f.talk_total_secs, 270);
        assert_eq!(f.talk_avg_secs, Some(90.0));
        // Within 20 s (20 itself counts): 10, 20, 5 — of 6 calls that stopped waiting.
        assert_eq!(f.answered_in_time, 3);
        assert_eq!(f.in_time_share, Some(0.5));

        let h9 = &s.hours[9].figures;
        assert_eq!((h9.received, h9.answered, h9.answered_in_time), (2, 2, 2));
        assert_eq!(h9.in_time_share, Some(1.0));
        let h10 = &s.hours[10].figures;
        assert_eq!((h10.received, h10.answered, h10.abandoned), (3, 2, 1));
        assert_eq!(h10.in_time_share, Some(1.0 / 3.0));
        let h11 = &s.hours[11].figures;
        assert_eq!((h11.received, h11.abandoned, h11.waiting), (2, 1, 1));
        assert_eq!(s.hours[0].figures.received, 0, "the other day's call is not in hour 0");

        assert_eq!(
            s.agents,
            vec![
                AgentFigures {
                    interface: "PJSIP/202".into(),
                    name: "Agent 202".into(),
                    answered: 3,
                    wait_avg_secs: Some(12.0),
                    talk_total_secs: 210,
                    talk_avg_secs: Some(105.0),
                },
                AgentFigures {
                    interface: "PJSIP/203".into(),
                    name: "Agent 203".into(),
                    answered: 1,
                    wait_avg_secs: Some(20.0),
                    talk_total_secs: 60,
                    talk_avg_secs: Some(60.0),
                },
            ]
        );
        assert_eq!(
            summary_text("Queue support", &s),
            "Queue support, Thu 2026-12-03: 7 calls, 4 answered (57 %), 2 abandoned (after 0:30 on average), \
             1 still waiting. Wait 0:19 on average, 0:45 at most; 50 % answered within 20 s. \
             Talk 1:30 on average, 4:30 in all. Answered by: Agent 202 3, Agent 203 1."
        );
        let rec = csv_records(&s);
        assert_eq!(rec.len(), 1 + 24 + 2);
        assert_eq!(
            rec[0],
            vec![
                "day",
                "2026-12-03",
                "Europe/Madrid",
                "7",
                "4",
                "2",
                "0",
                "19.3",
                "45",
                "30.0",
                "3",
                "0.500",
                "270",
                "90.0"
            ]
        );
        assert_eq!(
            rec[1 + 10],
            vec![
                "hour", "10", "", "3", "2", "1", "0", "23.7", "45", "45.0", "1", "0.333", "90", "90.0"
            ]
        );
        assert_eq!(
            rec[25],
            vec![
                "agent",
                "PJSIP/202",
                "Agent 202",
                "",
                "3",
                "",
                "",
                "12.0",
                "",
                "",
                "",
                "",
                "210",
                "105.0"
            ]
        );
    }

    trait Tap: Sized {
        fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
            f(&mut self);
            self
        }
    }
    impl Tap for CallRow {}

    #[test]
    fn all_abandoned_is_none_in_time_and_no_talk() {
        let rows = vec![abandoned("09:00:00", 30), abandoned("09:10:00", 90)];
        let f = figures(&rows);
        assert_eq!((f.received, f.answered, f.abandoned), (2, 0, 2));
        assert_eq!(f.answered_in_time, 0);
        assert_eq!(f.in_time_share, Some(0.0));
        assert_eq!(f.wait_avg_secs, Some(60.0));
        assert_eq!(f.abandoned_wait_max_secs, Some(90));
        assert_eq!(f.talk_avg_secs, None);
        assert_eq!(f.talk_total_secs, 0);
        let s = day_stats(day(), &Madrid, "Europe/Madrid", &rows);
        assert!(s.agents.is_empty());
        assert_eq!(
            summary_text("Queue support", &s),
            "Queue support, Thu 2026-12-03: 2 calls, 0 answered (0 %), 2 abandoned (after 1:00 on average). \
             Wait 1:00 on average, 1:30 at most; 0 % answered within 20 s."
        );
    }

    #[test]
    fn answered_exactly_at_20_seconds_is_in_time_and_21_is_not() {
        let f = figures(&[answered("09:00:00", 20, Some(30), "202")]);
        assert_eq!((f.answered_in_time, f.in_time_share), (1, Some(1.0)));
        let f = figures(&[answered("09:00:00", 21, Some(30), "202")]);
        assert_eq!((f.answered_in_time, f.in_time_share), (0, Some(0.0)));
    }

    #[test]
    fn only_waiting_calls_have_no_share_yet() {
        let f = figures(&[waiting("09:00:00")]);
        assert_eq!((f.received, f.waiting), (1, 1));
        assert_eq!(f.in_time_share, None);
        assert_eq!(f.wait_avg_secs, None);
    }

    #[test]
    fn a_call_never_seen_leaving_is_unanswered_after_four_hours() {
        let mut rows = vec![
            waiting("08:59:59"),
            waiting("09:00:00"),
            answered("08:00:00", 3, Some(9), "202"),
        ];
        settle(&mut rows, at("13:00:00"));
        let got: Vec<Outcome> = rows.iter().map(CallRow::outcome).collect();
        assert_eq!(got, vec![Outcome::Unanswered, Outcome::Waiting, Outcome::Answered]);
    }

    #[test]
    fn a_call_out_by_a_timeout_is_unanswered() {
        let mut r = waiting("09:00:00");
        r.left = true;
        assert_eq!(r.outcome(), Outcome::Unanswered);
        let f = figures(&[r]);
        assert_eq!((f.unanswered, f.waiting, f.in_time_share), (1, 0, Some(0.0)));
    }

    #[test]
    fn history_counts_each_local_day_oldest_first_with_empty_days() {
        let mut late = answered("23:30:00", 3, Some(10), "202");
        // 23:30 UTC on the 3rd is 00:30 on the 4th in Madrid.
        late.joined_at = DateTime::parse_from_rfc3339("2026-12-03T23:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let mut before = abandoned("09:00:00", 10);
        before.joined_at -= chrono::Duration::days(2);
        let rows = vec![
            answered("09:00:00", 3, Some(10), "202"),
            abandoned("10:00:00", 40),
            late,
            before,
        ];
        let last = NaiveDate::from_ymd_opt(2026, 12, 4).expect("day");
        let h = history(last, 4, &Madrid, &rows);
        let got: Vec<(String, u32, u32, u32)> = h
            .iter()
            .map(|d| (d.day.to_string(), d.received, d.answered, d.abandoned))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-12-01".to_string(), 1, 0, 1),
                ("2026-12-02".to_string(), 0, 0, 0),
                ("2026-12-03".to_string(), 2, 1, 1),
                ("2026-12-04".to_string(), 1, 1, 0),
            ]
        );
    }

    #[test]
    fn day_bounds_follow_the_zone_and_summer_time() {
        let (from, to) = days_range(day(), day(), &Madrid);
        assert_eq!(from.to_rfc3339(), "2026-12-02T23:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-03T23:00:00+00:00");
        // The day summer time starts has 23 hours.
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).expect("day");
        let (from, to) = days_range(d, d, &Madrid);
        assert_eq!((to - from).num_hours(), 23);
    }

    #[test]
    fn durations_and_percentages_read_well() {
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(0.4)), "0:00");
        assert_eq!(duration(Some(65.5)), "1:06");
        assert_eq!(duration(Some(3725.0)), "1:02:05");
        assert_eq!(percent(Some(0.5)), "50 %");
        assert_eq!(percent(None), "—");
    }
}
