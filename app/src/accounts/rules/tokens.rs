//! API tokens for machines: what each scope opens.
use super::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The PBX posting call events.
    Pbx,
    /// Outside systems starting and stopping escalations.
    Escalations,
    /// REST clients managing contacts and callouts.
    Callouts,
    /// Prometheus scraping `/metrics`.
    Metrics,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Pbx, Scope::Escalations, Scope::Callouts, Scope::Metrics];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Pbx => "pbx",
            Scope::Escalations => "escalations",
            Scope::Callouts => "callouts",
            Scope::Metrics => "metrics",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        let s = s.trim().to_ascii_lowercase();
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn parse_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Vec<Scope>, Invalid> {
        let mut out = Vec::new();
        for item in items.into_iter().flat_map(|s| s.split(',')).map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let scope = Scope::parse(item).ok_or_else(|| {
                let known: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                Invalid::new(
                    "scopes",
                    format!("unknown scope '{item}' (known: {})", known.join(", ")),
                )
            })?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        if out.is_empty() {
            return Err(Invalid::new("scopes", "give at least one scope"));
        }
        out.sort();
        Ok(out)
    }
}

pub fn check_token_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(Invalid::new("name", "must be 1 to 80 characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_from_lists() {
        assert_eq!(
            Scope::parse_list(["pbx,metrics", "pbx"]).unwrap(),
            vec![Scope::Pbx, Scope::Metrics]
        );
        assert!(Scope::parse_list(["nope"]).unwrap_err().message.contains("nope"));
        assert!(Scope::parse_list([""]).is_err());
    }
}
