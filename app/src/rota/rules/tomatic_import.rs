//! Reading a Tomàtic folder into what Switchboard stores, without touching the database: the
//! plan lists every person, entry, holiday, fixed seat and timetable found, and every line that
//! cannot be taken with its file, line and reason. `db::tomatic_import` then applies the plan in
//! one transaction, or nothing at all when anything was rejected.
//!
//! Files read (paths relative to the folder; any other file is ignored): `config.yaml` (only
//! `nTelefons`, `hours`, `maximHoresDiariesGeneral` and `maxOverload`), `persons.yaml`, `indisponibilitats.conf` (weekly), `oneshot.conf` (one-off),
//! `indisponibilitats-vacances.conf` (leave), `holidays.conf`, `data/forced-turns.yaml`
//! (or `forced-turns.yaml`) and `graelles/graella-*.yaml`.
use super::data::{
    AvailabilityInput, AvailabilityKind, FixedSeat, Holiday, PersonFields, check_colour, check_handle,
    parse_holidays_file,
};
pub use super::tomatic::is_tomatic_file;
use super::tomatic::{BusyDay, Rejected, TomaticFile, WEEKDAY_CODES, parse_busy_file};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An availability entry with where it came from, so a rejection can point at its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedEntry {
    pub handle: String,
    pub entry: AvailabilityInput,
    pub file: String,
    pub line: usize,
}

/// A person from `persons.yaml`: only the fields the file sets are applied to an existing
/// person, so a coordinator's later edits of other fields survive a re-import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedPerson {
    pub fields: PersonFields,
    pub line: Option<usize>,
    pub has_name: bool,
    pub has_extension: bool,
    pub has_email: bool,
    pub has_colour: bool,
    pub has_desk: bool,
    pub has_groups: bool,
    pub has_load: bool,
}

/// A seat of the forced-turns file with the line of its row, for warnings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedSeat {
    pub seat: FixedSeat,
    pub line: Option<usize>,
}

/// What `config.yaml` says the team works with; `None` where it says nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlannedConfig {
    /// `nTelefons`.
    pub lines: Option<u32>,
    /// `hours`: the turn boundaries.
    pub hours: Option<Vec<String>>,
    /// `maximHoresDiariesGeneral`.
    pub max_turns_per_day: Option<u32>,
    /// `maxOverload`.
    pub max_overload: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedTimetable {
    pub week: NaiveDate,
    pub source: String,
    pub timetable: serde_json::Value,
}

#[derive(Clone, Debug, Default)]
pub struct ImportPlan {
    pub people: Vec<PlannedPerson>,
    pub availability: Vec<PlannedEntry>,
    pub holidays: Vec<(usize, Holiday)>,
    /// From the forced-turns file, if there is one: the whole template week.
    pub fixed: Option<Vec<PlannedSeat>>,
    /// The people the forced-turns file names in its own `names`, `extensions` or `colors`:
    /// a fixed person found only there is skipped, not invented.
    pub forced_names: Vec<String>,
    pub config: PlannedConfig,
    /// Balances of turns from `shiftcredit.yaml`: (handle, balance, line).
    pub credits: Vec<(String, i64, Option<usize>)>,
    /// Turn boundaries and line count the forced-turns file was made for.
    pub hours: Option<Vec<String>>,
    pub lines: Option<u32>,
    pub timetables: Vec<PlannedTimetable>,
    pub rejected: Vec<Rejected>,
    /// Things deliberately not imported, said once each (e.g. Tomàtic's "nobody" pseudo-person).
    pub notes: Vec<String>,
}

/// Names Tomàtic uses in its files for things that are not people.
pub const PSEUDO_PEOPLE: [&str; 4] = ["ningu", "festiu", "undefined", "tomatic"];

const FILE_PERSONS: &str = "persons.yaml";
const FILE_WEEKLY: &str = "indisponibilitats.conf";
const FILE_ONESHOT: &str = "oneshot.conf";
const FILE_LEAVE: &str = "indisponibilitats-vacances.conf";
const FILE_HOLIDAYS: &str = "holidays.conf";
pub const FILE_CONFIG: &str = "config.yaml";

