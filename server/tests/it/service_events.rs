//! A change made through the console's server functions and the same change made through the
//! REST API publish the same live events (both go through the area's service), and an event
//! published inside a transaction that rolls back reaches nobody.
use crate::common::*;
use app::shell::events::LiveEvent;
use app::shell::topics::Topic;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;

/// An event as the test compares it: the topic with the callout's id written `{id}`, and the
/// data with the changed record's id written `{id}` (the two doors change two records).
type Seen = (String, Value);

fn normalised(ev: &LiveEvent, id: i64) -> Seen {
    let topic = if ev.topic == Topic::Callout(id).name() {
        "callouts.{id}".to_string()
    } else {
        ev.topic.clone()
    };
    let mut data = ev.data.clone();
    if let Value::Object(m) = &mut data {
        for v in m.values_mut() {
            if v.as_i64() == Some(id) {
                *v = json!("{id}");
            }
        }
    }
    (topic, data)
}

/// Listens on the instance's live-event bus (what every SSE client of it is fed from).
struct Events {
    rx: Receiver<Arc<LiveEvent>>,
    markers: u64,
}

impl Events {
    /// Subscribes, then lets the events of the set-up (accounts, tokens) go by.
    async fn new(app: &TestApp) -> Events {
        let mut e = Events {
            rx: app.services.events.subscribe(),
            markers: 0,
        };
        e.since(app, 0).await;
        e
    }

    /// The events published since the last call: a marker is published now and everything
    /// before it is returned (PostgreSQL delivers notifications in commit order). The dialer's
    /// own nudges about a running callout (`tick`, `placed`) are not the change's and are left
    /// out.
    async fn since(&mut self, app: &TestApp, id: i64) -> Vec<Seen> {
        self.markers += 1;
        let marker = json!({ "marker": self.markers });
        app.services.events.publish(Topic::Rota, marker.clone()).await.unwrap();
        let mut out = Vec::new();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
                .await
                .expect("the marker in time")
                .expect("no event lost");
            if ev.topic == Topic::Rota.name() && ev.data == marker {
                return out;
            }
            let nudge = ev.data.get("tick").is_some() || ev.data.get("placed").is_some();
            if !nudge {
                out.push(normalised(&ev, id));
            }
        }
    }
}

async fn rest(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn ok(status: StatusCode, what: &str) {
    assert!(status.is_success(), "{what}: {status}");
}

#[tokio::test]
async fn callout_changes_publish_the_same_events_through_rest_and_the_console() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let pw = app.user("mia", &[Role::Manager]).await;
    let console = Browser::signed_in(&app, "mia", &pw).await;
    let token = app.token("crm", &[Scope::Callouts]).await;
    let mut events = Events::new(&app).await;

    // Through the console.
    let (s, v) = console
        .call(
            "/api/callouts/save",
            json!({ "id": null, "input": { "name": "Console" } }),
        )
        .await;
    ok(s, "console create");
    let a = v.unwrap().as_i64().unwrap();
    let mut by_console = vec![("create", events.since(&app, a).await)];
    let (s, _) = console
        .call(
            "/api/callouts/save",
            json!({ "id": a, "input": { "name": "Console 2" } }),
        )
        .await;
    ok(s, "console update");
    by_console.push(("update", events.since(&app, a).await));
    let (s, _) = console
        .call("/api/callouts/populate", json!({ "id": a, "filter": {} }))
        .await;
    ok(s, "console populate");
    by_console.push(("populate", events.since(&app, a).await));
    for event in ["start", "pause", "resume", "stop"] {
        let (s, _) = console
            .call("/api/callouts/event", json!({ "id": a, "event": event }))
            .await;
        ok(s, event);
        by_console.push((event, events.since(&app, a).await));
    }
    let (s, _) = console.call("/api/callouts/delete", json!({ "id": a })).await;
    ok(s, "console delete");
    by_console.push(("delete", events.since(&app, a).await));

    // Through REST.
    let (s, v) = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/callouts",
        Some(json!({ "name": "Rest" })),
    )
    .await;
    ok(s, "rest create");
    let b = v["id"].as_i64().unwrap();
    let mut by_rest = vec![("create", events.since(&app, b).await)];
    let path = format!("/api/v1/callouts/{b}");
    let (s, _) = rest(&app, &token, Method::PATCH, &path, Some(json!({ "name": "Rest 2" }))).await;
    ok(s, "rest update");
    by_rest.push(("update", events.since(&app, b).await));
    let (s, _) = rest(&app, &token, Method::POST, &format!("{path}/populate"), Some(json!({}))).await;
    ok(s, "rest populate");
    by_rest.push(("populate", events.since(&app, b).await));
    for event in ["start", "pause", "resume", "stop"] {
        let (s, _) = rest(
            &app,
            &token,
            Method::POST,
            &format!("{path}/events"),
            Some(json!({ "event": event })),
        )
        .await;
        ok(s, event);
        by_rest.push((event, events.since(&app, b).await));
    }
    let (s, _) = rest(&app, &token, Method::DELETE, &path, None).await;
    ok(s, "rest delete");
    by_rest.push(("delete", events.since(&app, b).await));

    assert_eq!(by_rest, by_console);
    // And each change reaches both the callout's page and the list (a pause through REST used
    // to leave the list showing "running").
    for (what, seen) in &by_rest {
        let topics: Vec<&str> = seen.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(topics, ["callouts.{id}", "callouts.list"], "{what}");
    }
}

