//! `switchboard pbxsim`: a simulated Asterisk that speaks the Manager Interface (AMI) over real
//! TCP, with queues, members, agents' phones and callers, so the queue adapter and the desk run
//! the same code against it as against a real PBX.
//!
//! - AMI: `Login` (a wrong secret answers `Authentication failed` after a short delay, as
//!   Asterisk does), `Logoff`, `Ping`, `QueueAdd`, `QueueRemove`, `QueuePause`, `QueueStatus` (a
//!   list: `QueueParams`, `QueueMember`, `QueueEntry`, `QueueStatusComplete`); logged-in
//!   connections receive the queue and agent events (`QueueMember*`, `QueueCaller*`, `Agent*`).
//! - Phones: every member's phone is registered and answers after `answer_secs`, unless the
//!   control interface takes it off-line or makes it not answer. A call talks `talk_secs`.
//! - Callers arrive at `callers_per_hour` per queue (and when the control interface says so), with
//!   numbers drawn from `numbers`, ring the member idle the longest (Asterisk's `leastrecent`),
//!   move on after `ring_timeout_secs` without answer, and give up after `patience_secs`.
//! - Each ringing call is posted, as a dial plan's `curl --max-time 1` does, to the ringing URL
//!   (`ext`, `phone`, `callid`) with a bearer token.
//! - Control (HTTP, bearer = the AMI secret): `GET /pbxsim/state`, `POST /pbxsim/phones/{ext}`
//!   (`{"registered": bool, "answers": bool}`), `POST /pbxsim/callers` (`{"queue", "number"}`).
//!
//! Times are divided by `speed` (10: a 30 s call lasts 3 s).
use app::queue::rules::ami::{
    self, Action, AgentCall, CallerAbandon, CallerChannel, CallerJoin, CallerLeave, Decoder, DeviceState, Event, Frame,
    Member, Message, QueueEntry, QueueParams, Refusal, Reply,
};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// The version the greeting announces (Asterisk 20's manager).
pub const AMI_VERSION: &str = "9.0.0";

/// Where ringing calls are posted, and the token (scope `pbx`) they carry. Secret: not logged.
#[derive(Clone)]
pub struct RingingTarget {
    pub url: String,
    pub token: String,
}

impl std::fmt::Debug for RingingTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingingTarget")
            .field("url", &self.url)
            .field("token", &"<set>")
            .finish()
    }
}

/// A member configured in the PBX itself (Asterisk's `queues.conf`), not added by an action.
#[derive(Clone, Debug)]
pub struct StaticMember {
    pub queue: String,
    pub interface: String,
    pub name: String,
}

#[derive(Clone)]
pub struct PbxsimConfig {
    pub ami_addr: SocketAddr,
    pub control_addr: SocketAddr,
    pub username: String,
    /// Secret: never logged. Also the control interface's bearer token.
    pub secret: String,
    pub queues: Vec<String>,
    pub static_members: Vec<StaticMember>,
    pub callers_per_hour: f64,
    pub numbers: Vec<String>,
    pub patience_secs: f64,
    pub answer_secs: f64,
    pub talk_secs: f64,
    pub ring_timeout_secs: f64,
    pub speed: f64,
    pub ringing: Option<RingingTarget>,
}

impl std::fmt::Debug for PbxsimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PbxsimConfig")
            .field("ami_addr", &self.ami_addr)
            .field("control_addr", &self.control_addr)
            .field("username", &self.username)
            .field("secret", &"<set>")
            .field("queues", &self.queues)
            .field("callers_per_hour", &self.callers_per_hour)
            .field("speed", &self.speed)
            .field("ringing", &self.ringing)
            .finish()
    }
}

impl PbxsimConfig {
    /// On free local ports, one queue `support`, no callers arriving by themselves.
    pub fn new(username: &str, secret: &str) -> PbxsimConfig {
        PbxsimConfig {
            ami_addr: ([127, 0, 0, 1], 0).into(),
            control_addr: ([127, 0, 0, 1], 0).into(),
            username: username.into(),
            secret: secret.into(),
            queues: vec!["support".into()],
            static_members: Vec::new(),
            callers_per_hour: 0.0,
            numbers: vec!["+34600000001".into()],
            patience_secs: 120.0,
            answer_secs: 3.0,
            talk_secs: 40.0,
            ring_timeout_secs: 15.0,
            speed: 1.0,
            ringing: None,
        }
    }

    /// Refuses settings the simulator cannot run with, naming the option.
    pub fn check(&self) -> Result<(), String> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.speed) {
            return Err("--speed must be a positive number".into());
        }
        if !(self.callers_per_hour.is_finite() && self.callers_per_hour >= 0.0) {
            return Err("--callers-per-hour must be 0 or more".into());
        }
        for (name, v) in [
            ("--patience-secs", self.patience_secs),
            ("--answer-secs", self.answer_secs),
            ("--talk-secs", self.talk_secs),
            ("--ring-timeout-secs", self.ring_timeout_secs),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} must be 0 or more"));
            }
        }
        if self.queues.is_empty() || self.queues.iter().any(|q| q.trim().is_empty()) {
            return Err("--queue: at least one queue, with a name".into());
        }
        if self.numbers.is_empty() || self.numbers.iter().any(|n| n.trim().is_empty()) {
            return Err("--numbers: at least one caller number".into());
        }
        if self.username.trim().is_empty() || self.secret.is_empty() {
            return Err("--username and --secret must not be empty".into());
        }
        Ok(())
    }
}

