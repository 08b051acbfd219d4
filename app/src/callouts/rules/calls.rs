//! Calls (attempts to reach a participation of a callout): their states, how the provider's
//! status callbacks move them, when a call expires, when a call whose callback never came is
//! polled, and when a participation is called again.
//!
//! The state machine is monotonic: a call only ever moves forward
//! (created → queued → remotely queued → in progress → a final state), so status callbacks are
//! idempotent (the same one twice changes nothing) and order-safe (a late `ringing` never
//! overwrites `completed`), and final states are final.
use super::Invalid;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Created by the worker, not yet handed to the provider.
    Created,
    /// Handed to the worker that sends it to the provider.
    Queued,
    /// The provider accepted it and gave it a CallSid.
    RemotelyQueued,
    /// The provider refused it (a 4xx at create time, recorded on the call).
    Errored,
    /// Ringing or answered.
    InProgress,
    /// Answered and ended: the participation counts as answered.
    Completed,
    Busy,
    NotAnswered,
    Failed,
    Canceled,
    /// Still queued at the provider an hour after it was sent.
    Expired,
}

impl CallStatus {
    pub const ALL: [CallStatus; 11] = [
        CallStatus::Created,
        CallStatus::Queued,
        CallStatus::RemotelyQueued,
        CallStatus::Errored,
        CallStatus::InProgress,
        CallStatus::Completed,
        CallStatus::Busy,
        CallStatus::NotAnswered,
        CallStatus::Failed,
        CallStatus::Canceled,
        CallStatus::Expired,
    ];

    /// The states in which a call occupies a line. The SQL counts bind this set.
    pub const IN_FLIGHT: [CallStatus; 4] = [
        CallStatus::Created,
        CallStatus::Queued,
        CallStatus::RemotelyQueued,
        CallStatus::InProgress,
    ];

    /// The states in which the provider has the call and may still report on it (polled when
    /// its callbacks do not come).
    pub const AT_PROVIDER: [CallStatus; 2] = [CallStatus::RemotelyQueued, CallStatus::InProgress];

    /// The states of a call handed to the provider but not yet confirmed by it.
    pub const UNCONFIRMED: [CallStatus; 2] = [CallStatus::Created, CallStatus::Queued];

    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Created => "created",
            CallStatus::Queued => "queued",
            CallStatus::RemotelyQueued => "remotely_queued",
            CallStatus::Errored => "errored",
            CallStatus::InProgress => "in_progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::NotAnswered => "not_answered",
            CallStatus::Failed => "failed",
            CallStatus::Canceled => "canceled",
            CallStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<CallStatus> {
        let s = s.trim();
        CallStatus::ALL.into_iter().find(|x| x.as_str().eq_ignore_ascii_case(s))
    }

    /// A final state: nothing the provider says later changes it.
    pub fn is_final(self) -> bool {
        self.rank() == FINAL_RANK
    }

    /// Created, queued, remotely queued or in progress: the call occupies a line (counted by
    /// the pessimistic strategy and the concurrent-calls limit, and shown as "in flight").
    pub fn is_in_flight(self) -> bool {
        CallStatus::IN_FLIGHT.contains(&self)
    }

    /// The participation counts as answered (and is never called again).
    pub fn is_answered(self) -> bool {
        self == CallStatus::Completed
    }

    fn rank(self) -> u8 {
        match self {
            CallStatus::Created => 0,
            CallStatus::Queued => 1,
            CallStatus::RemotelyQueued => 2,
            CallStatus::InProgress => 3,
            CallStatus::Errored
            | CallStatus::Completed
            | CallStatus::Busy
            | CallStatus::NotAnswered
            | CallStatus::Failed
            | CallStatus::Canceled
            | CallStatus::Expired => FINAL_RANK,
        }
    }
}

const FINAL_RANK: u8 = 4;

