//! How many calls a callout may place in one run of the dialing worker, and when it may call.
//!
//! Each limit is optional; the number placed is the smallest of the limits that are set, and
//! none set means no limit ([`NO_LIMIT`], which the worker caps with its own batch size):
//! - **max calls per run** M with a strategy: *optimistic* places up to M; *pessimistic* places
//!   up to max(M − calls awaiting completion, P), P being the minimum per run (default 1);
//! - **max calls per period**: at most Q calls sent in any window of H hours (default 24),
//!   counted from each call's sent time (a call sent exactly H hours ago no longer counts);
//! - **max concurrent calls**: calls awaiting completion (`CallStatus::IN_FLIGHT`: created, queued, remotely queued, in progress)
//!   never exceed it;
//! - **calls per second**: at most this many calls sent in the last second.
//!
//! Calling hours and days are checked in a time zone (the contact's, or the team's).
use super::Invalid;
use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// "No limit is set": the worker caps this with its own batch size.
pub const NO_LIMIT: u32 = u32::MAX;

/// Upper bounds for the settings: larger values are surely a typo.
pub const MAX_PER_RUN_CAP: u32 = 100_000;
pub const MAX_PER_PERIOD_CAP: u32 = 10_000_000;
pub const MAX_PERIOD_HOURS: u32 = 24 * 31;
pub const MAX_CONCURRENT_CAP: u32 = 100_000;
pub const MAX_CPS_CAP: u32 = 10_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Place up to M new calls per run, whatever is still in flight.
    #[default]
    Optimistic,
    /// Place up to max(M − calls awaiting completion, P).
    Pessimistic,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Optimistic => "optimistic",
            Strategy::Pessimistic => "pessimistic",
        }
    }

    pub fn parse(s: &str) -> Result<Strategy, Invalid> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "optimistic" => Ok(Strategy::Optimistic),
            "pessimistic" => Ok(Strategy::Pessimistic),
            other => Err(Invalid::new(
                "strategy",
                format!("unknown strategy '{other}' (optimistic or pessimistic)"),
            )),
        }
    }
}

/// A callout's limits, validated (build it with [`PacingSettings::new`] from raw input).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacingSettings {
    pub max_calls_per_run: Option<u32>,
    pub strategy: Strategy,
    /// P: the pessimistic strategy places at least this many per run.
    pub min_calls_per_run: u32,
    pub max_calls_per_period: Option<u32>,
    /// H: the window of `max_calls_per_period`, in hours.
    pub period_hours: u32,
    pub max_concurrent_calls: Option<u32>,
    pub calls_per_second: Option<u32>,
}

impl Default for PacingSettings {
    fn default() -> Self {
        PacingSettings {
            max_calls_per_run: None,
            strategy: Strategy::Optimistic,
            min_calls_per_run: 1,
            max_calls_per_period: None,
            period_hours: 24,
            max_concurrent_calls: None,
            calls_per_second: None,
        }
    }
}

/// The settings as a form or the API gives them: missing values take the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawPacing {
    pub max_calls_per_run: Option<i64>,
    pub strategy: Option<String>,
    pub min_calls_per_run: Option<i64>,
    pub max_calls_per_period: Option<i64>,
    pub period_hours: Option<i64>,
    pub max_concurrent_calls: Option<i64>,
    pub calls_per_second: Option<i64>,
}

fn bounded(field: &str, v: Option<i64>, min: i64, max: u32) -> Result<Option<u32>, Invalid> {
    match v {
        None => Ok(None),
        Some(n) if n < min => Err(Invalid::new(
            field,
            if min == 1 {
                "must be at least 1 (leave it empty for no limit)".to_string()
            } else {
                format!("must be at least {min}")
            },
        )),
        Some(n) if n > max as i64 => Err(Invalid::new(field, format!("must be at most {max}"))),
        Some(n) => Ok(Some(n as u32)),
    }
}

