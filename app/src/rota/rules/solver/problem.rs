//! The solver's input: the JSON format (read with errors that name the field), validation, and
//! the compiled model the search works on (bitmasks per person and day, capacities per turn).
use super::Invalid;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// More turns a day would make the per-day pattern table (2^turns entries) too large.
pub const MAX_TURNS: usize = 16;
/// Days in one problem: a week, or a fortnight at most.
pub const MAX_DAYS: usize = 14;

/// The week to plan. See the module documentation for the JSON format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Names of the working days, in order (holidays are left out: they have no seats).
    pub days: Vec<String>,
    /// Labels of the turns of a day, e.g. "09:00". [`Problem::from_json`] also accepts a count.
    pub turns: Vec<String>,
    /// People on the phone in every turn.
    pub lines: i64,
    pub persons: Vec<Person>,
    #[serde(default)]
    pub busy: Vec<Busy>,
    #[serde(default)]
    pub fixed: Vec<Fixed>,
    #[serde(default)]
    pub weights: Weights,
    #[serde(default)]
    pub rules: Rules,
    #[serde(default = "default_time_limit")]
    pub time_limit_s: f64,
    #[serde(default)]
    pub seed: u64,
    /// A timetable to repair: seats that are still possible are kept, and every change to it
    /// costs `weights.changed_seat`.
    #[serde(default)]
    pub previous: Option<Timetable>,
}

fn default_time_limit() -> f64 {
    10.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    /// The most turns this week.
    pub load: i64,
    #[serde(default = "default_max_per_day")]
    pub max_per_day: i64,
    #[serde(default)]
    pub desk: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

fn default_max_per_day() -> i64 {
    2
}

/// A turn the person cannot take (`optional: false`) or would rather not take (`optional: true`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Busy {
    pub person: String,
    pub day: i64,
    pub turn: i64,
    #[serde(default)]
    pub optional: bool,
}

/// "This person should be there"; with `person: None`, "keep one seat of this turn empty".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixed {
    pub person: Option<String>,
    pub day: i64,
    pub turn: i64,
}

/// Points per penalty. The defaults follow Tomàtic's table for four turns a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    /// × k² for k empty seats in one turn.
    pub empty_seat: i64,
    /// Per fixed turn the person is not on.
    pub fixed_missed: i64,
    /// × n × (n − 1) for n turns of one person on one day.
    pub same_day: i64,
    /// Per turn of a run beyond the second (three in a row: once; four: twice).
    pub in_a_row: i64,
    /// Per gap of exactly one turn between two turns of a day.
    pub split: i64,
    /// Per gap of two or more turns between two turns of a day (`x..x` with four turns).
    pub first_last: i64,
    /// Two turns in a row on both sides of the midday boundary, and no third.
    pub no_break: i64,
    /// Per turn taken that the person marked "rather not".
    pub optional_busy: i64,
    /// Repair only: per turn given to or taken from someone, compared with the previous
    /// timetable (after removing the seats that became impossible).
    pub changed_seat: i64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            empty_seat: 100,
            fixed_missed: 50,
            same_day: 10,
            in_a_row: 40,
            split: 30,
            first_last: 20,
            no_break: 10,
            optional_busy: 5,
            changed_seat: 25,
        }
    }
}

/// Optional hard rules, all off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// At most this many people of the same desk in one turn.
    pub max_per_desk: Option<i64>,
    pub groups: Vec<GroupRule>,
    /// Turns before the midday boundary of the `no_break` rule; default turns / 2.
    pub midday_after: Option<i64>,
}

/// Limits on the members of a group (the persons whose `groups` name it) in one turn.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupRule {
    pub group: String,
    pub max_on_phone: Option<i64>,
    /// At least this many members stay off the phone: at most |group| − N on it.
    pub min_off_phone: Option<i64>,
}

/// Per day, per turn, the seats: a person id or `None` for an empty seat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timetable(pub Vec<Vec<Vec<Option<String>>>>);

impl Problem {
    /// Reads the JSON format; errors name the field (`persons[2].load`, `busy[0].turn`).
    pub fn from_json(text: &str) -> Result<Problem, Invalid> {
        let v: Value = serde_json::from_str(text).map_err(|e| Invalid::new("json", e.to_string()))?;
        Self::from_value(&v)
    }

