//! Contacts and a callout's participations as CSV. The contacts file reads back through the
//! import (`contacts_csv::guess` maps every column), so a directory can move between sites.
use super::settings::ContactFields;
use crate::rota::rules::export::csv_field;
use serde_json::Value;
use std::collections::BTreeSet;

fn line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `phone,name,tags,time_zone` and one column per metadata key (sorted); tags joined by `;`.
pub fn contacts_csv(contacts: &[ContactFields]) -> String {
    let keys = metadata_columns(contacts.iter().flat_map(|c| c.metadata.keys().cloned()));
    let mut out = contacts_header(&keys);
    for c in contacts {
        contact_line(&mut out, &keys, c);
    }
    out
}

/// The metadata keys that become columns (sorted, once each; not the four fixed names).
pub fn metadata_columns(keys: impl IntoIterator<Item = String>) -> Vec<String> {
    let keys: BTreeSet<String> = keys
        .into_iter()
        .filter(|k| !["phone", "name", "tags", "time_zone"].contains(&k.as_str()))
        .collect();
    keys.into_iter().collect()
}

/// The contacts file's header line, for these metadata columns.
pub fn contacts_header(keys: &[String]) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = ["phone", "name", "tags", "time_zone"].map(String::from).to_vec();
    header.extend(keys.iter().cloned());
    line(&mut out, &header);
    out
}

/// One contact's line of the contacts file (so a long export is written a page at a time).
pub fn contact_line(out: &mut String, keys: &[String], c: &ContactFields) {
    let mut cells = vec![
        c.phone.clone(),
        c.name.clone(),
        c.tags.join(";"),
        c.time_zone.clone().unwrap_or_default(),
    ];
    cells.extend(keys.iter().map(|k| c.metadata.get(k).map(text).unwrap_or_default()));
    line(out, &cells);
}

/// One participation of the export.
pub struct ParticipationRow<'a> {
    pub phone: &'a str,
    pub name: &'a str,
    pub state: &'a str,
    pub done_reason: Option<&'a str>,
    pub attempts: i32,
    pub answered: bool,
    pub last_call_status: Option<&'a str>,
    pub next_attempt_at: String,
}

pub const PARTICIPATIONS_HEADER: [&str; 8] = [
    "phone",
    "name",
    "state",
    "done_reason",
    "attempts",
    "answered",
    "last_call_status",
    "next_attempt_at",
];

pub fn participations_csv(rows: &[ParticipationRow]) -> String {
    let mut out = participations_header();
    for r in rows {
        participation_line(&mut out, r);
    }
    out
}

pub fn participations_header() -> String {
    let mut out = String::new();
    line(&mut out, &PARTICIPATIONS_HEADER.map(String::from));
    out
}

/// One participation's line of the export.
pub fn participation_line(out: &mut String, r: &ParticipationRow) {
    line(
        out,
        &[
            r.phone.to_string(),
            r.name.to_string(),
            r.state.to_string(),
            r.done_reason.unwrap_or_default().to_string(),
            r.attempts.to_string(),
            r.answered.to_string(),
            r.last_call_status.unwrap_or_default().to_string(),
            r.next_attempt_at.clone(),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callouts::rules::contacts_csv;

    #[test]
    fn contacts_export_reads_back_through_the_import() {
        let mut meta = serde_json::Map::new();
        meta.insert("city".into(), Value::from("Girona, Catalonia"));
        meta.insert("plan".into(), Value::from("=SUM(A1)"));
        let c = ContactFields {
            phone: "+34612345678".into(),
            name: "Ana \"Nan\" Puig".into(),
            metadata: meta,
            tags: vec!["vip".into(), "north".into()],
            time_zone: Some("Europe/Madrid".into()),
        };
        let text = contacts_csv(std::slice::from_ref(&c));
        assert!(text.starts_with("phone,name,tags,time_zone,city,plan\r\n"));
        assert!(text.contains("+34612345678,"), "E.164 stays a number: {text}");
        assert!(text.contains("'=SUM(A1)"), "formulas are defused: {text}");
        let (table, errors) = contacts_csv::read(&text).unwrap();
        assert!(errors.is_empty());
        let mapping = contacts_csv::guess(&table.header);
        let (back, errors) = contacts_csv::contacts(&mapping, &table.rows, "34");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back[0].phone, c.phone);
        assert_eq!(back[0].name, c.name);
        assert_eq!(back[0].tags, c.tags);
        assert_eq!(back[0].time_zone, c.time_zone);
        assert_eq!(back[0].metadata.get("city"), c.metadata.get("city"));
    }

    #[test]
    fn participations_export_has_a_row_each() {
        let rows = [ParticipationRow {
            phone: "+34612345678",
            name: "Ana",
            state: "done",
            done_reason: Some("answered"),
            attempts: 2,
            answered: true,
            last_call_status: Some("completed"),
            next_attempt_at: "2026-11-21T10:00:00Z".into(),
        }];
        let text = participations_csv(&rows);
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("+34612345678,Ana,done,answered,2,true,completed,2026-11-21T10:00:00Z"));
    }
}
