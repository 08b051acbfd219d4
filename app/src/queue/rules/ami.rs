//! The Asterisk Manager Interface, our own small codec over raw headers (no I/O).
//!
//! Facts it builds on (Asterisk's `manager.c`, `app_queue.c`): the server opens with the line
//! `Asterisk Call Manager/<version>`; a message is `Key: Value` lines closed by an empty line
//! (CRLF; a bare LF is accepted); header order is not fixed, keys are case-insensitive
//! (`Holdtime` / `HoldTime`) and unknown headers are ignored; replies and list events carry the
//! action's `ActionID`; a list action answers `Response: Success` + `EventList: start`, then its
//! events, then a `…Complete` event. `QueueMember` names the member `Name`/`Location`, member
//! events say `MemberName`/`Interface`. `Status` is the device state 0–8. `HoldTime`,
//! `TalkTime`, `Wait` and `RingTime` are seconds.
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// What went wrong reading a message. The reader logs it and skips the message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmiError {
    #[error("AMI {what}: the field {field} is missing")]
    Missing { what: String, field: &'static str },
    #[error("AMI {what}: the field {field} has an unexpected value {value:?}")]
    Invalid {
        what: String,
        field: &'static str,
        value: String,
    },
    #[error("AMI: a message that is neither a response nor an event")]
    NotAMessage,
    #[error("AMI: a header line without a colon: {0:?}")]
    BadLine(String),
    #[error("AMI: a message larger than {0} bytes")]
    TooLarge(usize),
}

/// One message: its headers in the order received.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, String)>,
}

impl Message {
    pub fn new() -> Self {
        Message::default()
    }

    /// Adds a header (builder style).
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.headers.push((key.to_string(), value.to_string()));
        self
    }

    /// The first header of that name, case-insensitively.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The message on the wire (CRLF lines, an empty line at the end).
    pub fn to_wire(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.headers {
            // A value never spans lines on the wire.
            let v = v.replace(['\r', '\n'], " ");
            let _ = write!(s, "{k}: {v}\r\n");
        }
        s.push_str("\r\n");
        s
    }

    pub fn action_id(&self) -> Option<&str> {
        self.get("ActionID")
    }
}

/// What the decoder yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// `Asterisk Call Manager/<version>`: the version.
    Greeting(String),
    Message(Message),
}

/// The greeting's prefix.
pub const GREETING: &str = "Asterisk Call Manager/";

/// The greeting line a server sends (with its CRLF).
pub fn greeting(version: &str) -> String {
    format!("{GREETING}{version}\r\n")
}

/// Messages larger than this are refused (a misbehaving peer does not grow memory forever).
pub const MAX_MESSAGE: usize = 256 * 1024;

/// Turns a byte stream into frames. Feed it what the socket gives, take frames until `None`.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    pending: Message,
    pending_bytes: usize,
}

impl Decoder {
    pub fn new() -> Self {
        Decoder::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, if any. A bad line is an error for that line only: the decoder
    /// goes on with the next.
    pub fn next_frame(&mut self) -> Option<Result<Frame, AmiError>> {
        loop {
            let nl = self.buf.iter().position(|b| *b == b'\n')?;
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            let mut line = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            if line.ends_with('\r') {
                line.pop();
            }
            self.pending_bytes += line.len() + 2;
            if line.is_empty() {
                self.pending_bytes = 0;
                if self.pending.headers.is_empty() {
                    continue;
                }
                return Some(Ok(Frame::Message(std::mem::take(&mut self.pending))));
            }
            if self.pending.headers.is_empty()
                && let Some(version) = line.strip_prefix(GREETING)
            {
                self.pending_bytes = 0;
                return Some(Ok(Frame::Greeting(version.trim().to_string())));
            }
            if self.pending_bytes > MAX_MESSAGE {
                self.pending = Message::default();
                self.pending_bytes = 0;
                return Some(Err(AmiError::TooLarge(MAX_MESSAGE)));
            }
            match line.split_once(':') {
                Some((k, v)) => self.pending.headers.push((k.trim().to_string(), v.trim().to_string())),
                None => return Some(Err(AmiError::BadLine(line))),
            }
        }
    }
}

/// Decodes a whole captured exchange (tests, the simulator's reading side).
pub fn decode_all(text: &str) -> Vec<Result<Frame, AmiError>> {
    let mut d = Decoder::new();
    d.push(text.as_bytes());
    std::iter::from_fn(|| d.next_frame()).collect()
}

// ---------------------------------------------------------------------------------------------
// Actions

/// The actions Switchboard sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Login {
        username: String,
        secret: String,
    },
    Logoff,
    Ping,
    QueueAdd {
        queue: String,
        interface: String,
        member_name: String,
        state_interface: Option<String>,
        paused: bool,
        reason: Option<String>,
    },
    QueueRemove {
        queue: String,
        interface: String,
    },
    QueuePause {
        /// `None`: in every queue.
        queue: Option<String>,
        interface: String,
        paused: bool,
        reason: Option<String>,
    },
    /// A list action: `QueueParams`, `QueueMember`, `QueueEntry` … `QueueStatusComplete`.
    QueueStatus {
        queue: Option<String>,
    },
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Login { .. } => "Login",
            Action::Logoff => "Logoff",
            Action::Ping => "Ping",
            Action::QueueAdd { .. } => "QueueAdd",
            Action::QueueRemove { .. } => "QueueRemove",
            Action::QueuePause { .. } => "QueuePause",
            Action::QueueStatus { .. } => "QueueStatus",
        }
    }

    /// The action as a message with its ActionID.
    pub fn to_message(&self, action_id: &str) -> Message {
        let m = Message::new().with("Action", self.name()).with("ActionID", action_id);
        match self {
            Action::Login { username, secret } => {
                m.with("Username", username).with("Secret", secret).with("Events", "on")
            }
            Action::Logoff | Action::Ping => m,
            Action::QueueAdd {
                queue,
                interface,
                member_name,
                state_interface,
                paused,
                reason,
            } => {
                let mut m = m
                    .with("Queue", queue)
                    .with("Interface", interface)
                    .with("MemberName", member_name)
                    .with("Paused", bool_str(*paused));
                if let Some(si) = state_interface {
                    m = m.with("StateInterface", si);
                }
                if let Some(r) = reason {
                    m = m.with("Reason", r);
                }
                m
            }
            Action::QueueRemove { queue, interface } => m.with("Queue", queue).with("Interface", interface),
            Action::QueuePause {
                queue,
                interface,
                paused,
                reason,
            } => {
                let mut m = m.with("Interface", interface).with("Paused", bool_str(*paused));
                if let Some(q) = queue {
                    m = m.with("Queue", q);
                }
                if let Some(r) = reason {
                    m = m.with("Reason", r);
                }
                m
            }
            Action::QueueStatus { queue } => match queue {
                Some(q) => m.with("Queue", q),
                None => m,
            },
        }
    }

    /// Reads an action (the simulator's side).
    pub fn from_message(m: &Message) -> Result<Action, AmiError> {
        let name = m.get("Action").ok_or(AmiError::NotAMessage)?;
        let what = format!("action {name}");
        let req = |f: &'static str| -> Result<String, AmiError> {
            m.get(f).map(str::to_string).ok_or_else(|| AmiError::Missing {
                what: what.clone(),
                field: f,
            })
        };
        let opt = |f: &str| m.get(f).filter(|v| !v.is_empty()).map(str::to_string);
        let paused = |f: &'static str| -> Result<bool, AmiError> {
            match m.get(f) {
                None => Ok(false),
                Some(v) => parse_bool(v).ok_or_else(|| AmiError::Invalid {
                    what: what.clone(),
                    field: f,
                    value: v.to_string(),
                }),
            }
        };
        Ok(match name.to_ascii_lowercase().as_str() {
            "login" => Action::Login {
                username: req("Username")?,
                secret: req("Secret")?,
            },
            "logoff" => Action::Logoff,
            "ping" => Action::Ping,
            "queueadd" => Action::QueueAdd {
                queue: req("Queue")?,
                interface: req("Interface")?,
                member_name: opt("MemberName").unwrap_or_default(),
                state_interface: opt("StateInterface"),
                paused: paused("Paused")?,
                reason: opt("Reason"),
            },
            "queueremove" => Action::QueueRemove {
                queue: req("Queue")?,
                interface: req("Interface")?,
            },
            "queuepause" => {
                if m.get("Paused").is_none() {
                    return Err(AmiError::Missing { what, field: "Paused" });
                }
                Action::QueuePause {
                    queue: opt("Queue"),
                    interface: req("Interface")?,
                    paused: paused("Paused")?,
                    reason: opt("Reason"),
                }
            }
            "queuestatus" => Action::QueueStatus { queue: opt("Queue") },
            _ => {
                return Err(AmiError::Invalid {
                    what,
                    field: "Action",
                    value: name.to_string(),
                });
            }
        })
    }
}

