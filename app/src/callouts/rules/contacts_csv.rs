//! Contacts from a CSV file: the header, what each column means (the column mapping the manager
//! confirms), and each row turned into a contact or a reason it was refused. Runs in the browser
//! (preview, mapping, chunking) and on the server (validation before anything is written), so
//! both agree on every line number and every reason.
use super::Invalid;
use super::settings::{ContactFields, ContactInput};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What one column of the file holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Column {
    Ignore,
    Phone,
    Name,
    /// Tags separated by `;` or `,`.
    Tags,
    /// IANA time zone of the contact (calling hours).
    TimeZone,
    /// A metadata key; the cell is stored as text (empty cells are left out).
    Meta(String),
}

impl Column {
    /// The choice's label in the mapping form, and its value there.
    pub fn key(&self) -> String {
        match self {
            Column::Ignore => "ignore".into(),
            Column::Phone => "phone".into(),
            Column::Name => "name".into(),
            Column::Tags => "tags".into(),
            Column::TimeZone => "time_zone".into(),
            Column::Meta(k) => format!("meta:{k}"),
        }
    }

    pub fn from_key(key: &str) -> Column {
        match key {
            "phone" => Column::Phone,
            "name" => Column::Name,
            "tags" => Column::Tags,
            "time_zone" => Column::TimeZone,
            k => match k.strip_prefix("meta:") {
                Some(m) if !m.trim().is_empty() => Column::Meta(m.trim().to_string()),
                _ => Column::Ignore,
            },
        }
    }
}

/// One entry per header column, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub columns: Vec<Column>,
}

/// The first guess from the header's names: phone-like names hold the number, `name`, `tags`
/// and `time_zone` their fields, everything else becomes metadata under its own name.
pub fn guess(header: &[String]) -> Mapping {
    let mut phone_taken = false;
    let columns = header
        .iter()
        .map(|h| {
            let k = h.trim().to_lowercase().replace([' ', '-'], "_");
            match k.as_str() {
                "phone" | "phone_number" | "number" | "telephone" | "tel" | "mobile" | "msisdn" if !phone_taken => {
                    phone_taken = true;
                    Column::Phone
                }
                "name" | "full_name" => Column::Name,
                "tags" | "tag" => Column::Tags,
                "time_zone" | "timezone" | "tz" => Column::TimeZone,
                "" => Column::Ignore,
                _ => Column::Meta(h.trim().to_string()),
            }
        })
        .collect();
    Mapping { columns }
}

impl Mapping {
    /// A mapping must fit the header, name exactly one phone column, and give every metadata
    /// key once.
    pub fn check(&self, header_len: usize) -> Result<(), Invalid> {
        if self.columns.len() != header_len {
            return Err(Invalid::new(
                "mapping",
                format!(
                    "the file has {header_len} columns but {} are mapped",
                    self.columns.len()
                ),
            ));
        }
        let phones = self.columns.iter().filter(|c| **c == Column::Phone).count();
        if phones == 0 {
            return Err(Invalid::new(
                "mapping",
                "no column holds the phone number: map one column to “Phone”",
            ));
        }
        if phones > 1 {
            return Err(Invalid::new("mapping", "only one column can hold the phone number"));
        }
        for single in [Column::Name, Column::Tags, Column::TimeZone] {
            if self.columns.iter().filter(|c| **c == single).count() > 1 {
                return Err(Invalid::new(
                    "mapping",
                    format!("only one column can be mapped to {}", single.key()),
                ));
            }
        }
        let mut keys: Vec<&str> = Vec::new();
        for c in &self.columns {
            if let Column::Meta(k) = c {
                if keys.contains(&k.as_str()) {
                    return Err(Invalid::new(
                        "mapping",
                        format!("two columns are mapped to the metadata key “{k}”"),
                    ));
                }
                keys.push(k);
            }
        }
        Ok(())
    }
}

