//! How many turns each person takes in the week being planned: the load the rota solver then
//! places. Every step is kept in the report, so a coordinator can see why someone got 3 turns
//! instead of 4 (days off, rounding, a busy timetable, or filling the week's seats).
//!
//! The steps, per person:
//! 1. proportional load = ideal weekly load × days worked this week / 5;
//! 2. rounded half to even, computed on integers (no floating error);
//! 3. capped by what their timetable can hold (see [`day_capacity`]);
//! 4. raised or lowered one turn at a time until the loads add up to the week's seats; a raise
//!    never takes anyone beyond their proportional load + the team's `max_overload` (Tomàtic's
//!    `maxOverload`), so a short week stays short instead of loading a few people up to their
//!    capacity;
//! 5. seats still empty become empty seats; whole lines' worth of them drop the line.
//!
//! A coordinator may override a person's load: the override replaces steps 1 to 4 for that
//! person (it is never adjusted) and is flagged when it is above their capacity.
use super::Invalid;
use super::tomatic::BusyEntry;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// Monday to Friday: the days turns are planned on.
pub const WEEKDAYS: usize = 5;

/// One weekday of one person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDay {
    /// Holidays, sick leave and the like: the day is not worked at all.
    pub leave: bool,
    /// Turns the person cannot take that day (mandatory busy entries), `true` = busy, one per
    /// turn. Empty means free all day. Optional ("rather not") entries do not belong here: they
    /// do not reduce what the person can take.
    pub busy: Vec<bool>,
}

/// One person's input for the week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonWeek {
    pub id: String,
    /// Turns per week when all five days are worked.
    pub ideal: u32,
    /// The most turns the person takes in one day.
    pub max_turns_per_day: u32,
    /// Monday to Friday.
    pub days: [PersonDay; WEEKDAYS],
    /// A coordinator's decision, taken as given.
    pub override_load: Option<u32>,
    /// Balance of turns over past weeks: + given more than their share so far, − fewer.
    #[serde(default)]
    pub credit: i64,
}

/// The week being planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekInput {
    /// Turns in a day (e.g. 4).
    pub turns: usize,
    /// Phone lines staffed in every turn.
    pub lines: u32,
    /// Monday to Friday; `false` is a team holiday (nobody works, no seats).
    pub team_works: [bool; WEEKDAYS],
    pub people: Vec<PersonWeek>,
    /// Most turns step 4 raises anyone above their proportional load; `None` = up to their
    /// capacity.
    #[serde(default)]
    pub max_overload: Option<u32>,
}

/// An exact ratio, kept for display next to its decimal value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fraction {
    pub num: u64,
    pub den: u64,
}

impl Fraction {
    pub fn value(self) -> f64 {
        if self.den == 0 {
            0.0
        } else {
            self.num as f64 / self.den as f64
        }
    }
}

