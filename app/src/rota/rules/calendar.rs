//! A person's published phone turns as an iCalendar feed (RFC 5545), for a calendar app to
//! subscribe to at `/calendar/<handle>.ics?token=…`.
//!
//! Times are written in UTC (`YYYYMMDDTHHMMSSZ`), computed from the turn boundaries in the time
//! zone of the week they were planned in, so no VTIMEZONE block is needed and every client shows
//! them right in its own zone. Each turn is its own event, also when a person has two turns in a
//! row: a reminder then comes before each turn, a swap of one turn changes one event, and the
//! UIDs stay stable (`turn-<date>-<turn>-<handle>@<host>`, the turn index as stored, from 0), so
//! a client updates an event in place when the line changes.
use super::export::{ics_line, ics_text};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// One seat a person holds in a published week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedTurn {
    pub day: NaiveDate,
    /// Index of the turn in the day, from 0.
    pub turn: u32,
    /// Index of the line, from 0 (shown from 1).
    pub line: u32,
    /// The week's turn boundaries, `HH:MM`, n + 1 of them for n turns.
    pub boundaries: Vec<String>,
    /// The week's IANA time zone, e.g. `Europe/Madrid`.
    pub time_zone: String,
}

/// Whose calendar it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarOwner {
    pub handle: String,
    pub full_name: String,
    /// The team's time zone, named in `X-WR-TIMEZONE`.
    pub time_zone: String,
}

/// Minutes before a turn its reminder goes off.
pub const REMINDER_MINUTES: u32 = 15;

fn parse_hm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// The instant of a local wall-clock time in `tz`. An ambiguous time (the hour repeated when
/// clocks go back) is taken at its first occurrence, or its second when `later` (so an end is
/// never before its start); a time that does not exist (the hour skipped when clocks go forward)
/// is read with the offset in force before the change, i.e. 02:30 on the morning clocks jump
/// from 02:00 to 03:00 is 03:30 of the new time.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime, later: bool) -> DateTime<Utc> {
    use chrono::LocalResult;
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => {
            if later {
                second.with_timezone(&Utc)
            } else {
                first.with_timezone(&Utc)
            }
        }
        LocalResult::None => {
            // Gaps last at most a few hours: the offset a day earlier is the one before it.
            let before = tz.offset_from_utc_datetime(&(local - Duration::days(1))).fix();
            Utc.from_utc_datetime(&(local - before))
        }
    }
}

/// The start and end of a turn in UTC, or `None` when the week's shape does not hold the turn
/// (an index past its boundaries, or a boundary that is not `HH:MM`). An unknown time zone is
/// read as UTC (settings refuse them, so only a hand-edited database has one).
pub fn turn_span(t: &PublishedTurn) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let i = t.turn as usize;
    let start = parse_hm(t.boundaries.get(i)?)?;
    let end = parse_hm(t.boundaries.get(i + 1)?)?;
    let tz: Tz = t.time_zone.parse().unwrap_or(Tz::UTC);
    let start = local_to_utc(tz, t.day.and_time(start), false);
    let mut end_day = t.day;
    if end <= parse_hm(&t.boundaries[i])? {
        // A turn across midnight ends the next day.
        end_day += Duration::days(1);
    }
    let end = local_to_utc(tz, end_day.and_time(end), true);
    (end > start).then_some((start, end))
}

