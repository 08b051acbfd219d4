//! The console's callouts functions over HTTP: who may do what (and that a refusal changes
//! nothing), the chunked CSV import (refused rows reported, valid rows kept, repeats merged),
//! the CSV exports, the caller-id registry (console and REST), and calling hours applied in
//! each contact's own time zone by the dialer's claim.

use crate::common::{Browser, Role, Scope, TestApp, assert_invalid};
use app::callouts::rules::pacing::CallingHours;
use app::callouts::rules::settings::{CalloutInput, ContactFilter};
use app::callouts::store::participations::{self, HoursFilter};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&app.db)
        .await
        .unwrap()
}

fn rows(lines: &[(u64, &[&str])]) -> Value {
    json!(
        lines
            .iter()
            .map(|(line, cells)| json!({ "line": line, "cells": cells }))
            .collect::<Vec<_>>()
    )
}

fn mapping() -> Value {
    json!({ "columns": ["Phone", "Name", "Tags", { "Meta": "city" }] })
}

#[tokio::test]
async fn roles_decide_who_reads_and_who_runs_callouts() {
    let app = TestApp::spawn().await;
    let mia = app.user("mia", &[Role::Manager]).await;
    let alex = app.user("alex", &[Role::Agent]).await;
    let manager = Browser::signed_in(&app, "mia", &mia).await;
    let agent = Browser::signed_in(&app, "alex", &alex).await;
    let nobody = Browser::new(&app);

    let (s, v) = manager
        .call(
            "/api/callouts/save",
            json!({ "id": null, "input": { "name": "Reminder" } }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v:?}");
    let id = v.unwrap().as_i64().unwrap();

    // Everyone in the area reads.
    for b in [&manager, &agent] {
        let (s, v) = b.call("/api/callouts/list", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v:?}");
        assert_eq!(v.unwrap()["callouts"][0]["name"], "Reminder");
        let (s, _) = b.call("/api/callouts/get", json!({ "id": id })).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = b.call("/api/contacts/list", json!({ "filter": {}, "page": 1 })).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = b.call("/api/callouts/openapi", json!({})).await;
        assert_eq!(s, StatusCode::OK);
        assert!(v.unwrap()["paths"]["/api/v1/callouts/{id}/events"].is_object());
    }
    let (s, _) = nobody.call("/api/callouts/list", json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Agents change nothing.
    let changes = [
        (
            "/api/callouts/save",
            json!({ "id": null, "input": { "name": "Sneaky" } }),
        ),
        ("/api/callouts/event", json!({ "id": id, "event": "start" })),
        ("/api/callouts/populate", json!({ "id": id, "filter": {} })),
        ("/api/callouts/delete", json!({ "id": id })),
        (
            "/api/contacts/import",
            json!({ "mapping": mapping(), "rows": rows(&[(2, &["612345678", "A", "", ""])]) }),
        ),
        (
            "/api/callouts/caller-ids/save",
            json!({ "prefix": "+34", "caller_id": "+34930000000" }),
        ),
    ];
    for (path, body) in &changes {
        let (s, _) = agent.call(path, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        let (s, _) = nobody.call(path, body.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(count(&app, "callouts").await, 1);
    assert_eq!(count(&app, "contacts").await, 0);
    assert_eq!(count(&app, "caller_ids").await, 0);
    let (_, v) = manager.call("/api/callouts/get", json!({ "id": id })).await;
    assert_eq!(v.unwrap()["status"], "initialized");

    // A refused transition says why and changes nothing; an allowed one goes through.
    let res = manager
        .call("/api/callouts/event", json!({ "id": id, "event": "pause" }))
        .await;
    assert_invalid(&res, "event");
    let (s, v) = manager
        .call("/api/callouts/event", json!({ "id": id, "event": "start" }))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.unwrap(), "running");
    let (s, _) = manager.call("/api/callouts/delete", json!({ "id": id })).await;
    assert_eq!(s, StatusCode::CONFLICT, "a running callout is not deleted");

    // Settings are validated field by field.
    let res = manager
        .call(
            "/api/callouts/save",
            json!({ "id": id, "input": { "name": "R", "max_calls_per_run": 0 } }),
        )
        .await;
    assert_invalid(&res, "max_calls_per_run");
    let (s, _) = manager.call("/api/callouts/get", json!({ "id": 999_999 })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_chunked_csv_import_keeps_valid_rows_reports_bad_ones_and_merges_repeats() {
    let app = TestApp::spawn().await;
    let mia = app.user("mia", &[Role::Manager]).await;
    let b = Browser::signed_in(&app, "mia", &mia).await;

    let first = rows(&[
        (2, &["612000100", "Ana", "north;vip", "Girona"]),
        (3, &["12", "Too short", "", ""]),
        (4, &["+34 612 000 111", "Pere", "", "Vic"]),
        (5, &["612000100", "Ana Puig", "south", ""]),
    ]);
    let (s, v) = b
        .call("/api/contacts/import", json!({ "mapping": mapping(), "rows": first }))
        .await;
    assert_eq!(s, StatusCode::OK, "{v:?}");
    let v = v.unwrap();
    assert_eq!(v["created"], 2);
    assert_eq!(v["merged"], 1);
    assert_eq!(v["errors"][0]["line"], 3);
    assert!(v["errors"][0]["reason"].as_str().unwrap().starts_with("phone:"), "{v}");

    // A later chunk merges into what the first one wrote; the first stays.
    let second = rows(&[(6, &["612000111", "", "late", "Manlleu"])]);
    let (_, v) = b
        .call("/api/contacts/import", json!({ "mapping": mapping(), "rows": second }))
        .await;
    assert_eq!(v.unwrap()["merged"], 1);
    assert_eq!(count(&app, "contacts").await, 2);
    let (name, tags, city): (String, Vec<String>, Value) =
        sqlx::query_as("SELECT name, tags, metadata->'city' FROM contacts WHERE phone = '+34612000111'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), tags, city),
        ("Pere", vec!["late".to_string()], json!("Manlleu"))
    );
    let (name, tags): (String, Vec<String>) =
        sqlx::query_as("SELECT name, tags FROM contacts WHERE phone = '+34612000100'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(name, "Ana Puig");
    assert_eq!(tags, vec!["north", "vip", "south"]);

    // A tag for the whole file lets it populate a callout; a bad tag writes nothing.
    let third = rows(&[(7, &["612000133", "Joan", "", ""])]);
    let res = b
        .call(
            "/api/contacts/import",
            json!({ "mapping": mapping(), "rows": third.clone(), "tag": "x".repeat(60) }),
        )
        .await;
    assert_invalid(&res, "tags");
    assert_eq!(count(&app, "contacts").await, 2);
    let (_, v) = b
        .call(
            "/api/contacts/import",
            json!({ "mapping": mapping(), "rows": third, "tag": " list-1 " }),
        )
        .await;
    assert_eq!(v.unwrap()["created"], 1);
    let tags: Vec<String> = sqlx::query_scalar("SELECT tags FROM contacts WHERE phone = '+34612000133'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(tags, vec!["list-1"]);

    // A mapping without a phone column, or a chunk that is too large, writes nothing.
    let res = b
        .call(
            "/api/contacts/import",
            json!({ "mapping": { "columns": ["Name"] }, "rows": rows(&[(2, &["Nobody"])]) }),
        )
        .await;
    assert_invalid(&res, "mapping");
    let big: Vec<Value> = (0..5_001)
        .map(|i| json!({ "line": i + 2, "cells": [format!("6{:08}", i), "", "", ""] }))
        .collect();
    let res = b
        .call("/api/contacts/import", json!({ "mapping": mapping(), "rows": big }))
        .await;
    assert_invalid(&res, "rows");
    assert_eq!(count(&app, "contacts").await, 3);

    // The export reads back through the same import.
    let res = b.get("/api/v1/contacts.csv?tag=south").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let (table, errors) = app::callouts::rules::contacts_csv::read(&text).unwrap();
    assert!(errors.is_empty());
    assert_eq!(table.header, ["phone", "name", "tags", "time_zone", "city"]);
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].cells[0], "+34612000100");
    let res = b.get("/api/v1/contacts.csv?metadata=[1]").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn participations_filter_and_export_and_caller_ids_are_kept() {
    let app = TestApp::spawn().await;
    let mia = app.user("mia", &[Role::Manager]).await;
    let b = Browser::signed_in(&app, "mia", &mia).await;
    let (_, v) = b
        .call(
            "/api/contacts/import",
            json!({ "mapping": mapping(), "rows": rows(&[
                (2, &["612000100", "Ana", "a", ""]),
                (3, &["612000111", "Pere", "a", ""]),
                (4, &["612000122", "Joan", "b", ""]),
            ]) }),
        )
        .await;
    assert_eq!(v.unwrap()["created"], 3);
    let (_, v) = b
        .call(
            "/api/callouts/save",
            json!({ "id": null, "input": { "name": "Survey" } }),
        )
        .await;
    let id = v.unwrap().as_i64().unwrap();
    let (s, v) = b
        .call(
            "/api/callouts/populate",
            json!({ "id": id, "filter": { "tags": ["a"] } }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.unwrap(), 2);
    let (_, v) = b
        .call("/api/callouts/populate", json!({ "id": id, "filter": {} }))
        .await;
    assert_eq!(v.unwrap(), 1, "each contact at most once");

    let (_, v) = b
        .call(
            "/api/callouts/participations",
            json!({ "id": id, "filter": { "search": "Pere" }, "page": 1 }),
        )
        .await;
    let v = v.unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["name"], "Pere");
    let pere = v["items"][0]["id"].clone();
    let (s, v) = b
        .call("/api/callouts/participation-calls", json!({ "participation_id": pere }))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.unwrap(), json!([]), "not called yet");
    let res = b
        .call(
            "/api/callouts/participations",
            json!({ "id": id, "filter": { "state": "ringing" }, "page": 1 }),
        )
        .await;
    assert_invalid(&res, "state");
    let text = b
        .get(&format!(
            "/api/v1/callouts/{id}/participations.csv?state=pending&search=%2B3461200012"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("+34612000122,Joan,pending"), "{text}");

    // Caller ids: console and REST share one registry; bad numbers are refused.
    let res = b
        .call(
            "/api/callouts/caller-ids/save",
            json!({ "prefix": "34", "caller_id": "+34930000000" }),
        )
        .await;
    assert_invalid(&res, "prefix");
    let (s, _) = b
        .call(
            "/api/callouts/caller-ids/save",
            json!({ "prefix": "+34", "caller_id": "+34930000000" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let token = app.token("crm", &[Scope::Callouts]).await;
    let http = reqwest::Client::new();
    let listed: Value = http
        .get(format!("{}/api/v1/caller_ids", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([{ "prefix": "+34", "caller_id": "+34930000000" }]));
    let res = http
        .post(format!("{}/api/v1/caller_ids", app.url))
        .bearer_auth(&token)
        .json(&json!({ "prefix": "+3851", "caller_id": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = http
        .delete(format!("{}/api/v1/caller_ids/%2B34", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&app, "caller_ids").await, 0);
    let (s, _) = b
        .call(
            "/api/callouts/caller-ids/save",
            json!({ "prefix": "+34", "caller_id": "" }),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// The claim takes only contacts inside calling hours in their own zone (or the default zone).
#[tokio::test]
async fn calling_hours_are_kept_in_each_contacts_time_zone() {
    let db = server::testing::fresh_db().await;
    let input = |phone: &str, zone: Option<&str>| app::callouts::rules::settings::ContactInput {
        phone: Some(phone.into()),
        time_zone: zone.map(str::to_string),
        ..Default::default()
    };
    let contacts: Vec<_> = [
        input("+34612000100", Some("Etc/UTC")),
        input("+34612000111", Some("Asia/Tokyo")),
        input("+34612000122", None),
    ]
    .iter()
    .map(|i| i.validate("34").unwrap())
    .collect();
    app::callouts::store::contacts::upsert_many(&mut db.acquire().await.unwrap(), &contacts)
        .await
        .unwrap();
    let settings = CalloutInput {
        name: Some("Hours".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let callout = app::callouts::store::callouts::create(&mut db.acquire().await.unwrap(), &settings, None)
        .await
        .unwrap();
    participations::populate(&mut db.acquire().await.unwrap(), callout.id, &ContactFilter::default())
        .await
        .unwrap();
    // An hour either side of now in UTC: Tokyo (UTC+9) is outside; the default zone decides
    // for the contact without one.
    let now = Utc::now();
    let hours = CallingHours::parse(
        "mon-sun",
        &(now - Duration::hours(1)).format("%H:%M").to_string(),
        &(now + Duration::hours(1)).format("%H:%M").to_string(),
    )
    .unwrap();
    let claim = |zone: &'static str| {
        let db = db.clone();
        let hours = hours.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let filter = HoursFilter {
                hours,
                default_zone: zone.into(),
            };
            let claimed = participations::claim(&mut tx, callout.id, 10, "test", 60.0, Some(&filter))
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            let mut phones: Vec<String> = claimed.into_iter().map(|c| c.phone).collect();
            phones.sort();
            phones
        }
    };
    assert_eq!(claim("Etc/UTC").await, ["+34612000100", "+34612000122"]);
    assert_eq!(claim("Asia/Tokyo").await, ["+34612000100"]);
}

/// A pause waits for a dialer round that has read the callout (share lock), so no round that
/// began before a pause answered can claim calls after it.
#[tokio::test]
async fn a_pause_waits_for_the_dialer_round_under_way() {
    use app::callouts::rules::callout::CalloutEvent;
    let db = server::testing::fresh_db().await;
    let settings = CalloutInput {
        name: Some("Race".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let c = app::callouts::store::callouts::create(&mut db.acquire().await.unwrap(), &settings, None)
        .await
        .unwrap();
    app::callouts::store::callouts::apply_event(&mut db.acquire().await.unwrap(), c.id, CalloutEvent::Start)
        .await
        .unwrap()
        .unwrap();
    let mut round = db.begin().await.unwrap();
    let seen = app::callouts::store::callouts::get_locked(&mut round, c.id)
        .await
        .unwrap();
    assert!(seen.status.places_calls());
    let pause = tokio::spawn({
        let db = db.clone();
        async move {
            app::callouts::store::callouts::apply_event(&mut db.acquire().await.unwrap(), c.id, CalloutEvent::Pause)
                .await
        }
    });
    // Observable: the pause's connection waits on a lock held by the round's transaction.
    let waiting = async {
        loop {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&db)
            .await
            .unwrap();
            if n > 0 || pause.is_finished() {
                return n;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
        .await
        .expect("the pause reached the database in time");
    assert!(n > 0, "the pause must wait on the round's lock");
    assert!(!pause.is_finished(), "the pause must wait for the round's transaction");
    round.commit().await.unwrap();
    let paused = pause.await.unwrap().unwrap().unwrap();
    assert_eq!(paused.status.as_str(), "paused");
}

#[tokio::test]
async fn contacts_are_added_changed_and_deleted_one_by_one() {
    let app = TestApp::spawn().await;
    let mia = app.user("mia", &[Role::Manager]).await;
    let b = Browser::signed_in(&app, "mia", &mia).await;
    let (s, v) = b
        .call(
            "/api/contacts/save",
            json!({ "id": null, "input": { "phone": "612 000 100", "name": "Ana", "tags": ["a", " "], "time_zone": "Europe/Madrid", "metadata": { "city": "Vic" } } }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v:?}");
    let ana = v.unwrap().as_i64().unwrap();
    let (_, v) = b
        .call(
            "/api/contacts/save",
            json!({ "id": null, "input": { "phone": "612000111" } }),
        )
        .await;
    let pere = v.unwrap().as_i64().unwrap();

    // Bad input names its field and changes nothing; a taken number is a conflict.
    for (input, field) in [
        (json!({ "phone": "12" }), "phone"),
        (json!({ "phone": "612000122", "metadata": [1] }), "metadata"),
        (
            json!({ "phone": "612000122", "time_zone": "Nowhere/Land" }),
            "time_zone",
        ),
    ] {
        let res = b
            .call("/api/contacts/save", json!({ "id": null, "input": input }))
            .await;
        assert_invalid(&res, field);
    }
    let (s, _) = b
        .call(
            "/api/contacts/save",
            json!({ "id": pere, "input": { "phone": "+34612000100" } }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(count(&app, "contacts").await, 2);

    let (s, _) = b
        .call(
            "/api/contacts/save",
            json!({ "id": ana, "input": { "phone": "612000100", "name": "Ana Puig" } }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let name: String = sqlx::query_scalar("SELECT name FROM contacts WHERE id = $1")
        .bind(ana)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "Ana Puig");

    // A contact in a callout keeps its history: it cannot be deleted; others can.
    let (_, v) = b
        .call("/api/callouts/save", json!({ "id": null, "input": { "name": "C" } }))
        .await;
    let callout = v.unwrap().as_i64().unwrap();
    let (s, v) = b
        .call(
            "/api/callouts/populate",
            json!({ "id": callout, "filter": { "search": "Ana" } }),
        )
        .await;
    assert_eq!((s, v.unwrap()), (StatusCode::OK, json!(1)));
    let (s, _) = b.call("/api/contacts/delete", json!({ "id": ana })).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = b.call("/api/contacts/delete", json!({ "id": pere })).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = b.call("/api/contacts/delete", json!({ "id": pere })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "contacts").await, 1);
}
