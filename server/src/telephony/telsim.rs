//! `switchboard telsim`: a simulated telephony provider that speaks the Twilio REST dialect, a
//! real HTTP server on its own port, for the demo and the tests.
//!
//! It implements, with Basic auth (account sid : auth token; 401 with a Twilio-style JSON error
//! otherwise):
//! - `POST /2010-04-01/Accounts/{sid}/Calls.json` — `To` (E.164), `From`, `Url` (+ `Method`,
//!   default `POST`) or `Twiml`, `StatusCallback` (+ `StatusCallbackMethod`, default `POST`).
//!   Errors are `400 {code, message, more_info, status}`: 21201 no `To`, 21211 `To` not E.164,
//!   21213 no `From`, 21205 neither `Url` nor `Twiml`, 21215 the number is refused (fate 9);
//! - `GET /2010-04-01/Accounts/{sid}/Calls.json` — the list of calls, newest first, filtered by
//!   `To`, `From` and `StartTime>=` (a day `YYYY-MM-DD` or an RFC 3339 time, compared with the
//!   call's creation), in pages (`PageSize`, default 50, at most 1000; `Page` from 0) shaped as
//!   Twilio's: `{calls, page, page_size, start, end, uri, first_page_uri, next_page_uri,
//!   previous_page_uri}`;
//! - `GET /2010-04-01/Accounts/{sid}/Calls/{CallSid}.json` — the call resource;
//! - `POST /2010-04-01/Accounts/{sid}/Calls/{CallSid}.json` with `Status=completed` (or
//!   `canceled`): a queued or ringing call becomes `canceled`, a call in progress `completed`;
//! - `GET /telsim/calls` — a debug listing of every call with its status history and the time
//!   its create request arrived (`created_at`), in the order they arrived.
//!
//! Each call's fate comes from the last digit of `To` (times are simulated seconds, divided by
//! `--speed`; "1–3 s" and "5–20 s" are fixed per number, from a hash of it):
//!
//! | last digit | what happens |
//! |---|---|
//! | 0–4 | ringing, answered after 1–3 s (`in-progress`), talks 5–20 s, `completed` |
//! | 5   | `busy` after 1 s |
//! | 6   | ringing, `no-answer` after 20 s |
//! | 7   | `failed` after 1 s |
//! | 8   | ringing, answered after 10 s, talks 5–20 s, `completed` |
//! | 9   | refused at create time: HTTP 400, code 21215 |
//!
//! Status callbacks (`queued`, `ringing`, `in-progress`, then `completed` or the failure status)
//! are posted in order, form-encoded and signed with `X-Twilio-Signature`, with `CallSid`,
//! `CallStatus`, `CallDuration` (final statuses), `To`, `From`, `AccountSid`, `ApiVersion`,
//! `Direction=outbound-api`, `Timestamp` and `SequenceNumber`; a failed delivery is retried a few
//! times. When a call is answered its `Url` is fetched (with `Method`, signed, body ignored).
//!
//! Limits as Somleng enforces them: with `--cps` and/or `--max-concurrent`, calls over the limit
//! are accepted (`201`, `queued`) and dialled later, in order, never refused.
use crate::telephony::signature;
use app::callouts::rules::calls::ProviderStatus;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

pub const API_VERSION: &str = "2010-04-01";
/// The demo's account sid and token (`switchboard telsim` without options).
pub const DEFAULT_ACCOUNT_SID: &str = "AC00000000000000000000000000000000";
pub const DEFAULT_AUTH_TOKEN: &str = "telsim-auth-token";

#[derive(Clone)]
pub struct TelsimConfig {
    /// Port 0 picks a free port.
    pub addr: SocketAddr,
    pub account_sid: String,
    /// Checks Basic auth and signs callbacks. Secret: never logged.
    pub auth_token: String,
    /// Simulated time runs this many times faster than real time.
    pub speed: f64,
    /// Calls dialled per (simulated) second at most.
    pub cps: Option<u32>,
    /// Calls dialled and not yet over at most.
    pub max_concurrent: Option<u32>,
    /// Further attempts at delivering a callback that failed.
    pub callback_retries: u32,
}

impl TelsimConfig {
    pub fn new(account_sid: &str, auth_token: &str) -> TelsimConfig {
        TelsimConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            speed: 1.0,
            cps: None,
            max_concurrent: None,
            callback_retries: 3,
        }
    }
}

