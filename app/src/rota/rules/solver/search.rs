//! Greedy construction, then simulated annealing with restarts from the best timetable.
//!
//! The cost is separable: empty seats per slot, and everything else per person-day (a bitmask
//! of the day's turns, see [`Model::person_day_cost`]). A move touches at most two slots and
//! four person-days, so its delta is a handful of table look-ups; only moves that keep every
//! hard rule are proposed, so the state is always a valid timetable.
use super::Budget;
use super::bound::Dual;
use super::problem::{Model, NO_DESK};

/// splitmix64: small, fast, and the same sequence on every platform (wasm included).
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` ≥ 1), by multiply-shift: no modulo bias worth speaking of.
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A valid timetable with everything a move needs to price itself.
pub(crate) struct State<'m> {
    m: &'m Model,
    pub masks: Vec<u32>,
    pcost: Vec<i64>,
    n: Vec<u32>,
    occ: Vec<u16>,
    used: Vec<u32>,
    desk_n: Vec<u32>,
    group_n: Vec<u32>,
    pub cost: i64,
}

impl<'m> State<'m> {
    /// `masks` must keep the hard rules (the callers only pass timetables built by moves).
    pub fn new(m: &'m Model, masks: &[u32]) -> Self {
        let pcost: Vec<i64> = (0..m.persons * m.days)
            .map(|pd| m.person_day_cost(pd / m.days, pd % m.days, 0))
            .collect();
        let cost = pcost.iter().sum::<i64>() + (0..m.slots()).map(|s| m.empty_cost(s, 0)).sum::<i64>();
        let mut st = State {
            m,
            masks: vec![0; m.persons * m.days],
            pcost,
            n: vec![0; m.slots()],
            occ: vec![0; m.slots() * m.lines],
            used: vec![0; m.persons],
            desk_n: vec![0; m.slots() * m.desks],
            group_n: vec![0; m.slots() * m.group_limit.len()],
            cost,
        };
        for p in 0..m.persons {
            for d in 0..m.days {
                for t in 0..m.turns {
                    if masks[p * m.days + d] >> t & 1 == 1 {
                        st.add(p, d * m.turns + t);
                    }
                }
            }
        }
        st
    }

    fn add(&mut self, p: usize, s: usize) {
        let m = self.m;
        let (d, t) = (s / m.turns, s % m.turns);
        let pd = p * m.days + d;
        self.masks[pd] |= 1 << t;
        let c = m.person_day_cost(p, d, self.masks[pd]);
        let n = self.n[s];
        self.cost += c - self.pcost[pd] + m.empty_cost(s, n + 1) - m.empty_cost(s, n);
        self.pcost[pd] = c;
        self.occ[s * m.lines + n as usize] = p as u16;
        self.n[s] = n + 1;
        self.used[p] += 1;
        if m.desk[p] != NO_DESK {
            self.desk_n[s * m.desks + m.desk[p] as usize] += 1;
        }
        for g in &m.groups_of[p] {
            self.group_n[s * m.group_limit.len() + *g as usize] += 1;
        }
    }

    fn remove(&mut self, p: usize, s: usize) {
        let m = self.m;
        let (d, t) = (s / m.turns, s % m.turns);
        let pd = p * m.days + d;
        self.masks[pd] &= !(1 << t);
        let c = m.person_day_cost(p, d, self.masks[pd]);
        let n = self.n[s];
        self.cost += c - self.pcost[pd] + m.empty_cost(s, n - 1) - m.empty_cost(s, n);
        self.pcost[pd] = c;
        let seats = &mut self.occ[s * m.lines..s * m.lines + n as usize];
        if let Some(i) = seats.iter().position(|x| *x as usize == p) {
            seats[i] = seats[n as usize - 1];
        }
        self.n[s] = n - 1;
        self.used[p] -= 1;
        if m.desk[p] != NO_DESK {
            self.desk_n[s * m.desks + m.desk[p] as usize] -= 1;
        }
        for g in &m.groups_of[p] {
            self.group_n[s * m.group_limit.len() + *g as usize] -= 1;
        }
    }

    /// Whether `p` may enter slot `s` under the desk and group rules, `leaving` leaving it in
    /// the same move.
    fn rules_ok(&self, p: usize, s: usize, leaving: Option<usize>) -> bool {
        let m = self.m;
        if m.desk[p] != NO_DESK {
            let same = leaving.is_some_and(|q| m.desk[q] == m.desk[p]) as u32;
            if self.desk_n[s * m.desks + m.desk[p] as usize] - same >= m.desk_limit {
                return false;
            }
        }
        m.groups_of[p].iter().all(|g| {
            let same = leaving.is_some_and(|q| m.groups_of[q].contains(g)) as u32;
            self.group_n[s * m.group_limit.len() + *g as usize] - same < m.group_limit[*g as usize]
        })
    }

    #[inline]
    fn pd_delta(&self, p: usize, d: usize, mask: u32) -> i64 {
        self.m.person_day_cost(p, d, mask) - self.pcost[p * self.m.days + d]
    }

    #[inline]
    fn empty_delta(&self, s: usize, grow: bool) -> i64 {
        let n = self.n[s];
        let next = if grow { n + 1 } else { n - 1 };
        self.m.empty_cost(s, next) - self.m.empty_cost(s, n)
    }

    /// The person-day delta of `p` leaving `s1` for `s2`.
    fn shift_delta(&self, p: usize, s1: usize, s2: usize) -> i64 {
        let m = self.m;
        let (d1, t1, d2, t2) = (s1 / m.turns, s1 % m.turns, s2 / m.turns, s2 % m.turns);
        let m1 = self.masks[p * m.days + d1];
        if d1 == d2 {
            self.pd_delta(p, d1, m1 & !(1 << t1) | 1 << t2)
        } else {
            self.pd_delta(p, d1, m1 & !(1 << t1)) + self.pd_delta(p, d2, self.masks[p * m.days + d2] | 1 << t2)
        }
    }

    fn has(&self, p: usize, s: usize) -> bool {
        self.masks[p * self.m.days + s / self.m.turns] >> (s % self.m.turns) & 1 == 1
    }

    fn day_full(&self, p: usize, d: usize) -> bool {
        self.masks[p * self.m.days + d].count_ones() >= self.m.max_per_day[p]
    }

    fn occupant(&self, s: usize, rng: &mut Rng) -> usize {
        self.occ[s * self.m.lines + rng.below(self.n[s] as usize)] as usize
    }

    /// The best single addition, if any lowers the cost.
    fn best_addition(&self) -> Option<(usize, usize)> {
        let m = self.m;
        let mut best = (0i64, None);
        for p in 0..m.persons {
            if self.used[p] >= m.load[p] {
                continue;
            }
            for &s in &m.avail_slots[p] {
                let s = s as usize;
                let d = s / m.turns;
                if self.has(p, s) || self.n[s] >= m.cap[s] || self.day_full(p, d) || !self.rules_ok(p, s, None) {
                    continue;
                }
                let delta =
                    self.empty_delta(s, true) + self.pd_delta(p, d, self.masks[p * m.days + d] | 1 << (s % m.turns));
                if delta < best.0 {
                    best = (delta, Some((p, s)));
                }
            }
        }
        best.1
    }

    /// Adds people one at a time, always the addition that lowers the cost most.
    pub fn greedy_fill(&mut self) {
        while let Some((p, s)) = self.best_addition() {
            self.add(p, s);
        }
    }

    /// Proposes one random move that keeps the hard rules and applies it if accepted.
    fn step(&mut self, rng: &mut Rng, temp: f64) {
        let m = self.m;
        let accept = |delta: i64, rng: &mut Rng| delta <= 0 || rng.unit() < (-(delta as f64) / temp).exp();
        match rng.below(8) {
            // Take a turn: an empty seat, or someone's seat (replace).
            0 | 1 => {
                let p = rng.below(m.persons);
                let avail = &m.avail_slots[p];
                if self.used[p] >= m.load[p] || avail.is_empty() {
                    return;
                }
                let s = avail[rng.below(avail.len())] as usize;
                let d = s / m.turns;
                if self.has(p, s) || self.day_full(p, d) {
                    return;
                }
                let with = self.masks[p * m.days + d] | 1 << (s % m.turns);
                // Replacing is tried even when there is room: a desk or group limit may let `p`
                // in only if someone of their desk or group leaves.
                if self.n[s] < m.cap[s] && (self.n[s] == 0 || rng.below(2) == 0) {
                    if self.rules_ok(p, s, None) && accept(self.empty_delta(s, true) + self.pd_delta(p, d, with), rng) {
                        self.add(p, s);
                    }
                } else if self.n[s] > 0 {
                    let q = self.occupant(s, rng);
                    if !self.rules_ok(p, s, Some(q)) {
                        return;
                    }
                    let without = self.masks[q * m.days + d] & !(1 << (s % m.turns));
                    if accept(self.pd_delta(p, d, with) + self.pd_delta(q, d, without), rng) {
                        self.remove(q, s);
                        self.add(p, s);
                    }
                }
            }
            // Leave a seat empty.
            2 => {
                let s = rng.below(m.slots());
                if self.n[s] == 0 {
                    return;
                }
                let q = self.occupant(s, rng);
                let d = s / m.turns;
                let without = self.masks[q * m.days + d] & !(1 << (s % m.turns));
                if accept(self.empty_delta(s, false) + self.pd_delta(q, d, without), rng) {
                    self.remove(q, s);
                }
            }
            // Move someone to another turn, or swap two people's turns.
            _ => {
                let s1 = rng.below(m.slots());
                if self.n[s1] == 0 {
                    return;
                }
                let p = self.occupant(s1, rng);
                let avail = &m.avail_slots[p];
                let s2 = avail[rng.below(avail.len())] as usize;
                if s2 == s1 || self.has(p, s2) {
                    return;
                }
                let (d1, d2) = (s1 / m.turns, s2 / m.turns);
                if d1 != d2 && self.day_full(p, d2) {
                    return;
                }
                // A swap is worth trying even when s2 has room: moving one person alone may cost
                // an empty seat that the other half of the swap would have filled.
                if self.n[s2] < m.cap[s2] && (self.n[s2] == 0 || rng.below(2) == 0) {
                    if !self.rules_ok(p, s2, None) {
                        return;
                    }
                    let delta = self.empty_delta(s1, false) + self.empty_delta(s2, true) + self.shift_delta(p, s1, s2);
                    if accept(delta, rng) {
                        self.remove(p, s1);
                        self.add(p, s2);
                    }
                } else if self.n[s2] > 0 {
                    let q = self.occupant(s2, rng);
                    let qd1 = q * m.days + d1;
                    if self.has(q, s1) || m.avail[qd1] >> (s1 % m.turns) & 1 == 0 {
                        return;
                    }
                    if d1 != d2 && self.day_full(q, d1) {
                        return;
                    }
                    if !self.rules_ok(p, s2, Some(q)) || !self.rules_ok(q, s1, Some(p)) {
                        return;
                    }
                    if accept(self.shift_delta(p, s1, s2) + self.shift_delta(q, s2, s1), rng) {
                        self.remove(p, s1);
                        self.remove(q, s2);
                        self.add(p, s2);
                        self.add(q, s1);
                    }
                }
            }
        }
    }
}

/// The cost of the greedy timetable built from `start`: an upper bound for the lower bound's
/// step lengths.
pub(crate) fn greedy_cost(m: &Model, start: &[u32]) -> i64 {
    let mut st = State::new(m, start);
    st.greedy_fill();
    st.cost
}

/// What the search found.
pub(crate) struct Found {
    pub masks: Vec<u32>,
    pub cost: i64,
    pub lower_bound: i64,
    pub found_s: f64,
    pub iterations: u64,
}

/// Runs without improvement after which the search ends on its own: by then it has settled,
/// and ending makes the result independent of the time limit.
const IDLE_RUNS: u32 = 60;
/// Steps of the lower bound's ascent before the first run and between runs.
const DUAL_FIRST: usize = 300;
const DUAL_BETWEEN: usize = 100;

/// A new best timetable or a higher bound, for the caller's progress report.
pub(crate) struct News<'a> {
    pub masks: &'a [u32],
    pub cost: i64,
    pub lower_bound: i64,
    pub found_s: f64,
    pub elapsed_s: f64,
    pub iterations: u64,
}

/// Searches from `start` (a valid timetable), reporting each new best. Between runs it also
/// raises the lower bound. Ends when the budget says so, when the cost reaches the bound
/// (proven optimal), or after [`IDLE_RUNS`] runs without improvement once the bound has
/// converged.
pub(crate) fn search(
    m: &Model,
    start: &[u32],
    seed: u64,
    budget: &mut dyn Budget,
    report: &mut dyn FnMut(&News),
) -> Found {
    let mut rng = Rng::new(seed);
    let mut st = State::new(m, start);
    st.greedy_fill();
    let mut dual = Dual::new(m);
    let greedy = st.cost;
    dual.ascend(greedy, greedy, DUAL_FIRST);
    let mut best = Found {
        masks: st.masks.clone(),
        cost: st.cost,
        lower_bound: dual.bound(),
        found_s: budget.elapsed_s(),
        iterations: 0,
    };
    report(&News {
        masks: &best.masks,
        cost: best.cost,
        lower_bound: best.lower_bound,
        found_s: best.found_s,
        elapsed_s: best.found_s,
        iterations: 0,
    });
    if m.persons == 0 || m.slots() == 0 {
        return best;
    }
    let seats: u64 = m.cap.iter().map(|c| *c as u64).sum();
    // Longer runs for larger weeks (better on the tight ones), short ones for small weeks so
    // that the hotter runs come soon.
    let run_len = (seats * (1000 + 25 * seats)).clamp(20_000, 4_000_000);
    // Temperatures in points: hot enough at first to trade a pattern penalty for another,
    // cold enough at the end to settle in a local optimum.
    let w = &m.w;
    let scale = [
        w.same_day * 2,
        w.split,
        w.first_last,
        w.no_break,
        w.optional_busy,
        w.changed_seat,
        1,
    ]
    .into_iter()
    .max()
    .unwrap_or(1) as f64;
    // Some improvements need a chain of moves whose first step opens an empty seat (100 or
    // more); so the runs take turns at starting hotter, each from the best timetable.
    const HEAT: [f64; 4] = [1.0, 3.0, 1.0, 8.0];
    let t1 = scale * 0.01;
    let mut iterations = 0u64;
    let mut idle = 0;
    let mut run = 0;
    while best.cost > best.lower_bound {
        let t0 = scale * 0.7 * HEAT[run % HEAT.len()];
        run += 1;
        let mut st = State::new(m, &best.masks);
        let mut improved = false;
        let mut temp = t0;
        let mut stopped = false;
        for i in 0..run_len {
            if iterations.is_multiple_of(1024) && budget.should_stop(iterations) {
                stopped = true;
                break;
            }
            if i.is_multiple_of(256) {
                temp = t0 * (t1 / t0).powf(i as f64 / run_len as f64);
            }
            iterations += 1;
            st.step(&mut rng, temp);
            if st.cost < best.cost {
                best.cost = st.cost;
                best.masks.copy_from_slice(&st.masks);
                best.found_s = budget.elapsed_s();
                improved = true;
                if best.cost <= best.lower_bound {
                    break;
                }
            }
        }
        if stopped {
            break;
        }
        let before = best.lower_bound;
        if !dual.converged() {
            // An idle search gives the bound more of the time: proving is then what is left.
            let steps = if improved { DUAL_BETWEEN } else { 4 * DUAL_BETWEEN };
            dual.ascend(best.cost, greedy, steps);
            best.lower_bound = dual.bound().max(before);
        }
        if improved || best.lower_bound > before {
            report(&News {
                masks: &best.masks,
                cost: best.cost,
                lower_bound: best.lower_bound,
                found_s: best.found_s,
                elapsed_s: budget.elapsed_s(),
                iterations,
            });
        }
        if improved {
            idle = 0;
        } else if dual.converged() {
            idle += 1;
            if idle >= IDLE_RUNS {
                break;
            }
        }
    }
    best.iterations = iterations;
    best
}
