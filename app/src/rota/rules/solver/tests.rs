use super::problem::Model;
use super::search::Rng;
use super::*;
use std::collections::{HashMap, HashSet};

fn person(id: &str, load: i64) -> Person {
    Person {
        id: id.into(),
        load,
        max_per_day: 2,
        desk: None,
        groups: vec![],
    }
}

fn problem(days: &[&str], turns: &[&str], lines: i64, persons: Vec<Person>) -> Problem {
    Problem {
        days: days.iter().map(|d| d.to_string()).collect(),
        turns: turns.iter().map(|t| t.to_string()).collect(),
        lines,
        persons,
        busy: vec![],
        fixed: vec![],
        weights: Weights::default(),
        rules: Rules::default(),
        time_limit_s: 10.0,
        seed: 1,
        previous: None,
    }
}

fn solve_n(p: &Problem, iterations: u64) -> Solution {
    solve(p, &mut Iterations(iterations), &mut |_| {}).unwrap()
}

/// The turns (0-based) `id` holds on `day`.
fn turns_of(s: &Solution, day: usize, id: &str) -> Vec<usize> {
    s.timetable.0[day]
        .iter()
        .enumerate()
        .filter(|(_, seats)| seats.iter().any(|x| x.as_deref() == Some(id)))
        .map(|(t, _)| t)
        .collect()
}

const FOUR: [&str; 4] = ["09:00", "10:15", "11:30", "12:45"];

#[test]
fn two_turns_are_consecutive_and_not_the_middle_pair() {
    let p = problem(&["Mon"], &FOUR, 1, vec![person("anna", 2), person("bea", 1)]);
    let s = solve_n(&p, 100_000);
    let anna = turns_of(&s, 0, "anna");
    assert!(anna == vec![0, 1] || anna == vec![2, 3], "{anna:?}");
    assert_eq!(turns_of(&s, 0, "bea").len(), 1);
    // One empty seat (100) and Anna's two turns on one day (10 × 2 × 1).
    assert_eq!(s.cost, 120);
    assert_eq!(exhaustive(&p, 1_000_000).unwrap().unwrap().0, 120);
    assert!(s.proven_optimal, "bound {}", s.lower_bound);
}

#[test]
fn fixed_turns_win_over_continuity() {
    let mut p = problem(&["Mon"], &FOUR, 1, vec![person("anna", 2), person("bea", 1)]);
    p.fixed = vec![
        Fixed {
            person: Some("anna".into()),
            day: 0,
            turn: 0,
        },
        Fixed {
            person: Some("anna".into()),
            day: 0,
            turn: 3,
        },
    ];
    let s = solve_n(&p, 100_000);
    assert_eq!(turns_of(&s, 0, "anna"), vec![0, 3]);
    // Empty seat 100, two turns on one day 20, first and last only 20.
    assert_eq!(s.cost, 140);
    assert_eq!(exhaustive(&p, 1_000_000).unwrap().unwrap().0, 140);
}

fn pattern(turns: usize, midday: Option<i64>, day: &str) -> i64 {
    let mut p = problem(&["Mon"], &[], 1, vec![person("a", 9)]);
    p.turns = (1..=turns).map(|t| format!("turn {t}")).collect();
    p.rules.midday_after = midday;
    let (m, _) = Model::build(&p, None).unwrap();
    let mask = day
        .bytes()
        .enumerate()
        .fold(0u32, |acc, (t, c)| acc | ((c == b'x') as u32) << t);
    m.pattern[mask as usize]
}

#[test]
fn four_turns_give_exactly_tomatics_table() {
    // Pattern points on top of same_day (10 × n × (n − 1)).
    for (day, points) in [
        ("xxx.", 40),
        (".xxx", 40),
        ("x.x.", 30),
        (".x.x", 30),
        ("x..x", 20),
        (".xx.", 10),
        ("xx..", 0),
        ("..xx", 0),
        ("x...", 0),
        ("....", 0),
    ] {
        let n = day.matches('x').count() as i64;
        assert_eq!(pattern(4, None, day), points + 10 * n * (n - 1), "{day}");
    }
}

