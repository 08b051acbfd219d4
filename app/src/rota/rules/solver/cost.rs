//! The penalty rules: the points of a day pattern, and every penalty of a timetable in words.
use super::problem::{Model, Weights};
use serde::{Deserialize, Serialize};

/// Rule names, in the order penalties are listed; also the keys of `weights`.
pub const RULES: [&str; 9] = [
    "empty_seat",
    "fixed_missed",
    "same_day",
    "in_a_row",
    "split",
    "first_last",
    "no_break",
    "optional_busy",
    "changed_seat",
];

/// One penalty of a timetable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Penalty {
    pub points: i64,
    pub rule: String,
    pub text: String,
}

/// The points of one rule over the whole timetable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTotal {
    pub rule: String,
    pub count: u32,
    pub points: i64,
}

/// What a day pattern is charged for. Turn indices are 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hit {
    /// `n` ≥ 2 turns on the day.
    SameDay(u32),
    /// A run of `len` ≥ 3 consecutive turns starting at `first`.
    InARow { first: usize, len: usize },
    /// `len` ≥ 1 free turns between two turns of the day, the first of them at `after`.
    Gap { after: usize, len: usize },
    /// Exactly the two turns `first`, `first + 1` around the midday boundary.
    NoBreak { first: usize },
}

impl Hit {
    pub fn rule(&self) -> &'static str {
        match self {
            Hit::SameDay(_) => "same_day",
            Hit::InARow { .. } => "in_a_row",
            Hit::Gap { len: 1, .. } => "split",
            Hit::Gap { .. } => "first_last",
            Hit::NoBreak { .. } => "no_break",
        }
    }

    pub fn points(&self, w: &Weights) -> i64 {
        match *self {
            Hit::SameDay(n) => w.same_day * n as i64 * (n as i64 - 1),
            Hit::InARow { len, .. } => w.in_a_row * (len as i64 - 2),
            Hit::Gap { len: 1, .. } => w.split,
            Hit::Gap { .. } => w.first_last,
            Hit::NoBreak { .. } => w.no_break,
        }
    }
}

/// The pattern penalties of one day `mask` of `turns` turns, the midday boundary falling after
/// `midday` turns.
pub(crate) fn day_hits(mask: u32, turns: usize, midday: usize) -> Vec<Hit> {
    let mut hits = Vec::new();
    let n = mask.count_ones();
    if n >= 2 {
        hits.push(Hit::SameDay(n));
    }
    let on = |t: usize| t < turns && mask >> t & 1 == 1;
    let mut t = 0;
    let mut last_end: Option<usize> = None;
    while t < turns {
        if !on(t) {
            t += 1;
            continue;
        }
        let first = t;
        while on(t) {
            t += 1;
        }
        let len = t - first;
        if let Some(end) = last_end {
            hits.push(Hit::Gap {
                after: end,
                len: first - end - 1,
            });
        }
        if len >= 3 {
            hits.push(Hit::InARow { first, len });
        }
        if len == 2 && midday >= 1 && first + 1 == midday {
            hits.push(Hit::NoBreak { first });
        }
        last_end = Some(t - 1);
    }
    hits
}

/// Every penalty of the timetable `masks`, grouped by rule (in [`RULES`] order); their points
/// add up to [`Model::total`].
pub(crate) fn explain(m: &Model, masks: &[u32]) -> Vec<Penalty> {
    let mut by_rule: Vec<Vec<Penalty>> = vec![Vec::new(); RULES.len()];
    let mut push = |rule: &str, points: i64, text: String| {
        if points != 0 {
            let i = RULES.iter().position(|r| *r == rule).unwrap_or(0);
            by_rule[i].push(Penalty {
                points,
                rule: rule.to_string(),
                text,
            });
        }
    };
    let turn = |t: usize| m.turn_labels[t].as_str();
    for d in 0..m.days {
        let day = m.day_names[d].as_str();
        for t in 0..m.turns {
            let s = d * m.turns + t;
            let n: u32 = (0..m.persons).map(|p| masks[p * m.days + d] >> t & 1).sum();
            let k = m.cap[s] - n;
            let seats = if k == 1 { "seat" } else { "seats" };
            push(
                "empty_seat",
                m.empty_cost(s, n),
                format!("{k} empty {seats} on {day} {}", turn(t)),
            );
        }
    }
    for p in 0..m.persons {
        let id = m.ids[p].as_str();
        for d in 0..m.days {
            let day = m.day_names[d].as_str();
            let pd = p * m.days + d;
            let mask = masks[pd];
            for t in 0..m.turns {
                // Fixed turns on busy turns were made void when the model was built.
                if m.fixed[pd] >> t & 1 == 1 && mask >> t & 1 == 0 {
                    push(
                        "fixed_missed",
                        m.w.fixed_missed,
                        format!("{id} is not on the fixed turn {day} {}", turn(t)),
                    );
                }
            }
            for h in day_hits(mask, m.turns, m.midday) {
                let text = match h {
                    Hit::SameDay(n) => format!("{id} has {n} turns on {day}"),
                    Hit::InARow { first, len } => format!(
                        "{id} has {len} turns without a break on {day} ({} to {})",
                        turn(first),
                        turn(first + len - 1)
                    ),
                    Hit::Gap { after, len: 1 } => format!(
                        "{id} has split turns on {day}: {} and {} with one free turn between",
                        turn(after),
                        turn(after + 2)
                    ),
                    Hit::Gap { after, len } => format!(
                        "{id} has {} and {} on {day} with {len} free turns between",
                        turn(after),
                        turn(after + len + 1)
                    ),
                    Hit::NoBreak { first } => format!(
                        "{id} has both middle turns on {day} ({} and {}) without a break",
                        turn(first),
                        turn(first + 1)
                    ),
                };
                push(h.rule(), h.points(&m.w), text);
            }
            for t in 0..m.turns {
                if (mask & m.optional[pd]) >> t & 1 == 1 {
                    push(
                        "optional_busy",
                        m.w.optional_busy,
                        format!("{id} is on {day} {}, marked as rather not", turn(t)),
                    );
                }
            }
            if let Some(base) = &m.base {
                for t in 0..m.turns {
                    match (base[pd] >> t & 1, mask >> t & 1) {
                        (0, 1) => push(
                            "changed_seat",
                            m.w.changed_seat,
                            format!("{id} now has {day} {} (not in the previous timetable)", turn(t)),
                        ),
                        (1, 0) => push(
                            "changed_seat",
                            m.w.changed_seat,
                            format!("{id} no longer has {day} {}", turn(t)),
                        ),
                        _ => {}
                    }
                }
            }
        }
    }
    by_rule.into_iter().flatten().collect()
}

/// Points and counts per rule, in [`RULES`] order, only the rules that cost something.
pub fn totals(penalties: &[Penalty]) -> Vec<RuleTotal> {
    RULES
        .iter()
        .filter_map(|r| {
            let of: Vec<_> = penalties.iter().filter(|p| p.rule == *r).collect();
            (!of.is_empty()).then(|| RuleTotal {
                rule: r.to_string(),
                count: of.len() as u32,
                points: of.iter().map(|p| p.points).sum(),
            })
        })
        .collect()
}