/// An agent's phone, by its device (the member's state interface, e.g. `PJSIP/202`).
#[derive(Clone, Debug, Serialize)]
struct Phone {
    registered: bool,
    answers: bool,
    /// The caller (uniqueid) it is ringing for or talking to.
    call: Option<String>,
    talking: bool,
}

impl Default for Phone {
    fn default() -> Self {
        Phone {
            registered: true,
            answers: true,
            call: None,
            talking: false,
        }
    }
}

impl Phone {
    fn state(&self) -> DeviceState {
        match (self.registered, &self.call, self.talking) {
            (false, ..) => DeviceState::Unavailable,
            (true, None, _) => DeviceState::NotInUse,
            (true, Some(_), false) => DeviceState::Ringing,
            (true, Some(_), true) => DeviceState::InUse,
        }
    }
}

#[derive(Clone, Debug)]
struct SimMember {
    interface: String,
    name: String,
    state_interface: String,
    membership: &'static str,
    paused: bool,
    reason: Option<String>,
    calls_taken: u32,
    last_call: i64,
    /// When the member last finished a call (or joined): who has been idle longest is rung first.
    idle_since: Instant,
}

impl SimMember {
    fn new(
        interface: &str,
        name: &str,
        state_interface: Option<&str>,
        membership: &'static str,
        paused: bool,
        reason: &Option<String>,
    ) -> SimMember {
        SimMember {
            interface: interface.to_string(),
            name: if name.is_empty() { interface } else { name }.to_string(),
            state_interface: state_interface.unwrap_or(interface).to_string(),
            membership,
            paused,
            reason: if paused { reason.clone() } else { None },
            calls_taken: 0,
            last_call: 0,
            idle_since: Instant::now(),
        }
    }
}

#[derive(Clone, Debug)]
struct Caller {
    channel: CallerChannel,
    joined: Instant,
    original_position: u32,
    /// Interfaces that rang for this caller without answering, in this round.
    tried: Vec<String>,
    ringing: bool,
}

#[derive(Default)]
struct SimQueue {
    members: Vec<SimMember>,
    waiting: Vec<Caller>,
    completed: u32,
    abandoned: u32,
    talk_total: u64,
    hold_total: u64,
}

#[derive(Default, Serialize)]
struct Counters {
    ringing_posted: u64,
    ringing_failed: u64,
    answered: u64,
    abandoned: u64,
}

struct World {
    queues: BTreeMap<String, SimQueue>,
    phones: HashMap<String, Phone>,
    next_id: u64,
    counters: Counters,
}

struct Sim {
    cfg: PbxsimConfig,
    world: Mutex<World>,
    events: broadcast::Sender<Message>,
    http: reqwest::Client,
    started: Instant,
    /// True once the simulator is dropped: open AMI connections close (as when Asterisk stops).
    closed: tokio::sync::watch::Sender<bool>,
}

