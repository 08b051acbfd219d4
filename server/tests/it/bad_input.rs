//! Bad input at the boundary: a NUL character in each kind of input (REST JSON, bulk JSON, a
//! query string, server functions as JSON and as forms, the CSV import's rows, webhooks, a
//! page's query) is refused with 422 naming the field and changes nothing; TwiML that is not
//! well-formed XML with a `<Response>` root is refused with the parser's message.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

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

async fn count(db: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(db)
        .await
        .unwrap()
}

fn assert_nul_refused(res: &(StatusCode, Value), field: &str) {
    assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", res.1);
    assert_eq!(res.1["error"], "invalid", "{}", res.1);
    let message = res.1["fields"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no field {field}: {}", res.1));
    assert!(message.contains("NUL"), "{message}");
}

#[tokio::test]
async fn a_nul_character_in_rest_input_is_422_with_its_field_and_changes_nothing() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let token = app.token("crm", &[Scope::Callouts]).await;
    let nul = "A\u{0}B";
    let res = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/contacts",
        Some(json!({"phone": "+34612000100", "name": nul})),
    )
    .await;
    assert_nul_refused(&res, "name");
    let res = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/contacts/bulk",
        Some(json!([{"phone": "+34612000101"}, {"phone": "+34612000102", "tags": ["ok", nul]}])),
    )
    .await;
    assert_nul_refused(&res, "tags");
    assert!(res.1["message"].as_str().unwrap().contains("1.tags.1"), "{}", res.1);
    let res = rest(&app, &token, Method::GET, "/api/v1/contacts?q=an%00a&limit=5", None).await;
    assert_nul_refused(&res, "q");
    let res = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/callouts",
        Some(json!({"name": nul, "caller_id": "+34930000000"})),
    )
    .await;
    assert_nul_refused(&res, "name");
    // A key holding one is refused too.
    let res = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/contacts",
        Some(json!({"phone": "+34612000100", "metadata": {"k\u{0}": 1}})),
    )
    .await;
    assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.1);
    assert_eq!(count(&app.db, "contacts").await, 0);
    assert_eq!(count(&app.db, "callouts").await, 0);
    // The same requests without the NUL go through (the layer changes nothing else).
    let res = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/contacts",
        Some(json!({"phone": "+34612000100", "name": "AB"})),
    )
    .await;
    assert!(res.0.is_success(), "{}", res.1);
    let res = rest(&app, &token, Method::GET, "/api/v1/contacts?q=a%2500", None).await;
    assert_eq!(res.0, StatusCode::OK, "an encoded percent sign is not a NUL: {}", res.1);
}

#[tokio::test]
async fn a_nul_character_in_server_functions_forms_and_imports_is_422_with_its_field() {
    let app = TestApp::spawn().await;
    let pw = app.user("mia", &[Role::Manager]).await;
    let b = Browser::signed_in(&app, "mia", &pw).await;
    // JSON server function.
    let res = b
        .call(
            "/api/contacts/save",
            json!({"id": null, "input": {"phone": "612000100", "name": "A\u{0}"}}),
        )
        .await;
    assert_invalid(&res, "name");
    // The CSV import's rows (the browser reads the file and sends its rows).
    let mapping = app::callouts::rules::contacts_csv::guess(&["phone".to_string(), "name".to_string()]);
    let res = b
        .call(
            "/api/contacts/import",
            json!({"mapping": mapping, "rows": [{"line": 2, "cells": ["612000101", "P\u{0}au"]}], "tag": null}),
        )
        .await;
    assert_invalid(&res, "cells");
    assert_eq!(count(&app.db, "contacts").await, 0);
    // A form server function (sign-in): refused before it runs, so no failure is counted.
    let anon = Browser::new(&app);
    let res = decode(
        anon.post_form("/api/login", &[("username", "mia\u{0}"), ("password", "x")])
            .await,
    )
    .await;
    assert_invalid(&res, "username");
    assert_eq!(count(&app.db, "login_failures").await, 0);
    // A page's query string.
    let res = b.get("/callouts/contacts?q=%00").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_nul_character_in_webhooks_is_422() {
    let app = TestApp::spawn().await;
    let token = app.token("pbx", &[Scope::Pbx]).await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/pbx/ringing", app.url))
        .bearer_auth(&token)
        .form(&[("extension", "202"), ("callerid", "6\u{0}1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        v["fields"]["callerid"].as_str().map(|m| m.contains("NUL")),
        Some(true),
        "{v}"
    );
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/pbx/ringing?extension=202&callerid=%00&token={token}",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = reqwest::Client::new()
        .post(format!("{}/api/telephony/status?call=1", app.url))
        .form(&[("CallSid", "CA\u{0}"), ("CallStatus", "completed")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn twiml_must_be_well_formed_xml_with_a_response_root() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let token = app.token("crm", &[Scope::Callouts]).await;
    for (twiml, expect) in [
        ("<Response><Say>Hello</Say>", "not well-formed"),
        ("<Response><Say>Hello</Response>", "not well-formed"),
        ("<Say>Hello</Say>", "<Response>"),
        ("<Response/><Response/>", "not well-formed"),
        ("Hello", "<Response>"),
        ("<Response><Say a=\"1>Hi</Say></Response>", "not well-formed"),
    ] {
        let res = rest(
            &app,
            &token,
            Method::POST,
            "/api/v1/callouts",
            Some(json!({"name": "Bad TwiML", "caller_id": "+34930000000", "twiml": twiml})),
        )
        .await;
        assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "{twiml}: {}", res.1);
        let message = res.1["fields"]["twiml"]
            .as_str()
            .unwrap_or_else(|| panic!("{twiml}: {}", res.1));
        assert!(message.contains(expect), "{twiml}: {message}");
    }
    assert_eq!(count(&app.db, "callouts").await, 0);
    let res = rest(
        &app,
        &token,
        Method::POST,
        "/api/v1/callouts",
        Some(json!({"name": "Good TwiML", "caller_id": "+34930000000",
            "twiml": "<?xml version=\"1.0\"?>\n<Response><Say voice=\"alice\">Hola &amp; adéu</Say><Pause length=\"1\"/></Response>"})),
    )
    .await;
    assert_eq!(res.0, StatusCode::CREATED, "{}", res.1);
}