#[test]
fn the_pattern_rule_generalises_to_three_and_five_turns() {
    // Three turns: the midday boundary after the first turn.
    assert_eq!(pattern(3, None, "xx."), 20 + 10);
    assert_eq!(pattern(3, None, ".xx"), 20);
    assert_eq!(pattern(3, None, "x.x"), 20 + 30);
    assert_eq!(pattern(3, None, "xxx"), 60 + 40);
    // Moving the boundary moves the break rule.
    assert_eq!(pattern(3, Some(2), ".xx"), 20 + 10);
    assert_eq!(pattern(3, Some(2), "xx."), 20);
    // Five turns: boundary after the second turn.
    assert_eq!(pattern(5, None, ".xx.."), 20 + 10);
    assert_eq!(pattern(5, None, "..xx."), 20);
    assert_eq!(pattern(5, None, "x.x.."), 20 + 30);
    assert_eq!(pattern(5, None, "x..x."), 20 + 20);
    assert_eq!(pattern(5, None, "x...x"), 20 + 20);
    assert_eq!(pattern(5, None, "x.x.x"), 60 + 30 + 30);
    assert_eq!(pattern(5, None, "xxxx."), 120 + 80);
    assert_eq!(pattern(5, None, "xxx.x"), 120 + 40 + 30);
}

fn texts(s: &Solution, rule: &str) -> Vec<String> {
    s.penalties
        .iter()
        .filter(|p| p.rule == rule)
        .map(|p| format!("{} {}", p.points, p.text))
        .collect()
}

/// A timetable built by hand (through `previous` with a zero change weight) and priced.
fn priced(p: &Problem, tt: &Timetable) -> Solution {
    let (m, _) = Model::build(p, None).unwrap();
    let mut masks = vec![0u32; m.persons * m.days];
    for (d, day) in tt.0.iter().enumerate() {
        for (t, seats) in day.iter().enumerate() {
            for id in seats.iter().flatten() {
                let i = m.ids.iter().position(|x| x == id).unwrap();
                masks[i * m.days + d] |= 1 << t;
            }
        }
    }
    let penalties = cost::explain(&m, &masks);
    assert_eq!(penalties.iter().map(|x| x.points).sum::<i64>(), m.total(&masks));
    Solution {
        cost: m.total(&masks),
        lower_bound: 0,
        proven_optimal: false,
        totals: cost::totals(&penalties),
        penalties,
        timetable: tt.clone(),
        time_to_best_s: 0.0,
        elapsed_s: 0.0,
        iterations: 0,
        warnings: vec![],
    }
}

fn tt(days: &[&[&[Option<&str>]]]) -> Timetable {
    Timetable(
        days.iter()
            .map(|d| {
                d.iter()
                    .map(|t| t.iter().map(|x| x.map(str::to_string)).collect())
                    .collect()
            })
            .collect(),
    )
}

