//! Tomàtic's busy-line format. Tomàtic, the tool Switchboard replaces, keeps unavailability in
//! text files (`indisponibilitats.conf` weekly, `oneshot.conf` one-off dates,
//! `indisponibilitats-vacances.conf` leave), one entry per line:
//!
//! ```text
//! [+]person [dl|dm|dx|dj|dv|YYYY-MM-DD] [TTTT] # reason
//! ```
//!
//! Parsing them here lets the import, the busy editor and the rota solver agree on what a line
//! means, and lets an import report every bad line at once instead of stopping at the first.
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Weekday codes in Tomàtic's files (Catalan: dilluns..divendres), Monday first.
pub const WEEKDAY_CODES: [&str; 5] = ["dl", "dm", "dx", "dj", "dv"];

/// Dates outside these years are almost certainly typos (a year `202` or `20255`), so they are
/// refused rather than silently never matching a planned week.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// Which days an entry covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum BusyDay {
    /// No day given: Monday to Friday, every week.
    EveryWorkingDay,
    /// One weekday every week, 0 = Monday .. 4 = Friday.
    Weekday(u8),
    /// One calendar date.
    Date(NaiveDate),
}

impl BusyDay {
    /// Whether the entry covers `date`. Weekends are never covered: nobody takes turns then.
    pub fn covers(self, date: NaiveDate) -> bool {
        let weekday = date.weekday().num_days_from_monday();
        match self {
            BusyDay::EveryWorkingDay => weekday < 5,
            BusyDay::Weekday(d) => u32::from(d) == weekday,
            BusyDay::Date(d) => d == date && weekday < 5,
        }
    }

    /// The text used in the files: empty for every working day, a code, or an ISO date.
    pub fn code(self) -> String {
        match self {
            BusyDay::EveryWorkingDay => String::new(),
            BusyDay::Weekday(d) => WEEKDAY_CODES.get(usize::from(d)).copied().unwrap_or("?").to_string(),
            BusyDay::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// One unavailability: `person` is busy in the turns marked `true` on the days of `day`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyEntry {
    pub person: String,
    pub day: BusyDay,
    /// One flag per turn of the team's day; `true` = busy in that turn.
    pub turns: Vec<bool>,
    /// `+` in the file: the person cannot take the turn. Without it the person would rather
    /// not, and the solver may still place them there if nothing else fits.
    pub mandatory: bool,
    pub reason: String,
}

impl BusyEntry {
    /// Busy in every turn of the day.
    pub fn all_day(&self) -> bool {
        self.turns.iter().all(|b| *b)
    }

    /// The entry written back in Tomàtic's format, so an edited list can be exported again.
    pub fn to_line(&self) -> String {
        let mut out = String::new();
        if self.mandatory {
            out.push('+');
        }
        out.push_str(&self.person);
        let day = self.day.code();
        if !day.is_empty() {
            out.push(' ');
            out.push_str(&day);
        }
        out.push(' ');
        out.push_str(&mask_text(&self.turns));
        out.push_str(" # ");
        out.push_str(&self.reason);
        out
    }
}

/// A line that could not be read, with its 1-based number so the person can find it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("line {line}: {message}")]
pub struct BusyLineError {
    pub line: usize,
    pub message: String,
}

impl BusyLineError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

/// One file of the folder: its path relative to the folder, `/`-separated, and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TomaticFile {
    pub name: String,
    pub text: String,
}

/// A line that cannot be imported. `line` is 1-based; `None` when the problem is the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub file: String,
    pub line: Option<usize>,
    pub reason: String,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

/// How many things of one kind an import created, changed and found already as in the files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCount {
    pub what: String,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

/// A line left out on purpose, with the import going on: an entry of a person known neither to
/// `persons.yaml` nor to Switchboard (someone who has left), as Tomàtic itself ignores them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub file: String,
    pub line: Option<usize>,
    /// The handle the line names.
    pub person: String,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: '{}': {}", self.file, l, self.person, self.reason),
            None => write!(f, "{}: '{}': {}", self.file, self.person, self.reason),
        }
    }
}

/// A value taken from a Tomàtic file into a team setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taken {
    pub file: String,
    /// Tomàtic's key, e.g. `nTelefons`.
    pub key: String,
    pub value: String,
    /// What it became in Switchboard, e.g. `phone lines`.
    pub setting: String,
}

/// What an import did, or, when anything was rejected, what it would have done: then nothing
/// was written (`applied` is false) and every rejected line is listed. Skipped lines (`warnings`)
/// do not stop an import.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub applied: bool,
    pub counts: Vec<ImportCount>,
    pub rejected: Vec<Rejected>,
    #[serde(default)]
    pub warnings: Vec<Skipped>,
    #[serde(default)]
    pub taken: Vec<Taken>,
    pub notes: Vec<String>,
}

