//! A callout's status and the events that move it: initialized → running (start), running →
//! paused (pause), paused or stopped → running (resume), running or paused → stopped (stop).
//! Anything else is refused with a message a person can read.
use super::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CalloutStatus {
    Initialized,
    Running,
    Paused,
    Stopped,
}

impl CalloutStatus {
    pub const ALL: [CalloutStatus; 4] = [
        CalloutStatus::Initialized,
        CalloutStatus::Running,
        CalloutStatus::Paused,
        CalloutStatus::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CalloutStatus::Initialized => "initialized",
            CalloutStatus::Running => "running",
            CalloutStatus::Paused => "paused",
            CalloutStatus::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<CalloutStatus> {
        let s = s.trim();
        CalloutStatus::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s))
    }

    /// Only a running callout places calls.
    pub fn places_calls(self) -> bool {
        self == CalloutStatus::Running
    }

    /// The events this status accepts (for the buttons a page shows).
    pub fn allowed_events(self) -> Vec<CalloutEvent> {
        CalloutEvent::ALL
            .into_iter()
            .filter(|e| transition(self, *e).is_ok())
            .collect()
    }
}

impl std::fmt::Display for CalloutStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CalloutEvent {
    Start,
    Pause,
    Resume,
    Stop,
}

impl CalloutEvent {
    pub const ALL: [CalloutEvent; 4] = [
        CalloutEvent::Start,
        CalloutEvent::Pause,
        CalloutEvent::Resume,
        CalloutEvent::Stop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CalloutEvent::Start => "start",
            CalloutEvent::Pause => "pause",
            CalloutEvent::Resume => "resume",
            CalloutEvent::Stop => "stop",
        }
    }

    /// Parses an event name; an unknown one is refused, naming the field `event`.
    pub fn parse(s: &str) -> Result<CalloutEvent, Invalid> {
        let t = s.trim();
        CalloutEvent::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                Invalid::new(
                    "event",
                    format!("unknown event '{t}' (known: start, pause, resume, stop)"),
                )
            })
    }

    fn past_participle(self) -> &'static str {
        match self {
            CalloutEvent::Start => "started",
            CalloutEvent::Pause => "paused",
            CalloutEvent::Resume => "resumed",
            CalloutEvent::Stop => "stopped",
        }
    }
}

impl std::fmt::Display for CalloutEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transition the state machine does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TransitionRefused {
    pub from: CalloutStatus,
    pub event: CalloutEvent,
    /// E.g. "A callout that is initialized cannot be paused".
    pub message: String,
}

impl From<TransitionRefused> for Invalid {
    fn from(e: TransitionRefused) -> Invalid {
        Invalid::new("event", e.message)
    }
}

/// The status a callout in `from` moves to on `event`, or why it cannot.
pub fn transition(from: CalloutStatus, event: CalloutEvent) -> Result<CalloutStatus, TransitionRefused> {
    use CalloutEvent as E;
    use CalloutStatus as S;
    match (from, event) {
        (S::Initialized, E::Start) => Ok(S::Running),
        (S::Running, E::Pause) => Ok(S::Paused),
        (S::Paused | S::Stopped, E::Resume) => Ok(S::Running),
        (S::Running | S::Paused, E::Stop) => Ok(S::Stopped),
        _ => Err(TransitionRefused {
            from,
            event,
            message: format!(
                "A callout that is {} cannot be {}",
                from.as_str(),
                event.past_participle()
            ),
        }),
    }
}

/// Which participations a list shows; every part optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ParticipationFilter {
    /// pending, calling or done.
    pub state: Option<String>,
    pub answered: Option<bool>,
    /// The status of the last call (e.g. busy).
    pub last_call_status: Option<String>,
    /// Name or number contains.
    pub search: Option<String>,
}

pub const PARTICIPATION_STATES: [&str; 3] = ["pending", "calling", "done"];

impl ParticipationFilter {
    /// Empty parts dropped; an unknown state or call status refused.
    pub fn checked(&self) -> Result<ParticipationFilter, Invalid> {
        let norm = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let f = ParticipationFilter {
            state: norm(&self.state),
            answered: self.answered,
            last_call_status: norm(&self.last_call_status),
            search: norm(&self.search),
        };
        if let Some(s) = &f.state
            && !PARTICIPATION_STATES.contains(&s.as_str())
        {
            return Err(Invalid::new("state", "must be pending, calling or done"));
        }
        if let Some(s) = &f.last_call_status
            && super::calls::CallStatus::parse(s).is_none()
        {
            return Err(Invalid::new("last_call_status", format!("'{s}' is not a call status")));
        }
        Ok(f)
    }
}

/// Calls of one 10-minute slot (by when they were sent), by status name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Bucket {
    pub start: chrono::DateTime<chrono::Utc>,
    pub calls: std::collections::BTreeMap<String, i64>,
}

impl Bucket {
    /// Answered among the slot's calls that have ended (`None` while none has).
    pub fn answer_rate(&self) -> Option<f64> {
        let mut ended = 0;
        let mut answered = 0;
        for (status, n) in &self.calls {
            match super::calls::CallStatus::parse(status) {
                Some(s) if s.is_final() => {
                    ended += n;
                    if s.is_answered() {
                        answered += n;
                    }
                }
                _ => {}
            }
        }
        (ended > 0).then(|| answered as f64 / ended as f64)
    }
}