#[test]
fn every_rule_has_its_words() {
    let mut p = problem(&["Mon", "Tue"], &FOUR, 2, vec![person("Anna", 9), person("Bea", 9)]);
    p.persons[0].max_per_day = 4;
    p.busy = vec![Busy {
        person: "Bea".into(),
        day: 1,
        turn: 0,
        optional: true,
    }];
    p.fixed = vec![Fixed {
        person: Some("Bea".into()),
        day: 0,
        turn: 3,
    }];
    let a = Some("Anna");
    let b = Some("Bea");
    let n = None;
    let s = priced(
        &p,
        &tt(&[
            &[&[a, b], &[a, n], &[a, b], &[n, n]],
            &[&[b, n], &[a, b], &[a, n], &[n, n]],
        ]),
    );
    assert_eq!(
        texts(&s, "empty_seat"),
        vec![
            "100 1 empty seat on Mon 10:15",
            "400 2 empty seats on Mon 12:45",
            "100 1 empty seat on Tue 09:00",
            "100 1 empty seat on Tue 11:30",
            "400 2 empty seats on Tue 12:45"
        ]
    );
    assert_eq!(
        texts(&s, "fixed_missed"),
        vec!["50 Bea is not on the fixed turn Mon 12:45"]
    );
    assert_eq!(
        texts(&s, "in_a_row"),
        vec!["40 Anna has 3 turns without a break on Mon (09:00 to 11:30)"]
    );
    assert_eq!(
        texts(&s, "split"),
        vec!["30 Bea has split turns on Mon: 09:00 and 11:30 with one free turn between"]
    );
    assert_eq!(
        texts(&s, "no_break"),
        vec!["10 Anna has both middle turns on Tue (10:15 and 11:30) without a break"]
    );
    assert_eq!(
        texts(&s, "optional_busy"),
        vec!["5 Bea is on Tue 09:00, marked as rather not"]
    );
    assert_eq!(
        texts(&s, "same_day"),
        vec![
            "60 Anna has 3 turns on Mon",
            "20 Anna has 2 turns on Tue",
            "20 Bea has 2 turns on Mon",
            "20 Bea has 2 turns on Tue"
        ]
    );
    let s = priced(
        &p,
        &tt(&[
            &[&[a, b], &[n, n], &[n, n], &[a, b]],
            &[&[n, n], &[n, n], &[n, n], &[n, n]],
        ]),
    );
    assert_eq!(
        texts(&s, "first_last"),
        vec![
            "20 Anna has 09:00 and 12:45 on Mon with 2 free turns between",
            "20 Bea has 09:00 and 12:45 on Mon with 2 free turns between"
        ]
    );
    assert_eq!(s.totals.iter().map(|t| t.points).sum::<i64>(), s.cost);
}

#[test]
fn repair_charges_and_words_changes() {
    // Anna had Mon 09:00 and 10:15; she is now busy at 10:15. Bea (spare load) takes it over.
    let mut p = problem(
        &["Mon"],
        &FOUR,
        1,
        vec![person("Anna", 2), person("Bea", 2), person("Cat", 2)],
    );
    let a = Some("Anna");
    let c = Some("Cat");
    let previous = tt(&[&[&[a], &[a], &[c], &[c]]]);
    p.busy = vec![Busy {
        person: "Anna".into(),
        day: 0,
        turn: 1,
        optional: false,
    }];
    let s = repair(&p, &previous, &mut Iterations(50_000), &mut |_| {}).unwrap();
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("Anna on Mon 10:15 dropped (now busy)")),
        "{:?}",
        s.warnings
    );
    assert_eq!(turns_of(&s, 0, "Cat"), vec![2, 3]);
    assert_eq!(turns_of(&s, 0, "Anna"), vec![0]);
    assert_eq!(turns_of(&s, 0, "Bea"), vec![1]);
    assert_eq!(
        texts(&s, "changed_seat"),
        vec!["25 Bea now has Mon 10:15 (not in the previous timetable)"]
    );
    assert_eq!(s.cost, 25 + 20);
}