impl PacingSettings {
    /// Validates raw settings: limits are at least 1 (0 would never call: pause the callout
    /// instead), the minimum per run may be 0 but not above the maximum per run, the period is
    /// 1 hour to 31 days. The error names the field.
    pub fn new(raw: &RawPacing) -> Result<PacingSettings, Invalid> {
        let max_calls_per_run = bounded("max_calls_per_run", raw.max_calls_per_run, 1, MAX_PER_RUN_CAP)?;
        let strategy = Strategy::parse(raw.strategy.as_deref().unwrap_or(""))?;
        let min_calls_per_run = bounded("min_calls_per_run", raw.min_calls_per_run, 0, MAX_PER_RUN_CAP)?.unwrap_or(1);
        if let Some(m) = max_calls_per_run
            && min_calls_per_run > m
        {
            return Err(Invalid::new(
                "min_calls_per_run",
                format!("must not exceed the max calls per run ({m})"),
            ));
        }
        let max_calls_per_period = bounded("max_calls_per_period", raw.max_calls_per_period, 1, MAX_PER_PERIOD_CAP)?;
        let period_hours = bounded("period_hours", raw.period_hours, 1, MAX_PERIOD_HOURS)?.unwrap_or(24);
        let max_concurrent_calls = bounded("max_concurrent_calls", raw.max_concurrent_calls, 1, MAX_CONCURRENT_CAP)?;
        let calls_per_second = bounded("calls_per_second", raw.calls_per_second, 1, MAX_CPS_CAP)?;
        Ok(PacingSettings {
            max_calls_per_run,
            strategy,
            min_calls_per_run,
            max_calls_per_period,
            period_hours,
            max_concurrent_calls,
            calls_per_second,
        })
    }

    pub fn period(&self) -> TimeDelta {
        TimeDelta::hours(self.period_hours as i64)
    }

    /// Calls sent after this instant count against `max_calls_per_period` (strictly after: a
    /// call sent exactly H hours ago no longer counts).
    pub fn period_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.period()
    }

    /// How many of these send times fall in the current period.
    pub fn sent_in_period(&self, now: DateTime<Utc>, sent: impl IntoIterator<Item = DateTime<Utc>>) -> u32 {
        let start = self.period_start(now);
        sent.into_iter().filter(|t| *t > start && *t <= now).count() as u32
    }
}

/// What the worker knows about a callout when it runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacingState {
    /// This callout's calls queued, remotely queued or in progress.
    pub awaiting_completion: u32,
    /// Calls sent in the current period (see [`PacingSettings::sent_in_period`]).
    pub sent_in_period: u32,
    /// Calls sent in the last second.
    pub sent_last_second: u32,
}

/// Which limit decided a run's count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    PerRun,
    PerPeriod,
    Concurrent,
    PerSecond,
}

/// The number of calls to place now and the limit that decided it (`None`: no limit set, the
/// count is [`NO_LIMIT`]).
pub fn calls_to_place_by(settings: &PacingSettings, state: &PacingState) -> (u32, Option<Limit>) {
    let mut limits: Vec<(u32, Limit)> = Vec::with_capacity(4);
    if let Some(m) = settings.max_calls_per_run {
        let n = match settings.strategy {
            Strategy::Optimistic => m,
            Strategy::Pessimistic => m
                .saturating_sub(state.awaiting_completion)
                .max(settings.min_calls_per_run),
        };
        limits.push((n, Limit::PerRun));
    }
    if let Some(q) = settings.max_calls_per_period {
        limits.push((q.saturating_sub(state.sent_in_period), Limit::PerPeriod));
    }
    if let Some(c) = settings.max_concurrent_calls {
        limits.push((c.saturating_sub(state.awaiting_completion), Limit::Concurrent));
    }
    if let Some(cps) = settings.calls_per_second {
        limits.push((cps.saturating_sub(state.sent_last_second), Limit::PerSecond));
    }
    limits
        .into_iter()
        .min_by_key(|(n, _)| *n)
        .map_or((NO_LIMIT, None), |(n, l)| (n, Some(l)))
}

