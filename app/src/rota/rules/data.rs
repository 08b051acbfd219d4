//! The rota's data and its rules: team settings, people, availability, holidays and fixed
//! turns. Every form, the REST of the app and the Tomàtic import validate through these
//! functions, so a rule (say, what a colour looks like) lives in one place.
use super::Invalid;
use super::tomatic::{FIRST_YEAR, LAST_YEAR};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Short weekday names, Monday first (index = weekday number used everywhere in the rota).
pub const WEEKDAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

// ---------------------------------------------------------------------------------------------
// Team settings

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSettings {
    /// IANA name, e.g. `Europe/Madrid`: days and turn boundaries are in this zone.
    pub time_zone: String,
    /// `HH:MM` boundaries of the turns; n boundaries make n − 1 turns.
    pub turn_boundaries: Vec<String>,
    /// Phone lines staffed in each turn.
    pub lines: u32,
    /// Weekdays with turns (0 = Monday).
    pub working_days: Vec<u8>,
    /// Most turns a person takes in a day unless their own maximum says otherwise.
    pub max_turns_per_day: u32,
    /// Most empty seats a turn may have when the timetable is edited by hand.
    pub max_empty_seats: u32,
    /// The solver's optional rule: at most this many people of one desk in a turn (noise).
    #[serde(default)]
    pub max_per_desk: Option<u32>,
    /// The solver's optional rules per group.
    #[serde(default)]
    pub group_rules: Vec<GroupLimit>,
    /// Most turns a person's load is raised above their proportional load (ideal × days
    /// worked / 5) to fill the week's seats; 0 = never above. Tomàtic's `maxOverload`.
    #[serde(default = "default_max_overload")]
    pub max_overload: u32,
}

/// Tomàtic's default `maxOverload`.
pub const DEFAULT_MAX_OVERLOAD: u32 = 1;

fn default_max_overload() -> u32 {
    DEFAULT_MAX_OVERLOAD
}

/// Limits on a group's members in one turn; each is off when `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLimit {
    pub group: String,
    /// At most this many members on the phone at once.
    pub max_on_phone: Option<u32>,
    /// At least this many members off the phone.
    pub min_off_phone: Option<u32>,
}

impl GroupLimit {
    /// `billing max=2 min_off=1`: the settings form's one-line notation.
    pub fn to_line(&self) -> String {
        let mut s = self.group.clone();
        if let Some(n) = self.max_on_phone {
            s += &format!(" max={n}");
        }
        if let Some(n) = self.min_off_phone {
            s += &format!(" min_off={n}");
        }
        s
    }

    /// Reads lines of `group max=N min_off=N`; errors name the line.
    pub fn parse_lines(text: &str) -> Result<Vec<GroupLimit>, Invalid> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let bad = |m: &str| Invalid::new("group_rules", format!("line {}: {m}", i + 1));
            let mut words = line.split_whitespace();
            let group = check_group(words.next().unwrap_or_default()).map_err(|e| bad(&e.message))?;
            let mut rule = GroupLimit {
                group,
                ..Default::default()
            };
            for w in words {
                let (k, v) = w.split_once('=').ok_or_else(|| bad("write max=N or min_off=N"))?;
                let n: u32 = v.parse().map_err(|_| bad(&format!("'{v}' is not a whole number")))?;
                match k {
                    "max" => rule.max_on_phone = Some(n),
                    "min_off" => rule.min_off_phone = Some(n),
                    _ => return Err(bad(&format!("unknown limit '{k}' (use max or min_off)"))),
                }
            }
            if rule.max_on_phone.is_none() && rule.min_off_phone.is_none() {
                return Err(bad("give max=N, min_off=N or both"));
            }
            out.push(rule);
        }
        Ok(out)
    }
}

impl Default for TeamSettings {
    fn default() -> Self {
        Self {
            time_zone: "Europe/Madrid".into(),
            turn_boundaries: ["09:00", "10:15", "11:30", "12:45", "14:00"].map(String::from).to_vec(),
            lines: 8,
            working_days: vec![0, 1, 2, 3, 4],
            max_turns_per_day: 2,
            max_empty_seats: 2,
            max_per_desk: None,
            group_rules: Vec::new(),
            max_overload: DEFAULT_MAX_OVERLOAD,
        }
    }
}

impl TeamSettings {
    /// Turns in a day.
    pub fn turns(&self) -> usize {
        self.turn_boundaries.len().saturating_sub(1)
    }