/// A running simulator; dropping it stops it.
pub struct Pbxsim {
    pub ami_addr: SocketAddr,
    pub control_addr: SocketAddr,
    sim: Arc<Sim>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Pbxsim {
    pub fn control_url(&self) -> String {
        format!("http://{}", self.control_addr)
    }

    /// How the AMI adapter reaches it.
    pub fn ami_config(&self) -> super::ami::AmiConfig {
        super::ami::AmiConfig {
            addr: self.ami_addr,
            username: self.sim.cfg.username.clone(),
            secret: self.sim.cfg.secret.clone(),
        }
    }

    /// What `GET /pbxsim/state` answers.
    pub fn state(&self) -> Value {
        self.sim.state()
    }
}

impl Drop for Pbxsim {
    fn drop(&mut self) {
        self.sim.closed.send_replace(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Sim {
    fn sim_time(&self, secs: f64) -> Duration {
        Duration::from_secs_f64((secs / self.cfg.speed).max(0.0))
    }

    /// Simulated seconds since `t`.
    fn secs_since(&self, t: Instant) -> u32 {
        (t.elapsed().as_secs_f64() * self.cfg.speed) as u32
    }

    fn emit(&self, e: Event) {
        // No listener is not an error: nobody is logged in.
        let _ = self.events.send(e.to_message(None));
    }

    fn member_event(&self, w: &World, queue: &str, m: &SimMember) -> Member {
        let phone = w.phones.get(&m.state_interface).cloned().unwrap_or_default();
        Member {
            queue: queue.to_string(),
            interface: m.interface.clone(),
            name: m.name.clone(),
            state_interface: Some(m.state_interface.clone()),
            membership: Some(m.membership.to_string()),
            status: phone.state(),
            paused: m.paused,
            paused_reason: m.reason.clone(),
            calls_taken: m.calls_taken,
            last_call: m.last_call,
            in_call: phone.talking,
        }
    }

    /// `QueueMemberStatus` for every membership of the device.
    fn device_changed(&self, w: &World, device: &str) {
        for (q, queue) in &w.queues {
            for m in queue.members.iter().filter(|m| m.state_interface == device) {
                self.emit(Event::QueueMemberStatus(self.member_event(w, q, m)));
            }
        }
    }

    fn add_member(&self, w: &mut World, queue: &str, m: SimMember) -> Result<(), Refusal> {
        let q = w.queues.get_mut(queue).ok_or(Refusal::NoSuchQueue)?;
        if q.members.iter().any(|x| x.interface.eq_ignore_ascii_case(&m.interface)) {
            return Err(Refusal::AlreadyThere);
        }
        let state_interface = m.state_interface.clone();
        q.members.push(m.clone());
        w.phones.entry(state_interface).or_default();
        self.emit(Event::QueueMemberAdded(self.member_event(w, queue, &m)));
        Ok(())
    }

    fn act(&self, action: &Action) -> Result<String, Refusal> {
        let mut w = self.world.lock().expect("pbxsim state");
        match action {
            Action::QueueAdd {
                queue,
                interface,
                member_name,
                state_interface,
                paused,
                reason,
            } => {
                let m = SimMember::new(
                    interface,
                    member_name,
                    state_interface.as_deref(),
                    "dynamic",
                    *paused,
                    reason,
                );
                self.add_member(&mut w, queue, m)?;
                Ok("Added interface to queue".into())
            }
            Action::QueueRemove { queue, interface } => {
                let q = w.queues.get_mut(queue).ok_or(Refusal::NoSuchQueue)?;
                let i = q
                    .members
                    .iter()
                    .position(|m| m.interface.eq_ignore_ascii_case(interface))
                    .ok_or(Refusal::NotThere)?;
                let m = q.members.remove(i);
                let ev = self.member_event(&w, queue, &m);
                self.emit(Event::QueueMemberRemoved(ev));
                Ok("Removed interface from queue".into())
            }
            Action::QueuePause {
                queue,
                interface,
                paused,
                reason,
            } => {
                if let Some(q) = queue
                    && !w.queues.contains_key(q)
                {
                    return Err(Refusal::InterfaceNotFound);
                }
                let mut changed = Vec::new();
                for (qname, q) in w.queues.iter_mut() {
                    if queue.as_ref().is_some_and(|x| x != qname) {
                        continue;
                    }
                    for m in q
                        .members
                        .iter_mut()
                        .filter(|m| m.interface.eq_ignore_ascii_case(interface))
                    {
                        m.paused = *paused;
                        m.reason = if *paused { reason.clone() } else { None };
                        changed.push((qname.clone(), m.clone()));
                    }
                }
                if changed.is_empty() {
                    return Err(Refusal::InterfaceNotFound);
                }
                for (q, m) in &changed {
                    self.emit(Event::QueueMemberPause(self.member_event(&w, q, m)));
                }
                Ok(if *paused {
                    "Interface paused successfully".into()
                } else {
                    "Interface unpaused successfully".into()
                })
            }
            Action::Login { .. } | Action::Logoff | Action::Ping | Action::QueueStatus { .. } => {
                Err(Refusal::Other("Invalid/unknown command".into()))
            }
        }
    }

    /// The events of a QueueStatus list (without its ActionID).
    fn status_list(&self, queue: Option<&str>) -> Vec<Event> {
        let w = self.world.lock().expect("pbxsim state");
        let mut out = Vec::new();
        for (name, q) in w.queues.iter().filter(|(n, _)| queue.is_none_or(|x| x == n.as_str())) {
            let done = q.completed.max(1) as u64;
            out.push(Event::QueueParams(QueueParams {
                queue: name.clone(),
                strategy: Some("leastrecent".into()),
                calls: q.waiting.len() as u32,
                hold_time_secs: (q.hold_total / done) as u32,
                talk_time_secs: (q.talk_total / done) as u32,
                completed: q.completed,
                abandoned: q.abandoned,
            }));
            for m in &q.members {
                out.push(Event::QueueMember(self.member_event(&w, name, m)));
            }
            for (i, c) in q.waiting.iter().enumerate() {
                out.push(Event::QueueEntry(QueueEntry {
                    queue: name.clone(),
                    position: i as u32 + 1,
                    caller: c.channel.clone(),
                    wait_secs: self.secs_since(c.joined),
                }));
            }
        }
        out
    }

    /// A caller joins the queue; its uniqueid.
    fn arrive(&self, queue: &str, number: &str) -> Result<String, Refusal> {
        let mut w = self.world.lock().expect("pbxsim state");
        if !w.queues.contains_key(queue) {
            return Err(Refusal::NoSuchQueue);
        }
        w.next_id += 1;
        let n = w.next_id;
        let base = self.started.elapsed().as_secs() + 1_700_000_000;
        let uniqueid = format!("{base}.{n}");
        let channel = CallerChannel {
            channel: format!("PJSIP/trunk-{n:08x}"),
            number: number.to_string(),
            name: None,
            uniqueid: uniqueid.clone(),
            linkedid: None,
        };
        let q = w.queues.get_mut(queue).expect("queue checked");
        q.waiting.push(Caller {
            channel: channel.clone(),
            joined: Instant::now(),
            original_position: q.waiting.len() as u32 + 1,
            tried: Vec::new(),
            ringing: false,
        });
        let count = q.waiting.len() as u32;
        self.emit(Event::QueueCallerJoin(CallerJoin {
            queue: queue.to_string(),
            position: count,
            count,
            caller: channel,
        }));
        Ok(uniqueid)
    }

    /// Removes a waiting caller (answered or gone); `None` if it was not waiting.
    fn leave(&self, w: &mut World, queue: &str, uniqueid: &str) -> Option<(Caller, u32)> {
        let q = w.queues.get_mut(queue)?;
        let i = q.waiting.iter().position(|c| c.channel.uniqueid == uniqueid)?;
        let c = q.waiting.remove(i);
        self.emit(Event::QueueCallerLeave(CallerLeave {
            queue: queue.to_string(),
            position: i as u32 + 1,
            count: q.waiting.len() as u32,
            caller: c.channel.clone(),
        }));
        Some((c, i as u32 + 1))
    }

    /// One round of the queue's work: callers out of patience give up, waiting callers ring the
    /// member idle the longest. Returns the rings started (queue, caller, member) to run.
    fn round(&self) -> Vec<(String, Caller, SimMember)> {
        let mut w = self.world.lock().expect("pbxsim state");
        let patience = Duration::from_secs_f64(self.cfg.patience_secs / self.cfg.speed);
        let names: Vec<String> = w.queues.keys().cloned().collect();
        let mut rings = Vec::new();
        for name in names {
            // Give-ups first.
            let gone: Vec<(String, bool)> = w.queues[&name]
                .waiting
                .iter()
                .filter(|c| c.joined.elapsed() >= patience)
                .map(|c| (c.channel.uniqueid.clone(), c.ringing))
                .collect();
            for (uid, ringing) in gone {
                let Some(i) = w.queues[&name].waiting.iter().position(|c| c.channel.uniqueid == uid) else {
                    continue;
                };
                let position = i as u32 + 1;
                let c = w.queues[&name].waiting[i].clone();
                self.emit(Event::QueueCallerAbandon(CallerAbandon {
                    queue: name.clone(),
                    position,
                    original_position: c.original_position,
                    hold_time_secs: self.secs_since(c.joined),
                    caller: c.channel.clone(),
                }));
                self.leave(&mut w, &name, &uid);
                let q = w.queues.get_mut(&name).expect("queue");
                q.abandoned += 1;
                w.counters.abandoned += 1;
                if ringing {
                    // The phone stops ringing.
                    let devices: Vec<String> = w
                        .phones
                        .iter()
                        .filter(|(_, p)| p.call.as_deref() == Some(uid.as_str()))
                        .map(|(d, _)| d.clone())
                        .collect();
                    for d in devices {
                        if let Some(p) = w.phones.get_mut(&d) {
                            p.call = None;
                        }
                        self.device_changed(&w, &d);
                    }
                }
            }
            // Ring: the first caller not yet ringing, the member idle longest and reachable.
            loop {
                let q = &w.queues[&name];
                let Some(ci) = q.waiting.iter().position(|c| !c.ringing) else {
                    break;
                };
                let caller = &q.waiting[ci];
                let candidate = q
                    .members
                    .iter()
                    .filter(|m| !m.paused && !caller.tried.contains(&m.interface))
                    .filter(|m| {
                        w.phones
                            .get(&m.state_interface)
                            .is_some_and(|p| p.registered && p.call.is_none())
                    })
                    .min_by_key(|m| m.idle_since)
                    .cloned();
                let Some(member) = candidate else {
                    // Everybody tried once: start a new round for this caller later.
                    let all_tried = q.members.iter().all(|m| caller.tried.contains(&m.interface));
                    if all_tried && !q.members.is_empty() {
                        let q = w.queues.get_mut(&name).expect("queue");
                        q.waiting[ci].tried.clear();
                    }
                    break;
                };
                let uid = caller.channel.uniqueid.clone();
                let q = w.queues.get_mut(&name).expect("queue");
                q.waiting[ci].ringing = true;
                let caller = q.waiting[ci].clone();
                if let Some(p) = w.phones.get_mut(&member.state_interface) {
                    p.call = Some(uid);
                }
                self.emit(Event::AgentCalled(AgentCall {
                    queue: name.clone(),
                    interface: member.interface.clone(),
                    member_name: member.name.clone(),
                    caller: caller.channel.clone(),
                    hold_time_secs: None,
                    ring_time_secs: None,
                    talk_time_secs: None,
                    reason: None,
                }));
                self.device_changed(&w, &member.state_interface);
                rings.push((name.clone(), caller, member));
            }
        }
        rings
    }

    /// A member's phone rings for a caller: answered after `answer_secs` (if the phone answers
    /// and stays registered), else no answer after `ring_timeout_secs`; then the talk.
    async fn ring(self: Arc<Self>, queue: String, caller: Caller, member: SimMember) {
        let extension = member
            .state_interface
            .rsplit('/')
            .next()
            .unwrap_or(&member.state_interface)
            .to_string();
        if let Some(target) = self.cfg.ringing.clone() {
            let sim = self.clone();
            let body = json!({"ext": extension, "phone": caller.channel.number, "callid": caller.channel.uniqueid});
            tokio::spawn(async move {
                let res = sim
                    .http
                    .post(&target.url)
                    .bearer_auth(&target.token)
                    .json(&body)
                    .send()
                    .await;
                let ok = matches!(&res, Ok(r) if r.status().is_success());
                if !ok {
                    tracing::warn!(url = %target.url, status = ?res.as_ref().map(|r| r.status()).ok(), "pbxsim: the ringing post failed");
                }
                let mut w = sim.world.lock().expect("pbxsim state");
                if ok {
                    w.counters.ringing_posted += 1;
                } else {
                    w.counters.ringing_failed += 1;
                }
            });
        }
        let rang = Instant::now();
        let answers = {
            let w = self.world.lock().expect("pbxsim state");
            w.phones.get(&member.state_interface).is_some_and(|p| p.answers)
        };
        let wait = if answers && self.cfg.answer_secs < self.cfg.ring_timeout_secs {
            self.cfg.answer_secs
        } else {
            self.cfg.ring_timeout_secs
        };
        tokio::time::sleep(self.sim_time(wait)).await;
        let uid = caller.channel.uniqueid.clone();
        let answered = {
            let mut w = self.world.lock().expect("pbxsim state");
            let still_ringing = w
                .phones
                .get(&member.state_interface)
                .is_some_and(|p| p.registered && p.answers && p.call.as_deref() == Some(uid.as_str()));
            let waiting = w
                .queues
                .get(&queue)
                .is_some_and(|q| q.waiting.iter().any(|c| c.channel.uniqueid == uid));
            if still_ringing && waiting {
                let hold = self.secs_since(caller.joined);
                self.leave(&mut w, &queue, &uid);
                if let Some(p) = w.phones.get_mut(&member.state_interface) {
                    p.talking = true;
                }
                w.counters.answered += 1;
                self.emit(Event::AgentConnect(AgentCall {
                    queue: queue.clone(),
                    interface: member.interface.clone(),
                    member_name: member.name.clone(),
                    caller: caller.channel.clone(),
                    hold_time_secs: Some(hold),
                    ring_time_secs: Some(self.secs_since(rang)),
                    talk_time_secs: None,
                    reason: None,
                }));
                self.device_changed(&w, &member.state_interface);
                Some(hold)
            } else {
                // No answer (or the phone went away, or the caller did): back to waiting.
                if w.phones.get(&member.state_interface).and_then(|p| p.call.as_deref()) == Some(uid.as_str()) {
                    if let Some(p) = w.phones.get_mut(&member.state_interface) {
                        p.call = None;
                    }
                    self.device_changed(&w, &member.state_interface);
                }
                if let Some(c) = w
                    .queues
                    .get_mut(&queue)
                    .and_then(|q| q.waiting.iter_mut().find(|c| c.channel.uniqueid == uid))
                {
                    c.ringing = false;
                    c.tried.push(member.interface.clone());
                    self.emit(Event::AgentRingNoAnswer(AgentCall {
                        queue: queue.clone(),
                        interface: member.interface.clone(),
                        member_name: member.name.clone(),
                        caller: caller.channel.clone(),
                        hold_time_secs: None,
                        ring_time_secs: Some(self.secs_since(rang)),
                        talk_time_secs: None,
                        reason: None,
                    }));
                }
                None
            }
        };
        let Some(hold) = answered else { return };
        tokio::time::sleep(self.sim_time(self.cfg.talk_secs)).await;
        let mut w = self.world.lock().expect("pbxsim state");
        if let Some(p) = w.phones.get_mut(&member.state_interface) {
            p.call = None;
            p.talking = false;
        }
        let talk = self.cfg.talk_secs as u32;
        if let Some(q) = w.queues.get_mut(&queue) {
            q.completed += 1;
            q.talk_total += talk as u64;
            q.hold_total += hold as u64;
            for m in q.members.iter_mut().filter(|m| m.interface == member.interface) {
                m.calls_taken += 1;
                m.last_call = unix_now();
                m.idle_since = Instant::now();
            }
        }
        self.emit(Event::AgentComplete(AgentCall {
            queue: queue.clone(),
            interface: member.interface.clone(),
            member_name: member.name.clone(),
            caller: caller.channel.clone(),
            hold_time_secs: Some(hold),
            ring_time_secs: None,
            talk_time_secs: Some(talk),
            reason: Some("caller".into()),
        }));
        self.device_changed(&w, &member.state_interface);
    }

    fn set_phone(&self, extension: &str, registered: Option<bool>, answers: Option<bool>) -> Vec<String> {
        let mut w = self.world.lock().expect("pbxsim state");
        let devices: Vec<String> = w
            .phones
            .keys()
            .filter(|d| d.rsplit('/').next() == Some(extension))
            .cloned()
            .collect();
        for d in &devices {
            let p = w.phones.get_mut(d).expect("phone");
            if let Some(r) = registered {
                p.registered = r;
                if !r && !p.talking {
                    p.call = None;
                }
            }
            if let Some(a) = answers {
                p.answers = a;
            }
            self.device_changed(&w, d);
        }
        devices
    }

    fn state(&self) -> Value {
        let w = self.world.lock().expect("pbxsim state");
        let queues: serde_json::Map<String, Value> = w
            .queues
            .iter()
            .map(|(name, q)| {
                let members: Vec<Value> = q
                    .members
                    .iter()
                    .map(|m| {
                        let e = self.member_event(&w, name, m);
                        json!({"interface": e.interface, "name": e.name, "state_interface": e.state_interface,
                               "membership": e.membership, "status": e.status, "paused": e.paused,
                               "reason": e.paused_reason, "calls_taken": e.calls_taken})
                    })
                    .collect();
                let waiting: Vec<Value> = q
                    .waiting
                    .iter()
                    .map(|c| {
                        json!({"number": c.channel.number, "uniqueid": c.channel.uniqueid,
                                    "wait_secs": self.secs_since(c.joined), "ringing": c.ringing})
                    })
                    .collect();
                (
                    name.clone(),
                    json!({"members": members, "waiting": waiting, "completed": q.completed, "abandoned": q.abandoned}),
                )
            })
            .collect();
        let phones: serde_json::Map<String, Value> = w
            .phones
            .iter()
            .map(|(d, p)| {
                (
                    d.clone(),
                    json!({"registered": p.registered, "answers": p.answers, "state": p.state()}),
                )
            })
            .collect();
        json!({"queues": queues, "phones": phones, "counters": w.counters})
    }
}

/// Starts the simulator (port 0: any free port) with its AMI listener, control interface,
/// callers and queue rounds.
pub async fn spawn(cfg: PbxsimConfig) -> std::io::Result<Pbxsim> {
    cfg.check().map_err(std::io::Error::other)?;
    let ami = TcpListener::bind(cfg.ami_addr).await?;
    let control = TcpListener::bind(cfg.control_addr).await?;
    let ami_addr = ami.local_addr()?;
    let control_addr = control.local_addr()?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .map_err(std::io::Error::other)?;
    let mut world = World {
        queues: cfg.queues.iter().map(|q| (q.clone(), SimQueue::default())).collect(),
        phones: HashMap::new(),
        next_id: 0,
        counters: Counters::default(),
    };
    for m in &cfg.static_members {
        let q = world.queues.entry(m.queue.clone()).or_default();
        q.members
            .push(SimMember::new(&m.interface, &m.name, None, "static", false, &None));
        world.phones.entry(m.interface.clone()).or_default();
    }
    let (events, _) = broadcast::channel(4096);
    let sim = Arc::new(Sim {
        cfg,
        world: Mutex::new(world),
        events,
        http,
        started: Instant::now(),
        closed: tokio::sync::watch::channel(false).0,
    });
    let mut tasks = Vec::new();
    let s = sim.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            match ami.accept().await {
                Ok((tcp, _)) => {
                    let _ = tcp.set_nodelay(true);
                    tokio::spawn(connection(s.clone(), tcp));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pbxsim: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }));
    let s = sim.clone();
    tasks.push(tokio::spawn(async move {
        // The queue's rounds: a tenth of a simulated second, at most every 20 ms.
        let tick = s.sim_time(0.1).max(Duration::from_millis(20));
        loop {
            for (q, c, m) in s.round() {
                tokio::spawn(s.clone().ring(q, c, m));
            }
            tokio::time::sleep(tick).await;
        }
    }));
    if sim.cfg.callers_per_hour > 0.0 {
        for queue in sim.cfg.queues.clone() {
            let s = sim.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    // Poisson arrivals: exponential gaps with the configured mean.
                    let u: f64 = rand::random::<f64>().max(1e-9);
                    let gap = -u.ln() * 3600.0 / s.cfg.callers_per_hour;
                    tokio::time::sleep(s.sim_time(gap)).await;
                    let number = s.cfg.numbers[rand::random::<u32>() as usize % s.cfg.numbers.len()].clone();
                    let _ = s.arrive(&queue, &number);
                }
            }));
        }
    }
    let router = Router::new()
        .route("/pbxsim/state", get(control_state))
        .route("/pbxsim/phones/{ext}", post(control_phone))
        .route("/pbxsim/callers", post(control_caller))
        .route("/pbxsim/members", post(control_member))
        .with_state(sim.clone());
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(control, router).await {
            tracing::error!(error = %e, "pbxsim control stopped");
        }
    }));
    tracing::info!(%ami_addr, %control_addr, "pbxsim listening");
    Ok(Pbxsim {
        ami_addr,
        control_addr,
        sim,
        tasks,
    })
}

