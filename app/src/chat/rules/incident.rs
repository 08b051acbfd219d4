//! Incidents: an agent on duty whose phone is disconnected while they are not paused. Each one
//! gives one alert when it starts and one message when it is over.
use crate::queue::rules::board::MemberState;

/// A member of the queue as the live board shows it, and whether they are on duty now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub interface: String,
    pub name: String,
    pub state: MemberState,
    /// Paused at the PBX (a disconnected phone still carries its pause).
    pub paused: bool,
    pub on_duty: bool,
}

/// Why an incident is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The phone is connected again.
    Reconnected,
    /// The agent was paused (a known absence).
    Paused,
    /// Their turn is over.
    OffDuty,
    /// They are no longer in the queue.
    LeftQueue,
}

/// An open incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    pub interface: String,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// (interface, name)
    pub start: Vec<(String, String)>,
    pub end: Vec<(Open, Ending)>,
}

/// Is this member an incident now?
pub fn is_incident(m: &Seen) -> bool {
    m.on_duty && m.state == MemberState::Disconnected && !m.paused
}

/// Incidents to open and to close, from the open ones and the board. With the PBX not
/// connected the board is stale: nothing changes.
pub fn changes(connected: bool, open: &[Open], seen: &[Seen]) -> Changes {
    let mut c = Changes::default();
    if !connected {
        return c;
    }
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    for m in seen.iter().filter(|m| is_incident(m)) {
        if !open.iter().any(|o| same(&o.interface, &m.interface)) {
            c.start.push((m.interface.clone(), m.name.clone()));
        }
    }
    for o in open {
        let ending = match seen.iter().find(|m| same(&m.interface, &o.interface)) {
            None => Some(Ending::LeftQueue),
            Some(m) if is_incident(m) => None,
            Some(m) if !m.on_duty => Some(Ending::OffDuty),
            Some(m) if m.paused => Some(Ending::Paused),
            Some(_) => Some(Ending::Reconnected),
        };
        if let Some(e) = ending {
            c.end.push((o.clone(), e));
        }
    }
    c
}

/// The alert's text.
pub fn alert_text(name: &str, interface: &str) -> String {
    format!("⚠ {name} ({interface}) is on duty, not paused, and their phone is disconnected.")
}

/// The "over" message's text.
pub fn over_text(name: &str, interface: &str, ending: Ending) -> String {
    let why = match ending {
        Ending::Reconnected => "the phone is connected again",
        Ending::Paused => "now paused",
        Ending::OffDuty => "their turn is over",
        Ending::LeftQueue => "no longer in the queue",
    };
    format!("✔ {name} ({interface}): over, {why}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(i: &str, state: MemberState, paused: bool, on_duty: bool) -> Seen {
        Seen {
            interface: i.into(),
            name: i.trim_start_matches("PJSIP/").into(),
            state,
            paused,
            on_duty,
        }
    }

    fn open(i: &str) -> Open {
        Open {
            interface: i.into(),
            name: i.trim_start_matches("PJSIP/").into(),
        }
    }

    #[test]
    fn a_disconnected_agent_on_duty_not_paused_starts_one_incident() {
        use MemberState::*;
        let board = [
            seen("PJSIP/202", Disconnected, false, true),
            seen("PJSIP/203", Disconnected, true, true),
            seen("PJSIP/204", Disconnected, false, false),
            seen("PJSIP/205", Available, false, true),
        ];
        let c = changes(true, &[], &board);
        assert_eq!(c.start, vec![("PJSIP/202".to_string(), "202".to_string())]);
        assert!(c.end.is_empty());
        // Already open: not again.
        let c = changes(true, &[open("pjsip/202")], &board);
        assert_eq!(c, Changes::default());
        // The PBX is not connected: the board says nothing new.
        assert_eq!(changes(false, &[], &board), Changes::default());
    }

    #[test]
    fn an_incident_ends_when_connected_paused_off_duty_or_gone() {
        use MemberState::*;
        let o = [open("PJSIP/202")];
        let end = |m: Option<Seen>| {
            let board: Vec<Seen> = m.into_iter().collect();
            changes(true, &o, &board)
                .end
                .into_iter()
                .map(|(_, e)| e)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            end(Some(seen("PJSIP/202", Available, false, true))),
            vec![Ending::Reconnected]
        );
        assert_eq!(
            end(Some(seen("PJSIP/202", InCall, false, true))),
            vec![Ending::Reconnected]
        );
        assert_eq!(
            end(Some(seen("PJSIP/202", Disconnected, true, true))),
            vec![Ending::Paused]
        );
        assert_eq!(
            end(Some(seen("PJSIP/202", Disconnected, false, false))),
            vec![Ending::OffDuty]
        );
        assert_eq!(end(None), vec![Ending::LeftQueue]);
        assert_eq!(end(Some(seen("PJSIP/202", Disconnected, false, true))), vec![]);
    }

    #[test]
    fn texts_name_the_agent() {
        assert!(alert_text("Alex", "PJSIP/202").contains("Alex (PJSIP/202)"));
        assert!(over_text("Alex", "PJSIP/202", Ending::Reconnected).contains("connected again"));
    }
}