    /// `09:00–10:15`: how people name a turn.
    pub fn turn_label(&self, turn: usize) -> String {
        match (self.turn_boundaries.get(turn), self.turn_boundaries.get(turn + 1)) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => format!("turn {}", turn + 1),
        }
    }

    /// The start time of a turn, `09:00`.
    pub fn turn_start(&self, turn: usize) -> String {
        self.turn_boundaries.get(turn).cloned().unwrap_or_default()
    }

    /// The team's date at `now` (in its time zone; UTC if the zone is unknown).
    pub fn today(&self, now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
        match self.time_zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => now.with_timezone(&tz).date_naive(),
            Err(_) => now.date_naive(),
        }
    }

    pub fn works_on(&self, date: NaiveDate) -> bool {
        self.working_days
            .contains(&(date.weekday().num_days_from_monday() as u8))
    }

    /// Checks and tidies the settings (sorted unique working days, trimmed times).
    pub fn normalized(mut self) -> Result<Self, Invalid> {
        self.time_zone = self.time_zone.trim().to_string();
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(Invalid::new(
                "time_zone",
                format!(
                    "'{}' is not a known time zone (use a name like Europe/Madrid)",
                    self.time_zone
                ),
            ));
        }
        let mut minutes = Vec::new();
        for b in self.turn_boundaries.iter_mut() {
            *b = b.trim().to_string();
            let m = parse_hhmm(b)
                .ok_or_else(|| Invalid::new("turn_boundaries", format!("'{b}' is not a time of day like 09:00")))?;
            minutes.push(m);
            *b = format!("{:02}:{:02}", m / 60, m % 60);
        }
        if minutes.len() < 2 {
            return Err(Invalid::new(
                "turn_boundaries",
                "give at least two times: the start of the first turn and the end of the last",
            ));
        }
        if minutes.len() > 25 {
            return Err(Invalid::new("turn_boundaries", "at most 24 turns a day"));
        }
        if let Some(w) = minutes.windows(2).find(|w| w[1] <= w[0]) {
            return Err(Invalid::new(
                "turn_boundaries",
                format!(
                    "times must increase: {:02}:{:02} comes after {:02}:{:02}",
                    w[1] / 60,
                    w[1] % 60,
                    w[0] / 60,
                    w[0] % 60
                ),
            ));
        }
        if !(1..=200).contains(&self.lines) {
            return Err(Invalid::new("lines", "must be between 1 and 200"));
        }
        self.working_days.sort_unstable();
        self.working_days.dedup();
        if self.working_days.is_empty() {
            return Err(Invalid::new("working_days", "pick at least one working day"));
        }
        if self.working_days.iter().any(|d| *d > 6) {
            return Err(Invalid::new("working_days", "weekdays are 0 (Monday) to 6 (Sunday)"));
        }
        if !(1..=24).contains(&self.max_turns_per_day) {
            return Err(Invalid::new("max_turns_per_day", "must be between 1 and 24"));
        }
        if self.max_per_desk == Some(0) {
            return Err(Invalid::new("max_per_desk", "at least 1 (or empty for no limit)"));
        }
        let mut seen = Vec::new();
        for r in &self.group_rules {
            check_group(&r.group).map_err(|e| Invalid::new("group_rules", e.message))?;
            if seen.contains(&r.group) {
                return Err(Invalid::new(
                    "group_rules",
                    format!("group '{}' has two rules", r.group),
                ));
            }
            seen.push(r.group.clone());
            if r.max_on_phone.is_none() && r.min_off_phone.is_none() {
                return Err(Invalid::new(
                    "group_rules",
                    format!("group '{}': give max or min_off", r.group),
                ));
            }
        }
        if self.max_overload > 50 {
            return Err(Invalid::new("max_overload", "must be between 0 and 50"));
        }
        if self.max_empty_seats > self.lines {
            return Err(Invalid::new(
                "max_empty_seats",
                format!("cannot be more than the {} lines", self.lines),
            ));
        }
        Ok(self)
    }
}

/// Minutes after midnight of `HH:MM` (or `H:MM`).
fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

// ---------------------------------------------------------------------------------------------
// People

/// What is stored about a person who may take turns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonFields {
    /// Short, unique, lowercase: how files, the timetable and the PBX name the person.
    pub handle: String,
    pub full_name: String,
    pub extension: Option<String>,
    pub email: Option<String>,
    /// `#rgb` or `#rrggbb`.
    pub colour: String,
    pub desk: Option<String>,
    pub groups: Vec<String>,
    /// Turns in a full week; `None` = not on the rota.
    pub ideal_load: Option<u32>,
    /// Overrides the team's default when set.
    pub max_turns_per_day: Option<u32>,
    pub active: bool,
    pub user_id: Option<i64>,
}

pub const DEFAULT_COLOUR: &str = "#8fa3bf";

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