    pub fn from_value(v: &Value) -> Result<Problem, Invalid> {
        let o = object(v, "problem")?;
        known_keys(
            o,
            "",
            &[
                "days",
                "turns",
                "lines",
                "persons",
                "busy",
                "fixed",
                "weights",
                "rules",
                "time_limit_s",
                "seed",
                "previous",
            ],
        )?;
        let days = list(required(o, "days", "")?, "days")?
            .iter()
            .enumerate()
            .map(|(i, d)| string(d, &format!("days[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let turns = match required(o, "turns", "")? {
            Value::Number(_) => {
                let n = int(&o["turns"], "turns")?;
                if !(1..=MAX_TURNS as i64).contains(&n) {
                    return Err(Invalid::new("turns", format!("must be 1 to {MAX_TURNS}, found {n}")));
                }
                (1..=n).map(|i| format!("turn {i}")).collect()
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, t)| string(t, &format!("turns[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
            other => {
                return Err(Invalid::new(
                    "turns",
                    format!("expected a count or a list of labels, found {}", kind(other)),
                ));
            }
        };
        let lines = int(required(o, "lines", "")?, "lines")?;
        let mut persons = Vec::new();
        for (i, p) in list(required(o, "persons", "")?, "persons")?.iter().enumerate() {
            let path = format!("persons[{i}]");
            let po = object(p, &path)?;
            known_keys(po, &path, &["id", "load", "max_per_day", "desk", "groups"])?;
            persons.push(Person {
                id: string(required(po, "id", &path)?, &format!("{path}.id"))?,
                load: int(required(po, "load", &path)?, &format!("{path}.load"))?,
                max_per_day: optional(po, "max_per_day", &path, int)?.unwrap_or(2),
                desk: optional(po, "desk", &path, string)?,
                groups: match po.get("groups") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(g) => list(g, &format!("{path}.groups"))?
                        .iter()
                        .enumerate()
                        .map(|(j, x)| string(x, &format!("{path}.groups[{j}]")))
                        .collect::<Result<_, _>>()?,
                },
            });
        }
        let mut busy = Vec::new();
        for (i, b) in optional_list(o, "busy")?.iter().enumerate() {
            let path = format!("busy[{i}]");
            let bo = object(b, &path)?;
            known_keys(bo, &path, &["person", "day", "turn", "optional"])?;
            busy.push(Busy {
                person: string(required(bo, "person", &path)?, &format!("{path}.person"))?,
                day: int(required(bo, "day", &path)?, &format!("{path}.day"))?,
                turn: int(required(bo, "turn", &path)?, &format!("{path}.turn"))?,
                optional: optional(bo, "optional", &path, boolean)?.unwrap_or(false),
            });
        }
        let mut fixed = Vec::new();
        for (i, f) in optional_list(o, "fixed")?.iter().enumerate() {
            let path = format!("fixed[{i}]");
            let fo = object(f, &path)?;
            known_keys(fo, &path, &["person", "day", "turn"])?;
            fixed.push(Fixed {
                person: match required(fo, "person", &path)? {
                    Value::Null => None,
                    p => Some(string(p, &format!("{path}.person"))?),
                },
                day: int(required(fo, "day", &path)?, &format!("{path}.day"))?,
                turn: int(required(fo, "turn", &path)?, &format!("{path}.turn"))?,
            });
        }
        let mut weights = Weights::default();
        if let Some(w) = o.get("weights").filter(|w| !w.is_null()) {
            let wo = object(w, "weights")?;
            let names = [
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
            known_keys(wo, "weights", &names)?;
            for (k, v) in wo {
                let x = int(v, &format!("weights.{k}"))?;
                *match k.as_str() {
                    "empty_seat" => &mut weights.empty_seat,
                    "fixed_missed" => &mut weights.fixed_missed,
                    "same_day" => &mut weights.same_day,
                    "in_a_row" => &mut weights.in_a_row,
                    "split" => &mut weights.split,
                    "first_last" => &mut weights.first_last,
                    "no_break" => &mut weights.no_break,
                    "optional_busy" => &mut weights.optional_busy,
                    _ => &mut weights.changed_seat,
                } = x;
            }
        }
        let mut rules = Rules::default();
        if let Some(r) = o.get("rules").filter(|r| !r.is_null()) {
            let ro = object(r, "rules")?;
            known_keys(ro, "rules", &["max_per_desk", "groups", "midday_after"])?;
            rules.max_per_desk = optional(ro, "max_per_desk", "rules", int)?;
            rules.midday_after = optional(ro, "midday_after", "rules", int)?;
            if let Some(g) = ro.get("groups").filter(|g| !g.is_null()) {
                for (i, gr) in list(g, "rules.groups")?.iter().enumerate() {
                    let path = format!("rules.groups[{i}]");
                    let go = object(gr, &path)?;
                    known_keys(go, &path, &["group", "max_on_phone", "min_off_phone"])?;
                    rules.groups.push(GroupRule {
                        group: string(required(go, "group", &path)?, &format!("{path}.group"))?,
                        max_on_phone: optional(go, "max_on_phone", &path, int)?,
                        min_off_phone: optional(go, "min_off_phone", &path, int)?,
                    });
                }
            }
        }
        let time_limit_s = match o.get("time_limit_s") {
            None | Some(Value::Null) => default_time_limit(),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| Invalid::new("time_limit_s", format!("expected seconds, found {}", kind(v))))?,
        };
        let seed = match o.get("seed") {
            None | Some(Value::Null) => 0,
            Some(v) => v
                .as_u64()
                .ok_or_else(|| Invalid::new("seed", format!("expected a whole number ≥ 0, found {}", shown(v))))?,
        };
        let previous = match o.get("previous") {
            None | Some(Value::Null) => None,
            Some(v) => Some(timetable(v, "previous")?),
        };
        Ok(Problem {
            days,
            turns,
            lines,
            persons,
            busy,
            fixed,
            weights,
            rules,
            time_limit_s,
            seed,
            previous,
        })
    }
}

/// Reads a timetable (`[[["anna", null], …], …]`) with errors naming the position.
pub fn timetable(v: &Value, path: &str) -> Result<Timetable, Invalid> {
    let mut days = Vec::new();
    for (d, day) in list(v, path)?.iter().enumerate() {
        let mut turns = Vec::new();
        for (t, turn) in list(day, &format!("{path}[{d}]"))?.iter().enumerate() {
            let mut seats = Vec::new();
            for (i, seat) in list(turn, &format!("{path}[{d}][{t}]"))?.iter().enumerate() {
                seats.push(match seat {
                    Value::Null => None,
                    s => Some(string(s, &format!("{path}[{d}][{t}][{i}]"))?),
                });
            }
            turns.push(seats);
        }
        days.push(turns);
    }
    Ok(Timetable(days))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("\"{s}\""),
        other => kind(other).to_string(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Invalid> {
    v.as_object()
        .ok_or_else(|| Invalid::new(path, format!("expected an object, found {}", kind(v))))
}

fn list<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, Invalid> {
    v.as_array()
        .ok_or_else(|| Invalid::new(path, format!("expected a list, found {}", kind(v))))
}

fn optional_list<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], Invalid> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(v) => list(v, key).map(Vec::as_slice),
    }
}

fn required<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value, Invalid> {
    o.get(key).ok_or_else(|| Invalid::new(&join(path, key), "missing"))
}

fn optional<T>(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    read: fn(&Value, &str) -> Result<T, Invalid>,
) -> Result<Option<T>, Invalid> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => read(v, &join(path, key)).map(Some),
    }
}