/// One AMI connection: greeting, actions in, replies and (once logged in) events out.
async fn connection(sim: Arc<Sim>, tcp: TcpStream) {
    let (mut rd, mut wr) = tcp.into_split();
    if wr.write_all(ami::greeting(AMI_VERSION).as_bytes()).await.is_err() {
        return;
    }
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        while let Some(s) = out_rx.recv().await {
            if wr.write_all(s.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut decoder = Decoder::new();
    let mut buf = vec![0u8; 8192];
    let mut events: Option<tokio::task::JoinHandle<()>> = None;
    let mut closed = sim.closed.subscribe();
    'read: loop {
        let n = tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = closed.wait_for(|c| *c) => break,
        };
        decoder.push(&buf[..n]);
        while let Some(frame) = decoder.next_frame() {
            let m = match frame {
                Ok(Frame::Message(m)) => m,
                Ok(Frame::Greeting(_)) => continue,
                Err(e) => {
                    let _ = out_tx.send(Reply::error("", &e.to_string()).to_wire());
                    continue;
                }
            };
            let id = m.action_id().unwrap_or("").to_string();
            let action = match Action::from_message(&m) {
                Ok(a) => a,
                Err(e) => {
                    let text = match m.get("Action") {
                        None => "Missing action in request".to_string(),
                        Some(_) if matches!(e, ami::AmiError::Invalid { field: "Action", .. }) => {
                            "Invalid/unknown command".to_string()
                        }
                        Some(_) => e.to_string(),
                    };
                    let _ = out_tx.send(Reply::error(&id, &text).to_wire());
                    continue;
                }
            };
            let logged_in = events.is_some();
            match &action {
                Action::Login { username, secret } => {
                    let ok = constant_time_eq(username.as_bytes(), sim.cfg.username.as_bytes())
                        && constant_time_eq(secret.as_bytes(), sim.cfg.secret.as_bytes());
                    if !ok {
                        // Asterisk slows down failed logins.
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        let text = Refusal::AuthenticationFailed.asterisk_text("Login");
                        let _ = out_tx.send(Reply::error(&id, &text).to_wire());
                        continue;
                    }
                    let _ = out_tx.send(Reply::success(&id, "Authentication accepted").to_wire());
                    if events.is_none() {
                        let mut rx = sim.events.subscribe();
                        let tx = out_tx.clone();
                        events = Some(tokio::spawn(async move {
                            loop {
                                match rx.recv().await {
                                    Ok(m) => {
                                        if tx.send(m.to_wire()).is_err() {
                                            break;
                                        }
                                    }
                                    Err(broadcast::error::RecvError::Lagged(n)) => {
                                        tracing::warn!(missed = n, "pbxsim: a slow AMI client missed events");
                                    }
                                    Err(broadcast::error::RecvError::Closed) => break,
                                }
                            }
                        }));
                        let booted = Message::new()
                            .with("Event", "FullyBooted")
                            .with("Privilege", "system,all")
                            .with("Status", "Fully Booted");
                        let _ = out_tx.send(booted.to_wire());
                    }
                }
                _ if !logged_in => {
                    let _ = out_tx.send(Reply::error(&id, "Permission denied").to_wire());
                }
                Action::Logoff => {
                    let bye = Message::new()
                        .with("Response", "Goodbye")
                        .with("ActionID", &id)
                        .with("Message", "Thanks for all the fish.");
                    let _ = out_tx.send(bye.to_wire());
                    break 'read;
                }
                Action::Ping => {
                    let pong = Message::new()
                        .with("Response", "Success")
                        .with("ActionID", &id)
                        .with("Ping", "Pong")
                        .with(
                            "Timestamp",
                            format!("{:.6}", chrono::Utc::now().timestamp_micros() as f64 / 1e6),
                        );
                    let _ = out_tx.send(pong.to_wire());
                }
                Action::QueueStatus { queue } => {
                    let list = sim.status_list(queue.as_deref());
                    let mut s = Reply::list_start(&id, "Queue status will follow").to_wire();
                    for e in &list {
                        s.push_str(&e.to_message(Some(&id)).to_wire());
                    }
                    let done = Message::new()
                        .with("Event", "QueueStatusComplete")
                        .with("ActionID", &id)
                        .with("EventList", "Complete")
                        .with("ListItems", list.len());
                    s.push_str(&done.to_wire());
                    let _ = out_tx.send(s);
                }
                other => {
                    let reply = match sim.act(other) {
                        Ok(text) => Reply::success(&id, &text),
                        Err(r) => Reply::error(&id, &r.asterisk_text(other.name())),
                    };
                    let _ = out_tx.send(reply.to_wire());
                }
            }
        }
    }
    if let Some(e) = events {
        e.abort();
    }
    drop(out_tx);
    let _ = writer.await;
}

