//! The team chat over real HTTP: the webhook adapter posts `{"text"}` to the chat simulator; a
//! failing webhook (500, or nobody listening) is retried with the failure logged, then
//! succeeds; a turn's reminder is sent once with two instances running; a disconnected agent
//! on duty gives one alert and one "over" message; "say as Switchboard" is for coordinators and
//! admins and refuses empty text; the Simulators page is for admins.
use crate::common::pbx::{self, Workers};
use crate::common::*;
use app::chat::service;
use app::ports::{Chat, ChatError};
use app::queue::rules::board::{Board, MemberState};
use app::shell::service::Actor;
use chrono::{DateTime, Datelike, Duration as Days, Timelike, Utc};
use serde_json::json;
use server::chat::sim::{self as chatsim, Chatsim};
use server::chat::webhook::WebhookChat;
use server::config::ChatConfig;
use server::{StartOptions, testing::fresh_db};
use std::sync::{Arc, RwLock};
use std::time::Duration;

async fn local_sim() -> Chatsim {
    chatsim::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .expect("chat simulator")
}

/// An app posting to `webhook`, retrying quickly.
fn options(webhook: &str) -> StartOptions {
    StartOptions {
        chat: ChatConfig {
            webhook_url: Some(webhook.to_string()),
            retry_base: Duration::from_millis(50),
            look_every: Duration::from_millis(50),
            ..ChatConfig::default()
        },
        ..StartOptions::default()
    }
}