pub fn check_handle(raw: &str) -> Result<String, Invalid> {
    let h = raw.trim().to_lowercase();
    let ok = !h.is_empty()
        && h.len() <= 32
        && h.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && h.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if !ok {
        return Err(Invalid::new(
            "handle",
            "must be 1 to 32 characters: letters a-z, digits, '_', '.' and '-', starting with a letter or digit",
        ));
    }
    Ok(h)
}

/// `#abc` or `#aabbcc`, stored in lowercase. Tomàtic's `aabbcc` (no `#`) is accepted too.
pub fn check_colour(raw: &str) -> Result<String, Invalid> {
    let c = raw.trim().to_lowercase();
    let hex = c.strip_prefix('#').unwrap_or(&c);
    if !matches!(hex.len(), 3 | 6) || !hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return Err(Invalid::new(
            "colour",
            format!("'{}' is not a colour like #3a7 or #33aa77", raw.trim()),
        ));
    }
    Ok(format!("#{hex}"))
}

/// A plausible address: one `@`, something before it, a dotted domain after it, no spaces.
pub fn check_email(raw: &str) -> Result<String, Invalid> {
    let e = raw.trim();
    let bad = || Invalid::new("email", format!("'{e}' is not an email address like anna@example.org"));
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || e.chars().any(char::is_whitespace)
        || e.len() > 200
    {
        return Err(bad());
    }
    Ok(e.to_string())
}

pub fn check_extension(raw: &str) -> Result<String, Invalid> {
    let x = raw.trim();
    if !(2..=8).contains(&x.len()) || !x.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::new(
            "extension",
            format!("'{x}' is not a PBX extension (2 to 8 digits)"),
        ));
    }
    Ok(x.to_string())
}

pub fn check_group(raw: &str) -> Result<String, Invalid> {
    let g = raw.trim().to_lowercase();
    if g.is_empty()
        || g.len() > 40
        || !g
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
    {
        return Err(Invalid::new(
            "groups",
            format!(
                "'{}' is not a group name (letters a-z, digits, '_', '.', '-')",
                raw.trim()
            ),
        ));
    }
    Ok(g)
}

impl PersonFields {
    /// Checks every field and returns the stored form (trimmed, lowercase where it matters,
    /// empty texts as none, groups sorted and unique).
    pub fn normalized(self) -> Result<Self, Invalid> {
        let handle = check_handle(&self.handle)?;
        let full_name = self.full_name.trim().to_string();
        if full_name.is_empty() || full_name.chars().count() > 100 {
            return Err(Invalid::new("full_name", "must be 1 to 100 characters"));
        }
        let extension = blank_to_none(self.extension).map(|x| check_extension(&x)).transpose()?;
        let email = blank_to_none(self.email).map(|e| check_email(&e)).transpose()?;
        let colour = if self.colour.trim().is_empty() {
            DEFAULT_COLOUR.to_string()
        } else {
            check_colour(&self.colour)?
        };
        let desk = blank_to_none(self.desk);
        if desk.as_ref().is_some_and(|d| d.chars().count() > 40) {
            return Err(Invalid::new("desk", "must be at most 40 characters"));
        }
        let mut groups = self
            .groups
            .iter()
            .filter(|g| !g.trim().is_empty())
            .map(|g| check_group(g))
            .collect::<Result<Vec<_>, _>>()?;
        groups.sort();
        groups.dedup();
        if self.ideal_load.is_some_and(|l| l > 100) {
            return Err(Invalid::new("ideal_load", "must be between 0 and 100 turns a week"));
        }
        if self.max_turns_per_day.is_some_and(|m| !(1..=24).contains(&m)) {
            return Err(Invalid::new("max_turns_per_day", "must be between 1 and 24"));
        }
        Ok(Self {
            handle,
            full_name,
            extension,
            email,
            colour,
            desk,
            groups,
            ideal_load: self.ideal_load,
            max_turns_per_day: self.max_turns_per_day,
            active: self.active,
            user_id: self.user_id,
        })
    }
}

/// The fields an agent may change on their own person: how to reach them and how they look in
/// the timetable. Everything that decides their turns stays with coordinators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFields {
    pub email: Option<String>,
    pub colour: String,
}

