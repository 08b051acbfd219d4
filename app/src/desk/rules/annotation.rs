//! Call categories (what a call was about: a claim or information) and annotating a call with
//! them: checked before anything is written. Also the CSV list of categories an admin imports
//! (every row checked; one refused row refuses the file) and a call recorded by hand.
use super::Invalid;
use crate::callouts::rules::phone;
use crate::directory::rules::search::fold;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Categories on one call at most.
pub const MAX_CATEGORIES: usize = 10;
pub const MAX_COMMENT: usize = 2000;
pub const MAX_KEYWORDS: usize = 20;
/// Category rows one import takes at most.
pub const MAX_IMPORT_ROWS: usize = 1000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    /// Something the caller claims (a fault, an invoice they dispute).
    Claim,
    /// A question answered, information given.
    #[default]
    Information,
}

impl CategoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CategoryKind::Claim => "claim",
            CategoryKind::Information => "information",
        }
    }
    pub fn parse(s: &str) -> Option<CategoryKind> {
        match s.trim().to_lowercase().as_str() {
            "claim" | "reclamacio" | "reclamació" => Some(CategoryKind::Claim),
            "information" | "info" | "informacio" | "informació" => Some(CategoryKind::Information),
            _ => None,
        }
    }
}

/// A category as a form (or a CSV row) sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryInput {
    pub code: String,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    /// Separated by commas, semicolons or `|`.
    pub keywords: String,
    pub kind: CategoryKind,
    pub enabled: bool,
}

/// A checked category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryFields {
    /// Upper case letters, digits, `-`, `_`, `.`; 1 to 20.
    pub code: String,
    pub name: String,
    /// `#rrggbb`, lower case.
    pub colour: String,
    pub keywords: Vec<String>,
    pub kind: CategoryKind,
    pub enabled: bool,
}

pub fn check_colour(raw: &str) -> Result<String, Invalid> {
    let c = raw.trim().to_lowercase();
    let c = if c.starts_with('#') { c } else { format!("#{c}") };
    if c.len() == 7 && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(c)
    } else {
        Err(Invalid::new(
            "colour",
            format!("'{}' is not a colour (#rrggbb, e.g. #1f77b4)", raw.trim()),
        ))
    }
}

impl CategoryInput {
    pub fn validate(&self) -> Result<CategoryFields, Vec<Invalid>> {
        let mut errors = Vec::new();
        let code = self.code.trim().to_uppercase();
        if code.is_empty()
            || code.len() > 20
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            errors.push(Invalid::new(
                "code",
                "a code of 1 to 20 letters, digits, '-', '_' or '.' is required",
            ));
        }
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 80 {
            errors.push(Invalid::new("name", "a name of 1 to 80 characters is required"));
        }
        let colour = check_colour(&self.colour)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let mut keywords: Vec<String> = Vec::new();
        for k in self
            .keywords
            .split([',', ';', '|'])
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            if k.chars().count() > 40 {
                errors.push(Invalid::new(
                    "keywords",
                    format!("'{k}': a keyword has at most 40 characters"),
                ));
            } else if !keywords.iter().any(|x| x.to_lowercase() == k.to_lowercase()) {
                keywords.push(k.to_string());
            }
        }
        if keywords.len() > MAX_KEYWORDS {
            errors.push(Invalid::new("keywords", format!("at most {MAX_KEYWORDS} keywords")));
        }
        if errors.is_empty() {
            Ok(CategoryFields {
                code,
                name,
                colour,
                keywords,
                kind: self.kind,
                enabled: self.enabled,
            })
        } else {
            Err(errors)
        }
    }
}

/// Whether a category is one a person typing `typed` is looking for: every typed part is in
/// its name, code or a keyword (accent- and case-insensitive). Nothing typed matches all.
pub fn category_matches(name: &str, code: &str, keywords: &[String], typed: &str) -> bool {
    let hay = fold(&format!("{name} {code} {}", keywords.join(" ")));
    fold(typed).split_whitespace().all(|p| hay.contains(p))
}

/// A refused row of a categories CSV.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefusedRow {
    /// 1-based line in the file.
    pub line: u64,
    pub reason: String,
}

/// The columns of a categories CSV (header required; `keywords`, `kind` and `enabled` may be
/// missing: no keywords, information, enabled).
pub const CSV_COLUMNS: [&str; 6] = ["code", "name", "colour", "keywords", "kind", "enabled"];

fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "1" | "yes" | "true" | "y" | "si" | "sí" => Some(true),
        "0" | "no" | "false" | "n" => Some(false),
        _ => None,
    }
}

