//! pbxsim, the simulated Asterisk, over real TCP with the AMI codec: login, the queue actions
//! and their refusals, the QueueStatus list, events to logged-in clients, callers ringing the
//! member idle the longest (posted to the desk's ringing endpoint as a dial plan does), phones
//! off-line, callers giving up, and the control interface's token.
use crate::common::*;
use app::queue::rules::ami::{
    self, Action, DeviceState, Event, Frame, Incoming, ListCollector, Message, Refusal, classify, parse_event,
};
use serde_json::{Value, json};
use server::pbx::sim::{self, Pbxsim, PbxsimConfig, RingingTarget};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "pbxsim-test-secret";

/// A minimal AMI client: sends actions, reads messages in order.
struct Ami {
    tcp: TcpStream,
    decoder: ami::Decoder,
    queued: VecDeque<Message>,
    next: u32,
}

impl Ami {
    async fn connect(sim: &Pbxsim) -> (Ami, String) {
        let tcp = TcpStream::connect(sim.ami_addr).await.expect("connect to pbxsim");
        let mut ami = Ami {
            tcp,
            decoder: ami::Decoder::new(),
            queued: VecDeque::new(),
            next: 0,
        };
        let greeting = loop {
            match ami.frame().await {
                Frame::Greeting(v) => break v,
                Frame::Message(m) => ami.queued.push_back(m),
            }
        };
        (ami, greeting)
    }

    async fn frame(&mut self) -> Frame {
        loop {
            if let Some(f) = self.decoder.next_frame() {
                return f.expect("a well-formed frame");
            }
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout(HANG_GUARD, self.tcp.read(&mut buf))
                .await
                .expect("pbxsim answers in time")
                .expect("read");
            assert!(n > 0, "pbxsim closed the connection");
            self.decoder.push(&buf[..n]);
        }
    }

    async fn message(&mut self) -> Message {
        if let Some(m) = self.queued.pop_front() {
            return m;
        }
        loop {
            if let Frame::Message(m) = self.frame().await {
                return m;
            }
        }
    }

    async fn send(&mut self, action: &Action) -> String {
        self.next += 1;
        let id = format!("t{}", self.next);
        self.tcp
            .write_all(action.to_message(&id).to_wire().as_bytes())
            .await
            .expect("write");
        id
    }

    /// Sends an action and waits for its reply; events seen meanwhile are kept for `event`.
    async fn call(&mut self, action: &Action) -> Result<Option<String>, Refusal> {
        let id = self.send(action).await;
        let mut skipped = Vec::new();
        let reply = loop {
            let m = self.message().await;
            match classify(m.clone()).expect("a response or an event") {
                Incoming::Reply(r) if r.action_id.as_deref() == Some(id.as_str()) => break r.outcome,
                _ => skipped.push(m),
            }
        };
        for m in skipped.into_iter().rev() {
            self.queued.push_front(m);
        }
        reply
    }

    /// The next event matching `want`, skipping others.
    async fn event(&mut self, want: impl Fn(&Event) -> bool) -> Event {
        loop {
            let m = self.message().await;
            if m.get("Event").is_some() {
                let e = parse_event(&m).expect("a typed event");
                if want(&e) {
                    return e;
                }
            }
        }
    }

    async fn login(&mut self) {
        let login = Action::Login {
            username: "switchboard".into(),
            secret: SECRET.into(),
        };
        assert_eq!(self.call(&login).await, Ok(Some("Authentication accepted".into())));
    }

    async fn add(&mut self, interface: &str, name: &str) -> Result<Option<String>, Refusal> {
        self.call(&Action::QueueAdd {
            queue: "support".into(),
            interface: interface.into(),
            member_name: name.into(),
            state_interface: None,
            paused: false,
            reason: None,
        })
        .await
    }
}

fn config() -> PbxsimConfig {
    crate::common::pbx::config(SECRET, 20.0)
}

