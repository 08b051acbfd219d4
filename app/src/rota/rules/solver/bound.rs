//! A lower bound on the cost of any timetable, by Lagrangian relaxation.
//!
//! The cost is Σ over slots of E_s(n_s) (empty seats, n_s people in slot s) plus Σ over
//! persons of F_p(x_p) (their day patterns, "rather not" turns, fixed turns, changes). The only
//! link between persons is n_s = Σ_p x_ps. Pricing each seat at λ_s and dropping that link:
//!
//! L(λ) = Σ_s min_{0 ≤ n ≤ cap_s} (E_s(n) − λ_s·n) + Σ_p min_{x_p} (F_p(x_p) + Σ_s λ_s·x_ps)
//!
//! is at most the optimum for every λ (weak duality), and both parts are cheap: per slot a
//! scan of n, per person a small knapsack over days (a mask per day, total turns ≤ load,
//! each day ≤ max per day and within the free turns). λ is improved by subgradient steps.
//! The desk and group limits (Σ over a desk's or group's people of x_ps ≤ limit) are priced
//! the same way, with prices μ ≥ 0 that each person of that desk or group pays per turn.
use super::problem::{Model, NO_DESK};

/// Subgradient steps without improvement before θ is halved.
const PATIENCE: u32 = 100;
/// θ below this: the ascent has converged as far as it will.
const MIN_THETA: f64 = 1e-4;
const RESETS: u32 = 3;

/// The Lagrangian dual, improved a few steps at a time so the search can interleave it with
/// its runs: both stop when they meet (the timetable is then proven optimal).
pub(crate) struct Dual<'m> {
    m: &'m Model,
    lambda: Vec<f64>,
    mu_desk: Vec<f64>,
    mu_group: Vec<f64>,
    best: f64,
    theta: f64,
    since_better: u32,
    /// Times θ was reset after stalling: a fresh start from the current prices often climbs on.
    resets: u32,
    /// Per person-day, the feasible masks and their fixed part of the cost.
    masks_of: Vec<Vec<(u32, f64)>>,
}

impl<'m> Dual<'m> {
    pub fn new(m: &'m Model) -> Self {
        let slots = m.slots();
        Dual {
            m,
            // Start at the price of the last empty seat: what filling it is worth.
            lambda: vec![-(m.w.empty_seat as f64); slots],
            // Prices of the desk and group limits (≥ 0: they only push people out).
            mu_desk: vec![0.0; slots * m.desks],
            mu_group: vec![0.0; slots * m.group_limit.len()],
            best: if slots == 0 { 0.0 } else { f64::NEG_INFINITY },
            theta: 2.0,
            since_better: 0,
            resets: 0,
            masks_of: (0..m.persons * m.days)
                .map(|pd| {
                    let (p, d) = (pd / m.days, pd % m.days);
                    (0..1u32 << m.turns)
                        .filter(|x| x & !m.avail[pd] == 0 && x.count_ones() <= m.max_per_day[p])
                        .map(|x| (x, m.person_day_cost(p, d, x) as f64))
                        .collect()
                })
                .collect(),
        }
    }

    /// The bound so far, rounded up (every cost is an integer).
    pub fn bound(&self) -> i64 {
        if self.best.is_finite() {
            (self.best - 1e-6).ceil() as i64
        } else {
            i64::MIN
        }
    }

    /// Nothing more to gain from further steps.
    pub fn converged(&self) -> bool {
        self.theta < MIN_THETA || self.m.slots() == 0
    }

