//! What the admins' Simulators page reads: the chat simulator's messages (in-process), telsim's
//! calls (its `GET /telsim/calls` listing, Basic auth) and pbxsim's queues (its control
//! interface's `GET /pbxsim/state`, Bearer secret), each only while that simulator runs here.
use super::sim::Chatsim;
use app::chat::{SimCall, SimChatMessage, SimMember, SimPart, SimQueue};
use app::ports::{BoxFuture, Simulators};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone)]
struct Endpoint {
    url: String,
    user: Option<String>,
    /// Secret: never logged.
    secret: String,
}

pub struct SimulatorsView {
    chat: Option<Arc<Chatsim>>,
    telsim: Mutex<Option<Endpoint>>,
    pbxsim: Mutex<Option<Endpoint>>,
    http: reqwest::Client,
}

impl SimulatorsView {
    pub fn new(chat: Option<Arc<Chatsim>>) -> SimulatorsView {
        SimulatorsView {
            chat,
            telsim: Mutex::new(None),
            pbxsim: Mutex::new(None),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(3))
                .build()
                .unwrap_or_default(),
        }
    }

    /// telsim runs in-process at `base_url` with this account.
    pub fn set_telsim(&self, base_url: &str, account_sid: &str, auth_token: &str) {
        if let Ok(mut t) = self.telsim.lock() {
            *t = Some(Endpoint {
                url: format!("{}/telsim/calls", base_url.trim_end_matches('/')),
                user: Some(account_sid.to_string()),
                secret: auth_token.to_string(),
            });
        }
    }

    /// pbxsim runs in-process with its control interface at `control_url`.
    pub fn set_pbxsim(&self, control_url: &str, secret: &str) {
        if let Ok(mut p) = self.pbxsim.lock() {
            *p = Some(Endpoint {
                url: format!("{}/pbxsim/state", control_url.trim_end_matches('/')),
                user: None,
                secret: secret.to_string(),
            });
        }
    }

    async fn fetch(&self, e: Endpoint) -> Result<Value, String> {
        let req = self.http.get(&e.url);
        let req = match &e.user {
            Some(u) => req.basic_auth(u, Some(&e.secret)),
            None => req.bearer_auth(&e.secret),
        };
        let res = req
            .send()
            .await
            .map_err(|_| "the simulator did not answer".to_string())?;
        if !res.status().is_success() {
            return Err(format!("the simulator answered {}", res.status()));
        }
        res.json()
            .await
            .map_err(|_| "the simulator's answer could not be read".to_string())
    }
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn n(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

/// telsim's listing as the page shows it.
pub fn calls_of(v: &Value) -> Vec<SimCall> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|c| SimCall {
                    sid: s(c, "sid"),
                    to: s(c, "to"),
                    from: s(c, "from"),
                    status: s(c, "status"),
                    created_at: c.get("created_at").and_then(|t| serde_json::from_value(t.clone()).ok()),
                    duration: c.get("duration").and_then(Value::as_u64).map(|d| d as u32),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// pbxsim's state as the page shows it.
pub fn queues_of(v: &Value) -> Vec<SimQueue> {
    let Some(queues) = v.get("queues").and_then(Value::as_object) else {
        return Vec::new();
    };
    queues
        .iter()
        .map(|(name, q)| SimQueue {
            name: name.clone(),
            members: q
                .get("members")
                .and_then(Value::as_array)
                .map(|ms| {
                    ms.iter()
                        .map(|m| SimMember {
                            interface: s(m, "interface"),
                            name: s(m, "name"),
                            status: s(m, "status").replace('_', " "),
                            paused: m.get("paused").and_then(Value::as_bool).unwrap_or(false),
                            reason: m.get("reason").and_then(Value::as_str).map(str::to_string),
                            calls_taken: n(m, "calls_taken"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            waiting: q
                .get("waiting")
                .and_then(Value::as_array)
                .map(|w| w.iter().map(|c| s(c, "number")).collect())
                .unwrap_or_default(),
            completed: n(q, "completed"),
            abandoned: n(q, "abandoned"),
        })
        .collect()
}

impl Simulators for SimulatorsView {
    fn chat(&self) -> BoxFuture<'_, SimPart<Vec<SimChatMessage>>> {
        Box::pin(async move {
            match &self.chat {
                Some(c) => SimPart::Read(c.messages()),
                None => SimPart::NotRunning,
            }
        })
    }

    fn calls(&self) -> BoxFuture<'_, SimPart<Vec<SimCall>>> {
        Box::pin(async move {
            let Some(e) = self.telsim.lock().ok().and_then(|t| t.clone()) else {
                return SimPart::NotRunning;
            };
            match self.fetch(e).await {
                Ok(v) => SimPart::Read(calls_of(&v)),
                Err(e) => SimPart::Unreadable(e),
            }
        })
    }

    fn pbx(&self) -> BoxFuture<'_, SimPart<Vec<SimQueue>>> {
        Box::pin(async move {
            let Some(e) = self.pbxsim.lock().ok().and_then(|t| t.clone()) else {
                return SimPart::NotRunning;
            };
            match self.fetch(e).await {
                Ok(v) => SimPart::Read(queues_of(&v)),
                Err(e) => SimPart::Unreadable(e),
            }
        })
    }
}
