//! What a manager (or the REST API) sends to create or change contacts and callouts, and the
//! validated settings the database and the dialer use. Every problem names its field; all the
//! problems of one input are reported at once.
use super::Invalid;
use super::calls::{CallStatus, RetryPolicy};
use super::pacing::{CallingHours, PacingSettings, RawPacing, parse_time_zone};
use super::phone;
use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A contact as given (every field optional: a partial update leaves the others alone).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ContactInput {
    /// E.164, or a national number (the configured default country code is added).
    #[cfg_attr(feature = "ssr", schema(example = "+34600000001"))]
    pub phone: Option<String>,
    pub name: Option<String>,
    /// A JSON object of anything (populate filters match on it).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
    pub tags: Option<Vec<String>>,
    /// IANA time zone for calling hours (empty: the callout's or team's).
    #[cfg_attr(feature = "ssr", schema(example = "Europe/Madrid"))]
    pub time_zone: Option<String>,
}

/// A valid contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactFields {
    /// E.164.
    pub phone: String,
    pub name: String,
    pub metadata: Map<String, Value>,
    pub tags: Vec<String>,
    pub time_zone: Option<String>,
}

pub const MAX_NAME: usize = 200;
pub const MAX_TAG: usize = 50;
pub const MAX_TAGS: usize = 50;

/// Trims, drops empty and repeated tags; refuses over-long ones.
pub fn tags(raw: &[String]) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for t in raw.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if t.chars().count() > MAX_TAG {
            return Err(Invalid::new(
                "tags",
                format!("'{t}' is longer than {MAX_TAG} characters"),
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(Invalid::new("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

impl ContactInput {
    /// Validates a new contact; national numbers get `default_country_code`.
    pub fn validate(&self, default_country_code: &str) -> Result<ContactFields, Vec<Invalid>> {
        let mut errors = Vec::new();
        let phone = match phone::normalize(self.phone.as_deref().unwrap_or(""), default_country_code) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let name = self.name.as_deref().unwrap_or("").trim().to_string();
        if name.chars().count() > MAX_NAME {
            errors.push(Invalid::new("name", format!("at most {MAX_NAME} characters")));
        }
        let metadata = match &self.metadata {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                errors.push(Invalid::new("metadata", "must be a JSON object ({\"key\": value, …})"));
                Map::new()
            }
        };
        let tags = tags(self.tags.as_deref().unwrap_or(&[])).unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        let time_zone = match self.time_zone.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
            None => None,
            Some(z) => match parse_time_zone(z) {
                Ok(tz) => Some(tz.name().to_string()),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(ContactFields {
                phone,
                name,
                metadata,
                tags,
                time_zone,
            })
        } else {
            Err(errors)
        }
    }

    /// The input that reproduces `c` (for partial updates: overlay the given fields on it).
    pub fn of(c: &ContactFields) -> ContactInput {
        ContactInput {
            phone: Some(c.phone.clone()),
            name: Some(c.name.clone()),
            metadata: Some(Value::Object(c.metadata.clone())),
            tags: Some(c.tags.clone()),
            time_zone: c.time_zone.clone(),
        }
    }
}

/// Which contacts a callout is populated from: all of them when nothing is set; otherwise those
/// that have every tag in `tags`, whose metadata contains `metadata` (JSON containment) and
/// whose name or number contains `search`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ContactFilter {
    /// Name or number contains.
    pub search: Option<String>,
    /// Has every one of these tags.
    pub tags: Vec<String>,
    /// Metadata contains this JSON object.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
}

impl ContactFilter {
    pub fn check(&self) -> Result<(), Invalid> {
        match &self.metadata {
            None | Some(Value::Null) | Some(Value::Object(_)) => Ok(()),
            Some(_) => Err(Invalid::new("metadata", "must be a JSON object")),
        }
    }
}

/// What the provider plays when a call is answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Script {
    Url { url: String, method: String },
    Twiml(String),
}

/// A callout's validated settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalloutSettings {
    pub name: String,
    pub description: String,
    pub pacing: PacingSettings,
    pub retry: RetryPolicy,
    /// None: any day, any time.
    pub calling_hours: Option<CallingHours>,
    /// None: the team's time zone.
    pub time_zone: Option<String>,
    pub caller_id: Option<String>,
    pub script: Option<Script>,
}

/// A callout as given (all optional; omitted settings take their defaults, or keep their value
/// in a partial update).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct CalloutInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// At most this many new calls per run (empty: no limit).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub max_calls_per_run: Option<i64>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<super::pacing::Strategy>))]
    pub strategy: Option<String>,
    /// The pessimistic strategy places at least this many per run (default 1).
    #[cfg_attr(feature = "ssr", schema(minimum = 0))]
    pub min_calls_per_run: Option<i64>,
    /// At most this many calls per `period_hours` (empty: no limit).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub max_calls_per_period: Option<i64>,
    /// The window of `max_calls_per_period`, in hours (default 24).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub period_hours: Option<i64>,
    /// Calls in flight at once (empty: no limit).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub max_concurrent_calls: Option<i64>,
    /// Calls placed per second (empty: no limit).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub calls_per_second: Option<i64>,
    /// Call statuses after which a participation is called again (not_answered, busy,
    /// failed, errored, canceled, expired).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<CallStatus>>))]
    pub retry_statuses: Option<Vec<String>>,
    /// Calls per participation at most (default 3).
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub max_attempts: Option<i64>,
    /// Minutes before a retry (default 15).
    #[cfg_attr(feature = "ssr", schema(minimum = 0))]
    pub retry_delay_minutes: Option<i64>,
    /// E.g. "mon-fri" or "mon,wed,sat"; empty/absent: any day and time.
    #[cfg_attr(feature = "ssr", schema(example = "mon-fri"))]
    pub calling_days: Option<String>,
    /// "HH:MM".
    #[cfg_attr(feature = "ssr", schema(example = "09:00"))]
    pub calling_hours_start: Option<String>,
    /// "HH:MM".
    #[cfg_attr(feature = "ssr", schema(example = "20:00"))]
    pub calling_hours_end: Option<String>,
    /// IANA time zone of the calling hours (empty: the team's).
    #[cfg_attr(feature = "ssr", schema(example = "Europe/Madrid"))]
    pub time_zone: Option<String>,
    /// E.164; caller-id prefixes win over it.
    pub caller_id: Option<String>,
    /// What the provider fetches when a call is answered (or give `twiml`).
    pub url: Option<String>,
    /// GET or POST (default POST).
    pub method: Option<String>,
    /// What the provider plays when a call is answered (or give `url`).
    pub twiml: Option<String>,
}