/// A parsed file: its header and its data rows with their line numbers (1 = the header).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A refused row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

pub const MAX_COLUMNS: usize = 200;

/// Reads a CSV text (comma, or semicolon when the header has more of those). Rows that cannot
/// be read (a broken quote) and rows with the wrong number of fields are reported, not dropped
/// silently; blank lines are skipped.
pub fn read(text: &str) -> Result<(Table, Vec<RowError>), Invalid> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        return Err(Invalid::new(
            "file",
            format!("line {line} {}", crate::shell::rules::input::NUL_MESSAGE),
        ));
    }
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        None => {
            return Err(Invalid::new(
                "file",
                "the file is empty: the first line must name the columns",
            ));
        }
        Some(Err(e)) => return Err(Invalid::new("file", format!("the header line cannot be read: {e}"))),
        Some(Ok(r)) => r.iter().map(|h| h.trim().to_string()).collect(),
    };
    if header.iter().all(|h| h.is_empty()) {
        return Err(Invalid::new("file", "the first line must name the columns"));
    }
    if header.len() > MAX_COLUMNS {
        return Err(Invalid::new("file", format!("at most {MAX_COLUMNS} columns")));
    }
    for (i, h) in header.iter().enumerate() {
        if !h.is_empty() && header[..i].contains(h) {
            return Err(Invalid::new("file", format!("the header names the column “{h}” twice")));
        }
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    // Line numbers from byte offsets: the reader does not count the blank lines it skips.
    let bytes = text.as_bytes();
    let (mut seen_byte, mut seen_line) = (0usize, 1u64);
    let mut line_at = |byte: u64| {
        // A record's position is where the reader started, before the blank lines it skipped.
        let mut byte = (byte as usize).min(bytes.len());
        while byte < bytes.len() && matches!(bytes[byte], b'\n' | b'\r') {
            byte += 1;
        }
        if byte > seen_byte {
            seen_line += bytes[seen_byte..byte].iter().filter(|b| **b == b'\n').count() as u64;
            seen_byte = byte;
        }
        seen_line
    };
    for rec in records {
        match rec {
            Ok(r) => {
                let line = r.position().map(|p| line_at(p.byte())).unwrap_or(0);
                if r.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                if r.len() != header.len() {
                    errors.push(RowError {
                        line,
                        reason: format!("has {} fields, the header has {}", r.len(), header.len()),
                    });
                    continue;
                }
                rows.push(Row {
                    line,
                    cells: r.iter().map(str::to_string).collect(),
                });
            }
            Err(e) => {
                let line = e.position().map(|p| line_at(p.byte())).unwrap_or(0);
                errors.push(RowError {
                    line,
                    reason: format!("cannot be read: {e}"),
                });
            }
        }
    }
    Ok((Table { header, rows }, errors))
}

