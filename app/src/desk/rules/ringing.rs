//! A ringing request from the PBX: an extension, the caller's number and the PBX's call id,
//! checked before anything is written. The number is kept in E.164 (the callouts' phone rules:
//! national numbers get the configured country code).
use super::Invalid;
use crate::callouts::rules::phone;
use serde::{Deserialize, Serialize};

/// The longest PBX call id kept (Asterisk's uniqueid is `1700000000.123`).
pub const MAX_CALL_ID: usize = 100;

/// What the PBX sent, as it sent it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RingInput {
    pub ext: Option<String>,
    pub phone: Option<String>,
    pub callid: Option<String>,
}

/// A checked ringing request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ringing {
    /// 2 to 8 digits, as the rota's people carry them.
    pub extension: String,
    /// E.164.
    pub phone: String,
    pub pbx_call_id: Option<String>,
}

/// An extension as the rota keeps it: 2 to 8 digits.
pub fn check_extension(raw: &str) -> Result<String, Invalid> {
    let ext = raw.trim();
    if ext.is_empty() {
        return Err(Invalid::new("ext", "the extension is required"));
    }
    if !(2..=8).contains(&ext.len()) || !ext.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new(
            "ext",
            format!("'{ext}' is not an extension (2 to 8 digits)"),
        ));
    }
    Ok(ext.to_string())
}

/// A dial plan that puts `+34…` unencoded into a query or form sends a space (`+` decodes as
/// one): a number that arrives as a space and then digits had a `+`, not a national number.
fn plus_restored(raw: &str) -> String {
    match raw.strip_prefix(' ') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => format!("+{rest}"),
        _ => raw.to_string(),
    }
}

impl RingInput {
    /// Every field's error at once; the first names the field the answer reports.
    pub fn validate(&self, default_country_code: &str) -> Result<Ringing, Vec<Invalid>> {
        let mut errors = Vec::new();
        let extension = check_extension(self.ext.as_deref().unwrap_or("")).map_err(|e| errors.push(e));
        let phone = phone::normalize(
            &plus_restored(self.phone.as_deref().unwrap_or("")),
            default_country_code,
        )
        .map_err(|e| errors.push(e));
        let call_id = self.callid.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = call_id
            && (c.len() > MAX_CALL_ID || c.chars().any(|ch| ch.is_control()))
        {
            errors.push(Invalid::new(
                "callid",
                format!("the call id must be at most {MAX_CALL_ID} printable characters"),
            ));
        }
        match (extension, phone) {
            (Ok(extension), Ok(phone)) if errors.is_empty() => Ok(Ringing {
                extension,
                phone,
                pbx_call_id: call_id.map(str::to_string),
            }),
            _ => Err(errors),
        }
    }
}

/// What the ringing endpoint answers: what happened to the call (it is recorded in every case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RingOutcome {
    /// The card was sent to the person's signed-in sessions (there may be none).
    Ok,
    /// No person of the rota has this extension: recorded, shown to nobody.
    NoPersonForExtension,
    /// The person with this extension has no account: recorded, shown to nobody.
    PersonHasNoAccount,
}

impl RingOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RingOutcome::Ok => "ok",
            RingOutcome::NoPersonForExtension => "no_person_for_extension",
            RingOutcome::PersonHasNoAccount => "person_has_no_account",
        }
    }

    /// From who the extension belongs to: (a person?, their account?).
    pub fn of(person: Option<i64>, user: Option<i64>) -> RingOutcome {
        match (person, user) {
            (None, _) => RingOutcome::NoPersonForExtension,
            (Some(_), None) => RingOutcome::PersonHasNoAccount,
            (Some(_), Some(_)) => RingOutcome::Ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(ext: &str, phone: &str, callid: Option<&str>) -> RingInput {
        RingInput {
            ext: Some(ext.into()),
            phone: Some(phone.into()),
            callid: callid.map(Into::into),
        }
    }

    #[test]
    fn a_plus_sent_unencoded_is_not_read_as_a_national_number() {
        // `phone=+34610000000` in a query arrives as " 34610000000".
        let r = input("201", " 34610000000", None).validate("34").unwrap();
        assert_eq!(r.phone, "+34610000000");
        let r = input("201", " 44 20 7946 0958", None).validate("34").unwrap();
        assert_eq!(r.phone, "+442079460958");
        // Spaces elsewhere are only spacing.
        let r = input("201", "610 00 00 00", None).validate("34").unwrap();
        assert_eq!(r.phone, "+34610000000");
    }

    #[test]
    fn a_national_number_is_kept_in_e164() {
        let r = input(" 201 ", "612 345 678", Some(" 1700000000.12 "))
            .validate("34")
            .unwrap();
        assert_eq!(r.extension, "201");
        assert_eq!(r.phone, "+34612345678");
        assert_eq!(r.pbx_call_id.as_deref(), Some("1700000000.12"));
        let r = input("201", "0034612345678", None).validate("34").unwrap();
        assert_eq!(r.phone, "+34612345678");
        assert_eq!(r.pbx_call_id, None);
        assert_eq!(
            input("201", "+34612345678", Some("  "))
                .validate("34")
                .unwrap()
                .pbx_call_id,
            None
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let fields =
            |i: RingInput| -> Vec<String> { i.validate("34").unwrap_err().into_iter().map(|e| e.field).collect() };
        assert_eq!(fields(RingInput::default()), ["ext", "phone"]);
        assert_eq!(fields(input("2a1", "612345678", None)), ["ext"]);
        assert_eq!(fields(input("1", "612345678", None)), ["ext"]);
        assert_eq!(fields(input("123456789", "612345678", None)), ["ext"]);
        assert_eq!(fields(input("201", "anonymous", None)), ["phone"]);
        assert_eq!(fields(input("201", "123", None)), ["phone"]);
        let long = "x".repeat(MAX_CALL_ID + 1);
        assert_eq!(fields(input("201", "612345678", Some(&long))), ["callid"]);
        assert_eq!(fields(input("201", "612345678", Some("a\nb"))), ["callid"]);
    }

    #[test]
    fn outcome_follows_who_has_the_extension() {
        assert_eq!(RingOutcome::of(None, None), RingOutcome::NoPersonForExtension);
        assert_eq!(RingOutcome::of(Some(1), None), RingOutcome::PersonHasNoAccount);
        assert_eq!(RingOutcome::of(Some(1), Some(2)), RingOutcome::Ok);
        assert_eq!(RingOutcome::NoPersonForExtension.as_str(), "no_person_for_extension");
        assert_eq!(
            serde_json::to_value(RingOutcome::PersonHasNoAccount).unwrap(),
            serde_json::json!("person_has_no_account")
        );
    }
}
