//! Call categories (admins; CSV import whole or not at all), annotating a call (at least one
//! enabled category; only its agent, coordinators and managers; contract must be the
//! contact's; editable and clearable), calls recorded by hand, the agent's day and the team
//! log (filters, CSV export, calls per category).
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn category(admin: &Browser, code: &str, name: &str, keywords: &str, kind: &str, enabled: bool) -> i64 {
    let (status, body) = admin
        .call(
            "/api/desk/category/save",
            json!({"id": null, "input": {"code": code, "name": name, "colour": "#1f77b4", "keywords": keywords, "kind": kind, "enabled": enabled}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    body.unwrap().as_i64().unwrap()
}

async fn annotate(
    b: &Browser,
    call: i64,
    cats: &[i64],
    contact: Option<i64>,
    contract: Option<i64>,
) -> (StatusCode, Result<Value, app::shell::error::ApiError>) {
    b.call(
        "/api/desk/annotate",
        json!({"call": call, "input": {"categories": cats, "comment": "asked about the bill", "contact": contact, "contract": contract}}),
    )
    .await
}

async fn row(b: &Browser, call: i64) -> Value {
    let (status, body) = b.call("/api/desk/call/row", json!({"call": call})).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    body.unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn categories_are_admins_and_a_csv_imports_whole_or_not_at_all() {
    let app = TestApp::spawn().await;
    let apw = app.user("ada", &[Role::Admin]).await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let admin = Browser::signed_in(&app, "ada", &apw).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;

    let res = agent
        .call(
            "/api/desk/category/save",
            json!({"id": null, "input": {"code": "X", "name": "X", "colour": "#000000", "keywords": "", "kind": "claim", "enabled": true}}),
        )
        .await;
    assert_eq!(res.0, StatusCode::FORBIDDEN);
    assert_eq!(
        agent.call("/api/desk/categories", json!({"all": true})).await.0,
        StatusCode::FORBIDDEN
    );
    let res = admin
        .call(
            "/api/desk/category/save",
            json!({"id": null, "input": {"code": "bad code", "name": "X", "colour": "#000000", "keywords": "", "kind": "claim", "enabled": true}}),
        )
        .await;
    assert_invalid(&res, "code");

    let inv = category(&admin, "INV", "Invoice", "bill, factura", "claim", true).await;
    // A duplicate code is refused.
    let res = admin
        .call(
            "/api/desk/category/save",
            json!({"id": null, "input": {"code": "inv", "name": "Again", "colour": "#000000", "keywords": "", "kind": "claim", "enabled": true}}),
        )
        .await;
    assert_eq!(res.0, StatusCode::CONFLICT, "{res:?}");

    // One bad row: every refused row reported, nothing written (not even the good rows).
    let bad = "code;name;colour;keywords;kind;enabled\nINV;Factura;#ff0000;bill;claim;yes\nSUP;Supply;#00ff00;;information;yes\nBAD;Bad;red;;claim;yes\n";
    let (status, body) = admin.call("/api/desk/category/import", json!({"csv": bad})).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let body = body.unwrap();
    assert_eq!(body["created"], 0);
    assert_eq!(body["refused"].as_array().unwrap().len(), 1);
    assert_eq!(body["refused"][0]["line"], 4);
    assert_eq!(count(&app, "SELECT count(*) FROM call_categories").await, 1);

    let good = "code;name;colour;keywords;kind;enabled\nINV;Factura;#ff0000;bill|rebut;claim;yes\nSUP;Supply;#00ff00;;information;no\n";
    let (_, body) = admin.call("/api/desk/category/import", json!({"csv": good})).await;
    let body = body.unwrap();
    assert_eq!(
        (body["created"].as_i64(), body["updated"].as_i64()),
        (Some(1), Some(1)),
        "{body}"
    );
    assert!(body["refused"].as_array().unwrap().is_empty());
    let (_, all) = admin.call("/api/desk/categories", json!({"all": true})).await;
    let all = all.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let invoice = all.as_array().unwrap().iter().find(|c| c["id"] == inv).unwrap();
    assert_eq!(
        (invoice["name"].as_str(), invoice["colour"].as_str()),
        (Some("Factura"), Some("#ff0000"))
    );
    assert_eq!(invoice["keywords"], json!(["bill", "rebut"]));
    // Agents choose among the enabled ones only.
    let (_, enabled) = agent.call("/api/desk/categories", json!({"all": false})).await;
    assert_eq!(enabled.unwrap().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn annotating_needs_a_category_and_is_for_the_calls_agent_or_coordinators() {
    let app = TestApp::spawn().await;
    let apw = app.user("ada", &[Role::Admin]).await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let spw = app.user("sam", &[Role::Agent]).await;
    let cpw = app.user("cora", &[Role::Coordinator]).await;
    agent_with_extension(&app, "alex", "201", "alex").await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let admin = Browser::signed_in(&app, "ada", &apw).await;
    let alex = Browser::signed_in(&app, "alex", &pw).await;
    let sam = Browser::signed_in(&app, "sam", &spw).await;
    let cora = Browser::signed_in(&app, "cora", &cpw).await;
    let inv = category(&admin, "INV", "Invoice", "bill", "claim", true).await;
    let sup = category(&admin, "SUP", "Supply", "", "information", true).await;
    let old = category(&admin, "OLD", "Old", "", "information", false).await;

    let (_, e) = alex
        .call(
            "/api/directory/create",
            json!({"input": {"kind": "person", "name": "Roser", "phones": ["611140001"], "emails": [], "tax_id": "", "member_number": "", "notes": ""}}),
        )
        .await;
    let roser = e.unwrap()["id"].as_i64().unwrap();
    let (_, e) = alex
        .call(
            "/api/directory/create",
            json!({"input": {"kind": "person", "name": "Other", "phones": ["611140002"], "emails": [], "tax_id": "", "member_number": "", "notes": ""}}),
        )
        .await;
    let other = e.unwrap()["id"].as_i64().unwrap();
    let (_, k) = alex
        .call(
            "/api/directory/contract/add",
            json!({"contact": roser, "input": {"number": "0099123", "address": "Carrer Major 7", "state": "active", "starts_on": null, "ends_on": null}}),
        )
        .await;
    let contract = k.unwrap().as_i64().unwrap();

    let call = ring_extension(&app, &pbx, "201", "611140001").await;
    assert_eq!(row(&alex, call).await["annotated_at"], Value::Null);

    // No category: refused with the reason, nothing written.
    let res = annotate(&alex, call, &[], Some(roser), None).await;
    assert_invalid(&res, "categories");
    match &res.1 {
        Err(e) => assert!(e.to_string().contains("at least one category"), "{e}"),
        Ok(_) => unreachable!(),
    }
    // A disabled or unknown category, a contract that is not the contact's.
    assert_invalid(&annotate(&alex, call, &[old], None, None).await, "categories");
    assert_invalid(&annotate(&alex, call, &[inv, 999_999], None, None).await, "categories");
    assert_invalid(
        &annotate(&alex, call, &[inv], Some(other), Some(contract)).await,
        "contract",
    );
    assert_eq!(count(&app, "SELECT count(*) FROM desk_call_categories").await, 0);
    // Another agent may not annotate Alex's call.
    assert_eq!(annotate(&sam, call, &[inv], None, None).await.0, StatusCode::FORBIDDEN);

    let res = annotate(&alex, call, &[inv, sup], Some(roser), Some(contract)).await;
    assert_eq!(res.0, StatusCode::OK, "{res:?}");
    let r = row(&alex, call).await;
    assert!(r["annotated_at"].is_string());
    let codes: Vec<&str> = r["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["INV", "SUP"]);
    assert_eq!(r["comment"], "asked about the bill");
    assert_eq!(r["about_contact"], json!([roser, "Roser"]));
    assert_eq!(r["about_contract"], json!([contract, "0099123"]));

    // A coordinator edits it (one category now), then clears it: to annotate again.
    assert_eq!(annotate(&cora, call, &[sup], None, None).await.0, StatusCode::OK);
    let r = row(&alex, call).await;
    assert_eq!(r["categories"].as_array().unwrap().len(), 1);
    assert_eq!(r["about_contact"], Value::Null);
    assert_eq!(
        sam.call("/api/desk/annotation/clear", json!({"call": call})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        alex.call("/api/desk/annotation/clear", json!({"call": call})).await.0,
        StatusCode::OK
    );
    let r = row(&alex, call).await;
    assert_eq!(
        (r["annotated_at"].clone(), r["categories"].clone()),
        (Value::Null, json!([]))
    );
    assert_eq!(
        annotate(&alex, 123_456, &[inv], None, None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_call_recorded_by_hand_joins_my_day_newest_first() {
    let app = TestApp::spawn().await;
    let apw = app.user("ada", &[Role::Admin]).await;
    let pw = app.user("alex", &[Role::Agent]).await;
    agent_with_extension(&app, "alex", "201", "alex").await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let admin = Browser::signed_in(&app, "ada", &apw).await;
    let alex = Browser::signed_in(&app, "alex", &pw).await;
    let inv = category(&admin, "INV", "Invoice", "", "claim", true).await;

    let first = ring_extension(&app, &pbx, "201", "611140001").await;
    let res = alex
        .call("/api/desk/record", json!({"input": {"phone": "abc", "at": ""}}))
        .await;
    assert_invalid(&res, "phone");
    let (status, body) = alex
        .call("/api/desk/record", json!({"input": {"phone": "699 000 111", "at": ""}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let by_hand = body.unwrap().as_i64().unwrap();
    assert_eq!(annotate(&alex, by_hand, &[inv], None, None).await.0, StatusCode::OK);

    let (status, day) = alex.call("/api/desk/day", json!({"day": null})).await;
    assert_eq!(status, StatusCode::OK, "{day:?}");
    let day = day.unwrap();
    let ids: Vec<i64> = day["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["call"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![by_hand, first], "newest first");
    assert_eq!(day["to_annotate"], 1);
    assert_eq!(day["rows"][0]["manual"], true);
    assert_eq!(day["rows"][0]["call"]["extension"], "201", "the agent's extension");
    assert_eq!(day["rows"][0]["call"]["phone"], "+34699000111");
}

#[tokio::test]
async fn the_team_log_filters_charts_and_exports_for_coordinators_only() {
    let app = TestApp::spawn().await;
    let apw = app.user("ada", &[Role::Admin]).await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let spw = app.user("sam", &[Role::Agent]).await;
    let cpw = app.user("cora", &[Role::Coordinator]).await;
    agent_with_extension(&app, "alex", "201", "alex").await;
    agent_with_extension(&app, "sam", "202", "sam").await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let admin = Browser::signed_in(&app, "ada", &apw).await;
    let alex = Browser::signed_in(&app, "alex", &pw).await;
    let sam = Browser::signed_in(&app, "sam", &spw).await;
    let cora = Browser::signed_in(&app, "cora", &cpw).await;
    let inv = category(&admin, "INV", "Invoice", "", "claim", true).await;
    let sup = category(&admin, "SUP", "Supply", "", "information", true).await;

    let a1 = ring_extension(&app, &pbx, "201", "611140001").await;
    let a2 = ring_extension(&app, &pbx, "201", "611140002").await;
    let s1 = ring_extension(&app, &pbx, "202", "611140003").await;
    let yesterday = ring_extension(&app, &pbx, "202", "611140004").await;
    sqlx::query("UPDATE desk_calls SET rang_at = rang_at - interval '1 day' WHERE id = $1")
        .bind(yesterday)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(annotate(&alex, a1, &[inv, sup], None, None).await.0, StatusCode::OK);
    assert_eq!(annotate(&sam, s1, &[inv], None, None).await.0, StatusCode::OK);

    let log = |f: Value| {
        let cora = &cora;
        async move {
            let (status, body) = cora.call("/api/desk/log", json!({"filter": f})).await;
            assert_eq!(status, StatusCode::OK, "{body:?}");
            body.unwrap()
        }
    };
    let ids = |l: &Value| -> Vec<i64> {
        l["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["call"]["id"].as_i64().unwrap())
            .collect()
    };
    let all = log(json!({"day": null, "agent": null, "category": null, "annotated": null})).await;
    assert_eq!(ids(&all), vec![s1, a2, a1]);
    assert_eq!(all["unannotated"], 1);
    let per: Vec<(String, i64)> = all["per_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"]["code"].as_str().unwrap().to_string(),
                c["calls"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(per, vec![("INV".to_string(), 2), ("SUP".to_string(), 1)]);
    assert_eq!(all["agents"].as_array().unwrap().len(), 2);
    let alex_id = user_id(&app.db, "alex").await;
    assert_eq!(
        ids(&log(json!({"day": null, "agent": alex_id, "category": null, "annotated": null})).await),
        vec![a2, a1]
    );
    assert_eq!(
        ids(&log(json!({"day": null, "agent": null, "category": sup, "annotated": null})).await),
        vec![a1]
    );
    assert_eq!(
        ids(&log(json!({"day": null, "agent": null, "category": null, "annotated": false})).await),
        vec![a2]
    );
    assert_eq!(
        ids(&log(json!({"day": null, "agent": null, "category": null, "annotated": true})).await),
        vec![s1, a1]
    );
    let today = all["day"].as_str().unwrap().to_string();
    let day_before =
        (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap() - chrono::Duration::days(1)).to_string();
    assert_eq!(
        ids(&log(json!({"day": day_before, "agent": null, "category": null, "annotated": null})).await),
        vec![yesterday]
    );

    // Agents see their own day, not the team's.
    assert_eq!(
        alex.call("/api/desk/log", json!({"filter": {}})).await.0,
        StatusCode::FORBIDDEN
    );

    // The CSV export with the same filters.
    let res = cora.get(&format!("/api/desk/log.csv?day={today}&category={inv}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("calls-{today}.csv"))
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "header + two calls: {text}");
    assert!(lines[0].starts_with("call,rang_at,extension,phone,agent"));
    assert!(lines[1].starts_with(&format!("{s1},")), "{text}");
    assert!(
        lines[2].contains("INV|SUP") && lines[2].contains("asked about the bill"),
        "{text}"
    );
    let res = cora.get("/api/desk/log.csv?annotated=false").await;
    assert_eq!(res.text().await.unwrap().lines().count(), 2);
    assert_eq!(
        cora.get("/api/desk/log.csv?day=yesterday").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(alex.get("/api/desk/log.csv").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        Browser::new(&app).get("/api/desk/log.csv").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_team_log_is_told_of_each_call_that_rings() {
    let app = TestApp::spawn().await;
    let cpw = app.user("cora", &[Role::Coordinator]).await;
    app.user("alex", &[Role::Agent]).await;
    agent_with_extension(&app, "alex", "201", "alex").await;
    let pbx = app.token("pbx", &[Scope::Pbx]).await;
    let cora = Browser::signed_in(&app, "cora", &cpw).await;
    let mut sse = Sse::open(&cora).await;
    let call = ring_extension(&app, &pbx, "201", "611140001").await;
    // Cora's log refetches on `desk.calls`; the event names the call, nothing more.
    let ev = sse.next_event().await;
    assert_eq!(ev["topic"], "desk.calls", "{ev}");
    assert_eq!(ev["data"], json!({"call": call}));
    // And the log she refetches has it.
    let (status, log) = cora
        .call(
            "/api/desk/log",
            json!({"filter": {"day": null, "agent": null, "category": null, "annotated": null}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log:?}");
    let ids: Vec<i64> = log.unwrap()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["call"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![call]);
}