/// The numbers of a callout's page and of the REST statistics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CalloutStats {
    pub participations: i64,
    /// Not done yet (waiting for a first call, a retry, or a call in flight).
    pub remaining: i64,
    pub answered: i64,
    pub calls_in_flight: i64,
    pub calls_total: i64,
    pub calls_by_status: std::collections::BTreeMap<String, i64>,
    /// Participations by number of calls made.
    pub participations_by_attempts: std::collections::BTreeMap<i32, i64>,
    /// Calls per 10 minutes (by when they were sent), by outcome.
    pub calls_per_10_minutes: Vec<Bucket>,
}

impl CalloutStats {
    /// Participations that need no more calls.
    pub fn done(&self) -> i64 {
        self.participations - self.remaining
    }

    /// Answered participations among all, in percent (`None` when there are none).
    pub fn answered_percent(&self) -> Option<f64> {
        (self.participations > 0).then(|| 100.0 * self.answered as f64 / self.participations as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CalloutEvent as E;
    use CalloutStatus as S;

    #[test]
    fn every_status_and_event_pair() {
        let allowed = [
            (S::Initialized, E::Start, S::Running),
            (S::Running, E::Pause, S::Paused),
            (S::Paused, E::Resume, S::Running),
            (S::Stopped, E::Resume, S::Running),
            (S::Running, E::Stop, S::Stopped),
            (S::Paused, E::Stop, S::Stopped),
        ];
        let mut refused = 0;
        for from in S::ALL {
            for event in E::ALL {
                let got = transition(from, event);
                match allowed.iter().find(|(f, e, _)| *f == from && *e == event) {
                    Some((_, _, to)) => assert_eq!(got, Ok(*to), "{from} + {event}"),
                    None => {
                        refused += 1;
                        let err = got.expect_err(&format!("{from} + {event} must be refused"));
                        assert_eq!((err.from, err.event), (from, event));
                        assert!(err.message.starts_with(&format!("A callout that is {from} cannot be ")));
                    }
                }
            }
        }
        assert_eq!(refused, 16 - allowed.len());
    }

    #[test]
    fn refusals_read_well() {
        let msg = |f, e| transition(f, e).unwrap_err().message;
        assert_eq!(
            msg(S::Initialized, E::Pause),
            "A callout that is initialized cannot be paused"
        );
        assert_eq!(
            msg(S::Initialized, E::Resume),
            "A callout that is initialized cannot be resumed"
        );
        assert_eq!(
            msg(S::Initialized, E::Stop),
            "A callout that is initialized cannot be stopped"
        );
        assert_eq!(msg(S::Running, E::Start), "A callout that is running cannot be started");
        assert_eq!(
            msg(S::Running, E::Resume),
            "A callout that is running cannot be resumed"
        );
        assert_eq!(msg(S::Paused, E::Start), "A callout that is paused cannot be started");
        assert_eq!(msg(S::Paused, E::Pause), "A callout that is paused cannot be paused");
        assert_eq!(msg(S::Stopped, E::Start), "A callout that is stopped cannot be started");
        assert_eq!(msg(S::Stopped, E::Pause), "A callout that is stopped cannot be paused");
        assert_eq!(msg(S::Stopped, E::Stop), "A callout that is stopped cannot be stopped");
        let inv: Invalid = transition(S::Stopped, E::Pause).unwrap_err().into();
        assert_eq!(inv.field, "event");
    }

    #[test]
    fn names_and_buttons() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        for e in E::ALL {
            assert_eq!(E::parse(e.as_str()), Ok(e));
        }
        assert_eq!(E::parse(" STOP "), Ok(E::Stop));
        assert_eq!(E::parse("restart").unwrap_err().field, "event");
        assert_eq!(S::Initialized.allowed_events(), vec![E::Start]);
        assert_eq!(S::Running.allowed_events(), vec![E::Pause, E::Stop]);
        assert_eq!(S::Paused.allowed_events(), vec![E::Resume, E::Stop]);
        assert_eq!(S::Stopped.allowed_events(), vec![E::Resume]);
        assert!(S::Running.places_calls() && !S::Paused.places_calls());
    }

    #[test]
    fn answer_rate_counts_only_ended_calls() {
        let b = Bucket {
            start: chrono::DateTime::UNIX_EPOCH,
            calls: [("completed", 3), ("busy", 1), ("in_progress", 5)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        };
        assert_eq!(b.answer_rate(), Some(0.75));
        let none = Bucket {
            start: chrono::DateTime::UNIX_EPOCH,
            calls: [("queued".to_string(), 2)].into_iter().collect(),
        };
        assert_eq!(none.answer_rate(), None);
        let s = CalloutStats {
            participations: 8,
            remaining: 3,
            answered: 2,
            ..Default::default()
        };
        assert_eq!(s.done(), 5);
        assert_eq!(s.answered_percent(), Some(25.0));
        assert_eq!(CalloutStats::default().answered_percent(), None);
    }

    #[test]
    fn participation_filters_are_checked() {
        let f = ParticipationFilter {
            state: Some(" done ".into()),
            last_call_status: Some("".into()),
            ..Default::default()
        };
        assert_eq!(f.checked().unwrap().state.as_deref(), Some("done"));
        assert_eq!(f.checked().unwrap().last_call_status, None);
        let bad = ParticipationFilter {
            state: Some("ringing".into()),
            ..Default::default()
        };
        assert_eq!(bad.checked().unwrap_err().field, "state");
        let bad = ParticipationFilter {
            last_call_status: Some("gone".into()),
            ..Default::default()
        };
        assert_eq!(bad.checked().unwrap_err().field, "last_call_status");
    }
}
