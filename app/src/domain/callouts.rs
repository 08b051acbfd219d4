//! A callout's status and the events that move it: initialized → running (start), running →
//! paused (pause), paused or stopped → running (resume), running or paused → stopped (stop).
//! Anything else is refused with a message a person can read.
use super::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}