/// A categories CSV (comma or semicolon) → its checked rows, or every refused row (then
/// nothing is to be imported). Codes repeated in the file are refused.
pub fn parse_categories_csv(text: &str) -> Result<Vec<CategoryFields>, Vec<RefusedRow>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let refuse = |line: u64, reason: String| vec![RefusedRow { line, reason }];
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(|h| h.trim().to_lowercase()).collect(),
        Some(Err(e)) => return Err(refuse(1, format!("the header cannot be read: {e}"))),
        None => {
            return Err(refuse(
                1,
                "the file is empty: the first line must name the columns".into(),
            ));
        }
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name || (name == "colour" && h == "color"))
    };
    for required in ["code", "name", "colour"] {
        if col(required).is_none() {
            return Err(refuse(
                1,
                format!(
                    "the header has no “{required}” column (columns: {})",
                    CSV_COLUMNS.join(", ")
                ),
            ));
        }
    }
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    let mut codes: Vec<String> = Vec::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                refused.push(RefusedRow {
                    line,
                    reason: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rows.len() + refused.len() >= MAX_IMPORT_ROWS {
            refused.push(RefusedRow {
                line,
                reason: format!("at most {MAX_IMPORT_ROWS} categories in one file"),
            });
            break;
        }
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).unwrap_or("").to_string();
        let kind = match get("kind").trim() {
            "" => Some(CategoryKind::Information),
            k => CategoryKind::parse(k),
        };
        let enabled = yes_no(&get("enabled"));
        let mut reasons = Vec::new();
        if kind.is_none() {
            reasons.push(format!(
                "kind: '{}' is neither claim nor information",
                get("kind").trim()
            ));
        }
        if enabled.is_none() {
            reasons.push(format!("enabled: '{}' is neither yes nor no", get("enabled").trim()));
        }
        let input = CategoryInput {
            code: get("code"),
            name: get("name"),
            colour: get("colour"),
            keywords: get("keywords"),
            kind: kind.unwrap_or_default(),
            enabled: enabled.unwrap_or(true),
        };
        match input.validate() {
            Ok(c) if reasons.is_empty() => {
                if codes.contains(&c.code) {
                    refused.push(RefusedRow {
                        line,
                        reason: format!("the code {} is in the file twice", c.code),
                    });
                } else {
                    codes.push(c.code.clone());
                    rows.push(c);
                }
            }
            Ok(_) => refused.push(RefusedRow {
                line,
                reason: reasons.join("; "),
            }),
            Err(errs) => {
                reasons.extend(errs.into_iter().map(|e| e.to_string()));
                refused.push(RefusedRow {
                    line,
                    reason: reasons.join("; "),
                })
            }
        }
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    if rows.is_empty() {
        return Err(refuse(2, "the file has no categories".into()));
    }
    Ok(rows)
}

/// What an agent writes about a call.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnnotationInput {
    pub categories: Vec<i64>,
    pub comment: String,
    /// The contact the call was about (one of the card's, or found by the search).
    pub contact: Option<i64>,
    /// One of that contact's contracts.
    pub contract: Option<i64>,
}

/// A checked annotation: categories without repeats, the comment trimmed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    pub categories: Vec<i64>,
    pub comment: String,
    pub contact: Option<i64>,
    pub contract: Option<i64>,
}

impl AnnotationInput {
    pub fn validate(&self) -> Result<Annotation, Vec<Invalid>> {
        let mut errors = Vec::new();
        let mut categories: Vec<i64> = Vec::new();
        for c in &self.categories {
            if !categories.contains(c) {
                categories.push(*c);
            }
        }
        if categories.is_empty() {
            errors.push(Invalid::new(
                "categories",
                "choose at least one category: what was the call about?",
            ));
        } else if categories.len() > MAX_CATEGORIES {
            errors.push(Invalid::new(
                "categories",
                format!("at most {MAX_CATEGORIES} categories"),
            ));
        }
        let comment = self.comment.trim().to_string();
        if comment.chars().count() > MAX_COMMENT {
            errors.push(Invalid::new("comment", format!("at most {MAX_COMMENT} characters")));
        }
        if self.contract.is_some() && self.contact.is_none() {
            errors.push(Invalid::new("contract", "a contract needs the contact it belongs to"));
        }
        if errors.is_empty() {
            Ok(Annotation {
                categories,
                comment,
                contact: self.contact,
                contract: self.contract,
            })
        } else {
            Err(errors)
        }
    }
}

/// A call not from the PBX, recorded by hand: the number and when it was (a form's
/// `YYYY-MM-DDTHH:MM` in the team's time zone; empty: now).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ManualCallInput {
    pub phone: String,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualCall {
    pub phone: String,
    pub at: DateTime<Utc>,
}

