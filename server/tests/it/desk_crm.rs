//! The outside CRM on a call's card, against the CRM simulator over real HTTP: its records for
//! the number (marked as the CRM's, apart from the card), its time budget, its failures said as
//! they are, the token both ways, and the desk search asking it.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::config::CrmConfig;
use server::crm::sim::{Crmsim, Mode};
use server::testing::fresh_db;
use std::time::Duration;

const TOKEN: &str = "crm-test-token";

async fn crmsim() -> Crmsim {
    server::crm::sim::spawn("127.0.0.1:0".parse().unwrap(), TOKEN)
        .await
        .expect("start the CRM simulator")
}

fn options(url: &str, token: &str, budget_ms: u64) -> server::StartOptions {
    server::StartOptions {
        crm: CrmConfig {
            url: Some(url.to_string()),
            token: Some(token.to_string()),
            budget: Duration::from_millis(budget_ms),
        },
        ..Default::default()
    }
}

fn coop() -> Value {
    json!({"id": "C-42", "kind": "organisation", "name": "Cooperativa Sol", "phones": ["+34612345678"],
           "tax_id": "B12345674", "member_number": "M-0042",
           "contracts": [{"number": "ES-0012345", "address": "Carrer Major 1", "state": "in service", "starts_on": "2024-02-01"}],
           "alerts": [{"text": "Prefers Catalan", "severity": "info"}, {"text": "Invoice unpaid", "severity": "debt"}],
           "url": "https://crm.example/c/42"})
}

/// An agent with extension 201, signed in, and the PBX's token.
async fn desk(app: &TestApp) -> (Browser, String) {
    let pw = app.user("alex", &[Role::Agent]).await;
    agent_with_extension(app, "alex", "201", "alex").await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    (Browser::signed_in(app, "alex", &pw).await, pbx)
}

#[tokio::test]
async fn a_card_gets_the_crms_records_for_the_number_apart_from_the_card() {
    let sim = crmsim().await;
    sim.set_records(vec![coop()]);
    let app = TestApp::spawn_with(fresh_db().await, options(&sim.url_template(), TOKEN, 2000)).await;
    let (agent, pbx) = desk(&app).await;

    let call = ring_extension(&app, &pbx, "201", "612 345 678").await;
    // The card itself never asks the CRM.
    let (status, card) = agent.call("/api/desk/card", json!({"call": call})).await;
    assert_eq!(status, StatusCode::OK, "{card:?}");
    let card = card.unwrap();
    assert_eq!(card["call"]["phone"], "+34612345678");
    assert_eq!(card["crm"], true, "the card says a CRM part is to be asked");
    assert_eq!(sim.lookups(), 0, "the card waited on the CRM");

    let (status, crm) = agent.call("/api/desk/crm", json!({"call": call})).await;
    assert_eq!(status, StatusCode::OK, "{crm:?}");
    let crm = crm.unwrap();
    assert_eq!(crm["state"], "answered", "{crm}");
    let r = &crm["records"][0];
    assert_eq!(r["name"], "Cooperativa Sol");
    assert_eq!(r["kind"], "organisation");
    assert_eq!(r["alerts"][0]["text"], "Invoice unpaid", "the most severe first");
    assert_eq!(r["alerts"][0]["severity"], "danger");
    assert_eq!(r["contracts"][0]["number"], "ES-0012345");
    assert_eq!(r["contracts"][0]["state"], "in service");
    assert_eq!(r["url"], "https://crm.example/c/42");
    assert_eq!(sim.lookups(), 1);

    // The same number again soon (another tab, another session): answered from memory.
    let (_, again) = agent.call("/api/desk/crm", json!({"call": call})).await;
    assert_eq!(again.unwrap()["records"][0]["name"], "Cooperativa Sol");
    assert_eq!(sim.lookups(), 1, "the CRM was asked twice for the same card");

    // A number the CRM does not know: an answer with no records.
    let other = ring_extension(&app, &pbx, "201", "+44 20 7946 0958").await;
    let (_, crm) = agent.call("/api/desk/crm", json!({"call": other})).await;
    assert_eq!(crm.unwrap(), json!({"state": "answered", "records": [], "more": 0}));
}