fn random_week(seed: u64, days: usize, turns: usize, lines: usize, persons: usize) -> Problem {
    let mut rng = Rng::new(seed);
    let day_names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut p = problem(&day_names[..days], &[], lines as i64, vec![]);
    p.turns = (0..turns).map(|t| format!("{:02}:00", 9 + t)).collect();
    let seats = days * turns * lines;
    for i in 0..persons {
        let mut q = person(&format!("p{i}"), ((seats / persons + rng.below(3)) as i64 - 1).max(0));
        q.max_per_day = 1 + rng.below(3) as i64;
        if rng.below(3) == 0 {
            q.desk = Some(format!("desk{}", rng.below(2)));
        }
        if rng.below(3) == 0 {
            q.groups = vec!["g".into()];
        }
        p.persons.push(q);
    }
    for _ in 0..rng.below(seats + 1) {
        p.busy.push(Busy {
            person: format!("p{}", rng.below(persons)),
            day: rng.below(days) as i64,
            turn: rng.below(turns) as i64,
            optional: rng.below(3) == 0,
        });
    }
    for _ in 0..rng.below(3) {
        p.fixed.push(Fixed {
            person: (rng.below(4) != 0).then(|| format!("p{}", rng.below(persons))),
            day: rng.below(days) as i64,
            turn: rng.below(turns) as i64,
        });
    }
    if rng.below(4) == 0 {
        p.rules.max_per_desk = Some(1);
    }
    if rng.below(4) == 0 {
        let both = rng.below(3);
        p.rules.groups = vec![GroupRule {
            group: "g".into(),
            max_on_phone: (both != 1).then_some(1),
            min_off_phone: (both != 0).then_some(1),
        }];
    }
    p.seed = seed;
    p
}

/// Checks the hard rules and prices the timetable straight from the problem, without the
/// model's bitmasks and tables.
fn independent_cost(p: &Problem, tt: &Timetable) -> Result<i64, String> {
    let w = &p.weights;
    let turns = p.turns.len();
    let midday = p.rules.midday_after.map_or(turns / 2, |m| m as usize);
    let busy: HashSet<(&str, usize, usize)> = p
        .busy
        .iter()
        .filter(|b| !b.optional)
        .map(|b| (b.person.as_str(), b.day as usize, b.turn as usize))
        .collect();
    let optional: HashSet<(&str, usize, usize)> = p
        .busy
        .iter()
        .filter(|b| b.optional)
        .map(|b| (b.person.as_str(), b.day as usize, b.turn as usize))
        .collect();
    // Fixed turns on busy turns, or of people without turns, are void: never charged.
    let fixed: HashSet<(&str, usize, usize)> = p
        .fixed
        .iter()
        .filter_map(|f| f.person.as_deref().map(|x| (x, f.day as usize, f.turn as usize)))
        .filter(|k| !busy.contains(k) && p.persons.iter().any(|x| x.id == k.0 && x.load > 0))
        .collect();
    let by_id: HashMap<&str, &Person> = p.persons.iter().map(|x| (x.id.as_str(), x)).collect();
    let mut cost = 0;
    let mut week: HashMap<&str, usize> = HashMap::new();
    if tt.0.len() != p.days.len() {
        return Err("days".into());
    }
    for (d, day) in tt.0.iter().enumerate() {
        if day.len() != turns {
            return Err(format!("day {d} has {} turns", day.len()));
        }
        let mut on_day: HashMap<&str, Vec<usize>> = HashMap::new();
        for (t, seats) in day.iter().enumerate() {
            let kept = p
                .fixed
                .iter()
                .filter(|f| f.person.is_none() && f.day as usize == d && f.turn as usize == t);
            let cap = p.lines as usize - kept.count();
            let people: Vec<&str> = seats.iter().flatten().map(String::as_str).collect();
            if people.len() > cap {
                return Err(format!("{d}/{t}: {} people for {cap} seats", people.len()));
            }
            cost += w.empty_seat * ((cap - people.len()) as i64).pow(2);
            let distinct: HashSet<&str> = people.iter().copied().collect();
            if distinct.len() != people.len() {
                return Err(format!("{d}/{t}: someone twice"));
            }
            let mut desks: HashMap<&str, i64> = HashMap::new();
            let mut in_group = 0;
            for id in &people {
                let who = by_id.get(id).ok_or(format!("unknown {id}"))?;
                if busy.contains(&(*id, d, t)) {
                    return Err(format!("{id} busy on {d}/{t}"));
                }
                if optional.contains(&(*id, d, t)) {
                    cost += w.optional_busy;
                }
                if let Some(desk) = &who.desk {
                    *desks.entry(desk).or_default() += 1;
                }
                in_group += who.groups.iter().any(|g| g == "g") as i64;
                *week.entry(id).or_default() += 1;
                on_day.entry(id).or_default().push(t);
            }
            if let Some(max) = p.rules.max_per_desk
                && desks.values().any(|n| *n > max)
            {
                return Err(format!("{d}/{t}: desk limit"));
            }
            for g in &p.rules.groups {
                let members = p.persons.iter().filter(|x| x.groups.contains(&g.group)).count() as i64;
                if g.max_on_phone.is_some_and(|n| in_group > n)
                    || g.min_off_phone.is_some_and(|n| members - in_group < n && in_group > 0)
                {
                    return Err(format!("{d}/{t}: group limit"));
                }
            }
        }
        for x in &p.persons {
            let taken = on_day.get(x.id.as_str()).cloned().unwrap_or_default();
            if taken.len() as i64 > x.max_per_day {
                return Err(format!("{} has {} turns on day {d}", x.id, taken.len()));
            }
            let day_string: String = (0..turns).map(|t| if taken.contains(&t) { 'x' } else { '.' }).collect();
            cost += pattern_points(&day_string, midday, w);
            for t in 0..turns {
                if fixed.contains(&(x.id.as_str(), d, t)) && !taken.contains(&t) {
                    cost += w.fixed_missed;
                }
            }
        }
    }
    for x in &p.persons {
        if week.get(x.id.as_str()).copied().unwrap_or(0) as i64 > x.load {
            return Err(format!("{} over load", x.id));
        }
    }
    Ok(cost)
}

