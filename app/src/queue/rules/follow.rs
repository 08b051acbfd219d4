//! The queue follows the published timetable: which turn of the team's day a moment falls in,
//! and what to change in the queue so its members become that turn's people — without touching
//! members Switchboard did not add.
use crate::rota::rules::calendar::local_to_utc;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Where a moment falls in the team's day: a turn, or outside every turn. Each slot starts at a
/// boundary (or midnight), which is what one instance claims and applies once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub day: NaiveDate,
    /// `None`: before the first or after the last boundary (the queue is emptied).
    pub turn: Option<usize>,
    pub starts_at: DateTime<Utc>,
    /// The next boundary (or the next midnight).
    pub ends_at: DateTime<Utc>,
}

fn parse_hm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// The slot of `now` in a team day cut by `boundaries` (`HH:MM`, increasing, in `tz`). `None`
/// when the boundaries cannot be read.
pub fn slot_at(boundaries: &[String], tz: Tz, now: DateTime<Utc>) -> Option<Slot> {
    let day = now.with_timezone(&tz).date_naive();
    let at = |d: NaiveDate, t: NaiveTime| local_to_utc(tz, d.and_time(t), false);
    let times: Vec<NaiveTime> = boundaries.iter().map(|b| parse_hm(b)).collect::<Option<_>>()?;
    if times.windows(2).any(|w| w[0] >= w[1]) {
        return None;
    }
    let midnight = NaiveTime::MIN;
    let next_midnight = at(day.succ_opt()?, midnight);
    let mut cuts: Vec<(DateTime<Utc>, Option<usize>)> = vec![(at(day, midnight), None)];
    for (i, t) in times.iter().enumerate() {
        // The last boundary ends the last turn.
        let turn = (i + 1 < times.len()).then_some(i);
        cuts.push((at(day, *t), turn));
    }
    let i = cuts.iter().rposition(|(start, _)| *start <= now)?;
    let ends_at = cuts.get(i + 1).map_or(next_midnight, |c| c.0);
    Some(Slot {
        day,
        turn: cuts[i].1,
        starts_at: cuts[i].0,
        ends_at,
    })
}

/// Someone who should be in the queue now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wanted {
    pub handle: String,
    pub name: String,
    pub interface: String,
}

/// What to do to the queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub add: Vec<Wanted>,
    /// Interfaces to remove: members Switchboard added that are not wanted any more.
    pub remove: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// A member a coordinator added (or removed) by hand, kept so until the turn's end. Only the
/// hand changes still in force are passed to [`changes`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandChange {
    pub wanted: Wanted,
    /// `true`: added by hand (stays); `false`: removed by hand (stays out).
    pub added: bool,
}