/// `None` when the request carries the control token, else the 401 to answer.
fn refused(sim: &Sim, headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.as_bytes(), sim.cfg.secret.as_bytes()) {
        None
    } else {
        Some((
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "unauthorized", "message": "pbxsim's control needs `Authorization: Bearer <AMI secret>`"})),
        )
            .into_response())
    }
}

fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid", "message": message.into()})),
    )
        .into_response()
}

async fn control_state(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Some(r) = refused(&sim, &headers) {
        return r;
    }
    Json(sim.state()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneChange {
    registered: Option<bool>,
    answers: Option<bool>,
}

async fn control_phone(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(ext): Path<String>,
    body: Result<Json<PhoneChange>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(r) = refused(&sim, &headers) {
        return r;
    }
    let Ok(Json(change)) = body else {
        return bad("expected JSON {\"registered\": bool, \"answers\": bool}");
    };
    let devices = sim.set_phone(&ext, change.registered, change.answers);
    if devices.is_empty() {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_found", "message": format!("no phone with extension {ext} in any queue")})),
        )
            .into_response();
    }
    Json(json!({"devices": devices})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCaller {
    queue: String,
    number: String,
}

async fn control_caller(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Result<Json<NewCaller>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(r) = refused(&sim, &headers) {
        return r;
    }
    let Ok(Json(c)) = body else {
        return bad("expected JSON {\"queue\": text, \"number\": text}");
    };
    if c.number.trim().is_empty() || c.number.len() > 32 {
        return bad("number: a caller number of 1 to 32 characters");
    }
    match sim.arrive(&c.queue, c.number.trim()) {
        Ok(uid) => (StatusCode::CREATED, Json(json!({"uniqueid": uid}))).into_response(),
        Err(_) => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_found", "message": format!("no queue named {}", c.queue)})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMember {
    queue: String,
    interface: String,
    name: String,
}

/// A member configured in the PBX itself (as `queues.conf` would), not by Switchboard.
async fn control_member(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Result<Json<NewMember>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(r) = refused(&sim, &headers) {
        return r;
    }
    let Ok(Json(m)) = body else {
        return bad("expected JSON {\"queue\": text, \"interface\": text, \"name\": text}");
    };
    if m.interface.trim().is_empty() || m.interface.len() > 120 || !m.interface.contains('/') {
        return bad("interface: a device such as PJSIP/202");
    }
    let mut w = sim.world.lock().expect("pbxsim state");
    let member = SimMember::new(m.interface.trim(), m.name.trim(), None, "static", false, &None);
    match sim.add_member(&mut w, &m.queue, member) {
        Ok(()) => (StatusCode::CREATED, Json(json!({"interface": m.interface.trim()}))).into_response(),
        Err(Refusal::AlreadyThere) => (
            StatusCode::CONFLICT,
            Json(json!({"error": "conflict", "message": "that member is already in the queue"})),
        )
            .into_response(),
        Err(_) => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_found", "message": format!("no queue named {}", m.queue)})),
        )
            .into_response(),
    }
}

/// `switchboard pbxsim` options.
#[derive(Debug, Clone, clap::Args)]
pub struct PbxsimArgs {
    /// Where the AMI listens.
    #[arg(long, default_value = "127.0.0.1:5038")]
    pub ami_addr: SocketAddr,
    /// Where the control interface listens (HTTP).
    #[arg(long, default_value = "127.0.0.1:5039")]
    pub control_addr: SocketAddr,
    #[arg(long, default_value = "switchboard")]
    pub username: String,
    /// The AMI secret (also the control interface's bearer token).
    #[arg(long, env = "SWITCHBOARD_PBXSIM_SECRET", hide_env_values = true)]
    pub secret: String,
    /// Queues (repeat or separate with commas).
    #[arg(long = "queue", value_delimiter = ',', default_value = "support")]
    pub queues: Vec<String>,
    /// Static members, `queue:interface:name` (repeat).
    #[arg(long = "member")]
    pub members: Vec<String>,
    /// Callers arriving per hour in each queue (0: only those the control interface sends).
    #[arg(long, default_value_t = 0.0)]
    pub callers_per_hour: f64,
    /// The numbers callers call from (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "+34600000001")]
    pub numbers: Vec<String>,
    #[arg(long, default_value_t = 120.0)]
    pub patience_secs: f64,
    #[arg(long, default_value_t = 3.0)]
    pub answer_secs: f64,
    #[arg(long, default_value_t = 40.0)]
    pub talk_secs: f64,
    #[arg(long, default_value_t = 15.0)]
    pub ring_timeout_secs: f64,
    /// Time runs this many times faster.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Switchboard's ringing endpoint, e.g. http://127.0.0.1:3000/api/pbx/ringing.
    #[arg(long)]
    pub ringing_url: Option<String>,
    /// A token with the `pbx` scope for the ringing endpoint.
    #[arg(long, env = "SWITCHBOARD_PBXSIM_RINGING_TOKEN", hide_env_values = true)]
    pub ringing_token: Option<String>,
}

impl PbxsimArgs {
    pub fn config(&self) -> Result<PbxsimConfig, String> {
        let static_members = self
            .members
            .iter()
            .map(|m| match m.splitn(3, ':').collect::<Vec<_>>()[..] {
                [q, i, n] if !q.is_empty() && !i.is_empty() => Ok(StaticMember {
                    queue: q.into(),
                    interface: i.into(),
                    name: n.into(),
                }),
                _ => Err(format!("--member {m:?}: expected queue:interface:name")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ringing = match (&self.ringing_url, &self.ringing_token) {
            (Some(url), Some(token)) => Some(RingingTarget {
                url: url.clone(),
                token: token.clone(),
            }),
            (None, None) => None,
            _ => return Err("--ringing-url and --ringing-token go together".into()),
        };
        let cfg = PbxsimConfig {
            ami_addr: self.ami_addr,
            control_addr: self.control_addr,
            username: self.username.clone(),
            secret: self.secret.clone(),
            queues: self.queues.clone(),
            static_members,
            callers_per_hour: self.callers_per_hour,
            numbers: self.numbers.clone(),
            patience_secs: self.patience_secs,
            answer_secs: self.answer_secs,
            talk_secs: self.talk_secs,
            ring_timeout_secs: self.ring_timeout_secs,
            speed: self.speed,
            ringing,
        };
        cfg.check()?;
        Ok(cfg)
    }
}

/// Runs `switchboard pbxsim` until `shutdown` resolves.
pub async fn run(args: PbxsimArgs, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let cfg = args.config().map_err(std::io::Error::other)?;
    let sim = spawn(cfg.clone()).await?;
    println!();
    println!(
        "  pbxsim (simulated Asterisk) AMI at {} (user {}); control at {}",
        sim.ami_addr,
        cfg.username,
        sim.control_url()
    );
    println!(
        "  queues {} · callers {}/h · speed ×{} · ringing posts to {}",
        cfg.queues.join(", "),
        cfg.callers_per_hour,
        cfg.speed,
        cfg.ringing.as_ref().map_or("nowhere", |r| r.url.as_str())
    );
    println!();
    shutdown.await;
    drop(sim);
    Ok(())
}
