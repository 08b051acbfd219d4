//! The desk's ringing webhook over HTTP (`/api/pbx/ringing`, Tomàtic's `/api/info/ringring`):
//! tokens and scopes, form/JSON/GET, bad fields, unknown extensions, and the card's event
//! reaching only the sessions of the person with the extension. Also the PBX's answered/ended
//! times, through the service.
use crate::common::*;
use app::shell::service::Actor;
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A rota person with an extension and, if `user` is given, that account.
async fn person(app: &TestApp, handle: &str, extension: &str, user: Option<&str>) -> i64 {
    let uid = match user {
        Some(u) => Some(user_id(&app.db, u).await),
        None => None,
    };
    sqlx::query_scalar(
        "INSERT INTO people (handle, full_name, extension, user_id) VALUES ($1, $1, $2, $3) RETURNING id",
    )
    .bind(handle)
    .bind(extension)
    .bind(uid)
    .fetch_one(&app.db)
    .await
    .expect("insert person")
}

async fn contact(app: &TestApp, phone: &str, name: &str) -> i64 {
    sqlx::query_scalar("INSERT INTO contacts (phone, name) VALUES ($1, $2) RETURNING id")
        .bind(phone)
        .bind(name)
        .fetch_one(&app.db)
        .await
        .expect("insert contact")
}

async fn calls(app: &TestApp) -> Vec<Value> {
    sqlx::query_scalar(
        "SELECT jsonb_build_object('id', id, 'extension', extension, 'person', person_id, 'user', user_id,
                'phone', phone, 'callid', pbx_call_id, 'contact', contact_id)
           FROM desk_calls ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .expect("desk calls")
}

