//! Sessions and their live streams: a stream ends with its session (sign-out, password change,
//! deactivation, idle expiry) or a change of the user's roles; a session in use outlives its
//! idle time; cross-site state changes with a valid cookie are refused.

use crate::common::*;
use app::shell::service::Actor;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// Well above the streams' re-check interval (2 s), well below "never".
const ENDS_IN: Duration = Duration::from_secs(8);

async fn agent_with_stream(app: &TestApp) -> (i64, Browser, Sse) {
    let pw = app.user("alex", &[Role::Agent]).await;
    let b = Browser::signed_in(app, "alex", &pw).await;
    let sse = Sse::open(&b).await;
    (user_id(&app.db, "alex").await, b, sse)
}

#[tokio::test]
async fn the_stream_ends_at_sign_out() {
    let app = TestApp::spawn().await;
    let (_, b, mut sse) = agent_with_stream(&app).await;
    // Still open while signed in: an event gets through.
    app.services
        .events
        .publish(app::shell::topics::Topic::Rota, json!({"n": 1}))
        .await
        .unwrap();
    assert_eq!(sse.next_event().await["topic"], "rota.data");
    assert_eq!(b.logout().await, StatusCode::OK);
    assert!(sse.ends_within(ENDS_IN).await, "the stream outlived its session");
    // Reconnecting is refused now.
    assert_eq!(b.get("/api/events").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_stream_ends_when_the_account_is_deactivated() {
    let app = TestApp::spawn().await;
    let (id, _b, mut sse) = agent_with_stream(&app).await;
    app::accounts::service::set_active(&app.db, &Actor::Operator, id, false)
        .await
        .unwrap();
    assert!(sse.ends_within(ENDS_IN).await, "the stream outlived the account");
}

#[tokio::test]
async fn the_stream_ends_when_the_password_changes() {
    let app = TestApp::spawn().await;
    let (id, _b, mut sse) = agent_with_stream(&app).await;
    app::accounts::service::set_password(&app.db, &Actor::Operator, id, None)
        .await
        .unwrap();
    assert!(sse.ends_within(ENDS_IN).await, "the stream outlived the password");
}

#[tokio::test]
async fn the_stream_ends_when_the_roles_change_and_the_new_one_gets_the_new_topics() {
    let app = TestApp::spawn().await;
    let (id, b, mut sse) = agent_with_stream(&app).await;
    app::accounts::service::set_roles(&app.db, &Actor::Operator, id, &[Role::Agent, Role::Admin])
        .await
        .unwrap();
    assert!(sse.ends_within(ENDS_IN).await, "the stream kept the old roles");
    // The session itself goes on; the reconnected stream carries the admin's topics.
    let mut again = Sse::open(&b).await;
    app.services
        .events
        .publish(app::shell::topics::Topic::Users, json!({"id": 1}))
        .await
        .unwrap();
    assert_eq!(again.next_event().await["topic"], "admin.users");
}

#[tokio::test]
async fn an_unchanged_session_keeps_its_stream() {
    let app = TestApp::spawn().await;
    let (_, _b, mut sse) = agent_with_stream(&app).await;
    assert!(
        !sse.ends_within(Duration::from_secs(5)).await,
        "the stream ended without a reason (two re-checks passed)"
    );
}

async fn expiry(db: &sqlx::PgPool) -> Vec<chrono::DateTime<chrono::Utc>> {
    sqlx::query_scalar(r#"SELECT expiry_date FROM "tower_sessions"."session" ORDER BY id"#)
        .fetch_all(db)
        .await
        .unwrap()
}

/// Idle time 3 s (so the expiry is extended at most once a second): a session used every 1.5 s
/// lives on for 7.5 s; left alone for longer than its idle time, it ends, and its stream too.
#[tokio::test]
async fn a_session_in_use_outlives_its_idle_time_and_an_idle_one_ends() {
    let app = TestApp::spawn_with_idle(3).await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let b = Browser::signed_in(&app, "alex", &pw).await;
    for _ in 0..5 {
        // Time passing is what is tested here, not a wait for something to happen.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(b.who_am_i().await.is_some(), "a session in use ended");
    }
    // Requests in quick succession: an extension is followed by requests that write nothing
    // (of three, the first or the second extended at most, and the one after it did not).
    let e0 = expiry(&app.db).await;
    let _ = b.get("/api/v1/whoami").await;
    let e1 = expiry(&app.db).await;
    let _ = b.get("/api/v1/whoami").await;
    let e2 = expiry(&app.db).await;
    let _ = b.get("/api/v1/whoami").await;
    let e3 = expiry(&app.db).await;
    assert_eq!(e0.len(), 1);
    assert!(e1 == e0 || e2 == e1, "two extensions in a row: {e0:?} {e1:?} {e2:?}");
    assert!(e2 == e1 || e3 == e2, "two extensions in a row: {e1:?} {e2:?} {e3:?}");

    let mut sse = Sse::open(&b).await;
    assert!(sse.ends_within(ENDS_IN).await, "the stream outlived the idle session");
    assert!(b.who_am_i().await.is_none(), "an idle session ended");
}

#[tokio::test]
async fn a_cross_site_post_with_a_valid_cookie_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let pw = app.user("root", &[Role::Admin]).await;
    let admin = Browser::signed_in(&app, "root", &pw).await;
    let target = user_id(&app.db, "root").await;
    let before = snapshot(&app.db).await;
    let create =
        json!({"username": "mallory", "display_name": "Mallory", "roles": ["admin"], "password": "mallory-password-1"});
    for headers in [
        vec![("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
    ] {
        let mut req = admin.client.post(admin.url("/api/admin/users/create")).json(&create);
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
        // REST with the cookie too.
        let mut req = admin
            .client
            .post(admin.url("/api/v1/contacts"))
            .json(&json!({"phone": "+34612000100"}));
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        assert_eq!(
            req.send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "REST {headers:?}"
        );
        // A form post (sign-out) too: the session stays.
        let mut req = admin.client.post(admin.url("/api/logout")).form(&[("x", "y")]);
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        assert_eq!(
            req.send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "logout {headers:?}"
        );
    }
    assert_eq!(snapshot(&app.db).await, before, "nothing changed");
    assert!(admin.who_am_i().await.is_some(), "still signed in");
    let contacts: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(contacts, 0);

    // The console itself (same origin), and GETs from anywhere, go through.
    let host = app.url.trim_start_matches("http://").to_string();
    let res = admin
        .client
        .post(admin.url("/api/admin/users/roles"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", format!("http://{host}"))
        .json(&json!({"id": target, "roles": ["admin", "agent"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = admin
        .client
        .post(admin.url("/api/admin/users/roles"))
        .header("origin", format!("http://{host}"))
        .json(&json!({"id": target, "roles": ["admin"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "Origin alone, this host");
    let res = admin
        .client
        .get(admin.url("/admin"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "a GET is not refused");

    // A machine with its token is not affected (no cookie; another origin is its business).
    let token = app.token("crm", &[Scope::Callouts]).await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/contacts", app.url))
        .bearer_auth(&token)
        .header("origin", "https://crm.example")
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"phone": "+34612000100"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
}