impl ImportReport {
    /// The count line for `what`, made on first use so the report keeps the order of the work.
    pub fn count(&mut self, what: &str) -> &mut ImportCount {
        if let Some(i) = self.counts.iter().position(|c| c.what == what) {
            return &mut self.counts[i];
        }
        self.counts.push(ImportCount {
            what: what.to_string(),
            ..Default::default()
        });
        self.counts.last_mut().expect("just pushed")
    }

    /// Whether the import changed anything.
    pub fn changed_anything(&self) -> bool {
        self.counts.iter().any(|c| c.created + c.updated > 0)
    }
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.applied {
            writeln!(f, "Imported:")?;
        } else {
            writeln!(
                f,
                "Nothing was imported: {} line(s) were rejected.",
                self.rejected.len()
            )?;
        }
        for c in &self.counts {
            writeln!(
                f,
                "  {:<22} {:>5} created {:>5} updated {:>5} unchanged",
                c.what, c.created, c.updated, c.unchanged
            )?;
        }
        for r in &self.rejected {
            writeln!(f, "  rejected {r}")?;
        }
        for t in &self.taken {
            writeln!(f, "  taken from {}: {} = {} → {}", t.file, t.key, t.value, t.setting)?;
        }
        for w in &self.warnings {
            writeln!(f, "  skipped {w}")?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}

/// Whether a path in the folder is one the import reads.
pub fn is_tomatic_file(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    [
        "config.yaml",
        "persons.yaml",
        "indisponibilitats.conf",
        "oneshot.conf",
        "indisponibilitats-vacances.conf",
        "holidays.conf",
        "forced-turns.yaml",
        "shiftcredit.yaml",
    ]
    .contains(&name)
        || name == "data/forced-turns.yaml"
        || name == "data/shiftcredit.yaml"
        || (base.starts_with("graella-") && base.ends_with(".yaml"))
}

/// `1` for busy turns, `0` for free ones: the file notation.
pub fn mask_text(turns: &[bool]) -> String {
    turns.iter().map(|b| if *b { '1' } else { '0' }).collect()
}

/// Reads one line of a busy file. `line_no` (1-based) only labels errors. Blank lines and lines
/// that start with `#` give `Ok(None)`: they are layout and comments, not mistakes.
pub fn parse_busy_line(line_no: usize, line: &str, turns: usize) -> Result<Option<BusyEntry>, BusyLineError> {
    let err = |message: String| BusyLineError::new(line_no, message);
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    // The reason may itself hold '#': only the first one separates it.
    let (fields, reason) = match trimmed.split_once('#') {
        Some((fields, reason)) => (fields, reason.trim()),
        None => (trimmed, ""),
    };
    if reason.is_empty() {
        return Err(err(
            "a reason after '#' is required (e.g. 'anna dl 0011 # school run')".into()
        ));
    }

    let mut tokens = fields.split_whitespace();
    let first = tokens.next().unwrap_or_default(); // not empty: the line does not start with '#'
    let (mandatory, person) = match first.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, first),
    };
    check_person(person).map_err(err)?;

    let rest: Vec<&str> = tokens.collect();
    let mut day = BusyDay::EveryWorkingDay;
    let mut mask = None;
    for (i, token) in rest.iter().enumerate() {
        match classify(token) {
            Token::Mask if mask.is_none() && i < 2 => mask = Some(parse_mask(token, turns).map_err(err)?),
            Token::Day if i == 0 => day = parse_day(token).map_err(err)?,
            Token::Day if mask.is_some() => {
                return Err(err(format!(
                    "'{token}' comes after the turn mask: write the day first, then the mask"
                )));
            }
            _ => {
                return Err(err(format!(
                    "unexpected '{token}': expected [+]person [day] [turn mask] # reason"
                )));
            }
        }
    }
    let turns = mask.unwrap_or_else(|| vec![true; turns]);
    Ok(Some(BusyEntry {
        person: person.to_string(),
        day,
        turns,
        mandatory,
        reason: reason.to_string(),
    }))
}