/// The line of a top-level `key:` of a YAML text.
fn top_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.starts_with(&format!("{key}:")))
        .map(|i| i + 1)
}

/// The line of row `row` (0-based) of the list under `key:` inside the top-level `section:`
/// (`timetable: dl: - [..]`), when the file is laid out one row a line.
fn row_line(text: &str, section: &str, key: &str, row: usize) -> Option<usize> {
    let start = yaml_line(text, section, key)?;
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let key_indent = indent(lines[start - 1]);
    let mut row_indent = None;
    let mut n = 0;
    for (i, l) in lines.iter().enumerate().skip(start) {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        let at = indent(l);
        let dash = l.trim_start().starts_with('-');
        if at < key_indent || (at == key_indent && !dash) {
            return None;
        }
        if dash && row_indent.is_none_or(|r| r == at) {
            row_indent = Some(at);
            if n == row {
                return Some(i + 1);
            }
            n += 1;
        }
    }
    None
}

/// Reads `shiftcredit.yaml`: each person's balance of turns, `handle: N`.
fn plan_credits(file: &str, text: &str, plan: &mut ImportPlan) {
    let doc: serde_yaml::Mapping = match serde_yaml::from_str(text) {
        Ok(serde_yaml::Value::Mapping(m)) => m,
        Ok(serde_yaml::Value::Null) => return,
        Ok(_) => {
            return plan.rejected.push(Rejected {
                file: file.into(),
                line: None,
                reason: "expected a mapping of person: balance".into(),
            });
        }
        Err(e) => {
            return plan.rejected.push(Rejected {
                file: file.into(),
                line: e.location().map(|l| l.line()),
                reason: format!("not valid YAML: {e}"),
            });
        }
    };
    for (k, v) in &doc {
        let Some(handle) = yaml_scalar(k) else { continue };
        let line = top_line(text, &handle);
        if PSEUDO_PEOPLE.contains(&handle.as_str()) {
            continue;
        }
        match (check_handle(&handle), v.as_i64()) {
            (Ok(h), Some(n)) if n.abs() <= 10_000 => plan.credits.push((h, n, line)),
            (Err(e), _) => plan.rejected.push(Rejected {
                file: file.into(),
                line,
                reason: format!("person '{handle}': {}", e.message),
            }),
            _ => plan.rejected.push(Rejected {
                file: file.into(),
                line,
                reason: format!(
                    "{handle}: '{}' is not a whole number of turns",
                    yaml_scalar(v).unwrap_or_else(|| "?".into())
                ),
            }),
        }
    }
}