/// Days as the settings write them: "mon,tue,fri".
pub fn days_text(days: &[Weekday]) -> String {
    days.iter().map(|d| day_name(*d)).collect::<Vec<_>>().join(",")
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CalloutInput {
    pub fn validate(&self) -> Result<CalloutSettings, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = self.name.as_deref().unwrap_or("").trim().to_string();
        if name.is_empty() {
            errors.push(Invalid::new("name", "a callout needs a name"));
        } else if name.chars().count() > MAX_NAME {
            errors.push(Invalid::new("name", format!("at most {MAX_NAME} characters")));
        }
        let description = self.description.as_deref().unwrap_or("").trim().to_string();
        if description.chars().count() > 5000 {
            errors.push(Invalid::new("description", "at most 5000 characters"));
        }
        let raw = RawPacing {
            max_calls_per_run: self.max_calls_per_run,
            strategy: self.strategy.clone(),
            min_calls_per_run: self.min_calls_per_run,
            max_calls_per_period: self.max_calls_per_period,
            period_hours: self.period_hours,
            max_concurrent_calls: self.max_concurrent_calls,
            calls_per_second: self.calls_per_second,
        };
        let pacing = PacingSettings::new(&raw).unwrap_or_else(|e| {
            errors.push(e);
            PacingSettings::default()
        });
        let defaults = RetryPolicy::default();
        let retry = match &self.retry_statuses {
            None => RetryPolicy::new(
                &[],
                self.max_attempts.unwrap_or(defaults.max_attempts as i64),
                self.retry_delay_minutes.unwrap_or(defaults.delay_minutes as i64),
            )
            .map(|p| RetryPolicy {
                statuses: defaults.statuses.clone(),
                ..p
            }),
            Some(list) => {
                let refs: Vec<&str> = list.iter().map(String::as_str).collect();
                RetryPolicy::new(
                    &refs,
                    self.max_attempts.unwrap_or(defaults.max_attempts as i64),
                    self.retry_delay_minutes.unwrap_or(defaults.delay_minutes as i64),
                )
            }
        }
        .unwrap_or_else(|e| {
            errors.push(e);
            defaults
        });
        let calling_hours = match non_empty(&self.calling_days) {
            None => None,
            Some(days) => CallingHours::parse(
                days,
                non_empty(&self.calling_hours_start).unwrap_or("00:00"),
                non_empty(&self.calling_hours_end).unwrap_or("00:00"),
            )
            .map_err(|e| errors.push(e))
            .ok(),
        };
        let time_zone = match non_empty(&self.time_zone) {
            None => None,
            Some(z) => parse_time_zone(z)
                .map(|tz| tz.name().to_string())
                .map_err(|e| errors.push(e))
                .ok(),
        };
        let caller_id = match non_empty(&self.caller_id) {
            None => None,
            Some(c) => {
                let c: String = c.chars().filter(|c| !c.is_whitespace()).collect();
                if phone::is_e164(&c) {
                    Some(c)
                } else {
                    errors.push(Invalid::new(
                        "caller_id",
                        format!("'{c}' is not an E.164 number (+ and 8 to 15 digits)"),
                    ));
                    None
                }
            }
        };
        let method = non_empty(&self.method).unwrap_or("POST").to_ascii_uppercase();
        if method != "GET" && method != "POST" {
            errors.push(Invalid::new("method", "must be GET or POST"));
        }
        let script = match (non_empty(&self.url), non_empty(&self.twiml)) {
            (Some(_), Some(_)) => {
                errors.push(Invalid::new("twiml", "give either a url or twiml, not both"));
                None
            }
            (Some(u), None) => {
                if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 2000 {
                    errors.push(Invalid::new("url", "must be an http:// or https:// URL"));
                }
                Some(Script::Url {
                    url: u.to_string(),
                    method,
                })
            }
            (None, Some(t)) => {
                if t.len() > 4000 {
                    errors.push(Invalid::new("twiml", "at most 4000 characters"));
                } else if let Some(problem) = crate::shell::rules::xml::document_problem(t, "Response") {
                    errors.push(Invalid::new("twiml", problem));
                }
                Some(Script::Twiml(t.to_string()))
            }
            (None, None) => None,
        };
        if errors.is_empty() {
            Ok(CalloutSettings {
                name,
                description,
                pacing,
                retry,
                calling_hours,
                time_zone,
                caller_id,
                script,
            })
        } else {
            Err(errors)
        }
    }

    /// The input that reproduces `s`.
    pub fn of(s: &CalloutSettings) -> CalloutInput {
        let p = &s.pacing;
        let (url, method, twiml) = match &s.script {
            Some(Script::Url { url, method }) => (Some(url.clone()), Some(method.clone()), None),
            Some(Script::Twiml(t)) => (None, None, Some(t.clone())),
            None => (None, None, None),
        };
        CalloutInput {
            name: Some(s.name.clone()),
            description: Some(s.description.clone()),
            max_calls_per_run: p.max_calls_per_run.map(i64::from),
            strategy: Some(p.strategy.as_str().to_string()),
            min_calls_per_run: Some(p.min_calls_per_run as i64),
            max_calls_per_period: p.max_calls_per_period.map(i64::from),
            period_hours: Some(p.period_hours as i64),
            max_concurrent_calls: p.max_concurrent_calls.map(i64::from),
            calls_per_second: p.calls_per_second.map(i64::from),
            retry_statuses: Some(s.retry.statuses.iter().map(|c| c.as_str().to_string()).collect()),
            max_attempts: Some(s.retry.max_attempts as i64),
            retry_delay_minutes: Some(s.retry.delay_minutes as i64),
            calling_days: s.calling_hours.as_ref().map(|h| days_text(&h.days)),
            calling_hours_start: s.calling_hours.as_ref().map(|h| h.start.format("%H:%M").to_string()),
            calling_hours_end: s.calling_hours.as_ref().map(|h| h.end.format("%H:%M").to_string()),
            time_zone: s.time_zone.clone(),
            caller_id: s.caller_id.clone(),
            url,
            method,
            twiml,
        }
    }
}