impl ContactFields {
    pub fn normalized(self) -> Result<Self, Invalid> {
        Ok(Self {
            email: blank_to_none(self.email).map(|e| check_email(&e)).transpose()?,
            colour: if self.colour.trim().is_empty() {
                DEFAULT_COLOUR.to_string()
            } else {
                check_colour(&self.colour)?
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Availability

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvailabilityKind {
    /// Every week on a weekday (or every working day).
    Weekly,
    /// One date.
    OneOff,
    /// A range of whole days (holidays of the person, sick leave).
    Leave,
}

impl AvailabilityKind {
    pub const ALL: [AvailabilityKind; 3] = [
        AvailabilityKind::Weekly,
        AvailabilityKind::OneOff,
        AvailabilityKind::Leave,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AvailabilityKind::Weekly => "weekly",
            AvailabilityKind::OneOff => "oneoff",
            AvailabilityKind::Leave => "leave",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            AvailabilityKind::Weekly => "Weekly",
            AvailabilityKind::OneOff => "One-off",
            AvailabilityKind::Leave => "Leave",
        }
    }
}

/// An availability entry as entered: the kind says which of the day fields apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityInput {
    pub kind: AvailabilityKind,
    /// Weekly: 0 = Monday; `None` = every working day.
    pub weekday: Option<u8>,
    /// One-off: the date. Leave: the first day.
    pub date_from: Option<NaiveDate>,
    /// Leave: the last day (inclusive). Ignored for one-offs.
    pub date_to: Option<NaiveDate>,
    /// One flag per turn, `true` = busy; `None` = every turn. Leave is always whole days.
    pub turns: Option<Vec<bool>>,
    /// `true`: cannot take the turn. `false`: would rather not (the solver may still use it).
    pub mandatory: bool,
    pub reason: String,
}

fn check_date(field: &str, d: NaiveDate) -> Result<NaiveDate, Invalid> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
        return Err(Invalid::new(
            field,
            format!("{d} is outside {FIRST_YEAR}–{LAST_YEAR}: check the year"),
        ));
    }
    Ok(d)
}

/// Longest leave accepted in one entry; longer ranges are almost always a typo in the year.
pub const MAX_LEAVE_DAYS: i64 = 366;

impl AvailabilityInput {
    /// Checks the entry against the team's number of turns and returns its stored form: a mask
    /// with every turn busy becomes `None` (all day), a one-off's end is its start.
    pub fn normalized(self, turns: usize) -> Result<Self, Invalid> {
        let reason = self.reason.trim().to_string();
        if reason.is_empty() {
            return Err(Invalid::new("reason", "say why (e.g. 'school run', 'team meeting')"));
        }
        if reason.chars().count() > 200 {
            return Err(Invalid::new("reason", "must be at most 200 characters"));
        }
        let mask = match self.turns {
            Some(m) if m.len() != turns => {
                return Err(Invalid::new(
                    "turns",
                    format!("has {} turns but the team's day has {turns}", m.len()),
                ));
            }
            Some(m) if !m.iter().any(|b| *b) => {
                return Err(Invalid::new("turns", "mark at least one busy turn"));
            }
            Some(m) if m.iter().all(|b| *b) => None,
            other => other,
        };
        let (weekday, date_from, date_to, mask) = match self.kind {
            AvailabilityKind::Weekly => {
                if self.weekday.is_some_and(|d| d > 6) {
                    return Err(Invalid::new("weekday", "weekdays are 0 (Monday) to 6 (Sunday)"));
                }
                (self.weekday, None, None, mask)
            }
            AvailabilityKind::OneOff => {
                let d = self
                    .date_from
                    .ok_or_else(|| Invalid::new("date_from", "give the date"))?;
                let d = check_date("date_from", d)?;
                (None, Some(d), Some(d), mask)
            }
            AvailabilityKind::Leave => {
                let from = self
                    .date_from
                    .ok_or_else(|| Invalid::new("date_from", "give the first day of the leave"))?;
                let to = self
                    .date_to
                    .ok_or_else(|| Invalid::new("date_to", "give the last day of the leave"))?;
                let from = check_date("date_from", from)?;
                let to = check_date("date_to", to)?;
                if to < from {
                    return Err(Invalid::new(
                        "date_to",
                        format!("the leave ends ({to}) before it starts ({from})"),
                    ));
                }
                if (to - from).num_days() >= MAX_LEAVE_DAYS {
                    return Err(Invalid::new(
                        "date_to",
                        "a leave is at most a year long: check the dates",
                    ));
                }
                if mask.is_some() {
                    return Err(Invalid::new(
                        "turns",
                        "a leave covers whole days; use one-off entries for some turns of a day",
                    ));
                }
                (None, Some(from), Some(to), None)
            }
        };
        Ok(Self {
            kind: self.kind,
            weekday,
            date_from,
            date_to,
            turns: mask,
            mandatory: self.mandatory,
            reason,
        })
    }