/// Reads what `config.yaml` says the team works with. Other keys (paths, PBX, …) are not
/// Switchboard's business and are left alone.
fn plan_config(text: &str, plan: &mut ImportPlan) {
    let reject = |plan: &mut ImportPlan, line: Option<usize>, reason: String| {
        plan.rejected.push(Rejected {
            file: FILE_CONFIG.into(),
            line,
            reason,
        })
    };
    let doc: serde_yaml::Mapping = match serde_yaml::from_str(text) {
        Ok(serde_yaml::Value::Mapping(m)) => m,
        Ok(serde_yaml::Value::Null) => return,
        Ok(_) => return reject(plan, None, "expected a mapping of settings".into()),
        Err(e) => return reject(plan, e.location().map(|l| l.line()), format!("not valid YAML: {e}")),
    };
    let whole = |plan: &mut ImportPlan, key: &str, range: std::ops::RangeInclusive<u64>| -> Option<u32> {
        let v = doc.get(key)?;
        match v.as_u64().filter(|n| range.contains(n)) {
            Some(n) => Some(n as u32),
            None => {
                reject(
                    plan,
                    top_line(text, key),
                    format!(
                        "{key}: '{}' is not a whole number from {} to {}",
                        yaml_scalar(v).unwrap_or_else(|| "?".into()),
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    };
    plan.config.lines = whole(plan, "nTelefons", 1..=200);
    plan.config.max_turns_per_day = whole(plan, "maximHoresDiariesGeneral", 1..=24);
    plan.config.max_overload = whole(plan, "maxOverload", 0..=50);
    if let Some(v) = doc.get("hours") {
        let hours: Option<Vec<String>> = v
            .as_sequence()
            .map(|h| h.iter().filter_map(yaml_scalar).collect())
            .filter(|h: &Vec<String>| h.len() >= 2);
        match hours {
            Some(h) => plan.config.hours = Some(h),
            None => reject(
                plan,
                top_line(text, "hours"),
                "hours: expected a list of at least two times like '09:00'".into(),
            ),
        }
    }
}

/// The line of `key:` inside the top-level `section:` of a YAML text, for pointing at it.
fn yaml_line(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with([' ', '\t', '-']) && !line.trim().is_empty() {
            inside = line.trim_end() == format!("{section}:");
            continue;
        }
        if inside {
            let t = line.trim_start().trim_start_matches("- ").trim();
            if t == key || t.starts_with(&format!("{key}:")) || t.starts_with(&format!("'{key}'")) {
                return Some(i + 1);
            }
        }
    }
    None
}

fn yaml_scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `section` mapping of a persons file as handle → scalar text.
fn section(doc: &serde_yaml::Mapping, name: &str) -> BTreeMap<String, String> {
    doc.get(name)
        .and_then(|v| v.as_mapping())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((yaml_scalar(k)?, yaml_scalar(v).unwrap_or_default())))
                .collect()
        })
        .unwrap_or_default()
}

fn plan_persons(text: &str, plan: &mut ImportPlan) {
    let reject = |plan: &mut ImportPlan, line: Option<usize>, reason: String| {
        plan.rejected.push(Rejected {
            file: FILE_PERSONS.into(),
            line,
            reason,
        })
    };
    let doc: serde_yaml::Mapping = match serde_yaml::from_str(text) {
        Ok(serde_yaml::Value::Mapping(m)) => m,
        Ok(_) => {
            return reject(
                plan,
                None,
                "expected a mapping with names, extensions, colors, …".into(),
            );
        }
        Err(e) => return reject(plan, e.location().map(|l| l.line()), format!("not valid YAML: {e}")),
    };
    let names = section(&doc, "names");
    let extensions = section(&doc, "extensions");
    let emails = section(&doc, "emails");
    let colours = section(&doc, "colors");
    let tables = section(&doc, "tables");
    let loads = section(&doc, "idealloads");
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(g) = doc.get("groups").and_then(|v| v.as_mapping()) {
        for (group, members) in g {
            let Some(group) = yaml_scalar(group) else { continue };
            for m in members.as_sequence().into_iter().flatten().filter_map(yaml_scalar) {
                groups.entry(m).or_default().push(group.clone());
            }
        }
    }
    let mut handles: Vec<&String> = names
        .keys()
        .chain(extensions.keys())
        .chain(emails.keys())
        .chain(colours.keys())
        .chain(tables.keys())
        .chain(loads.keys())
        .chain(groups.keys())
        .collect();
    handles.sort();
    handles.dedup();
    let mut pseudo = Vec::new();
    for raw in handles {
        let line = ["names", "extensions", "emails", "colors", "tables", "idealloads"]
            .iter()
            .find_map(|s| yaml_line(text, s, raw));
        if PSEUDO_PEOPLE.contains(&raw.as_str()) {
            pseudo.push(raw.clone());
            continue;
        }
        let handle = match check_handle(raw) {
            Ok(h) => h,
            Err(e) => {
                reject(plan, line, format!("person '{raw}': {}", e.message));
                continue;
            }
        };
        let email = emails.get(raw).filter(|e| !e.trim().is_empty()).cloned();
        let colour = match colours.get(raw) {
            Some(c) => match check_colour(c) {
                Ok(c) => c,
                Err(e) => {
                    reject(
                        plan,
                        yaml_line(text, "colors", raw),
                        format!("person '{raw}': {}", e.message),
                    );
                    continue;
                }
            },
            None => String::new(),
        };
        // Tomàtic's tables are desk numbers; -1 means no desk.
        let desk = tables
            .get(raw)
            .filter(|t| t.trim() != "-1" && !t.trim().is_empty())
            .map(|t| format!("table {}", t.trim()));
        let ideal_load = match loads.get(raw) {
            Some(l) => match l.trim().parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    reject(
                        plan,
                        yaml_line(text, "idealloads", raw),
                        format!("person '{raw}': ideal load '{l}' is not a whole number of turns"),
                    );
                    continue;
                }
            },
            None => None,
        };
        let fields = PersonFields {
            handle: handle.clone(),
            full_name: names
                .get(raw)
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or(handle),
            extension: extensions.get(raw).filter(|x| !x.trim().is_empty()).cloned(),
            email,
            colour,
            desk,
            groups: groups.get(raw).cloned().unwrap_or_default(),
            ideal_load,
            max_turns_per_day: None,
            active: true,
            user_id: None,
        };
        match fields.normalized() {
            Ok(fields) => plan.people.push(PlannedPerson {
                fields,
                line,
                has_name: names.contains_key(raw),
                has_extension: extensions.get(raw).is_some_and(|x| !x.trim().is_empty()),
                has_email: emails.contains_key(raw),
                has_colour: colours.contains_key(raw),
                has_desk: tables.contains_key(raw),
                has_groups: groups.contains_key(raw),
                has_load: loads.contains_key(raw),
            }),
            Err(e) => reject(plan, line, format!("person '{raw}': {}: {}", e.field, e.message)),
        }
    }
    if !pseudo.is_empty() {
        plan.notes.push(format!(
            "{FILE_PERSONS}: {} are Tomàtic's placeholders, not people: not imported",
            pseudo.join(", ")
        ));
    }
}

