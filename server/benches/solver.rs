//! The rota solver benchmark: weeks of realistic shape (5 days × 4 turns × 8 lines with 40
//! people, × 12 lines with 60 people), several seeds each; and small weeks against the
//! exhaustive search. Run with `make bench` or `cargo bench -p server --bench solver`; the
//! figures are printed and written to `bench/results/solver.md`.
//!
//! Per instance: the time to the first feasible timetable (the greedy start), the time to the
//! best, the best cost at 0.5 s, 1 s and 5 s, the Lagrangian lower bound and the gap. "Best
//! known" is the lowest cost of three runs with different seeds; when it equals the bound it
//! is the proven optimum. Slow figures do not fail the run: a benchmark is not a test.
mod support;

use app::rota::rules::solver::{
    self, Busy, Deadline, Fixed, GroupRule, Person, Problem, Progress, Rules, Weights, exhaustive, lower_bound,
};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;
use support::{command_line, load_average};

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
const LIMIT_S: f64 = 5.0;
const CHECKPOINTS: [f64; 3] = [0.5, 1.0, 5.0];

/// splitmix64, for generating the weeks.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A week like a helpline's: some people off a whole day, a weekly team meeting (mandatory
/// busy for one team), "rather not" turns scattered about, about one fixed turn per 16 seats,
/// loads adding up to a few seats short of the week.
fn week(days: usize, turns: usize, lines: usize, people: usize, seed: u64) -> Problem {
    let mut g = Gen(seed.wrapping_mul(0xA24B_AED4_963E_E407) ^ lines as u64);
    let day_names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let labels = ["09:00", "10:15", "11:30", "12:45", "14:00", "15:15"];
    let mut busy = Vec::new();
    let mut free = vec![vec![vec![true; turns]; days]; people];
    let mark = |busy: &mut Vec<Busy>, free: &mut [Vec<Vec<bool>>], p: usize, d: usize, t: usize| {
        if free[p][d][t] {
            free[p][d][t] = false;
            busy.push(Busy {
                person: format!("p{p:02}"),
                day: d as i64,
                turn: t as i64,
                optional: false,
            });
        }
    };
    // Whole days off: about one person in four, one day each (some two).
    for p in 0..people {
        let off = match g.below(8) {
            0 | 1 => 1,
            2 => 2,
            _ => 0,
        };
        for _ in 0..off {
            let d = g.below(days);
            for t in 0..turns {
                mark(&mut busy, &mut free, p, d, t);
            }
        }
    }
    // Weekly meetings: teams of about 10, each meeting one turn a week.
    for team in 0..people.div_ceil(10) {
        let (d, t) = (g.below(days), g.below(turns));
        for p in team * 10..((team + 1) * 10).min(people) {
            mark(&mut busy, &mut free, p, d, t);
        }
    }
    // "Rather not": about two per person.
    for _ in 0..people * 2 {
        let (p, d, t) = (g.below(people), g.below(days), g.below(turns));
        if free[p][d][t] {
            busy.push(Busy {
                person: format!("p{p:02}"),
                day: d as i64,
                turn: t as i64,
                optional: true,
            });
        }
    }
    let seats = days * turns * lines;
    let capacity: Vec<usize> = (0..people)
        .map(|p| {
            (0..days)
                .map(|d| free[p][d].iter().filter(|f| **f).count().min(2))
                .sum()
        })
        .collect();
    let target = seats - 1 - g.below(4);
    let mut load = vec![0usize; people];
    let mut total = 0;
    // Bounded: a small week may not have the capacity for its target.
    for _ in 0..seats * 100 {
        if total >= target {
            break;
        }
        let p = g.below(people);
        if load[p] < capacity[p] && load[p] < seats.div_ceil(people) + 1 {
            load[p] += 1;
            total += 1;
        }
    }
    let mut fixed = Vec::new();
    for _ in 0..seats * 100 {
        if fixed.len() >= seats / 16 {
            break;
        }
        let (p, d, t) = (g.below(people), g.below(days), g.below(turns));
        if free[p][d][t] && load[p] > 0 {
            fixed.push(Fixed {
                person: Some(format!("p{p:02}")),
                day: d as i64,
                turn: t as i64,
            });
        }
    }
    Problem {
        days: day_names[..days].iter().map(|s| s.to_string()).collect(),
        turns: labels[..turns].iter().map(|s| s.to_string()).collect(),
        lines: lines as i64,
        persons: (0..people)
            .map(|p| Person {
                id: format!("p{p:02}"),
                load: load[p] as i64,
                max_per_day: 2,
                desk: None,
                groups: vec![],
            })
            .collect(),
        busy,
        fixed,
        weights: Weights::default(),
        rules: Rules::default(),
        time_limit_s: LIMIT_S,
        seed,
        previous: None,
    }
}