/// The day pattern rules on a string like `x.x.`, by string scanning.
fn pattern_points(day: &str, midday: usize, w: &Weights) -> i64 {
    let n = day.matches('x').count() as i64;
    let mut c = w.same_day * n * (n - 1);
    for run in day.split('.') {
        if run.len() >= 3 {
            c += w.in_a_row * (run.len() as i64 - 2);
        }
    }
    for gap in day.trim_matches('.').split('x').filter(|g| !g.is_empty()) {
        c += if gap.len() == 1 { w.split } else { w.first_last };
    }
    let b = day.as_bytes();
    let x = |i: usize| b.get(i) == Some(&b'x');
    if midday >= 1 && x(midday - 1) && x(midday) && (midday < 2 || !x(midday - 2)) && !x(midday + 1) {
        c += w.no_break;
    }
    c
}

#[test]
fn random_problems_keep_the_hard_rules_and_price_honestly() {
    let mut compared = 0;
    for seed in 0..300u64 {
        let mut rng = Rng::new(seed * 7 + 3);
        let tiny = seed % 3 == 0;
        let (days, turns, lines, persons) = if tiny {
            (1 + rng.below(2), 2 + rng.below(3), 1 + rng.below(2), 1 + rng.below(3))
        } else {
            (1 + rng.below(3), 2 + rng.below(4), 1 + rng.below(3), 1 + rng.below(5))
        };
        let p = random_week(seed, days, turns, lines, persons);
        let s = solve_n(&p, 30_000);
        let listed: i64 = s.penalties.iter().map(|x| x.points).sum();
        assert_eq!(listed, s.cost, "seed {seed}: listed penalties");
        let independent = independent_cost(&p, &s.timetable).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(independent, s.cost, "seed {seed}: independent cost\n{:?}", s.timetable);
        assert!(s.lower_bound <= s.cost, "seed {seed}");
        let (model, _) = Model::build(&p, None).unwrap();
        if let Some(e) = super::exact::exact(&model, 50_000, None) {
            let (best, tt) = (e.cost, model.timetable(&e.masks));
            assert_eq!(independent_cost(&p, &tt), Ok(best), "seed {seed}: exhaustive timetable");
            assert!(
                s.lower_bound <= best,
                "seed {seed}: bound {} above the optimum {best}",
                s.lower_bound
            );
            assert_eq!(s.cost, best, "seed {seed}: local search missed the optimum");
            compared += 1;
        }
    }
    // Nearly every problem is small enough for the exhaustive search.
    assert!(
        compared >= 250,
        "only {compared} problems compared with the exhaustive search"
    );
}