/// Asterisk's `ast_true`/`ast_false` words.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" | "t" => Some(true),
        "0" | "false" | "no" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Replies

/// Why the PBX refused an action, in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    #[error("the PBX refused the login (authentication failed)")]
    AuthenticationFailed,
    #[error("the member is already in the queue")]
    AlreadyThere,
    #[error("the member is not in the queue")]
    NotThere,
    #[error("no such member interface on the PBX")]
    InterfaceNotFound,
    #[error("no such queue on the PBX")]
    NoSuchQueue,
    #[error("the PBX refused: {0}")]
    Other(String),
}

impl Refusal {
    /// Classifies an error reply's `Message` (Asterisk's wording, e.g. "Unable to add interface:
    /// Already there").
    pub fn from_message(text: &str) -> Refusal {
        let t = text.to_ascii_lowercase();
        if t.contains("authentication failed") {
            Refusal::AuthenticationFailed
        } else if t.contains("already there") {
            Refusal::AlreadyThere
        } else if t.contains("not there") {
            Refusal::NotThere
        } else if t.contains("interface not found") {
            Refusal::InterfaceNotFound
        } else if t.contains("no such queue") {
            Refusal::NoSuchQueue
        } else {
            Refusal::Other(text.to_string())
        }
    }

    /// The `Message` Asterisk sends for it (the simulator's side).
    pub fn asterisk_text(&self, action: &str) -> String {
        match (self, action) {
            (Refusal::AuthenticationFailed, _) => "Authentication failed".into(),
            (Refusal::AlreadyThere, _) => "Unable to add interface: Already there".into(),
            (Refusal::NotThere, _) => "Unable to remove interface: Not there".into(),
            (Refusal::InterfaceNotFound, _) => "Interface not found".into(),
            (Refusal::NoSuchQueue, "QueueRemove") => "Unable to remove interface from queue: No such queue".into(),
            (Refusal::NoSuchQueue, _) => "Unable to add interface to queue: No such queue".into(),
            (Refusal::Other(t), _) => t.clone(),
        }
    }
}

/// A `Response:` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub action_id: Option<String>,
    pub outcome: Result<Option<String>, Refusal>,
    /// `EventList: start`: the list's events follow, up to its `…Complete` event.
    pub list_start: bool,
}

impl Reply {
    pub fn success(action_id: &str, message: &str) -> Message {
        Message::new()
            .with("Response", "Success")
            .with("ActionID", action_id)
            .with("Message", message)
    }

    pub fn list_start(action_id: &str, message: &str) -> Message {
        Reply::success(action_id, message).with("EventList", "start")
    }

    pub fn error(action_id: &str, message: &str) -> Message {
        Message::new()
            .with("Response", "Error")
            .with("ActionID", action_id)
            .with("Message", message)
    }
}

/// A message read from the server: a reply to an action, or an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    Reply(Reply),
    /// An event: its name, the ActionID (list events), the raw message (to type with
    /// [`parse_event`]).
    Event {
        name: String,
        action_id: Option<String>,
        message: Message,
    },
}

pub fn classify(m: Message) -> Result<Incoming, AmiError> {
    if let Some(resp) = m.get("Response") {
        let action_id = m.action_id().map(str::to_string);
        let text = m.get("Message").map(str::to_string);
        let outcome = match resp.to_ascii_lowercase().as_str() {
            "success" | "goodbye" | "pong" | "follows" => Ok(text),
            "error" => Err(Refusal::from_message(text.as_deref().unwrap_or(""))),
            other => {
                return Err(AmiError::Invalid {
                    what: "response".into(),
                    field: "Response",
                    value: other.into(),
                });
            }
        };
        let list_start = m.get("EventList").is_some_and(|v| v.eq_ignore_ascii_case("start"));
        return Ok(Incoming::Reply(Reply {
            action_id,
            outcome,
            list_start,
        }));
    }
    if let Some(name) = m.get("Event") {
        let name = name.to_string();
        let action_id = m.action_id().map(str::to_string);
        return Ok(Incoming::Event {
            name,
            action_id,
            message: m,
        });
    }
    Err(AmiError::NotAMessage)
}

