//! Reading a Tomàtic folder into what Switchboard stores, without touching the database: the
//! plan lists every person, entry, holiday, fixed seat and timetable found, and every line that
//! cannot be taken with its file, line and reason. `db::tomatic_import` then applies the plan in
//! one transaction, or nothing at all when anything was rejected.
//!
//! Files read (paths relative to the folder; any other file is ignored):
//! `persons.yaml`, `indisponibilitats.conf` (weekly), `oneshot.conf` (one-off),
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
    pub fixed: Option<Vec<FixedSeat>>,
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
                seats.push(FixedSeat {
                    weekday: weekday as u8,
                    turn: turn as u32,
                    line: line as u32,
                    person,
                });
            }
        }
    }
    plan.hours = hours_of(&g);
    plan.lines = Some(lines);
    plan.fixed = Some(seats);
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
    if let Some(f) = find("data/forced-turns.yaml").or_else(|| find("forced-turns.yaml")) {
        plan_forced(&f.name, &f.text, &mut plan);
    }
    let turns = plan.hours.as_ref().map(|h| h.len() - 1).unwrap_or(turns);
    if let Some(f) = find(FILE_PERSONS) {
        plan_persons(&f.text, &mut plan);
    }
    for name in [FILE_WEEKLY, FILE_ONESHOT, FILE_LEAVE] {
        if let Some(f) = find(name) {
            plan_busy(name, &f.text, turns, &mut plan);
        }
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
        let fixed = p.fixed.unwrap();
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
}