/// From the wanted people, the queue's members now (interfaces), the members Switchboard
/// added (`ours`) and the hand changes in force: add who is missing, remove ours who are not
/// wanted; leave the rest alone (a member staying keeps its pause). Someone added by hand counts
/// as wanted, someone removed by hand as not wanted, until their turn ends.
pub fn changes(wanted: &[Wanted], members: &[String], ours: &[String], hand: &[HandChange]) -> Changes {
    let has = |list: &[String], i: &str| list.iter().any(|m| m.eq_ignore_ascii_case(i));
    let same = |a: &Wanted, b: &Wanted| a.interface.eq_ignore_ascii_case(&b.interface);
    let removed_by_hand = |w: &Wanted| hand.iter().any(|h| !h.added && same(&h.wanted, w));
    let wanted: Vec<Wanted> = wanted
        .iter()
        .filter(|w| !removed_by_hand(w))
        .chain(hand.iter().filter(|h| h.added).map(|h| &h.wanted))
        .cloned()
        .collect();
    let wanted = wanted.as_slice();
    let mut add: Vec<Wanted> = Vec::new();
    for w in wanted {
        if !has(members, &w.interface) && !add.iter().any(|a| a.interface.eq_ignore_ascii_case(&w.interface)) {
            add.push(w.clone());
        }
    }
    let remove = members
        .iter()
        .filter(|m| has(ours, m) && !wanted.iter().any(|w| w.interface.eq_ignore_ascii_case(m)))
        .cloned()
        .collect();
    Changes { add, remove }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn b(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn madrid(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Madrid
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("a local time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_moment_falls_in_its_turn_in_the_team_zone() {
        let tz = chrono_tz::Europe::Madrid;
        let bounds = b(&["09:00", "10:15", "11:30", "12:45", "14:00"]);
        let s = slot_at(&bounds, tz, madrid(2026, 12, 3, 10, 20)).expect("slot");
        assert_eq!(s.turn, Some(1));
        assert_eq!(s.starts_at, madrid(2026, 12, 3, 10, 15));
        assert_eq!(s.ends_at, madrid(2026, 12, 3, 11, 30));
        // On the boundary itself the next turn has begun.
        let s = slot_at(&bounds, tz, madrid(2026, 12, 3, 11, 30)).expect("slot");
        assert_eq!(s.turn, Some(2));
        // 08:59 Madrid is 07:59 UTC: still the day's slot before the first turn.
        let s = slot_at(&bounds, tz, madrid(2026, 12, 3, 8, 59)).expect("slot");
        assert_eq!(
            (s.turn, s.day),
            (None, NaiveDate::from_ymd_opt(2026, 12, 3).expect("day"))
        );
        assert_eq!(s.ends_at, madrid(2026, 12, 3, 9, 0));
    }

    #[test]
    fn after_the_last_boundary_the_queue_is_outside_every_turn_until_midnight() {
        let tz = chrono_tz::Europe::Madrid;
        let bounds = b(&["09:00", "10:15", "14:00"]);
        let s = slot_at(&bounds, tz, madrid(2026, 12, 3, 14, 0)).expect("slot");
        assert_eq!(s.turn, None);
        assert_eq!(s.starts_at, madrid(2026, 12, 3, 14, 0));
        assert_eq!(s.ends_at, madrid(2026, 12, 4, 0, 0));
    }

    #[test]
    fn unreadable_or_unordered_boundaries_give_no_slot() {
        let tz = chrono_tz::Europe::Madrid;
        let now = madrid(2026, 12, 3, 10, 0);
        assert_eq!(slot_at(&b(&["9h", "10:00"]), tz, now), None);
        assert_eq!(slot_at(&b(&["10:00", "09:00"]), tz, now), None);
    }

    fn w(h: &str, i: &str) -> Wanted {
        Wanted {
            handle: h.into(),
            name: h.into(),
            interface: i.into(),
        }
    }

    #[test]
    fn the_changes_add_who_is_missing_and_remove_only_our_members_not_wanted() {
        let wanted = [w("alex", "PJSIP/202"), w("blai", "PJSIP/203")];
        let members = b(&["PJSIP/202", "PJSIP/204", "PJSIP/900"]);
        // 204 was ours (last turn); 900 was added by someone else.
        let ours = b(&["PJSIP/202", "PJSIP/204"]);
        let c = changes(&wanted, &members, &ours, &[]);
        assert_eq!(c.add, vec![w("blai", "PJSIP/203")]);
        assert_eq!(c.remove, b(&["PJSIP/204"]));
        // Nothing to do when the queue is already right.
        let members = b(&["PJSIP/202", "PJSIP/203", "PJSIP/900"]);
        assert!(changes(&wanted, &members, &b(&["PJSIP/202", "PJSIP/203"]), &[]).is_empty());
        // Outside turns, our members go and the others stay.
        let c = changes(&[], &members, &b(&["PJSIP/202", "PJSIP/203"]), &[]);
        assert_eq!(c.remove, b(&["PJSIP/202", "PJSIP/203"]));
        assert!(c.add.is_empty());
    }

    #[test]
    fn hand_changes_in_force_win_over_the_rota() {
        let wanted = [w("alex", "PJSIP/202"), w("blai", "PJSIP/203")];
        let hand = [
            // dana added by hand: stays though the rota does not want her.
            HandChange {
                wanted: w("dana", "PJSIP/205"),
                added: true,
            },
            // blai removed by hand: stays out though the rota wants him.
            HandChange {
                wanted: w("blai", "PJSIP/203"),
                added: false,
            },
        ];
        let members = b(&["PJSIP/202", "PJSIP/205"]);
        let ours = b(&["PJSIP/202", "PJSIP/205"]);
        assert!(changes(&wanted, &members, &ours, &hand).is_empty());
        // Once the turn is over (no hand changes in force), the rota decides again.
        let c = changes(&wanted, &members, &ours, &[]);
        assert_eq!(c.add, vec![w("blai", "PJSIP/203")]);
        assert_eq!(c.remove, b(&["PJSIP/205"]));
        // Someone added by hand who left the queue is put back within the turn.
        let c = changes(&wanted, &b(&["PJSIP/202"]), &ours, &hand);
        assert_eq!(c.add, vec![w("dana", "PJSIP/205")]);
    }
}
