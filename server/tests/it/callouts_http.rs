//! Callouts over HTTP: the REST API (transitions, roles, validation), the provider's status
//! callbacks (signature, duplicates, order, unknown calls), a callout end to end against telsim
//! (real HTTP both ways), and two app instances dialing one callout under a concurrency limit.
//! Conditions are awaited with generous time-outs; no timing is asserted.

use crate::common::{Browser, Role, Scope, TestApp};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::StartOptions;
use server::config::TelephonyConfig;
use server::telephony::signature;
use server::telephony::telsim::{self, Telsim, TelsimConfig};
use server::workers::callouts::DialerSettings;
use std::time::Duration;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH: &str = "callouts-test-token";
/// Only a guard against hanging: conditions normally hold long before.
const PATIENCE: Duration = Duration::from_secs(90);

struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    fn new(app: &TestApp, token: Option<&str>) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: app.url.clone(),
            token: token.map(str::to_string),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn event(&self, id: i64, event: &str) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/callouts/{id}/events"), json!({ "event": event }))
            .await
    }
}

async fn token_api(app: &TestApp) -> Api {
    let token = app.token("callouts-client", &[Scope::Callouts]).await;
    Api::new(app, Some(&token))
}

async fn callout(api: &Api, body: Value) -> i64 {
    let (s, v) = api.post("/api/v1/callouts", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().expect("callout id")
}

/// Waits until no participation of the callout remains to be called.
async fn wait_done(api: &Api, id: i64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if remaining(api, id).await == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for callout {id} to finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_callout_transition_over_http() {
    let app = TestApp::spawn().await;
    let api = token_api(&app).await;
    let id = callout(&api, json!({ "name": "Transitions" })).await;
    let (_, v) = api.get(&format!("/api/v1/callouts/{id}")).await;
    assert_eq!(v["status"], "initialized");
    assert_eq!(v["allowed_events"], json!(["start"]));

    let refused = |from: &'static str, events: &'static [&'static str]| (from, events);
    let steps: Vec<(&str, &str)> = vec![
        ("start", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("stop", "stopped"),
        ("resume", "running"),
        ("pause", "paused"),
        ("stop", "stopped"),
    ];
    let not_allowed = [
        refused("initialized", &["pause", "resume", "stop"]),
        refused("running", &["start", "resume"]),
        refused("paused", &["start", "pause"]),
        refused("stopped", &["start", "pause", "stop"]),
    ];
    let check_refusals = |status: String| {
        let api = &api;
        let not_allowed = &not_allowed;
        async move {
            let (_, events) = not_allowed.iter().find(|(s, _)| *s == status).expect("status");
            for e in *events {
                let (s, v) = api.event(id, e).await;
                assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{status} + {e}: {v}");
                assert_eq!(v["error"], "transition_refused");
                assert!(
                    v["message"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("A callout that is {status} cannot be")),
                    "{v}"
                );
                let (_, now) = api.get(&format!("/api/v1/callouts/{id}")).await;
                assert_eq!(now["status"], status.as_str(), "a refused event changes nothing");
            }
        }
    };
    check_refusals("initialized".into()).await;
    for (event, to) in steps {
        let (s, v) = api.event(id, event).await;
        assert_eq!(s, StatusCode::OK, "{event}: {v}");
        assert_eq!(v["status"], to);
        check_refusals(to.to_string()).await;
    }
    let (s, v) = api.event(id, "restart").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["fields"]["event"].as_str().unwrap().contains("unknown event"));
    let (s, v) = api.post(&format!("/api/v1/callouts/{id}/events"), json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = api.event(999_999, "start").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn roles_tokens_and_validation() {
    let app = TestApp::spawn().await;
    let api = token_api(&app).await;
    let id = callout(&api, json!({ "name": "Roles" })).await;

    // No credentials, a bad token, a token without the scope.
    let anon = Api::new(&app, None);
    assert_eq!(anon.get("/api/v1/callouts").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(anon.event(id, "start").await.0, StatusCode::UNAUTHORIZED);
    let bad = Api::new(&app, Some("sb_not-a-token"));
    assert_eq!(bad.get("/api/v1/callouts").await.0, StatusCode::UNAUTHORIZED);
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let pbx = Api::new(&app, Some(&pbx));
    assert_eq!(pbx.get("/api/v1/callouts").await.0, StatusCode::FORBIDDEN);
    assert_eq!(pbx.event(id, "start").await.0, StatusCode::FORBIDDEN);

    // An agent may look but not start; a manager may start.
    let pw = app.user("alex", &[Role::Agent]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    let res = agent.get("/api/v1/callouts").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = agent
        .post_json(&format!("/api/v1/callouts/{id}/events"), json!({"event": "start"}))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = agent
        .post_json("/api/v1/contacts", json!({"phone": "+34600000001"}))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let pw = app.user("maria", &[Role::Manager]).await;
    let manager = Browser::signed_in(&app, "maria", &pw).await;
    let res = manager
        .post_json(&format!("/api/v1/callouts/{id}/events"), json!({"event": "start"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let _ = api.event(id, "stop").await;

    // Validation, field by field; nothing written.
    let (s, v) = api
        .post(
            "/api/v1/callouts",
            json!({"name": "", "max_calls_per_run": 0, "max_attempts": -1, "caller_id": "12"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["name", "max_calls_per_run", "max_attempts", "caller_id"] {
        assert!(v["fields"][f].is_string(), "{f} in {v}");
    }
    let (s, v) = api
        .post(
            "/api/v1/contacts",
            json!({"phone": "call me", "metadata": [1], "tags": ["ok"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["fields"]["phone"].is_string() && v["fields"]["metadata"].is_string(),
        "{v}"
    );
    let (s, v) = api
        .post("/api/v1/contacts", json!({"phone": "600 00 00 02", "name": "Ana"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["phone"], "+34600000002");
    let (s, v) = api.post("/api/v1/contacts", json!({"phone": "+34600000002"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["fields"]["phone"].is_string());
    let (s, _) = api.get("/api/v1/contacts/424242").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Bulk: invalid rows reported, valid rows kept, duplicates merged.
    let (s, v) = api
        .post(
            "/api/v1/contacts/bulk",
            json!({"contacts": [
                {"phone": "+34600000003", "tags": ["north"], "metadata": {"zone": "n"}},
                {"phone": "bad"},
                {"phone": "+34 600 000 003", "name": "Bea", "tags": ["vip"]},
                {"phone": "+34600000002", "tags": ["north"]}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["created"].as_i64(), v["merged"].as_i64()), (Some(1), Some(2)), "{v}");
    assert_eq!(v["errors"][0]["index"], 1);
    let (_, v) = api.get("/api/v1/contacts?tag=north&metadata.zone=n").await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["name"], "Bea");
    assert_eq!(v["items"][0]["tags"], json!(["north", "vip"]));
    let (_, v) = api.get("/api/v1/contacts?tag=north").await;
    assert_eq!(v["total"], 2);
    let (s, v) = api.get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["paths"]["/api/v1/callouts/{id}/events"]["post"].is_object());
}

/// A callout with one call at the provider (`sid`), inserted directly.
async fn call_at_provider(app: &TestApp, sid: &str) -> (i64, i64) {
    let db = &app.db;
    let contact: i64 = sqlx::query_scalar("INSERT INTO contacts (phone) VALUES ('+34600000100') RETURNING id")
        .fetch_one(db)
        .await
        .unwrap();
    let callout: i64 = sqlx::query_scalar("INSERT INTO callouts (name, status) VALUES ('cb', 'paused') RETURNING id")
        .fetch_one(db)
        .await
        .unwrap();
    let part: i64 = sqlx::query_scalar(
        "INSERT INTO participations (callout_id, contact_id, state, attempts) VALUES ($1, $2, 'calling', 1) RETURNING id",
    )
    .bind(callout)
    .bind(contact)
    .fetch_one(db)
    .await
    .unwrap();
    let call: i64 = sqlx::query_scalar(
        "INSERT INTO calls (participation_id, callout_id, attempt, phone, status, provider_sid, sent_at)
         VALUES ($1, $2, 1, '+34600000100', 'remotely_queued', $3, now()) RETURNING id",
    )
    .bind(part)
    .bind(callout)
    .bind(sid)
    .fetch_one(db)
    .await
    .unwrap();
    (call, part)
}

async fn callback(app: &TestApp, sid: &str, status: &str, token: &str) -> StatusCode {
    let url = format!("{}/api/telephony/status", app.provider.public_url);
    let form = vec![
        ("AccountSid".to_string(), app.provider.account_sid.clone()),
        ("CallSid".to_string(), sid.to_string()),
        ("CallStatus".to_string(), status.to_string()),
        ("CallDuration".to_string(), "7".to_string()),
    ];
    let sig = signature::sign(token, &url, &form);
    reqwest::Client::new()
        .post(&url)
        .header(signature::HEADER, sig)
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
}

async fn call_row(app: &TestApp, id: i64) -> (String, usize, i32) {
    let (status, history, duration): (String, Value, Option<i32>) =
        sqlx::query_as("SELECT status, history, duration_secs FROM calls WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    (status, history.as_array().map_or(0, Vec::len), duration.unwrap_or(-1))
}

#[tokio::test]
async fn status_callbacks_are_signed_idempotent_and_order_safe() {
    let app = TestApp::spawn().await;
    let (call, part) = call_at_provider(&app, "CAcallback1").await;
    let token = app.provider.auth_token.clone();

    // A bad signature: 403, nothing changes.
    assert_eq!(
        callback(&app, "CAcallback1", "completed", "wrong-token").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(call_row(&app, call).await.0, "remotely_queued");
    // Unsigned.
    let res = reqwest::Client::new()
        .post(format!("{}/api/telephony/status", app.url))
        .form(&[("CallSid", "CAcallback1"), ("CallStatus", "completed")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(call_row(&app, call).await.0, "remotely_queued");
    // Unknown CallSid: 404 (the provider retries; polling covers the rest).
    assert_eq!(
        callback(&app, "CAunknown", "completed", &token).await,
        StatusCode::NOT_FOUND
    );

    // ringing → in progress; the same again changes nothing.
    assert!(callback(&app, "CAcallback1", "ringing", &token).await.is_success());
    let after_ringing = call_row(&app, call).await;
    assert_eq!(after_ringing.0, "in_progress");
    assert!(callback(&app, "CAcallback1", "ringing", &token).await.is_success());
    assert_eq!(call_row(&app, call).await, after_ringing);
    // completed: the participation is answered and done.
    assert!(callback(&app, "CAcallback1", "completed", &token).await.is_success());
    let done = call_row(&app, call).await;
    assert_eq!((done.0.as_str(), done.2), ("completed", 7));
    // Duplicate and late (out-of-order) callbacks change nothing.
    for late in ["completed", "ringing", "in-progress", "queued", "busy"] {
        assert!(callback(&app, "CAcallback1", late, &token).await.is_success(), "{late}");
        assert_eq!(call_row(&app, call).await, done, "after a late {late}");
    }
    let (state, answered, reason): (String, bool, Option<String>) =
        sqlx::query_as("SELECT state, answered, done_reason FROM participations WHERE id = $1")
            .bind(part)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (state.as_str(), answered, reason.as_deref()),
        ("done", true, Some("answered"))
    );
}

async fn telsim(speed: f64) -> Telsim {
    let mut cfg = TelsimConfig::new(SID, AUTH);
    cfg.speed = speed;
    telsim::spawn(cfg).await.expect("telsim").1
}

fn options(sim: &Telsim, tick_ms: u64) -> StartOptions {
    StartOptions {
        telephony: TelephonyConfig {
            base_url: Some(sim.url()),
            account_sid: Some(SID.into()),
            auth_token: Some(AUTH.into()),
            public_url: None,
        },
        dialer: DialerSettings {
            tick: Duration::from_millis(tick_ms),
            ..Default::default()
        },
        default_country_code: "34".into(),
        ..Default::default()
    }
}

async fn remaining(api: &Api, id: i64) -> i64 {
    let (_, v) = api.get(&format!("/api/v1/callouts/{id}/statistics")).await;
    v["remaining"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn a_callout_end_to_end_against_telsim_with_retries() {
    let sim = telsim(100.0).await;
    let db = server::testing::fresh_db().await;
    let app = TestApp::spawn_with(db, options(&sim, 50)).await;
    let api = token_api(&app).await;
    let numbers = [
        "+34600000010",
        "+34600000020",
        "+34600000015",
        "+34600000016",
        "+34600000017",
        "+34600000019",
    ];
    let contacts: Vec<Value> = numbers.iter().map(|n| json!({ "phone": n, "tags": ["e2e"] })).collect();
    let (s, v) = api.post("/api/v1/contacts/bulk", json!(contacts)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = callout(
        &api,
        json!({
            "name": "End to end", "caller_id": "+34930000000",
            "max_attempts": 2, "retry_delay_minutes": 0,
            "twiml": "<Response><Say>Hello</Say></Response>"
        }),
    )
    .await;
    let (s, v) = api
        .post(
            &format!("/api/v1/callouts/{id}/populate"),
            json!({"filter": {"tags": ["e2e"]}}),
        )
        .await;
    assert_eq!((s, v["added"].as_i64()), (StatusCode::OK, Some(6)), "{v}");
    assert_eq!(api.event(id, "start").await.0, StatusCode::OK);
    wait_done(&api, id).await;

    let (_, v) = api
        .get(&format!("/api/v1/callouts/{id}/participations?per_page=100"))
        .await;
    let parts = v["items"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 6);
    for p in &parts {
        let phone = p["phone"].as_str().unwrap();
        let (_, calls) = api.get(&format!("/api/v1/calls?participation_id={}", p["id"])).await;
        let statuses: Vec<&str> = calls["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["status"].as_str().unwrap())
            .collect();
        let expected: (&str, bool, i64, Vec<&str>) = match phone.as_bytes()[phone.len() - 1] {
            b'0' => ("answered", true, 1, vec!["completed"]),
            b'5' => ("max_attempts", false, 2, vec!["busy", "busy"]),
            b'6' => ("max_attempts", false, 2, vec!["not_answered", "not_answered"]),
            b'7' => ("max_attempts", false, 2, vec!["failed", "failed"]),
            b'9' => ("max_attempts", false, 2, vec!["errored", "errored"]),
            _ => unreachable!(),
        };
        assert_eq!(p["state"], "done", "{p}");
        assert_eq!(p["done_reason"], expected.0, "{p}");
        assert_eq!(p["answered"], expected.1, "{p}");
        assert_eq!(p["attempts"], expected.2, "{p}");
        assert_eq!(statuses, expected.3, "{phone}");
        if phone.ends_with('9') {
            assert_eq!(calls["items"][0]["error_code"], 21215, "{calls}");
        }
    }
    let (_, stats) = api.get(&format!("/api/v1/callouts/{id}/statistics")).await;
    assert_eq!(stats["answered"], 2, "{stats}");
    assert_eq!(stats["calls_total"], 10, "{stats}");
    assert_eq!(stats["calls_in_flight"], 0);
    // Refused calls never reach telsim's dial list; the others did, with our caller id.
    let placed = sim.calls();
    let dialled: Vec<&Value> = placed
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["to"].as_str().unwrap().ends_with('9'))
        .collect();
    assert_eq!(dialled.len(), 8, "{placed}");
    assert!(dialled.iter().all(|c| c["from"] == "+34930000000"));
}

/// The largest number of intervals open at once.
fn max_overlap(intervals: &[(DateTime<Utc>, DateTime<Utc>)]) -> usize {
    let mut edges: Vec<(DateTime<Utc>, i32)> = Vec::new();
    for (a, b) in intervals {
        edges.push((*a, 1));
        edges.push((*b, -1));
    }
    // Ends before starts at the same instant.
    edges.sort_by_key(|(t, d)| (*t, *d));
    let (mut open, mut max) = (0i32, 0i32);
    for (_, d) in edges {
        open += d;
        max = max.max(open);
    }
    max as usize
}

#[tokio::test]
async fn two_instances_never_exceed_the_limit_nor_double_call() {
    const LIMIT: usize = 3;
    let sim = telsim(40.0).await;
    let db = server::testing::fresh_db().await;
    let a = TestApp::spawn_with(db.clone(), options(&sim, 20)).await;
    let b = TestApp::spawn_with(db, options(&sim, 20)).await;
    let api = token_api(&a).await;
    // Answered (0–4) and busy (5) numbers: some retried.
    let contacts: Vec<Value> = (0..24)
        .map(|i| json!({ "phone": format!("+3460000{:03}{}", i, [0, 1, 2, 3, 5, 4][i % 6]) }))
        .collect();
    let (s, v) = api.post("/api/v1/contacts/bulk", json!(contacts)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = callout(
        &api,
        json!({
            "name": "Two instances", "caller_id": "+34930000000", "max_concurrent_calls": LIMIT,
            "max_attempts": 2, "retry_delay_minutes": 0
        }),
    )
    .await;
    let (_, v) = api.post(&format!("/api/v1/callouts/{id}/populate"), json!({})).await;
    assert_eq!(v["added"], 24, "{v}");
    assert_eq!(api.event(id, "start").await.0, StatusCode::OK);
    let api_b = token_api(&b).await;
    wait_done(&api_b, id).await;

    // From the database: calls from being claimed (sent_at) to being over (completed_at).
    type CallSpan = (i64, i32, DateTime<Utc>, DateTime<Utc>, Option<String>);
    let rows: Vec<CallSpan> = sqlx::query_as(
        "SELECT participation_id, attempt, sent_at, completed_at, placed_by FROM calls
         WHERE callout_id = $1 ORDER BY participation_id, attempt",
    )
    .bind(id)
    .fetch_all(&a.db)
    .await
    .unwrap();
    assert!(rows.len() >= 24);
    let intervals: Vec<_> = rows.iter().map(|r| (r.2, r.3)).collect();
    assert!(
        max_overlap(&intervals) <= LIMIT,
        "more than {LIMIT} calls at once (database)"
    );
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 {
            assert!(w[1].2 >= w[0].3, "participation {} had two calls in flight", w[0].0);
        }
    }
    let instances: std::collections::HashSet<_> = rows.iter().filter_map(|r| r.4.clone()).collect();
    assert_eq!(
        instances.len(),
        2,
        "both instances placed calls (placed_by: {instances:?})"
    );
    // From the provider's side: dialled until the final status.
    let placed = sim.calls();
    let sim_intervals: Vec<_> = placed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let start: DateTime<Utc> = serde_json::from_value(c["dialled_at"].clone()).unwrap();
            let end: DateTime<Utc> =
                serde_json::from_value(c["events"].as_array().unwrap().last().unwrap()["at"].clone()).unwrap();
            (start, end)
        })
        .collect();
    assert_eq!(sim_intervals.len(), rows.len(), "one provider call per call row");
    assert!(
        max_overlap(&sim_intervals) <= LIMIT,
        "more than {LIMIT} calls at once (telsim)"
    );
    let (_, stats) = api.get(&format!("/api/v1/callouts/{id}/statistics")).await;
    assert_eq!(stats["answered"], 20, "{stats}");
}

/// The dialer's claim filters contacts by calling hours in SQL (`within_calling_hours`); it must
/// give the same answer as the domain rule for every kind of window, across days and zones.
#[tokio::test]
async fn calling_hours_agree_in_sql_and_in_the_domain() {
    use app::callouts::rules::pacing::{CallingHours, parse_time_zone};
    use chrono::TimeZone;
    let db = server::testing::fresh_db().await;
    let windows = [
        CallingHours::parse("mon-fri", "09:00", "20:00").unwrap(),
        CallingHours::parse("sat,sun", "22:00", "06:00").unwrap(),
        CallingHours::parse("wed", "10:00", "10:00").unwrap(),
        CallingHours::parse("sun", "23:30", "00:30").unwrap(),
    ];
    let zones = ["Europe/Madrid", "America/New_York", "Asia/Kolkata"];
    let mut checked = 0;
    for h in &windows {
        let days = app::callouts::rules::settings::day_numbers(&h.days);
        for zone in zones {
            let tz = parse_time_zone(zone).unwrap();
            // A week in 37-minute steps (crosses every hour boundary at different minutes).
            let start = Utc.with_ymd_and_hms(2026, 3, 23, 0, 0, 0).unwrap();
            let instants: Vec<DateTime<Utc>> = (0..(7 * 24 * 60 / 37))
                .map(|i| start + chrono::Duration::minutes(i * 37))
                .collect();
            let sql: Vec<bool> = sqlx::query_scalar(
                "SELECT within_calling_hours(t AT TIME ZONE $2, $3, $4, $5)
                 FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(t, i) ORDER BY i",
            )
            .bind(&instants)
            .bind(zone)
            .bind(&days)
            .bind(h.start)
            .bind(h.end)
            .fetch_all(&db)
            .await
            .unwrap();
            for (t, in_sql) in instants.iter().zip(sql) {
                assert_eq!(in_sql, h.contains(tz, *t), "{h:?} in {zone} at {t}");
                checked += 1;
            }
        }
    }
    assert!(checked > 3000);
}
