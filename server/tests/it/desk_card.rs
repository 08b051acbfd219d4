//! The directory entries a card shows (profile, phones, contracts, alerts, callouts) and the
//! card of a call, through the server functions: roles, validation, the number's contacts.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn profile(name: &str, phones: &[&str]) -> Value {
    json!({"input": {"kind": "organisation", "name": name, "phones": phones, "emails": ["Info@Coop.example"],
                     "tax_id": "b-12345674", "member_number": "M-0042", "notes": "Prefers Catalan"}})
}

#[tokio::test]
async fn a_card_shows_the_numbers_contact_with_contracts_alerts_and_earlier_calls() {
    let app = TestApp::spawn().await;
    let pw = app.user("alex", &[Role::Agent]).await;
    agent_with_extension(&app, "alex", "201", "alex").await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;

    // Nothing rang yet: no card.
    let (status, body) = agent.call("/api/desk/card", json!({"call": null})).await;
    assert_eq!((status, body), (StatusCode::OK, Ok(Value::Null)));

    let (status, body) = agent
        .call(
            "/api/directory/create",
            profile("Coop Sol", &["612345678", "+34 699 000 111"]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let entry = body.unwrap();
    let id = entry["id"].as_i64().unwrap();
    assert_eq!(entry["phones"], json!(["+34612345678", "+34699000111"]));
    assert_eq!(entry["tax_id"], "B12345674");
    assert_eq!(entry["emails"], json!(["info@coop.example"]));

    let (status, body) = agent
        .call(
            "/api/directory/contract/add",
            json!({"contact": id, "input": {"number": "0012345", "address": "Carrer Major 1, Girona", "state": "active", "starts_on": "2025-01-01", "ends_on": null}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    for (text, severity) in [("Pending invoice", "warning"), ("Supply cut off", "danger")] {
        let (status, body) = agent
            .call(
                "/api/directory/alert/add",
                json!({"contact": id, "input": {"text": text, "severity": severity}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body:?}");
    }

    // Two calls from the second number: the card of the latest lists the first as earlier.
    let first = ring_extension(&app, &pbx, "201", "699000111").await;
    let second = ring_extension(&app, &pbx, "201", "0034699000111").await;
    let (status, body) = agent.call("/api/desk/card", json!({"call": null})).await;
    assert_eq!(status, StatusCode::OK);
    let card = body.unwrap();
    assert_eq!(card["call"]["id"], second, "no id: the latest call that rang me");
    assert_eq!(card["contacts"].as_array().unwrap().len(), 1);
    let c = &card["contacts"][0];
    assert_eq!(c["name"], "Coop Sol");
    assert_eq!(c["alerts"][0]["text"], "Supply cut off", "the most severe alert first");
    assert_eq!(c["alerts"][1]["text"], "Pending invoice");
    assert_eq!(c["contracts"][0]["number"], "0012345");
    assert_eq!(c["member_number"], "M-0042");
    assert_eq!(card["earlier"].as_array().unwrap().len(), 1);
    assert_eq!(card["earlier"][0]["id"], first);

    // An unknown number: no contact.
    let third = ring_extension(&app, &pbx, "201", "+44 20 7946 0958").await;
    let (_, body) = agent.call("/api/desk/card", json!({"call": third})).await;
    let card = body.unwrap();
    assert_eq!(card["call"]["phone"], "+442079460958");
    assert_eq!(card["contacts"], json!([]));
    assert_eq!(card["earlier"], json!([]));
}

#[tokio::test]
async fn bad_directory_input_is_refused_with_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    let mut bad = profile("Coop", &["612345678"]);
    bad["input"]["tax_id"] = json!("12345678A");
    assert_invalid(&agent.call("/api/directory/create", bad).await, "tax_id");
    assert_invalid(
        &agent.call("/api/directory/create", profile("", &["612345678"])).await,
        "name",
    );
    assert_invalid(
        &agent.call("/api/directory/create", profile("Coop", &[])).await,
        "phones",
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);

    let (_, body) = agent
        .call("/api/directory/create", profile("Coop", &["612345678"]))
        .await;
    let id = body.unwrap()["id"].as_i64().unwrap();
    // A number is one contact's only.
    let (status, _) = agent
        .call("/api/directory/create", profile("Other", &["699000111", "612345678"]))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_invalid(
        &agent
            .call(
                "/api/directory/alert/add",
                json!({"contact": id, "input": {"text": " ", "severity": "danger"}}),
            )
            .await,
        "text",
    );
    let (status, _) = agent
        .call("/api/directory/contract/add", json!({"contact": id + 100, "input": {"number": "1", "address": "", "state": "active", "starts_on": null, "ends_on": null}}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn the_desk_and_directory_need_a_session() {
    let app = TestApp::spawn().await;
    let anon = Browser::new(&app);
    let (status, _) = anon.call("/api/desk/card", json!({"call": null})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = anon
        .call("/api/directory/create", profile("Coop", &["612345678"]))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Every role opens the desk (agents and above), but a machine token is not a session.
    let token = app.token("pbx", &[Scope::Pbx, Scope::Callouts]).await;
    let res = anon
        .client
        .post(anon.url("/api/desk/card"))
        .bearer_auth(&token)
        .json(&json!({"call": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = anon.get("/desk").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the page sends strangers to sign in"
    );
}

#[tokio::test]
async fn callouts_keep_working_on_directory_rows() {
    let app = TestApp::spawn().await;
    let pw = app.user("mia", &[Role::Manager]).await;
    let m = Browser::signed_in(&app, "mia", &pw).await;
    let (status, body) = m
        .call("/api/directory/create", profile("Coop Sol", &["612345678"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let id = body.unwrap()["id"].as_i64().unwrap();
    // The callouts' REST API reads the same row.
    let res = m.get(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let c: Value = res.json().await.unwrap();
    assert_eq!(
        (c["phone"].as_str(), c["name"].as_str()),
        (Some("+34612345678"), Some("Coop Sol"))
    );
}

#[tokio::test]
async fn the_demo_gives_alex_an_extension_and_contacts_full_cards() {
    let app = TestApp::spawn().await;
    server::bootstrap::first_accounts(&app.db, Some("demo-admin-password".into()), true)
        .await
        .unwrap();
    assert!(server::bootstrap::demo_rota(&app.db).await.unwrap());
    assert!(server::bootstrap::demo_callouts(&app.db, "34").await.unwrap());
    assert!(server::bootstrap::demo_desk(&app.db).await.unwrap());
    assert!(!server::bootstrap::demo_desk(&app.db).await.unwrap(), "seeded once");
    let ext: Option<String> = sqlx::query_scalar(
        "SELECT p.extension FROM people p JOIN users u ON u.id = p.user_id WHERE u.username = 'alex'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(ext.as_deref(), Some("202"));
    let first: i64 = sqlx::query_scalar("SELECT min(id) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let e = app::directory::service::entry(&app.services, &app::shell::service::Actor::Operator, first)
        .await
        .unwrap();
    assert!(
        !e.contracts.is_empty() && !e.alerts.is_empty() && e.tax_id.is_some(),
        "{e:?}"
    );
}