#[tokio::test]
async fn contact_and_caller_id_changes_publish_the_same_events_through_rest_and_the_console() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let pw = app.user("mia", &[Role::Manager]).await;
    let console = Browser::signed_in(&app, "mia", &pw).await;
    let token = app.token("crm", &[Scope::Callouts]).await;
    let mut events = Events::new(&app).await;

    let (s, v) = console
        .call(
            "/api/contacts/save",
            json!({ "id": null, "input": { "phone": "+34600000001", "name": "Ana" } }),
        )
        .await;
    ok(s, "console create");
    let a = v.unwrap().as_i64().unwrap();
    let mut by_console = vec![("create", events.since(&app, a).await)];
    let (s, _) = console
        .call(
            "/api/contacts/save",
            json!({ "id": a, "input": { "phone": "+34600000001", "name": "Ana B" } }),
        )
        .await;
    ok(s, "console update");
    by_console.push(("update", events.since(&app, a).await));
    let (s, _) = console.call("/api/contacts/delete", json!({ "id": a })).await;
    ok(s, "console delete");
    by_console.push(("delete", events.since(&app, a).await));
    let (s, _) = console
        .call(
            "/api/contacts/import",
            json!({
                "mapping": { "columns": ["Phone", "Name"] },
                "rows": [{ "line": 2, "cells": ["+34600000002", "Bea"] }, { "line": 3, "cells": ["+34600000003", "Cai"] }],
            }),
        )
        .await;
    ok(s, "console import");
    by_console.push(("bulk", events.since(&app, 0).await));
    let (s, _) = console
        .call(
            "/api/callouts/caller-ids/save",
            json!({ "prefix": "+34", "caller_id": "+34910000000" }),
        )
        .await;
    ok(s, "console caller id");
    by_console.push(("caller id", events.since(&app, 0).await));
    let (s, _) = console
        .call(
            "/api/callouts/caller-ids/save",
            json!({ "prefix": "+34", "caller_id": "" }),
        )
        .await;
    ok(s, "console caller id removed");
    by_console.push(("caller id removed", events.since(&app, 0).await));

    let (s, v) = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/contacts",
        Some(json!({ "phone": "+34600000011", "name": "Dan" })),
    )
    .await;
    ok(s, "rest create");
    let b = v["id"].as_i64().unwrap();
    let mut by_rest = vec![("create", events.since(&app, b).await)];
    let path = format!("/api/v1/contacts/{b}");
    let (s, _) = rest(&app, &token, Method::PATCH, &path, Some(json!({ "name": "Dan B" }))).await;
    ok(s, "rest update");
    by_rest.push(("update", events.since(&app, b).await));
    let (s, _) = rest(&app, &token, Method::DELETE, &path, None).await;
    ok(s, "rest delete");
    by_rest.push(("delete", events.since(&app, b).await));
    let (s, _) = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/contacts/bulk",
        Some(json!([{ "phone": "+34600000012", "name": "Eva" }, { "phone": "+34600000013", "name": "Fer" }])),
    )
    .await;
    ok(s, "rest bulk");
    by_rest.push(("bulk", events.since(&app, 0).await));
    let (s, _) = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/caller_ids",
        Some(json!({ "prefix": "+34", "caller_id": "+34910000000" })),
    )
    .await;
    ok(s, "rest caller id");
    by_rest.push(("caller id", events.since(&app, 0).await));
    let (s, _) = rest(&app, &token, Method::DELETE, "/api/v1/caller_ids/+34", None).await;
    ok(s, "rest caller id removed");
    by_rest.push(("caller id removed", events.since(&app, 0).await));

    assert_eq!(by_rest, by_console);
    for (what, seen) in &by_rest {
        assert_eq!(seen.len(), 1, "{what}: {seen:?}");
    }
}

