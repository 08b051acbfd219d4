//! Reminders before each turn: which turn is due for one at a moment, and its text.
use crate::queue::rules::follow::slot_at;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The text when none is configured.
pub const DEFAULT_TEMPLATE: &str = "Turn {turn} ({start}–{end}) starts in {minutes} min: {people}.";
/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = ["turn", "start", "end", "minutes", "people"];

/// A turn whose reminder is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub day: NaiveDate,
    /// 0-based.
    pub turn: usize,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The next turn of the team's day when it starts within `minutes` of `now` (and has not
/// started yet); `None` otherwise, with `minutes == 0` (reminders off), or when the day cannot
/// be read. A reminder missed while no instance ran is still sent if the turn has not started.
pub fn due(boundaries: &[String], tz: Tz, now: DateTime<Utc>, minutes: u32) -> Option<Due> {
    if minutes == 0 {
        return None;
    }
    let current = slot_at(boundaries, tz, now)?;
    let next = slot_at(boundaries, tz, current.ends_at)?;
    let turn = next.turn?;
    let lead = next.starts_at - now;
    (lead > chrono::Duration::zero() && lead <= chrono::Duration::minutes(minutes as i64)).then_some(Due {
        day: next.day,
        turn,
        starts_at: next.starts_at,
        ends_at: next.ends_at,
    })
}

/// The team's day whose end-of-day statistics are due at `now`: once its last turn is over
/// (after the last boundary, until midnight). `None` before the first boundary, during the
/// turns, or when the day cannot be read.
pub fn day_over(boundaries: &[String], tz: Tz, now: DateTime<Utc>) -> Option<NaiveDate> {
    let slot = slot_at(boundaries, tz, now)?;
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).time();
    let after_last = slot.turn.is_none()
        && boundaries.len() >= 2
        && local(slot.ends_at) == chrono::NaiveTime::MIN
        && local(slot.starts_at) != chrono::NaiveTime::MIN;
    after_last.then_some(slot.day)
}

/// Unknown `{placeholders}` in a template, or an empty one, in words.
pub fn check_template(template: &str) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("the reminder text is empty".into());
    }
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}} (use {})",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// What the reminder of `due` says: the template with its placeholders filled (`{turn}` counts
/// from 1, times in the team's zone, `{people}` comma-separated or "nobody").
pub fn render(template: &str, due: &Due, tz: Tz, minutes: u32, people: &[String]) -> String {
    let hm = |t: DateTime<Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let people = if people.is_empty() {
        "nobody".to_string()
    } else {
        people.join(", ")
    };
    template
        .replace("{turn}", &(due.turn + 1).to_string())
        .replace("{start}", &hm(due.starts_at))
        .replace("{end}", &hm(due.ends_at))
        .replace("{minutes}", &minutes.to_string())
        .replace("{people}", &people)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TZ: Tz = chrono_tz::Europe::Madrid;

    fn at(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
        TZ.with_ymd_and_hms(2026, 12, d, h, m, s)
            .single()
            .expect("time")
            .with_timezone(&Utc)
    }

    fn day() -> Vec<String> {
        ["09:00", "10:15", "11:30", "12:45", "14:00"].map(String::from).to_vec()
    }

    #[test]
    fn the_next_turn_is_due_within_its_minutes_before_it_starts() {
        // 08:54:59: more than 5 minutes before the first turn.
        assert_eq!(due(&day(), TZ, at(7, 8, 54, 59), 5), None);
        let d = due(&day(), TZ, at(7, 8, 55, 0), 5).expect("due at 08:55");
        assert_eq!((d.turn, d.starts_at, d.ends_at), (0, at(7, 9, 0, 0), at(7, 10, 15, 0)));
        assert_eq!(due(&day(), TZ, at(7, 8, 59, 59), 5).map(|d| d.turn), Some(0));
        // At the boundary the turn has started: too late.
        assert_eq!(due(&day(), TZ, at(7, 9, 0, 0), 5), None);
        // In the middle of turn 1, turn 2 is due 5 minutes before 10:15.
        assert_eq!(due(&day(), TZ, at(7, 9, 30, 0), 5), None);
        assert_eq!(due(&day(), TZ, at(7, 10, 12, 0), 5).map(|d| d.turn), Some(1));
        assert_eq!(due(&day(), TZ, at(7, 10, 12, 0), 2), None);
    }

    #[test]
    fn nothing_after_the_last_turn_and_nothing_when_off() {
        // 13:58: the next slot (14:00) is outside turns.
        assert_eq!(due(&day(), TZ, at(7, 13, 58, 0), 5), None);
        assert_eq!(due(&day(), TZ, at(7, 23, 58, 0), 5), None);
        assert_eq!(due(&day(), TZ, at(7, 8, 58, 0), 0), None);
        assert_eq!(due(&["x".to_string()], TZ, at(7, 8, 58, 0), 5), None);
    }

    #[test]
    fn templates_fill_their_placeholders() {
        let d = due(&day(), TZ, at(7, 10, 12, 0), 5).expect("due");
        let people = vec!["Alex".to_string(), "Blai".to_string()];
        assert_eq!(
            render(DEFAULT_TEMPLATE, &d, TZ, 5, &people),
            "Turn 2 (10:15–11:30) starts in 5 min: Alex, Blai."
        );
        assert_eq!(render("{people} at {start}", &d, TZ, 5, &[]), "nobody at 10:15");
        assert!(check_template(DEFAULT_TEMPLATE).is_ok());
        assert!(check_template("no placeholders").is_ok());
        assert!(check_template(" ").is_err());
        let e = check_template("Turn {turno}").unwrap_err();
        assert!(e.contains("{turno}"), "{e}");
    }

    #[test]
    fn the_day_is_over_after_its_last_boundary_until_midnight() {
        let b = day();
        assert_eq!(day_over(&b, TZ, at(7, 8, 59, 0)), None, "before the first turn");
        assert_eq!(day_over(&b, TZ, at(7, 13, 59, 59)), None, "in the last turn");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(day_over(&b, TZ, at(7, 14, 0, 0)), Some(day));
        assert_eq!(day_over(&b, TZ, at(7, 23, 59, 0)), Some(day));
        assert_eq!(day_over(&["bad".to_string()], TZ, at(7, 15, 0, 0)), None);
    }
}
