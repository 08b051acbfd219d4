//! From the rota data to a week's plan: which days have seats, each person's load (with every
//! step, see `load`), and the solver's problem. Also the rules of editing a timetable by hand:
//! who is free for a seat, and how many empty seats a turn may have.
use super::Invalid;
use super::data::{AvailabilityInput, FixedSeat, Holiday, PersonFields, TeamSettings, WEEKDAY_NAMES};
use super::load::{PersonDay, PersonWeek, WEEKDAYS, WeekInput, WeekLoad, compute_week_load};
use super::solver::{Busy, Fixed, Person, Problem, Rules, Timetable, Weights};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Everything stored that a week's plan depends on.
#[derive(Clone, Debug, Default)]
pub struct WeekSource {
    pub settings: TeamSettings,
    /// Everyone; only active people with an ideal load are planned.
    pub people: Vec<PersonFields>,
    pub entries: Vec<(String, AvailabilityInput)>,
    pub holidays: Vec<Holiday>,
    pub fixed: Vec<FixedSeat>,
    /// Coordinators' loads for this week, by handle.
    pub overrides: Vec<(String, u32)>,
    /// Balances of turns across weeks, by handle (+ = given more than their share so far).
    pub credits: Vec<(String, i64)>,
}

#[derive(Clone, Debug)]
pub struct WeekPlan {
    pub monday: NaiveDate,
    /// The days with seats (working days that are not holidays), in order.
    pub days: Vec<NaiveDate>,
    pub load: WeekLoad,
    pub problem: Problem,
    /// The week's notes: fixed turns that do not apply this week and why, each said once.
    pub notes: Vec<String>,
}

/// How a person stands for one turn of one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standing {
    Free,
    /// Would rather not, with the reason.
    RatherNot(String),
    /// Cannot, with the reason.
    Cannot(String),
}

impl WeekSource {
    fn on_rota(&self) -> impl Iterator<Item = &PersonFields> {
        self.people.iter().filter(|p| p.active && p.ideal_load.is_some())
    }

    /// How `handle` stands for `turn` of `date`; mandatory entries win over optional ones.
    pub fn standing(&self, handle: &str, date: NaiveDate, turn: usize) -> Standing {
        let turns = self.settings.turns();
        let mut out = Standing::Free;
        for (h, e) in self.entries.iter().filter(|(h, _)| h == handle) {
            let _ = h;
            let Some(mask) = e.on(date, turns, &self.settings.working_days) else {
                continue;
            };
            if !mask.get(turn).copied().unwrap_or(false) {
                continue;
            }
            if e.mandatory {
                return Standing::Cannot(e.reason.clone());
            }
            out = Standing::RatherNot(e.reason.clone());
        }
        out
    }

    /// Why `handle`'s fixed turn `turn` of `date` cannot be honoured, if it cannot: leave or a
    /// mandatory busy entry (with its reason).
    fn void_reason(&self, handle: &str, date: NaiveDate, turn: usize) -> Option<String> {
        let turns = self.settings.turns();
        let mut busy = None;
        for (_, e) in self.entries.iter().filter(|(h, e)| h == handle && e.mandatory) {
            let Some(mask) = e.on(date, turns, &self.settings.working_days) else {
                continue;
            };
            if !mask.get(turn).copied().unwrap_or(false) {
                continue;
            }
            if e.kind == super::data::AvailabilityKind::Leave {
                return Some(format!("on leave ({})", e.reason));
            }
            busy.get_or_insert_with(|| format!("busy ({})", e.reason));
        }
        busy
    }

    /// Days of the week starting `monday` with seats: the team's working days from Monday to
    /// Friday that are not holidays. (The weekly load is defined on Monday to Friday.)
    pub fn days(&self, monday: NaiveDate) -> Vec<NaiveDate> {
        (0..WEEKDAYS as i64)
            .map(|i| monday + Duration::days(i))
            .filter(|d| self.settings.works_on(*d) && !self.holidays.iter().any(|h| h.day == *d))
            .collect()
    }
}