async fn control(sim: &Pbxsim, path: &str, body: Value, token: &str) -> (reqwest::StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", sim.control_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("control POST");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn pbxsim_speaks_ami_login_queue_actions_and_the_status_list() {
    let sim = sim::spawn(config()).await.expect("pbxsim");
    let (mut ami, greeting) = Ami::connect(&sim).await;
    assert_eq!(greeting, sim::AMI_VERSION);

    // Nothing before a login; a wrong secret is refused.
    assert_eq!(
        ami.call(&Action::QueueStatus { queue: None }).await,
        Err(Refusal::Other("Permission denied".into()))
    );
    let wrong = Action::Login {
        username: "switchboard".into(),
        secret: "nope".into(),
    };
    assert_eq!(ami.call(&wrong).await, Err(Refusal::AuthenticationFailed));
    ami.login().await;

    assert_eq!(
        ami.add("PJSIP/202", "Alex").await,
        Ok(Some("Added interface to queue".into()))
    );
    match ami.event(|e| matches!(e, Event::QueueMemberAdded(_))).await {
        Event::QueueMemberAdded(m) => {
            assert_eq!((m.interface.as_str(), m.name.as_str()), ("PJSIP/202", "Alex"));
            assert_eq!(m.status, DeviceState::NotInUse);
            assert_eq!(m.membership.as_deref(), Some("dynamic"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ami.add("PJSIP/202", "Alex").await, Err(Refusal::AlreadyThere));
    let elsewhere = Action::QueueAdd {
        queue: "sales".into(),
        interface: "PJSIP/202".into(),
        member_name: "Alex".into(),
        state_interface: None,
        paused: false,
        reason: None,
    };
    assert_eq!(ami.call(&elsewhere).await, Err(Refusal::NoSuchQueue));

    let pause = Action::QueuePause {
        queue: Some("support".into()),
        interface: "PJSIP/202".into(),
        paused: true,
        reason: Some("lunch".into()),
    };
    assert!(ami.call(&pause).await.is_ok());
    match ami.event(|e| matches!(e, Event::QueueMemberPause(_))).await {
        Event::QueueMemberPause(m) => {
            assert!(m.paused);
            assert_eq!(m.paused_reason.as_deref(), Some("lunch"));
        }
        other => panic!("{other:?}"),
    }

    let id = ami.send(&Action::QueueStatus { queue: None }).await;
    let mut list = ListCollector::default();
    let mut started = false;
    while !list.complete {
        let m = ami.message().await;
        if m.action_id() != Some(id.as_str()) {
            continue;
        }
        match classify(m.clone()).expect("classify") {
            Incoming::Reply(r) => {
                assert!(r.list_start && r.outcome.is_ok(), "{r:?}");
                started = true;
            }
            Incoming::Event { message, .. } => {
                list.take(parse_event(&message).expect("list event"));
            }
        }
    }
    assert!(started, "the list starts with EventList: start");
    assert_eq!(list.snapshot.params.len(), 1);
    assert_eq!(list.snapshot.params[0].queue, "support");
    assert_eq!(list.snapshot.members.len(), 1);
    let m = &list.snapshot.members[0];
    assert_eq!((m.interface.as_str(), m.paused), ("PJSIP/202", true));
    assert!(list.snapshot.entries.is_empty());

    let remove = Action::QueueRemove {
        queue: "support".into(),
        interface: "PJSIP/202".into(),
    };
    assert!(ami.call(&remove).await.is_ok());
    assert_eq!(ami.call(&remove).await, Err(Refusal::NotThere));
    let unpause_gone = Action::QueuePause {
        queue: None,
        interface: "PJSIP/202".into(),
        paused: false,
        reason: None,
    };
    assert_eq!(ami.call(&unpause_gone).await, Err(Refusal::InterfaceNotFound));
}

#[tokio::test]
async fn a_caller_rings_the_member_idle_longest_and_the_desk_records_the_call() {
    let app = TestApp::spawn().await;
    app.user("alex", &[Role::Agent]).await;
    let uid: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'alex'")
        .fetch_one(&app.db)
        .await
        .expect("alex");
    sqlx::query("INSERT INTO people (handle, full_name, extension, user_id) VALUES ('alex', 'Alex', '202', $1)")
        .bind(uid)
        .execute(&app.db)
        .await
        .expect("person");
    let token = app.token("pbx", &[Scope::Pbx]).await;
    let mut cfg = config();
    cfg.ringing = Some(RingingTarget {
        url: format!("{}/api/pbx/ringing", app.url),
        token,
    });
    let sim = sim::spawn(cfg).await.expect("pbxsim");
    let (mut ami, _) = Ami::connect(&sim).await;
    ami.login().await;
    assert!(ami.add("PJSIP/202", "Alex").await.is_ok());

    let (status, body) = control(
        &sim,
        "/pbxsim/callers",
        json!({"queue": "support", "number": "612345678"}),
        SECRET,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let caller = body["uniqueid"].as_str().expect("uniqueid").to_string();

    match ami.event(|e| matches!(e, Event::QueueCallerJoin(_))).await {
        Event::QueueCallerJoin(j) => assert_eq!(j.caller.uniqueid, caller),
        other => panic!("{other:?}"),
    }
    match ami.event(|e| matches!(e, Event::AgentCalled(_))).await {
        Event::AgentCalled(a) => {
            assert_eq!(
                (a.interface.as_str(), a.caller.number.as_str()),
                ("PJSIP/202", "612345678")
            );
        }
        other => panic!("{other:?}"),
    }
    match ami.event(|e| matches!(e, Event::AgentConnect(_))).await {
        Event::AgentConnect(a) => {
            assert_eq!(a.caller.uniqueid, caller);
            assert!(a.hold_time_secs.is_some());
        }
        other => panic!("{other:?}"),
    }
    match ami.event(|e| matches!(e, Event::AgentComplete(_))).await {
        Event::AgentComplete(a) => {
            assert_eq!(a.talk_time_secs, Some(40));
            assert_eq!(a.reason.as_deref(), Some("caller"));
        }
        other => panic!("{other:?}"),
    }

    // The dial plan's post reached the desk: the call is recorded for alex, in E.164.
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    let row: (String, String, Option<String>, Option<i64>) = loop {
        let row =
            sqlx::query_as("SELECT extension, phone, pbx_call_id, user_id FROM desk_calls WHERE pbx_call_id = $1")
                .bind(&caller)
                .fetch_optional(&app.db)
                .await
                .expect("desk calls");
        if let Some(r) = row {
            break r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ringing call never reached the desk"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        row,
        ("202".into(), "+34612345678".into(), Some(caller.clone()), Some(uid))
    );
    let state = sim.state();
    assert_eq!(state["queues"]["support"]["completed"], 1);
    assert_eq!(state["queues"]["support"]["members"][0]["calls_taken"], 1);
}

#[tokio::test]
async fn an_offline_phone_is_not_rung_and_a_caller_out_of_patience_gives_up() {
    let mut cfg = config();
    cfg.patience_secs = 10.0;
    let sim = sim::spawn(cfg).await.expect("pbxsim");
    let (mut ami, _) = Ami::connect(&sim).await;
    ami.login().await;
    assert!(ami.add("PJSIP/203", "Blai").await.is_ok());

    // The control interface wants the secret.
    let (status, _) = control(&sim, "/pbxsim/phones/203", json!({"registered": false}), "wrong").await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    let (status, _) = control(&sim, "/pbxsim/phones/999", json!({"registered": false}), SECRET).await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    let (status, _) = control(&sim, "/pbxsim/phones/203", json!({"registered": "no"}), SECRET).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);

    let (status, _) = control(&sim, "/pbxsim/phones/203", json!({"registered": false}), SECRET).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    match ami.event(|e| matches!(e, Event::QueueMemberStatus(_))).await {
        Event::QueueMemberStatus(m) => {
            assert_eq!(m.status, DeviceState::Unavailable);
            assert!(m.status.is_disconnected());
        }
        other => panic!("{other:?}"),
    }
    let (status, _) = control(
        &sim,
        "/pbxsim/callers",
        json!({"queue": "nowhere", "number": "600"}),
        SECRET,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    let (status, _) = control(
        &sim,
        "/pbxsim/callers",
        json!({"queue": "support", "number": "600111222"}),
        SECRET,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);

    // Nobody can take the call: the caller gives up, and no phone rang.
    let seen = ami
        .event(|e| matches!(e, Event::QueueCallerAbandon(_) | Event::AgentCalled(_)))
        .await;
    match seen {
        Event::QueueCallerAbandon(a) => {
            assert_eq!(a.caller.number, "600111222");
            assert!(a.hold_time_secs >= 10, "{a:?}");
        }
        other => panic!("an off-line phone was rung: {other:?}"),
    }
    let state = sim.state();
    assert_eq!(state["queues"]["support"]["abandoned"], 1);
    assert_eq!(state["queues"]["support"]["waiting"], json!([]));
}