/// Waits (up to the hang guard) until `ok` holds of the value `read` gives.
async fn until<T: std::fmt::Debug, F: Future<Output = T>>(mut read: impl FnMut() -> F, ok: impl Fn(&T) -> bool) -> T {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        let v = read().await;
        if ok(&v) {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "never got there: {v:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// (status, attempts, last_error) of a message.
async fn message_row(db: &sqlx::PgPool, id: i64) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT status, attempts, last_error FROM chat_messages WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await
        .expect("message")
}

fn texts(sim: &Chatsim) -> Vec<String> {
    sim.messages().into_iter().map(|m| m.text).collect()
}

#[tokio::test]
async fn the_webhook_adapter_posts_text_json_to_the_simulator() {
    let sim = local_sim().await;
    let chat = WebhookChat::new(&sim.webhook_url()).expect("adapter");
    chat.post("Hello, team").await.expect("posted");
    assert_eq!(texts(&sim), vec!["Hello, team".to_string()]);
    // What the simulator received is JSON {"text"}: a body without it is refused.
    let res = reqwest::Client::new()
        .post(sim.webhook_url())
        .json(&json!({"message": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::BAD_REQUEST);
    // A wrong key is not a webhook.
    let wrong = WebhookChat::new(&format!("http://{}/chatsim/nope", sim.addr)).unwrap();
    match wrong.post("x").await {
        Err(ChatError::Rejected { status: 404, .. }) => {}
        other => panic!("expected a 404 rejection, got {other:?}"),
    }
    // The simulator's own listing.
    let listed: serde_json::Value = reqwest::get(format!("{}/messages", sim.webhook_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().map(|a| a.len()), Some(1));
    assert_eq!(texts(&sim).len(), 1);
}

#[tokio::test]
async fn a_webhook_answering_500_is_retried_with_the_failure_logged_then_succeeds() {
    let sim = local_sim().await;
    sim.fail_next(2);
    let app = TestApp::spawn_with(fresh_db().await, options(&sim.webhook_url())).await;
    let pw = app.user("carla", &[Role::Coordinator]).await;
    let carla = Browser::signed_in(&app, "carla", &pw).await;
    let (status, body) = carla.call("/api/chat/say", json!({"text": "Lunch at two"})).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body:?}");
    let id = body.unwrap()["id"].as_i64().unwrap();
    // Two attempts failed (logged: the last error stays on the message), the third got through.
    let (status, attempts, error) = until(|| message_row(&app.db, id), |r| r.0 == "sent").await;
    assert_eq!((status.as_str(), attempts), ("sent", 3));
    assert!(
        error.as_deref().unwrap_or_default().contains("answered 500"),
        "{error:?}"
    );
    assert_eq!(texts(&sim), vec!["Lunch at two".to_string()]);
    // A chat that keeps failing: given up after the last attempt, marked failed with why.
    sim.fail_next(100);
    let (_, body) = carla.call("/api/chat/say", json!({"text": "Nobody hears this"})).await;
    let id = body.unwrap()["id"].as_i64().unwrap();
    let (status, attempts, error) = until(|| message_row(&app.db, id), |r| r.0 == "failed").await;
    assert_eq!(
        (status.as_str(), attempts),
        ("failed", app::chat::rules::message::MAX_ATTEMPTS)
    );
    assert!(error.unwrap_or_default().contains("500"));
    assert_eq!(texts(&sim).len(), 1);
}

#[tokio::test]
async fn a_webhook_nobody_listens_on_is_retried_until_it_answers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = port.local_addr().unwrap();
    drop(port);
    let url = format!("http://{addr}/chatsim/k3y");
    let app = TestApp::spawn_with(fresh_db().await, options(&url)).await;
    let m = service::post(
        &app.services,
        &Actor::Operator,
        app::chat::MessageKind::Statistics,
        "Calls today: 12",
    )
    .await
    .expect("logged");
    // The first attempts fail, logged with why (not with the URL: it is a secret).
    let (status, _, error) = until(|| message_row(&app.db, m.id), |r| r.2.is_some()).await;
    assert_ne!(status, "sent");
    let error = error.unwrap();
    assert!(error.contains("could not connect") && !error.contains("k3y"), "{error}");
    // The chat comes up on that port: the retry gets through.
    let listener = tokio::net::TcpListener::bind(addr).await.expect("the same port again");
    let sim = chatsim::spawn_on(listener, "k3y").unwrap();
    let (status, attempts, _) = until(|| message_row(&app.db, m.id), |r| r.0 == "sent").await;
    assert_eq!(status, "sent");
    assert!(attempts >= 2, "{attempts}");
    assert_eq!(texts(&sim), vec!["Calls today: 12".to_string()]);
}

fn hm(t: DateTime<Utc>) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// A published week (UTC) with `who` in `day`'s turn 0.
async fn publish_turn(db: &sqlx::PgPool, boundaries: &[String], day: chrono::NaiveDate, who: &[(&str, &str)]) {
    sqlx::query("UPDATE team_settings SET time_zone = 'UTC', turn_boundaries = $1")
        .bind(boundaries)
        .execute(db)
        .await
        .expect("team");
    let monday = day - Days::days(day.weekday().num_days_from_monday() as i64);
    sqlx::query(
        "INSERT INTO rota_weeks (monday, status, turn_boundaries, time_zone, lines) VALUES ($1, 'published', $2, 'UTC', 3)",
    )
    .bind(monday)
    .bind(boundaries)
    .execute(db)
    .await
    .expect("week");
    for (line, (handle, ext)) in who.iter().enumerate() {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO people (handle, full_name, extension) VALUES ($1, initcap($1), $2) RETURNING id",
        )
        .bind(handle)
        .bind(Some(*ext).filter(|e| !e.is_empty()))
        .fetch_one(db)
        .await
        .expect("person");
        sqlx::query("INSERT INTO rota_seats (monday, day, turn, line, person_id) VALUES ($1, $2, 0, $3, $4)")
            .bind(monday)
            .bind(day)
            .bind(line as i16)
            .bind(id)
            .execute(db)
            .await
            .expect("seat");
    }
}

#[tokio::test]
async fn a_turn_is_reminded_once_with_two_instances_running() {
    let now = Utc::now();
    // A turn starting two to three minutes from now (whole minutes), for an hour.
    let start = (now + Days::minutes(3))
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap();
    let end = start + Days::minutes(60);
    if end.date_naive() != now.date_naive() {
        eprintln!("skipped: the turn would cross midnight UTC");
        return;
    }
    let sim = local_sim().await;
    let db = fresh_db().await;
    publish_turn(
        &db,
        &[hm(start), hm(end)],
        start.date_naive(),
        &[("alex", "202"), ("blai", "")],
    )
    .await;
    let one = TestApp::spawn_with(db.clone(), options(&sim.webhook_url())).await;
    let two = TestApp::spawn_with(db.clone(), options(&sim.webhook_url())).await;
    let sent = until(|| async { texts(&sim) }, |t| !t.is_empty()).await;
    assert_eq!(
        sent,
        vec![format!(
            "Turn 1 ({}–{}) starts in 5 min: Alex, blai.",
            hm(start),
            hm(end)
        )]
    );
    // Both instances look again at the same moment: neither posts it twice.
    let at = Utc::now();
    let (a, b) = tokio::join!(
        service::remind(&one.services, &Actor::Operator, at),
        service::remind(&two.services, &Actor::Operator, at)
    );
    assert!(a.unwrap().is_none() && b.unwrap().is_none());
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM chat_messages WHERE kind = 'reminder'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    until(
        || async {
            sqlx::query_scalar::<_, String>("SELECT status FROM chat_messages WHERE kind = 'reminder'")
                .fetch_one(&db)
                .await
                .unwrap()
        },
        |s| s == "sent",
    )
    .await;
    assert_eq!(texts(&sim).len(), 1);
    // Only the server itself reminds.
    let admin = Actor::User(app::accounts::Me {
        id: 1,
        username: "root".into(),
        display_name: "root".into(),
        roles: vec![Role::Admin],
    });
    assert!(matches!(
        service::remind(&one.services, &admin, at).await,
        Err(app::shell::service::ServiceError::Forbidden)
    ));
}

#[tokio::test]
async fn a_disconnected_agent_on_duty_gives_one_alert_and_one_over_message() {
    let now = Utc::now();
    if now.hour() == 23 && now.minute() >= 55 {
        eprintln!("skipped: too close to midnight UTC");
        return;
    }
    let sim = local_sim().await;
    let db = fresh_db().await;
    publish_turn(
        &db,
        &["00:00".into(), "23:59".into()],
        now.date_naive(),
        &[("alex", "202")],
    )
    .await;
    let app = TestApp::spawn_with(db.clone(), options(&sim.webhook_url())).await;
    let rig = pbx::start(&app, pbx::config("chat-secret", 1.0), Workers::Board).await;
    rig.add_member("PJSIP/202", "Alex").await;
    let state = |b: &Arc<RwLock<Board>>| b.read().unwrap().members.get("PJSIP/202").map(|m| m.state);
    until(|| async { state(&rig.board) }, |s| *s == Some(MemberState::Available)).await;
    let phone = |registered: bool| {
        let url = format!("{}/pbxsim/phones/202", rig.sim.control_url());
        async move {
            let res = reqwest::Client::new()
                .post(url)
                .bearer_auth("chat-secret")
                .json(&json!({"registered": registered}))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{}", res.status());
        }
    };
    phone(false).await;
    let alert = until(|| async { texts(&sim) }, |t| !t.is_empty()).await;
    assert_eq!(alert.len(), 1);
    assert!(
        alert[0].contains("Alex (PJSIP/202)") && alert[0].contains("disconnected"),
        "{alert:?}"
    );
    phone(true).await;
    let both = until(|| async { texts(&sim) }, |t| t.len() >= 2).await;
    assert!(both[1].contains("connected again"), "{both:?}");
    let (open, closed, told): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE ended_at IS NULL), count(*) FILTER (WHERE ended_at IS NOT NULL),
                count(*) FILTER (WHERE alert_id IS NOT NULL AND over_id IS NOT NULL)
           FROM chat_incidents",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((open, closed, told), (0, 1, 1));
    // The incident is over: further looks post nothing.
    let again = service::watch_incidents(&app.services, &Actor::Operator, Utc::now())
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(texts(&sim).len(), 2);
}