/// Fewer people for the seats (most work two turns on some days, so the day patterns trade
/// against each other), four desks with at most a quarter of the lines (rounded up) each per
/// turn, and a group of six of whom at least two stay off the phone.
fn tighten(p: &mut Problem) {
    let lines = p.lines;
    for (i, person) in p.persons.iter_mut().enumerate() {
        person.desk = Some(format!("desk{}", i % 4));
        if i < 6 {
            person.groups = vec!["leads".into()];
        }
    }
    p.rules.max_per_desk = Some((lines + 3) / 4);
    p.rules.groups = vec![GroupRule {
        group: "leads".into(),
        max_on_phone: None,
        min_off_phone: Some(2),
    }];
}

struct Run {
    first_s: f64,
    best_s: f64,
    at: Vec<i64>,
    cost: i64,
    lower_bound: i64,
    elapsed_s: f64,
    proven: bool,
}

fn run(problem: &Problem) -> Run {
    let mut reports: Vec<(f64, i64)> = Vec::new();
    let mut budget = Deadline::after_secs(problem.time_limit_s);
    let s = solver::solve(problem, &mut budget, &mut |p: &Progress| {
        reports.push((p.found_s, p.cost))
    })
    .expect("a valid week");
    let at = CHECKPOINTS
        .iter()
        .map(|c| {
            reports
                .iter()
                .filter(|(t, _)| t <= c)
                .map(|(_, cost)| *cost)
                .min()
                .unwrap_or(i64::MAX)
        })
        .collect();
    Run {
        first_s: reports.first().map_or(0.0, |r| r.0),
        best_s: s.time_to_best_s,
        at,
        cost: s.cost,
        lower_bound: s.lower_bound,
        elapsed_s: s.elapsed_s,
        proven: s.proven_optimal,
    }
}

struct Row {
    name: String,
    seed: u64,
    seats: usize,
    lower_bound: i64,
    main: Run,
    best_known: i64,
}

struct Small {
    name: String,
    optimum: Option<i64>,
    exact_s: f64,
    solver: i64,
    solver_s: f64,
    lower_bound: i64,
}

fn cost_cell(c: i64) -> String {
    if c == i64::MAX { "–".into() } else { c.to_string() }
}