// ---------------------------------------------------------------------------------------------
// Events

/// A device state (`Status` 0–8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Unknown = 0,
    NotInUse = 1,
    InUse = 2,
    Busy = 3,
    Invalid = 4,
    Unavailable = 5,
    Ringing = 6,
    RingInUse = 7,
    OnHold = 8,
}

impl DeviceState {
    pub const ALL: [DeviceState; 9] = [
        DeviceState::Unknown,
        DeviceState::NotInUse,
        DeviceState::InUse,
        DeviceState::Busy,
        DeviceState::Invalid,
        DeviceState::Unavailable,
        DeviceState::Ringing,
        DeviceState::RingInUse,
        DeviceState::OnHold,
    ];

    pub fn from_code(n: u8) -> Option<DeviceState> {
        DeviceState::ALL.get(n as usize).copied()
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    /// The phone is not reachable (not registered, or an invalid device).
    pub fn is_disconnected(self) -> bool {
        matches!(
            self,
            DeviceState::Unavailable | DeviceState::Invalid | DeviceState::Unknown
        )
    }

    pub fn is_ringing(self) -> bool {
        matches!(self, DeviceState::Ringing | DeviceState::RingInUse)
    }

    pub fn is_in_call(self) -> bool {
        matches!(
            self,
            DeviceState::InUse | DeviceState::Busy | DeviceState::OnHold | DeviceState::RingInUse
        )
    }
}

/// The caller's side of a queue call (the channel headers Asterisk puts on caller events).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerChannel {
    pub channel: String,
    /// The caller's number (`CallerIDNum`), as the PBX gives it.
    pub number: String,
    pub name: Option<String>,
    pub uniqueid: String,
    pub linkedid: Option<String>,
}

/// `QueueParams` (in a QueueStatus list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueParams {
    pub queue: String,
    pub strategy: Option<String>,
    pub calls: u32,
    pub hold_time_secs: u32,
    pub talk_time_secs: u32,
    pub completed: u32,
    pub abandoned: u32,
}

/// A member: `QueueMember` (list) and the member events (`QueueMemberStatus`, `…Pause`,
/// `…Added`, `…Removed`) — the same facts under different header names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub queue: String,
    /// `Location` (QueueMember) / `Interface` (events): e.g. `PJSIP/1001`.
    pub interface: String,
    /// `Name` (QueueMember) / `MemberName` (events).
    pub name: String,
    pub state_interface: Option<String>,
    /// `dynamic` (added by an action), `static` (configured), `realtime`.
    pub membership: Option<String>,
    pub status: DeviceState,
    pub paused: bool,
    pub paused_reason: Option<String>,
    pub calls_taken: u32,
    /// Unix seconds of the member's last call (0: none).
    pub last_call: i64,
    pub in_call: bool,
}

/// `QueueEntry` (a waiting caller, in a QueueStatus list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub queue: String,
    pub position: u32,
    pub caller: CallerChannel,
    pub wait_secs: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerJoin {
    pub queue: String,
    pub position: u32,
    pub count: u32,
    pub caller: CallerChannel,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerLeave {
    pub queue: String,
    pub position: u32,
    pub count: u32,
    pub caller: CallerChannel,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerAbandon {
    pub queue: String,
    pub position: u32,
    pub original_position: u32,
    pub hold_time_secs: u32,
    pub caller: CallerChannel,
}

/// The agent events: `AgentCalled`, `AgentConnect`, `AgentComplete`, `AgentRingNoAnswer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentCall {
    pub queue: String,
    pub interface: String,
    pub member_name: String,
    pub caller: CallerChannel,
    /// AgentConnect, AgentComplete: how long the caller waited.
    pub hold_time_secs: Option<u32>,
    /// AgentConnect, AgentRingNoAnswer: how long the agent's phone rang.
    pub ring_time_secs: Option<u32>,
    /// AgentComplete.
    pub talk_time_secs: Option<u32>,
    /// AgentComplete: who hung up (`caller`, `agent`, `transfer`).
    pub reason: Option<String>,
}

/// The events Switchboard types. Others are [`Event::Other`] (not an error: Asterisk sends many).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum Event {
    QueueParams(QueueParams),
    QueueMember(Member),
    QueueEntry(QueueEntry),
    QueueStatusComplete,
    QueueMemberStatus(Member),
    QueueMemberPause(Member),
    QueueMemberAdded(Member),
    QueueMemberRemoved(Member),
    QueueCallerJoin(CallerJoin),
    QueueCallerLeave(CallerLeave),
    QueueCallerAbandon(CallerAbandon),
    AgentCalled(AgentCall),
    AgentConnect(AgentCall),
    AgentComplete(AgentCall),
    AgentRingNoAnswer(AgentCall),
    Other { name: String },
}

impl Event {
    /// The queue the event is about, when it is about one.
    pub fn queue(&self) -> Option<&str> {
        Some(match self {
            Event::QueueParams(p) => &p.queue,
            Event::QueueMember(m)
            | Event::QueueMemberStatus(m)
            | Event::QueueMemberPause(m)
            | Event::QueueMemberAdded(m)
            | Event::QueueMemberRemoved(m) => &m.queue,
            Event::QueueEntry(e) => &e.queue,
            Event::QueueCallerJoin(j) => &j.queue,
            Event::QueueCallerLeave(l) => &l.queue,
            Event::QueueCallerAbandon(a) => &a.queue,
            Event::AgentCalled(a) | Event::AgentConnect(a) | Event::AgentComplete(a) | Event::AgentRingNoAnswer(a) => {
                &a.queue
            }
            Event::QueueStatusComplete | Event::Other { .. } => return None,
        })
    }
}

/// Reads typed fields of one event, naming the event in its errors.
struct Fields<'a> {
    m: &'a Message,
    what: String,
}