/// Reads a whole busy file. Every good line is kept with its 1-based number and every bad line
/// is reported, so one typo does not hide the rest of the file nor the other typos.
pub fn parse_busy_file(text: &str, turns: usize) -> (Vec<(usize, BusyEntry)>, Vec<BusyLineError>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match parse_busy_line(i + 1, line, turns) {
            Ok(Some(entry)) => entries.push((i + 1, entry)),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    (entries, errors)
}

enum Token {
    Day,
    Mask,
}

/// A day is a code (letters) or a date (has a separator); anything else is read as a turn mask,
/// so `01x1` is reported as a bad mask rather than as an unknown day.
fn classify(token: &str) -> Token {
    if token.chars().all(|c| c.is_alphabetic()) || token.contains(['-', '/', '.']) {
        Token::Day
    } else {
        Token::Mask
    }
}

fn check_person(person: &str) -> Result<(), String> {
    if person.is_empty() {
        return Err("the line must start with the person's handle ('+' goes right before it)".into());
    }
    if !person
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.".contains(c))
    {
        return Err(format!(
            "person '{person}' may hold only lowercase letters a-z, digits, '_', '-' and '.'"
        ));
    }
    Ok(())
}

fn parse_day(token: &str) -> Result<BusyDay, String> {
    if let Some(i) = WEEKDAY_CODES.iter().position(|c| *c == token) {
        return Ok(BusyDay::Weekday(i as u8));
    }
    if token.chars().all(|c| c.is_alphabetic()) {
        return Err(format!(
            "unknown day '{token}': use dl, dm, dx, dj, dv (Monday..Friday) or a date YYYY-MM-DD"
        ));
    }
    let bytes = token.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape_ok {
        return Err(format!("'{token}' is not a date: write it as YYYY-MM-DD"));
    }
    let (y, m, d) = (
        token[0..4].parse().unwrap_or(0),
        token[5..7].parse().unwrap_or(0),
        token[8..10].parse().unwrap_or(0),
    );
    if !(FIRST_YEAR..=LAST_YEAR).contains(&y) {
        return Err(format!(
            "date '{token}' is outside the years {FIRST_YEAR} to {LAST_YEAR}"
        ));
    }
    let date = NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| format!("'{token}' is not a real date (check the month and the day)"))?;
    // A weekend date is kept, not refused: Tomàtic accepted it, and it never blocks a turn.
    Ok(BusyDay::Date(date))
}

