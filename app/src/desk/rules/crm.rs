//! The outside CRM's rules, without I/O: the lookup URL from its template, and its JSON answer
//! read into what the card shows (bounded, so a CRM cannot flood a card or a browser).
//!
//! The answer (documented in the README): `{"contacts": [{"id", "kind", "name", "phones",
//! "emails", "tax_id", "member_number", "contracts": [{"number", "address", "state", "starts_on",
//! "ends_on"}], "alerts": [{"text", "severity"}], "notes", "url"}]}`; only `name` is required;
//! unknown keys are ignored.
use crate::desk::{CrmAlert, CrmContract, CrmRecord};
use crate::directory::rules::profile::{ContactKind, Severity};
use chrono::NaiveDate;
use serde::Deserialize;

/// Records a card shows at most (the rest are counted).
pub const MAX_RECORDS: usize = 5;
/// Contracts and alerts per record at most.
pub const MAX_ITEMS: usize = 20;
/// Characters of one text field at most (longer ones are cut, marked with "…").
pub const MAX_TEXT: usize = 300;
/// Bytes of an answer at most (a larger one is unreadable).
pub const MAX_BODY: usize = 256 * 1024;

/// Checks a configured URL template: http(s), and it names `{phone}` or `{query}`.
pub fn check_template(template: &str) -> Result<(), String> {
    let t = template.trim();
    if !(t.starts_with("http://") || t.starts_with("https://")) {
        return Err("the CRM URL must start with http:// or https://".into());
    }
    if !t.contains("{phone}") && !t.contains("{query}") {
        return Err("the CRM URL must contain {phone} or {query} (where the number or the search goes)".into());
    }
    Ok(())
}

/// Percent-encodes everything but RFC 3986's unreserved characters (so `+34…` stays a number).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The URL for a lookup: `{phone}` gets the number (E.164) and `{query}` the text searched (the
/// number, for a ringing call's card), both percent-encoded.
pub fn lookup_url(template: &str, phone: Option<&str>, query: &str) -> String {
    template
        .trim()
        .replace("{phone}", &encode(phone.unwrap_or("")))
        .replace("{query}", &encode(query))
}

fn cut(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= MAX_TEXT {
        return s.to_string();
    }
    let mut t: String = s.chars().take(MAX_TEXT - 1).collect();
    t.push('…');
    t
}

fn text(v: Option<String>) -> Option<String> {
    v.map(|s| cut(&s)).filter(|s| !s.is_empty())
}

fn day(v: Option<String>, what: &str) -> Result<Option<NaiveDate>, String> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("{what} '{}' is not a date (YYYY-MM-DD)", cut(s))),
    }
}

#[derive(Deserialize)]
struct Answer {
    contacts: Vec<RawRecord>,
}

/// Ids may come as numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Text(String),
    Number(i64),
}

#[derive(Deserialize)]
struct RawRecord {
    id: Option<Id>,
    kind: Option<String>,
    name: Option<String>,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    emails: Vec<String>,
    tax_id: Option<String>,
    member_number: Option<String>,
    #[serde(default)]
    contracts: Vec<RawContract>,
    #[serde(default)]
    alerts: Vec<RawAlert>,
    notes: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawContract {
    number: Option<Id>,
    address: Option<String>,
    state: Option<String>,
    starts_on: Option<String>,
    ends_on: Option<String>,
}

#[derive(Deserialize)]
struct RawAlert {
    text: Option<String>,
    severity: Option<String>,
}

/// What the CRM answered, read: its records (at most [`MAX_RECORDS`]) and how many more it had.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    pub records: Vec<CrmRecord>,
    pub more: usize,
}