impl fmt::Display for Fraction {
    /// `8`, `5.6`, `2.33`: at most two decimals, no trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.2}", self.value());
        f.write_str(text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Every step of one person's load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonLoad {
    pub id: String,
    pub ideal: u32,
    /// Days worked this week (team working, no leave, not busy all day).
    pub days_worked: u32,
    /// Ideal × days worked / 5.
    pub proportional: Fraction,
    /// The proportional load rounded half to even.
    pub rounded: u32,
    /// Turns per weekday the timetable can hold (0 on days not worked).
    pub day_capacity: [u32; WEEKDAYS],
    /// The sum of `day_capacity`.
    pub capacity: u32,
    /// `min(rounded, capacity)`.
    pub capped: u32,
    pub override_load: Option<u32>,
    /// The override is more than the timetable can hold: the solver will not place it all.
    pub over_capacity: bool,
    /// Turns added (+) or removed (−) to make the loads add up to the week's seats.
    pub adjustment: i64,
    /// The most step 4 may raise this person to: ⌊proportional⌋ + the team's max overload
    /// (`None`: no such limit).
    #[serde(default)]
    pub overload_limit: Option<u32>,
    /// Seats were left to fill and this person had room for them, but the max overload stopped
    /// the raise.
    #[serde(default)]
    pub overload_capped: bool,
    /// The balance of turns before this week (see [`PersonWeek::credit`]).
    #[serde(default)]
    pub credit: i64,
    /// Turns moved to (+) or from (−) this person by the exchange between the most credited and
    /// the most indebted (part of `adjustment`).
    #[serde(default)]
    pub exchanged: i64,
    /// The load handed to the solver.
    pub final_load: u32,
}

impl PersonLoad {
    /// The steps in one sentence, for the coordinator.
    pub fn explain(&self) -> String {
        let mut s = format!(
            "ideal {} × {}/5 days worked = {}, rounded to {}",
            self.ideal, self.days_worked, self.proportional, self.rounded
        );
        if self.capped < self.rounded {
            s += &format!(", capped at the capacity of {}", self.capacity);
        }
        if let Some(o) = self.override_load {
            s += &format!("; overridden by the coordinator to {o}");
            if self.over_capacity {
                s += &format!(", above the capacity of {}", self.capacity);
            }
        }
        let to_seats = self.adjustment - self.exchanged;
        let balance = if self.credit != 0 {
            format!(" (a balance of {:+} turns)", self.credit)
        } else {
            String::new()
        };
        match to_seats.cmp(&0) {
            Ordering::Greater => s += &format!("; +{to_seats} to fill the week's seats"),
            Ordering::Less => s += &format!("; {to_seats} to fit the week's seats"),
            Ordering::Equal => {}
        }
        if to_seats != 0 && self.exchanged == 0 {
            s += &balance;
        }
        match self.exchanged.cmp(&0) {
            Ordering::Greater => s += &format!("; +{} from the most credited{balance}", self.exchanged),
            Ordering::Less => s += &format!("; {} to the most indebted{balance}", self.exchanged),
            Ordering::Equal => {}
        }
        if self.overload_capped
            && let Some(limit) = self.overload_limit
        {
            s += &format!(
                "; not raised beyond {limit} (the most turns above the proportional load), with room for {}",
                self.capacity
            );
        }
        s + &format!(": {} turns", self.final_load)
    }
}

/// The week as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekSummary {
    /// Days the team works this week.
    pub team_days: u32,
    pub turns: u32,
    /// Lines asked for.
    pub lines: u32,
    /// team days × turns × lines asked for.
    pub seats: u32,
    /// The sum of the final loads.
    pub assigned: u32,
    /// Lines nobody can staff this week: the empty seats filled them for the whole week.
    pub lines_dropped: u32,
    pub lines_used: u32,
    /// Seats of the lines used that stay empty.
    pub empty_seats: u32,
    /// Turns assigned beyond the seats; only overrides can cause it.
    pub excess: u32,
    /// The team's max overload applied in step 4, if any.
    #[serde(default)]
    pub max_overload: Option<u32>,
    /// People whose raise the max overload stopped.
    #[serde(default)]
    pub overload_capped: u32,
    /// Seats (empty seats or in dropped lines) that stay empty because of the max overload:
    /// without it, the capped people could have taken them.
    #[serde(default)]
    pub empty_by_overload: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekLoad {
    /// In the order of the input.
    pub people: Vec<PersonLoad>,
    pub summary: WeekSummary,
}

/// `num / den` rounded to the nearest integer, halves to the even neighbour (2.5 → 2,
/// 3.5 → 4), so that rounding does not push the team total up on average. Integers only: a
/// float `x.5` may be stored as `x.4999…`. `den` must not be 0.
pub fn round_half_even(num: u64, den: u64) -> u64 {
    let (q, r) = (num / den, num % den);
    match (2 * r).cmp(&den) {
        Ordering::Less => q,
        Ordering::Greater => q + 1,
        Ordering::Equal => q + (q % 2),
    }
}

/// Turns a person can take in one day, given the turns they cannot take (`true` = busy) and
/// their maximum per day:
/// - all turns busy, or a maximum of 0: 0;
/// - maximum 1: 1;
/// - maximum 2: 2 when the first two or the last two turns are both free, else 1. Two turns
///   in the middle would take the person's break, so they do not count as a pair;
/// - maximum 3 or more: the longest run of consecutive free turns, up to the maximum.
pub fn day_capacity(busy: &[bool], max_per_day: u32) -> u32 {
    if max_per_day == 0 || busy.iter().all(|b| *b) {
        return 0;
    }
    let n = busy.len();
    match max_per_day {
        1 => 1,
        2 => {
            let pair_free = |i: usize| !busy[i] && !busy[i + 1];
            if n >= 2 && (pair_free(0) || pair_free(n - 2)) {
                2
            } else {
                1
            }
        }
        m => {
            let (mut best, mut run) = (0u32, 0u32);
            for b in busy {
                run = if *b { 0 } else { run + 1 };
                best = best.max(run);
            }
            best.min(m)
        }
    }
}

/// The mandatory busy mask of `person` on each weekday of the week of `monday` (any date of
/// the week will do), merged from parsed Tomàtic entries. Optional entries are left out: they
/// are preferences for the solver, not limits on the load.
pub fn mandatory_busy_week(
    entries: &[BusyEntry],
    person: &str,
    monday: NaiveDate,
    turns: usize,
) -> [Vec<bool>; WEEKDAYS] {
    let monday = monday - Duration::days(i64::from(monday.weekday().num_days_from_monday()));
    std::array::from_fn(|i| {
        let date = monday + Duration::days(i as i64);
        let mut mask = vec![false; turns];
        for e in entries
            .iter()
            .filter(|e| e.mandatory && e.person == person && e.day.covers(date))
        {
            for (m, b) in mask.iter_mut().zip(&e.turns) {
                *m |= *b;
            }
        }
        mask
    })
}

/// Computes every person's load for the week. Errors name the field at fault: `turns`, `people`
/// (missing or repeated id) or `busy` (a mask of the wrong length).
///
/// Adjusting to the seats is deterministic and does not depend on the order of `people`:
/// - short of seats: one turn at a time to the person with the most spare capacity
///   (capacity − load), ties to the lowest load relative to their ideal, then to the smallest
///   id; never above capacity. People with an ideal of 0 are not on the phone and are never
///   raised;
/// - too many turns: one turn at a time from the person furthest above their proportional
///   share (load − ideal × days / 5), ties to the smallest id; never below 0;
/// - overridden loads are never adjusted;
/// - balances (Tomàtic's "bossa d'hores", [`PersonWeek::credit`]): people in debt are raised
///   first while they are still in debt, people in credit lowered first while still in credit;
///   then turns move one at a time from the most credited to the most indebted (balance + this
///   week's adjustment), within each one's limits, while that lowers the total imbalance.
pub fn compute_week_load(input: &WeekInput) -> Result<WeekLoad, Invalid> {
    let turns = input.turns;
    if turns == 0 {
        return Err(Invalid::new("turns", "the team needs at least one turn a day"));
    }
    check_people(input)?;

    let team_days = input.team_works.iter().filter(|w| **w).count() as u32;
    let mut people: Vec<PersonLoad> = input.people.iter().map(|p| first_steps(input, p)).collect();
    for p in people.iter_mut() {
        p.overload_limit = input
            .max_overload
            .map(|m| (p.proportional.num / p.proportional.den.max(1)) as u32 + m);
    }
    let raise_limit = |p: &PersonLoad| p.overload_limit.map_or(p.capacity, |l| l.min(p.capacity));

    let seats = team_days * turns as u32 * input.lines;
    let start: Vec<u32> = people.iter().map(|p| p.override_load.unwrap_or(p.capped)).collect();
    let mut load = start.clone();
    let mut assigned: u32 = load.iter().sum();

    while assigned < seats {
        let pick = (0..people.len())
            .filter(|&i| {
                let p = &people[i];
                p.override_load.is_none() && p.ideal > 0 && load[i] < raise_limit(p)
            })
            .min_by(|&a, &b| raise_order(&people, &load, &start, a, b));
        let Some(i) = pick else { break };
        load[i] += 1;
        assigned += 1;
    }
    while assigned > seats {
        let pick = (0..people.len())
            .filter(|&i| people[i].override_load.is_none() && load[i] > 0)
            .min_by(|&a, &b| lower_order(&people, &load, &start, a, b));
        let Some(i) = pick else { break };
        load[i] -= 1;
        assigned -= 1;
    }

    // The balances: turns move from the most credited to the most indebted (balance + this
    // week's adjustment), within each one's limits, while that lowers the total imbalance
    // (each move lowers it by 2: one turn less for someone above, one more for someone below).
    let mut exchanged = vec![0i64; people.len()];
    loop {
        let balance = |i: usize| people[i].credit + i64::from(load[i]) - i64::from(start[i]);
        let free = |i: usize| people[i].override_load.is_none();
        let giver = (0..people.len())
            .filter(|&i| free(i) && load[i] > 0 && balance(i) >= 1)
            .max_by(|&a, &b| {
                balance(a)
                    .cmp(&balance(b))
                    .then_with(|| people[b].id.cmp(&people[a].id))
            });
        let taker = (0..people.len())
            .filter(|&i| free(i) && people[i].ideal > 0 && load[i] < raise_limit(&people[i]) && balance(i) <= -1)
            .min_by(|&a, &b| {
                balance(a)
                    .cmp(&balance(b))
                    .then_with(|| people[a].id.cmp(&people[b].id))
            });
        let (Some(g), Some(t)) = (giver, taker) else { break };
        load[g] -= 1;
        load[t] += 1;
        exchanged[g] -= 1;
        exchanged[t] += 1;
    }

    let short = assigned < seats;
    let mut room_over_limit = 0u32;
    for (i, p) in people.iter_mut().enumerate() {
        p.final_load = load[i];
        p.adjustment = i64::from(load[i]) - i64::from(start[i]);
        p.exchanged = exchanged[i];
        p.overload_capped =
            short && p.override_load.is_none() && p.ideal > 0 && load[i] >= raise_limit(p) && load[i] < p.capacity;
        if p.overload_capped {
            room_over_limit += p.capacity - load[i];
        }
    }

    let per_line = team_days * turns as u32;
    let empty = seats.saturating_sub(assigned);
    // No working day: no seats, nothing to drop.
    let lines_dropped = empty.checked_div(per_line).unwrap_or(0).min(input.lines);
    let summary = WeekSummary {
        team_days,
        turns: turns as u32,
        lines: input.lines,
        seats,
        assigned,
        lines_dropped,
        lines_used: input.lines - lines_dropped,
        empty_seats: empty - lines_dropped * per_line,
        excess: assigned.saturating_sub(seats),
        max_overload: input.max_overload,
        overload_capped: people.iter().filter(|p| p.overload_capped).count() as u32,
        // Without the limit step 4 would have gone on until the seats or the capped people's
        // room ran out (everyone else is at their capacity).
        empty_by_overload: room_over_limit.min(empty),
    };
    Ok(WeekLoad { people, summary })
}

fn check_people(input: &WeekInput) -> Result<(), Invalid> {
    let mut ids: Vec<&str> = Vec::with_capacity(input.people.len());
    for p in &input.people {
        if p.id.trim().is_empty() {
            return Err(Invalid::new("people", "every person needs an id"));
        }
        if ids.contains(&p.id.as_str()) {
            return Err(Invalid::new("people", format!("'{}' appears more than once", p.id)));
        }
        ids.push(&p.id);
        for (d, day) in p.days.iter().enumerate() {
            if !day.busy.is_empty() && day.busy.len() != input.turns {
                return Err(Invalid::new(
                    "busy",
                    format!(
                        "'{}', {}: the busy mask has {} turns, the team has {}",
                        p.id,
                        super::tomatic::WEEKDAY_CODES[d],
                        day.busy.len(),
                        input.turns
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Steps 1 to 3 for one person.
fn first_steps(input: &WeekInput, p: &PersonWeek) -> PersonLoad {
    let mut day_cap = [0u32; WEEKDAYS];
    let mut days_worked = 0u32;
    for (d, day) in p.days.iter().enumerate() {
        let busy = if day.busy.is_empty() {
            vec![false; input.turns]
        } else {
            day.busy.clone()
        };
        let worked = input.team_works[d] && !day.leave && !busy.iter().all(|b| *b);
        if worked {
            days_worked += 1;
            day_cap[d] = day_capacity(&busy, p.max_turns_per_day);
        }
    }
    let proportional = Fraction {
        num: u64::from(p.ideal) * u64::from(days_worked),
        den: WEEKDAYS as u64,
    };
    let rounded = round_half_even(proportional.num, proportional.den) as u32;
    let capacity: u32 = day_cap.iter().sum();
    let capped = rounded.min(capacity);
    PersonLoad {
        id: p.id.clone(),
        ideal: p.ideal,
        days_worked,
        proportional,
        rounded,
        day_capacity: day_cap,
        capacity,
        capped,
        override_load: p.override_load,
        over_capacity: p.override_load.is_some_and(|o| o > capacity),
        adjustment: 0,
        overload_limit: None,
        overload_capped: false,
        credit: p.credit,
        exchanged: 0,
        final_load: capped,
    }
}

/// `Less` = raise `a` before `b`.
fn raise_order(people: &[PersonLoad], load: &[u32], start: &[u32], a: usize, b: usize) -> Ordering {
    let spare = |i: usize| people[i].capacity - load[i];
    // load_a / ideal_a against load_b / ideal_b, cross-multiplied (both ideals are > 0).
    let ratio =
        (u64::from(load[a]) * u64::from(people[b].ideal)).cmp(&(u64::from(load[b]) * u64::from(people[a].ideal)));
    // Debtors first, while they are still in debt (balance + what this week has added so far).
    let debt = |i: usize| (people[i].credit + i64::from(load[i]) - i64::from(start[i])).min(0);
    debt(a)
        .cmp(&debt(b))
        .then(spare(b).cmp(&spare(a)))
        .then(ratio)
        .then_with(|| people[a].id.cmp(&people[b].id))
}

/// `Less` = lower `a` before `b`.
fn lower_order(people: &[PersonLoad], load: &[u32], start: &[u32], a: usize, b: usize) -> Ordering {
    // load − ideal × days / 5, in fifths to stay on integers.
    let above = |i: usize| i64::from(load[i]) * people[i].proportional.den as i64 - people[i].proportional.num as i64;
    // Creditors first, while they are still in credit.
    let credit = |i: usize| (people[i].credit + i64::from(load[i]) - i64::from(start[i])).max(0);
    credit(b)
        .cmp(&credit(a))
        .then(above(b).cmp(&above(a)))
        .then_with(|| people[a].id.cmp(&people[b].id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rota::rules::tomatic::parse_busy_file;

    fn mask(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    fn person(id: &str, ideal: u32, max: u32) -> PersonWeek {
        PersonWeek {
            id: id.into(),
            ideal,
            max_turns_per_day: max,
            days: Default::default(),
            override_load: None,
            credit: 0,
        }
    }

    fn week(lines: u32, people: Vec<PersonWeek>) -> WeekInput {
        WeekInput {
            turns: 4,
            lines,
            team_works: [true; WEEKDAYS],
            people,
            max_overload: None,
        }
    }

    fn finals(w: &WeekLoad) -> Vec<(&str, u32)> {
        w.people.iter().map(|p| (p.id.as_str(), p.final_load)).collect()
    }

    #[test]
    fn capacity_table() {
        // Maximum two a day: a pair must be at the start or the end of the day.
        assert_eq!(day_capacity(&mask("0000"), 2), 2);
        assert_eq!(day_capacity(&mask("0011"), 2), 2);
        assert_eq!(day_capacity(&mask("1100"), 2), 2);
        assert_eq!(day_capacity(&mask("0110"), 2), 1);
        assert_eq!(day_capacity(&mask("1001"), 2), 1);
        assert_eq!(day_capacity(&mask("1111"), 2), 0);
        // Maximum three: the longest free run.
        assert_eq!(day_capacity(&mask("1001"), 3), 2);
        assert_eq!(day_capacity(&mask("1011"), 3), 1);
        assert_eq!(day_capacity(&mask("0000"), 3), 3);
        // Maximum one.
        assert_eq!(day_capacity(&mask("1110"), 1), 1);
        assert_eq!(day_capacity(&mask("0000"), 1), 1);
        // All busy, whatever the maximum; a maximum of 0.
        for m in 0..5 {
            assert_eq!(day_capacity(&mask("1111"), m), 0);
        }
        assert_eq!(day_capacity(&mask("0000"), 0), 0);
    }

    #[test]
    fn rounding_is_half_to_even() {
        assert_eq!(round_half_even(5, 2), 2); // 2.5
        assert_eq!(round_half_even(7, 2), 4); // 3.5
        assert_eq!(round_half_even(1, 2), 0); // 0.5
        assert_eq!(round_half_even(3, 2), 2); // 1.5
        assert_eq!(round_half_even(28, 5), 6); // 5.6
        assert_eq!(round_half_even(36, 5), 7); // 7.2
        assert_eq!(round_half_even(40, 5), 8);
    }

    #[test]
    fn proportional_with_four_of_five_days() {
        let mut anna = person("anna", 7, 2);
        anna.days[2].leave = true;
        let mut bernat = person("bernat", 10, 2);
        bernat.days[4].busy = mask("1111"); // mandatory all day: not worked
        let mut carla = person("carla", 10, 2);
        carla.days[0].busy = mask("1110"); // still works that day
        let w = compute_week_load(&week(1, vec![anna, bernat, carla])).unwrap();
        let [a, b, c] = &w.people[..] else { panic!() };
        assert_eq!(
            (a.days_worked, a.proportional, a.rounded),
            (4, Fraction { num: 28, den: 5 }, 6)
        );
        assert_eq!(a.proportional.to_string(), "5.6");
        assert_eq!(a.day_capacity, [2, 2, 0, 2, 2]);
        assert_eq!((b.days_worked, b.rounded, b.capacity), (4, 8, 8));
        assert_eq!((c.days_worked, c.rounded, c.day_capacity), (5, 10, [1, 2, 2, 2, 2]));
        assert_eq!((c.capped, c.capacity), (9, 9));
        assert!(c.explain().contains("capped at the capacity of 9"), "{}", c.explain());
    }

    #[test]
    fn team_holidays_remove_days_and_seats() {
        let mut input = week(1, vec![person("anna", 10, 2), person("bernat", 10, 2)]);
        input.team_works[0] = false;
        let w = compute_week_load(&input).unwrap();
        assert_eq!(w.summary.team_days, 4);
        assert_eq!(w.summary.seats, 16);
        assert_eq!(w.people[0].days_worked, 4);
        assert_eq!(w.people[0].day_capacity[0], 0);
        assert_eq!(finals(&w), vec![("anna", 8), ("bernat", 8)]);
    }

    #[test]
    fn raising_reaches_exactly_the_seats() {
        // 5 days × 4 turns × 2 lines = 40 seats; proportional loads add up to 34.
        let people = vec![
            person("c", 8, 2),  // capacity 10
            person("a", 8, 2),  // capacity 10
            person("b", 8, 3),  // capacity 15: the most spare, raised first
            person("d", 10, 2), // capacity 10, already full
        ];
        let w = compute_week_load(&week(2, people)).unwrap();
        // b goes up until its spare (2) ties with a and c; a and c tie on ratio too: a by id.
        assert_eq!(finals(&w), vec![("c", 8), ("a", 9), ("b", 13), ("d", 10)]);
        let adj: Vec<i64> = w.people.iter().map(|p| p.adjustment).collect();
        assert_eq!(adj, vec![0, 1, 5, 0]);
        assert_eq!(w.summary.assigned, 40);
        assert_eq!(w.summary.seats, 40);
        assert_eq!(
            (w.summary.lines_used, w.summary.lines_dropped, w.summary.empty_seats),
            (2, 0, 0)
        );
        assert!(w.people[2].explain().ends_with("+5 to fill the week's seats: 13 turns"));
    }

    #[test]
    fn raising_prefers_the_lowest_ratio_to_ideal_on_equal_spare() {
        // 20 seats; z has 10 of 15 (ratio 1), y 4 of 10 (spare 6, raised first). Then spares tie
        // at 5 and z goes first on its lower ratio (1 < 5/4), though y comes first by id; and
        // so on, alternating, until z 13 + y 7 = 20.
        let input = week(1, vec![person("z", 10, 3), person("y", 4, 2)]);
        let w = compute_week_load(&input).unwrap();
        assert_eq!(w.summary.assigned, 20);
        assert_eq!(finals(&w), vec![("z", 13), ("y", 7)]);
    }

    #[test]
    fn lowering_reaches_exactly_the_seats() {
        // 5 × 4 × 1 = 20 seats; rounded loads 7 + 9 + 6 = 22.
        let mut a = person("a", 9, 2);
        a.days[1].leave = true; // 7.2 → 7 (0.2 below its share)
        let b = person("b", 9, 2); // 9 (on its share)
        let mut c = person("c", 7, 2);
        c.days[3].leave = true; // 5.6 → 6 (0.4 above its share): lowered first
        let w = compute_week_load(&week(1, vec![a, b, c])).unwrap();
        assert_eq!(finals(&w), vec![("a", 7), ("b", 8), ("c", 5)]);
        assert_eq!(w.summary.assigned, 20);
        assert_eq!(w.summary.excess, 0);
        assert!(w.people[1].explain().contains("; -1 to fit the week's seats"));
    }

    #[test]
    fn lines_are_dropped_when_capacity_cannot_fill_them() {
        // 3 lines × 20 seats; two people can take 10 each: two whole lines stay empty.
        let w = compute_week_load(&week(3, vec![person("a", 10, 2), person("b", 10, 2)])).unwrap();
        let s = &w.summary;
        assert_eq!(
            (s.seats, s.assigned, s.lines_dropped, s.lines_used, s.empty_seats),
            (60, 20, 2, 1, 0)
        );

        // Capacity 15: two lines dropped, 5 seats of the remaining line stay empty.
        let mut b = person("b", 10, 2);
        b.days[0].leave = true;
        b.days[1].leave = true;
        b.days[2].busy = mask("0110"); // 1 turn that day
        let w = compute_week_load(&week(3, vec![person("a", 10, 2), b])).unwrap();
        let s = &w.summary;
        assert_eq!(w.people[1].capacity, 5);
        assert_eq!(
            (s.assigned, s.lines_dropped, s.lines_used, s.empty_seats),
            (15, 2, 1, 5)
        );
    }

    /// A summer week: 3 lines × 20 seats; eight people with an ideal of 2 and room for 10, four
    /// with an ideal of 4 on leave two days (proportional 2.4, room for 6).
    fn summer_week(max_overload: Option<u32>) -> WeekLoad {
        let mut people: Vec<PersonWeek> = (0..8).map(|i| person(&format!("p{i}"), 2, 2)).collect();
        for i in 0..4 {
            let mut p = person(&format!("q{i}"), 4, 2);
            p.days[0].leave = true;
            p.days[1].leave = true;
            people.push(p);
        }
        let mut input = week(3, people);
        input.max_overload = max_overload;
        compute_week_load(&input).unwrap()
    }

    /// final ≤ proportional + max overload, in fifths.
    fn within(w: &WeekLoad, m: u32) -> bool {
        w.people.iter().all(|p| {
            u64::from(p.final_load) * p.proportional.den <= p.proportional.num + u64::from(m) * p.proportional.den
        })
    }

    #[test]
    fn without_a_max_overload_a_short_week_loads_people_up_to_their_capacity() {
        let w = summer_week(None);
        assert_eq!(w.summary.assigned, 60, "every seat filled");
        assert!(w.people.iter().any(|p| p.ideal == 2 && p.final_load >= 5));
        assert_eq!((w.summary.overload_capped, w.summary.empty_by_overload), (0, 0));
    }

    #[test]
    fn max_overload_one_raises_nobody_beyond_proportional_plus_one() {
        let w = summer_week(Some(1));
        assert!(within(&w, 1), "{:?}", finals(&w));
        assert!(w.people.iter().all(|p| p.final_load == 3), "{:?}", finals(&w));
        let s = &w.summary;
        // 36 turns for 60 seats: 24 empty, a whole line (20) dropped, 4 empty seats.
        assert_eq!(
            (s.assigned, s.lines_dropped, s.lines_used, s.empty_seats),
            (36, 1, 2, 4)
        );
        assert_eq!(
            (s.max_overload, s.overload_capped, s.empty_by_overload),
            (Some(1), 12, 24)
        );
        assert!(w.people.iter().all(|p| p.overload_capped));
        assert!(
            w.people[0]
                .explain()
                .ends_with("; +1 to fill the week's seats; not raised beyond 3 (the most turns above the proportional load), with room for 10: 3 turns"),
            "{}",
            w.people[0].explain()
        );
        assert_eq!(w.people[8].overload_limit, Some(3), "⌊2.4⌋ + 1");
    }

    #[test]
    fn max_overload_zero_never_raises_above_the_proportional_load() {
        let w = summer_week(Some(0));
        assert!(within(&w, 0), "{:?}", finals(&w));
        assert!(w.people.iter().all(|p| p.final_load == 2 && p.adjustment == 0));
        let s = &w.summary;
        assert_eq!(
            (
                s.assigned,
                s.lines_dropped,
                s.lines_used,
                s.empty_seats,
                s.empty_by_overload
            ),
            (24, 1, 2, 16, 36)
        );
    }

    #[test]
    fn max_overload_caps_nobody_when_capacity_is_the_limit() {
        // 3 lines, two people with room for 10 each and an ideal of 10: capacity stops them, not
        // the max overload.
        let mut input = week(3, vec![person("a", 10, 2), person("b", 10, 2)]);
        input.max_overload = Some(0);
        let w = compute_week_load(&input).unwrap();
        assert_eq!(
            (
                w.summary.lines_dropped,
                w.summary.overload_capped,
                w.summary.empty_by_overload
            ),
            (2, 0, 0)
        );
    }

    fn with_credit(mut p: PersonWeek, credit: i64) -> PersonWeek {
        p.credit = credit;
        p
    }

    #[test]
    fn raising_prefers_debtors_while_they_are_in_debt() {
        // 20 seats, 16 turns: 4 to add. Without balances a and b get 2 each.
        let even = compute_week_load(&week(1, vec![person("a", 8, 3), person("b", 8, 3)])).unwrap();
        assert_eq!(finals(&even), vec![("a", 10), ("b", 10)]);
        // B is 3 turns in debt: raised 3 first, then the most spare (a).
        let w = compute_week_load(&week(1, vec![person("a", 8, 3), with_credit(person("b", 8, 3), -3)])).unwrap();
        assert_eq!(finals(&w), vec![("a", 9), ("b", 11)]);
        assert_eq!(w.people[1].exchanged, 0);
        assert!(
            w.people[1]
                .explain()
                .contains("; +3 to fill the week's seats (a balance of -3 turns)"),
            "{}",
            w.people[1].explain()
        );
    }

    #[test]
    fn lowering_prefers_creditors_while_they_are_in_credit() {
        // 20 seats, 24 turns: 4 to remove. Without balances one each, then a.
        let even = compute_week_load(&week(1, vec![person("a", 8, 2), person("b", 8, 2), person("c", 8, 2)])).unwrap();
        assert_eq!(finals(&even), vec![("a", 6), ("b", 7), ("c", 7)]);
        let w = compute_week_load(&week(
            1,
            vec![person("a", 8, 2), person("b", 8, 2), with_credit(person("c", 8, 2), 2)],
        ))
        .unwrap();
        assert_eq!(finals(&w), vec![("a", 7), ("b", 7), ("c", 6)]);
    }

    #[test]
    fn the_exchange_moves_turns_from_creditors_to_debtors_until_it_no_longer_helps() {
        // 20 seats filled exactly; a is 3 turns in credit, b 2 in debt, c (an override) 5 in
        // credit and d in debt but without room.
        let mut c = with_credit(person("c", 4, 2), 5);
        c.override_load = Some(0);
        let mut d = with_credit(person("d", 2, 1), -4);
        d.days = std::array::from_fn(|i| PersonDay {
            leave: i > 1,
            busy: Vec::new(),
        });
        let input = week(
            1,
            vec![
                with_credit(person("a", 9, 3), 3),
                with_credit(person("b", 9, 3), -2),
                c,
                d,
            ],
        );
        let w = compute_week_load(&input).unwrap();
        // Balances after: a 3 − 2 = 1, b −2 + 2 = 0: one more move would not lower the total.
        assert_eq!(finals(&w), vec![("a", 7), ("b", 11), ("c", 0), ("d", 2)]);
        let moved: Vec<i64> = w.people.iter().map(|p| p.exchanged).collect();
        assert_eq!(
            moved,
            vec![-2, 2, 0, 0],
            "overrides and people without room are left alone"
        );
        assert_eq!(w.summary.assigned, 20);
        assert!(
            w.people[0]
                .explain()
                .contains("; -2 to the most indebted (a balance of +3 turns)"),
            "{}",
            w.people[0].explain()
        );
        assert!(
            w.people[1]
                .explain()
                .contains("; +2 from the most credited (a balance of -2 turns)")
        );

        // The max overload is a limit of the raise and of the exchange: d stays at ⌊0.8⌋ + 1, b
        // (raised to fill the seat d cannot take) reaches 9 + 1 and takes nothing from a.
        let mut input = input;
        input.max_overload = Some(1);
        let w = compute_week_load(&input).unwrap();
        assert_eq!(finals(&w), vec![("a", 9), ("b", 10), ("c", 0), ("d", 1)]);
        assert!(w.people.iter().all(|p| p.exchanged == 0));
    }

    #[test]
    fn ideal_zero_is_never_raised() {
        let w = compute_week_load(&week(1, vec![person("a", 10, 2), person("boss", 0, 3)])).unwrap();
        assert_eq!(finals(&w), vec![("a", 10), ("boss", 0)]);
        assert_eq!(w.summary.empty_seats, 10);
    }

    #[test]
    fn overrides_are_taken_as_given_and_flagged_above_capacity() {
        let mut a = person("a", 10, 2);
        a.override_load = Some(12);
        let mut b = person("b", 10, 2);
        b.override_load = Some(3);
        let w = compute_week_load(&week(1, vec![a, b, person("c", 10, 2)])).unwrap();
        // 12 + 3 + 10 = 25 > 20: only c may be lowered.
        assert_eq!(finals(&w), vec![("a", 12), ("b", 3), ("c", 5)]);
        assert!(w.people[0].over_capacity && !w.people[1].over_capacity);
        assert_eq!((w.people[0].adjustment, w.people[2].adjustment), (0, -5));
        assert!(w.people[0].explain().contains("above the capacity of 10"));
        assert_eq!(w.summary.excess, 0);

        let mut a = person("a", 10, 2);
        a.override_load = Some(25);
        let w = compute_week_load(&week(1, vec![a])).unwrap();
        assert_eq!((w.summary.assigned, w.summary.excess), (25, 5));
    }

    #[test]
    fn same_input_gives_same_output_whatever_the_order() {
        let make = || {
            let mut people: Vec<PersonWeek> = ["e", "d", "c", "b", "a"].iter().map(|id| person(id, 7, 3)).collect();
            people[1].days[0].busy = mask("1001");
            people[3].days[4].leave = true;
            week(2, people)
        };
        let first = compute_week_load(&make()).unwrap();
        assert_eq!(first, compute_week_load(&make()).unwrap());
        assert_eq!(first.summary.assigned, 40);

        let mut reversed = make();
        reversed.people.reverse();
        let mut other = compute_week_load(&reversed).unwrap();
        other.people.reverse();
        assert_eq!(first, other);
    }

    #[test]
    fn bad_input_names_the_field() {
        let mut input = week(1, vec![person("a", 10, 2)]);
        input.turns = 0;
        assert_eq!(compute_week_load(&input).unwrap_err().field, "turns");
        let input = week(1, vec![person("a", 10, 2), person("a", 5, 2)]);
        assert_eq!(compute_week_load(&input).unwrap_err().field, "people");
        let mut input = week(1, vec![person("a", 10, 2)]);
        input.people[0].days[1].busy = mask("111");
        let e = compute_week_load(&input).unwrap_err();
        assert_eq!(e.field, "busy");
        assert!(e.message.contains("dm"), "{e}");
    }

    #[test]
    fn busy_week_from_tomatic_entries() {
        let text = "\
+anna dl 1100 # school run
+anna 0001 # late class
anna dm 1111 # rather not
+anna 2024-06-05 # doctor
+anna 2024-06-12 # next week
+bernat dl # other person
";
        let (entries, errors) = parse_busy_file(text, 4);
        assert!(errors.is_empty(), "{errors:?}");
        let entries: Vec<_> = entries.into_iter().map(|(_, e)| e).collect();
        let wednesday = NaiveDate::from_ymd_opt(2024, 6, 5).unwrap();
        let busy = mandatory_busy_week(&entries, "anna", wednesday, 4);
        let expected = [mask("1101"), mask("0001"), mask("1111"), mask("0001"), mask("0001")];
        assert_eq!(busy, expected);

        let mut anna = person("anna", 10, 2);
        for (day, b) in anna.days.iter_mut().zip(busy) {
            day.busy = b;
        }
        let w = compute_week_load(&week(1, vec![anna])).unwrap();
        let a = &w.people[0];
        assert_eq!((a.days_worked, a.rounded, a.day_capacity), (4, 8, [1, 2, 0, 2, 2]));
        assert_eq!(a.final_load, 7);
    }
}
