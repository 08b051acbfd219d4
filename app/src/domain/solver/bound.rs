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
//! The desk and group rules are left out, which only lowers the bound, so it stays valid.
use super::problem::Model;

const STEPS: usize = 300;

/// The bound, rounded up (every cost is an integer).
pub(crate) fn lower_bound(m: &Model) -> i64 {
    let slots = m.slots();
    if slots == 0 {
        return 0;
    }
    // Start at the price of the last empty seat: what filling it is worth.
    let mut lambda: Vec<f64> = vec![-(m.w.empty_seat as f64); slots];
    let mut best = f64::NEG_INFINITY;
    let mut taken = vec![0f64; slots];
    let mut step = m.w.empty_seat.max(1) as f64 * 0.5;
    let mut since_better = 0;
    // Per person-day, the feasible masks and their fixed part of the cost.
    let masks_of: Vec<Vec<(u32, f64)>> = (0..m.persons * m.days)
        .map(|pd| {
            let (p, d) = (pd / m.days, pd % m.days);
            (0..1u32 << m.turns)
                .filter(|x| x & !m.avail[pd] == 0 && x.count_ones() <= m.max_per_day[p])
                .map(|x| (x, m.person_day_cost(p, d, x) as f64))
                .collect()
        })
        .collect();
    for _ in 0..STEPS {
        let mut value = 0.0;
        taken.iter_mut().for_each(|x| *x = 0.0);
        for p in 0..m.persons {
            value += person(m, p, &lambda, &masks_of, &mut taken);
        }
        let mut wanted = vec![0f64; slots];
        for s in 0..slots {
            let (mut low, mut arg) = (f64::INFINITY, 0);
            for n in 0..=m.cap[s] {
                let v = m.empty_cost(s, n) as f64 - lambda[s] * n as f64;
                if v < low {
                    (low, arg) = (v, n);
                }
            }
            value += low;
            wanted[s] = arg as f64;
        }
        if value > best + 1e-9 {
            best = value;
            since_better = 0;
        } else {
            since_better += 1;
            if since_better >= 20 {
                step *= 0.5;
                since_better = 0;
            }
        }
        let norm: f64 = (0..slots).map(|s| (taken[s] - wanted[s]).powi(2)).sum();
        if norm == 0.0 {
            break; // the relaxed solution is consistent: the bound is exact
        }
        for s in 0..slots {
            lambda[s] += step * (taken[s] - wanted[s]) / norm.sqrt();
        }
    }
    (best - 1e-6).ceil() as i64
}

/// The person's cheapest week at prices λ; adds the turns taken to `taken`.
fn person(m: &Model, p: usize, lambda: &[f64], masks_of: &[Vec<(u32, f64)>], taken: &mut [f64]) -> f64 {
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
                    v += lambda[d * m.turns + t];
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
    for d in (0..m.days).rev() {
        let (k0, x) = choices[d][k];
        for t in 0..m.turns {
            if x >> t & 1 == 1 {
                taken[d * m.turns + t] += 1.0;
            }
        }
        k = k0;
    }
    value
}