#[tokio::test]
async fn a_refused_change_publishes_nothing_through_either_door() {
    let app = TestApp::spawn().await;
    let pw = app.user("mia", &[Role::Manager]).await;
    let console = Browser::signed_in(&app, "mia", &pw).await;
    let token = app.token("crm", &[Scope::Callouts]).await;
    let mut events = Events::new(&app).await;
    let (_, v) = console
        .call("/api/callouts/save", json!({ "id": null, "input": { "name": "X" } }))
        .await;
    let id = v.unwrap().as_i64().unwrap();
    events.since(&app, id).await;

    // Pausing a callout that never started is refused, and announces nothing.
    let (s, _) = console
        .call("/api/callouts/event", json!({ "id": id, "event": "pause" }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = rest(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/callouts/{id}/events"),
        Some(json!({ "event": "pause" })),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(events.since(&app, id).await, Vec::<Seen>::new());
}

#[tokio::test]
async fn an_event_published_in_a_transaction_that_rolls_back_reaches_no_subscriber() {
    let app = TestApp::spawn().await;
    let pw = app.user("root", &[Role::Admin]).await;
    let admin = Browser::signed_in(&app, "root", &pw).await;
    let mut sse = Sse::open(&admin).await;
    // Past the set-up's own events (the account above) on both subscribers.
    let mut events = Events::new(&app).await;
    loop {
        if sse.next_event().await["data"] == json!({ "marker": 1 }) {
            break;
        }
    }
    let rx = &mut events.rx;

    let mut tx = app.db.begin().await.unwrap();
    app::shell::events::publish_in(&mut tx, Topic::Users, json!({ "rolled": "back" }))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    app::shell::events::publish_in(&mut tx, Topic::Users, json!({ "committed": true }))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // The first event either subscriber sees is the committed one.
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("an event in time")
        .unwrap();
    assert_eq!(first.data, json!({ "committed": true }));
    assert_eq!(
        sse.next_event().await,
        json!({ "topic": "admin.users", "data": { "committed": true } })
    );
}

#[tokio::test]
async fn rota_changes_announce_once_after_they_commit_and_refused_ones_not_at_all() {
    let app = TestApp::spawn().await;
    let pw = app.user("carla", &[Role::Coordinator]).await;
    let coordinator = Browser::signed_in(&app, "carla", &pw).await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    let mut events = Events::new(&app).await;
    let rota = |what: &str| (Topic::Rota.name(), json!({ "what": what }));
    let holiday = json!({ "holiday": { "day": "2027-05-01", "name": "Labour day", "kind": "holiday" } });

    let (s, _) = coordinator.call("/api/rota/holidays/save", holiday.clone()).await;
    ok(s, "holiday saved");
    assert_eq!(events.since(&app, 0).await, vec![rota("holidays")]);
    let (s, _) = coordinator.call("/api/rota/lines", json!({ "add": true })).await;
    ok(s, "line added");
    assert_eq!(events.since(&app, 0).await, vec![rota("settings")]);

    // Refused: not the agent's to change, a holiday that is not there, a line that is in use.
    let (s, _) = agent.call("/api/rota/holidays/save", holiday).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = coordinator
        .call("/api/rota/holidays/delete", json!({ "day": "2027-05-02" }))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = coordinator
        .call(
            "/api/rota/timetable/generate",
            json!({ "day": "2027-05-03", "seed": 1, "time_limit_s": 0.01, "repair": false }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a time limit out of range");
    assert_eq!(events.since(&app, 0).await, Vec::<Seen>::new());

    let (s, _) = coordinator
        .call("/api/rota/holidays/delete", json!({ "day": "2027-05-01" }))
        .await;
    ok(s, "holiday deleted");
    assert_eq!(events.since(&app, 0).await, vec![rota("holidays")]);
}