impl std::fmt::Debug for TelsimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelsimConfig")
            .field("addr", &self.addr)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<set>")
            .field("speed", &self.speed)
            .field("cps", &self.cps)
            .field("max_concurrent", &self.max_concurrent)
            .field("callback_retries", &self.callback_retries)
            .finish()
    }
}

/// `switchboard telsim` options.
#[derive(Debug, Clone, clap::Args)]
pub struct TelsimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3900", env = "SWITCHBOARD_TELSIM_ADDR")]
    pub addr: SocketAddr,
    /// The account sid clients authenticate with.
    #[arg(long, default_value = DEFAULT_ACCOUNT_SID, env = "SWITCHBOARD_TELSIM_ACCOUNT_SID")]
    pub account_sid: String,
    /// The auth token clients authenticate with and callbacks are signed with.
    #[arg(long, default_value = DEFAULT_AUTH_TOKEN, env = "SWITCHBOARD_TELSIM_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: String,
    /// Time runs this many times faster (100: a 20 s call takes 0.2 s).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Calls dialled per second at most (over-limit calls wait, queued).
    #[arg(long)]
    pub cps: Option<u32>,
    /// Calls in progress at most (over-limit calls wait, queued).
    #[arg(long)]
    pub max_concurrent: Option<u32>,
}

impl TelsimArgs {
    pub fn config(&self) -> Result<TelsimConfig, String> {
        if !(self.speed.is_finite() && self.speed > 0.0) {
            return Err("--speed must be a positive number".into());
        }
        if self.cps == Some(0) || self.max_concurrent == Some(0) {
            return Err("--cps and --max-concurrent must be at least 1".into());
        }
        if self.account_sid.trim().is_empty() || self.auth_token.is_empty() {
            return Err("--account-sid and --auth-token must not be empty".into());
        }
        Ok(TelsimConfig {
            addr: self.addr,
            speed: self.speed,
            cps: self.cps,
            max_concurrent: self.max_concurrent,
            ..TelsimConfig::new(&self.account_sid, &self.auth_token)
        })
    }
}

/// Runs `switchboard telsim` until `shutdown` resolves.
pub async fn run(args: TelsimArgs, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let cfg = args.config().map_err(std::io::Error::other)?;
    let (addr, telsim) = spawn(cfg.clone()).await?;
    println!();
    println!("  telsim (simulated Twilio-dialect provider) at http://{addr}/");
    println!(
        "  account sid {} · speed ×{} · cps {} · max concurrent {}",
        cfg.account_sid,
        cfg.speed,
        cfg.cps.map_or("unlimited".into(), |n| n.to_string()),
        cfg.max_concurrent.map_or("unlimited".into(), |n| n.to_string())
    );
    println!(
        "  fates by the last digit of To: 0-4 answered, 5 busy, 6 no-answer, 7 failed, 8 answered late, 9 refused"
    );
    println!();
    shutdown.await;
    drop(telsim);
    Ok(())
}

/// What happens to a call, decided by the last digit of its `To`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Rings, is answered after `ring` seconds and talks `talk` seconds.
    Answered {
        ring: u32,
        talk: u32,
    },
    Busy,
    NoAnswer,
    Failed,
    /// Refused at create time.
    Refused,
}

/// The fate of a call to `to` (see the module's table).
pub fn fate(to: &str) -> Fate {
    // FNV-1a: stable across runs and platforms.
    let h = to.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    let talk = 5 + ((h >> 8) % 16) as u32;
    match to.bytes().last() {
        Some(b'0'..=b'4') => Fate::Answered {
            ring: 1 + (h % 3) as u32,
            talk,
        },
        Some(b'5') => Fate::Busy,
        Some(b'6') => Fate::NoAnswer,
        Some(b'7') => Fate::Failed,
        Some(b'8') => Fate::Answered { ring: 10, talk },
        _ => Fate::Refused,
    }
}

/// Seconds a busy or failed call takes, and an unanswered one rings.
const BUSY_AFTER: f64 = 1.0;
const FAILED_AFTER: f64 = 1.0;
const NO_ANSWER_AFTER: f64 = 20.0;

#[derive(Clone, Debug)]
enum Script {
    Url { url: String, method: String },
    Twiml,
}

