//! The caller id (`From`) of a callout's calls: a registry of number prefixes → caller id, with a
//! default. The longest matching prefix wins (`+3851` beats `+385`).
use super::Invalid;
use super::phone::is_e164;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerIdRule {
    /// `+` and 1 to 15 digits, e.g. `+385`.
    pub prefix: String,
    /// An E.164 number.
    pub caller_id: String,
}

/// Validated prefix rules, longest prefix first, and the default caller id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerIds {
    default: Option<String>,
    rules: Vec<CallerIdRule>,
}

fn check_caller_id(field: &str, s: &str) -> Result<String, Invalid> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !is_e164(&s) {
        return Err(Invalid::new(
            field,
            format!("caller id '{s}' is not an E.164 number (+ and 8 to 15 digits)"),
        ));
    }
    Ok(s)
}

/// One registry entry as a manager enters it (errors name `prefix` or `caller_id`).
pub fn check_rule(prefix: &str, caller_id: &str) -> Result<CallerIdRule, Invalid> {
    rule(prefix, caller_id, "prefix", "caller_id")
}

fn rule(prefix: &str, id: &str, prefix_field: &str, id_field: &str) -> Result<CallerIdRule, Invalid> {
    let prefix: String = prefix.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = prefix.strip_prefix('+').unwrap_or("");
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0')
    {
        return Err(Invalid::new(
            prefix_field,
            format!("'{prefix}' is not a number prefix (+ and digits, e.g. +385)"),
        ));
    }
    let caller_id = check_caller_id(id_field, id)?;
    Ok(CallerIdRule { prefix, caller_id })
}

impl CallerIds {
    /// Builds the registry: a default (optional if rules are given) and `(prefix, caller id)`
    /// rules. Prefixes are `+` and digits, each at most once; caller ids are E.164 numbers.
    pub fn new(default: Option<&str>, rules: &[(&str, &str)]) -> Result<CallerIds, Invalid> {
        let default = match default.map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => Some(check_caller_id("caller_id", d)?),
            None => None,
        };
        let mut out: Vec<CallerIdRule> = Vec::new();
        for (prefix, id) in rules {
            let rule = rule(prefix, id, "caller_id_prefixes", "caller_id_prefixes")?;
            if out.iter().any(|r| r.prefix == rule.prefix) {
                return Err(Invalid::new(
                    "caller_id_prefixes",
                    format!("prefix {} is given twice", rule.prefix),
                ));
            }
            out.push(rule);
        }
        if default.is_none() && out.is_empty() {
            return Err(Invalid::new("caller_id", "give a caller id"));
        }
        out.sort_by(|a, b| {
            b.prefix
                .len()
                .cmp(&a.prefix.len())
                .then_with(|| a.prefix.cmp(&b.prefix))
        });
        Ok(CallerIds { default, rules: out })
    }

    pub fn default_caller_id(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// The rules, longest prefix first.
    pub fn rules(&self) -> &[CallerIdRule] {
        &self.rules
    }

    /// The caller id for a call to `to` (E.164): the rule with the longest matching prefix, else
    /// the default; `None` if neither applies.
    pub fn for_number(&self, to: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| to.starts_with(&r.prefix))
            .map(|r| r.caller_id.as_str())
            .or(self.default.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let ids = CallerIds::new(
            Some("+34900000000"),
            &[
                ("+385", "+38510000000"),
                ("+3851", "+38511111111"),
                ("+44", "+442000000000"),
            ],
        )
        .unwrap();
        assert_eq!(ids.for_number("+38512345678"), Some("+38511111111"));
        assert_eq!(ids.for_number("+38521234567"), Some("+38510000000"));
        assert_eq!(ids.for_number("+442079460958"), Some("+442000000000"));
        assert_eq!(ids.for_number("+34612345678"), Some("+34900000000"));
        assert_eq!(ids.rules()[0].prefix, "+3851");
        // Without a default, unmatched numbers have no caller id.
        let only = CallerIds::new(None, &[("+385", "+38510000000")]).unwrap();
        assert_eq!(only.for_number("+34612345678"), None);
        assert_eq!(only.default_caller_id(), None);
    }

    #[test]
    fn validation() {
        let field = |d: Option<&str>, r: &[(&str, &str)]| CallerIds::new(d, r).unwrap_err().field;
        assert_eq!(field(None, &[]), "caller_id");
        assert_eq!(field(Some("  "), &[]), "caller_id");
        assert_eq!(field(Some("12345"), &[]), "caller_id");
        assert_eq!(field(Some("+3490000000a"), &[]), "caller_id");
        assert_eq!(
            field(Some("+34900000000"), &[("385", "+38510000000")]),
            "caller_id_prefixes"
        );
        assert_eq!(
            field(Some("+34900000000"), &[("+", "+38510000000")]),
            "caller_id_prefixes"
        );
        assert_eq!(
            field(Some("+34900000000"), &[("+0385", "+38510000000")]),
            "caller_id_prefixes"
        );
        assert_eq!(field(Some("+34900000000"), &[("+385", "nope")]), "caller_id_prefixes");
        assert_eq!(
            field(
                Some("+34900000000"),
                &[("+385", "+38510000000"), ("+ 385", "+38510000001")]
            ),
            "caller_id_prefixes"
        );
        let ok = CallerIds::new(Some(" +34 900 000 000 "), &[]).unwrap();
        assert_eq!(ok.default_caller_id(), Some("+34900000000"));
    }
}