impl ManualCallInput {
    /// `now` bounds the time: a call cannot be recorded in the future (5 minutes of slack) nor
    /// more than 31 days back.
    pub fn validate(
        &self,
        default_country_code: &str,
        zone: &str,
        now: DateTime<Utc>,
    ) -> Result<ManualCall, Vec<Invalid>> {
        let mut errors = Vec::new();
        let phone = phone::normalize(&self.phone, default_country_code)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let at = match self.at.trim() {
            "" => Some(now),
            t => {
                let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
                let naive = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
                    .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"))
                    .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M"));
                match naive.ok().and_then(|n| tz.from_local_datetime(&n).earliest()) {
                    Some(local) => Some(local.with_timezone(&Utc)),
                    None => {
                        errors.push(Invalid::new(
                            "at",
                            format!("'{t}' is not a date and time (YYYY-MM-DD HH:MM)"),
                        ));
                        None
                    }
                }
            }
        };
        if let Some(at) = at {
            if at > now + chrono::Duration::minutes(5) {
                errors.push(Invalid::new("at", "a call cannot be recorded in the future"));
            } else if at < now - chrono::Duration::days(31) {
                errors.push(Invalid::new("at", "a call more than 31 days ago cannot be recorded"));
            }
        }
        match (errors.is_empty(), at) {
            (true, Some(at)) => Ok(ManualCall { phone, at }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(code: &str, colour: &str) -> CategoryInput {
        CategoryInput {
            code: code.into(),
            name: "Invoice".into(),
            colour: colour.into(),
            keywords: "bill, factura | rebut;bill".into(),
            kind: CategoryKind::Claim,
            enabled: true,
        }
    }

    #[test]
    fn categories_are_checked() {
        let c = cat(" inv-1 ", "1F77B4").validate().unwrap();
        assert_eq!((c.code.as_str(), c.colour.as_str()), ("INV-1", "#1f77b4"));
        assert_eq!(c.keywords, vec!["bill", "factura", "rebut"]);
        let errs = cat("no spaces", "#12345").validate().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["code", "colour"]);
    }

    #[test]
    fn a_category_is_found_by_name_code_or_keyword() {
        let kw = vec!["factura".to_string(), "rebut".to_string()];
        assert!(category_matches("Facturació", "INV", &kw, "facturacio"));
        assert!(category_matches("Invoice", "INV", &kw, "REBUT"));
        assert!(category_matches("Invoice", "INV", &kw, "inv"));
        assert!(category_matches("Invoice", "INV", &kw, ""));
        assert!(!category_matches("Invoice", "INV", &kw, "supply"));
    }

    #[test]
    fn a_csv_imports_whole_or_reports_every_refused_row() {
        let ok = "code;name;colour;keywords;kind;enabled\nINV;Factura;#1f77b4;bill|rebut;claim;yes\nINF;Informació;2ca02c;;information;no\n";
        let rows = parse_categories_csv(ok).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].kind, rows[1].enabled), (CategoryKind::Information, false));
        assert_eq!(rows[0].keywords, vec!["bill", "rebut"]);

        let bad = "code,name,colour,kind\nINV,Factura,#1f77b4,claim\n,No code,#000000,claim\nINV,Again,#000000,claim\nX,Bad kind,#000000,maybe\n";
        let refused = parse_categories_csv(bad).unwrap_err();
        let lines: Vec<u64> = refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(refused[0].reason.contains("code"), "{refused:?}");
        assert!(refused[1].reason.contains("twice"));
        assert!(refused[2].reason.contains("kind"));

        assert_eq!(parse_categories_csv("name,colour\nX,#000000\n").unwrap_err()[0].line, 1);
        assert!(parse_categories_csv("code,name,colour\n").is_err(), "no rows");
    }

    #[test]
    fn an_annotation_needs_a_category() {
        let e = AnnotationInput::default().validate().unwrap_err();
        assert_eq!(e[0].field, "categories");
        assert!(e[0].message.contains("at least one category"));
        let a = AnnotationInput {
            categories: vec![3, 1, 3],
            comment: "  asked about the bill ".into(),
            contact: Some(7),
            contract: Some(9),
        }
        .validate()
        .unwrap();
        assert_eq!((a.categories, a.comment.as_str()), (vec![3, 1], "asked about the bill"));
        let e = AnnotationInput {
            categories: vec![1],
            contract: Some(9),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e[0].field, "contract");
    }

    #[test]
    fn a_manual_call_has_a_number_and_a_time_not_in_the_future() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        let m = ManualCallInput {
            phone: "611 140 001".into(),
            at: "2026-12-03T09:30".into(),
        }
        .validate("34", "Europe/Madrid", now)
        .unwrap();
        assert_eq!(m.phone, "+34611140001");
        assert_eq!(m.at, Utc.with_ymd_and_hms(2026, 12, 3, 8, 30, 0).unwrap());
        let blank = ManualCallInput {
            phone: "611140001".into(),
            at: "".into(),
        };
        assert_eq!(blank.validate("34", "UTC", now).unwrap().at, now);
        let e = ManualCallInput {
            phone: "abc".into(),
            at: "2026-12-04T09:30".into(),
        }
        .validate("34", "UTC", now)
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, vec!["phone", "at"]);
    }
}
