//! Exhaustive search (branch and bound) for small weeks: the proven optimum that the tests and
//! the benchmark hold the local search against.
//!
//! Person-days are decided one at a time (a mask of the day's turns each). A branch is cut
//! when its cost so far, plus the cheapest possible day of every person-day still open, plus
//! the empty seats that the remaining people cannot fill anyway, is no better than the best
//! timetable found.
use super::problem::{Model, NO_DESK};

pub(crate) struct Exact {
    pub cost: i64,
    pub masks: Vec<u32>,
}

struct Ctx<'m> {
    m: &'m Model,
    /// Per position (person-day, in order), its feasible masks, cheapest first.
    options: Vec<Vec<(u32, i64)>>,
    /// The cheapest day of every position from here on.
    rest_min: Vec<i64>,
    /// Per position and slot: how many of the positions from here on could still take it.
    rest_avail: Vec<u32>,
    masks: Vec<u32>,
    n: Vec<u32>,
    used: Vec<u32>,
    desk_n: Vec<u32>,
    group_n: Vec<u32>,
    best: Option<(i64, Vec<u32>)>,
    nodes: u64,
    node_limit: u64,
    stop_at: i64,
}

/// The optimum, or `None` when more than `node_limit` nodes would be needed. With `stop_at`,
/// the search ends as soon as it finds a timetable of that cost (a lower bound: nothing
/// cheaper exists, so that timetable is optimal).
pub(crate) fn exact(m: &Model, node_limit: u64, stop_at: Option<i64>) -> Option<Exact> {
    let positions = m.persons * m.days;
    let slots = m.slots();
    let options: Vec<Vec<(u32, i64)>> = (0..positions)
        .map(|pd| {
            let (p, d) = (pd / m.days, pd % m.days);
            let mut o: Vec<(u32, i64)> = (0..1u32 << m.turns)
                .filter(|x| x & !m.avail[pd] == 0 && x.count_ones() <= m.max_per_day[p].min(m.load[p]))
                .map(|x| (x, m.person_day_cost(p, d, x)))
                .collect();
            // Fuller days first: each turn taken is a seat filled, worth about an empty seat,
            // so good timetables (and tight cuts) come early.
            o.sort_by_key(|(x, c)| (*c - m.w.empty_seat * x.count_ones() as i64, *x));
            o
        })
        .collect();
    let mut rest_min = vec![0i64; positions + 1];
    for i in (0..positions).rev() {
        rest_min[i] = rest_min[i + 1] + options[i].iter().map(|o| o.1).min().unwrap_or(0);
    }
    let mut rest_avail = vec![0u32; (positions + 1) * slots];
    for i in (0..positions).rev() {
        let d = i % m.days;
        for s in 0..slots {
            let mut v = rest_avail[(i + 1) * slots + s];
            if s / m.turns == d && m.avail[i] >> (s % m.turns) & 1 == 1 {
                v += 1;
            }
            rest_avail[i * slots + s] = v;
        }
    }
    let mut ctx = Ctx {
        m,
        options,
        rest_min,
        rest_avail,
        masks: vec![0; positions],
        n: vec![0; slots],
        used: vec![0; m.persons],
        desk_n: vec![0; slots * m.desks],
        group_n: vec![0; slots * m.group_limit.len()],
        best: None,
        nodes: 0,
        node_limit,
        stop_at: stop_at.unwrap_or(i64::MIN),
    };
    if !ctx.dfs(0, 0) {
        return None;
    }
    ctx.best.map(|(cost, masks)| Exact { cost, masks })
}

impl Ctx<'_> {
    fn bound(&self, pos: usize, so_far: i64) -> i64 {
        let m = self.m;
        let slots = m.slots();
        let mut b = so_far + self.rest_min[pos];
        for s in 0..slots {
            let reachable = self.n[s] + self.rest_avail[pos * slots + s];
            let k = m.cap[s].saturating_sub(reachable) as i64;
            b += m.w.empty_seat * k * k;
        }
        b
    }

    /// False when the node limit was hit.
    fn dfs(&mut self, pos: usize, so_far: i64) -> bool {
        let m = self.m;
        self.nodes += 1;
        if self.nodes > self.node_limit {
            return false;
        }
        if let Some((best, _)) = &self.best
            && self.bound(pos, so_far) >= *best
        {
            return true;
        }
        if pos == m.persons * m.days {
            let total = so_far + (0..m.slots()).map(|s| m.empty_cost(s, self.n[s])).sum::<i64>();
            if self.best.as_ref().is_none_or(|(b, _)| total < *b) {
                self.best = Some((total, self.masks.clone()));
            }
            return true;
        }
        if self.best.as_ref().is_some_and(|(b, _)| *b <= self.stop_at) {
            return true;
        }
        let (p, d) = (pos / m.days, pos % m.days);
        for i in 0..self.options[pos].len() {
            let (x, c) = self.options[pos][i];
            if self.used[p] + x.count_ones() > m.load[p] || !self.fits(p, d, x) {
                continue;
            }
            self.apply(p, d, x, true);
            let ok = self.dfs(pos + 1, so_far + c);
            self.apply(p, d, x, false);
            if !ok {
                return false;
            }
        }
        true
    }

    fn fits(&self, p: usize, d: usize, x: u32) -> bool {
        let m = self.m;
        (0..m.turns).filter(|t| x >> t & 1 == 1).all(|t| {
            let s = d * m.turns + t;
            self.n[s] < m.cap[s]
                && (m.desk[p] == NO_DESK || self.desk_n[s * m.desks + m.desk[p] as usize] < m.desk_limit)
                && m.groups_of[p]
                    .iter()
                    .all(|g| self.group_n[s * m.group_limit.len() + *g as usize] < m.group_limit[*g as usize])
        })
    }

    fn apply(&mut self, p: usize, d: usize, x: u32, on: bool) {
        let m = self.m;
        self.masks[p * m.days + d] = if on { x } else { 0 };
        let k = x.count_ones();
        if on {
            self.used[p] += k;
        } else {
            self.used[p] -= k;
        }
        for t in (0..m.turns).filter(|t| x >> t & 1 == 1) {
            let s = d * m.turns + t;
            let change = |v: &mut u32| if on { *v += 1 } else { *v -= 1 };
            change(&mut self.n[s]);
            if m.desk[p] != NO_DESK {
                change(&mut self.desk_n[s * m.desks + m.desk[p] as usize]);
            }
            for g in &m.groups_of[p] {
                change(&mut self.group_n[s * m.group_limit.len() + *g as usize]);
            }
        }
    }
}