/// The number of calls to place now: the smallest of the limits that are set; [`NO_LIMIT`] when
/// none is.
pub fn calls_to_place(settings: &PacingSettings, state: &PacingState) -> u32 {
    calls_to_place_by(settings, state).0
}

/// Calls of one callout are sent to the provider in *send slots* spaced by [`slot_gap`], handed
/// out under the callout's lock from one shared "next free slot", so the provider receives at
/// most `calls_per_second` calls in any one-second window, with any number of instances. The gap
/// is this much wider than 1/cps, so that cps slots span 1.1 s: a request may arrive up to
/// 100 ms later than the one `cps` slots after it (network and scheduling jitter, the instances'
/// estimates of the database's clock) before a window holds one too many.
pub const SLOT_GUARD: f64 = 0.1;

/// The time between two send slots at `cps` calls per second.
pub fn slot_gap(cps: u32) -> TimeDelta {
    let micros = ((1.0 + SLOT_GUARD) * 1e6 / cps.max(1) as f64).ceil() as i64;
    TimeDelta::microseconds(micros)
}

/// The send slots to hand out now: how many start before `now + horizon`, the first at
/// `next_free` (or now, if that is past), each [`slot_gap`] after the one before. Returns the
/// count and the first slot; the next free slot is then `first + count × gap`.
pub fn send_slots(
    cps: u32,
    next_free: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    horizon: TimeDelta,
) -> (u32, DateTime<Utc>) {
    let first = next_free.map_or(now, |t| t.max(now));
    let end = now + horizon;
    if first >= end {
        return (0, first);
    }
    let gap = slot_gap(cps).num_microseconds().unwrap_or(1).max(1);
    let span = (end - first).num_microseconds().unwrap_or(i64::MAX);
    // Slots first + k·gap < end, k = 0, 1, …
    let n = (span - 1) / gap + 1;
    (n.clamp(0, u32::MAX as i64) as u32, first)
}

/// When calls may be placed, in local time: days of the week and a time span. `start == end`
/// means all day; `end < start` spans midnight (22:00–02:00 belongs to the day it starts on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallingHours {
    pub days: Vec<Weekday>,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for CallingHours {
    /// Monday to Friday, 09:00–20:00.
    fn default() -> Self {
        CallingHours {
            days: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            start: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
            end: NaiveTime::from_hms_opt(20, 0, 0).expect("valid time"),
        }
    }
}

impl CallingHours {
    /// Parses days ("mon,tue,…", "mon-fri" ranges allowed) and times ("HH:MM").
    pub fn parse(days: &str, start: &str, end: &str) -> Result<CallingHours, Invalid> {
        let time = |field: &str, s: &str| {
            NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .map_err(|_| Invalid::new(field, format!("'{}' is not a time (HH:MM)", s.trim())))
        };
        let start = time("calling_hours_start", start)?;
        let end = time("calling_hours_end", end)?;
        let mut out: Vec<Weekday> = Vec::new();
        for part in days.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let day = |s: &str| {
                s.trim()
                    .parse::<Weekday>()
                    .map_err(|_| Invalid::new("calling_days", format!("'{}' is not a day of the week", s.trim())))
            };
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (day(a)?, day(b)?),
                None => (day(part)?, day(part)?),
            };
            let mut d = a;
            loop {
                if !out.contains(&d) {
                    out.push(d);
                }
                if d == b {
                    break;
                }
                d = d.succ();
            }
        }
        if out.is_empty() {
            return Err(Invalid::new("calling_days", "choose at least one day"));
        }
        out.sort_by_key(|d| d.num_days_from_monday());
        Ok(CallingHours { days: out, start, end })
    }

    /// Whether `now` is within these hours in the time zone `tz`.
    pub fn contains(&self, tz: Tz, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&tz);
        let t = local.time().with_nanosecond(0).unwrap_or(local.time());
        let today = local.weekday();
        let on = |d: Weekday| self.days.contains(&d);
        if self.start == self.end {
            on(today)
        } else if self.start < self.end {
            on(today) && t >= self.start && t < self.end
        } else {
            (on(today) && t >= self.start) || (on(today.pred()) && t < self.end)
        }
    }
}