fn plan_busy(file: &str, text: &str, turns: usize, plan: &mut ImportPlan) {
    let (entries, errors) = parse_busy_file(text, turns);
    for e in errors {
        plan.rejected.push(Rejected {
            file: file.into(),
            line: Some(e.line),
            reason: e.message,
        });
    }
    // Leave files list one line per day: consecutive whole days with the same reason become
    // one leave, as a person would have entered them.
    let mut leave_runs: Vec<(String, NaiveDate, NaiveDate, bool, String, usize)> = Vec::new();
    for (line, e) in entries {
        let (kind, weekday, date) = match e.day {
            BusyDay::EveryWorkingDay => (AvailabilityKind::Weekly, None, None),
            BusyDay::Weekday(d) => (AvailabilityKind::Weekly, Some(d), None),
            BusyDay::Date(d) if file == FILE_LEAVE && e.all_day() => {
                if let Some(run) = leave_runs
                    .iter_mut()
                    .find(|r| r.0 == e.person && r.3 == e.mandatory && r.4 == e.reason && r.2 + Duration::days(1) == d)
                {
                    run.2 = d;
                } else {
                    leave_runs.push((e.person.clone(), d, d, e.mandatory, e.reason.clone(), line));
                }
                continue;
            }
            BusyDay::Date(d) => (AvailabilityKind::OneOff, None, Some(d)),
        };
        push_entry(
            plan,
            file,
            line,
            &e.person,
            AvailabilityInput {
                kind,
                weekday,
                date_from: date,
                date_to: date,
                turns: Some(e.turns),
                mandatory: e.mandatory,
                reason: e.reason,
            },
            turns,
        );
    }
    for (person, from, to, mandatory, reason, line) in leave_runs {
        push_entry(
            plan,
            file,
            line,
            &person,
            AvailabilityInput {
                kind: AvailabilityKind::Leave,
                weekday: None,
                date_from: Some(from),
                date_to: Some(to),
                turns: None,
                mandatory,
                reason,
            },
            turns,
        );
    }
}