#[test]
fn the_same_seed_gives_the_same_timetable() {
    let p = random_week(42, 5, 4, 3, 8);
    let a = solve_n(&p, 200_000);
    let b = solve_n(&p, 200_000);
    assert_eq!(a.timetable, b.timetable);
    assert_eq!(a.cost, b.cost);
    assert_eq!(a.penalties, b.penalties);
}

#[test]
fn repair_keeps_every_seat_it_can() {
    // A week where Cat has spare load and no turns; Anna falls ill on Thursday.
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri"];
    let mut persons: Vec<Person> = ["Anna", "Bea", "Dan", "Eve"].iter().map(|id| person(id, 5)).collect();
    persons.push(person("Cat", 2));
    let mut p = problem(&days, &FOUR, 1, persons);
    p.busy = (0..5)
        .flat_map(|d| (0..4).map(move |t| (d, t)))
        .map(|(d, t)| Busy {
            person: "Cat".into(),
            day: d,
            turn: t,
            optional: false,
        })
        .filter(|b| b.day != 3)
        .collect();
    let before = solve_n(&p, 300_000);
    let anna_thu = turns_of(&before, 3, "Anna");
    assert!(
        !anna_thu.is_empty(),
        "the test needs Anna on Thursday: {:?}",
        before.timetable
    );
    let mut ill = p.clone();
    for t in 0..4 {
        ill.busy.push(Busy {
            person: "Anna".into(),
            day: 3,
            turn: t,
            optional: false,
        });
    }
    let after = repair(&ill, &before.timetable, &mut Iterations(300_000), &mut |_| {}).unwrap();
    for (d, day) in before.timetable.0.iter().enumerate() {
        for (t, seats) in day.iter().enumerate() {
            for id in seats.iter().flatten() {
                if !(id == "Anna" && d == 3) {
                    assert!(
                        after.timetable.0[d][t].contains(&Some(id.clone())),
                        "{id} lost {d}/{t}: {:?}",
                        after.penalties
                    );
                }
            }
        }
    }
    assert_eq!(turns_of(&after, 3, "Anna"), Vec::<usize>::new());
    assert_eq!(turns_of(&after, 3, "Cat"), anna_thu);
}

fn invalid(json: &str) -> Invalid {
    Problem::from_json(json)
        .and_then(|p| solve(&p, &mut Iterations(1000), &mut |_| {}).map(|_| ()))
        .unwrap_err()
}