fn known_keys(o: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), Invalid> {
    match o.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(Invalid::new(
            &join(path, k),
            format!("unknown field (expected one of: {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

fn int(v: &Value, path: &str) -> Result<i64, Invalid> {
    v.as_i64()
        .ok_or_else(|| Invalid::new(path, format!("expected a whole number, found {}", shown(v))))
}

fn string(v: &Value, path: &str) -> Result<String, Invalid> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| Invalid::new(path, format!("expected a string, found {}", shown(v))))
}

fn boolean(v: &Value, path: &str) -> Result<bool, Invalid> {
    v.as_bool()
        .ok_or_else(|| Invalid::new(path, format!("expected true or false, found {}", shown(v))))
}

/// No desk, or no limit on desks.
pub(crate) const NO_DESK: u16 = u16::MAX;

/// The validated problem in the search's terms. Slot `s = day × turns + turn`; per person and
/// day a bitmask of turns (bit `t` = turn `t`), indexed `p × days + day`.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub days: usize,
    pub turns: usize,
    pub persons: usize,
    pub lines: usize,
    pub day_names: Vec<String>,
    pub turn_labels: Vec<String>,
    pub ids: Vec<String>,
    /// Seats per slot: lines minus the seats fixed empty.
    pub cap: Vec<u32>,
    pub load: Vec<u32>,
    pub max_per_day: Vec<u32>,
    /// Turns not mandatory-busy, per person-day.
    pub avail: Vec<u32>,
    pub optional: Vec<u32>,
    pub fixed: Vec<u32>,
    /// Repair: the previous timetable without its impossible seats, per person-day.
    pub base: Option<Vec<u32>>,
    pub w: Weights,
    pub midday: usize,
    /// Pattern points (same day, in a row, gaps, no break) per day mask.
    pub pattern: Vec<i64>,
    pub desk: Vec<u16>,
    pub desks: usize,
    pub desk_limit: u32,
    /// Only the groups that have a rule.
    pub groups_of: Vec<Vec<u16>>,
    pub group_limit: Vec<u32>,
    /// Slots each person may take (not mandatory-busy), in order.
    pub avail_slots: Vec<Vec<u16>>,
}

impl Model {
    /// Validates `problem` and compiles it; `previous` (if any) becomes the repair baseline.
    /// Returns the model and the warnings (nothing wrong with the input, but worth knowing).
    pub fn build(problem: &Problem, previous: Option<&Timetable>) -> Result<(Model, Vec<String>), Invalid> {
        let mut warnings = Vec::new();
        let days = problem.days.len();
        if days > MAX_DAYS {
            return Err(Invalid::new("days", format!("at most {MAX_DAYS} days, found {days}")));
        }
        for (i, d) in problem.days.iter().enumerate() {
            if d.trim().is_empty() {
                return Err(Invalid::new(&format!("days[{i}]"), "a day needs a name"));
            }
        }
        let turns = problem.turns.len();
        if !(1..=MAX_TURNS).contains(&turns) {
            return Err(Invalid::new(
                "turns",
                format!("must be 1 to {MAX_TURNS} turns, found {turns}"),
            ));
        }
        if problem.lines < 1 {
            return Err(Invalid::new(
                "lines",
                format!("must be at least 1, found {}", problem.lines),
            ));
        }
        if problem.lines > 1000 {
            return Err(Invalid::new("lines", format!("at most 1000, found {}", problem.lines)));
        }
        let lines = problem.lines as usize;
        let persons = problem.persons.len();
        if persons >= NO_DESK as usize {
            return Err(Invalid::new("persons", "too many persons"));
        }
        let mut index = std::collections::HashMap::new();
        for (i, p) in problem.persons.iter().enumerate() {
            if p.id.trim().is_empty() {
                return Err(Invalid::new(&format!("persons[{i}].id"), "a person needs an id"));
            }
            if let Some(j) = index.insert(p.id.as_str(), i) {
                return Err(Invalid::new(
                    &format!("persons[{i}].id"),
                    format!("duplicate id '{}' (also persons[{j}])", p.id),
                ));
            }
            if p.load < 0 {
                return Err(Invalid::new(
                    &format!("persons[{i}].load"),
                    format!("must be 0 or more, found {}", p.load),
                ));
            }
            if p.max_per_day < 0 {
                return Err(Invalid::new(
                    &format!("persons[{i}].max_per_day"),
                    format!("must be 0 or more, found {}", p.max_per_day),
                ));
            }
        }
        let person = |id: &str, path: &str| {
            index
                .get(id)
                .copied()
                .ok_or_else(|| Invalid::new(path, format!("unknown person '{id}'")))
        };
        let slot = |day: i64, turn: i64, path: &str| -> Result<(usize, usize), Invalid> {
            if !(0..days as i64).contains(&day) {
                return Err(Invalid::new(
                    &format!("{path}.day"),
                    format!("day index {day} is out of range (0 to {})", days as i64 - 1),
                ));
            }
            if !(0..turns as i64).contains(&turn) {
                return Err(Invalid::new(
                    &format!("{path}.turn"),
                    format!("turn index {turn} is out of range (0 to {})", turns - 1),
                ));
            }
            Ok((day as usize, turn as usize))
        };
        let full = (1u32 << turns) - 1;
        let mut avail = vec![full; persons * days];
        let mut optional = vec![0u32; persons * days];
        for (i, b) in problem.busy.iter().enumerate() {
            let path = format!("busy[{i}]");
            let p = person(&b.person, &format!("{path}.person"))?;
            let (d, t) = slot(b.day, b.turn, &path)?;
            if b.optional {
                optional[p * days + d] |= 1 << t;
            } else {
                avail[p * days + d] &= !(1 << t);
            }
        }
        let mut fixed = vec![0u32; persons * days];
        let mut kept_empty = vec![0u32; days * turns];
        for (i, f) in problem.fixed.iter().enumerate() {
            let path = format!("fixed[{i}]");
            let (d, t) = slot(f.day, f.turn, &path)?;
            match &f.person {
                Some(id) => {
                    let p = person(id, &format!("{path}.person"))?;
                    fixed[p * days + d] |= 1 << t;
                }
                None => kept_empty[d * turns + t] += 1,
            }
        }
        for (s, k) in kept_empty.iter().enumerate() {
            if *k as usize > lines {
                return Err(Invalid::new(
                    "fixed",
                    format!(
                        "{k} seats fixed empty on {} {}, but the turn has only {lines}",
                        problem.days[s / turns],
                        problem.turns[s % turns]
                    ),
                ));
            }
        }
        let w = problem.weights;
        for (name, x) in [
            ("empty_seat", w.empty_seat),
            ("fixed_missed", w.fixed_missed),
            ("same_day", w.same_day),
            ("in_a_row", w.in_a_row),
            ("split", w.split),
            ("first_last", w.first_last),
            ("no_break", w.no_break),
            ("optional_busy", w.optional_busy),
            ("changed_seat", w.changed_seat),
        ] {
            if !(0..=1_000_000).contains(&x) {
                return Err(Invalid::new(
                    &format!("weights.{name}"),
                    format!("must be 0 to 1000000, found {x}"),
                ));
            }
        }
        if !(problem.time_limit_s.is_finite() && problem.time_limit_s > 0.0) {
            return Err(Invalid::new(
                "time_limit_s",
                format!("must be more than 0 seconds, found {}", problem.time_limit_s),
            ));
        }
        let midday = match problem.rules.midday_after {
            None => turns / 2,
            Some(m) if (0..=turns as i64).contains(&m) => m as usize,
            Some(m) => {
                return Err(Invalid::new(
                    "rules.midday_after",
                    format!("must be 0 to {turns}, found {m}"),
                ));
            }
        };
        let desk_limit = match problem.rules.max_per_desk {
            None => u32::MAX,
            Some(n) if n >= 1 => n.min(u32::MAX as i64 - 1) as u32,
            Some(n) => {
                return Err(Invalid::new(
                    "rules.max_per_desk",
                    format!("must be at least 1, found {n}"),
                ));
            }
        };
        let mut desk_names: Vec<&str> = Vec::new();
        let desk = problem
            .persons
            .iter()
            .map(|p| match (&p.desk, desk_limit) {
                (Some(d), l) if l != u32::MAX => {
                    let i = desk_names.iter().position(|x| *x == d.as_str()).unwrap_or_else(|| {
                        desk_names.push(d);
                        desk_names.len() - 1
                    });
                    i as u16
                }
                _ => NO_DESK,
            })
            .collect();
        let mut groups_of = vec![Vec::new(); persons];
        let mut group_limit = Vec::new();
        for (i, g) in problem.rules.groups.iter().enumerate() {
            let path = format!("rules.groups[{i}]");
            if g.group.trim().is_empty() {
                return Err(Invalid::new(&format!("{path}.group"), "name the group"));
            }
            let members: Vec<usize> = (0..persons)
                .filter(|p| problem.persons[*p].groups.contains(&g.group))
                .collect();
            let mut limit = i64::MAX;
            if let Some(n) = g.max_on_phone {
                if n < 0 {
                    return Err(Invalid::new(
                        &format!("{path}.max_on_phone"),
                        format!("must be 0 or more, found {n}"),
                    ));
                }
                limit = limit.min(n);
            }
            if let Some(n) = g.min_off_phone {
                if n < 0 {
                    return Err(Invalid::new(
                        &format!("{path}.min_off_phone"),
                        format!("must be 0 or more, found {n}"),
                    ));
                }
                limit = limit.min((members.len() as i64 - n).max(0));
            }
            if g.max_on_phone.is_none() && g.min_off_phone.is_none() {
                return Err(Invalid::new(&path, "give max_on_phone or min_off_phone"));
            }
            if members.is_empty() {
                warnings.push(format!("group rule '{}': nobody is in that group", g.group));
            }
            for p in members {
                groups_of[p].push(group_limit.len() as u16);
            }
            group_limit.push(limit.min(u32::MAX as i64) as u32);
        }
        let load: Vec<u32> = problem.persons.iter().map(|p| p.load.min(10_000) as u32).collect();
        let max_per_day: Vec<u32> = problem
            .persons
            .iter()
            .map(|p| p.max_per_day.min(turns as i64) as u32)
            .collect();
        let cap: Vec<u32> = kept_empty.iter().map(|k| (lines as u32) - k).collect();
        let avail_slots = (0..persons)
            .map(|p| {
                (0..days * turns)
                    .filter(|s| avail[p * days + s / turns] >> (s % turns) & 1 == 1)
                    .map(|s| s as u16)
                    .collect()
            })
            .collect();
        let mut model = Model {
            days,
            turns,
            persons,
            lines,
            day_names: problem.days.clone(),
            turn_labels: problem.turns.clone(),
            ids: problem.persons.iter().map(|p| p.id.clone()).collect(),
            cap,
            load,
            max_per_day,
            avail,
            optional,
            fixed,
            base: None,
            w,
            midday,
            pattern: Vec::new(),
            desk,
            desks: desk_names.len(),
            desk_limit,
            groups_of,
            group_limit,
            avail_slots,
        };
        model.pattern = (0..1u32 << turns)
            .map(|m| {
                super::cost::day_hits(m, turns, midday)
                    .iter()
                    .map(|h| h.points(&w))
                    .sum::<i64>()
            })
            .collect();

        // Warnings: inputs the solver accepts but cannot fully honour.
        for (p, person) in problem.persons.iter().enumerate() {
            let capacity: u32 = (0..days)
                .map(|d| model.avail[p * days + d].count_ones().min(model.max_per_day[p]))
                .sum();
            if model.load[p] > capacity {
                warnings.push(format!(
                    "{}: load {} is more than the {capacity} turns they can take (busy turns, at most {} a day); \
                     at most {capacity} will be placed",
                    person.id, person.load, model.max_per_day[p]
                ));
            }
            // Fixed turns nobody can honour are void, as in Tomàtic: a busy turn, or a person
            // with no turns this week. They are said once and never charged.
            for d in 0..days {
                let pd = p * days + d;
                let void = if model.load[p] == 0 {
                    model.fixed[pd]
                } else {
                    model.fixed[pd] & !model.avail[pd]
                };
                for t in 0..turns {
                    if void >> t & 1 == 1 {
                        let why = if model.load[p] == 0 && model.avail[pd] >> t & 1 == 1 {
                            "they have no turns this week"
                        } else {
                            "it is a busy turn"
                        };
                        warnings.push(format!(
                            "{}: the fixed turn {} {} does not apply: {why}; it is not charged",
                            person.id, problem.days[d], problem.turns[t]
                        ));
                    }
                }
                model.fixed[pd] &= !void;
            }
        }
        let seats: u64 = model.cap.iter().map(|c| *c as u64).sum();
        let loads: u64 = model.load.iter().map(|l| *l as u64).sum();
        if loads < seats {
            warnings.push(format!(
                "the loads add up to {loads} turns for {seats} seats: at least {} seats stay empty",
                seats - loads
            ));
        }
        if let Some(prev) = previous {
            let base = model.baseline(prev, &mut warnings);
            model.base = Some(base);
        }
        Ok((model, warnings))
    }

    /// The previous timetable as masks, without the seats that are no longer possible (a person
    /// gone, now busy, over their load or daily maximum, a turn over its seats or a rule).
    fn baseline(&self, prev: &Timetable, warnings: &mut Vec<String>) -> Vec<u32> {
        let mut masks = vec![0u32; self.persons * self.days];
        let mut count = vec![0u32; self.days * self.turns];
        let mut used = vec![0u32; self.persons];
        let mut desk_n = vec![0u32; self.days * self.turns * self.desks.max(1)];
        let mut group_n = vec![0u32; self.days * self.turns * self.group_limit.len().max(1)];
        if prev.0.len() != self.days {
            warnings.push(format!(
                "previous timetable: {} days, this problem has {}; days are matched by position",
                prev.0.len(),
                self.days
            ));
        }
        for (d, day) in prev.0.iter().enumerate().take(self.days) {
            for (t, seats) in day.iter().enumerate().take(self.turns) {
                let s = d * self.turns + t;
                for id in seats.iter().flatten() {
                    let where_ = format!("{} {}", self.day_names[d], self.turn_labels[t]);
                    let Some(p) = self.ids.iter().position(|x| x == id) else {
                        warnings.push(format!("previous timetable: '{id}' on {where_} is not in the problem"));
                        continue;
                    };
                    let pd = p * self.days + d;
                    let reason = if masks[pd] >> t & 1 == 1 {
                        Some("listed twice")
                    } else if self.avail[pd] >> t & 1 == 0 {
                        Some("now busy")
                    } else if used[p] >= self.load[p] {
                        Some("over the load")
                    } else if masks[pd].count_ones() >= self.max_per_day[p] {
                        Some("over the daily maximum")
                    } else if count[s] >= self.cap[s] {
                        Some("more people than seats")
                    } else if self.desk[p] != NO_DESK
                        && desk_n[s * self.desks + self.desk[p] as usize] >= self.desk_limit
                    {
                        Some("over the desk limit")
                    } else if self.groups_of[p]
                        .iter()
                        .any(|g| group_n[s * self.group_limit.len() + *g as usize] >= self.group_limit[*g as usize])
                    {
                        Some("over a group limit")
                    } else {
                        None
                    };
                    if let Some(r) = reason {
                        warnings.push(format!("previous timetable: {id} on {where_} dropped ({r})"));
                        continue;
                    }
                    masks[pd] |= 1 << t;
                    count[s] += 1;
                    used[p] += 1;
                    if self.desk[p] != NO_DESK {
                        desk_n[s * self.desks + self.desk[p] as usize] += 1;
                    }
                    for g in &self.groups_of[p] {
                        group_n[s * self.group_limit.len() + *g as usize] += 1;
                    }
                }
            }
        }
        masks
    }

    /// Points of one person's day: patterns, "rather not" turns taken, fixed turns missed and,
    /// when repairing, changes.
    #[inline]
    pub fn person_day_cost(&self, p: usize, d: usize, m: u32) -> i64 {
        let pd = p * self.days + d;
        let mut c = self.pattern[m as usize]
            + self.w.optional_busy * (m & self.optional[pd]).count_ones() as i64
            + self.w.fixed_missed * (self.fixed[pd] & !m).count_ones() as i64;
        if let Some(base) = &self.base {
            c += self.w.changed_seat * (m ^ base[pd]).count_ones() as i64;
        }
        c
    }

    #[inline]
    pub fn empty_cost(&self, s: usize, n: u32) -> i64 {
        let k = (self.cap[s] - n) as i64;
        self.w.empty_seat * k * k
    }

    pub fn slots(&self) -> usize {
        self.days * self.turns
    }

    /// The total cost of a timetable given as masks, by the plain sum (the tests' reference).
    #[cfg(test)]
    pub fn total(&self, masks: &[u32]) -> i64 {
        let mut c = 0;
        let mut n = vec![0u32; self.slots()];
        for p in 0..self.persons {
            for d in 0..self.days {
                let m = masks[p * self.days + d];
                c += self.person_day_cost(p, d, m);
                for t in 0..self.turns {
                    n[d * self.turns + t] += m >> t & 1;
                }
            }
        }
        c + (0..self.slots()).map(|s| self.empty_cost(s, n[s])).sum::<i64>()
    }

    /// The timetable in ids: per day, per turn, the people then `None` for each empty seat.
    pub fn timetable(&self, masks: &[u32]) -> Timetable {
        Timetable(
            (0..self.days)
                .map(|d| {
                    (0..self.turns)
                        .map(|t| {
                            let mut seats: Vec<Option<String>> = (0..self.persons)
                                .filter(|p| masks[p * self.days + d] >> t & 1 == 1)
                                .map(|p| Some(self.ids[p].clone()))
                                .collect();
                            seats.resize(self.lines.max(seats.len()), None);
                            seats
                        })
                        .collect()
                })
                .collect(),
        )
    }
}