impl Fields<'_> {
    fn str(&self, f: &'static str) -> Result<String, AmiError> {
        self.m.get(f).map(str::to_string).ok_or_else(|| AmiError::Missing {
            what: self.what.clone(),
            field: f,
        })
    }

    fn opt(&self, f: &str) -> Option<String> {
        self.m
            .get(f)
            .filter(|v| !v.is_empty() && *v != "<unknown>")
            .map(str::to_string)
    }

    fn num<T: std::str::FromStr>(&self, f: &'static str) -> Result<T, AmiError> {
        let v = self.str(f)?;
        v.trim().parse().map_err(|_| AmiError::Invalid {
            what: self.what.clone(),
            field: f,
            value: v,
        })
    }

    fn num_or<T: std::str::FromStr>(&self, f: &'static str, default: T) -> Result<T, AmiError> {
        match self.m.get(f) {
            None | Some("") => Ok(default),
            Some(_) => self.num(f),
        }
    }

    fn opt_num<T: std::str::FromStr>(&self, f: &'static str) -> Result<Option<T>, AmiError> {
        match self.m.get(f) {
            None | Some("") => Ok(None),
            Some(_) => self.num(f).map(Some),
        }
    }

    fn boolean(&self, f: &'static str) -> Result<bool, AmiError> {
        match self.m.get(f) {
            None | Some("") => Ok(false),
            Some(v) => parse_bool(v).ok_or_else(|| AmiError::Invalid {
                what: self.what.clone(),
                field: f,
                value: v.to_string(),
            }),
        }
    }

    fn status(&self) -> Result<DeviceState, AmiError> {
        let n: u8 = self.num("Status")?;
        DeviceState::from_code(n).ok_or_else(|| AmiError::Invalid {
            what: self.what.clone(),
            field: "Status",
            value: n.to_string(),
        })
    }

    fn caller(&self) -> Result<CallerChannel, AmiError> {
        Ok(CallerChannel {
            channel: self.str("Channel")?,
            number: self.str("CallerIDNum")?,
            name: self.opt("CallerIDName"),
            uniqueid: self.str("Uniqueid")?,
            linkedid: self.opt("Linkedid"),
        })
    }

    /// The member under either naming (`Name`/`Location` or `MemberName`/`Interface`).
    fn member(&self, listed: bool) -> Result<Member, AmiError> {
        let (name, interface) = if listed {
            ("Name", "Location")
        } else {
            ("MemberName", "Interface")
        };
        Ok(Member {
            queue: self.str("Queue")?,
            interface: self.str(interface)?,
            name: self.str(name)?,
            state_interface: self.opt("StateInterface"),
            membership: self.opt("Membership"),
            status: self.status()?,
            paused: self.boolean("Paused")?,
            paused_reason: self
                .opt("PausedReason")
                .or_else(|| if listed { None } else { self.opt("Reason") }),
            calls_taken: self.num_or("CallsTaken", 0)?,
            last_call: self.num_or("LastCall", 0)?,
            in_call: self.boolean("InCall")?,
        })
    }

    fn agent(&self) -> Result<AgentCall, AmiError> {
        Ok(AgentCall {
            queue: self.str("Queue")?,
            interface: self.str("Interface")?,
            member_name: self.opt("MemberName").unwrap_or_default(),
            caller: self.caller()?,
            hold_time_secs: self.opt_num("HoldTime")?,
            ring_time_secs: self.opt_num("RingTime")?,
            talk_time_secs: self.opt_num("TalkTime")?,
            reason: self.opt("Reason"),
        })
    }
}