/// The plan of the week starting `monday`.
pub fn plan_week(src: &WeekSource, monday: NaiveDate, seed: u64, time_limit_s: f64) -> Result<WeekPlan, Invalid> {
    if monday.weekday().num_days_from_monday() != 0 {
        return Err(Invalid::new("week", format!("{monday} is not a Monday")));
    }
    let s = &src.settings;
    let turns = s.turns();
    let days = src.days(monday);
    let team_works: [bool; WEEKDAYS] = std::array::from_fn(|i| days.contains(&(monday + Duration::days(i as i64))));
    let people: Vec<&PersonFields> = src.on_rota().collect();
    let weeks = people
        .iter()
        .map(|p| {
            let days: [PersonDay; WEEKDAYS] = std::array::from_fn(|i| {
                let date = monday + Duration::days(i as i64);
                let mut busy = vec![false; turns];
                let mut leave = false;
                for (_, e) in src.entries.iter().filter(|(h, _)| *h == p.handle) {
                    if !e.mandatory {
                        continue;
                    }
                    if let Some(mask) = e.on(date, turns, &s.working_days) {
                        leave |= e.kind == super::data::AvailabilityKind::Leave;
                        for (b, m) in busy.iter_mut().zip(mask) {
                            *b |= m;
                        }
                    }
                }
                PersonDay { leave, busy }
            });
            PersonWeek {
                id: p.handle.clone(),
                ideal: p.ideal_load.unwrap_or(0),
                max_turns_per_day: p.max_turns_per_day.unwrap_or(s.max_turns_per_day),
                days,
                override_load: src.overrides.iter().find(|(h, _)| *h == p.handle).map(|(_, l)| *l),
                credit: src.credits.iter().find(|(h, _)| *h == p.handle).map_or(0, |(_, c)| *c),
            }
        })
        .collect();
    let load = compute_week_load(&WeekInput {
        turns,
        lines: s.lines,
        team_works,
        people: weeks,
        max_overload: Some(s.max_overload),
    })?;

    let mut busy = Vec::new();
    for p in &people {
        for (di, date) in days.iter().enumerate() {
            for t in 0..turns {
                match src.standing(&p.handle, *date, t) {
                    Standing::Free => {}
                    Standing::RatherNot(_) => busy.push(Busy {
                        person: p.handle.clone(),
                        day: di as i64,
                        turn: t as i64,
                        optional: true,
                    }),
                    Standing::Cannot(_) => busy.push(Busy {
                        person: p.handle.clone(),
                        day: di as i64,
                        turn: t as i64,
                        optional: false,
                    }),
                }
            }
        }
    }
    let lines_used = load.summary.lines_used.max(1);
    let mut fixed = Vec::new();
    let mut notes = Vec::new();
    for (di, date) in days.iter().enumerate() {
        let weekday = date.weekday().num_days_from_monday() as u8;
        for seat in src
            .fixed
            .iter()
            .filter(|f| f.weekday == weekday && (f.turn as usize) < turns)
        {
            match &seat.person {
                Some(h) => {
                    // A fixed turn nobody can honour is void this week: not in the problem (so
                    // never charged), said once in the week's notes.
                    let load = people
                        .iter()
                        .position(|p| &p.handle == h)
                        .map(|i| load.people[i].final_load);
                    let why = match load {
                        None => Some("not on the rota".to_string()),
                        Some(l) => src
                            .void_reason(h, *date, seat.turn as usize)
                            .or_else(|| (l == 0).then(|| "not on the rota this week (no turns)".to_string())),
                    };
                    match why {
                        None => fixed.push(Fixed {
                            person: Some(h.clone()),
                            day: di as i64,
                            turn: i64::from(seat.turn),
                        }),
                        Some(why) => {
                            let note = format!(
                                "{h}'s fixed turn {} {} does not apply this week: {why}",
                                WEEKDAY_NAMES[usize::from(weekday)],
                                s.turn_start(seat.turn as usize)
                            );
                            if !notes.contains(&note) {
                                notes.push(note);
                            }
                        }
                    }
                }
                None if seat.line < lines_used => fixed.push(Fixed {
                    person: None,
                    day: di as i64,
                    turn: i64::from(seat.turn),
                }),
                None => {}
            }
        }
    }
    let problem = Problem {
        days: days
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    WEEKDAY_NAMES[d.weekday().num_days_from_monday() as usize],
                    d.format("%d")
                )
            })
            .collect(),
        turns: (0..turns).map(|t| s.turn_start(t)).collect(),
        lines: i64::from(lines_used),
        persons: people
            .iter()
            .zip(&load.people)
            .map(|(p, l)| Person {
                id: p.handle.clone(),
                load: i64::from(l.final_load),
                max_per_day: i64::from(p.max_turns_per_day.unwrap_or(s.max_turns_per_day)),
                desk: p.desk.clone(),
                groups: p.groups.clone(),
            })
            .collect(),
        busy,
        fixed,
        weights: Weights::default(),
        rules: Rules {
            max_per_desk: s.max_per_desk.map(i64::from),
            groups: s
                .group_rules
                .iter()
                .map(|g| super::solver::GroupRule {
                    group: g.group.clone(),
                    max_on_phone: g.max_on_phone.map(i64::from),
                    min_off_phone: g.min_off_phone.map(i64::from),
                })
                .collect(),
            midday_after: None,
        },
        time_limit_s,
        seed,
        previous: None,
    };
    Ok(WeekPlan {
        monday,
        days,
        load,
        problem,
        notes,
    })
}