fn parse_mask(token: &str, turns: usize) -> Result<Vec<bool>, String> {
    if let Some(bad) = token.chars().find(|c| !matches!(c, '0' | '1')) {
        return Err(format!(
            "turn mask '{token}' has '{bad}': use only 1 (busy) and 0 (free), one per turn"
        ));
    }
    let n = token.chars().count();
    if n != turns {
        return Err(format!("turn mask '{token}' has {n} turns, the team has {turns}"));
    }
    Ok(token.chars().map(|c| c == '1').collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Result<Option<BusyEntry>, BusyLineError> {
        parse_busy_line(1, line, 4)
    }

    fn mask(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == '1').collect()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn missing_reason_is_an_error_naming_the_line() {
        for line in ["someone dl 0011", "someone dl 0011 #", "someone dl 0011 #   "] {
            let e = parse_busy_line(3, line, 4).unwrap_err();
            assert_eq!(e.line, 3);
            assert!(
                e.to_string().starts_with("line 3: a reason after '#' is required"),
                "{e}"
            );
        }
    }

    #[test]
    fn mask_of_wrong_length_is_an_error() {
        let e = parse_busy_line(3, "someone dl 111 # r", 4).unwrap_err();
        assert_eq!(e.to_string(), "line 3: turn mask '111' has 3 turns, the team has 4");
        assert!(parse_busy_line(1, "someone 11111 # r", 4).is_err());
    }

    #[test]
    fn mask_without_day_applies_to_every_working_day() {
        let e = one("someone 0101 # r").unwrap().unwrap();
        assert_eq!(
            e,
            BusyEntry {
                person: "someone".into(),
                day: BusyDay::EveryWorkingDay,
                turns: mask("0101"),
                mandatory: false,
                reason: "r".into(),
            }
        );
    }

    #[test]
    fn plus_and_date_make_a_mandatory_one_off() {
        let e = one("+someone 2015-01-02 0101 # r").unwrap().unwrap();
        assert!(e.mandatory);
        assert_eq!(e.person, "someone");
        assert_eq!(e.day, BusyDay::Date(date(2015, 1, 2)));
        assert_eq!(e.turns, mask("0101"));
        assert_eq!(e.reason, "r");
    }

    #[test]
    fn weekday_codes_are_monday_to_friday() {
        for (i, code) in WEEKDAY_CODES.iter().enumerate() {
            let e = one(&format!("anna {code} 1100 # meeting")).unwrap().unwrap();
            assert_eq!(e.day, BusyDay::Weekday(i as u8));
            assert!(!e.mandatory);
        }
    }

    #[test]
    fn default_mask_is_busy_all_day() {
        let e = one("anna dx # doctor").unwrap().unwrap();
        assert_eq!(e.day, BusyDay::Weekday(2));
        assert_eq!(e.turns, vec![true; 4]);
        assert!(e.all_day());
        let e = parse_busy_line(1, "+anna # leave", 3).unwrap().unwrap();
        assert_eq!((e.day, e.turns.len(), e.mandatory), (BusyDay::EveryWorkingDay, 3, true));
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        for line in [
            "",
            "   ",
            "\t",
            "# a comment",
            "   # indented comment",
            "#anna dl 1111 # r",
        ] {
            assert_eq!(one(line).unwrap(), None, "{line:?}");
        }
    }

    #[test]
    fn reason_keeps_further_hashes_and_is_trimmed() {
        let e = one("anna dl 1000 #  call #42 with Bob  ").unwrap().unwrap();
        assert_eq!(e.reason, "call #42 with Bob");
    }

    #[test]
    fn unknown_day_code_is_an_error() {
        let e = one("anna ds 1111 # r").unwrap_err();
        assert!(e.message.contains("unknown day 'ds'"), "{e}");
        assert!(e.message.contains("dl, dm, dx, dj, dv"), "{e}");
        assert!(one("anna DL 1111 # r").is_err());
    }

    #[test]
    fn bad_characters_in_the_mask_are_an_error() {
        let e = one("anna dl 01x1 # r").unwrap_err();
        assert!(e.message.contains("turn mask '01x1' has 'x'"), "{e}");
        assert!(one("anna 0121 # r").unwrap_err().message.contains("'2'"));
    }

    #[test]
    fn dates_must_be_real_and_in_range() {
        assert!(
            one("anna 2015-02-30 # r")
                .unwrap_err()
                .message
                .contains("not a real date")
        );
        assert!(
            one("anna 1999-12-31 # r")
                .unwrap_err()
                .message
                .contains("outside the years")
        );
        assert!(
            one("anna 2101-01-01 # r")
                .unwrap_err()
                .message
                .contains("outside the years")
        );
        assert!(one("anna 2015-1-2 # r").unwrap_err().message.contains("YYYY-MM-DD"));
        assert!(one("anna 2015/01/02 # r").unwrap_err().message.contains("YYYY-MM-DD"));
        assert_eq!(
            one("anna 2024-02-29 # r").unwrap().unwrap().day,
            BusyDay::Date(date(2024, 2, 29))
        );
        assert!(one("anna 2000-01-01 # r").is_ok() && one("anna 2100-12-31 # r").is_ok());
    }

    #[test]
    fn person_handles_are_checked() {
        assert!(one("Anna dl # r").unwrap_err().message.contains("person 'Anna'"));
        assert!(one("+ anna dl # r").unwrap_err().message.contains("handle"));
        assert_eq!(one("a.b_c-1 # r").unwrap().unwrap().person, "a.b_c-1");
    }

    #[test]
    fn misplaced_or_extra_fields_are_errors() {
        assert!(one("anna 1100 dl # r").unwrap_err().message.contains("day first"));
        assert!(
            one("anna dl 1100 0011 # r")
                .unwrap_err()
                .message
                .contains("unexpected '0011'")
        );
        assert!(one("anna dl dm # r").unwrap_err().message.contains("unexpected 'dm'"));
    }

    #[test]
    fn file_reports_every_bad_line_and_keeps_the_good_ones() {
        let text = "\
# weekly busy
anna dl 1100 # school run

+bernat 0011 # studies
carla dz # typo
dani dm 111 # short mask
+eva 2015-01-02 # trip
  # trailing comment
fede dv 0001
";
        let (entries, errors) = parse_busy_file(text, 4);
        let lines: Vec<usize> = entries.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, vec![2, 4, 7]);
        assert_eq!(entries[0].1.person, "anna");
        assert_eq!(entries[1].1.day, BusyDay::EveryWorkingDay);
        assert!(entries[2].1.mandatory);
        let bad: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![5, 6, 9]);
        assert!(errors[1].to_string().starts_with("line 6: turn mask '111' has 3 turns"));
    }

    #[test]
    fn days_cover_dates_and_lines_round_trip() {
        let monday = date(2024, 6, 3);
        let saturday = date(2024, 6, 8);
        assert!(BusyDay::EveryWorkingDay.covers(monday) && !BusyDay::EveryWorkingDay.covers(saturday));
        assert!(BusyDay::Weekday(0).covers(monday) && !BusyDay::Weekday(1).covers(monday));
        assert!(BusyDay::Date(monday).covers(monday) && !BusyDay::Date(monday).covers(date(2024, 6, 4)));
        for line in [
            "+anna dl 1100 # r",
            "bernat 0011 # studies",
            "+eva 2015-01-02 1111 # trip",
        ] {
            let e = one(line).unwrap().unwrap();
            assert_eq!(e.to_line(), line);
        }
    }
}
