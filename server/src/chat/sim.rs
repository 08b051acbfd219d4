//! The chat simulator: a small HTTP server (its own port, in-process in `serve` when no webhook
//! is configured) that accepts the webhook's `POST {"text": …}` at `/chatsim/{key}` and keeps
//! the messages (`GET /chatsim/{key}/messages`). `POST /chatsim/{key}/fail {"count": n}` makes
//! the next n posts answer 500, for tests of retries. The key is the webhook URL's secret; a
//! wrong one answers 404, as chats do.
use app::chat::SimChatMessage;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// The most messages kept (the oldest go first).
const KEEP: usize = 500;

struct Sim {
    key: String,
    messages: Mutex<Vec<SimChatMessage>>,
    fail_next: AtomicU32,
    news: broadcast::Sender<SimChatMessage>,
}

/// A running chat simulator; dropping it stops it.
pub struct Chatsim {
    pub addr: SocketAddr,
    sim: Arc<Sim>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Chatsim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Chatsim {
    /// The webhook URL to configure (it contains the key).
    pub fn webhook_url(&self) -> String {
        format!("http://{}/chatsim/{}", self.addr, self.sim.key)
    }

    /// Every message received, oldest first.
    pub fn messages(&self) -> Vec<SimChatMessage> {
        self.sim.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The next `n` posts answer 500.
    pub fn fail_next(&self, n: u32) {
        self.sim.fail_next.store(n, Ordering::SeqCst);
    }

    /// Each message as it is received.
    pub fn subscribe(&self) -> broadcast::Receiver<SimChatMessage> {
        self.sim.news.subscribe()
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

/// Starts the simulator on `addr` (port 0: any free port) with a random key.
pub async fn spawn(addr: SocketAddr) -> std::io::Result<Chatsim> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    spawn_on(listener, &random_hex(16))
}

/// Starts the simulator on a bound listener with this key.
pub fn spawn_on(listener: tokio::net::TcpListener, key: &str) -> std::io::Result<Chatsim> {
    let addr = listener.local_addr()?;
    let sim = Arc::new(Sim {
        key: key.to_string(),
        messages: Mutex::new(Vec::new()),
        fail_next: AtomicU32::new(0),
        news: broadcast::channel(256).0,
    });
    let router = Router::new()
        .route("/chatsim/{key}", post(receive))
        .route("/chatsim/{key}/messages", get(list))
        .route("/chatsim/{key}/fail", post(fail))
        .with_state(sim.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "chat simulator stopped");
        }
    });
    Ok(Chatsim { addr, sim, task })
}

fn known(sim: &Sim, key: &str) -> Option<Response> {
    let ok = key.len() == sim.key.len() && key.bytes().zip(sim.key.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
    (!ok).then(|| (StatusCode::NOT_FOUND, Json(json!({"error": "no such webhook"}))).into_response())
}

async fn receive(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(r) = known(&sim, &key) {
        return r;
    }
    let text = match body {
        Ok(Json(v)) => v.get("text").and_then(|t| t.as_str()).map(str::to_string),
        Err(_) => None,
    };
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "expected JSON {\"text\": \"…\"} with some text"})),
        )
            .into_response();
    };
    if sim
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (StatusCode::INTERNAL_SERVER_ERROR, "simulated failure").into_response();
    }
    let m = SimChatMessage {
        at: chrono::Utc::now(),
        text,
    };
    if let Ok(mut all) = sim.messages.lock() {
        all.push(m.clone());
        let extra = all.len().saturating_sub(KEEP);
        all.drain(..extra);
    }
    let _ = sim.news.send(m);
    Json(json!({"ok": true})).into_response()
}

async fn list(State(sim): State<Arc<Sim>>, Path(key): Path<String>) -> Response {
    if let Some(r) = known(&sim, &key) {
        return r;
    }
    let all = sim.messages.lock().map(|m| m.clone()).unwrap_or_default();
    Json(all).into_response()
}

#[derive(serde::Deserialize)]
struct Fail {
    count: u32,
}

async fn fail(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Result<Json<Fail>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(r) = known(&sim, &key) {
        return r;
    }
    let Ok(Json(f)) = body else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "expected JSON {\"count\": n}"})),
        )
            .into_response();
    };
    sim.fail_next.store(f.count, Ordering::SeqCst);
    Json(json!({"fail_next": f.count})).into_response()
}