/// Reads the CRM's answer. An answer that is not the documented JSON is refused with the reason
/// (the card then says the CRM's answer could not be read).
pub fn read_answer(body: &[u8]) -> Result<Read, String> {
    if body.len() > MAX_BODY {
        return Err(format!("the answer is larger than {} KB", MAX_BODY / 1024));
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| format!("not the documented JSON: {e}"))?;
    let total = answer.contacts.len();
    let mut records = Vec::new();
    for (i, r) in answer.contacts.into_iter().take(MAX_RECORDS).enumerate() {
        let n = i + 1;
        let name = text(r.name).ok_or_else(|| format!("contact {n} has no name"))?;
        let kind = match r.kind.as_deref().map(str::trim) {
            None | Some("") | Some("person") => ContactKind::Person,
            Some("organisation") | Some("organization") => ContactKind::Organisation,
            Some(other) => {
                return Err(format!(
                    "contact {n}: kind '{}' is not person or organisation",
                    cut(other)
                ));
            }
        };
        let mut contracts = Vec::new();
        for c in r.contracts.into_iter().take(MAX_ITEMS) {
            let number = match c.number {
                Some(Id::Text(t)) => cut(&t),
                Some(Id::Number(k)) => k.to_string(),
                None => String::new(),
            };
            if number.is_empty() {
                return Err(format!("contact {n} has a contract without a number"));
            }
            contracts.push(CrmContract {
                number,
                address: text(c.address).unwrap_or_default(),
                state: text(c.state).unwrap_or_default(),
                starts_on: day(c.starts_on, "starts_on")?,
                ends_on: day(c.ends_on, "ends_on")?,
            });
        }
        let mut alerts = Vec::new();
        for a in r.alerts.into_iter().take(MAX_ITEMS) {
            let Some(text) = text(a.text) else {
                return Err(format!("contact {n} has an alert without text"));
            };
            // A severity Switchboard does not know is shown as a warning, never hidden.
            let severity = a
                .severity
                .as_deref()
                .map(|s| s.trim().to_ascii_lowercase())
                .and_then(|s| match s.as_str() {
                    "danger" | "critical" | "error" | "debt" | "suspended" => Some(Severity::Danger),
                    other => Severity::parse(other),
                })
                .unwrap_or(Severity::Warning);
            alerts.push(CrmAlert { text, severity });
        }
        // Most severe first, as the directory's alerts (`Severity::ALL` is in that order).
        alerts.sort_by_key(|a| Severity::ALL.iter().position(|s| *s == a.severity));
        // Only web links: a CRM must not put `javascript:` into an agent's page.
        let url = text(r.url).filter(|u| u.starts_with("https://") || u.starts_with("http://"));
        records.push(CrmRecord {
            id: match r.id {
                Some(Id::Text(t)) => cut(&t),
                Some(Id::Number(k)) => k.to_string(),
                None => String::new(),
            },
            kind,
            name,
            phones: r
                .phones
                .iter()
                .filter_map(|p| text(Some(p.clone())))
                .take(MAX_ITEMS)
                .collect(),
            emails: r
                .emails
                .iter()
                .filter_map(|e| text(Some(e.clone())))
                .take(MAX_ITEMS)
                .collect(),
            tax_id: text(r.tax_id),
            member_number: text(r.member_number),
            contracts,
            alerts,
            notes: text(r.notes).unwrap_or_default(),
            url,
        });
    }
    Ok(Read {
        records,
        more: total.saturating_sub(MAX_RECORDS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_must_be_web_and_name_where_the_number_goes() {
        assert!(check_template("https://crm.example/api?phone={phone}").is_ok());
        assert!(check_template("http://crm/find/{query}").is_ok());
        assert!(check_template("ftp://crm/{phone}").unwrap_err().contains("http"));
        assert!(
            check_template("https://crm.example/api")
                .unwrap_err()
                .contains("{phone}")
        );
    }

    #[test]
    fn the_lookup_url_carries_the_number_and_the_query_encoded() {
        assert_eq!(
            lookup_url(
                "https://crm/x?p={phone}&q={query}",
                Some("+34600111222"),
                "+34600111222"
            ),
            "https://crm/x?p=%2B34600111222&q=%2B34600111222"
        );
        assert_eq!(
            lookup_url("https://crm/s/{query}?p={phone}", None, "Núria & co"),
            "https://crm/s/N%C3%BAria%20%26%20co?p="
        );
    }

    #[test]
    fn a_documented_answer_is_read_with_alerts_first_and_unknown_keys_ignored() {
        let body = br#"{"contacts": [{"id": 42, "kind": "organisation", "name": " Cooperativa X ",
            "phones": ["+34600111222"], "emails": ["x@example.org"], "tax_id": "B12345678",
            "contracts": [{"number": 1002, "address": "Carrer Major 1", "state": "active",
                           "starts_on": "2024-01-31", "ends_on": null}],
            "alerts": [{"text": "Prefers Catalan", "severity": "info"},
                       {"text": "Invoice unpaid", "severity": "debt"},
                       {"text": "Odd", "severity": "purple"}],
            "url": "https://crm.example/c/42", "extra": {"anything": true}}], "next": null}"#;
        let read = read_answer(body).unwrap();
        assert_eq!(read.more, 0);
        let r = &read.records[0];
        assert_eq!(r.id, "42");
        assert_eq!(r.kind, ContactKind::Organisation);
        assert_eq!(r.name, "Cooperativa X");
        assert_eq!(r.contracts[0].number, "1002");
        assert_eq!(r.contracts[0].starts_on, NaiveDate::from_ymd_opt(2024, 1, 31));
        let sev: Vec<_> = r.alerts.iter().map(|a| (a.text.as_str(), a.severity)).collect();
        assert_eq!(
            sev,
            [
                ("Invoice unpaid", Severity::Danger),
                ("Odd", Severity::Warning),
                ("Prefers Catalan", Severity::Info)
            ]
        );
        assert_eq!(r.url.as_deref(), Some("https://crm.example/c/42"));
    }

    #[test]
    fn an_empty_answer_is_no_records_not_an_error() {
        assert_eq!(read_answer(br#"{"contacts": []}"#).unwrap().records, vec![]);
    }

    #[test]
    fn answers_that_are_not_the_documented_json_are_refused_with_the_reason() {
        assert!(
            read_answer(b"<html>Bad gateway</html>")
                .unwrap_err()
                .contains("documented JSON")
        );
        assert!(read_answer(br#"{"results": []}"#).unwrap_err().contains("contacts"));
        assert!(
            read_answer(br#"{"contacts": [{"phones": []}]}"#)
                .unwrap_err()
                .contains("no name")
        );
        assert!(
            read_answer(br#"{"contacts": [{"name": "A", "contracts": [{"number": "1", "starts_on": "31/01/2024"}]}]}"#)
                .unwrap_err()
                .contains("starts_on")
        );
        assert!(
            read_answer(br#"{"contacts": [{"name": "A", "kind": "robot"}]}"#)
                .unwrap_err()
                .contains("kind")
        );
        let huge = vec![b' '; MAX_BODY + 1];
        assert!(read_answer(&huge).unwrap_err().contains("larger"));
    }

    #[test]
    fn a_crm_cannot_flood_the_card_nor_inject_a_script_link() {
        let many: Vec<String> = (0..12)
            .map(|i| {
                format!(
                    r#"{{"name": "C{i}", "notes": "{}", "url": "javascript:alert(1)"}}"#,
                    "x".repeat(1000)
                )
            })
            .collect();
        let body = format!(r#"{{"contacts": [{}]}}"#, many.join(","));
        let read = read_answer(body.as_bytes()).unwrap();
        assert_eq!(read.records.len(), MAX_RECORDS);
        assert_eq!(read.more, 12 - MAX_RECORDS);
        assert_eq!(read.records[0].notes.chars().count(), MAX_TEXT);
        assert!(read.records[0].notes.ends_with('…'));
        assert_eq!(read.records[0].url, None);
    }
}