#[tokio::test]
async fn a_slow_crm_is_cut_at_the_budget_and_the_card_never_waits_on_it() {
    let sim = crmsim().await;
    sim.set_records(vec![coop()]);
    sim.set_mode(Mode {
        delay_ms: 30_000,
        ..Default::default()
    });
    let app = TestApp::spawn_with(fresh_db().await, options(&sim.url_template(), TOKEN, 300)).await;
    let (agent, pbx) = desk(&app).await;
    let call = ring_extension(&app, &pbx, "201", "612345678").await;

    let (status, crm) = agent.call("/api/desk/crm", json!({"call": call})).await;
    assert_eq!(status, StatusCode::OK, "{crm:?}");
    // Timed out (only the budget says so; the simulator would have answered after 30 s).
    assert_eq!(
        crm.unwrap(),
        json!({"state": "failed", "failure": "timed_out", "status": null})
    );
    assert_eq!(sim.lookups(), 1);
    let (status, card) = agent.call("/api/desk/card", json!({"call": call})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(card.unwrap()["call"]["id"], call);

    // Back to normal: a failure is not remembered, the next look-up gets the records.
    sim.set_mode(Mode::default());
    let (_, crm) = agent.call("/api/desk/crm", json!({"call": call})).await;
    assert_eq!(crm.unwrap()["records"][0]["name"], "Cooperativa Sol");
}

#[tokio::test]
async fn a_failing_or_unreadable_crm_a_refused_token_and_no_crm_are_each_said() {
    let sim = crmsim().await;
    sim.set_records(vec![coop()]);
    let app = TestApp::spawn_with(fresh_db().await, options(&sim.url_template(), TOKEN, 2000)).await;
    let (agent, pbx) = desk(&app).await;
    let calls = [
        ring_extension(&app, &pbx, "201", "612345678").await,
        ring_extension(&app, &pbx, "201", "612345679").await,
    ];

    sim.set_mode(Mode {
        fail_status: Some(503),
        ..Default::default()
    });
    let (_, crm) = agent.call("/api/desk/crm", json!({"call": calls[0]})).await;
    assert_eq!(
        crm.unwrap(),
        json!({"state": "failed", "failure": "refused", "status": 503})
    );
    sim.set_mode(Mode {
        garbage: true,
        ..Default::default()
    });
    let (_, crm) = agent.call("/api/desk/crm", json!({"call": calls[1]})).await;
    assert_eq!(
        crm.unwrap(),
        json!({"state": "failed", "failure": "unreadable", "status": null})
    );
    sim.set_mode(Mode::default());

    // Switchboard configured with the wrong token: the CRM refuses it, and the card says so.
    let wrong = TestApp::spawn_with(fresh_db().await, options(&sim.url_template(), "not-the-token", 2000)).await;
    let (agent2, pbx2) = desk(&wrong).await;
    let call = ring_extension(&wrong, &pbx2, "201", "612345678").await;
    let (_, crm) = agent2.call("/api/desk/crm", json!({"call": call})).await;
    assert_eq!(
        crm.unwrap(),
        json!({"state": "failed", "failure": "refused", "status": 401})
    );

    // Nobody listening where the CRM should be.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let gone = TestApp::spawn_with(
        fresh_db().await,
        options(&format!("http://{closed}/lookup?phone={{phone}}"), TOKEN, 2000),
    )
    .await;
    let (agent3, pbx3) = desk(&gone).await;
    let call = ring_extension(&gone, &pbx3, "201", "612345678").await;
    let (_, crm) = agent3.call("/api/desk/crm", json!({"call": call})).await;
    assert_eq!(
        crm.unwrap(),
        json!({"state": "failed", "failure": "unreachable", "status": null})
    );

    // No CRM configured: said, so the card shows nothing of it.
    let plain = TestApp::spawn().await;
    let (agent4, pbx4) = desk(&plain).await;
    let call = ring_extension(&plain, &pbx4, "201", "612345678").await;
    let (status, crm) = agent4.call("/api/desk/crm", json!({"call": call})).await;
    assert_eq!(
        (status, crm.unwrap()),
        (StatusCode::OK, json!({"state": "not_configured"}))
    );
}

#[tokio::test]
async fn only_signed_in_desk_users_ask_the_crm_and_the_simulator_checks_its_token() {
    let sim = crmsim().await;
    sim.set_records(vec![coop()]);
    let app = TestApp::spawn_with(fresh_db().await, options(&sim.url_template(), TOKEN, 2000)).await;
    let (_, pbx) = desk(&app).await;
    let call = ring_extension(&app, &pbx, "201", "612345678").await;

    let anonymous = Browser::new(&app);
    let (status, _) = anonymous.call("/api/desk/crm", json!({"call": call})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Every role opens the desk; a machine's token is not a desk user.
    let res = reqwest::Client::new()
        .post(format!("{}/api/desk/crm", app.url))
        .bearer_auth(&pbx)
        .json(&json!({"call": call}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = anonymous
        .call("/api/desk/crm/search", json!({"query": "Cooperativa"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(sim.lookups(), 0, "a refused caller made Switchboard ask the CRM");

    // The simulator, as a CRM would: no token or a wrong one gets 401 and changes nothing.
    let base = format!("http://{}", sim.addr);
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{base}/lookup?phone=%2B34612345678"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http
        .put(format!("{base}/control/records"))
        .bearer_auth("wrong")
        .json(&json!({"contacts": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http
        .get(format!("{base}/lookup?phone=%2B34612345678"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["contacts"][0]["name"], "Cooperativa Sol",
        "the records were changed"
    );
    assert_eq!(sim.lookups(), 1);
}

#[tokio::test]
async fn the_desk_search_asks_the_crm_by_name_or_by_the_number_in_e164() {
    let sim = crmsim().await;
    sim.set_records(vec![coop()]);
    let app = TestApp::spawn_with(fresh_db().await, options(&sim.url_template(), TOKEN, 2000)).await;
    let (agent, _) = desk(&app).await;
    let (status, crm) = agent
        .call("/api/desk/crm/search", json!({"query": "cooperativa"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{crm:?}");
    assert_eq!(crm.unwrap()["records"][0]["id"], "C-42");
    // Typed nationally: the CRM is asked for +34612345678.
    let (_, crm) = agent
        .call("/api/desk/crm/search", json!({"query": "612 34 56 78"}))
        .await;
    assert_eq!(crm.unwrap()["records"][0]["id"], "C-42");
    let res = agent.call("/api/desk/crm/search", json!({"query": "x"})).await;
    assert_invalid(&res, "query");
}
