//! The rota timetable solver: who takes which seat of the week.
//!
//! The week is a grid of days × turns × lines; each seat holds one person or is empty.
//! [`solve`] finds a timetable that keeps the hard rules and has a low total penalty, usually
//! the lowest; [`repair`] does the same starting from a previous timetable and charging every
//! change to it. No I/O and no clock in here (the crate also runs in the browser): the caller
//! hands in a [`Budget`] that says when to stop and how much time has passed.
//!
//! # Hard rules (never broken)
//! - at most `lines` people in a turn, fewer by one for each seat fixed empty;
//! - nobody twice in one turn;
//! - each person at most their `load` turns in the week and `max_per_day` turns a day;
//! - nobody in a turn they are mandatory-busy in; holidays are not in `days`, so have no seats;
//! - the optional rules when given: at most `max_per_desk` people of one desk in a turn; per
//!   group rule at most `max_on_phone` members on the phone, and at least `min_off_phone`
//!   members off it (at most |group| − N on it). They are hard rules rather than penalties: a
//!   coordinator who sets a limit means it, and an empty seat is always a way to keep it.
//!
//! Because a seat may stay empty and loads are upper bounds, every problem has a timetable
//! that keeps all the hard rules (the empty one); there is no "infeasible" answer. What can be
//! wrong is the input itself: [`Problem::from_json`] and [`solve`] return an [`Invalid`]
//! naming the field (unknown person in `busy[3].person`, a day or turn index out of range,
//! `lines` below 1, a duplicate person id, more seats fixed empty than lines, a negative load
//! or weight). Things that are allowed but cannot all be honoured are warnings in the result:
//! a load above what the person's free turns and daily maximum can hold, a fixed turn on a
//! busy turn or of a person with a load of 0 (void, as in Tomàtic: not honoured and not
//! charged), loads adding up to fewer than the seats.
//!
//! # Penalties (`weights`, defaults in brackets)
//! - `empty_seat` (100): k empty seats in one turn cost 100 × k², so empty seats spread out.
//!   A seat fixed empty (`fixed` with `person: null`) is not a seat at all: it is not charged.
//! - `fixed_missed` (50): per fixed turn the person is not on (void fixed turns excepted).
//! - `same_day` (10): n turns of one person on one day cost 10 × n × (n − 1).
//! - the day pattern, generalised from Tomàtic's table for four turns:
//!   - `in_a_row` (40): per turn of a run beyond the second (`xxx.` 40, `xxxx` 80);
//!   - `split` (30): per gap of exactly one free turn between two turns (`x.x.`, `.x.x`);
//!   - `first_last` (20): per gap of two or more free turns (`x..x`);
//!   - `no_break` (10): a run of exactly two turns on both sides of the midday boundary
//!     (`.xx.`); the boundary falls after `rules.midday_after` turns, by default turns / 2
//!     (after the 2nd of 4, the 1st of 3, the 2nd of 5). A run of three or more is charged as
//!     `in_a_row` only.
//!
//!   With four turns this gives exactly the table: `xxx.` 40, `x.x.` 30, `x..x` 20,
//!   `.xx.` 10, `xx..` 0 (plus `same_day` in each case).
//! - `optional_busy` (5): per turn taken that the person marked "rather not".
//! - `changed_seat` (25, repair only): per turn given to or taken from someone compared with the
//!   previous timetable, after the seats that became impossible (illness, a new busy turn)
//!   were removed: those are not the solver's doing, so they are warnings, not penalties.
//!
//! The result lists every penalty in words with its points, grouped by rule; the points add up
//! to the cost.
//!
//! # Method
//! A greedy construction (the cheapest addition, one at a time) followed by simulated annealing
//! with restarts from the best timetable; moves take a seat, replace someone, leave a seat,
//! move someone to another turn or swap two people's turns, and only moves that keep the hard
//! rules are proposed. A person's day is a bitmask, so a move's delta is a few table look-ups.
//! A Lagrangian lower bound (see `bound.rs`: seat prices per turn, desk and group limits
//! priced too) tells how far from optimal the result can be; its subgradient ascent runs a
//! few steps between the annealing runs, steered by the best cost so far. The search stops
//! as soon as cost and bound meet (proven optimal), or after a number of runs without
//! improvement once the bound has converged. [`exhaustive`] solves small weeks exactly
//! (branch and bound).
//!
//! The same problem and seed give the same result when the search ends by itself (bound
//! reached, or settled) or on an iteration budget; a wall-clock limit that cuts it short may
//! stop it at a different point on a slower machine.
//!
//! # JSON problem format
//! ```json
//! {
//!   "days": ["Mon", "Tue", "Wed", "Thu", "Fri"],
//!   "turns": ["09:00", "10:15", "11:30", "12:45"],
//!   "lines": 8,
//!   "persons": [
//!     {"id": "anna", "load": 4, "max_per_day": 2, "desk": "billing", "groups": ["it"]}
//!   ],
//!   "busy": [{"person": "anna", "day": 0, "turn": 1, "optional": false}],
//!   "fixed": [{"person": "anna", "day": 2, "turn": 0}, {"person": null, "day": 4, "turn": 3}],
//!   "weights": {"empty_seat": 100, "fixed_missed": 50, "same_day": 10, "in_a_row": 40,
//!               "split": 30, "first_last": 20, "no_break": 10, "optional_busy": 5,
//!               "changed_seat": 25},
//!   "rules": {"max_per_desk": 3, "groups": [{"group": "it", "max_on_phone": 2}],
//!             "midday_after": 2},
//!   "time_limit_s": 10,
//!   "seed": 1,
//!   "previous": [[["anna", null], …], …]
//! }
//! ```
//! `turns` may also be a count (labels "turn 1", "turn 2", …). Day and turn indices are
//! 0-based. Everything after `persons` is optional; `max_per_day` defaults to 2. `previous`
//! (per day, per turn, the seats) makes it a repair. Unknown fields are errors.
//!
//! The result ([`Solution`]): `cost`, `lower_bound`, `proven_optimal`, `penalties`
//! (`{points, rule, text}`), `totals` per rule, `timetable` (per day, per turn, the people
//! then `null` for each seat not taken, seats fixed empty included), `time_to_best_s`,
//! `elapsed_s`, `iterations`, `warnings`.
use super::Invalid;
use serde::{Deserialize, Serialize};