fn main() {
    let load_start = load_average();
    let started = Instant::now();
    let mut rows = Vec::new();
    for (name, lines, people, tight) in [
        ("5×4×8, 40 people", 8, 40, false),
        ("5×4×12, 60 people", 12, 60, false),
        ("tight: 5×4×8, 30 people, desks", 8, 30, true),
        ("tight: 5×4×12, 45 people, desks", 12, 45, true),
    ] {
        for seed in SEEDS {
            let mut p = week(5, 4, lines, people, seed);
            if tight {
                tighten(&mut p);
            }
            let main = run(&p);
            let (mut best_known, mut lb) = (main.cost, main.lower_bound);
            if !main.proven {
                for extra in [101, 202] {
                    let mut q = p.clone();
                    q.seed = seed + extra;
                    let other = run(&q);
                    best_known = best_known.min(other.cost);
                    lb = lb.max(other.lower_bound);
                }
            }
            println!(
                "{name} seed {seed}: first {:.3} s, best {} at {:.3} s (0.5 s: {}, 1 s: {}), bound {lb}, best known {best_known}",
                main.first_s,
                main.cost,
                main.best_s,
                cost_cell(main.at[0]),
                cost_cell(main.at[1])
            );
            rows.push(Row {
                name: name.into(),
                seed,
                seats: 20 * lines,
                lower_bound: lb,
                main,
                best_known,
            });
        }
    }
    let mut smalls = Vec::new();
    for (days, turns, lines, people, seed, tight) in [
        (1, 4, 2, 4, 1, false),
        (2, 4, 1, 3, 2, false),
        (2, 4, 2, 4, 3, false),
        (2, 4, 2, 5, 4, false),
        (3, 4, 1, 3, 5, false),
        (3, 4, 2, 5, 6, false),
        (2, 4, 4, 6, 7, true),
        (2, 4, 4, 7, 8, true),
        (3, 4, 3, 6, 9, true),
    ] {
        let mut p = week(days, turns, lines, people, seed);
        if tight {
            tighten(&mut p);
        }
        p.time_limit_s = 1.0;
        let t = Instant::now();
        let optimum = exhaustive(&p, 50_000_000).unwrap().map(|(c, _)| c);
        let exact_s = t.elapsed().as_secs_f64();
        let r = run(&p);
        let name = format!(
            "{}{days}×{turns}×{lines}, {people} people",
            if tight { "tight: " } else { "" }
        );
        println!(
            "{name}: exhaustive {optimum:?} in {exact_s:.2} s, solver {} in {:.3} s",
            r.cost, r.best_s
        );
        smalls.push(Small {
            name,
            optimum,
            exact_s,
            solver: r.cost,
            solver_s: r.best_s,
            lower_bound: lower_bound(&p).unwrap(),
        });
    }
    let md = report(&rows, &smalls, &load_start, started.elapsed().as_secs_f64());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/results/solver.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, md).unwrap();
    println!("\nreport written to {}", path.display());
}