async fn post_form(app: &TestApp, path: &str, token: Option<&str>, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().post(format!("{}{path}", app.url)).form(form);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("POST");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn post_json(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path_and_query: &str) -> (StatusCode, Value) {
    let res = reqwest::get(format!("{}{path_and_query}", app.url)).await.expect("GET");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn ringing_needs_a_token_with_the_pbx_scope() {
    let app = TestApp::spawn().await;
    let pw = app.user("alex", &[Role::Agent, Role::Admin]).await;
    person(&app, "alex", "201", Some("alex")).await;
    let other = app.token("crm", &[Scope::Callouts, Scope::Metrics]).await;
    let form = [("ext", "201"), ("phone", "612345678")];
    for path in ["/api/pbx/ringing", "/api/info/ringring"] {
        let (status, body) = post_form(&app, path, None, &form).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        let (status, _) = post_form(&app, path, Some("sb_not-a-token"), &form).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        let (status, body) = post_form(&app, path, Some(&other), &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"], "forbidden");
        let (status, _) = get(&app, &format!("{path}?ext=201&phone=612345678&token={other}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        // A browser session, even an admin's, is not the PBX.
        let b = Browser::signed_in(&app, "alex", &pw).await;
        let res = b.post_form(path, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(calls(&app).await.is_empty(), "a refused request recorded nothing");
}

#[tokio::test]
async fn a_ringing_call_is_recorded_from_a_form_json_or_get() {
    let app = TestApp::spawn().await;
    app.user("alex", &[Role::Agent]).await;
    let alex = person(&app, "alex", "201", Some("alex")).await;
    let alex_user = user_id(&app.db, "alex").await;
    let known = contact(&app, "+34612345678", "Maria").await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;

    let (status, body) = post_form(
        &app,
        "/api/pbx/ringing",
        Some(&pbx),
        &[("ext", "201"), ("phone", "612 345 678"), ("callid", "1700000000.1")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "ok");
    let first = body["call"].as_i64().expect("the call's id");

    let (status, body) = post_json(
        &app,
        "/api/pbx/ringing",
        &pbx,
        json!({"ext": 201, "phone": "+34 699 000 111"}),
    )
    .await;
    assert_eq!((status, &body["result"]), (StatusCode::OK, &json!("ok")), "{body}");

    let (status, body) = get(
        &app,
        &format!("/api/pbx/ringing?ext=201&phone=0034612345678&callid=1700000000.3&token={pbx}"),
    )
    .await;
    assert_eq!((status, &body["result"]), (StatusCode::OK, &json!("ok")), "{body}");

    let rows = calls(&app).await;
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        json!({"id": first, "extension": "201", "person": alex, "user": alex_user, "phone": "+34612345678",
               "callid": "1700000000.1", "contact": known})
    );
    assert_eq!(rows[1]["phone"], "+34699000111");
    assert_eq!(rows[1]["contact"], Value::Null, "an unknown number matches no contact");
    assert_eq!(rows[1]["callid"], Value::Null);
    assert_eq!(rows[2]["contact"], known);
    assert_eq!(rows[2]["callid"], "1700000000.3");
}

#[tokio::test]
async fn tomatic_ringring_keeps_its_field_names() {
    let app = TestApp::spawn().await;
    app.user("alex", &[Role::Agent]).await;
    person(&app, "alex", "201", Some("alex")).await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let (status, body) = post_form(
        &app,
        "/api/info/ringring",
        Some(&pbx),
        &[("ext", "201"), ("phone", "612345678"), ("callid", "17.1")],
    )
    .await;
    assert_eq!((status, &body["result"]), (StatusCode::OK, &json!("ok")), "{body}");
    let (status, body) = get(
        &app,
        &format!("/api/info/ringring?extension=201&phone=612345678&callid=17.2&token={pbx}"),
    )
    .await;
    assert_eq!((status, &body["result"]), (StatusCode::OK, &json!("ok")), "{body}");
    let (status, body) = get(&app, &format!("/api/info/ringring?phone=612345678&token={pbx}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "extension", "the GET form names the field as it is sent");
    let rows = calls(&app).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["callid"], "17.2");
    assert_eq!(rows[1]["extension"], "201");
}

#[tokio::test]
async fn bad_fields_get_400_naming_the_field_and_record_nothing() {
    let app = TestApp::spawn().await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("phone", "612345678")], "ext"),
        (&[("ext", "2x1"), ("phone", "612345678")], "ext"),
        (&[("ext", "201")], "phone"),
        (&[("ext", "201"), ("phone", "anonymous")], "phone"),
        (&[("ext", "201"), ("phone", "12")], "phone"),
    ];
    for (form, field) in cases {
        let (status, body) = post_form(&app, "/api/pbx/ringing", Some(&pbx), form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}: {body}");
        assert_eq!(body["field"], field, "{form:?}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let long = "9".repeat(101);
    let (status, body) = post_json(
        &app,
        "/api/pbx/ringing",
        &pbx,
        json!({"ext": "201", "phone": "612345678", "callid": long}),
    )
    .await;
    assert_eq!((status, &body["field"]), (StatusCode::BAD_REQUEST, &json!("callid")));
    let (status, body) = post_json(&app, "/api/pbx/ringing", &pbx, json!(["201"])).await;
    assert_eq!((status, &body["field"]), (StatusCode::BAD_REQUEST, &json!("body")));
    let res = reqwest::Client::new()
        .post(format!("{}/api/pbx/ringing", app.url))
        .bearer_auth(&pbx)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(calls(&app).await.is_empty());
}

#[tokio::test]
async fn an_unknown_extension_is_recorded_and_answered_so() {
    let app = TestApp::spawn().await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    person(&app, "sam", "202", None).await;
    let (status, body) = post_form(
        &app,
        "/api/pbx/ringing",
        Some(&pbx),
        &[("ext", "299"), ("phone", "612345678")],
    )
    .await;
    assert_eq!(
        (status, &body["result"]),
        (StatusCode::OK, &json!("no_person_for_extension")),
        "{body}"
    );
    let (status, body) = post_form(
        &app,
        "/api/pbx/ringing",
        Some(&pbx),
        &[("ext", "202"), ("phone", "612345678")],
    )
    .await;
    assert_eq!(
        (status, &body["result"]),
        (StatusCode::OK, &json!("person_has_no_account")),
        "{body}"
    );
    let rows = calls(&app).await;
    assert_eq!(rows.len(), 2, "nothing accepted is lost");
    assert_eq!(
        (&rows[0]["extension"], &rows[0]["person"]),
        (&json!("299"), &Value::Null)
    );
    assert_eq!(rows[1]["user"], Value::Null);
}

#[tokio::test]
async fn the_card_reaches_every_session_of_that_person_and_nobody_else() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_on(a.db.clone()).await;
    let alex_pw = a.user("alex", &[Role::Agent]).await;
    let sam_pw = a.user("sam", &[Role::Agent, Role::Admin]).await;
    person(&a, "alex", "201", Some("alex")).await;
    person(&a, "sam", "202", Some("sam")).await;
    let known = contact(&a, "+34612345678", "Maria").await;
    let pbx = a.token("pbx", &[Scope::Pbx]).await;

    // Alex in two browsers, one on each instance; Sam (an admin too) on the first.
    let alex1 = Browser::signed_in(&a, "alex", &alex_pw).await;
    let alex2 = Browser::signed_in(&b, "alex", &alex_pw).await;
    let sam = Browser::signed_in(&a, "sam", &sam_pw).await;
    let mut alex1_sse = Sse::open(&alex1).await;
    let mut alex2_sse = Sse::open(&alex2).await;
    let mut sam_sse = Sse::open(&sam).await;

    let (_, body) = post_form(
        &a,
        "/api/pbx/ringing",
        Some(&pbx),
        &[("ext", "201"), ("phone", "612345678")],
    )
    .await;
    let alex_call = body["call"].as_i64().unwrap();
    let expected =
        json!({"topic": "desk.ringing", "data": {"call": alex_call, "phone": "+34612345678", "contact": known}});
    assert_eq!(alex1_sse.next_event().await, expected);
    assert_eq!(alex2_sse.next_event().await, expected);

    let (_, body) = post_form(
        &a,
        "/api/pbx/ringing",
        Some(&pbx),
        &[("ext", "202"), ("phone", "699000111")],
    )
    .await;
    let sam_call = body["call"].as_i64().unwrap();
    // Sam's first card is his own call: Alex's never reached him (the team's log is told of
    // both calls, by id only, on `desk.calls`).
    let mut got = sam_sse.next_event().await;
    while got["topic"] == "desk.calls" {
        assert_eq!(
            got["data"].as_object().map(|o| o.len()),
            Some(1),
            "only the call's id: {got}"
        );
        got = sam_sse.next_event().await;
    }
    assert_eq!(got["topic"], "desk.ringing");
    assert_eq!(got["data"]["call"], sam_call);
    assert!(
        got.get("user").is_none(),
        "the address is not sent to the browser: {got}"
    );
    // And Alex's next event is not Sam's call.
    a.services
        .events
        .publish(app::shell::topics::Topic::Rota, json!({"n": 1}))
        .await
        .unwrap();
    let mut next = alex1_sse.next_event().await;
    while next["topic"] == "desk.calls" {
        next = alex1_sse.next_event().await;
    }
    assert_eq!(next["topic"], "rota.data");
}

#[tokio::test]
async fn the_pbx_stamps_answered_and_ended_times_first_report_wins() {
    let app = TestApp::spawn().await;
    app.user("alex", &[Role::Agent]).await;
    person(&app, "alex", "201", Some("alex")).await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let (_, body) = post_form(
        &app,
        "/api/pbx/ringing",
        Some(&pbx),
        &[("ext", "201"), ("phone", "612345678"), ("callid", "1700000000.7")],
    )
    .await;
    let id = body["call"].as_i64().unwrap();
    let s = &app.services;
    let op = Actor::Operator;
    let now = Utc::now();
    let answered = now + chrono::Duration::seconds(3);
    let ended = now + chrono::Duration::seconds(90);
    assert_eq!(
        app::desk::service::call_answered(s, &op, "1700000000.7", answered)
            .await
            .unwrap(),
        [id]
    );
    assert_eq!(
        app::desk::service::call_answered(s, &op, "1700000000.7", ended)
            .await
            .unwrap(),
        Vec::<i64>::new(),
        "a second report changes nothing"
    );
    assert_eq!(
        app::desk::service::call_ended(s, &op, "1700000000.7", ended)
            .await
            .unwrap(),
        [id]
    );
    assert!(
        app::desk::service::call_ended(s, &op, "unknown.1", ended)
            .await
            .unwrap()
            .is_empty()
    );
    let me = app::accounts::Me {
        id: user_id(&app.db, "alex").await,
        username: "alex".into(),
        display_name: "alex".into(),
        roles: vec![Role::Agent, Role::Admin],
    };
    assert!(matches!(
        app::desk::service::call_ended(s, &Actor::User(me), "1700000000.7", ended).await,
        Err(app::shell::service::ServiceError::Forbidden)
    ));
    let call = app::desk::service::call(s, &op, id).await.unwrap();
    let ms = |t: chrono::DateTime<Utc>| t.timestamp_millis();
    assert_eq!(call.answered_at.map(ms), Some(ms(answered)));
    assert_eq!(call.ended_at.map(ms), Some(ms(ended)));
}