/// `YYYYMMDDTHHMMSSZ`.
pub fn ics_utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The feed: one VEVENT per turn, each with a display alarm 15 minutes before. `host` makes the
/// UIDs unique to this site; `stamp` is the DTSTAMP (`YYYYMMDDTHHMMSSZ`). Turns the week's shape
/// cannot place are left out.
pub fn turns_ics(owner: &CalendarOwner, turns: &[PublishedTurn], host: &str, stamp: &str) -> String {
    let mut out = String::new();
    let name = if owner.full_name.trim().is_empty() {
        owner.handle.as_str()
    } else {
        owner.full_name.trim()
    };
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Switchboard//Rota phone turns//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        ics_line(&mut out, l);
    }
    ics_line(
        &mut out,
        &format!("X-WR-CALNAME:{}", ics_text(&format!("{name} — phone turns"))),
    );
    ics_line(&mut out, &format!("X-WR-TIMEZONE:{}", ics_text(&owner.time_zone)));
    ics_line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    ics_line(&mut out, "X-PUBLISHED-TTL:PT1H");
    let mut turns: Vec<&PublishedTurn> = turns.iter().collect();
    turns.sort_by_key(|t| (t.day, t.turn, t.line));
    for t in turns {
        let Some((start, end)) = turn_span(t) else {
            continue;
        };
        let i = t.turn as usize;
        let summary = format!(
            "Phone turn {}–{} (line {})",
            t.boundaries[i].trim(),
            t.boundaries[i + 1].trim(),
            t.line + 1
        );
        ics_line(&mut out, "BEGIN:VEVENT");
        ics_line(
            &mut out,
            &format!(
                "UID:turn-{}-{}-{}@{}",
                t.day.format("%Y-%m-%d"),
                t.turn,
                owner.handle,
                host
            ),
        );
        ics_line(&mut out, &format!("DTSTAMP:{stamp}"));
        ics_line(&mut out, &format!("DTSTART:{}", ics_utc(start)));
        ics_line(&mut out, &format!("DTEND:{}", ics_utc(end)));
        ics_line(&mut out, &format!("SUMMARY:{}", ics_text(&summary)));
        ics_line(&mut out, "CATEGORIES:Phone turn");
        ics_line(&mut out, "TRANSP:OPAQUE");
        ics_line(&mut out, "BEGIN:VALARM");
        ics_line(&mut out, &format!("TRIGGER:-PT{REMINDER_MINUTES}M"));
        ics_line(&mut out, "ACTION:DISPLAY");
        ics_line(&mut out, &format!("DESCRIPTION:{}", ics_text(&summary)));
        ics_line(&mut out, "END:VALARM");
        ics_line(&mut out, "END:VEVENT");
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn bounds() -> Vec<String> {
        ["09:00", "10:15", "11:30", "12:45", "14:00"].map(String::from).to_vec()
    }

    fn turn(day: &str, turn: u32, line: u32) -> PublishedTurn {
        PublishedTurn {
            day: d(day),
            turn,
            line,
            boundaries: bounds(),
            time_zone: "Europe/Madrid".into(),
        }
    }

    fn owner() -> CalendarOwner {
        CalendarOwner {
            handle: "anna".into(),
            full_name: "Anna Puig, IT".into(),
            time_zone: "Europe/Madrid".into(),
        }
    }

    fn span(t: &PublishedTurn) -> (String, String) {
        let (s, e) = turn_span(t).unwrap();
        (ics_utc(s), ics_utc(e))
    }

    #[test]
    fn times_follow_the_zone_across_summer_time() {
        // Winter time (UTC+1) on Friday 27 March, summer time (UTC+2) from Sunday 29 March.
        assert_eq!(
            span(&turn("2026-03-27", 0, 0)),
            ("20260327T080000Z".into(), "20260327T091500Z".into())
        );
        assert_eq!(
            span(&turn("2026-03-30", 0, 0)),
            ("20260330T070000Z".into(), "20260330T081500Z".into())
        );
        assert_eq!(
            span(&turn("2026-03-30", 3, 0)),
            ("20260330T104500Z".into(), "20260330T120000Z".into())
        );
    }

    #[test]
    fn skipped_and_repeated_local_times_are_read_sensibly() {
        let tz: Tz = "Europe/Madrid".parse().unwrap();
        let at = |day: &str, hm: &str| d(day).and_time(parse_hm(hm).unwrap());
        // 02:30 does not exist on 29 March 2026 (02:00 → 03:00): read as 03:30 CEST = 01:30 UTC.
        assert_eq!(
            ics_utc(local_to_utc(tz, at("2026-03-29", "02:30"), false)),
            "20260329T013000Z"
        );
        // 02:30 happens twice on 25 October 2026: first in CEST (00:30 UTC), then CET (01:30 UTC).
        assert_eq!(
            ics_utc(local_to_utc(tz, at("2026-10-25", "02:30"), false)),
            "20261025T003000Z"
        );
        assert_eq!(
            ics_utc(local_to_utc(tz, at("2026-10-25", "02:30"), true)),
            "20261025T013000Z"
        );
        // A night turn 02:00–03:00 on that day lasts two hours of real time.
        let night = PublishedTurn {
            boundaries: vec!["02:00".into(), "03:00".into()],
            ..turn("2026-10-25", 0, 0)
        };
        assert_eq!(span(&night), ("20261025T000000Z".into(), "20261025T020000Z".into()));
        // A turn across midnight ends the next day.
        let late = PublishedTurn {
            boundaries: vec!["22:00".into(), "01:00".into()],
            ..turn("2026-11-20", 0, 0)
        };
        assert_eq!(span(&late), ("20261120T210000Z".into(), "20261121T000000Z".into()));
    }

    #[test]
    fn turns_outside_the_week_shape_are_left_out() {
        assert_eq!(turn_span(&turn("2026-03-30", 4, 0)), None);
        let bad = PublishedTurn {
            boundaries: vec!["9h".into(), "10:00".into()],
            ..turn("2026-03-30", 0, 0)
        };
        assert_eq!(turn_span(&bad), None);
        let ics = turns_ics(&owner(), &[turn("2026-03-30", 9, 0)], "example.org", "20261121T000000Z");
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 0);
    }

    #[test]
    fn one_event_per_turn_with_a_reminder() {
        let turns = [
            turn("2026-03-30", 1, 0),
            turn("2026-03-30", 0, 2),
            turn("2026-03-27", 0, 0),
        ];
        let ics = turns_ics(&owner(), &turns, "example.org", "20261121T000000Z");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("X-WR-CALNAME:Anna Puig\\, IT — phone turns\r\n"));
        assert!(ics.contains("X-WR-TIMEZONE:Europe/Madrid\r\n"));
        // Consecutive turns stay two events, each with its own alarm.
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3);
        assert_eq!(ics.matches("BEGIN:VALARM").count(), 3);
        assert_eq!(ics.matches("TRIGGER:-PT15M\r\nACTION:DISPLAY\r\n").count(), 3);
        assert!(ics.contains("UID:turn-2026-03-30-0-anna@example.org\r\n"));
        assert!(ics.contains("UID:turn-2026-03-30-1-anna@example.org\r\n"));
        assert!(ics.contains("SUMMARY:Phone turn 09:00–10:15 (line 3)\r\n"));
        assert!(ics.contains("SUMMARY:Phone turn 10:15–11:30 (line 1)\r\n"));
        assert!(ics.contains("DTSTART:20260330T070000Z\r\nDTEND:20260330T081500Z\r\n"));
        assert!(ics.contains("DTSTART:20260330T081500Z\r\nDTEND:20260330T093000Z\r\n"));
        assert!(ics.contains("DTSTART:20260327T080000Z\r\nDTEND:20260327T091500Z\r\n"));
        // In date order, whatever the input order.
        let first = ics.find("UID:turn-2026-03-27").unwrap();
        let second = ics.find("UID:turn-2026-03-30-0").unwrap();
        let third = ics.find("UID:turn-2026-03-30-1").unwrap();
        assert!(first < second && second < third);
        assert!(ics.split("\r\n").all(|l| l.len() <= 75));
        assert!(!ics.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn an_empty_feed_is_still_a_calendar() {
        let ics = turns_ics(
            &CalendarOwner {
                full_name: " ".into(),
                ..owner()
            },
            &[],
            "h",
            "20261121T000000Z",
        );
        assert!(ics.contains("X-WR-CALNAME:anna — phone turns\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 0);
    }
}