/// Days as the database keeps them (0 = Monday).
pub fn day_numbers(days: &[Weekday]) -> Vec<i16> {
    days.iter().map(|d| d.num_days_from_monday() as i16).collect()
}

pub fn days_from_numbers(days: &[i16]) -> Vec<Weekday> {
    days.iter()
        .filter_map(|n| (0..7).contains(n).then(|| Weekday::try_from(*n as u8).ok()).flatten())
        .collect()
}

/// Builds calling hours from stored parts.
pub fn calling_hours_of(
    days: Option<Vec<i16>>,
    start: Option<NaiveTime>,
    end: Option<NaiveTime>,
) -> Option<CallingHours> {
    let days = days_from_numbers(&days?);
    let midnight = NaiveTime::MIN;
    (!days.is_empty()).then(|| CallingHours {
        days,
        start: start.unwrap_or(midnight),
        end: end.unwrap_or(midnight),
    })
}

/// Retry statuses as stored.
pub fn statuses_of(raw: &[String]) -> Vec<CallStatus> {
    raw.iter().filter_map(|s| CallStatus::parse(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_validation_reports_every_field() {
        let bad = ContactInput {
            phone: Some("12ab".into()),
            name: None,
            metadata: Some(serde_json::json!([1, 2])),
            tags: Some(vec!["x".repeat(60)]),
            time_zone: Some("Atlantis/Capital".into()),
        };
        let errs = bad.validate("34").unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["phone", "metadata", "tags", "time_zone"]);
        let ok = ContactInput {
            phone: Some("612 34 56 78".into()),
            name: Some(" Anna ".into()),
            metadata: Some(serde_json::json!({"district": "north"})),
            tags: Some(vec!["a".into(), " a ".into(), "".into(), "b".into()]),
            time_zone: Some(" America/Bogota ".into()),
        }
        .validate("34")
        .unwrap();
        assert_eq!(ok.phone, "+34612345678");
        assert_eq!(ok.name, "Anna");
        assert_eq!(ok.tags, vec!["a", "b"]);
        assert_eq!(ok.time_zone.as_deref(), Some("America/Bogota"));
        assert_eq!(ContactInput::of(&ok).validate("34").unwrap(), ok);
    }

    #[test]
    fn callout_defaults_and_round_trip() {
        let s = CalloutInput {
            name: Some("Reminder".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(s.retry, RetryPolicy::default());
        assert_eq!(s.pacing, PacingSettings::default());
        assert!(s.calling_hours.is_none() && s.script.is_none());
        let full = CalloutInput {
            name: Some("Survey".into()),
            max_calls_per_run: Some(30),
            strategy: Some("pessimistic".into()),
            max_concurrent_calls: Some(5),
            retry_statuses: Some(vec!["busy".into()]),
            max_attempts: Some(2),
            retry_delay_minutes: Some(0),
            calling_days: Some("mon-fri".into()),
            calling_hours_start: Some("09:00".into()),
            calling_hours_end: Some("20:00".into()),
            time_zone: Some("Europe/Madrid".into()),
            caller_id: Some("+34930000000".into()),
            url: Some("http://example.org/twiml".into()),
            ..Default::default()
        };
        let s = full.validate().unwrap();
        assert_eq!(s.calling_hours.as_ref().unwrap().days.len(), 5);
        assert_eq!(CalloutInput::of(&s).validate().unwrap(), s);
    }

    #[test]
    fn callout_validation_names_fields() {
        let errs = CalloutInput {
            name: Some(" ".into()),
            max_calls_per_run: Some(0),
            max_attempts: Some(0),
            calling_days: Some("funday".into()),
            caller_id: Some("123".into()),
            url: Some("ftp://x".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "name",
                "max_calls_per_run",
                "max_attempts",
                "calling_days",
                "caller_id",
                "url"
            ]
        );
    }
}