/// One status a call went through, for the debug listing.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SimEvent {
    pub status: String,
    pub at: DateTime<Utc>,
}

struct SimCall {
    sid: String,
    to: String,
    from: String,
    status: ProviderStatus,
    script: Script,
    status_callback: Option<(String, String)>,
    date_created: DateTime<Utc>,
    /// When the call left the queue (its calls-per-second slot).
    dialled_at: Option<DateTime<Utc>>,
    answered_at: Option<Instant>,
    start_time: Option<DateTime<Utc>>,
    end_time: Option<DateTime<Utc>>,
    duration: Option<u32>,
    events: Vec<SimEvent>,
    sequence: u32,
    script_fetch: Option<String>,
    hangup: Arc<Notify>,
    /// Callbacks to deliver, in order; dropped after the final one.
    callbacks: Option<mpsc::UnboundedSender<Vec<(String, String)>>>,
}

struct Sim {
    cfg: TelsimConfig,
    calls: Mutex<(HashMap<String, SimCall>, Vec<String>)>,
    http: reqwest::Client,
    lines: Option<Arc<Semaphore>>,
    next_dial: tokio::sync::Mutex<Instant>,
}

/// A running simulator; dropping it stops the HTTP server (calls under way finish quietly).
pub struct Telsim {
    pub addr: SocketAddr,
    sim: Arc<Sim>,
    task: tokio::task::JoinHandle<()>,
}

impl Telsim {
    /// The base URL clients use (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call so far, as `GET /telsim/calls` lists them.
    pub fn calls(&self) -> Value {
        self.sim.listing()
    }
}

impl Drop for Telsim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the simulator on `cfg.addr` (port 0: any free port).
pub async fn spawn(cfg: TelsimConfig) -> std::io::Result<(SocketAddr, Telsim)> {
    let listener = tokio::net::TcpListener::bind(cfg.addr).await?;
    let addr = listener.local_addr()?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(std::io::Error::other)?;
    let sim = Arc::new(Sim {
        lines: cfg.max_concurrent.map(|n| Arc::new(Semaphore::new(n as usize))),
        cfg,
        calls: Mutex::new((HashMap::new(), Vec::new())),
        http,
        next_dial: tokio::sync::Mutex::new(Instant::now()),
    });
    let calls = format!("/{API_VERSION}/Accounts/{{account}}/Calls.json");
    let call = format!("/{API_VERSION}/Accounts/{{account}}/Calls/{{file}}");
    let router = Router::new()
        .route(&calls, axum::routing::post(create).get(list_calls))
        .route(&call, get(fetch).post(update))
        .route("/telsim/calls", get(list))
        .with_state(sim.clone());
    let task = tokio::spawn(async move {
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "telsim stopped");
        }
    });
    tracing::info!(%addr, "telsim listening");
    Ok((addr, Telsim { addr, sim, task }))
}