impl std::fmt::Display for CallStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call status as the provider (Twilio, Somleng) reports it in `CallStatus` / `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProviderStatus {
    #[serde(rename = "queued")]
    Queued,
    #[serde(rename = "initiated")]
    Initiated,
    #[serde(rename = "ringing")]
    Ringing,
    #[serde(rename = "in-progress")]
    InProgress,
    #[serde(rename = "completed")]
    Completed,
    #[serde(rename = "busy")]
    Busy,
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "no-answer")]
    NoAnswer,
    #[serde(rename = "canceled")]
    Canceled,
}

impl ProviderStatus {
    pub const ALL: [ProviderStatus; 9] = [
        ProviderStatus::Queued,
        ProviderStatus::Initiated,
        ProviderStatus::Ringing,
        ProviderStatus::InProgress,
        ProviderStatus::Completed,
        ProviderStatus::Busy,
        ProviderStatus::Failed,
        ProviderStatus::NoAnswer,
        ProviderStatus::Canceled,
    ];

    /// The wire form (`in-progress`, `no-answer`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderStatus::Queued => "queued",
            ProviderStatus::Initiated => "initiated",
            ProviderStatus::Ringing => "ringing",
            ProviderStatus::InProgress => "in-progress",
            ProviderStatus::Completed => "completed",
            ProviderStatus::Busy => "busy",
            ProviderStatus::Failed => "failed",
            ProviderStatus::NoAnswer => "no-answer",
            ProviderStatus::Canceled => "canceled",
        }
    }

    /// Parses the wire form; `in_progress`/`no_answer` and any case are accepted too.
    pub fn parse(s: &str) -> Option<ProviderStatus> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        ProviderStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The call status this provider status leads to, as Somleng SCFM maps it: `queued` (and
    /// `initiated`) change nothing; `ringing` and `in-progress` → in progress; `busy` → busy;
    /// `failed` → failed; `no-answer` → not answered; `canceled` → canceled; `completed` →
    /// completed (and the participation counts as answered).
    pub fn call_status(self) -> Option<CallStatus> {
        match self {
            ProviderStatus::Queued | ProviderStatus::Initiated => None,
            ProviderStatus::Ringing | ProviderStatus::InProgress => Some(CallStatus::InProgress),
            ProviderStatus::Completed => Some(CallStatus::Completed),
            ProviderStatus::Busy => Some(CallStatus::Busy),
            ProviderStatus::Failed => Some(CallStatus::Failed),
            ProviderStatus::NoAnswer => Some(CallStatus::NotAnswered),
            ProviderStatus::Canceled => Some(CallStatus::Canceled),
        }
    }

    /// The call is over at the provider.
    pub fn is_final(self) -> bool {
        self.call_status().is_some_and(CallStatus::is_final)
    }
}

impl std::fmt::Display for ProviderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a provider status does to a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to write: a repeat, a status that maps to nothing, or news older than what is known.
    NoChange,
    /// Move the call to this state (and, for `completed`, mark the participation answered).
    Transition(CallStatus),
}

/// Applies a provider status to a call in state `current`. Calls only move forward, so the same
/// callback twice changes nothing the second time, a late `ringing` after `completed` is ignored,
/// and a final state is never left.
pub fn apply_provider_status(current: CallStatus, provider_status: ProviderStatus) -> Outcome {
    match provider_status.call_status() {
        Some(next) if !current.is_final() && next.rank() > current.rank() => Outcome::Transition(next),
        _ => Outcome::NoChange,
    }
}

/// A call still queued at the provider this long after it was sent is expired.
pub const EXPIRE_AFTER: TimeDelta = TimeDelta::hours(1);

/// A call at the provider is polled when it has had no news for longer than its state can last
/// (`provider_status` is the last status the provider reported): queued at the provider…
pub const QUIET_QUEUED: TimeDelta = TimeDelta::minutes(2);
/// …ringing (providers give up after about a minute)…
pub const QUIET_RINGING: TimeDelta = TimeDelta::seconds(90);
/// …answered and talking (calls may be long).
pub const QUIET_TALKING: TimeDelta = TimeDelta::minutes(15);

/// How long a call at the provider may go without news (a callback or a poll) before it is
/// polled: as long as its last known provider state can last.
pub fn quiet_limit(provider_status: Option<ProviderStatus>) -> TimeDelta {
    match provider_status {
        None | Some(ProviderStatus::Queued | ProviderStatus::Initiated) => QUIET_QUEUED,
        Some(ProviderStatus::Ringing) => QUIET_RINGING,
        Some(_) => QUIET_TALKING,
    }
}

/// A dialer instance whose heartbeat is older than this is gone: its calls in flight are
/// polled at once and its unconfirmed calls looked up at the provider.
pub const INSTANCE_GONE_AFTER: TimeDelta = TimeDelta::seconds(10);
/// An unconfirmed call whose look-up failed (the provider unreachable) is looked up again after this.
pub const LOOKUP_EVERY: TimeDelta = TimeDelta::seconds(30);
/// Clocks differ: a provider's call created up to this long before our call was sent may be it.
pub const LOOKUP_SLACK: TimeDelta = TimeDelta::seconds(5);

/// A call as the provider's list of calls shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedCall {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub status: ProviderStatus,
    pub duration_secs: Option<u32>,
    /// When the provider created it (`date_created`).
    pub created_at: Option<DateTime<Utc>>,
}

/// Which of the provider's calls (if any) is our call with an unknown outcome, sent at `sent_at`
/// to `to` from `from`: same numbers, created no earlier than `sent_at` (less
/// [`LOOKUP_SLACK`]), not already the call of another of our rows (`known` CallSids); the
/// earliest such call.
pub fn pick_listed<'a>(
    listed: &'a [ListedCall],
    to: &str,
    from: Option<&str>,
    sent_at: DateTime<Utc>,
    known: &[String],
) -> Option<&'a ListedCall> {
    listed
        .iter()
        .filter(|c| c.to == to && from.is_none_or(|f| c.from == f))
        .filter(|c| c.created_at.is_none_or(|t| t >= sent_at - LOOKUP_SLACK))
        .filter(|c| !known.contains(&c.sid))
        .min_by_key(|c| (c.created_at, c.sid.clone()))
}

/// A callout's retry settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// The final states after which a participation is called again.
    pub statuses: Vec<CallStatus>,
    /// Calls per participation, the first one included.
    pub max_attempts: u32,
    /// Time between the end of one attempt and the next.
    pub delay_minutes: u32,
}

/// Final states that may be retried (everything final but `completed`, which is answered).
pub const RETRIABLE: [CallStatus; 6] = [
    CallStatus::NotAnswered,
    CallStatus::Busy,
    CallStatus::Failed,
    CallStatus::Errored,
    CallStatus::Canceled,
    CallStatus::Expired,
];

/// At most this many attempts per participation may be configured.
pub const MAX_ATTEMPTS_CAP: u32 = 20;
/// At most a week between attempts.
pub const MAX_DELAY_MINUTES: u32 = 7 * 24 * 60;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            statuses: vec![
                CallStatus::NotAnswered,
                CallStatus::Busy,
                CallStatus::Failed,
                CallStatus::Errored,
            ],
            max_attempts: 3,
            delay_minutes: 15,
        }
    }
}

impl RetryPolicy {
    /// Builds a policy from raw input (a form or the API), naming the field that is wrong.
    pub fn new(statuses: &[&str], max_attempts: i64, delay_minutes: i64) -> Result<RetryPolicy, Invalid> {
        let mut parsed = Vec::new();
        for s in statuses
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let status = CallStatus::parse(s)
                .filter(|st| RETRIABLE.contains(st))
                .ok_or_else(|| {
                    let known: Vec<_> = RETRIABLE.iter().map(|s| s.as_str()).collect();
                    Invalid::new(
                        "retry_statuses",
                        format!("'{s}' cannot be retried (choose from: {})", known.join(", ")),
                    )
                })?;
            if !parsed.contains(&status) {
                parsed.push(status);
            }
        }
        if !(1..=MAX_ATTEMPTS_CAP as i64).contains(&max_attempts) {
            return Err(Invalid::new(
                "max_attempts",
                format!("must be between 1 and {MAX_ATTEMPTS_CAP}"),
            ));
        }
        if !(0..=MAX_DELAY_MINUTES as i64).contains(&delay_minutes) {
            return Err(Invalid::new(
                "retry_delay_minutes",
                format!("must be between 0 and {MAX_DELAY_MINUTES} minutes"),
            ));
        }
        Ok(RetryPolicy {
            statuses: parsed,
            max_attempts: max_attempts as u32,
            delay_minutes: delay_minutes as u32,
        })
    }

    pub fn delay(&self) -> TimeDelta {
        TimeDelta::minutes(self.delay_minutes as i64)
    }
}

/// Whether and when a participation is called again after its latest call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Place another call at (or after) this time.
    RetryAt(DateTime<Utc>),
    /// The participation is done.
    Done(DoneReason),
    /// The latest call is not final yet: decide when it is.
    Wait,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoneReason {
    /// Someone answered (this or an earlier call): never called again.
    Answered,
    /// The latest call ended in a state the callout does not retry.
    NotRetried(CallStatus),
    /// The participation has had its maximum number of calls.
    MaxAttempts,
}

/// Decides what follows a participation's latest call, which ended (`ended_at`) in `last`, after
/// `attempts` calls in all; `answered` is true if any of its calls was answered.
pub fn decide_retry(
    policy: &RetryPolicy,
    last: CallStatus,
    ended_at: DateTime<Utc>,
    attempts: u32,
    answered: bool,
) -> RetryDecision {
    if answered || last.is_answered() {
        return RetryDecision::Done(DoneReason::Answered);
    }
    if !last.is_final() {
        return RetryDecision::Wait;
    }
    if !policy.statuses.contains(&last) {
        return RetryDecision::Done(DoneReason::NotRetried(last));
    }
    if attempts >= policy.max_attempts {
        return RetryDecision::Done(DoneReason::MaxAttempts);
    }
    RetryDecision::RetryAt(ended_at + policy.delay())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    #[test]
    fn quiet_limits_follow_the_provider_state() {
        assert_eq!(quiet_limit(None), QUIET_QUEUED);
        assert_eq!(quiet_limit(Some(ProviderStatus::Initiated)), QUIET_QUEUED);
        assert_eq!(quiet_limit(Some(ProviderStatus::Ringing)), QUIET_RINGING);
        assert_eq!(quiet_limit(Some(ProviderStatus::InProgress)), QUIET_TALKING);
        assert!(QUIET_RINGING < QUIET_QUEUED && QUIET_QUEUED < QUIET_TALKING);
    }

    #[test]
    fn a_listed_call_is_ours_only_if_numbers_time_and_sid_fit() {
        let listed = |sid: &str, to: &str, from: &str, at: DateTime<Utc>| ListedCall {
            sid: sid.into(),
            to: to.into(),
            from: from.into(),
            status: ProviderStatus::Ringing,
            duration_secs: None,
            created_at: Some(at),
        };
        let sent = t(10, 0);
        let calls = vec![
            listed("CAold", "+34600000001", "+34930000000", t(9, 50)),
            listed("CAother", "+34600000002", "+34930000000", t(10, 0)),
            listed("CAfrom", "+34600000001", "+34930000001", t(10, 0)),
            listed("CAlater", "+34600000001", "+34930000000", t(10, 1)),
            listed("CAours", "+34600000001", "+34930000000", sent - TimeDelta::seconds(2)),
        ];
        let pick = |known: &[String]| {
            pick_listed(&calls, "+34600000001", Some("+34930000000"), sent, known).map(|c| c.sid.clone())
        };
        assert_eq!(pick(&[]).as_deref(), Some("CAours"));
        assert_eq!(pick(&["CAours".into()]).as_deref(), Some("CAlater"));
        assert_eq!(pick(&["CAours".into(), "CAlater".into()]), None);
        assert_eq!(
            pick_listed(&calls, "+34600000009", None, sent, &[]),
            None,
            "nothing to that number"
        );
    }

    #[test]
    fn statuses_round_trip() {
        for s in CallStatus::ALL {
            assert_eq!(CallStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(CallStatus::parse(" Not_Answered "), Some(CallStatus::NotAnswered));
        assert_eq!(CallStatus::parse("ringing"), None);
        for p in ProviderStatus::ALL {
            assert_eq!(ProviderStatus::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.as_str()));
        }
        assert_eq!(ProviderStatus::parse("IN_PROGRESS"), Some(ProviderStatus::InProgress));
        assert_eq!(ProviderStatus::parse("answered"), None);
    }

    #[test]
    fn provider_statuses_map_as_somleng_scfm_does() {
        use CallStatus as C;
        use ProviderStatus as P;
        let expected = [
            (P::Queued, None),
            (P::Initiated, None),
            (P::Ringing, Some(C::InProgress)),
            (P::InProgress, Some(C::InProgress)),
            (P::Busy, Some(C::Busy)),
            (P::Failed, Some(C::Failed)),
            (P::NoAnswer, Some(C::NotAnswered)),
            (P::Canceled, Some(C::Canceled)),
            (P::Completed, Some(C::Completed)),
        ];
        for (p, c) in expected {
            assert_eq!(p.call_status(), c, "{p}");
            // From a call the provider has accepted, every mapped status is a transition.
            let want = c.map_or(Outcome::NoChange, Outcome::Transition);
            assert_eq!(apply_provider_status(C::RemotelyQueued, p), want, "{p}");
        }
        assert!(C::Completed.is_answered());
        assert!(C::ALL.iter().filter(|s| s.is_answered()).count() == 1);
    }

    #[test]
    fn callbacks_are_idempotent() {
        use CallStatus as C;
        for p in ProviderStatus::ALL {
            let mut state = C::RemotelyQueued;
            if let Outcome::Transition(next) = apply_provider_status(state, p) {
                state = next;
            }
            assert_eq!(apply_provider_status(state, p), Outcome::NoChange, "{p} twice");
        }
        // ringing then in-progress: both mean in progress, the second changes nothing.
        assert_eq!(
            apply_provider_status(C::InProgress, ProviderStatus::InProgress),
            Outcome::NoChange
        );
    }

    #[test]
    fn callbacks_out_of_order_never_go_back() {
        use CallStatus as C;
        use ProviderStatus as P;
        // A late ringing / in-progress / queued never overwrites a final state.
        for fin in C::ALL.into_iter().filter(|s| s.is_final()) {
            for p in P::ALL {
                assert_eq!(apply_provider_status(fin, p), Outcome::NoChange, "{fin} then {p}");
            }
        }
        // The final status may arrive before ringing.
        assert_eq!(
            apply_provider_status(C::RemotelyQueued, P::Completed),
            Outcome::Transition(C::Completed)
        );
        assert_eq!(apply_provider_status(C::Completed, P::Ringing), Outcome::NoChange);
        // Queued at the provider changes nothing, whatever we knew.
        for s in C::ALL {
            assert_eq!(apply_provider_status(s, P::Queued), Outcome::NoChange);
        }
        // A callback that beats the recording of the CallSid still moves the call forward.
        assert_eq!(
            apply_provider_status(C::Queued, P::Ringing),
            Outcome::Transition(C::InProgress)
        );
        // In progress → final.
        assert_eq!(
            apply_provider_status(C::InProgress, P::NoAnswer),
            Outcome::Transition(C::NotAnswered)
        );
    }

    #[test]
    fn the_status_sets_agree_with_the_ranks() {
        // In flight is every state before final; the provider has the call once remotely queued.
        for st in CallStatus::ALL {
            assert_eq!(st.is_in_flight(), !st.is_final(), "{st}");
        }
        assert!(CallStatus::AT_PROVIDER.iter().all(|s| s.is_in_flight()));
        assert!(
            CallStatus::UNCONFIRMED
                .iter()
                .all(|s| s.is_in_flight() && !CallStatus::AT_PROVIDER.contains(s))
        );
    }

    #[test]
    fn retry_defaults_and_decisions() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.delay(), TimeDelta::minutes(15));
        let end = t(10, 0);
        for s in [
            CallStatus::NotAnswered,
            CallStatus::Busy,
            CallStatus::Failed,
            CallStatus::Errored,
        ] {
            assert_eq!(
                decide_retry(&p, s, end, 1, false),
                RetryDecision::RetryAt(t(10, 15)),
                "{s}"
            );
            assert_eq!(decide_retry(&p, s, end, 2, false), RetryDecision::RetryAt(t(10, 15)));
            assert_eq!(
                decide_retry(&p, s, end, 3, false),
                RetryDecision::Done(DoneReason::MaxAttempts)
            );
        }
        assert_eq!(
            decide_retry(&p, CallStatus::Canceled, end, 1, false),
            RetryDecision::Done(DoneReason::NotRetried(CallStatus::Canceled))
        );
        assert_eq!(
            decide_retry(&p, CallStatus::Expired, end, 1, false),
            RetryDecision::Done(DoneReason::NotRetried(CallStatus::Expired))
        );
        // Answered: never again, even if an earlier attempt was the answered one.
        assert_eq!(
            decide_retry(&p, CallStatus::Completed, end, 1, false),
            RetryDecision::Done(DoneReason::Answered)
        );
        assert_eq!(
            decide_retry(&p, CallStatus::Busy, end, 1, true),
            RetryDecision::Done(DoneReason::Answered)
        );
        assert_eq!(
            decide_retry(&p, CallStatus::InProgress, end, 1, false),
            RetryDecision::Wait
        );
    }

    #[test]
    fn retry_policy_validation() {
        let p = RetryPolicy::new(&["busy", "not_answered,expired"], 5, 30).unwrap();
        assert_eq!(
            p.statuses,
            vec![CallStatus::Busy, CallStatus::NotAnswered, CallStatus::Expired]
        );
        assert_eq!(
            RetryPolicy::new(&["completed"], 3, 15).unwrap_err().field,
            "retry_statuses"
        );
        assert_eq!(RetryPolicy::new(&["bogus"], 3, 15).unwrap_err().field, "retry_statuses");
        assert_eq!(RetryPolicy::new(&[], 0, 15).unwrap_err().field, "max_attempts");
        assert_eq!(RetryPolicy::new(&[], -1, 15).unwrap_err().field, "max_attempts");
        assert_eq!(RetryPolicy::new(&[], 3, -5).unwrap_err().field, "retry_delay_minutes");
        // No statuses: never retried; that is a valid choice.
        assert!(RetryPolicy::new(&[], 1, 0).unwrap().statuses.is_empty());
    }
}