fn report(rows: &[Row], smalls: &[Small], load_start: &str, total_s: f64) -> String {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let head = command_line("git", &["-C", repo, "rev-parse", "--short", "HEAD"]);
    let dirty = !command_line("git", &["-C", repo, "status", "--porcelain", "--untracked-files=no"]).is_empty();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mut s = String::new();
    let _ = writeln!(s, "# Rota solver benchmark\n");
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| Date | {} |", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
    let _ = writeln!(
        s,
        "| Commit | `{head}`{} |",
        if dirty { " plus uncommitted changes" } else { "" }
    );
    let _ = writeln!(s, "| Machine | {cores} cores, {cpu} |");
    let _ = writeln!(
        s,
        "| Load average (1, 5, 15 min) | {load_start} at the start, {} at the end |",
        load_average()
    );
    let _ = writeln!(
        s,
        "| Build | release (`cargo bench -p server --bench solver`), one thread |"
    );
    let _ = writeln!(s, "| Run time | {total_s:.0} s |\n");
    let _ = writeln!(s, "## Method\n");
    let _ = writeln!(
        s,
        "Greedy construction, then simulated annealing with restarts from the best timetable \
         (moves: take a seat, replace, leave, move, swap; delta cost per slot and person-day); \
         the Lagrangian lower bound's ascent runs between the annealing runs. The search stops \
         when cost and bound meet (proven optimal), after 60 runs without improvement once the \
         bound has converged, or at the {LIMIT_S} s limit. \"first feasible\" is the greedy \
         timetable, after the first 300 steps of the bound. Weeks generated per seed: a quarter of the \
         people off one or two whole days, a weekly team meeting (mandatory busy, teams of 10), \
         two \"rather not\" turns per person, one fixed turn per 16 seats, loads 1–4 seats short \
         of the week, at most 2 turns a day, Tomàtic's default weights. The \"tight\" weeks have \
         a quarter fewer people (more two-turn days), four desks limited to a quarter of the \
         lines each per turn, and a group of six with at least two off the phone. \"Best known\" is the \
         lowest of three runs with different seeds (one when the first is proven optimal). \
         Times are wall clock in this process, and the machine is shared: see the load average.\n"
    );
    let _ = writeln!(s, "## Weeks\n");
    let _ = writeln!(
        s,
        "| week | seed | seats | first feasible | time to best | best at 0.5 s | at 1 s | at 5 s | stopped at | lower bound | gap | best known | optimal by 1 s |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let gap = r.main.cost - r.lower_bound;
        let optimal_by_1s = if r.main.at[1] == r.lower_bound {
            "yes, proven"
        } else if r.main.at[1] == r.best_known {
            "best known (not proven)"
        } else {
            "no"
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.1} ms | {:.3} s | {} | {} | {} | {:.2} s | {} | {} ({:.1} %) | {} | {} |",
            r.name,
            r.seed,
            r.seats,
            r.main.first_s * 1000.0,
            r.main.best_s,
            cost_cell(r.main.at[0]),
            cost_cell(r.main.at[1]),
            cost_cell(r.main.at[2]),
            r.main.elapsed_s,
            r.lower_bound,
            gap,
            100.0 * gap as f64 / r.main.cost.max(1) as f64,
            r.best_known,
            optimal_by_1s
        );
    }
    let _ = writeln!(s, "\n## Small weeks against the exhaustive search\n");
    let _ = writeln!(
        s,
        "| week | exhaustive optimum | exhaustive time | solver | solver time to best | lower bound |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for m in smalls {
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} s | {} | {:.3} s | {} |",
            m.name,
            m.optimum.map_or("node limit".into(), |c| c.to_string()),
            m.exact_s,
            m.solver,
            m.solver_s,
            m.lower_bound
        );
    }
    let _ = writeln!(s, "\n## Findings\n");
    for (name, seats, target) in [
        ("5×4×8, 40 people", 160, 1.0),
        ("5×4×12, 60 people", 240, 2.0),
        ("tight: 5×4×8, 30 people, desks", 160, 1.0),
        ("tight: 5×4×12, 45 people, desks", 240, 2.0),
    ] {
        let of: Vec<&Row> = rows.iter().filter(|r| r.name == name).collect();
        let proven = of.iter().filter(|r| r.main.cost == r.lower_bound).count();
        let at_target = of
            .iter()
            .filter(|r| r.main.cost == r.best_known && r.main.best_s <= target)
            .count();
        let worst_best = of.iter().map(|r| r.main.best_s).fold(0.0, f64::max);
        let _ = writeln!(
            s,
            "- {seats} seats ({name}): {proven} of {} proven optimal (cost = lower bound); \
             {at_target} of {} reached the best known cost within the {target} s target; the slowest \
             time to best was {worst_best:.3} s.",
            of.len(),
            of.len()
        );
    }
    let unproven: Vec<&Row> = rows.iter().filter(|r| r.main.cost > r.lower_bound).collect();
    if !unproven.is_empty() {
        let agreed = unproven.iter().filter(|r| r.main.cost == r.best_known).count();
        let worst = unproven
            .iter()
            .map(|r| 100.0 * (r.main.cost - r.lower_bound) as f64 / r.main.cost.max(1) as f64)
            .fold(0.0, f64::max);
        let _ = writeln!(
            s,
            "- Not proven: {} weeks, at most {worst:.1} % above their bound; on {agreed} of them the other two \
             seeds found no better timetable. The bound relaxes the links between people (seats, desk and \
             group limits), so a gap may be the bound's as much as the search's.",
            unproven.len()
        );
    }
    let matched = smalls.iter().filter(|m| m.optimum == Some(m.solver)).count();
    let _ = writeln!(
        s,
        "- Small weeks: the solver matched the exhaustive optimum on {matched} of {}.",
        smalls.len()
    );
    let _ = writeln!(
        s,
        "- The weeks are generated (shapes above), not real Tomàtic weeks. For reference, Tomàtic's \
         MiniZinc + COIN-BC model proves the optimum of its own 160-seat week in 1.2–1.4 s (a figure \
         from the task description, not measured here)."
    );
    s
}