fn push_entry(plan: &mut ImportPlan, file: &str, line: usize, person: &str, entry: AvailabilityInput, turns: usize) {
    match entry.normalized(turns) {
        Ok(entry) => plan.availability.push(PlannedEntry {
            handle: person.to_string(),
            entry,
            file: file.into(),
            line,
        }),
        Err(e) => plan.rejected.push(Rejected {
            file: file.into(),
            line: Some(line),
            reason: format!("{}: {}", e.field, e.message),
        }),
    }
}

/// The parts of a Tomàtic timetable file (`graella-*.yaml`, `forced-turns.yaml`).
#[derive(Deserialize)]
struct Graella {
    week: Option<serde_yaml::Value>,
    days: Option<Vec<String>>,
    hours: Option<Vec<serde_yaml::Value>>,
    turns: Option<Vec<serde_yaml::Value>>,
    timetable: BTreeMap<String, Vec<Vec<Option<String>>>>,
    #[serde(default)]
    names: BTreeMap<String, serde_yaml::Value>,
    #[serde(default)]
    extensions: BTreeMap<String, serde_yaml::Value>,
    #[serde(default)]
    colors: BTreeMap<String, serde_yaml::Value>,
}

fn hours_of(g: &Graella) -> Option<Vec<String>> {
    g.hours
        .as_ref()
        .map(|h| h.iter().filter_map(yaml_scalar).collect::<Vec<_>>())
        .filter(|h| h.len() >= 2)
}

fn plan_forced(file: &str, text: &str, plan: &mut ImportPlan) {
    let g: Graella = match serde_yaml::from_str(text) {
        Ok(g) => g,
        Err(e) => {
            plan.rejected.push(Rejected {
                file: file.into(),
                line: e.location().map(|l| l.line()),
                reason: format!("not a Tomàtic timetable: {e}"),
            });
            return;
        }
    };
    let mut seats = Vec::new();
    let mut lines = g.turns.as_ref().map(|t| t.len() as u32).unwrap_or(0);
    for (day, turns) in &g.timetable {
        let Some(weekday) = WEEKDAY_CODES.iter().position(|c| c == day) else {
            plan.rejected.push(Rejected {
                file: file.into(),
                line: yaml_line(text, "timetable", day),
                reason: format!("'{day}' is not a weekday code (dl, dm, dx, dj, dv)"),
            });
            continue;
        };
        for (turn, row) in turns.iter().enumerate() {
            lines = lines.max(row.len() as u32);
            for (line, cell) in row.iter().enumerate() {
                let person = match cell.as_deref().map(str::trim) {
                    None | Some("") | Some("festiu") | Some("undefined") => continue,
                    Some("ningu") => None,
                    Some(p) => match check_handle(p) {
                        Ok(h) => Some(h),
                        Err(e) => {
                            plan.rejected.push(Rejected {
                                file: file.into(),
                                line: yaml_line(text, "timetable", day),
                                reason: format!("{day} turn {} line {}: '{p}': {}", turn + 1, line + 1, e.message),
                            });
                            continue;
                        }
                    },
                };
                seats.push(PlannedSeat {
                    seat: FixedSeat {
                        weekday: weekday as u8,
                        turn: turn as u32,
                        line: line as u32,
                        person,
                    },
                    line: row_line(text, "timetable", day, turn),
                });
            }
        }
    }
    plan.hours = hours_of(&g);
    plan.lines = Some(lines);
    plan.fixed = Some(seats);
    let mut names: Vec<String> = g
        .names
        .keys()
        .chain(g.extensions.keys())
        .chain(g.colors.keys())
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    plan.forced_names = names;
}

