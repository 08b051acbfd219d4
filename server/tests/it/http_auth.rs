//! Signing in and out: `/api/login`, `/api/logout`, `/api/who-am-i`, sessions and the slow-down.

use crate::common::*;
use app::shell::error::ApiError;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn login_sets_a_session_cookie_and_returns_the_next_path() {
    let app = TestApp::spawn().await;
    let pw = app.user("alice", &[Role::Agent]).await;
    let b = Browser::new(&app);
    assert_eq!(b.who_am_i().await, None);
    assert_eq!(b.session_cookie(), None);

    let res = b
        .post_form(
            "/api/login",
            &[("username", "alice"), ("password", &pw), ("next", "/admin")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let set_cookie: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let cookie = set_cookie
        .iter()
        .find(|c| c.starts_with("switchboard_session="))
        .expect("session cookie set");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap(), json!("/admin"));
    assert!(b.session_cookie().is_some());

    let me = b.who_am_i().await.expect("signed in");
    assert_eq!(me.username, "alice");
    assert_eq!(me.roles, vec![Role::Agent]);

    // Only local paths are honoured as the next page.
    for (next, expected) in [
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/admin?x=1", "/admin?x=1"),
    ] {
        let other = Browser::new(&app);
        let (status, body) = other.login("alice", &pw, Some(next)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, Ok(json!(expected)), "next={next}");
    }
    // User names are not case-sensitive.
    let other = Browser::new(&app);
    other.sign_in("  Alice ", &pw).await;
    assert_eq!(other.who_am_i().await.unwrap().username, "alice");
}

#[tokio::test]
async fn session_id_changes_at_sign_in() {
    let app = TestApp::spawn().await;
    let pw_a = app.user("alice", &[Role::Agent]).await;
    let pw_b = app.user("bob", &[Role::Manager]).await;
    let b = Browser::new(&app);

    b.sign_in("alice", &pw_a).await;
    let first = b.session_cookie().expect("cookie after first sign-in");
    assert_eq!(who_am_i_with_cookie(&app.url, &first).await.unwrap().username, "alice");

    // Signing in again on a browser that already has a session gives it a new id, and the id
    // that existed before no longer opens anything (no session fixation).
    b.sign_in("bob", &pw_b).await;
    let second = b.session_cookie().expect("cookie after second sign-in");
    assert_ne!(first, second, "the session id is cycled at sign-in");
    assert_eq!(b.who_am_i().await.unwrap().username, "bob");
    assert_eq!(who_am_i_with_cookie(&app.url, &first).await, None, "the old id is dead");

    // A forged cookie opens nothing.
    assert_eq!(who_am_i_with_cookie(&app.url, "forged-session-id").await, None);
}

#[tokio::test]
async fn bad_credentials_all_look_the_same() {
    let app = TestApp::spawn().await;
    let pw = app.user("alice", &[Role::Agent]).await;
    let pw_d = app.user("dora", &[Role::Agent]).await;
    let dora = user_id(&app.db, "dora").await;
    app::accounts::store::users::set_active(&mut app.db.acquire().await.unwrap(), dora, false)
        .await
        .unwrap();

    let mut bodies = Vec::new();
    for (user, password) in [
        ("alice", "wrong-password-1"),
        ("nobody", "whatever-password"),
        ("dora", pw_d.as_str()),
        ("alice", ""),
        ("", pw.as_str()),
        ("no such name!", "whatever-password"),
    ] {
        let b = Browser::new(&app);
        let res = b
            .post_form("/api/login", &[("username", user), ("password", password)])
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{user}/{password}");
        assert!(
            res.headers().get("set-cookie").is_none(),
            "no session for a refused sign-in"
        );
        bodies.push(res.text().await.unwrap());
        assert_eq!(b.who_am_i().await, None);
    }
    for body in &bodies {
        assert_eq!(body, r#""BadCredentials""#);
    }
    assert_eq!(
        app::accounts::store::users::credentials(&app.db, "nobody")
            .await
            .unwrap()
            .map(|c| c.id),
        None
    );
}

/// Five failures are free; the next attempt, even with the right password, is refused with 429
/// before the password is checked.
async fn slow_down_after_five_failures(username: &str, right_password: &str) {
    let app = TestApp::spawn().await;
    let real = app.user("alice", &[Role::Agent]).await;
    let password = if right_password.is_empty() {
        "any-password-1"
    } else {
        &real
    };
    let b = Browser::new(&app);
    for i in 0..5 {
        let (status, body) = b.login(username, "wrong-password", None).await;
        assert_eq!(
            (status, body),
            (StatusCode::UNAUTHORIZED, Err(ApiError::BadCredentials)),
            "attempt {i}"
        );
    }
    let row = app::accounts::store::login_failures::get(&app.db, &username.to_lowercase())
        .await
        .unwrap();
    assert_eq!(row.map(|r| r.0), Some(5));
    // The slow-down after five failures is one second; pretend the attempt follows the last
    // failure at once however slow this machine is, so the test does not depend on timing.
    sqlx::query("UPDATE login_failures SET last_failure = now() + interval '1 minute'")
        .execute(&app.db)
        .await
        .unwrap();

    let (status, body) = b.login(username, password, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    match body {
        Err(ApiError::TooManyAttempts { retry_after_s }) => {
            assert!(retry_after_s >= 1, "{retry_after_s}")
        }
        other => panic!("expected TooManyAttempts, got {other:?}"),
    }
    assert_eq!(b.who_am_i().await, None, "no session while slowed down");
    // The refused attempt is not counted as another failure.
    let row = app::accounts::store::login_failures::get(&app.db, &username.to_lowercase())
        .await
        .unwrap();
    assert_eq!(row.map(|r| r.0), Some(5));

    // Other names are not affected.
    let other = Browser::new(&app);
    if username != "alice" {
        other.sign_in("alice", &real).await;
    } else {
        let (status, body) = other.login("bob", "wrong-password", None).await;
        assert_eq!(
            (status, body),
            (StatusCode::UNAUTHORIZED, Err(ApiError::BadCredentials))
        );
    }
}

#[tokio::test]
async fn slow_down_after_five_failures_for_an_existing_user() {
    slow_down_after_five_failures("alice", "right").await;
}

#[tokio::test]
async fn slow_down_after_five_failures_for_an_unknown_user() {
    slow_down_after_five_failures("Nobody", "").await;
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_failures() {
    let app = TestApp::spawn().await;
    let pw = app.user("alice", &[Role::Agent]).await;
    let b = Browser::new(&app);
    for _ in 0..4 {
        assert_eq!(
            b.login("alice", "wrong-password", None).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    b.sign_in("alice", &pw).await;
    assert_eq!(
        app::accounts::store::login_failures::get(&app.db, "alice")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let pw = app.user("alice", &[Role::Agent]).await;
    let b = Browser::signed_in(&app, "alice", &pw).await;
    let cookie = b.session_cookie().unwrap();
    assert!(b.who_am_i().await.is_some());

    assert_eq!(b.logout().await, StatusCode::OK);
    assert_eq!(b.who_am_i().await, None);
    assert_eq!(b.get("/api/events").await.status(), StatusCode::UNAUTHORIZED);
    // The session is gone on the server, not only from the browser's jar.
    assert_eq!(who_am_i_with_cookie(&app.url, &cookie).await, None);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn logout_and_who_am_i_without_a_session() {
    let app = TestApp::spawn().await;
    let b = Browser::new(&app);
    assert_eq!(b.who_am_i().await, None);
    assert_eq!(b.logout().await, StatusCode::OK);
    assert_eq!(b.who_am_i().await, None);
}

#[tokio::test]
async fn password_reset_by_an_admin_ends_the_users_sessions() {
    let app = TestApp::spawn().await;
    let admin_pw = app.user("root", &[Role::Admin]).await;
    let pw = app.user("alice", &[Role::Agent]).await;
    let admin = Browser::signed_in(&app, "root", &admin_pw).await;
    let alice_1 = Browser::signed_in(&app, "alice", &pw).await;
    let alice_2 = Browser::signed_in(&app, "alice", &pw).await;
    let alice = user_id(&app.db, "alice").await;

    let (status, body) = admin
        .call("/api/admin/users/reset-password", json!({"id": alice}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let new_pw = body.unwrap().as_str().unwrap().to_string();
    assert_eq!(new_pw.chars().count(), 16);

    for b in [&alice_1, &alice_2] {
        assert_eq!(b.who_am_i().await, None, "the user's sessions are over");
        assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(
        admin.who_am_i().await.unwrap().username,
        "root",
        "other users stay signed in"
    );

    let b = Browser::new(&app);
    assert_eq!(
        b.login("alice", &pw, None).await.1,
        Err(ApiError::BadCredentials),
        "old password is dead"
    );
    b.sign_in("alice", &new_pw).await;
}

#[tokio::test]
async fn deactivating_ends_the_sessions_and_refuses_sign_in() {
    let app = TestApp::spawn().await;
    let admin_pw = app.user("root", &[Role::Admin]).await;
    let pw = app.user("alice", &[Role::Agent]).await;
    let admin = Browser::signed_in(&app, "root", &admin_pw).await;
    let alice_b = Browser::signed_in(&app, "alice", &pw).await;
    let alice = user_id(&app.db, "alice").await;

    let (status, _) = admin
        .call("/api/admin/users/active", json!({"id": alice, "active": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(alice_b.who_am_i().await, None);
    assert_eq!(alice_b.get("/api/events").await.status(), StatusCode::UNAUTHORIZED);
    let b = Browser::new(&app);
    assert_eq!(
        b.login("alice", &pw, None).await,
        (StatusCode::UNAUTHORIZED, Err(ApiError::BadCredentials))
    );

    let (status, _) = admin
        .call("/api/admin/users/active", json!({"id": alice, "active": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    b.sign_in("alice", &pw).await;
    assert_eq!(
        alice_b.who_am_i().await,
        None,
        "an ended session stays ended after reactivation"
    );
}

#[tokio::test]
async fn role_changes_apply_to_open_sessions() {
    let app = TestApp::spawn().await;
    let admin_pw = app.user("root", &[Role::Admin]).await;
    let pw = app.user("alice", &[Role::Agent]).await;
    let admin = Browser::signed_in(&app, "root", &admin_pw).await;
    let alice_b = Browser::signed_in(&app, "alice", &pw).await;
    let alice = user_id(&app.db, "alice").await;
    assert_eq!(alice_b.get("/admin").await.status(), StatusCode::FORBIDDEN);

    let (status, _) = admin
        .call(
            "/api/admin/users/roles",
            json!({"id": alice, "roles": ["admin", "agent"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(alice_b.get("/admin").await.status(), StatusCode::OK);
    assert_eq!(alice_b.who_am_i().await.unwrap().roles, vec![Role::Admin, Role::Agent]);
}