/// Parses an IANA time zone name such as `Europe/Madrid`.
pub fn parse_time_zone(name: &str) -> Result<Tz, Invalid> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| Invalid::new("time_zone", format!("unknown time zone '{}'", name.trim())))
}

/// Whether `now` is within `hours` for a contact in the IANA zone `zone`.
pub fn within_calling_hours(hours: &CallingHours, zone: &str, now: DateTime<Utc>) -> Result<bool, Invalid> {
    Ok(hours.contains(parse_time_zone(zone)?, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn per_run(m: u32, strategy: Strategy) -> PacingSettings {
        PacingSettings {
            max_calls_per_run: Some(m),
            strategy,
            ..Default::default()
        }
    }

    #[test]
    fn send_slots_never_put_more_than_cps_in_a_second() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let second = TimeDelta::seconds(1);
        for cps in [1, 3, 10, 30, 100, 1000] {
            // From nothing: a second's worth, no more.
            let (n, first) = send_slots(cps, None, now, second);
            assert_eq!(first, now);
            assert!(n <= cps && n + 2 >= cps * 90 / 100, "{cps}: {n}");
            // Slots handed out over many rounds at uneven times: any one-second window holds at most cps.
            let mut next = None;
            let mut slots: Vec<DateTime<Utc>> = Vec::new();
            let mut t = now;
            for round in 0..40 {
                let (n, first) = send_slots(cps, next, t, second);
                for k in 0..n {
                    slots.push(first + slot_gap(cps) * k as i32);
                }
                next = Some(first + slot_gap(cps) * n as i32);
                t += TimeDelta::milliseconds(137 + (round % 5) * 211);
            }
            for (i, a) in slots.iter().enumerate() {
                let within = slots[i..].iter().take_while(|b| **b - *a <= second).count();
                assert!(within as u32 <= cps, "{cps}: {within} slots in one second");
            }
            assert!(slots.windows(2).all(|w| w[1] - w[0] >= slot_gap(cps)));
        }
        // The next free slot far ahead: nothing now.
        let (n, _) = send_slots(10, Some(now + TimeDelta::seconds(2)), now, second);
        assert_eq!(n, 0);
        // A next free slot in the past (an instance died): from now.
        let (_, first) = send_slots(10, Some(now - TimeDelta::seconds(30)), now, second);
        assert_eq!(first, now);
    }

    fn awaiting(n: u32) -> PacingState {
        PacingState {
            awaiting_completion: n,
            ..Default::default()
        }
    }

    #[test]
    fn optimistic_m30_places_30() {
        let s = per_run(30, Strategy::Optimistic);
        assert_eq!(calls_to_place(&s, &awaiting(0)), 30);
        assert_eq!(calls_to_place(&s, &awaiting(10)), 30);
        assert_eq!(calls_to_place(&s, &awaiting(500)), 30);
    }

    #[test]
    fn pessimistic_m30_with_10_awaiting_places_20() {
        assert_eq!(calls_to_place(&per_run(30, Strategy::Pessimistic), &awaiting(10)), 20);
    }

    #[test]
    fn pessimistic_m30_with_30_awaiting_and_p1_places_1() {
        let s = per_run(30, Strategy::Pessimistic);
        assert_eq!(s.min_calls_per_run, 1);
        assert_eq!(calls_to_place(&s, &awaiting(30)), 1);
        assert_eq!(calls_to_place(&s, &awaiting(45)), 1);
        let p0 = PacingSettings {
            min_calls_per_run: 0,
            ..s.clone()
        };
        assert_eq!(calls_to_place(&p0, &awaiting(30)), 0);
        let p5 = PacingSettings {
            min_calls_per_run: 5,
            ..s
        };
        assert_eq!(calls_to_place(&p5, &awaiting(28)), 5);
    }

    #[test]
    fn q100_per_24h_counts_calls_sent_within_the_window() {
        let s = PacingSettings {
            max_calls_per_period: Some(100),
            ..Default::default()
        };
        assert_eq!(s.period_hours, 24);
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        let state = |sent: DateTime<Utc>| PacingState {
            sent_in_period: s.sent_in_period(now, [sent]),
            ..Default::default()
        };
        // Sent 23 h ago: still in the window → 99 remain.
        assert_eq!(calls_to_place(&s, &state(now - TimeDelta::hours(23))), 99);
        // Sent 24 h 1 min ago: out of the window → 100 remain.
        assert_eq!(
            calls_to_place(&s, &state(now - TimeDelta::hours(24) - TimeDelta::minutes(1))),
            100
        );
        // Exactly 24 h ago: out.
        assert_eq!(calls_to_place(&s, &state(now - TimeDelta::hours(24))), 100);
        assert_eq!(s.period_start(now), now - TimeDelta::hours(24));
        // A full period places nothing.
        let full = PacingState {
            sent_in_period: 100,
            ..Default::default()
        };
        assert_eq!(calls_to_place(&s, &full), 0);
    }

    #[test]
    fn the_smallest_limit_that_is_set_wins() {
        assert_eq!(
            calls_to_place_by(&PacingSettings::default(), &awaiting(7)),
            (NO_LIMIT, None)
        );
        let s = PacingSettings {
            max_calls_per_run: Some(30),
            max_calls_per_period: Some(1000),
            max_concurrent_calls: Some(25),
            calls_per_second: Some(50),
            ..Default::default()
        };
        let st = PacingState {
            awaiting_completion: 10,
            sent_in_period: 990,
            sent_last_second: 0,
        };
        assert_eq!(calls_to_place_by(&s, &st), (10, Some(Limit::PerPeriod)));
        let st = PacingState {
            sent_in_period: 0,
            ..st
        };
        assert_eq!(calls_to_place_by(&s, &st), (15, Some(Limit::Concurrent)));
        let st = PacingState {
            sent_last_second: 45,
            ..st
        };
        assert_eq!(calls_to_place_by(&s, &st), (5, Some(Limit::PerSecond)));
        let st = PacingState {
            awaiting_completion: 0,
            sent_last_second: 0,
            ..st
        };
        assert_eq!(calls_to_place_by(&s, &st), (25, Some(Limit::Concurrent)));
        // Concurrency bounds the pessimistic minimum too: no limit is ever exceeded.
        let s = PacingSettings {
            max_concurrent_calls: Some(30),
            ..per_run(30, Strategy::Pessimistic)
        };
        assert_eq!(calls_to_place(&s, &awaiting(30)), 0);
    }

    #[test]
    fn settings_validation_names_the_field() {
        let ok = PacingSettings::new(&RawPacing::default()).unwrap();
        assert_eq!(ok, PacingSettings::default());
        let raw = RawPacing {
            max_calls_per_run: Some(30),
            strategy: Some("Pessimistic".into()),
            min_calls_per_run: Some(2),
            max_calls_per_period: Some(100),
            period_hours: Some(12),
            max_concurrent_calls: Some(10),
            calls_per_second: Some(5),
        };
        let s = PacingSettings::new(&raw).unwrap();
        assert_eq!(s.strategy, Strategy::Pessimistic);
        assert_eq!((s.min_calls_per_run, s.period_hours), (2, 12));

        let bad = |f: fn(&mut RawPacing)| {
            let mut r = raw.clone();
            f(&mut r);
            PacingSettings::new(&r).unwrap_err().field
        };
        assert_eq!(bad(|r| r.max_calls_per_run = Some(0)), "max_calls_per_run");
        assert_eq!(bad(|r| r.max_calls_per_run = Some(-3)), "max_calls_per_run");
        assert_eq!(bad(|r| r.strategy = Some("greedy".into())), "strategy");
        assert_eq!(bad(|r| r.min_calls_per_run = Some(-1)), "min_calls_per_run");
        assert_eq!(bad(|r| r.min_calls_per_run = Some(31)), "min_calls_per_run");
        assert_eq!(bad(|r| r.max_calls_per_period = Some(0)), "max_calls_per_period");
        assert_eq!(bad(|r| r.period_hours = Some(0)), "period_hours");
        assert_eq!(bad(|r| r.period_hours = Some(24 * 365)), "period_hours");
        assert_eq!(bad(|r| r.max_concurrent_calls = Some(-1)), "max_concurrent_calls");
        assert_eq!(bad(|r| r.calls_per_second = Some(0)), "calls_per_second");
        // P = 0 is allowed: pessimistic then never exceeds M.
        assert!(
            PacingSettings::new(&RawPacing {
                min_calls_per_run: Some(0),
                ..raw.clone()
            })
            .is_ok()
        );
    }

    #[test]
    fn calling_hours_in_a_time_zone() {
        let h = CallingHours::parse("mon-fri", "09:00", "20:00").unwrap();
        assert_eq!(h, CallingHours::default());
        // Monday 2 March 2026: Madrid is UTC+1 in winter.
        let utc = |d, hh, mm| Utc.with_ymd_and_hms(2026, 3, d, hh, mm, 0).unwrap();
        assert!(!within_calling_hours(&h, "Europe/Madrid", utc(2, 7, 59)).unwrap()); // 08:59
        assert!(within_calling_hours(&h, "Europe/Madrid", utc(2, 8, 0)).unwrap()); // 09:00
        assert!(within_calling_hours(&h, "Europe/Madrid", utc(2, 18, 59)).unwrap()); // 19:59
        assert!(!within_calling_hours(&h, "Europe/Madrid", utc(2, 19, 0)).unwrap()); // 20:00
        // The same instant is outside the hours in New York (03:00).
        assert!(!within_calling_hours(&h, "America/New_York", utc(2, 8, 0)).unwrap());
        // Saturday 7 March: no calls.
        assert!(!within_calling_hours(&h, "Europe/Madrid", utc(7, 11, 0)).unwrap());
        // Friday 23:30 UTC is already Saturday in Madrid.
        assert!(
            !within_calling_hours(
                &CallingHours::parse("fri", "00:00", "00:00").unwrap(),
                "Europe/Madrid",
                utc(6, 23, 30)
            )
            .unwrap()
        );
        // Summer time: 29 March 2026 Madrid is UTC+2 from 01:00 UTC.
        let mon = Utc.with_ymd_and_hms(2026, 3, 30, 7, 0, 0).unwrap(); // 09:00 CEST
        assert!(within_calling_hours(&h, "Europe/Madrid", mon).unwrap());
        assert_eq!(
            within_calling_hours(&h, "Mars/Olympus", mon).unwrap_err().field,
            "time_zone"
        );
    }

    #[test]
    fn overnight_hours_and_parsing() {
        let h = CallingHours::parse("fri", "22:00", "02:00").unwrap();
        let tz = parse_time_zone("UTC").unwrap();
        let at = |d, hh| Utc.with_ymd_and_hms(2026, 3, d, hh, 0, 0).unwrap();
        assert!(h.contains(tz, at(6, 23))); // Friday 23:00
        assert!(h.contains(tz, at(7, 1))); // Saturday 01:00, the Friday span
        assert!(!h.contains(tz, at(7, 3)));
        assert!(!h.contains(tz, at(6, 1))); // Friday 01:00 belongs to Thursday's span
        assert_eq!(
            CallingHours::parse("sat-mon", "9:00", "17:30").unwrap().days,
            vec![Weekday::Mon, Weekday::Sat, Weekday::Sun]
        );
        assert_eq!(
            CallingHours::parse("", "09:00", "17:00").unwrap_err().field,
            "calling_days"
        );
        assert_eq!(
            CallingHours::parse("funday", "09:00", "17:00").unwrap_err().field,
            "calling_days"
        );
        assert_eq!(
            CallingHours::parse("mon", "9h", "17:00").unwrap_err().field,
            "calling_hours_start"
        );
        assert_eq!(
            CallingHours::parse("mon", "09:00", "25:00").unwrap_err().field,
            "calling_hours_end"
        );
    }
}