fn plan_graella(file: &str, text: &str, plan: &mut ImportPlan) {
    let reject = |plan: &mut ImportPlan, line, reason: String| {
        plan.rejected.push(Rejected {
            file: file.into(),
            line,
            reason,
        })
    };
    let g: Graella = match serde_yaml::from_str(text) {
        Ok(g) => g,
        Err(e) => {
            return reject(
                plan,
                e.location().map(|l| l.line()),
                format!("not a Tomàtic timetable: {e}"),
            );
        }
    };
    let week = g
        .week
        .as_ref()
        .and_then(yaml_scalar)
        .and_then(|w| NaiveDate::parse_from_str(&w, "%Y-%m-%d").ok());
    let Some(week) = week else {
        return reject(
            plan,
            yaml_line(text, "week", "week"),
            "no 'week: YYYY-MM-DD' in the file".into(),
        );
    };
    let timetable = serde_json::json!({
        "days": g.days.clone().unwrap_or_else(|| WEEKDAY_CODES.map(String::from).to_vec()),
        "hours": hours_of(&g),
        "lines": g.turns.as_ref().map(|t| t.iter().filter_map(yaml_scalar).collect::<Vec<_>>()),
        "timetable": g.timetable,
    });
    plan.timetables.push(PlannedTimetable {
        week,
        source: file.into(),
        timetable,
    });
}

