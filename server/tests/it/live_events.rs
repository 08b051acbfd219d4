//! Live events over SSE (`/api/events`), across two instances of the app on one database.

use crate::common::*;
use app::shell::topics::Topic;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn events_need_a_session() {
    let app = TestApp::spawn().await;
    let anon = Browser::new(&app);
    let res = anon.get("/api/events").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A machine token is not a browser session.
    let token = app.token("pbx", &[Scope::Pbx, Scope::Metrics]).await;
    let res = anon
        .client
        .get(anon.url("/api/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let pw = app.user("alex", &[Role::Agent]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    let mut sse = Sse::open(&agent).await;
    app.services.events.publish(Topic::Rota, json!({"n": 1})).await.unwrap();
    assert_eq!(sse.next_event().await, json!({"topic": "rota.data", "data": {"n": 1}}));
}

#[tokio::test]
async fn an_event_published_on_one_instance_reaches_clients_of_another() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_on(a.db.clone()).await;
    assert_ne!(a.addr, b.addr);
    let pw = a.user("root", &[Role::Admin]).await;
    let admin_on_b = Browser::signed_in(&b, "root", &pw).await;
    let mut sse = Sse::open(&admin_on_b).await;

    a.services
        .events
        .publish(Topic::Users, json!({"id": 42}))
        .await
        .unwrap();
    assert_eq!(
        sse.next_event().await,
        json!({"topic": "admin.users", "data": {"id": 42}})
    );
}

#[tokio::test]
async fn agents_do_not_receive_admin_events() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_on(a.db.clone()).await;
    let admin_pw = a.user("root", &[Role::Admin]).await;
    let agent_pw = a.user("alex", &[Role::Agent, Role::Coordinator, Role::Manager]).await;
    let admin_on_b = Browser::signed_in(&b, "root", &admin_pw).await;
    let agent_on_b = Browser::signed_in(&b, "alex", &agent_pw).await;
    let mut admin_sse = Sse::open(&admin_on_b).await;
    let mut agent_sse = Sse::open(&agent_on_b).await;

    a.services.events.publish(Topic::Users, json!({"id": 7})).await.unwrap();
    a.services
        .events
        .publish(Topic::Tokens, json!({"id": 8}))
        .await
        .unwrap();
    a.services.events.publish(Topic::Rota, json!({"n": 1})).await.unwrap();

    // Instance B did receive the admin events (its admin sees them, in order)…
    assert_eq!(admin_sse.next_event().await["topic"], "admin.users");
    assert_eq!(admin_sse.next_event().await["topic"], "admin.tokens");
    assert_eq!(admin_sse.next_event().await["topic"], "rota.data");
    // …but the agent's first event is the one published after them.
    assert_eq!(
        agent_sse.next_event().await,
        json!({"topic": "rota.data", "data": {"n": 1}})
    );
}

#[tokio::test]
async fn admin_changes_are_announced_to_admins_on_every_instance() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_on(a.db.clone()).await;
    let pw = a.user("root", &[Role::Admin]).await;
    let admin_on_a = Browser::signed_in(&a, "root", &pw).await;
    let admin_on_b = Browser::signed_in(&b, "root", &pw).await;
    let mut sse = Sse::open(&admin_on_b).await;

    let (status, _) = admin_on_a
        .call(
            "/api/admin/users/create",
            json!({"username": "carla", "display_name": "Carla", "roles": ["agent"], "password": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let carla = user_id(&a.db, "carla").await;
    assert_eq!(
        sse.next_event().await,
        json!({"topic": "admin.users", "data": {"id": carla}})
    );

    let (status, _) = admin_on_a
        .call("/api/admin/tokens/create", json!({"name": "pbx", "scopes": ["pbx"]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let pbx = token_id(&a.db, "pbx").await;
    assert_eq!(
        sse.next_event().await,
        json!({"topic": "admin.tokens", "data": {"id": pbx}})
    );
}
