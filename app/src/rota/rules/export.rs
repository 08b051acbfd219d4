//! Exports of the rota data in open formats, so nothing is locked in: people as CSV (the columns
//! of the people table) and holidays as iCalendar (all-day events any calendar can subscribe to).
use super::data::{Holiday, PersonFields};

pub const PEOPLE_CSV_HEADER: &str =
    "handle,full_name,extension,email,colour,desk,groups,ideal_load,max_turns_per_day,active,account";

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). A leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet does not run it as a formula
/// (an E.164 number such as `+34612345678` is left alone: it is only a number there).
pub(crate) fn csv_field(s: &str) -> String {
    let plain_number = s.len() > 1 && s.starts_with('+') && s[1..].bytes().all(|b| b.is_ascii_digit());
    let s = if s.starts_with(['=', '+', '-', '@']) && !plain_number {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// People as CSV, one row each, `account` being the linked user name.
pub fn people_csv(people: &[(PersonFields, Option<String>)]) -> String {
    let mut out = String::from(PEOPLE_CSV_HEADER);
    out.push_str("\r\n");
    for (p, account) in people {
        let cells = [
            p.handle.clone(),
            p.full_name.clone(),
            p.extension.clone().unwrap_or_default(),
            p.email.clone().unwrap_or_default(),
            p.colour.clone(),
            p.desk.clone().unwrap_or_default(),
            p.groups.join(" "),
            p.ideal_load.map(|l| l.to_string()).unwrap_or_default(),
            p.max_turns_per_day.map(|m| m.to_string()).unwrap_or_default(),
            p.active.to_string(),
            account.clone().unwrap_or_default(),
        ];
        out.push_str(&cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// Text escaped for an iCalendar value (RFC 5545 §3.3.11).
pub(crate) fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character.
pub(crate) fn ics_line(out: &mut String, line: &str) {
    let mut len = 0;
    for c in line.chars() {
        if len + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// Holidays and no-service days as all-day events. `host` makes the UIDs unique to this site;
/// `stamp` is the DTSTAMP (UTC, `YYYYMMDDTHHMMSSZ`).
pub fn holidays_ics(holidays: &[Holiday], host: &str, stamp: &str) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Switchboard//Rota holidays//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Helpline holidays",
    ] {
        ics_line(&mut out, l);
    }
    for h in holidays {
        let day = h.day.format("%Y%m%d");
        let next = (h.day + chrono::Duration::days(1)).format("%Y%m%d");
        ics_line(&mut out, "BEGIN:VEVENT");
        ics_line(&mut out, &format!("UID:holiday-{day}@{host}"));
        ics_line(&mut out, &format!("DTSTAMP:{stamp}"));
        ics_line(&mut out, &format!("DTSTART;VALUE=DATE:{day}"));
        ics_line(&mut out, &format!("DTEND;VALUE=DATE:{next}"));
        ics_line(&mut out, &format!("SUMMARY:{}", ics_text(&h.name)));
        ics_line(&mut out, &format!("CATEGORIES:{}", h.kind.label()));
        ics_line(&mut out, "TRANSP:TRANSPARENT");
        ics_line(&mut out, "END:VEVENT");
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rota::rules::data::HolidayKind;
    use chrono::NaiveDate;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let p = PersonFields {
            handle: "anna".into(),
            full_name: "Puig, Anna \"Ann\"".into(),
            colour: "#abc".into(),
            groups: vec!["it".into(), "sales".into()],
            ideal_load: Some(4),
            active: true,
            desk: Some("=cmd()".into()),
            ..Default::default()
        };
        let csv = people_csv(&[(p, Some("anna".into()))]);
        let row = csv.lines().nth(1).unwrap();
        assert_eq!(
            row,
            "anna,\"Puig, Anna \"\"Ann\"\"\",,,#abc,'=cmd(),it sales,4,,true,anna"
        );
        assert!(csv.starts_with(PEOPLE_CSV_HEADER));
    }

    #[test]
    fn ics_has_one_all_day_event_per_holiday() {
        let h = Holiday {
            day: NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            name: "Nadal; family, food".into(),
            kind: HolidayKind::Holiday,
        };
        let ics = holidays_ics(&[h], "example.org", "20261121T000000Z");
        assert!(ics.contains("DTSTART;VALUE=DATE:20261225\r\n"));
        assert!(ics.contains("DTEND;VALUE=DATE:20261226\r\n"));
        assert!(ics.contains("SUMMARY:Nadal\\; family\\, food\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
        assert!(ics.lines().all(|l| l.len() <= 75));
    }
}