/// A week's seats: per day, per turn, per line, the handle or `None`.
pub type Seats = Vec<Vec<Vec<Option<String>>>>;

/// The solver's timetable (people first, then empty seats) laid out on `lines` lines.
pub fn seats_of(t: &Timetable, lines: usize) -> Seats {
    t.0.iter()
        .map(|day| {
            day.iter()
                .map(|turn| {
                    let mut row: Vec<Option<String>> = turn.iter().filter(|p| p.is_some()).cloned().collect();
                    row.resize(lines.max(row.len()), None);
                    row
                })
                .collect()
        })
        .collect()
}

/// Seats as the solver's timetable (for a repair).
pub fn timetable_of(seats: &Seats) -> Timetable {
    Timetable(seats.clone())
}

/// Whether a turn may lose one more person by hand: refused when it would have more empty seats
/// than the team allows. `label` names the turn in the message ("Wed 09:00").
pub fn check_empty_seats(row: &[Option<String>], max_empty: u32, label: &str) -> Result<(), Invalid> {
    let empty_after = row.iter().filter(|s| s.is_none()).count() + 1;
    if empty_after > max_empty as usize {
        return Err(Invalid::new("seat", format!("Too many empty seats in {label}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rota::rules::data::{AvailabilityKind, HolidayKind};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn person(h: &str, load: u32) -> PersonFields {
        PersonFields {
            handle: h.into(),
            full_name: h.into(),
            colour: "#abc".into(),
            ideal_load: Some(load),
            active: true,
            ..Default::default()
        }
    }

    fn source() -> WeekSource {
        WeekSource {
            settings: TeamSettings {
                lines: 2,
                ..Default::default()
            },
            people: vec![person("anna", 4), person("bea", 4), person("carl", 2), {
                let mut p = person("dora", 4);
                p.active = false;
                p
            }],
            entries: vec![
                (
                    "anna".into(),
                    AvailabilityInput {
                        kind: AvailabilityKind::Weekly,
                        weekday: Some(0),
                        date_from: None,
                        date_to: None,
                        turns: Some(vec![true, false, false, false]),
                        mandatory: true,
                        reason: "meeting".into(),
                    },
                ),
                (
                    "bea".into(),
                    AvailabilityInput {
                        kind: AvailabilityKind::Weekly,
                        weekday: None,
                        date_from: None,
                        date_to: None,
                        turns: Some(vec![false, false, false, true]),
                        mandatory: false,
                        reason: "rather not".into(),
                    },
                ),
            ],
            holidays: vec![Holiday {
                day: d("2026-11-25"),
                name: "Feast".into(),
                kind: HolidayKind::Holiday,
            }],
            fixed: vec![FixedSeat {
                weekday: 1,
                turn: 2,
                line: 0,
                person: Some("carl".into()),
            }],
            overrides: vec![("carl".into(), 3)],
            credits: Vec::new(),
        }
    }

    #[test]
    fn a_week_plan_leaves_out_holidays_and_inactive_people() {
        let plan = plan_week(&source(), d("2026-11-23"), 1, 1.0).unwrap();
        assert_eq!(plan.days.len(), 4, "Wednesday is a holiday");
        assert_eq!(plan.problem.days[0], "Mon 23");
        let ids: Vec<_> = plan.problem.persons.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["anna", "bea", "carl"]);
        assert_eq!(plan.problem.persons[2].load, 3, "the override is taken as given");
        assert!(
            plan.problem
                .busy
                .iter()
                .any(|b| b.person == "anna" && b.day == 0 && b.turn == 0 && !b.optional)
        );
        assert_eq!(
            plan.problem
                .busy
                .iter()
                .filter(|b| b.person == "bea" && b.optional)
                .count(),
            4
        );
        assert_eq!(
            plan.problem.fixed,
            vec![Fixed {
                person: Some("carl".into()),
                day: 1,
                turn: 2
            }]
        );
        assert!(plan_week(&source(), d("2026-11-24"), 1, 1.0).is_err());
        assert_eq!(
            plan.problem.rules,
            Rules::default(),
            "optional rules are off unless set"
        );
        let mut src = source();
        src.settings.max_per_desk = Some(2);
        src.settings.group_rules = crate::rota::rules::data::GroupLimit::parse_lines("it max=1").unwrap();
        let rules = plan_week(&src, d("2026-11-23"), 1, 1.0).unwrap().problem.rules;
        assert_eq!(rules.max_per_desk, Some(2));
        assert_eq!(rules.groups[0].max_on_phone, Some(1));
    }

    #[test]
    fn standing_says_why() {
        let s = source();
        assert_eq!(
            s.standing("anna", d("2026-11-23"), 0),
            Standing::Cannot("meeting".into())
        );
        assert_eq!(
            s.standing("bea", d("2026-11-24"), 3),
            Standing::RatherNot("rather not".into())
        );
        assert_eq!(s.standing("carl", d("2026-11-24"), 3), Standing::Free);
    }

    #[test]
    fn seats_put_people_first_and_fill_lines() {
        let t = Timetable(vec![vec![vec![None, Some("anna".into())]]]);
        assert_eq!(seats_of(&t, 3), vec![vec![vec![Some("anna".into()), None, None]]]);
    }

    #[test]
    fn empty_seats_are_limited_by_hand() {
        let row = vec![Some("a".into()), None, Some("b".into())];
        assert!(check_empty_seats(&row, 2, "Wed 09:00").is_ok());
        let err = check_empty_seats(&row, 1, "Wed 09:00").unwrap_err();
        assert_eq!(err.message, "Too many empty seats in Wed 09:00");
    }

    #[test]
    fn the_plan_solves_without_breaking_rules() {
        use crate::rota::rules::solver::{Iterations, solve};
        let plan = plan_week(&source(), d("2026-11-23"), 7, 1.0).unwrap();
        let sol = solve(&plan.problem, &mut Iterations(20_000), &mut |_| {}).unwrap();
        let seats = seats_of(&sol.timetable, 2);
        assert_eq!(seats.len(), 4);
        assert!(
            seats[0][0].iter().all(|s| s.as_deref() != Some("anna")),
            "anna cannot on Monday 09:00"
        );
    }

    #[test]
    fn fixed_turns_nobody_can_take_are_void_notes_and_the_rest_add_up_to_the_cost() {
        use crate::rota::rules::solver::{Iterations, solve};
        let mut src = source();
        src.people.push(person("emil", 0));
        src.people.push(person("flor", 4));
        src.entries.push((
            "flor".into(),
            AvailabilityInput {
                kind: AvailabilityKind::Leave,
                weekday: None,
                date_from: Some(d("2026-11-26")),
                date_to: Some(d("2026-11-26")),
                turns: None,
                mandatory: true,
                reason: "vacances".into(),
            },
        ));
        let at = |weekday, turn, line, h: &str| FixedSeat {
            weekday,
            turn,
            line,
            person: Some(h.into()),
        };
        src.fixed.extend([
            // Anna's Monday meeting is in the first turn: busy.
            at(0, 0, 1, "anna"),
            // Emil has an ideal of 0: not on the rota this week.
            at(3, 1, 0, "emil"),
            // Flor is on leave on Thursday.
            at(3, 1, 1, "flor"),
            // Dora is inactive.
            at(4, 0, 0, "dora"),
            // A fixed turn Bea can take.
            at(4, 3, 1, "bea"),
        ]);
        let plan = plan_week(&src, d("2026-11-23"), 7, 1.0).unwrap();
        assert_eq!(
            plan.notes,
            vec![
                "anna's fixed turn Mon 09:00 does not apply this week: busy (meeting)",
                "emil's fixed turn Thu 10:15 does not apply this week: not on the rota this week (no turns)",
                "flor's fixed turn Thu 10:15 does not apply this week: on leave (vacances)",
                "dora's fixed turn Fri 09:00 does not apply this week: not on the rota",
            ]
        );
        let fixed: Vec<(&str, i64, i64)> = plan
            .problem
            .fixed
            .iter()
            .map(|f| (f.person.as_deref().unwrap(), f.day, f.turn))
            .collect();
        assert_eq!(
            fixed,
            vec![("carl", 1, 2), ("bea", 3, 3)],
            "only the fixed turns that apply"
        );

        let sol = solve(&plan.problem, &mut Iterations(20_000), &mut |_| {}).unwrap();
        let missed: Vec<&str> = sol
            .penalties
            .iter()
            .filter(|p| p.rule == "fixed_missed")
            .map(|p| p.text.as_str())
            .collect();
        assert!(
            missed
                .iter()
                .all(|t| !["anna", "emil", "flor", "dora"].iter().any(|h| t.starts_with(h))),
            "{missed:?}"
        );
        assert_eq!(sol.penalties.iter().map(|p| p.points).sum::<i64>(), sol.cost);
    }
}
