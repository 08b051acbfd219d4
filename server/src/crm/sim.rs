//! The CRM simulator: a small HTTP server speaking the CRM port's protocol, so the same adapter
//! runs against it as against a real CRM. `GET /lookup?phone=…&query=…` with
//! `Authorization: Bearer <token>` answers the documented JSON (`{"contacts": […]}`): the records
//! with that phone, or whose name, tax id, member number or a contract number contains the query.
//! A missing or wrong token answers 401.
//!
//! Control (same token): `PUT /control/records` `{"contacts": […]}` replaces the records;
//! `POST /control/mode` `{"delay_ms": n, "fail_status": 500, "garbage": true}` makes lookups
//! slow, fail with that status or answer something that is not JSON (`{}`: back to normal);
//! `GET /control/lookups` `{"count": n}` counts the lookups answered or failed.
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How lookups behave (the control endpoint sets it).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mode {
    /// Every lookup waits this long before answering.
    #[serde(default)]
    pub delay_ms: u64,
    /// Every lookup answers this status (e.g. 500) instead of the records.
    #[serde(default)]
    pub fail_status: Option<u16>,
    /// Every lookup answers an HTML page instead of JSON.
    #[serde(default)]
    pub garbage: bool,
}

struct Sim {
    token: String,
    records: Mutex<Vec<Value>>,
    mode: Mutex<Mode>,
    lookups: AtomicU64,
}

impl Sim {
    fn new(token: &str) -> Arc<Sim> {
        Arc::new(Sim {
            token: token.to_string(),
            records: Mutex::new(Vec::new()),
            mode: Mutex::new(Mode::default()),
            lookups: AtomicU64::new(0),
        })
    }
}

/// A running CRM simulator; dropping it stops it.
pub struct Crmsim {
    pub addr: SocketAddr,
    sim: Arc<Sim>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Crmsim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Crmsim {
    /// The URL template to configure (`SWITCHBOARD_CRM_URL`).
    pub fn url_template(&self) -> String {
        format!("http://{}/lookup?phone={{phone}}&query={{query}}", self.addr)
    }

    /// The token it expects (`SWITCHBOARD_CRM_TOKEN`).
    pub fn token(&self) -> &str {
        &self.sim.token
    }

    /// Replaces its records (each one in the documented answer's shape).
    pub fn set_records(&self, records: Vec<Value>) {
        if let Ok(mut r) = self.sim.records.lock() {
            *r = records;
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        if let Ok(mut m) = self.sim.mode.lock() {
            *m = mode;
        }
    }

    /// Lookups received with the right token.
    pub fn lookups(&self) -> u64 {
        self.sim.lookups.load(Ordering::SeqCst)
    }
}

/// Starts the simulator on `addr` (port 0: any free port) expecting `token`.
pub async fn spawn(addr: SocketAddr, token: &str) -> std::io::Result<Crmsim> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    spawn_on(listener, token)
}

pub fn spawn_on(listener: tokio::net::TcpListener, token: &str) -> std::io::Result<Crmsim> {
    let addr = listener.local_addr()?;
    let sim = Sim::new(token);
    let task = tokio::spawn(serve(listener, sim.clone(), std::future::pending()));
    Ok(Crmsim { addr, sim, task })
}

fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/lookup", get(lookup))
        .route("/control/records", put(set_records))
        .route("/control/mode", post(set_mode))
        .route("/control/lookups", get(lookups))
        .with_state(sim)
}

async fn serve(
    listener: tokio::net::TcpListener,
    sim: Arc<Sim>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    if let Err(e) = axum::serve(listener, router(sim)).with_graceful_shutdown(stop).await {
        tracing::error!(error = %e, "CRM simulator stopped");
    }
}

/// `switchboard crmsim`: the simulator on its own.
#[derive(Debug, clap::Args)]
pub struct CrmsimArgs {
    /// Where it listens.
    #[arg(long, default_value = "127.0.0.1:3300")]
    pub addr: SocketAddr,
    /// The token it expects (default: SWITCHBOARD_CRM_TOKEN; one is generated when neither is set).
    #[arg(long)]
    pub token: Option<String>,
}

pub async fn run(
    args: CrmsimArgs,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let token = args
        .token
        .or_else(|| std::env::var("SWITCHBOARD_CRM_TOKEN").ok().filter(|t| !t.is_empty()))
        .unwrap_or_else(random_token);
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let addr = listener.local_addr()?;
    println!("CRM simulator at http://{addr}/lookup?phone={{phone}}&query={{query}}");
    println!("  token: {token} (control: PUT /control/records, POST /control/mode)");
    serve(listener, Sim::new(&token), stop).await;
    Ok(())
}

pub fn random_token() -> String {
    (0..24).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

fn authorised(sim: &Sim, headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let ok =
        given.len() == sim.token.len() && given.bytes().zip(sim.token.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
    (!ok).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "a valid bearer token is required"})),
        )
            .into_response()
    })
}

#[derive(Deserialize)]
struct LookupQuery {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    query: String,
}

fn texts(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["name", "tax_id", "member_number"] {
        if let Some(s) = v[key].as_str() {
            out.push(s.to_lowercase());
        }
    }
    if let Some(cs) = v["contracts"].as_array() {
        out.extend(cs.iter().filter_map(|c| match &c["number"] {
            Value::String(s) => Some(s.to_lowercase()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }));
    }
    out
}

fn matches(v: &Value, q: &LookupQuery) -> bool {
    let phone = q.phone.trim();
    if !phone.is_empty() {
        return v["phones"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p.as_str() == Some(phone)));
    }
    let query = q.query.trim().to_lowercase();
    !query.is_empty() && texts(v).iter().any(|t| t.contains(&query))
}

async fn lookup(State(sim): State<Arc<Sim>>, headers: HeaderMap, Query(q): Query<LookupQuery>) -> Response {
    if let Some(r) = authorised(&sim, &headers) {
        return r;
    }
    sim.lookups.fetch_add(1, Ordering::SeqCst);
    let mode = sim.mode.lock().map(|m| m.clone()).unwrap_or_default();
    if mode.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(mode.delay_ms)).await;
    }
    if let Some(status) = mode.fail_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, "simulated failure").into_response();
    }
    if mode.garbage {
        return (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>Bad gateway</body></html>",
        )
            .into_response();
    }
    let found: Vec<Value> = sim
        .records
        .lock()
        .map(|rs| rs.iter().filter(|r| matches(r, &q)).cloned().collect())
        .unwrap_or_default();
    Json(json!({ "contacts": found })).into_response()
}

#[derive(Deserialize)]
struct Records {
    contacts: Vec<Value>,
}

async fn set_records(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Result<Json<Records>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(r) = authorised(&sim, &headers) {
        return r;
    }
    match body {
        Ok(Json(r)) if r.contacts.iter().all(Value::is_object) => {
            let n = r.contacts.len();
            if let Ok(mut all) = sim.records.lock() {
                *all = r.contacts;
            }
            Json(json!({"records": n})).into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "expected JSON {\"contacts\": [{…}, …]}"})),
        )
            .into_response(),
    }
}

async fn set_mode(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Result<Json<Mode>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(r) = authorised(&sim, &headers) {
        return r;
    }
    match body {
        Ok(Json(m)) => {
            if let Ok(mut mode) = sim.mode.lock() {
                *mode = m;
            }
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e.body_text()}))).into_response(),
    }
}

async fn lookups(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Some(r) = authorised(&sim, &headers) {
        return r;
    }
    Json(json!({"count": sim.lookups.load(Ordering::SeqCst)})).into_response()
}