    /// The busy flags of this entry on `date` (for a day with `turns` turns), if it covers it.
    /// Weekly entries without a weekday cover the team's working days.
    pub fn on(&self, date: NaiveDate, turns: usize, working_days: &[u8]) -> Option<Vec<bool>> {
        let weekday = date.weekday().num_days_from_monday() as u8;
        let covers = match self.kind {
            AvailabilityKind::Weekly => match self.weekday {
                Some(d) => d == weekday,
                None => working_days.contains(&weekday),
            },
            AvailabilityKind::OneOff | AvailabilityKind::Leave => match (self.date_from, self.date_to) {
                (Some(a), Some(b)) => a <= date && date <= b,
                _ => false,
            },
        };
        covers.then(|| match &self.turns {
            Some(m) if m.len() == turns => m.clone(),
            _ => vec![true; turns],
        })
    }

    /// `Mon 0011`, `2026-12-24 all day`, `2026-08-03 → 2026-08-21`: one line for lists.
    pub fn describe(&self, settings: &TeamSettings) -> String {
        let turns = match &self.turns {
            None => "all day".to_string(),
            Some(m) => m
                .iter()
                .enumerate()
                .filter(|(_, b)| **b)
                .map(|(i, _)| settings.turn_label(i))
                .collect::<Vec<_>>()
                .join(", "),
        };
        match self.kind {
            AvailabilityKind::Weekly => {
                let day = self
                    .weekday
                    .map(|d| format!("every {}", WEEKDAY_NAMES[usize::from(d)]))
                    .unwrap_or_else(|| "every working day".into());
                format!("{day}, {turns}")
            }
            AvailabilityKind::OneOff => {
                format!("{}, {turns}", self.date_from.map(|d| d.to_string()).unwrap_or_default())
            }
            AvailabilityKind::Leave => format!(
                "{} → {}",
                self.date_from.map(|d| d.to_string()).unwrap_or_default(),
                self.date_to.map(|d| d.to_string()).unwrap_or_default()
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Holidays

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// A public or team holiday.
    Holiday,
    /// The service is closed that day (a strike, a move, an outage plan).
    NoService,
}

impl HolidayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::Holiday => "holiday",
            HolidayKind::NoService => "no_service",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "holiday" => Some(HolidayKind::Holiday),
            "no_service" => Some(HolidayKind::NoService),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            HolidayKind::Holiday => "Holiday",
            HolidayKind::NoService => "No service",
        }
    }
}

/// A day without turns: no rota has seats on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub day: NaiveDate,
    pub name: String,
    pub kind: HolidayKind,
}

impl Holiday {
    pub fn normalized(self) -> Result<Self, Invalid> {
        let day = check_date("day", self.day)?;
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Invalid::new("name", "give the holiday a name (at most 100 characters)"));
        }
        Ok(Self {
            day,
            name,
            kind: self.kind,
        })
    }
}

/// Lines read from a file: the good ones and the bad ones with why, each with its line number.
pub type ReadLines<T> = (Vec<(usize, T)>, Vec<(usize, String)>);

/// Reads Tomàtic's `holidays.conf`: `YYYY-MM-DD<tab or spaces>Name` per line; `#` comments.
pub fn parse_holidays_file(text: &str) -> ReadLines<Holiday> {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (date, name) = match line.split_once(char::is_whitespace) {
            Some((d, rest)) => (d, rest.trim()),
            None => (line, ""),
        };
        let Ok(day) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
            bad.push((n, format!("'{date}' is not a date like 2026-12-25")));
            continue;
        };
        match (Holiday {
            day,
            name: name.to_string(),
            kind: HolidayKind::Holiday,
        })
        .normalized()
        {
            Ok(h) => ok.push((n, h)),
            Err(e) => bad.push((n, e.message)),
        }
    }
    (ok, bad)
}

// ---------------------------------------------------------------------------------------------
// Fixed turns

/// One seat of the template week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedSeat {
    pub weekday: u8,
    pub turn: u32,
    pub line: u32,
    /// The person's handle, or `None` for "nobody: keep this seat empty".
    pub person: Option<String>,
}

impl FixedSeat {
    pub fn check(&self, settings: &TeamSettings) -> Result<(), Invalid> {
        if !settings.working_days.contains(&self.weekday) {
            return Err(Invalid::new(
                "weekday",
                format!(
                    "{} is not a working day of the team",
                    WEEKDAY_NAMES.get(usize::from(self.weekday)).unwrap_or(&"?")
                ),
            ));
        }
        if self.turn as usize >= settings.turns() {
            return Err(Invalid::new(
                "turn",
                format!("the team's day has {} turns", settings.turns()),
            ));
        }
        if self.line >= settings.lines {
            return Err(Invalid::new("line", format!("the team has {} lines", settings.lines)));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Weeks

/// The Monday of the week holding `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// A day asked for in a week view, refused when its year cannot be meant.
pub fn check_week_day(d: NaiveDate) -> Result<NaiveDate, Invalid> {
    check_date("day", d)
}

/// The first and last day of a year, for year views.
pub fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate), Invalid> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(Invalid::new(
            "year",
            format!("{year} is outside {FIRST_YEAR}–{LAST_YEAR}"),
        ));
    }
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| Invalid::new("year", "not a year"))?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| Invalid::new("year", "not a year"))?;
    Ok((from, to))
}