#[test]
fn validation_errors_name_the_field() {
    let base = r#""days": ["Mon"], "turns": 4, "lines": 2"#;
    let with = |rest: &str| format!("{{{base}, {rest}}}");
    let cases = [
        (
            with(r#""persons": [{"id": "a", "load": "three"}]"#),
            "persons[0].load",
            "\"three\"",
        ),
        (
            with(r#""persons": [{"id": "a", "lod": 3}]"#),
            "persons[0].lod",
            "unknown field",
        ),
        (
            with(r#""persons": [{"id": "a", "load": 1}, {"id": "a", "load": 1}]"#),
            "persons[1].id",
            "duplicate",
        ),
        (
            with(r#""persons": [{"id": "a", "load": 1}], "busy": [{"person": "z", "day": 0, "turn": 0}]"#),
            "busy[0].person",
            "unknown person 'z'",
        ),
        (
            with(r#""persons": [{"id": "a", "load": 1}], "fixed": [{"person": "a", "day": 3, "turn": 0}]"#),
            "fixed[0].day",
            "out of range",
        ),
        (
            with(r#""persons": [{"id": "a", "load": 1}], "busy": [{"person": "a", "day": 0, "turn": 4}]"#),
            "busy[0].turn",
            "out of range",
        ),
        (
            with(r#""persons": [{"id": "a", "load": -1}]"#),
            "persons[0].load",
            "0 or more",
        ),
        (with(r#""persons": [], "weights": {"split": -3}]"#), "json", ""),
        (
            with(r#""persons": [], "weights": {"split": -3}"#),
            "weights.split",
            "0 to",
        ),
        (
            with(r#""persons": [], "weights": {"splitt": 3}"#),
            "weights.splitt",
            "unknown field",
        ),
        (
            with(r#""persons": [], "rules": {"max_per_desk": 0}"#),
            "rules.max_per_desk",
            "at least 1",
        ),
        (
            r#"{"days": ["Mon"], "turns": 4, "lines": 0, "persons": []}"#.into(),
            "lines",
            "at least 1",
        ),
        (
            r#"{"days": ["Mon"], "turns": 4, "persons": []}"#.into(),
            "lines",
            "missing",
        ),
        (
            r#"{"days": ["Mon"], "turns": true, "lines": 1, "persons": []}"#.into(),
            "turns",
            "count",
        ),
    ];
    for (json, field, words) in cases {
        let e = invalid(&json);
        assert_eq!(e.field, field, "{json}: {e}");
        assert!(e.message.contains(words), "{json}: {e}");
    }
}

#[test]
fn reads_the_documented_format_and_warns() {
    let json = r#"{
        "days": ["Mon", "Tue"],
        "turns": ["09:00", "10:15", "11:30", "12:45"],
        "lines": 2,
        "persons": [
            {"id": "anna", "load": 9, "max_per_day": 2, "desk": "billing", "groups": ["it"]},
            {"id": "bea", "load": 3}
        ],
        "busy": [{"person": "anna", "day": 0, "turn": 1, "optional": false},
                 {"person": "bea", "day": 1, "turn": 0, "optional": true}],
        "fixed": [{"person": "anna", "day": 0, "turn": 1}, {"person": null, "day": 1, "turn": 3}],
        "weights": {"empty_seat": 100},
        "rules": {"max_per_desk": 1, "groups": [{"group": "it", "max_on_phone": 1}], "midday_after": 2},
        "time_limit_s": 1,
        "seed": 7
    }"#;
    let p = Problem::from_json(json).unwrap();
    let s = solve(&p, &mut Iterations(50_000), &mut |_| {}).unwrap();
    let joined = s.warnings.join("\n");
    assert!(joined.contains("anna: load 9 is more than the 4 turns"), "{joined}");
    assert!(
        joined.contains("anna: the fixed turn Mon 10:15 does not apply: it is a busy turn; it is not charged"),
        "{joined}"
    );
    assert!(texts(&s, "fixed_missed").is_empty(), "a void fixed turn is not charged");
    // The seat fixed empty is shown as a seat, and never filled.
    assert_eq!(s.timetable.0[1][3].iter().flatten().count(), 0);
    assert!(
        !texts(&s, "empty_seat")
            .iter()
            .any(|t| t.contains("Tue 12:45") && t.contains("2 empty"))
    );
    let out = serde_json::to_value(&s).unwrap();
    for key in [
        "cost",
        "penalties",
        "timetable",
        "lower_bound",
        "time_to_best_s",
        "warnings",
    ] {
        assert!(out.get(key).is_some(), "{key}");
    }
}

#[test]
fn a_raised_stop_flag_ends_the_search_with_the_best_so_far() {
    let p = random_week(5, 5, 4, 8, 40);
    let mut budget = Deadline::after_secs(60.0);
    budget.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut reports = Vec::new();
    let s = solve(&p, &mut budget, &mut |pr| reports.push(pr.clone())).unwrap();
    assert_eq!(s.iterations, 0);
    assert_eq!(reports.len(), 1, "the greedy start is reported");
    assert_eq!(reports[0].cost, s.cost);
    assert_eq!(reports[0].totals.iter().map(|t| t.points).sum::<i64>(), s.cost);
}

#[test]
fn the_bound_is_tight_on_an_easy_week() {
    // Everyone free, loads matching the seats exactly: a perfect timetable exists.
    let persons = (0..8).map(|i| person(&format!("p{i}"), 5)).collect();
    let p = problem(&["Mon", "Tue", "Wed", "Thu", "Fri"], &FOUR, 2, persons);
    let s = solve_n(&p, 500_000);
    assert_eq!(s.lower_bound, s.cost);
    assert!(s.proven_optimal);
}

#[test]
fn random_repairs_keep_the_hard_rules() {
    for seed in 0..60u64 {
        let mut rng = Rng::new(seed + 1000);
        let p = random_week(
            seed + 1000,
            1 + rng.below(3),
            2 + rng.below(3),
            1 + rng.below(3),
            2 + rng.below(4),
        );
        let before = solve_n(&p, 20_000);
        // Someone falls ill for a day, and someone's load drops by one.
        let mut changed = p.clone();
        let ill = rng.below(p.persons.len());
        let day = rng.below(p.days.len()) as i64;
        for t in 0..p.turns.len() as i64 {
            changed.busy.push(Busy {
                person: p.persons[ill].id.clone(),
                day,
                turn: t,
                optional: false,
            });
        }
        let other = rng.below(p.persons.len());
        changed.persons[other].load = (changed.persons[other].load - 1).max(0);
        let after = repair(&changed, &before.timetable, &mut Iterations(20_000), &mut |_| {}).unwrap();
        let priced_without_changes =
            independent_cost(&changed, &after.timetable).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let changes: i64 = texts(&after, "changed_seat").len() as i64 * changed.weights.changed_seat;
        assert_eq!(priced_without_changes + changes, after.cost, "seed {seed}");
        assert_eq!(
            after.penalties.iter().map(|x| x.points).sum::<i64>(),
            after.cost,
            "seed {seed}"
        );
        assert_eq!(
            turns_of(&after, day as usize, &p.persons[ill].id),
            Vec::<usize>::new(),
            "seed {seed}"
        );
    }
}

#[test]
fn void_fixed_turns_are_warned_once_and_never_charged() {
    let json = r#"{
        "days": ["Mon", "Tue"],
        "turns": ["09:00", "10:15", "11:30", "12:45"],
        "lines": 1,
        "persons": [{"id": "anna", "load": 2}, {"id": "bea", "load": 0}, {"id": "cai", "load": 2}],
        "busy": [{"person": "anna", "day": 0, "turn": 1, "optional": false}],
        "fixed": [{"person": "anna", "day": 0, "turn": 1}, {"person": "bea", "day": 1, "turn": 0},
                  {"person": "cai", "day": 1, "turn": 2}]
    }"#;
    let p = Problem::from_json(json).unwrap();
    let s = solve(&p, &mut Iterations(20_000), &mut |_| {}).unwrap();
    let void: Vec<&String> = s.warnings.iter().filter(|w| w.contains("does not apply")).collect();
    assert_eq!(
        void,
        [
            "anna: the fixed turn Mon 10:15 does not apply: it is a busy turn; it is not charged",
            "bea: the fixed turn Tue 09:00 does not apply: they have no turns this week; it is not charged",
        ]
    );
    assert!(texts(&s, "fixed_missed").is_empty(), "{:?}", s.penalties);
    assert_eq!(
        s.timetable.0[1][2],
        vec![Some("cai".to_string())],
        "the fixed turn that applies is kept"
    );
    assert_eq!(s.penalties.iter().map(|p| p.points).sum::<i64>(), s.cost);
}