fn twilio_error(status: StatusCode, code: i64, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({
            "code": code,
            "message": message.into(),
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

impl Sim {
    fn sim_time(&self, secs: f64) -> Duration {
        Duration::from_secs_f64((secs / self.cfg.speed).max(0.0))
    }

    /// Basic auth, then the account in the path: the refusal to answer, if any.
    fn refusal(&self, headers: &HeaderMap, account: Option<&str>) -> Option<Response> {
        let ok = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|creds| {
                creds.split_once(':').is_some_and(|(user, pass)| {
                    user == self.cfg.account_sid && constant_time_eq(pass.as_bytes(), self.cfg.auth_token.as_bytes())
                })
            });
        if !ok {
            return Some(twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"));
        }
        if account.is_some_and(|a| a != self.cfg.account_sid) {
            return Some(twilio_error(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            ));
        }
        None
    }

    fn resource(&self, c: &SimCall) -> Value {
        let acc = &self.cfg.account_sid;
        let method = match &c.script {
            Script::Url { method, .. } => Some(method.as_str()),
            Script::Twiml => None,
        };
        json!({
            "sid": c.sid,
            "account_sid": acc,
            "to": c.to,
            "from": c.from,
            "status": c.status.as_str(),
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "date_created": c.date_created.to_rfc2822(),
            "date_updated": c.events.last().map(|e| e.at.to_rfc2822()),
            "start_time": c.start_time.map(|t| t.to_rfc2822()),
            "end_time": c.end_time.map(|t| t.to_rfc2822()),
            "duration": c.duration.map(|d| d.to_string()),
            "answered_by": null,
            "method": method,
            "uri": format!("/{API_VERSION}/Accounts/{acc}/Calls/{}.json", c.sid),
        })
    }

    fn listing(&self) -> Value {
        let calls = self.calls.lock().expect("telsim calls");
        let list: Vec<Value> = calls
            .1
            .iter()
            .filter_map(|sid| calls.0.get(sid))
            .map(|c| {
                json!({
                    "sid": c.sid,
                    "to": c.to,
                    "from": c.from,
                    "status": c.status.as_str(),
                    "duration": c.duration,
                    "events": c.events,
                    "created_at": c.date_created,
                    "dialled_at": c.dialled_at,
                    "script_fetch": c.script_fetch,
                    "status_callback": c.status_callback.as_ref().map(|(url, _)| url),
                })
            })
            .collect();
        Value::Array(list)
    }

    /// Moves a call to `status` unless it is already over; queues the callback. Returns false
    /// if the call was already over (hung up meanwhile).
    fn set_status(&self, sid: &str, status: ProviderStatus, update: impl FnOnce(&mut SimCall)) -> bool {
        let mut calls = self.calls.lock().expect("telsim calls");
        let Some(c) = calls.0.get_mut(sid) else {
            return false;
        };
        if c.status.is_final() {
            return false;
        }
        c.status = status;
        update(c);
        self.record(c);
        true
    }

    /// Records the call's current status and queues its callback (the last one if final).
    fn record(&self, c: &mut SimCall) {
        let now = Utc::now();
        c.events.push(SimEvent {
            status: c.status.as_str().to_string(),
            at: now,
        });
        let mut params: Vec<(String, String)> = vec![
            ("CallSid".into(), c.sid.clone()),
            ("AccountSid".into(), self.cfg.account_sid.clone()),
            ("From".into(), c.from.clone()),
            ("To".into(), c.to.clone()),
            ("CallStatus".into(), c.status.as_str().into()),
            ("ApiVersion".into(), API_VERSION.into()),
            ("Direction".into(), "outbound-api".into()),
            ("Timestamp".into(), now.to_rfc2822()),
            ("SequenceNumber".into(), c.sequence.to_string()),
            ("CallbackSource".into(), "call-progress-events".into()),
        ];
        if c.status.is_final() {
            params.push(("CallDuration".into(), c.duration.unwrap_or(0).to_string()));
        }
        c.sequence += 1;
        if let Some(tx) = &c.callbacks {
            let _ = tx.send(params);
        }
        if c.status.is_final() {
            c.callbacks = None;
        }
    }

    /// Delivers one call's callbacks in order, retrying failures.
    async fn deliver(
        self: Arc<Self>,
        url: String,
        method: String,
        mut rx: mpsc::UnboundedReceiver<Vec<(String, String)>>,
    ) {
        while let Some(params) = rx.recv().await {
            let mut attempt = 0;
            loop {
                match self.signed_request(&url, &method, &params).await {
                    Ok(status) if status.is_success() => break,
                    result => {
                        if attempt >= self.cfg.callback_retries {
                            tracing::warn!(%url, ?result, "telsim: callback not delivered");
                            break;
                        }
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(50 << attempt.min(6))).await;
                    }
                }
            }
        }
    }

    /// A signed request to a client's URL: form body for POST, query string for GET.
    async fn signed_request(
        &self,
        url: &str,
        method: &str,
        params: &[(String, String)],
    ) -> Result<reqwest::StatusCode, String> {
        let req = if method.eq_ignore_ascii_case("GET") {
            let full = reqwest::Url::parse_with_params(url, params).map_err(|e| e.to_string())?;
            let none: [(&str, &str); 0] = [];
            let sig = signature::sign(&self.cfg.auth_token, full.as_str(), &none);
            self.http.get(full).header(signature::HEADER, sig)
        } else {
            let sig = signature::sign(&self.cfg.auth_token, url, params);
            self.http.post(url).form(params).header(signature::HEADER, sig)
        };
        req.send().await.map(|r| r.status()).map_err(|e| e.to_string())
    }

    /// Waits `d` unless the call is hung up first (false then).
    async fn pause(&self, d: Duration, hangup: &Notify) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = hangup.notified() => false,
        }
    }

    /// Waits for a line (max concurrent) and a dialling slot (calls per second); returns the
    /// line and the slot's time (slots are exactly 1/cps simulated seconds apart).
    async fn admit(&self) -> (Option<OwnedSemaphorePermit>, DateTime<Utc>) {
        let permit = match &self.lines {
            Some(lines) => Some(lines.clone().acquire_owned().await.expect("semaphore never closed")),
            None => None,
        };
        let mut slot = Utc::now();
        if let Some(cps) = self.cfg.cps {
            let (at, now) = {
                let mut next = self.next_dial.lock().await;
                let now = Instant::now();
                let at = (*next).max(now);
                *next = at + self.sim_time(1.0 / cps as f64);
                (at, now)
            };
            slot = Utc::now() + (at - now);
            tokio::time::sleep_until(at).await;
        }
        (permit, slot)
    }

    /// A call's life after it was accepted.
    async fn lifecycle(self: Arc<Self>, sid: String, fate: Fate, hangup: Arc<Notify>) {
        let permit = tokio::select! {
            (permit, slot) = self.admit() => {
                if let Some(c) = self.calls.lock().expect("telsim calls").0.get_mut(&sid) {
                    c.dialled_at = Some(slot);
                }
                permit
            }
            _ = hangup.notified() => return,
        };
        let _completed_normally = match fate {
            Fate::Answered { ring, talk } => {
                self.set_status(&sid, ProviderStatus::Ringing, |_| {})
                    && self.pause(self.sim_time(ring as f64), &hangup).await
                    && self.set_status(&sid, ProviderStatus::InProgress, |c| {
                        c.answered_at = Some(Instant::now());
                        c.start_time = Some(Utc::now());
                    })
                    && {
                        self.fetch_script(&sid);
                        self.pause(self.sim_time(talk as f64), &hangup).await
                    }
                    && self.set_status(&sid, ProviderStatus::Completed, |c| {
                        c.duration = Some(talk);
                        c.end_time = Some(Utc::now());
                    })
            }
            Fate::Busy => {
                self.pause(self.sim_time(BUSY_AFTER), &hangup).await
                    && self.set_status(&sid, ProviderStatus::Busy, |c| c.end_time = Some(Utc::now()))
            }
            Fate::Failed => {
                self.pause(self.sim_time(FAILED_AFTER), &hangup).await
                    && self.set_status(&sid, ProviderStatus::Failed, |c| c.end_time = Some(Utc::now()))
            }
            Fate::NoAnswer => {
                self.set_status(&sid, ProviderStatus::Ringing, |_| {})
                    && self.pause(self.sim_time(NO_ANSWER_AFTER), &hangup).await
                    && self.set_status(&sid, ProviderStatus::NoAnswer, |c| c.end_time = Some(Utc::now()))
            }
            Fate::Refused => false,
        };
        // The line is free once the call is over (the status is final by now: either here or by
        // a hang-up, which records its status before notifying).
        drop(permit);
    }

    /// Fetches the call's `Url` as the provider does when a call is answered (body ignored).
    fn fetch_script(self: &Arc<Self>, sid: &str) {
        let (url, method, params) = {
            let calls = self.calls.lock().expect("telsim calls");
            let Some(c) = calls.0.get(sid) else { return };
            let Script::Url { url, method } = &c.script else {
                return;
            };
            let params: Vec<(String, String)> = vec![
                ("CallSid".into(), c.sid.clone()),
                ("AccountSid".into(), self.cfg.account_sid.clone()),
                ("From".into(), c.from.clone()),
                ("To".into(), c.to.clone()),
                ("CallStatus".into(), "in-progress".into()),
                ("ApiVersion".into(), API_VERSION.into()),
                ("Direction".into(), "outbound-api".into()),
            ];
            (url.clone(), method.clone(), params)
        };
        let sim = self.clone();
        let sid = sid.to_string();
        tokio::spawn(async move {
            let outcome = match sim.signed_request(&url, &method, &params).await {
                Ok(status) => status.as_u16().to_string(),
                Err(e) => format!("error: {e}"),
            };
            if let Some(c) = sim.calls.lock().expect("telsim calls").0.get_mut(&sid) {
                c.script_fetch = Some(outcome);
            }
        });
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn new_sid() -> String {
    format!("CA{}", uuid::Uuid::new_v4().simple())
}

async fn create(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = sim.refusal(&headers, Some(&account)) {
        return r;
    }
    let bad = |code, msg: String| twilio_error(StatusCode::BAD_REQUEST, code, msg);
    let Some(to) = param(&form, "To") else {
        return bad(21201, "No 'To' number is specified".into());
    };
    if !app::callouts::rules::phone::is_e164(to) {
        return bad(21211, format!("Invalid 'To' Phone Number: {to}"));
    }
    let Some(from) = param(&form, "From") else {
        return bad(21213, "No 'From' number is specified".into());
    };
    let script = if param(&form, "Twiml").is_some() {
        Script::Twiml
    } else if let Some(url) = param(&form, "Url") {
        if reqwest::Url::parse(url).is_err() {
            return bad(21205, format!("Url is not a valid URL: {url}"));
        }
        let method = param(&form, "Method").unwrap_or("POST").to_ascii_uppercase();
        if method != "GET" && method != "POST" {
            return bad(21207, format!("Method must be GET or POST, not {method}"));
        }
        Script::Url {
            url: url.to_string(),
            method,
        }
    } else {
        return bad(21205, "Url parameter is required (or Twiml)".into());
    };
    let status_callback = match param(&form, "StatusCallback") {
        Some(cb) => {
            if reqwest::Url::parse(cb).is_err() {
                return bad(21609, format!("StatusCallback is not a valid URL: {cb}"));
            }
            let method = param(&form, "StatusCallbackMethod")
                .unwrap_or("POST")
                .to_ascii_uppercase();
            Some((cb.to_string(), method))
        }
        None => None,
    };
    let fate = fate(to);
    if fate == Fate::Refused {
        return bad(21215, format!("Account not authorized to call {to}"));
    }

    let sid = new_sid();
    let hangup = Arc::new(Notify::new());
    let callbacks = status_callback.as_ref().map(|(url, method)| {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(sim.clone().deliver(url.clone(), method.clone(), rx));
        tx
    });
    let mut call = SimCall {
        sid: sid.clone(),
        to: to.to_string(),
        from: from.to_string(),
        status: ProviderStatus::Queued,
        script,
        status_callback,
        date_created: Utc::now(),
        dialled_at: None,
        answered_at: None,
        start_time: None,
        end_time: None,
        duration: None,
        events: Vec::new(),
        sequence: 0,
        script_fetch: None,
        hangup: hangup.clone(),
        callbacks,
    };
    sim.record(&mut call);
    let body = sim.resource(&call);
    {
        let mut calls = sim.calls.lock().expect("telsim calls");
        calls.1.push(sid.clone());
        calls.0.insert(sid.clone(), call);
    }
    tokio::spawn(sim.clone().lifecycle(sid, fate, hangup));
    (StatusCode::CREATED, Json(body)).into_response()
}

fn sid_of(file: &str) -> &str {
    file.strip_suffix(".json").unwrap_or(file)
}

async fn fetch(
    State(sim): State<Arc<Sim>>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = sim.refusal(&headers, Some(&account)) {
        return r;
    }
    let calls = sim.calls.lock().expect("telsim calls");
    match calls.0.get(sid_of(&file)) {
        Some(c) => Json(sim.resource(c)).into_response(),
        None => twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {} was not found", sid_of(&file)),
        ),
    }
}

/// `Status=completed` / `Status=canceled`: ends the call.
async fn update(
    State(sim): State<Arc<Sim>>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = sim.refusal(&headers, Some(&account)) {
        return r;
    }
    let wanted = param(&form, "Status").map(str::to_ascii_lowercase);
    if !matches!(wanted.as_deref(), Some("completed" | "canceled")) {
        return twilio_error(StatusCode::BAD_REQUEST, 21220, "Status must be completed or canceled");
    }
    let sid = sid_of(&file);
    let mut calls = sim.calls.lock().expect("telsim calls");
    let Some(c) = calls.0.get_mut(sid) else {
        return twilio_error(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {sid} was not found"),
        );
    };
    if !c.status.is_final() {
        if c.status == ProviderStatus::InProgress {
            let talked = c.answered_at.map_or(0.0, |t| t.elapsed().as_secs_f64() * sim.cfg.speed);
            c.status = ProviderStatus::Completed;
            c.duration = Some(talked.round() as u32);
        } else {
            c.status = ProviderStatus::Canceled;
        }
        c.end_time = Some(Utc::now());
        sim.record(c);
        // notify_one keeps a permit, so the call's task sees it even if not waiting yet.
        c.hangup.notify_one();
    }
    Json(sim.resource(c)).into_response()
}

/// `GET …/Calls.json`: the list of calls, filtered and paged as Twilio's.
async fn list_calls(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = sim.refusal(&headers, Some(&account)) {
        return r;
    }
    let bad = |msg: String| twilio_error(StatusCode::BAD_REQUEST, 20001, msg);
    let to = param(&query, "To");
    let from = param(&query, "From");
    let since = match param(&query, "StartTime>").or(param(&query, "StartTime>=")) {
        None => None,
        Some(v) => match parse_since(v) {
            Some(t) => Some(t),
            None => return bad(format!("StartTime must be YYYY-MM-DD or an RFC 3339 time, not {v}")),
        },
    };
    let page_size = match param(&query, "PageSize").map(str::parse::<usize>) {
        None => 50,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return bad("PageSize must be between 1 and 1000".into()),
    };
    let page = match param(&query, "Page").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(_) => return bad("Page must be a number".into()),
    };
    let calls = sim.calls.lock().expect("telsim calls");
    let matching: Vec<&SimCall> = calls
        .1
        .iter()
        .rev()
        .filter_map(|sid| calls.0.get(sid))
        .filter(|c| to.is_none_or(|t| c.to == t))
        .filter(|c| from.is_none_or(|f| c.from == f))
        .filter(|c| since.is_none_or(|t| c.date_created >= t))
        .collect();
    let start = page.saturating_mul(page_size);
    let items: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(page_size)
        .map(|c| sim.resource(c))
        .collect();
    let acc = &sim.cfg.account_sid;
    let uri = |page: usize| {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(t) = to {
            pairs.push(("To", t.to_string()));
        }
        if let Some(f) = from {
            pairs.push(("From", f.to_string()));
        }
        if let Some(v) = param(&query, "StartTime>").or(param(&query, "StartTime>=")) {
            pairs.push(("StartTime>", v.to_string()));
        }
        pairs.push(("PageSize", page_size.to_string()));
        pairs.push(("Page", page.to_string()));
        let base = format!("http://telsim/{API_VERSION}/Accounts/{acc}/Calls.json");
        reqwest::Url::parse_with_params(&base, &pairs)
            .map(|u| format!("{}?{}", u.path(), u.query().unwrap_or_default()))
            .unwrap_or_default()
    };
    let more = start + items.len() < matching.len();
    let end = (start + items.len()).saturating_sub(1);
    Json(json!({
        "calls": items,
        "page": page,
        "page_size": page_size,
        "start": start,
        "end": end,
        "uri": uri(page),
        "first_page_uri": uri(0),
        "next_page_uri": if more { Some(uri(page + 1)) } else { None },
        "previous_page_uri": if page > 0 { Some(uri(page - 1)) } else { None },
    }))
    .into_response()
}

/// `StartTime>=`: a day (from its midnight, UTC) or an RFC 3339 time.
fn parse_since(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Some(day.and_hms_opt(0, 0, 0)?.and_utc());
    }
    DateTime::parse_from_rfc3339(v).ok().map(|t| t.with_timezone(&Utc))
}

async fn list(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Some(r) = sim.refusal(&headers, None) {
        return r;
    }
    Json(sim.listing()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fates_follow_the_last_digit() {
        for d in 0..=4 {
            match fate(&format!("+3461234567{d}")) {
                Fate::Answered { ring, talk } => {
                    assert!((1..=3).contains(&ring), "{ring}");
                    assert!((5..=20).contains(&talk), "{talk}");
                }
                other => panic!("{d}: {other:?}"),
            }
        }
        assert_eq!(fate("+34612345675"), Fate::Busy);
        assert_eq!(fate("+34612345676"), Fate::NoAnswer);
        assert_eq!(fate("+34612345677"), Fate::Failed);
        assert!(matches!(fate("+34612345678"), Fate::Answered { ring: 10, .. }));
        assert_eq!(fate("+34612345679"), Fate::Refused);
        // Deterministic per number.
        assert_eq!(fate("+34612345670"), fate("+34612345670"));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