#[tokio::test]
async fn say_as_switchboard_is_for_coordinators_and_admins_with_valid_text() {
    let sim = local_sim().await;
    let app = TestApp::spawn_with(fresh_db().await, options(&sim.webhook_url())).await;
    let alex_pw = app.user("alex", &[Role::Agent]).await;
    let carla_pw = app.user("carla", &[Role::Coordinator]).await;
    let alex = Browser::signed_in(&app, "alex", &alex_pw).await;
    let carla = Browser::signed_in(&app, "carla", &carla_pw).await;
    let (status, _) = alex.call("/api/chat/say", json!({"text": "hi"})).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    assert_invalid(&carla.call("/api/chat/say", json!({"text": "  \n "})).await, "text");
    assert_invalid(
        &carla.call("/api/chat/say", json!({"text": "a".repeat(1001)})).await,
        "text",
    );
    assert_invalid(&carla.call("/api/chat/say", json!({"text": "tab\there"})).await, "text");
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM chat_messages")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(none, 0, "a refused message is not logged");
    let (status, body) = carla
        .call("/api/chat/say", json!({"text": " Coffee\nin the kitchen "}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body:?}");
    let id = body.unwrap()["id"].as_i64().unwrap();
    until(|| message_row(&app.db, id), |r| r.0 == "sent").await;
    let actor: Option<String> = sqlx::query_scalar("SELECT actor FROM chat_messages WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(actor.as_deref(), Some("carla"));
    assert_eq!(texts(&sim), vec!["Coffee\nin the kitchen".to_string()]);
}

#[tokio::test]
async fn the_simulators_page_is_for_admins_and_shows_the_chat_simulator() {
    // Default options: the chat simulator in-process.
    let app = TestApp::spawn().await;
    let root_pw = app.user("root", &[Role::Admin]).await;
    let carla_pw = app.user("carla", &[Role::Coordinator]).await;
    let root = Browser::signed_in(&app, "root", &root_pw).await;
    let carla = Browser::signed_in(&app, "carla", &carla_pw).await;
    let (status, _) = carla.call("/api/simulators", json!({})).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    assert_eq!(carla.get("/simulators").await.status(), reqwest::StatusCode::FORBIDDEN);
    assert_eq!(root.get("/simulators").await.status(), reqwest::StatusCode::OK);
    let mut sse = Sse::open(&root).await;
    let (status, _) = root.call("/api/chat/say", json!({"text": "Hello from root"})).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    loop {
        let ev = sse.next_event().await;
        if ev["topic"] == "simulators.chat" {
            break;
        }
    }
    let v = until(
        || async { root.call("/api/simulators", json!({})).await.1.unwrap() },
        |v| v["chat"]["Read"].as_array().is_some_and(|a| !a.is_empty()),
    )
    .await;
    assert_eq!(v["chat"]["Read"][0]["text"], "Hello from root");
    assert_eq!(v["log"][0]["status"], "sent");
    // telsim runs in-process too: its (empty) calls are read over its REST API.
    assert!(v["calls"]["Read"].is_array(), "{v}");
    assert_eq!(v["pbx"], "NotRunning");
}

/// A fixed-offset zone in which it is now about noon, so a team day of 08:00–09:00 is over and
/// its date is today whatever the hour of the run.
fn zone_at_noon() -> (String, chrono_tz::Tz) {
    let offset = 12 - Utc::now().hour() as i32;
    // Etc/GMT-N is N hours east of UTC.
    let name = match offset {
        0 => "Etc/GMT".to_string(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    let tz = name.parse().expect("an Etc zone");
    (name, tz)
}

#[tokio::test]
async fn the_days_statistics_are_posted_once_when_its_last_turn_is_over_and_calls_came() {
    let sim = local_sim().await;
    let app = TestApp::spawn_with(fresh_db().await, options(&sim.webhook_url())).await;
    let (zone, tz) = zone_at_noon();
    sqlx::query("UPDATE team_settings SET time_zone = $1, turn_boundaries = ARRAY['08:00','09:00']")
        .bind(&zone)
        .execute(&app.db)
        .await
        .unwrap();
    // The day is over but no call came: nothing to report.
    let posted = service::post_day_statistics(&app.services, &Actor::Operator, Utc::now())
        .await
        .unwrap();
    assert!(posted.is_none(), "{posted:?}");
    // Two calls of the day: one answered after 12 s and talked 60 s, one abandoned after 30 s.
    let joined = Utc::now() - chrono::Duration::minutes(30);
    assert_eq!(
        joined.with_timezone(&tz).date_naive(),
        Utc::now().with_timezone(&tz).date_naive()
    );
    // One statement: the worker must not see the day half recorded.
    sqlx::query(
        "INSERT INTO queue_calls (queue, uniqueid, joined_at, wait_secs, answered_at, agent_interface, agent_name, talk_secs, ended_at, abandoned_at, left_at)
         VALUES ('support', 'u.1', $1, 12, $1 + interval '12 s', 'PJSIP/202', 'Alex', 60, $1 + interval '72 s', NULL, $1 + interval '12 s'),
                ('support', 'u.2', $1, 30, NULL, NULL, NULL, NULL, NULL, $1 + interval '30 s', $1 + interval '30 s')",
    )
    .bind(joined)
    .execute(&app.db)
    .await
    .unwrap();
    // The worker posts it (the chat simulator receives it), once.
    let got = until(|| async { texts(&sim) }, |t| !t.is_empty()).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains(": 2 calls, 1 answered") && got[0].contains("1 abandoned"),
        "{got:?}"
    );
    let kind: String =
        sqlx::query_scalar("SELECT m.kind FROM chat_day_statistics d JOIN chat_messages m ON m.id = d.message_id")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(kind, "statistics");
    let again = service::post_day_statistics(&app.services, &Actor::Operator, Utc::now())
        .await
        .unwrap();
    assert!(again.is_none(), "posted once a day");
    assert_eq!(texts(&sim).len(), 1);
}