mod bound;
mod cost;
mod exact;
mod problem;
mod search;
#[cfg(test)]
mod tests;

pub use cost::{Penalty, RULES, RuleTotal};
pub use problem::{Busy, Fixed, GroupRule, MAX_DAYS, MAX_TURNS, Person, Problem, Rules, Timetable, Weights};

/// When to stop, and the time passed. The search asks every 1024 moves.
pub trait Budget {
    /// True ends the search; the best timetable so far is the result.
    fn should_stop(&mut self, iterations: u64) -> bool;
    /// Seconds since the start, for the progress reports (0 where there is no clock).
    fn elapsed_s(&self) -> f64 {
        0.0
    }
}

/// A budget of moves: deterministic, for tests and the browser.
#[derive(Clone, Copy, Debug)]
pub struct Iterations(pub u64);

impl Budget for Iterations {
    fn should_stop(&mut self, iterations: u64) -> bool {
        iterations >= self.0
    }
}

/// A wall-clock budget with a stop flag another thread (or a request handler) can raise.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug)]
pub struct Deadline {
    pub start: std::time::Instant,
    pub limit: std::time::Duration,
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[cfg(not(target_arch = "wasm32"))]
impl Deadline {
    pub fn after_secs(seconds: f64) -> Self {
        Self {
            start: std::time::Instant::now(),
            limit: std::time::Duration::from_secs_f64(if seconds.is_finite() {
                seconds.clamp(0.0, 1e6)
            } else {
                0.0
            }),
            stop: Default::default(),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Budget for Deadline {
    fn should_stop(&mut self, _iterations: u64) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed) || self.start.elapsed() >= self.limit
    }
    fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// A new best timetable or a higher lower bound (reported after the greedy start, then at most
/// once per annealing run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub cost: i64,
    pub lower_bound: i64,
    pub totals: Vec<RuleTotal>,
    /// When this best was found, in the budget's seconds.
    pub found_s: f64,
    /// When this report was made.
    pub elapsed_s: f64,
    /// Moves tried so far.
    pub iterations: u64,
}

/// The solver's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    pub cost: i64,
    /// No timetable costs less than this.
    pub lower_bound: i64,
    /// `cost == lower_bound`: nothing better exists.
    pub proven_optimal: bool,
    /// Every penalty, grouped by rule; the points add up to `cost`.
    pub penalties: Vec<Penalty>,
    pub totals: Vec<RuleTotal>,
    pub timetable: Timetable,
    pub time_to_best_s: f64,
    pub elapsed_s: f64,
    pub iterations: u64,
    pub warnings: Vec<String>,
}

/// Solves `problem` (a repair when `problem.previous` is set), seeded with `problem.seed`.
/// `problem.time_limit_s` is for the caller to turn into a budget (see [`Deadline`]).
pub fn solve(
    problem: &Problem,
    budget: &mut dyn Budget,
    on_improvement: &mut dyn FnMut(&Progress),
) -> Result<Solution, Invalid> {
    run(problem, problem.previous.as_ref(), budget, on_improvement)
}

/// Re-solves a changed problem (someone fell ill) starting from `previous`: the seats that are
/// still possible are kept, and each turn given or taken away costs `weights.changed_seat`.
pub fn repair(
    problem: &Problem,
    previous: &Timetable,
    budget: &mut dyn Budget,
    on_improvement: &mut dyn FnMut(&Progress),
) -> Result<Solution, Invalid> {
    run(problem, Some(previous), budget, on_improvement)
}

fn run(
    problem: &Problem,
    previous: Option<&Timetable>,
    budget: &mut dyn Budget,
    on_improvement: &mut dyn FnMut(&Progress),
) -> Result<Solution, Invalid> {
    let (model, warnings) = problem::Model::build(problem, previous)?;
    let start = model
        .base
        .clone()
        .unwrap_or_else(|| vec![0; model.persons * model.days]);
    let found = search::search(&model, &start, problem.seed, budget, &mut |news: &search::News| {
        on_improvement(&Progress {
            cost: news.cost,
            lower_bound: news.lower_bound,
            totals: cost::totals(&cost::explain(&model, news.masks)),
            found_s: news.found_s,
            elapsed_s: news.elapsed_s,
            iterations: news.iterations,
        })
    });
    let penalties = cost::explain(&model, &found.masks);
    debug_assert_eq!(penalties.iter().map(|p| p.points).sum::<i64>(), found.cost);
    Ok(Solution {
        cost: found.cost,
        lower_bound: found.lower_bound,
        proven_optimal: found.cost <= found.lower_bound,
        totals: cost::totals(&penalties),
        penalties,
        timetable: model.timetable(&found.masks),
        time_to_best_s: found.found_s,
        elapsed_s: budget.elapsed_s(),
        iterations: found.iterations,
        warnings,
    })
}

/// The proven optimum of a small problem by exhaustive search, or `None` when it would take
/// more than `node_limit` search nodes. For tests and benchmarks: exponential in the size.
/// The search ends early when it finds a timetable as cheap as the lower bound.
pub fn exhaustive(problem: &Problem, node_limit: u64) -> Result<Option<(i64, Timetable)>, Invalid> {
    let (model, _) = problem::Model::build(problem, problem.previous.as_ref())?;
    let bound = bound_of(&model);
    Ok(exact::exact(&model, node_limit, Some(bound)).map(|e| (e.cost, model.timetable(&e.masks))))
}

/// The lower bound alone, with the greedy timetable as the ascent's upper bound. The solver's
/// [`Solution::lower_bound`] steers the same ascent with its best timetable, so it may be higher.
pub fn lower_bound(problem: &Problem) -> Result<i64, Invalid> {
    let (model, _) = problem::Model::build(problem, problem.previous.as_ref())?;
    Ok(bound_of(&model))
}

fn bound_of(model: &problem::Model) -> i64 {
    let start = model
        .base
        .clone()
        .unwrap_or_else(|| vec![0; model.persons * model.days]);
    bound::lower_bound(model, search::greedy_cost(model, &start))
}
