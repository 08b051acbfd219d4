//! The live queue as the console shows it, kept from the PBX's snapshot and events (no I/O):
//! each member's state and how long they have been in it, calls and talk time today, the
//! callers waiting.
use crate::queue::rules::ami::{DeviceState, Event, QueueSnapshot};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A member's state in the words of the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    Available,
    Ringing,
    InCall,
    Paused,
    Disconnected,
}

impl MemberState {
    /// A disconnected phone is disconnected even when paused; a paused member in a call is in a
    /// call (the pause takes effect after it).
    pub fn of(status: DeviceState, paused: bool) -> MemberState {
        if status.is_disconnected() {
            MemberState::Disconnected
        } else if status.is_ringing() && !status.is_in_call() {
            MemberState::Ringing
        } else if status.is_in_call() {
            MemberState::InCall
        } else if paused {
            MemberState::Paused
        } else {
            MemberState::Available
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberState::Available => "available",
            MemberState::Ringing => "ringing",
            MemberState::InCall => "in a call",
            MemberState::Paused => "paused",
            MemberState::Disconnected => "disconnected",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLive {
    pub interface: String,
    pub name: String,
    pub state: MemberState,
    /// Paused at the PBX, whatever the state shows (a paused member in a call or whose phone
    /// went off-line is still paused).
    pub paused: bool,
    /// Only when paused (may be absent then too).
    pub paused_reason: Option<String>,
    /// Since when the member is in `state`.
    pub since: DateTime<Utc>,
    /// Calls answered and talk seconds on `day` (the board's day, UTC).
    pub calls_today: u32,
    pub talk_secs_today: u32,
    pub last_call_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub uniqueid: String,
    pub number: String,
    pub since: DateTime<Utc>,
}

/// One queue, live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub queue: String,
    pub connected: bool,
    pub day: NaiveDate,
    pub members: BTreeMap<String, MemberLive>,
    /// In queue order.
    pub waiting: Vec<Waiting>,
    pub answered_today: u32,
    pub abandoned_today: u32,
}

impl Board {
    pub fn new(queue: &str, now: DateTime<Utc>) -> Board {
        Board {
            queue: queue.to_string(),
            connected: false,
            day: now.date_naive(),
            members: BTreeMap::new(),
            waiting: Vec::new(),
            answered_today: 0,
            abandoned_today: 0,
        }
    }

    fn roll_day(&mut self, now: DateTime<Utc>) {
        if now.date_naive() != self.day {
            self.day = now.date_naive();
            self.answered_today = 0;
            self.abandoned_today = 0;
            for m in self.members.values_mut() {
                m.calls_today = 0;
                m.talk_secs_today = 0;
            }
        }
    }

    fn set_state(
        &mut self,
        interface: &str,
        state: MemberState,
        paused: bool,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) {
        if let Some(m) = self.members.get_mut(interface) {
            if m.state != state {
                m.state = state;
                m.since = now;
            }
            m.paused = paused;
            m.paused_reason = reason.filter(|_| paused);
        }
    }

    /// The PBX's whole queue (after a connect): members and callers as it says, keeping what
    /// was counted today for members still there.
    pub fn apply_snapshot(&mut self, s: &QueueSnapshot, now: DateTime<Utc>) {
        self.roll_day(now);
        self.connected = true;
        let mut members = BTreeMap::new();
        for m in s.members.iter().filter(|m| m.queue == self.queue) {
            let state = MemberState::of(m.status, m.paused);
            let old = self.members.remove(&m.interface);
            let since = old.as_ref().filter(|o| o.state == state).map_or(now, |o| o.since);
            let last = DateTime::from_timestamp(m.last_call, 0).filter(|_| m.last_call > 0);
            members.insert(
                m.interface.clone(),
                MemberLive {
                    interface: m.interface.clone(),
                    name: m.name.clone(),
                    state,
                    paused: m.paused,
                    paused_reason: m.paused_reason.clone().filter(|_| m.paused),
                    since,
                    calls_today: old.as_ref().map_or(0, |o| o.calls_today),
                    talk_secs_today: old.as_ref().map_or(0, |o| o.talk_secs_today),
                    last_call_at: last.or(old.and_then(|o| o.last_call_at)),
                },
            );
        }
        self.members = members;
        self.waiting = s
            .entries
            .iter()
            .filter(|e| e.queue == self.queue)
            .map(|e| Waiting {
                uniqueid: e.caller.uniqueid.clone(),
                number: e.caller.number.clone(),
                since: now - chrono::Duration::seconds(e.wait_secs as i64),
            })
            .collect();
    }

    /// One event of this queue (others are ignored). True when the board changed.
    pub fn apply(&mut self, e: &Event, now: DateTime<Utc>) -> bool {
        if e.queue() != Some(self.queue.as_str()) {
            return false;
        }
        self.roll_day(now);
        match e {
            Event::QueueMemberAdded(m) => {
                let state = MemberState::of(m.status, m.paused);
                self.members.insert(
                    m.interface.clone(),
                    MemberLive {
                        interface: m.interface.clone(),
                        name: m.name.clone(),
                        state,
                        paused: m.paused,
                        paused_reason: m.paused_reason.clone().filter(|_| m.paused),
                        since: now,
                        calls_today: 0,
                        talk_secs_today: 0,
                        last_call_at: None,
                    },
                );
            }
            Event::QueueMemberRemoved(m) => {
                self.members.remove(&m.interface);
            }
            Event::QueueMemberStatus(m) | Event::QueueMemberPause(m) | Event::QueueMember(m) => {
                if !self.members.contains_key(&m.interface) {
                    return self.apply(&Event::QueueMemberAdded(m.clone()), now);
                }
                let state = MemberState::of(m.status, m.paused);
                self.set_state(&m.interface, state, m.paused, m.paused_reason.clone(), now);
            }
            Event::QueueCallerJoin(j) => {
                if !self.waiting.iter().any(|w| w.uniqueid == j.caller.uniqueid) {
                    self.waiting.push(Waiting {
                        uniqueid: j.caller.uniqueid.clone(),
                        number: j.caller.number.clone(),
                        since: now,
                    });
                }
            }
            Event::QueueCallerLeave(l) => self.waiting.retain(|w| w.uniqueid != l.caller.uniqueid),
            Event::QueueCallerAbandon(a) => {
                self.waiting.retain(|w| w.uniqueid != a.caller.uniqueid);
                self.abandoned_today += 1;
            }
            Event::AgentConnect(a) => {
                self.answered_today += 1;
                if let Some(m) = self.members.get_mut(&a.interface) {
                    m.calls_today += 1;
                    m.last_call_at = Some(now);
                    if m.state != MemberState::InCall {
                        m.state = MemberState::InCall;
                        m.since = now;
                    }
                }
            }
            Event::AgentComplete(a) => {
                if let Some(m) = self.members.get_mut(&a.interface) {
                    m.talk_secs_today += a.talk_time_secs.unwrap_or(0);
                    m.last_call_at = Some(now);
                }
            }
            Event::AgentCalled(_) | Event::AgentRingNoAnswer(_) => return false,
            Event::QueueParams(_) | Event::QueueEntry(_) | Event::QueueStatusComplete | Event::Other { .. } => {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::rules::ami::{AgentCall, CallerChannel, CallerJoin, Member};
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, s).single().expect("time")
    }

    fn member(status: DeviceState, paused: bool) -> Member {
        Member {
            queue: "support".into(),
            interface: "PJSIP/202".into(),
            name: "Alex".into(),
            state_interface: None,
            membership: Some("dynamic".into()),
            status,
            paused,
            paused_reason: paused.then(|| "lunch".to_string()),
            calls_taken: 0,
            last_call: 0,
            in_call: false,
        }
    }

    fn caller(uid: &str) -> CallerChannel {
        CallerChannel {
            channel: "PJSIP/trunk-1".into(),
            number: "+34612345678".into(),
            name: None,
            uniqueid: uid.into(),
            linkedid: None,
        }
    }

    fn agent(talk: Option<u32>) -> AgentCall {
        AgentCall {
            queue: "support".into(),
            interface: "PJSIP/202".into(),
            member_name: "Alex".into(),
            caller: caller("1.1"),
            hold_time_secs: Some(4),
            ring_time_secs: Some(2),
            talk_time_secs: talk,
            reason: None,
        }
    }

    #[test]
    fn states_in_the_consoles_words() {
        assert_eq!(MemberState::of(DeviceState::NotInUse, false), MemberState::Available);
        assert_eq!(MemberState::of(DeviceState::NotInUse, true), MemberState::Paused);
        assert_eq!(MemberState::of(DeviceState::Ringing, false), MemberState::Ringing);
        assert_eq!(MemberState::of(DeviceState::InUse, true), MemberState::InCall);
        assert_eq!(MemberState::of(DeviceState::OnHold, false), MemberState::InCall);
        assert_eq!(
            MemberState::of(DeviceState::Unavailable, true),
            MemberState::Disconnected
        );
        assert_eq!(MemberState::of(DeviceState::Invalid, false), MemberState::Disconnected);
    }

    #[test]
    fn events_move_members_count_calls_and_keep_the_waiting_line() {
        let mut b = Board::new("support", t(9, 0, 0));
        assert!(b.apply(
            &Event::QueueMemberAdded(member(DeviceState::NotInUse, false)),
            t(9, 0, 0)
        ));
        assert!(b.apply(
            &Event::QueueCallerJoin(CallerJoin {
                queue: "support".into(),
                position: 1,
                count: 1,
                caller: caller("1.1"),
            }),
            t(9, 1, 0)
        ));
        assert_eq!(b.waiting.len(), 1);
        b.apply(
            &Event::QueueMemberStatus(member(DeviceState::Ringing, false)),
            t(9, 1, 1),
        );
        assert_eq!(b.members["PJSIP/202"].state, MemberState::Ringing);
        b.apply(&Event::AgentConnect(agent(None)), t(9, 1, 4));
        b.apply(
            &Event::QueueCallerLeave(crate::queue::rules::ami::CallerLeave {
                queue: "support".into(),
                position: 1,
                count: 0,
                caller: caller("1.1"),
            }),
            t(9, 1, 4),
        );
        let m = &b.members["PJSIP/202"];
        assert_eq!((m.state, m.since, m.calls_today), (MemberState::InCall, t(9, 1, 4), 1));
        assert!(b.waiting.is_empty());
        b.apply(&Event::AgentComplete(agent(Some(95))), t(9, 2, 39));
        b.apply(
            &Event::QueueMemberStatus(member(DeviceState::NotInUse, false)),
            t(9, 2, 39),
        );
        let m = &b.members["PJSIP/202"];
        assert_eq!(
            (m.state, m.talk_secs_today, m.since),
            (MemberState::Available, 95, t(9, 2, 39))
        );
        // Another queue's events change nothing.
        let mut other = member(DeviceState::Unavailable, false);
        other.queue = "sales".into();
        assert!(!b.apply(&Event::QueueMemberStatus(other), t(9, 3, 0)));
        assert_eq!(b.members["PJSIP/202"].state, MemberState::Available);
        // A new day starts the counts again.
        b.apply(
            &Event::QueueMemberPause(member(DeviceState::NotInUse, true)),
            t(23, 59, 0) + chrono::Duration::minutes(2),
        );
        let m = &b.members["PJSIP/202"];
        assert_eq!(
            (m.state, m.calls_today, m.paused_reason.as_deref()),
            (MemberState::Paused, 0, Some("lunch"))
        );
    }

    #[test]
    fn a_paused_member_stays_paused_off_line_and_without_a_reason() {
        let mut b = Board::new("support", t(9, 0, 0));
        let mut paused = member(DeviceState::NotInUse, true);
        paused.paused_reason = None;
        b.apply(&Event::QueueMemberAdded(paused.clone()), t(9, 0, 0));
        let m = &b.members["PJSIP/202"];
        assert_eq!(
            (m.state, m.paused, m.paused_reason.as_deref()),
            (MemberState::Paused, true, None)
        );
        // The phone goes off-line while paused: disconnected, and still paused.
        paused.status = DeviceState::Unavailable;
        b.apply(&Event::QueueMemberStatus(paused), t(9, 5, 0));
        let m = &b.members["PJSIP/202"];
        assert_eq!((m.state, m.paused), (MemberState::Disconnected, true));
        // Resumed: not paused, and a stale reason is not kept.
        b.apply(
            &Event::QueueMemberPause(member(DeviceState::NotInUse, false)),
            t(9, 6, 0),
        );
        let m = &b.members["PJSIP/202"];
        assert_eq!(
            (m.state, m.paused, m.paused_reason.as_deref()),
            (MemberState::Available, false, None)
        );
    }

    #[test]
    fn a_snapshot_replaces_the_queue_and_keeps_todays_counts_of_who_stays() {
        let mut b = Board::new("support", t(9, 0, 0));
        b.apply(
            &Event::QueueMemberAdded(member(DeviceState::NotInUse, false)),
            t(9, 0, 0),
        );
        b.apply(&Event::AgentConnect(agent(None)), t(9, 1, 0));
        let mut gone = member(DeviceState::NotInUse, false);
        gone.interface = "PJSIP/203".into();
        b.apply(&Event::QueueMemberAdded(gone), t(9, 0, 0));
        let snapshot = QueueSnapshot {
            params: vec![],
            members: vec![member(DeviceState::Unavailable, false)],
            entries: vec![crate::queue::rules::ami::QueueEntry {
                queue: "support".into(),
                position: 1,
                caller: caller("2.2"),
                wait_secs: 30,
            }],
        };
        b.apply_snapshot(&snapshot, t(9, 5, 0));
        assert!(b.connected);
        assert_eq!(b.members.len(), 1);
        let m = &b.members["PJSIP/202"];
        assert_eq!((m.state, m.calls_today), (MemberState::Disconnected, 1));
        assert_eq!(b.waiting[0].since, t(9, 4, 30));
    }
}
