//! The desk's search box through its server function: each field it guesses (a nationally typed
//! number found in E.164, an email, a tax id by its check letter, a contract and a member
//! number by shape, a name in parts, accent- and case-insensitive), the chosen field, the cap
//! with "more", signed-in users only.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn create(agent: &Browser, name: &str, phones: &[&str], email: &str, tax: &str, member: &str) -> i64 {
    let (status, body) = agent
        .call(
            "/api/directory/create",
            json!({"input": {"kind": "person", "name": name, "phones": phones, "emails": [email],
                             "tax_id": tax, "member_number": member, "notes": ""}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    body.unwrap()["id"].as_i64().unwrap()
}

async fn search(agent: &Browser, query: &str, field: Option<&str>) -> Value {
    let (status, body) = agent
        .call("/api/directory/search", json!({"query": query, "field": field}))
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body:?}");
    body.unwrap()
}

fn ids(r: &Value) -> Vec<i64> {
    r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn search_guesses_each_field_and_finds_the_contact() {
    let app = TestApp::spawn().await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    let nuria = create(
        &agent,
        "Núria Pal·larès i Roca",
        &["611140001", "+34 699 000 222"],
        "Nuria@Example.org",
        "12345678Z",
        "04242",
    )
    .await;
    let other = create(
        &agent,
        "Nuri Pallas",
        &["611140002"],
        "other@example.org",
        "X1234567L",
        "S012345",
    )
    .await;
    let (status, body) = agent
        .call(
            "/api/directory/contract/add",
            json!({"contact": nuria, "input": {"number": "0099123", "address": "Carrer Major 7", "state": "active", "starts_on": null, "ends_on": null}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");

    // A phone number typed nationally, with separators: the main number and an extra one.
    let r = search(&agent, "611 14 00 01", None).await;
    assert_eq!(
        (r["guess"]["field"].as_str(), r["guessed"].as_bool()),
        (Some("phone"), Some(true))
    );
    assert_eq!(r["guess"]["normalised"], "+34611140001");
    assert_eq!(ids(&r), vec![nuria]);
    assert_eq!(ids(&search(&agent, "699000222", None).await), vec![nuria]);
    assert_eq!(ids(&search(&agent, "0034 611 140 002", None).await), vec![other]);

    let r = search(&agent, "NURIA@example.ORG", None).await;
    assert_eq!(r["guess"]["field"], "email");
    assert_eq!(ids(&r), vec![nuria]);

    let r = search(&agent, "12.345.678-z", None).await;
    assert_eq!(r["guess"]["field"], "tax_id");
    assert_eq!(ids(&r), vec![nuria]);
    assert_eq!(ids(&search(&agent, "x1234567l", None).await), vec![other]);
    // The EU VAT form of a Spanish NIF finds the bare one.
    assert_eq!(ids(&search(&agent, "ES12345678Z", None).await), vec![nuria]);

    let r = search(&agent, "0099123", None).await;
    assert_eq!(r["guess"]["field"], "contract");
    assert_eq!(ids(&r), vec![nuria]);

    let r = search(&agent, "04242", None).await;
    assert_eq!(r["guess"]["field"], "member");
    assert_eq!(ids(&r), vec![nuria]);
    assert_eq!(ids(&search(&agent, "S012345", None).await), vec![other]);

    // Names: accents and case do not matter; every part must match, in any order.
    let r = search(&agent, "nuria PALLARES", None).await;
    assert_eq!(r["guess"]["field"], "name");
    assert_eq!(r["guess"]["normalised"], "nuria pallares");
    assert_eq!(ids(&r), vec![nuria]);
    assert_eq!(ids(&search(&agent, "roca núria", None).await), vec![nuria]);
    let both = ids(&search(&agent, "Nuri", None).await);
    assert_eq!(both.len(), 2, "a part matches inside names: {both:?}");
    assert!(
        ids(&search(&agent, "nuria smith", None).await).is_empty(),
        "all parts must match"
    );
    // A LIKE wildcard typed is a character, not a wildcard.
    assert!(ids(&search(&agent, "nu%ia", None).await).is_empty());

    // The guess can be changed: the phone-shaped text read as a member number finds nobody.
    let r = search(&agent, "611140001", Some("member")).await;
    assert_eq!(
        (r["guess"]["field"].as_str(), r["guessed"].as_bool()),
        (Some("member"), Some(false))
    );
    assert!(ids(&r).is_empty());
    // Text that cannot be the chosen field is refused with the reason.
    let res = agent
        .call("/api/directory/search", json!({"query": "roca", "field": "phone"}))
        .await;
    assert_invalid(&res, "query");
    let res = agent
        .call("/api/directory/search", json!({"query": "ab", "field": null}))
        .await;
    assert_invalid(&res, "query");
}

#[tokio::test]
async fn search_results_are_capped_with_more() {
    let app = TestApp::spawn().await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    sqlx::query(
        "INSERT INTO contacts (phone, name) SELECT '+3461100' || lpad(g::text, 4, '0'), 'Garcia ' || g FROM generate_series(1, 60) g",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let r = search(&agent, "GARCÍA", None).await;
    assert_eq!(r["hits"].as_array().unwrap().len(), 50);
    assert_eq!(r["more"], true);
    let r = search(&agent, "garcia 59", None).await;
    assert_eq!(r["hits"].as_array().unwrap().len(), 1);
    assert_eq!(r["more"], false);
}

#[tokio::test]
async fn search_needs_a_signed_in_desk_or_callouts_user() {
    let app = TestApp::spawn().await;
    let res = Browser::new(&app)
        .call("/api/directory/search", json!({"query": "anna", "field": null}))
        .await;
    assert_eq!(res.0, StatusCode::UNAUTHORIZED);
}