/// The contact of one row, or why it is refused (every problem of the row at once).
pub fn contact(mapping: &Mapping, cells: &[String], default_country_code: &str) -> Result<ContactFields, String> {
    if cells.len() != mapping.columns.len() {
        return Err(format!(
            "has {} fields, the header has {}",
            cells.len(),
            mapping.columns.len()
        ));
    }
    let mut input = ContactInput::default();
    let mut meta = Map::new();
    for (col, cell) in mapping.columns.iter().zip(cells) {
        let cell = cell.trim();
        match col {
            Column::Ignore => {}
            Column::Phone => input.phone = Some(cell.to_string()),
            Column::Name => input.name = Some(cell.to_string()),
            Column::Tags => input.tags = Some(cell.split([';', ',']).map(str::to_string).collect()),
            Column::TimeZone => input.time_zone = Some(cell.to_string()),
            Column::Meta(k) => {
                if !cell.is_empty() {
                    meta.insert(k.clone(), Value::from(cell));
                }
            }
        }
    }
    input.metadata = Some(Value::Object(meta));
    input.validate(default_country_code).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Valid contacts of `rows` (in order; repeats are merged later by the database write) and the
/// refused rows with their reasons.
pub fn contacts(mapping: &Mapping, rows: &[Row], default_country_code: &str) -> (Vec<ContactFields>, Vec<RowError>) {
    let mut ok = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for r in rows {
        match contact(mapping, &r.cells, default_country_code) {
            Ok(c) => ok.push(c),
            Err(reason) => errors.push(RowError { line: r.line, reason }),
        }
    }
    (ok, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn guesses_the_usual_header() {
        let m = guess(&strings(&["Name", "Phone Number", "Tags", "Branch", "tz", ""]));
        assert_eq!(
            m.columns,
            vec![
                Column::Name,
                Column::Phone,
                Column::Tags,
                Column::Meta("Branch".into()),
                Column::TimeZone,
                Column::Ignore
            ]
        );
        assert!(m.check(6).is_ok());
        for c in &m.columns {
            assert_eq!(Column::from_key(&c.key()), *c);
        }
    }

    #[test]
    fn a_header_without_a_phone_column_is_refused_with_the_fix() {
        let m = guess(&strings(&["name", "email"]));
        let e = m.check(2).unwrap_err();
        assert!(e.message.contains("Phone"), "{}", e.message);
        let mut two = guess(&strings(&["phone", "mobile"]));
        two.columns[1] = Column::Phone;
        assert!(two.check(2).unwrap_err().message.contains("only one"));
        let dup = Mapping {
            columns: vec![Column::Phone, Column::Meta("a".into()), Column::Meta("a".into())],
        };
        assert!(dup.check(3).unwrap_err().message.contains("“a”"));
        assert!(guess(&strings(&["phone"])).check(2).is_err());
    }

    #[test]
    fn reads_rows_with_their_lines_and_reports_the_broken_ones() {
        let text =
            "\u{feff}phone,name,city\n612345678,Ana,Girona\n\n+34 612 000 111,\"Pere, Jr\",Vic\n699,Too,many,fields\n";
        let (t, errors) = read(text).unwrap();
        assert_eq!(t.header, strings(&["phone", "name", "city"]));
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 4);
        assert_eq!(t.rows[1].cells[1], "Pere, Jr");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 5);
        assert!(errors[0].reason.contains("4 fields"));
    }

    #[test]
    fn semicolon_files_and_bad_headers() {
        let (t, _) = read("phone;name\n612345678;Ana\n").unwrap();
        assert_eq!(t.rows[0].cells, strings(&["612345678", "Ana"]));
        assert!(read("").is_err());
        assert!(read(",,\n1,2,3\n").is_err());
        assert!(read("phone,phone\n1,2\n").unwrap_err().message.contains("twice"));
    }

    #[test]
    fn a_file_with_a_nul_character_is_refused_with_its_line() {
        let e = read("phone,name\n612345678,Ana\n612000111,P\u{0}au\n").unwrap_err();
        assert_eq!(e.field, "file");
        assert!(e.message.starts_with("line 3 contains a NUL"), "{}", e.message);
    }

    #[test]
    fn rows_become_contacts_or_reasons() {
        let (t, _) = read("phone,name,tags,tz,plan\n612345678,Ana,vip; north,Europe/Madrid,gold\n12,Bad,,,\n+34612000111,Pau,,Mars/Base,\n").unwrap();
        let m = guess(&t.header);
        let (ok, errors) = contacts(&m, &t.rows, "34");
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].phone, "+34612345678");
        assert_eq!(ok[0].tags, strings(&["vip", "north"]));
        assert_eq!(ok[0].time_zone.as_deref(), Some("Europe/Madrid"));
        assert_eq!(ok[0].metadata.get("plan"), Some(&Value::from("gold")));
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].reason.starts_with("phone:"), "{}", errors[0].reason);
        assert_eq!(errors[1].line, 4);
        assert!(errors[1].reason.contains("time_zone"), "{}", errors[1].reason);
    }
}