/// Who is busy in one turn of one day, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyPerson {
    pub handle: String,
    pub mandatory: bool,
    pub reason: String,
}

/// One day of the team's busy view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyDayView {
    pub date: NaiveDate,
    /// Set when the day has no turns (holiday, no-service day, not a working day).
    pub closed: Option<String>,
    /// Per turn, who is busy (each person once per turn; mandatory wins over optional).
    pub turns: Vec<Vec<BusyPerson>>,
}

/// For each working day of the week starting `monday`, who is busy in each turn and why.
/// `entries` pairs each entry with the handle of its person; inactive people and people not on
/// the rota should be left out by the caller.
pub fn week_busy(
    settings: &TeamSettings,
    holidays: &[Holiday],
    entries: &[(String, AvailabilityInput)],
    monday: NaiveDate,
) -> Vec<BusyDayView> {
    let turns = settings.turns();
    (0..7)
        .map(|i| monday + Duration::days(i))
        .filter(|d| settings.works_on(*d))
        .map(|date| {
            let closed = holidays
                .iter()
                .find(|h| h.day == date)
                .map(|h| format!("{}: {}", h.kind.label(), h.name));
            let mut per_turn: Vec<Vec<BusyPerson>> = vec![Vec::new(); turns];
            if closed.is_none() {
                for (handle, e) in entries {
                    let Some(mask) = e.on(date, turns, &settings.working_days) else {
                        continue;
                    };
                    for (t, busy) in mask.iter().enumerate() {
                        if !busy {
                            continue;
                        }
                        let slot = &mut per_turn[t];
                        match slot.iter_mut().find(|b| &b.handle == handle) {
                            Some(b) if e.mandatory && !b.mandatory => {
                                b.mandatory = true;
                                b.reason = e.reason.clone();
                            }
                            Some(_) => {}
                            None => slot.push(BusyPerson {
                                handle: handle.clone(),
                                mandatory: e.mandatory,
                                reason: e.reason.clone(),
                            }),
                        }
                    }
                }
                for slot in &mut per_turn {
                    slot.sort_by(|a, b| b.mandatory.cmp(&a.mandatory).then(a.handle.cmp(&b.handle)));
                }
            }
            BusyDayView {
                date,
                closed,
                turns: per_turn,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn person(handle: &str) -> PersonFields {
        PersonFields {
            handle: handle.into(),
            full_name: "Anna Puig".into(),
            colour: "#abc".into(),
            active: true,
            ..Default::default()
        }
    }

    #[test]
    fn default_settings_are_valid_and_have_four_turns() {
        let s = TeamSettings::default().normalized().unwrap();
        assert_eq!(s.turns(), 4);
        assert_eq!(s.turn_label(0), "09:00–10:15");
        assert_eq!(s.lines, 8);
        assert!(s.works_on(d("2026-11-20")));
        assert!(!s.works_on(d("2026-11-21")));
    }

    #[test]
    fn settings_refuse_bad_values_naming_the_field() {
        let bad = |f: fn(&mut TeamSettings), field: &str| {
            let mut s = TeamSettings::default();
            f(&mut s);
            assert_eq!(s.normalized().unwrap_err().field, field);
        };
        bad(|s| s.time_zone = "Mars/Olympus".into(), "time_zone");
        bad(|s| s.turn_boundaries = vec!["09:00".into()], "turn_boundaries");
        bad(
            |s| s.turn_boundaries = vec!["10:00".into(), "09:00".into()],
            "turn_boundaries",
        );
        bad(
            |s| s.turn_boundaries = vec!["9h".into(), "10:00".into()],
            "turn_boundaries",
        );
        bad(|s| s.lines = 0, "lines");
        bad(|s| s.working_days = vec![], "working_days");
        bad(|s| s.working_days = vec![7], "working_days");
        bad(|s| s.max_turns_per_day = 0, "max_turns_per_day");
        bad(|s| s.max_empty_seats = 9, "max_empty_seats");
    }

    #[test]
    fn today_is_the_team_zone_date() {
        let s = TeamSettings::default();
        let late = chrono::DateTime::parse_from_rfc3339("2026-11-20T23:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(s.today(late), d("2026-11-21"), "00:30 in Madrid");
    }

    #[test]
    fn group_rules_read_from_lines_and_name_bad_ones() {
        let rules = GroupLimit::parse_lines("billing max=2\n\nit min_off=1 max=3\n").unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].to_line(), "it max=3 min_off=1");
        let err = GroupLimit::parse_lines("billing max=2\nit most=3").unwrap_err();
        assert_eq!(err.field, "group_rules");
        assert!(err.message.starts_with("line 2"), "{}", err.message);
        assert!(GroupLimit::parse_lines("it").is_err());
        let twice = TeamSettings {
            group_rules: GroupLimit::parse_lines("it max=1\nit min_off=1").unwrap(),
            ..Default::default()
        };
        assert_eq!(twice.normalized().unwrap_err().field, "group_rules");
    }

    #[test]
    fn any_count_of_turns_works() {
        let s = TeamSettings {
            turn_boundaries: vec!["8:00".into(), "11:00".into(), "14:00".into()],
            ..Default::default()
        }
        .normalized()
        .unwrap();
        assert_eq!(s.turns(), 2);
        assert_eq!(s.turn_boundaries[0], "08:00");
    }

    #[test]
    fn person_fields_are_checked_and_tidied() {
        let p = PersonFields {
            handle: " Anna ".into(),
            colour: "#AABBCC".into(),
            email: Some(" ".into()),
            groups: vec!["IT".into(), "it".into(), "".into()],
            ..person("x")
        }
        .normalized()
        .unwrap();
        assert_eq!(p.handle, "anna");
        assert_eq!(p.colour, "#aabbcc");
        assert_eq!(p.email, None);
        assert_eq!(p.groups, vec!["it"]);
        assert_eq!(check_colour("ff7700").unwrap(), "#ff7700");
    }

    #[test]
    fn person_fields_refuse_bad_values_naming_the_field() {
        let field = |p: PersonFields| p.normalized().unwrap_err().field;
        assert_eq!(field(person("an na")), "handle");
        assert_eq!(field(person("")), "handle");
        assert_eq!(
            field(PersonFields {
                colour: "#12".into(),
                ..person("a")
            }),
            "colour"
        );
        assert_eq!(
            field(PersonFields {
                colour: "red".into(),
                ..person("a")
            }),
            "colour"
        );
        assert_eq!(
            field(PersonFields {
                email: Some("anna@".into()),
                ..person("a")
            }),
            "email"
        );
        assert_eq!(
            field(PersonFields {
                email: Some("anna.example.org".into()),
                ..person("a")
            }),
            "email"
        );
        assert_eq!(
            field(PersonFields {
                extension: Some("12a".into()),
                ..person("a")
            }),
            "extension"
        );
        assert_eq!(
            field(PersonFields {
                full_name: " ".into(),
                ..person("a")
            }),
            "full_name"
        );
        assert_eq!(
            field(PersonFields {
                ideal_load: Some(101),
                ..person("a")
            }),
            "ideal_load"
        );
        assert_eq!(
            field(PersonFields {
                max_turns_per_day: Some(0),
                ..person("a")
            }),
            "max_turns_per_day"
        );
        assert_eq!(
            field(PersonFields {
                groups: vec!["a b".into()],
                ..person("a")
            }),
            "groups"
        );
    }

    fn entry(kind: AvailabilityKind) -> AvailabilityInput {
        AvailabilityInput {
            kind,
            weekday: Some(0),
            date_from: Some(d("2026-11-23")),
            date_to: Some(d("2026-11-27")),
            turns: None,
            mandatory: true,
            reason: "meeting".into(),
        }
    }

    #[test]
    fn availability_needs_a_reason_and_a_mask_of_the_right_length() {
        let e = AvailabilityInput {
            reason: "  ".into(),
            ..entry(AvailabilityKind::Weekly)
        };
        assert_eq!(e.normalized(4).unwrap_err().field, "reason");
        let e = AvailabilityInput {
            turns: Some(vec![true, false, true]),
            ..entry(AvailabilityKind::Weekly)
        };
        let err = e.normalized(4).unwrap_err();
        assert_eq!(err.field, "turns");
        assert!(err.message.contains("has 3 turns"), "{}", err.message);
        let e = AvailabilityInput {
            turns: Some(vec![false; 4]),
            ..entry(AvailabilityKind::Weekly)
        };
        assert_eq!(e.normalized(4).unwrap_err().field, "turns");
    }

    #[test]
    fn a_full_mask_is_stored_as_all_day_and_a_one_off_ends_where_it_starts() {
        let e = AvailabilityInput {
            turns: Some(vec![true; 4]),
            ..entry(AvailabilityKind::OneOff)
        }
        .normalized(4)
        .unwrap();
        assert_eq!(e.turns, None);
        assert_eq!(e.weekday, None);
        assert_eq!(e.date_to, e.date_from);
    }

    #[test]
    fn leave_is_a_forward_range_of_whole_days_within_sensible_years() {
        let e = AvailabilityInput {
            date_from: Some(d("2026-11-27")),
            date_to: Some(d("2026-11-23")),
            ..entry(AvailabilityKind::Leave)
        };
        assert_eq!(e.normalized(4).unwrap_err().field, "date_to");
        let e = AvailabilityInput {
            date_from: Some(d("1926-11-23")),
            ..entry(AvailabilityKind::Leave)
        };
        assert_eq!(e.normalized(4).unwrap_err().field, "date_from");
        let e = AvailabilityInput {
            turns: Some(vec![true, false, false, false]),
            ..entry(AvailabilityKind::Leave)
        };
        assert_eq!(e.normalized(4).unwrap_err().field, "turns");
        let e = AvailabilityInput {
            date_to: Some(d("2028-01-01")),
            ..entry(AvailabilityKind::Leave)
        };
        assert_eq!(e.normalized(4).unwrap_err().field, "date_to");
        let ok = entry(AvailabilityKind::Leave).normalized(4).unwrap();
        assert_eq!(ok.weekday, None);
    }

    #[test]
    fn entries_cover_their_days() {
        let wd = [0, 1, 2, 3, 4];
        let weekly = AvailabilityInput {
            turns: Some(vec![false, false, true, true]),
            ..entry(AvailabilityKind::Weekly)
        };
        assert_eq!(weekly.on(d("2026-11-23"), 4, &wd), Some(vec![false, false, true, true]));
        assert_eq!(weekly.on(d("2026-11-24"), 4, &wd), None);
        let every = AvailabilityInput {
            weekday: None,
            ..entry(AvailabilityKind::Weekly)
        };
        assert!(every.on(d("2026-11-27"), 4, &wd).is_some());
        assert!(
            every.on(d("2026-11-28"), 4, &wd).is_none(),
            "Saturday is not a working day"
        );
        let leave = entry(AvailabilityKind::Leave);
        assert!(leave.on(d("2026-11-25"), 4, &wd).is_some());
        assert!(leave.on(d("2026-11-28"), 4, &wd).is_none());
    }

    #[test]
    fn week_busy_counts_people_per_turn_and_closes_holidays() {
        let s = TeamSettings::default();
        let monday = d("2026-11-23");
        let holidays = vec![Holiday {
            day: d("2026-11-25"),
            name: "Local feast".into(),
            kind: HolidayKind::Holiday,
        }];
        let entries = vec![
            (
                "anna".to_string(),
                AvailabilityInput {
                    turns: Some(vec![true, true, false, false]),
                    mandatory: false,
                    reason: "rather not".into(),
                    ..entry(AvailabilityKind::Weekly)
                },
            ),
            ("anna".to_string(), entry(AvailabilityKind::Weekly)),
            (
                "bea".to_string(),
                AvailabilityInput {
                    weekday: None,
                    turns: Some(vec![false, false, false, true]),
                    ..entry(AvailabilityKind::Weekly)
                },
            ),
        ];
        let week = week_busy(&s, &holidays, &entries, monday);
        assert_eq!(week.len(), 5);
        let mon = &week[0];
        assert_eq!(mon.turns[0].len(), 1, "anna once, mandatory wins");
        assert!(mon.turns[0][0].mandatory);
        assert_eq!(mon.turns[0][0].reason, "meeting");
        assert_eq!(mon.turns[3].len(), 2);
        assert!(week[2].closed.as_deref().unwrap().contains("Local feast"));
        assert!(week[2].turns.iter().all(Vec::is_empty));
        assert_eq!(week[4].turns[3].len(), 1);
    }

    #[test]
    fn holidays_file_is_read_line_by_line() {
        let (ok, bad) = parse_holidays_file("# festius\n2026-12-25\tNadal\n2026-13-01 Typo\n2026-12-26\n\n");
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].1.name, "Nadal");
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].0, 3);
        assert_eq!(bad[1].0, 4);
    }

    #[test]
    fn fixed_seats_must_fit_the_team() {
        let s = TeamSettings::default();
        let seat = |weekday, turn, line| FixedSeat {
            weekday,
            turn,
            line,
            person: None,
        };
        assert!(seat(0, 3, 7).check(&s).is_ok());
        assert_eq!(seat(5, 0, 0).check(&s).unwrap_err().field, "weekday");
        assert_eq!(seat(0, 4, 0).check(&s).unwrap_err().field, "turn");
        assert_eq!(seat(0, 0, 8).check(&s).unwrap_err().field, "line");
    }

    #[test]
    fn week_start_is_monday() {
        assert_eq!(week_start(d("2026-11-26")), d("2026-11-23"));
        assert_eq!(week_start(d("2026-11-23")), d("2026-11-23"));
    }
}
