//! A directory entry's fields as typed → checked: person or organisation, name, phones (E.164,
//! the callouts' phone rules), emails, tax id, member number, notes; contracts and alerts.
use super::Invalid;
use super::tax_id;
use crate::callouts::rules::phone;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    #[default]
    Person,
    Organisation,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Person => "person",
            ContactKind::Organisation => "organisation",
        }
    }
    pub fn parse(s: &str) -> Option<ContactKind> {
        match s {
            "person" => Some(ContactKind::Person),
            "organisation" => Some(ContactKind::Organisation),
            _ => None,
        }
    }
}

/// What a form sends for a directory entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileInput {
    pub kind: ContactKind,
    pub name: String,
    /// The main number first; more follow.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub tax_id: String,
    pub member_number: String,
    pub notes: String,
}

/// A checked entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub kind: ContactKind,
    pub name: String,
    /// E.164, the main one first, no repeats.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub tax_id: Option<String>,
    pub member_number: Option<String>,
    pub notes: String,
}

pub const MAX_PHONES: usize = 10;
pub const MAX_EMAILS: usize = 10;

/// A plausible email: something@domain.tld, no spaces.
pub fn check_email(raw: &str) -> Result<String, Invalid> {
    let e = raw.trim();
    let ok = e.len() <= 200
        && !e.contains(char::is_whitespace)
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        });
    if ok {
        Ok(e.to_lowercase())
    } else {
        Err(Invalid::new("emails", format!("'{e}' is not an email address")))
    }
}

impl ProfileInput {
    pub fn validate(&self, default_country_code: &str) -> Result<Profile, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push(Invalid::new("name", "a name of 1 to 200 characters is required"));
        }
        let mut phones = Vec::new();
        for raw in self.phones.iter().filter(|p| !p.trim().is_empty()) {
            match phone::normalize(raw, default_country_code) {
                Ok(p) if !phones.contains(&p) => phones.push(p),
                Ok(_) => {}
                Err(e) => errors.push(Invalid::new("phones", e.message)),
            }
        }
        if phones.is_empty() {
            errors.push(Invalid::new("phones", "at least one phone number is required"));
        } else if phones.len() > MAX_PHONES {
            errors.push(Invalid::new("phones", format!("at most {MAX_PHONES} numbers")));
        }
        let mut emails = Vec::new();
        for raw in self.emails.iter().filter(|e| !e.trim().is_empty()) {
            match check_email(raw) {
                Ok(e) if !emails.contains(&e) => emails.push(e),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if emails.len() > MAX_EMAILS {
            errors.push(Invalid::new("emails", format!("at most {MAX_EMAILS} emails")));
        }
        let tax_id = match self.tax_id.trim() {
            "" => None,
            t => tax_id::check(t).map(|(v, _)| v).map_err(|e| errors.push(e)).ok(),
        };
        let member_number = match self.member_number.trim() {
            "" => None,
            m if m.chars().count() <= 30 => Some(m.to_string()),
            _ => {
                errors.push(Invalid::new("member_number", "at most 30 characters"));
                None
            }
        };
        let notes = self.notes.trim().to_string();
        if notes.chars().count() > 4000 {
            errors.push(Invalid::new("notes", "at most 4000 characters"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Profile {
            kind: self.kind,
            name,
            phones,
            emails,
            tax_id,
            member_number,
            notes,
        })
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractState {
    Draft,
    #[default]
    Active,
    Suspended,
    Ended,
}

impl ContractState {
    pub const ALL: [ContractState; 4] = [
        ContractState::Draft,
        ContractState::Active,
        ContractState::Suspended,
        ContractState::Ended,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ContractState::Draft => "draft",
            ContractState::Active => "active",
            ContractState::Suspended => "suspended",
            ContractState::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<ContractState> {
        ContractState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContractInput {
    /// Kept as text (leading zeros, letters).
    pub number: String,
    pub address: String,
    pub state: ContractState,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl ContractInput {
    pub fn validate(&self) -> Result<ContractInput, Vec<Invalid>> {
        let mut errors = Vec::new();
        let number = self.number.trim().to_string();
        if number.is_empty() || number.chars().count() > 40 {
            errors.push(Invalid::new(
                "number",
                "a contract number of 1 to 40 characters is required",
            ));
        }
        let address = self.address.trim().to_string();
        if address.chars().count() > 300 {
            errors.push(Invalid::new("address", "at most 300 characters"));
        }
        if let (Some(a), Some(b)) = (self.starts_on, self.ends_on)
            && b < a
        {
            errors.push(Invalid::new("ends_on", "the end date is before the start date"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ContractInput {
            number,
            address,
            ..self.clone()
        })
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Danger,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Danger, Severity::Warning, Severity::Info];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Danger => "danger",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertInput {
    pub text: String,
    pub severity: Severity,
}

impl AlertInput {
    pub fn validate(&self) -> Result<AlertInput, Invalid> {
        let text = self.text.trim().to_string();
        if text.is_empty() || text.chars().count() > 300 {
            return Err(Invalid::new("text", "an alert of 1 to 300 characters is required"));
        }
        Ok(AlertInput {
            text,
            severity: self.severity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_normalised_and_every_bad_field_named() {
        let p = ProfileInput {
            name: " Maria Puig ".into(),
            phones: vec![
                "612 345 678".into(),
                "+34612345678".into(),
                "".into(),
                "0034 699 000 111".into(),
            ],
            emails: vec!["Maria@Example.org".into()],
            tax_id: "12345678-z".into(),
            ..Default::default()
        }
        .validate("34")
        .unwrap();
        assert_eq!(p.name, "Maria Puig");
        assert_eq!(p.phones, ["+34612345678", "+34699000111"]);
        assert_eq!(p.emails, ["maria@example.org"]);
        assert_eq!(p.tax_id.as_deref(), Some("12345678Z"));
        assert_eq!(p.member_number, None);

        let errs = ProfileInput {
            name: "".into(),
            phones: vec!["abc".into()],
            emails: vec!["no-at-sign".into()],
            tax_id: "12345678A".into(),
            member_number: "x".repeat(31),
            ..Default::default()
        }
        .validate("34")
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "phones", "phones", "emails", "tax_id", "member_number"]
        );
    }

    #[test]
    fn contracts_and_alerts() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let c = ContractInput {
            number: " 0012345 ".into(),
            starts_on: Some(d("2026-01-01")),
            ends_on: Some(d("2025-01-01")),
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err()[0].field, "ends_on");
        let ok = ContractInput { ends_on: None, ..c }.validate().unwrap();
        assert_eq!(ok.number, "0012345", "kept as text, leading zeros included");
        assert_eq!(AlertInput::default().validate().unwrap_err().field, "text");
        assert_eq!(ContractState::parse("suspended"), Some(ContractState::Suspended));
        assert_eq!(Severity::parse("danger"), Some(Severity::Danger));
    }
}