/// Reads the files of a Tomàtic folder. `turns` is the number of turns busy masks must have
/// when the folder itself does not say (a forced-turns file with `hours` does).
pub fn plan(files: &[TomaticFile], turns: usize) -> ImportPlan {
    let mut plan = ImportPlan::default();
    let find = |name: &str| files.iter().find(|f| f.name == name);
    if let Some(f) = find(FILE_CONFIG) {
        plan_config(&f.text, &mut plan);
    }
    if let Some(f) = find("data/forced-turns.yaml").or_else(|| find("forced-turns.yaml")) {
        plan_forced(&f.name, &f.text, &mut plan);
        if let (Some(config), Some(forced)) = (&plan.config.hours, &plan.hours)
            && config.len() != forced.len()
        {
            plan.rejected.push(Rejected {
                file: f.name.clone(),
                line: top_line(&f.text, "hours"),
                reason: format!(
                    "hours: {} turns, but config.yaml's hours make {}",
                    forced.len() - 1,
                    config.len() - 1
                ),
            });
        }
    }
    let turns = plan
        .config
        .hours
        .as_ref()
        .or(plan.hours.as_ref())
        .map(|h| h.len() - 1)
        .unwrap_or(turns);
    if let Some(f) = find(FILE_PERSONS) {
        plan_persons(&f.text, &mut plan);
    }
    for name in [FILE_WEEKLY, FILE_ONESHOT, FILE_LEAVE] {
        if let Some(f) = find(name) {
            plan_busy(name, &f.text, turns, &mut plan);
        }
    }
    if let Some(f) = find("shiftcredit.yaml").or_else(|| find("data/shiftcredit.yaml")) {
        plan_credits(&f.name, &f.text, &mut plan);
    }
    if let Some(f) = find(FILE_HOLIDAYS) {
        let (ok, bad) = parse_holidays_file(&f.text);
        plan.holidays = ok;
        plan.rejected.extend(bad.into_iter().map(|(line, reason)| Rejected {
            file: FILE_HOLIDAYS.into(),
            line: Some(line),
            reason,
        }));
    }
    let mut graellas: Vec<&TomaticFile> = files
        .iter()
        .filter(|f| {
            let base = f.name.rsplit('/').next().unwrap_or(&f.name);
            base.starts_with("graella-") && base.ends_with(".yaml")
        })
        .collect();
    graellas.sort_by(|a, b| a.name.cmp(&b.name));
    for f in graellas {
        plan_graella(&f.name, &f.text, &mut plan);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> TomaticFile {
        TomaticFile {
            name: name.into(),
            text: text.into(),
        }
    }

    const PERSONS: &str = "names:\n  anna: Anna Puig\n  bea: Bea Roca\n  ningu: '-'\nextensions:\n  anna: '201'\n\
colors:\n  anna: ff7700\n  bea: '000000'\ntables:\n  anna: 3\n  bea: -1\nemails:\n  anna: anna@example.org\n\
groups:\n  it:\n    - anna\n    - bea\nidealloads:\n  anna: 4\n  bea: 2\n";

    #[test]
    fn persons_file_gives_people_with_every_field() {
        let p = plan(&[file("persons.yaml", PERSONS)], 4);
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.people.len(), 2);
        let anna = &p.people[0].fields;
        assert_eq!(anna.handle, "anna");
        assert_eq!(anna.full_name, "Anna Puig");
        assert_eq!(anna.extension.as_deref(), Some("201"));
        assert_eq!(anna.colour, "#ff7700");
        assert_eq!(anna.desk.as_deref(), Some("table 3"));
        assert_eq!(anna.groups, vec!["it"]);
        assert_eq!(anna.ideal_load, Some(4));
        assert_eq!(p.people[1].fields.desk, None);
        assert!(p.notes[0].contains("ningu"));
    }

    #[test]
    fn a_bad_colour_is_rejected_with_its_line() {
        let text = "names:\n  anna: Anna\ncolors:\n  anna: orange\n";
        let p = plan(&[file("persons.yaml", text)], 4);
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].line, Some(4));
        assert!(p.rejected[0].reason.contains("colour"));
    }

    #[test]
    fn busy_files_become_weekly_one_off_and_leave_entries() {
        let p = plan(
            &[
                file(
                    "indisponibilitats.conf",
                    "+anna dl 0011 # school\nbea 1100 # rather not\n",
                ),
                file("oneshot.conf", "+anna 2026-12-01 0101 # dentist\n"),
                file(
                    "indisponibilitats-vacances.conf",
                    "+bea 2026-08-03 # vacances\n+bea 2026-08-04 # vacances\n+bea 2026-08-10 # vacances\n",
                ),
            ],
            4,
        );
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let kinds: Vec<_> = p
            .availability
            .iter()
            .map(|e| (e.handle.as_str(), e.entry.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("anna", AvailabilityKind::Weekly),
                ("bea", AvailabilityKind::Weekly),
                ("anna", AvailabilityKind::OneOff),
                ("bea", AvailabilityKind::Leave),
                ("bea", AvailabilityKind::Leave),
            ]
        );
        let leave = &p.availability[3].entry;
        assert_eq!(leave.date_from.unwrap().to_string(), "2026-08-03");
        assert_eq!(leave.date_to.unwrap().to_string(), "2026-08-04");
        assert!(!p.availability[1].entry.mandatory);
        assert_eq!(p.availability[1].entry.weekday, None, "no day: every working day");
    }

    #[test]
    fn every_bad_line_is_reported_with_file_and_line() {
        let p = plan(
            &[
                file("indisponibilitats.conf", "anna dl 111 # r\nanna dm 0011\n"),
                file("holidays.conf", "2026-02-30 Typo\n"),
            ],
            4,
        );
        let where_: Vec<_> = p.rejected.iter().map(|r| (r.file.as_str(), r.line)).collect();
        assert_eq!(
            where_,
            vec![
                ("indisponibilitats.conf", Some(1)),
                ("indisponibilitats.conf", Some(2)),
                ("holidays.conf", Some(1))
            ]
        );
    }

    #[test]
    fn forced_turns_give_the_template_week_and_its_shape() {
        let text = "days: [dl, dm]\nhours: ['09:00', '10:30', '12:00']\nturns: [L1, L2]\ntimetable:\n  dl:\n  - [anna, ningu]\n  - [festiu, bea]\n  dm:\n  - [bea, anna]\n  - [anna, bea]\n";
        let p = plan(&[file("data/forced-turns.yaml", text)], 4);
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.hours.as_ref().unwrap().len(), 3);
        assert_eq!(p.lines, Some(2));
        let fixed: Vec<FixedSeat> = p.fixed.unwrap().into_iter().map(|s| s.seat).collect();
        assert_eq!(fixed.len(), 7, "festiu is no fixed seat");
        assert!(fixed.contains(&FixedSeat {
            weekday: 0,
            turn: 0,
            line: 1,
            person: None
        }));
    }

    #[test]
    fn timetables_are_kept_by_week() {
        let text =
            "week: '2023-08-07'\ndays: [dl]\nhours: ['09:00', '10:15']\nturns: [L1]\ntimetable:\n  dl:\n  - [anna]\n";
        let p = plan(&[file("graelles/graella-2023-08-07.yaml", text)], 4);
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.timetables[0].week.to_string(), "2023-08-07");
        assert_eq!(p.timetables[0].timetable["timetable"]["dl"][0][0], "anna");
        let p = plan(&[file("graelles/graella-x.yaml", "timetable: {}\n")], 4);
        assert_eq!(p.rejected.len(), 1);
    }

    #[test]
    fn config_gives_lines_hours_day_maximum_and_overload() {
        let text = "# Tomàtic\nnTelefons: 7\nhours:\n- '09:00'\n- '10:15'\n- '11:30'\nmaximHoresDiariesGeneral: 2\nmaxOverload: 0\nmonitoringFile: x.log\n";
        let p = plan(&[file("config.yaml", text)], 4);
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(
            p.config,
            PlannedConfig {
                lines: Some(7),
                hours: Some(vec!["09:00".into(), "10:15".into(), "11:30".into()]),
                max_turns_per_day: Some(2),
                max_overload: Some(0),
            }
        );
        // Its hours set the turns busy masks must have.
        let p = plan(
            &[
                file("config.yaml", text),
                file("indisponibilitats.conf", "+anna dl 0011 # r\n"),
            ],
            4,
        );
        assert_eq!(p.rejected.len(), 1, "a four-turn mask for a two-turn day");
    }

    #[test]
    fn a_bad_config_value_is_rejected_with_its_line() {
        let p = plan(&[file("config.yaml", "nTelefons: 7\nmaxOverload: lots\n")], 4);
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(
            (p.rejected[0].file.as_str(), p.rejected[0].line),
            ("config.yaml", Some(2))
        );
        assert!(
            p.rejected[0].reason.starts_with("maxOverload: 'lots'"),
            "{:?}",
            p.rejected
        );
        assert_eq!(p.config.max_overload, None);
        assert_eq!(p.config.lines, Some(7));
    }

    #[test]
    fn shiftcredit_gives_balances_and_refuses_what_is_not_a_number() {
        let p = plan(&[file("shiftcredit.yaml", "anna: 3\nbea: -2\nningu: 0\n")], 4);
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(
            p.credits,
            vec![("anna".into(), 3, Some(1)), ("bea".into(), -2, Some(2))]
        );
        let p = plan(&[file("shiftcredit.yaml", "anna: 3\nbea: lots\n")], 4);
        assert_eq!((p.rejected.len(), p.rejected[0].line), (1, Some(2)));
    }

    #[test]
    fn forced_turns_hours_must_match_the_config_turns() {
        let forced = "hours: ['09:00', '10:30', '12:00']\ntimetable:\n  dl:\n  - [anna]\n";
        let p = plan(
            &[
                file("config.yaml", "hours: ['09:00', '10:00', '11:00', '12:00']\n"),
                file("data/forced-turns.yaml", forced),
            ],
            4,
        );
        assert_eq!(p.rejected.len(), 1, "{:?}", p.rejected);
        assert!(p.rejected[0].reason.contains("config.yaml's hours make 3"));
    }

    #[test]
    fn forced_seats_know_their_row_line_and_the_file_names() {
        let text = "names:\n  xavi: Xavi\nhours: ['09:00', '10:30', '12:00']\ntimetable:\n  dl:\n  - [anna, xavi]\n  - [bea, anna]\n  dm:\n  - [xavi, anna]\n";
        let p = plan(&[file("data/forced-turns.yaml", text)], 4);
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert_eq!(p.forced_names, vec!["xavi".to_string()]);
        let at = |weekday: u8, turn: u32| {
            p.fixed
                .as_ref()
                .unwrap()
                .iter()
                .find(|s| s.seat.weekday == weekday && s.seat.turn == turn)
                .unwrap()
                .line
        };
        assert_eq!((at(0, 0), at(0, 1), at(1, 0)), (Some(6), Some(7), Some(9)));
    }
}