/// Types an event message. Missing or malformed fields of a typed event are an error (the
/// reader logs it and skips the event); an event Switchboard does not type is `Other`.
pub fn parse_event(m: &Message) -> Result<Event, AmiError> {
    let name = m.get("Event").ok_or(AmiError::NotAMessage)?;
    let f = Fields {
        m,
        what: format!("event {name}"),
    };
    Ok(match name {
        "QueueParams" => Event::QueueParams(QueueParams {
            queue: f.str("Queue")?,
            strategy: f.opt("Strategy"),
            calls: f.num_or("Calls", 0)?,
            hold_time_secs: f.num_or("HoldTime", 0)?,
            talk_time_secs: f.num_or("TalkTime", 0)?,
            completed: f.num_or("Completed", 0)?,
            abandoned: f.num_or("Abandoned", 0)?,
        }),
        "QueueMember" => Event::QueueMember(f.member(true)?),
        "QueueEntry" => Event::QueueEntry(QueueEntry {
            queue: f.str("Queue")?,
            position: f.num("Position")?,
            caller: f.caller()?,
            wait_secs: f.num_or("Wait", 0)?,
        }),
        "QueueStatusComplete" => Event::QueueStatusComplete,
        "QueueMemberStatus" => Event::QueueMemberStatus(f.member(false)?),
        "QueueMemberPause" => Event::QueueMemberPause(f.member(false)?),
        "QueueMemberAdded" => Event::QueueMemberAdded(f.member(false)?),
        "QueueMemberRemoved" => Event::QueueMemberRemoved(f.member(false)?),
        "QueueCallerJoin" => Event::QueueCallerJoin(CallerJoin {
            queue: f.str("Queue")?,
            position: f.num("Position")?,
            count: f.num_or("Count", 0)?,
            caller: f.caller()?,
        }),
        "QueueCallerLeave" => Event::QueueCallerLeave(CallerLeave {
            queue: f.str("Queue")?,
            position: f.num("Position")?,
            count: f.num_or("Count", 0)?,
            caller: f.caller()?,
        }),
        "QueueCallerAbandon" => Event::QueueCallerAbandon(CallerAbandon {
            queue: f.str("Queue")?,
            position: f.num("Position")?,
            original_position: f.num_or("OriginalPosition", 0)?,
            hold_time_secs: f.num_or("HoldTime", 0)?,
            caller: f.caller()?,
        }),
        "AgentCalled" => Event::AgentCalled(f.agent()?),
        "AgentConnect" => Event::AgentConnect(f.agent()?),
        "AgentComplete" => Event::AgentComplete(f.agent()?),
        "AgentRingNoAnswer" => Event::AgentRingNoAnswer(f.agent()?),
        other => Event::Other {
            name: other.to_string(),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Event messages (the simulator's side: what Asterisk would send)

impl CallerChannel {
    fn put(&self, m: Message) -> Message {
        let m = m
            .with("Channel", &self.channel)
            .with("CallerIDNum", &self.number)
            .with("CallerIDName", self.name.as_deref().unwrap_or("<unknown>"))
            .with("Uniqueid", &self.uniqueid);
        m.with("Linkedid", self.linkedid.as_deref().unwrap_or(&self.uniqueid))
    }
}

impl Member {
    fn put(&self, m: Message, listed: bool) -> Message {
        let (name, interface) = if listed {
            ("Name", "Location")
        } else {
            ("MemberName", "Interface")
        };
        m.with("Queue", &self.queue)
            .with(name, &self.name)
            .with(interface, &self.interface)
            .with(
                "StateInterface",
                self.state_interface.as_deref().unwrap_or(&self.interface),
            )
            .with("Membership", self.membership.as_deref().unwrap_or("dynamic"))
            .with("Penalty", 0)
            .with("CallsTaken", self.calls_taken)
            .with("LastCall", self.last_call)
            .with("InCall", u8::from(self.in_call))
            .with("Status", self.status.code())
            .with("Paused", u8::from(self.paused))
            .with("PausedReason", self.paused_reason.as_deref().unwrap_or(""))
    }
}

impl AgentCall {
    fn put(&self, m: Message) -> Message {
        let mut m = self
            .caller
            .put(m)
            .with("Queue", &self.queue)
            .with("Interface", &self.interface)
            .with("MemberName", &self.member_name);
        if let Some(v) = self.hold_time_secs {
            m = m.with("HoldTime", v);
        }
        if let Some(v) = self.ring_time_secs {
            m = m.with("RingTime", v);
        }
        if let Some(v) = self.talk_time_secs {
            m = m.with("TalkTime", v);
        }
        if let Some(v) = &self.reason {
            m = m.with("Reason", v);
        }
        m
    }
}

impl Event {
    /// The event as Asterisk sends it; `action_id` for the events of a list.
    pub fn to_message(&self, action_id: Option<&str>) -> Message {
        let name = match self {
            Event::QueueParams(_) => "QueueParams",
            Event::QueueMember(_) => "QueueMember",
            Event::QueueEntry(_) => "QueueEntry",
            Event::QueueStatusComplete => "QueueStatusComplete",
            Event::QueueMemberStatus(_) => "QueueMemberStatus",
            Event::QueueMemberPause(_) => "QueueMemberPause",
            Event::QueueMemberAdded(_) => "QueueMemberAdded",
            Event::QueueMemberRemoved(_) => "QueueMemberRemoved",
            Event::QueueCallerJoin(_) => "QueueCallerJoin",
            Event::QueueCallerLeave(_) => "QueueCallerLeave",
            Event::QueueCallerAbandon(_) => "QueueCallerAbandon",
            Event::AgentCalled(_) => "AgentCalled",
            Event::AgentConnect(_) => "AgentConnect",
            Event::AgentComplete(_) => "AgentComplete",
            Event::AgentRingNoAnswer(_) => "AgentRingNoAnswer",
            Event::Other { name } => name,
        };
        let mut m = Message::new().with("Event", name);
        if let Some(id) = action_id {
            m = m.with("ActionID", id);
        }
        match self {
            Event::QueueParams(p) => m
                .with("Queue", &p.queue)
                .with("Max", 0)
                .with("Strategy", p.strategy.as_deref().unwrap_or("ringall"))
                .with("Calls", p.calls)
                .with("Holdtime", p.hold_time_secs)
                .with("TalkTime", p.talk_time_secs)
                .with("Completed", p.completed)
                .with("Abandoned", p.abandoned),
            Event::QueueMember(x) => x.put(m, true),
            Event::QueueMemberStatus(x)
            | Event::QueueMemberPause(x)
            | Event::QueueMemberAdded(x)
            | Event::QueueMemberRemoved(x) => x.put(m, false),
            Event::QueueEntry(e) => e
                .caller
                .put(m.with("Queue", &e.queue).with("Position", e.position))
                .with("Wait", e.wait_secs),
            Event::QueueStatusComplete | Event::Other { .. } => m,
            Event::QueueCallerJoin(j) => j
                .caller
                .put(m)
                .with("Queue", &j.queue)
                .with("Position", j.position)
                .with("Count", j.count),
            Event::QueueCallerLeave(l) => l
                .caller
                .put(m)
                .with("Queue", &l.queue)
                .with("Position", l.position)
                .with("Count", l.count),
            Event::QueueCallerAbandon(a) => a
                .caller
                .put(m)
                .with("Queue", &a.queue)
                .with("Position", a.position)
                .with("OriginalPosition", a.original_position)
                .with("HoldTime", a.hold_time_secs),
            Event::AgentCalled(a) | Event::AgentConnect(a) | Event::AgentComplete(a) | Event::AgentRingNoAnswer(a) => {
                a.put(m)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A QueueStatus list

/// A queue as a QueueStatus list describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    pub params: Vec<QueueParams>,
    pub members: Vec<Member>,
    pub entries: Vec<QueueEntry>,
}

/// Collects a list's events (those with its ActionID) until its `…Complete` event.
#[derive(Clone, Debug, Default)]
pub struct ListCollector {
    pub snapshot: QueueSnapshot,
    pub complete: bool,
}

impl ListCollector {
    /// Takes one event of the list; true once the list is complete.
    pub fn take(&mut self, event: Event) -> bool {
        match event {
            Event::QueueParams(p) => self.snapshot.params.push(p),
            Event::QueueMember(m) => self.snapshot.members.push(m),
            Event::QueueEntry(e) => self.snapshot.entries.push(e),
            Event::QueueStatusComplete => self.complete = true,
            _ => {}
        }
        self.complete
    }
}

/// A member's interface from the configured template (`PJSIP/{extension}`).
pub fn interface_for(template: &str, extension: &str) -> String {
    template.replace("{extension}", extension)
}

/// The extension back from an interface, when it fits the template.
pub fn extension_of(template: &str, interface: &str) -> Option<String> {
    let (pre, post) = template.split_once("{extension}")?;
    let rest = interface.strip_prefix(pre)?.strip_suffix(post)?;
    (!rest.is_empty()).then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Message {
        match decode_all(text).into_iter().next() {
            Some(Ok(Frame::Message(m))) => m,
            other => panic!("not one message: {other:?}"),
        }
    }

    fn event(text: &str) -> Event {
        parse_event(&one(text)).expect("a typed event")
    }

    fn reply(text: &str) -> Reply {
        match classify(one(text)).unwrap() {
            Incoming::Reply(r) => r,
            other => panic!("not a reply: {other:?}"),
        }
    }

    #[test]
    fn greeting_then_messages_crlf_and_lf() {
        let frames = decode_all(
            "Asterisk Call Manager/9.0.0\r\nResponse: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\nEvent: FullyBooted\nPrivilege: system,all\nStatus: Fully Booted\n\n",
        );
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0], Ok(Frame::Greeting("9.0.0".into())));
        let Ok(Frame::Message(m)) = &frames[2] else {
            panic!("{frames:?}")
        };
        assert_eq!(m.get("event"), Some("FullyBooted"));
        assert_eq!(m.get("STATUS"), Some("Fully Booted"));
    }

    #[test]
    fn a_message_split_across_reads_comes_out_once_complete() {
        let mut d = Decoder::new();
        d.push(b"Response: Succ");
        assert!(d.next_frame().is_none());
        d.push(b"ess\r\nActionID: 7\r\n");
        assert!(d.next_frame().is_none());
        d.push(b"\r\n");
        let Some(Ok(Frame::Message(m))) = d.next_frame() else {
            panic!()
        };
        assert_eq!(m.action_id(), Some("7"));
        assert!(d.next_frame().is_none());
    }

    #[test]
    fn a_bad_line_is_an_error_and_the_next_message_still_reads() {
        let frames = decode_all("Response: Success\r\nnonsense\r\nActionID: 2\r\n\r\n");
        assert_eq!(frames[0], Err(AmiError::BadLine("nonsense".into())));
        let Ok(Frame::Message(m)) = &frames[1] else {
            panic!("{frames:?}")
        };
        assert_eq!(m.action_id(), Some("2"));
    }

    #[test]
    fn values_keep_colons_and_round_trip() {
        let m = Message::new().with("Event", "X").with("Channel", "PJSIP/1001-0000:01");
        assert_eq!(one(&m.to_wire()).get("Channel"), Some("PJSIP/1001-0000:01"));
    }

    #[test]
    fn login_accepted_and_refused() {
        let action = Action::Login {
            username: "sb".into(),
            secret: "s3cret".into(),
        };
        let wire = action.to_message("1").to_wire();
        assert!(wire.starts_with("Action: Login\r\nActionID: 1\r\n"));
        assert!(wire.contains("Username: sb\r\n") && wire.contains("Secret: s3cret\r\n"));
        assert!(wire.ends_with("\r\n\r\n"));
        assert_eq!(Action::from_message(&one(&wire)).unwrap(), action);

        let ok = reply("Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n");
        assert_eq!(ok.action_id.as_deref(), Some("1"));
        assert_eq!(ok.outcome, Ok(Some("Authentication accepted".into())));
        let no = reply("Response: Error\r\nActionID: 1\r\nMessage: Authentication failed\r\n\r\n");
        assert_eq!(no.outcome, Err(Refusal::AuthenticationFailed));
    }

    #[test]
    fn queue_add_replies() {
        let action = Action::QueueAdd {
            queue: "support".into(),
            interface: "PJSIP/1001".into(),
            member_name: "Ada".into(),
            state_interface: Some("PJSIP/1001".into()),
            paused: false,
            reason: None,
        };
        let m = action.to_message("5");
        assert_eq!(m.get("Paused"), Some("false"));
        assert_eq!(Action::from_message(&one(&m.to_wire())).unwrap(), action);
        let ok = reply("Response: Success\r\nActionID: 5\r\nMessage: Added interface to queue\r\n\r\n");
        assert!(ok.outcome.is_ok());
        let there = reply("Response: Error\r\nActionID: 5\r\nMessage: Unable to add interface: Already there\r\n\r\n");
        assert_eq!(there.outcome, Err(Refusal::AlreadyThere));
        let noq =
            reply("Response: Error\r\nActionID: 5\r\nMessage: Unable to add interface to queue: No such queue\r\n\r\n");
        assert_eq!(noq.outcome, Err(Refusal::NoSuchQueue));
    }

    #[test]
    fn queue_remove_replies() {
        let action = Action::QueueRemove {
            queue: "support".into(),
            interface: "PJSIP/1001".into(),
        };
        assert_eq!(
            Action::from_message(&one(&action.to_message("6").to_wire())).unwrap(),
            action
        );
        let ok = reply("Response: Success\r\nActionID: 6\r\nMessage: Removed interface from queue\r\n\r\n");
        assert!(ok.outcome.is_ok());
        let not = reply("Response: Error\r\nActionID: 6\r\nMessage: Unable to remove interface: Not there\r\n\r\n");
        assert_eq!(not.outcome, Err(Refusal::NotThere));
        assert_eq!(
            Refusal::from_message(&Refusal::NotThere.asterisk_text("QueueRemove")),
            Refusal::NotThere
        );
    }

    #[test]
    fn queue_pause_replies() {
        let action = Action::QueuePause {
            queue: Some("support".into()),
            interface: "PJSIP/1001".into(),
            paused: true,
            reason: Some("lunch".into()),
        };
        let m = action.to_message("8");
        assert_eq!(m.get("Reason"), Some("lunch"));
        assert_eq!(Action::from_message(&one(&m.to_wire())).unwrap(), action);
        let ok = reply("Response: Success\r\nActionID: 8\r\nMessage: Interface paused successfully\r\n\r\n");
        assert!(ok.outcome.is_ok());
        let nf = reply("Response: Error\r\nActionID: 8\r\nMessage: Interface not found\r\n\r\n");
        assert_eq!(nf.outcome, Err(Refusal::InterfaceNotFound));
        // QueuePause without Paused is refused by Asterisk; our reader says which field.
        let bad = one("Action: QueuePause\r\nInterface: PJSIP/1\r\n\r\n");
        assert!(matches!(
            Action::from_message(&bad),
            Err(AmiError::Missing { field: "Paused", .. })
        ));
    }

    #[test]
    fn an_unknown_error_keeps_its_words() {
        let r = reply("Response: Error\r\nActionID: 9\r\nMessage: Permission denied\r\n\r\n");
        assert_eq!(r.outcome, Err(Refusal::Other("Permission denied".into())));
    }

    const QUEUE_STATUS: &str = "Response: Success\r\nActionID: 3\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n\
Event: QueueParams\r\nQueue: support\r\nMax: 0\r\nStrategy: ringall\r\nCalls: 1\r\nHoldtime: 12\r\nTalkTime: 95\r\nCompleted: 4\r\nAbandoned: 1\r\nServiceLevel: 0\r\nServicelevelPerf: 0.0\r\nWeight: 0\r\nActionID: 3\r\n\r\n\
Event: QueueMember\r\nQueue: support\r\nName: Ada Lovelace\r\nLocation: PJSIP/1001\r\nStateInterface: PJSIP/1001\r\nMembership: dynamic\r\nPenalty: 0\r\nCallsTaken: 3\r\nLastCall: 1764720000\r\nLastPause: 0\r\nLoginTime: 1764710000\r\nInCall: 0\r\nStatus: 1\r\nPaused: 1\r\nPausedReason: lunch\r\nWrapuptime: 0\r\nActionID: 3\r\n\r\n\
Event: QueueMember\r\nActionID: 3\r\nStatus: 5\r\nLocation: PJSIP/1002\r\nName: Bob\r\nQueue: support\r\nMembership: static\r\nPaused: 0\r\n\r\n\
Event: QueueEntry\r\nQueue: support\r\nPosition: 1\r\nChannel: PJSIP/trunk-00000001\r\nUniqueid: 1764720100.12\r\nCallerIDNum: +34600000001\r\nCallerIDName: unknown\r\nConnectedLineNum: unknown\r\nConnectedLineName: unknown\r\nWait: 33\r\nPriority: 0\r\nActionID: 3\r\n\r\n\
Event: QueueStatusComplete\r\nActionID: 3\r\nEventList: Complete\r\nListItems: 4\r\n\r\n";

    #[test]
    fn a_queue_status_list() {
        let mut frames = decode_all(QUEUE_STATUS).into_iter().map(|f| match f {
            Ok(Frame::Message(m)) => classify(m).unwrap(),
            other => panic!("{other:?}"),
        });
        let Some(Incoming::Reply(start)) = frames.next() else {
            panic!()
        };
        assert!(start.list_start);
        assert_eq!(start.action_id.as_deref(), Some("3"));
        let mut list = ListCollector::default();
        for f in frames {
            let Incoming::Event { action_id, message, .. } = f else {
                panic!()
            };
            assert_eq!(action_id.as_deref(), Some("3"));
            if list.take(parse_event(&message).unwrap()) {
                break;
            }
        }
        assert!(list.complete);
        let s = list.snapshot;
        assert_eq!(s.params[0].hold_time_secs, 12);
        assert_eq!(s.params[0].talk_time_secs, 95);
        assert_eq!(s.members.len(), 2);
        let ada = &s.members[0];
        assert_eq!(
            (ada.name.as_str(), ada.interface.as_str()),
            ("Ada Lovelace", "PJSIP/1001")
        );
        assert_eq!(ada.status, DeviceState::NotInUse);
        assert!(ada.paused);
        assert_eq!(ada.paused_reason.as_deref(), Some("lunch"));
        assert_eq!(ada.calls_taken, 3);
        // Header order is not fixed and absent counters are zero.
        assert_eq!(s.members[1].status, DeviceState::Unavailable);
        assert_eq!(s.members[1].membership.as_deref(), Some("static"));
        assert_eq!(s.entries[0].caller.number, "+34600000001");
        assert_eq!(s.entries[0].wait_secs, 33);
        assert_eq!(s.entries[0].caller.linkedid, None);
    }

    const MEMBER_FIELDS: &str = "Queue: support\r\nMemberName: Ada\r\nInterface: PJSIP/1001\r\nStateInterface: PJSIP/1001\r\nMembership: dynamic\r\nPenalty: 0\r\nCallsTaken: 2\r\nLastCall: 1764720000\r\nLastPause: 0\r\nLoginTime: 0\r\nInCall: 1\r\nRinginuse: 0\r\nWrapuptime: 0\r\n";

    #[test]
    fn member_events() {
        for (name, status, paused) in [
            ("QueueMemberStatus", 2, 0),
            ("QueueMemberPause", 1, 1),
            ("QueueMemberAdded", 1, 0),
            ("QueueMemberRemoved", 5, 0),
        ] {
            let text = format!(
                "Event: {name}\r\nPrivilege: agent,all\r\n{MEMBER_FIELDS}Status: {status}\r\nPaused: {paused}\r\nPausedReason: {}\r\n\r\n",
                if paused == 1 { "break" } else { "" }
            );
            let e = event(&text);
            let m = match &e {
                Event::QueueMemberStatus(m)
                | Event::QueueMemberPause(m)
                | Event::QueueMemberAdded(m)
                | Event::QueueMemberRemoved(m) => m,
                other => panic!("{other:?}"),
            };
            assert_eq!(e.queue(), Some("support"));
            assert_eq!((m.name.as_str(), m.interface.as_str()), ("Ada", "PJSIP/1001"));
            assert_eq!(m.status.code(), status);
            assert_eq!(m.paused, paused == 1);
            assert_eq!(m.paused_reason.as_deref(), (paused == 1).then_some("break"));
            assert!(m.in_call);
            assert_eq!(m.calls_taken, 2);
            // Our own event messages read back the same.
            assert_eq!(parse_event(&e.to_message(None)).unwrap(), e);
        }
        // Older Asterisk says the pause reason as `Reason`.
        let e = event(&format!(
            "Event: QueueMemberPause\r\n{MEMBER_FIELDS}Status: 1\r\nPaused: 1\r\nReason: lunch\r\n\r\n"
        ));
        let Event::QueueMemberPause(m) = e else { panic!() };
        assert_eq!(m.paused_reason.as_deref(), Some("lunch"));
    }

    #[test]
    fn every_device_state() {
        for (code, state) in DeviceState::ALL.iter().enumerate() {
            let e = event(&format!(
                "Event: QueueMemberStatus\r\n{MEMBER_FIELDS}Status: {code}\r\nPaused: 0\r\n\r\n"
            ));
            let Event::QueueMemberStatus(m) = e else { panic!() };
            assert_eq!(m.status, *state);
        }
        assert!(DeviceState::Ringing.is_ringing() && DeviceState::InUse.is_in_call());
        assert!(DeviceState::Unavailable.is_disconnected() && !DeviceState::NotInUse.is_disconnected());
    }

    const CALLER: &str = "Channel: PJSIP/trunk-00000007\r\nChannelState: 6\r\nChannelStateDesc: Up\r\nCallerIDNum: +34600000002\r\nCallerIDName: Grace\r\nConnectedLineNum: <unknown>\r\nLanguage: en\r\nAccountCode: \r\nContext: queues\r\nExten: 100\r\nPriority: 3\r\nUniqueid: 1764720200.40\r\nLinkedid: 1764720200.39\r\n";

    #[test]
    fn caller_events() {
        let join = event(&format!(
            "Event: QueueCallerJoin\r\nPrivilege: agent,all\r\n{CALLER}Queue: support\r\nPosition: 2\r\nCount: 2\r\n\r\n"
        ));
        let Event::QueueCallerJoin(j) = &join else { panic!() };
        assert_eq!((j.position, j.count), (2, 2));
        assert_eq!(j.caller.number, "+34600000002");
        assert_eq!(j.caller.name.as_deref(), Some("Grace"));
        assert_eq!(j.caller.uniqueid, "1764720200.40");
        assert_eq!(j.caller.linkedid.as_deref(), Some("1764720200.39"));
        assert_eq!(parse_event(&join.to_message(None)).unwrap(), join);

        let leave = event(&format!(
            "Event: QueueCallerLeave\r\n{CALLER}Queue: support\r\nPosition: 1\r\nCount: 0\r\n\r\n"
        ));
        assert!(matches!(&leave, Event::QueueCallerLeave(l) if l.count == 0 && l.position == 1));

        let abandon = event(&format!(
            "Event: QueueCallerAbandon\r\n{CALLER}Queue: support\r\nPosition: 1\r\nOriginalPosition: 2\r\nHoldTime: 41\r\n\r\n"
        ));
        let Event::QueueCallerAbandon(a) = &abandon else {
            panic!()
        };
        assert_eq!((a.original_position, a.hold_time_secs), (2, 41));
        assert_eq!(parse_event(&abandon.to_message(None)).unwrap(), abandon);
    }

    const DEST: &str = "DestChannel: PJSIP/1001-00000008\r\nDestCallerIDNum: 1001\r\nDestUniqueid: 1764720201.41\r\n";

    #[test]
    fn agent_events() {
        let called = event(&format!(
            "Event: AgentCalled\r\n{CALLER}{DEST}Queue: support\r\nInterface: PJSIP/1001\r\nMemberName: Ada\r\n\r\n"
        ));
        let Event::AgentCalled(c) = &called else { panic!() };
        assert_eq!((c.interface.as_str(), c.member_name.as_str()), ("PJSIP/1001", "Ada"));
        assert_eq!(c.caller.number, "+34600000002");
        assert_eq!(c.hold_time_secs, None);

        let connect = event(&format!(
            "Event: AgentConnect\r\n{CALLER}{DEST}Queue: support\r\nInterface: PJSIP/1001\r\nMemberName: Ada\r\nHoldTime: 14\r\nRingTime: 3\r\n\r\n"
        ));
        let Event::AgentConnect(c) = &connect else { panic!() };
        assert_eq!((c.hold_time_secs, c.ring_time_secs), (Some(14), Some(3)));
        assert_eq!(c.caller.linkedid.as_deref(), Some("1764720200.39"));

        let complete = event(&format!(
            "Event: AgentComplete\r\n{CALLER}{DEST}Queue: support\r\nInterface: PJSIP/1001\r\nMemberName: Ada\r\nHoldTime: 14\r\nTalkTime: 182\r\nReason: caller\r\n\r\n"
        ));
        let Event::AgentComplete(c) = &complete else { panic!() };
        assert_eq!((c.talk_time_secs, c.reason.as_deref()), (Some(182), Some("caller")));
        assert_eq!(parse_event(&complete.to_message(None)).unwrap(), complete);

        let rna = event(&format!(
            "Event: AgentRingNoAnswer\r\n{CALLER}{DEST}Queue: support\r\nInterface: PJSIP/1001\r\nMemberName: Ada\r\nRingTime: 15\r\n\r\n"
        ));
        assert!(matches!(rna, Event::AgentRingNoAnswer(c) if c.ring_time_secs == Some(15)));
    }

    #[test]
    fn missing_or_bad_fields_are_typed_errors() {
        let no_iface = one("Event: QueueMemberStatus\r\nQueue: support\r\nMemberName: Ada\r\nStatus: 1\r\n\r\n");
        assert_eq!(
            parse_event(&no_iface),
            Err(AmiError::Missing {
                what: "event QueueMemberStatus".into(),
                field: "Interface"
            })
        );
        let bad_status =
            one("Event: QueueMemberStatus\r\nQueue: q\r\nMemberName: A\r\nInterface: PJSIP/1\r\nStatus: 12\r\n\r\n");
        assert!(matches!(
            parse_event(&bad_status),
            Err(AmiError::Invalid { field: "Status", .. })
        ));
        let bad_hold = one(&format!(
            "Event: AgentConnect\r\n{CALLER}Queue: q\r\nInterface: PJSIP/1\r\nHoldTime: soon\r\n\r\n"
        ));
        assert!(matches!(
            parse_event(&bad_hold),
            Err(AmiError::Invalid { field: "HoldTime", .. })
        ));
        // An event we do not type is not an error.
        assert_eq!(
            parse_event(&one("Event: Newchannel\r\nChannel: X\r\n\r\n")),
            Ok(Event::Other {
                name: "Newchannel".into()
            })
        );
        assert_eq!(classify(one("Foo: bar\r\n\r\n")), Err(AmiError::NotAMessage));
    }

    #[test]
    fn interfaces_from_the_template() {
        assert_eq!(interface_for("PJSIP/{extension}", "1001"), "PJSIP/1001");
        assert_eq!(extension_of("PJSIP/{extension}", "PJSIP/1001").as_deref(), Some("1001"));
        assert_eq!(
            extension_of("Local/{extension}@agents", "Local/12@agents").as_deref(),
            Some("12")
        );
        assert_eq!(extension_of("PJSIP/{extension}", "SIP/1001"), None);
    }
}