    /// Up to `steps` subgradient steps. `upper` is the cost of a known timetable: the ascent
    /// ends once the bound reaches it. `target` sets the step lengths (Polyak's rule,
    /// θ × (target − value) / ‖g‖²): a target somewhat above the optimum (the greedy
    /// timetable's cost) keeps the steps long enough to climb out of slow stretches.
    pub fn ascend(&mut self, upper: i64, target: i64, steps: usize) {
        let m = self.m;
        let slots = m.slots();
        let groups = m.group_limit.len();
        let desk_limit = m.desk_limit as f64;
        let mut taken = vec![0f64; slots];
        let mut desk_taken = vec![0f64; slots * m.desks];
        let mut group_taken = vec![0f64; slots * groups];
        let mut price = vec![0f64; slots];
        for _ in 0..steps {
            if self.converged() || self.bound() >= upper {
                return;
            }
            let mut value = 0.0;
            taken.iter_mut().for_each(|x| *x = 0.0);
            desk_taken.iter_mut().for_each(|x| *x = 0.0);
            group_taken.iter_mut().for_each(|x| *x = 0.0);
            for p in 0..m.persons {
                for (s, pr) in price.iter_mut().enumerate() {
                    *pr = self.lambda[s];
                    if m.desk[p] != NO_DESK {
                        *pr += self.mu_desk[s * m.desks + m.desk[p] as usize];
                    }
                    for g in &m.groups_of[p] {
                        *pr += self.mu_group[s * groups + *g as usize];
                    }
                }
                let (v, week) = person(m, p, &price, &self.masks_of);
                value += v;
                for (d, x) in week.iter().enumerate() {
                    for t in (0..m.turns).filter(|t| x >> t & 1 == 1) {
                        let s = d * m.turns + t;
                        taken[s] += 1.0;
                        if m.desk[p] != NO_DESK {
                            desk_taken[s * m.desks + m.desk[p] as usize] += 1.0;
                        }
                        for g in &m.groups_of[p] {
                            group_taken[s * groups + *g as usize] += 1.0;
                        }
                    }
                }
            }
            value -= self.mu_desk.iter().sum::<f64>() * desk_limit;
            for (i, u) in self.mu_group.iter().enumerate() {
                value -= u * m.group_limit[i % groups] as f64;
            }
            let mut wanted = vec![0f64; slots];
            for (s, want) in wanted.iter_mut().enumerate() {
                let (mut low, mut arg) = (f64::INFINITY, 0);
                for n in 0..=m.cap[s] {
                    let v = m.empty_cost(s, n) as f64 - self.lambda[s] * n as f64;
                    if v < low {
                        (low, arg) = (v, n);
                    }
                }
                value += low;
                *want = arg as f64;
            }
            if value > self.best + 1e-9 {
                self.best = value;
                self.since_better = 0;
            } else {
                self.since_better += 1;
                if self.since_better >= PATIENCE {
                    self.theta *= 0.5;
                    self.since_better = 0;
                    if self.theta < MIN_THETA && self.resets < RESETS {
                        self.resets += 1;
                        self.theta = 1.0;
                    }
                }
            }
            // Subgradients; a limit price at 0 whose limit is slack cannot go lower, so it
            // does not count towards the step's direction.
            let g_lambda: Vec<f64> = (0..slots).map(|s| taken[s] - wanted[s]).collect();
            let g_desk: Vec<f64> = (0..slots * m.desks)
                .map(|i| {
                    let g = desk_taken[i] - desk_limit;
                    if self.mu_desk[i] <= 0.0 && g < 0.0 { 0.0 } else { g }
                })
                .collect();
            let g_group: Vec<f64> = (0..slots * groups)
                .map(|i| {
                    let g = group_taken[i] - m.group_limit[i % groups] as f64;
                    if self.mu_group[i] <= 0.0 && g < 0.0 { 0.0 } else { g }
                })
                .collect();
            let norm2 = g_lambda
                .iter()
                .chain(&g_desk)
                .chain(&g_group)
                .map(|g| g * g)
                .sum::<f64>();
            if norm2 == 0.0 {
                // The relaxed solution is consistent: the bound is exact.
                self.theta = 0.0;
                return;
            }
            let step = self.theta * (target as f64 - value).max(1.0) / norm2;
            for (l, g) in self.lambda.iter_mut().zip(&g_lambda) {
                *l += step * g;
            }
            for (u, g) in self.mu_desk.iter_mut().zip(&g_desk) {
                *u = (*u + step * g).max(0.0);
            }
            for (u, g) in self.mu_group.iter_mut().zip(&g_group) {
                *u = (*u + step * g).max(0.0);
            }
        }
    }
}

/// The bound after a full ascent (until converged or at `upper`).
pub(crate) fn lower_bound(m: &Model, upper: i64) -> i64 {
    let mut dual = Dual::new(m);
    for _ in 0..20 {
        if dual.converged() || dual.bound() >= upper {
            break;
        }
        dual.ascend(upper, upper, 1000);
    }
    dual.bound()
}

/// The person's cheapest week when each turn costs its `price` on top: the cost and the
/// chosen mask per day.
fn person(m: &Model, p: usize, price: &[f64], masks_of: &[Vec<(u32, f64)>]) -> (f64, Vec<u32>) {
    let load = m.load[p] as usize;
    // dp[k]: cheapest cost of the days so far with k turns; choice per day for the way back.
    let mut dp = vec![f64::INFINITY; load + 1];
    dp[0] = 0.0;
    let mut choices: Vec<Vec<(usize, u32)>> = Vec::with_capacity(m.days);
    for d in 0..m.days {
        // Cheapest mask per turn count on this day.
        let mut day_best = vec![(f64::INFINITY, 0u32); m.turns + 1];
        for &(x, c) in &masks_of[p * m.days + d] {
            let mut v = c;
            for t in 0..m.turns {
                if x >> t & 1 == 1 {
                    v += price[d * m.turns + t];
                }
            }
            let k = x.count_ones() as usize;
            if v < day_best[k].0 {
                day_best[k] = (v, x);
            }
        }
        let mut next = vec![f64::INFINITY; load + 1];
        let mut choice = vec![(0usize, 0u32); load + 1];
        for (k0, v0) in dp.iter().enumerate() {
            if !v0.is_finite() {
                continue;
            }
            for (k, (v, x)) in day_best.iter().enumerate() {
                if k0 + k <= load && v.is_finite() && v0 + v < next[k0 + k] {
                    next[k0 + k] = v0 + v;
                    choice[k0 + k] = (k0, *x);
                }
            }
        }
        dp = next;
        choices.push(choice);
    }
    let (mut k, mut value) = (0, f64::INFINITY);
    for (i, v) in dp.iter().enumerate() {
        if *v < value {
            (k, value) = (i, *v);
        }
    }
    let mut week = vec![0u32; m.days];
    for d in (0..m.days).rev() {
        let (k0, x) = choices[d][k];
        week[d] = x;
        k = k0;
    }
    (value, week)
}
