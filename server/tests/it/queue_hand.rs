//! Hand changes to the queue and agents steering themselves, against pbxsim through the AMI
//! adapter: a person added by hand survives a reconcile in the same turn and goes at the next
//! boundary; one removed by hand stays out until then; a holiday empties the queue of ours; two
//! instances applying the same boundary at once apply it once; agents pause and resume only
//! their own phone; bad input gets a clear 4xx and changes nothing.
use crate::common::pbx::{self, PbxRig, Workers, board_until};
use crate::common::*;
use app::accounts::Me;
use app::queue::service::{self, Source};
use app::shell::service::Actor;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

fn madrid(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Madrid
        .with_ymd_and_hms(2026, 12, d, h, m, 0)
        .single()
        .expect("local time")
        .with_timezone(&Utc)
}

async fn person(app: &TestApp, handle: &str, extension: Option<&str>) -> i64 {
    sqlx::query_scalar("INSERT INTO people (handle, full_name, extension) VALUES ($1, initcap($1), $2) RETURNING id")
        .bind(handle)
        .bind(extension)
        .fetch_one(&app.db)
        .await
        .expect("person")
}

/// Publishes the week of Monday 7 December 2026 (Madrid, turns 09:00–10:15–11:30–12:45–14:00)
/// with `seats` (day of December, turn, person).
async fn publish(app: &TestApp, seats: &[(u32, i16, i64)]) {
    sqlx::query(
        "INSERT INTO rota_weeks (monday, status, turn_boundaries, time_zone, lines)
         VALUES ('2026-12-07', 'published', ARRAY['09:00','10:15','11:30','12:45','14:00'], 'Europe/Madrid', 3)",
    )
    .execute(&app.db)
    .await
    .expect("week");
    for (line, (d, turn, who)) in seats.iter().enumerate() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, *d).expect("day");
        sqlx::query(
            "INSERT INTO rota_seats (monday, day, turn, line, person_id) VALUES ('2026-12-07', $1, $2, $3, $4)",
        )
        .bind(day)
        .bind(*turn)
        .bind((line % 3) as i16)
        .bind(*who)
        .execute(&app.db)
        .await
        .expect("seat");
    }
}

/// pbxsim, the AMI adapter, the live board kept from its events, linked to the app.
async fn rig(app: &TestApp) -> PbxRig {
    pbx::start(app, pbx::config("queue-hand-secret", 20.0), Workers::Board).await
}

/// The queue's members at the PBX (interfaces, sorted).
async fn members(rig: &PbxRig) -> Vec<String> {
    rig.members().await.into_iter().map(|(i, _)| i).collect()
}

/// Someone else's member, added at the PBX, once the board shows it.
async fn add_other(rig: &PbxRig, interface: &str, name: &str) {
    rig.add_member(interface, name).await;
    rig.board_has(interface, true).await;
}

async fn coordinator(app: &TestApp, username: &str) -> Actor {
    app.user(username, &[Role::Coordinator]).await;
    Actor::User(Me {
        id: user_id(&app.db, username).await,
        username: username.into(),
        display_name: username.into(),
        roles: vec![Role::Coordinator],
    })
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

async fn log_lines(app: &TestApp) -> Vec<String> {
    let log: Vec<(String, Option<String>, String)> =
        sqlx::query_as("SELECT source, who, what FROM queue_log ORDER BY id")
            .fetch_all(&app.db)
            .await
            .expect("log");
    log.into_iter()
        .map(|(s, w, what)| format!("{s} {} {what}", w.unwrap_or_else(|| "-".into())))
        .collect()
}

#[tokio::test]
async fn a_hand_add_survives_a_reconcile_in_the_same_turn_and_goes_at_the_next_boundary() {
    let app = TestApp::spawn().await;
    let alex = person(&app, "alex", Some("202")).await;
    person(&app, "dana", Some("205")).await;
    publish(&app, &[(7, 1, alex), (7, 2, alex)]).await;
    let rig = rig(&app).await;
    let carla = coordinator(&app, "carla").await;

    service::apply_boundary(
        &app.services,
        &Actor::Operator,
        rig.pbx.as_ref(),
        &rig.q,
        madrid(7, 10, 20),
    )
    .await
    .expect("boundary")
    .expect("claimed");
    rig.board_has("PJSIP/202", true).await;
    let added = service::add_by_hand(&app.services, &carla, "dana", madrid(7, 10, 25))
        .await
        .expect("added by hand");
    assert_eq!(added, "PJSIP/205");
    assert_eq!(members(&rig).await, s(&["PJSIP/202", "PJSIP/205"]));

    // A reconcile within the turn (a reconnect, a restart) leaves dana in.
    let done = service::follow_rota(
        &app.services,
        &Actor::Operator,
        rig.pbx.as_ref(),
        &rig.q,
        madrid(7, 11, 29),
        Source::Reconcile,
    )
    .await
    .expect("reconcile");
    assert!(done.removed.is_empty(), "{done:?}");
    assert_eq!(members(&rig).await, s(&["PJSIP/202", "PJSIP/205"]));

    // At the next boundary the rota decides: dana is not on turn 3, alex is.
    let done = service::apply_boundary(
        &app.services,
        &Actor::Operator,
        rig.pbx.as_ref(),
        &rig.q,
        madrid(7, 11, 30),
    )
    .await
    .expect("boundary")
    .expect("claimed");
    assert_eq!(done.removed, s(&["PJSIP/205"]));
    assert_eq!(members(&rig).await, s(&["PJSIP/202"]));
    let lines = log_lines(&app).await;
    assert!(
        lines.contains(&"coordinator carla added dana (PJSIP/205) by hand until 11:30".to_string()),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn a_hand_remove_stays_out_until_the_next_boundary() {
    let app = TestApp::spawn().await;
    let alex = person(&app, "alex", Some("202")).await;
    publish(&app, &[(7, 1, alex), (7, 2, alex)]).await;
    let rig = rig(&app).await;
    let carla = coordinator(&app, "carla").await;
    service::apply_boundary(
        &app.services,
        &Actor::Operator,
        rig.pbx.as_ref(),
        &rig.q,
        madrid(7, 10, 20),
    )
    .await
    .expect("boundary")
    .expect("claimed");
    rig.board_has("PJSIP/202", true).await;

    service::remove_by_hand(&app.services, &carla, "PJSIP/202", madrid(7, 10, 25))
        .await
        .expect("removed by hand");
    assert!(members(&rig).await.is_empty());
    // A reconcile in the same turn does not put alex back.
    let done = service::follow_rota(
        &app.services,
        &Actor::Operator,
        rig.pbx.as_ref(),
        &rig.q,
        madrid(7, 10, 40),
        Source::Reconcile,
    )
    .await
    .expect("reconcile");
    assert!(done.added.is_empty(), "{done:?}");
    assert!(members(&rig).await.is_empty());

    // The next turn has alex again.
    let done = service::apply_boundary(
        &app.services,
        &Actor::Operator,
        rig.pbx.as_ref(),
        &rig.q,
        madrid(7, 11, 30),
    )
    .await
    .expect("boundary")
    .expect("claimed");
    assert_eq!(done.added, s(&["PJSIP/202"]));
    assert_eq!(members(&rig).await, s(&["PJSIP/202"]));
    let lines = log_lines(&app).await;
    assert!(
        lines.contains(&"coordinator carla removed alex (PJSIP/202) by hand until 11:30".to_string()),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn a_holiday_empties_the_queue_of_our_members() {
    let app = TestApp::spawn().await;
    let alex = person(&app, "alex", Some("202")).await;
    // Published with seats on Tuesday the 8th too; the 8th is made a holiday afterwards (the
    // holidays table, as the rota keeps them).
    publish(&app, &[(7, 1, alex), (8, 1, alex)]).await;
    let rig = rig(&app).await;
    add_other(&rig, "PJSIP/900", "Reception").await;
    service::apply_boundary(
        &app.services,
        &Actor::Operator,
        rig.pbx.as_ref(),
        &rig.q,
        madrid(7, 10, 20),
    )
    .await
    .expect("boundary")
    .expect("claimed");
    assert_eq!(members(&rig).await, s(&["PJSIP/202", "PJSIP/900"]));
    sqlx::query("INSERT INTO holidays (day, name) VALUES ('2026-12-08', 'Immaculate Conception')")
        .execute(&app.db)
        .await
        .expect("holiday");

    let done = service::apply_boundary(
        &app.services,
        &Actor::Operator,
        rig.pbx.as_ref(),
        &rig.q,
        madrid(8, 10, 20),
    )
    .await
    .expect("boundary")
    .expect("claimed");
    assert_eq!(done.removed, s(&["PJSIP/202"]));
    assert!(done.added.is_empty());
    // Someone else's member stays.
    assert_eq!(members(&rig).await, s(&["PJSIP/900"]));
    let lines = log_lines(&app).await;
    assert!(
        lines.contains(&"rota - removed PJSIP/202 for 2026-12-08 turn 2 (holiday)".to_string()),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn one_instance_applies_each_boundary_with_two_running() {
    let app = TestApp::spawn().await;
    let alex = person(&app, "alex", Some("202")).await;
    let blai = person(&app, "blai", Some("203")).await;
    publish(&app, &[(7, 1, alex), (7, 1, blai)]).await;
    let rig = rig(&app).await;
    let at = madrid(7, 10, 15);
    let (one, two) = tokio::join!(
        service::apply_boundary(&app.services, &Actor::Operator, rig.pbx.as_ref(), &rig.q, at),
        service::apply_boundary(&app.services, &Actor::Operator, rig.pbx.as_ref(), &rig.q, at),
    );
    let (one, two) = (one.expect("first"), two.expect("second"));
    assert_eq!(
        [one.is_some(), two.is_some()].iter().filter(|x| **x).count(),
        1,
        "exactly one applies: {one:?} {two:?}"
    );
    let done = one.or(two).expect("applied");
    assert_eq!(done.added, s(&["PJSIP/202", "PJSIP/203"]));
    assert_eq!(members(&rig).await, s(&["PJSIP/202", "PJSIP/203"]));
    let claims: i64 = sqlx::query_scalar("SELECT count(*) FROM queue_boundaries")
        .fetch_one(&app.db)
        .await
        .expect("claims");
    assert_eq!(claims, 1);
    let adds = log_lines(&app)
        .await
        .into_iter()
        .filter(|l| l.contains("added"))
        .count();
    assert_eq!(adds, 2, "each person added once");
}

fn sim_member(rig: &PbxRig, interface: &str) -> Value {
    rig.sim.state()["queues"]["support"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["interface"] == interface)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn agents_pause_and_resume_themselves_only() {
    let app = TestApp::spawn().await;
    let alex_pw = app.user("alex", &[Role::Agent]).await;
    let alex_person = person(&app, "alex", Some("202")).await;
    sqlx::query("UPDATE people SET user_id = $1 WHERE id = $2")
        .bind(user_id(&app.db, "alex").await)
        .bind(alex_person)
        .execute(&app.db)
        .await
        .expect("link");
    let bob_pw = app.user("bob", &[Role::Agent]).await;
    let alex = Browser::signed_in(&app, "alex", &alex_pw).await;
    let bob = Browser::signed_in(&app, "bob", &bob_pw).await;
    let rig = rig(&app).await;
    add_other(&rig, "PJSIP/202", "Alex").await;
    add_other(&rig, "PJSIP/203", "Blai").await;

    let v = board_until(&alex, |v| v["board"]["members"]["PJSIP/203"].is_object()).await;
    assert_eq!(v["mine"], "PJSIP/202");
    assert_eq!(v["steer"], false);
    assert_eq!(v["addable"], json!([]));

    // Someone else's phone: 403 and nothing changes; an agent without a phone neither.
    let (status, _) = alex
        .call(
            "/api/queue/pause",
            json!({"interface": "PJSIP/203", "paused": true, "reason": "lunch"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    let (status, _) = bob
        .call(
            "/api/queue/pause",
            json!({"interface": "PJSIP/202", "paused": true, "reason": "lunch"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    assert_eq!(sim_member(&rig, "PJSIP/203")["paused"], false);
    assert_eq!(sim_member(&rig, "PJSIP/202")["paused"], false);
    // A reason is required, at most 60 characters.
    assert_invalid(
        &alex
            .call("/api/queue/pause", json!({"interface": "PJSIP/202", "paused": true}))
            .await,
        "reason",
    );
    assert_invalid(
        &alex
            .call(
                "/api/queue/pause",
                json!({"interface": "PJSIP/202", "paused": true, "reason": "x".repeat(61)}),
            )
            .await,
        "reason",
    );
    assert_eq!(sim_member(&rig, "PJSIP/202")["paused"], false);

    let (status, body) = alex
        .call(
            "/api/queue/pause",
            json!({"interface": "PJSIP/202", "paused": true, "reason": "coffee"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body:?}");
    board_until(&alex, |v| v["board"]["members"]["PJSIP/202"]["state"] == "paused").await;
    assert_eq!(sim_member(&rig, "PJSIP/202")["paused"], true);
    let (status, _) = alex
        .call("/api/queue/pause", json!({"interface": "PJSIP/202", "paused": false}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    board_until(&alex, |v| v["board"]["members"]["PJSIP/202"]["state"] == "available").await;
    assert_eq!(
        log_lines(&app).await,
        s(&["agent alex paused PJSIP/202: coffee", "agent alex resumed PJSIP/202"])
    );
    // Agents neither add nor remove.
    let (status, _) = alex.call("/api/queue/add", json!({"handle": "alex"})).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    let (status, _) = alex.call("/api/queue/remove", json!({"interface": "PJSIP/203"})).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    assert!(sim_member(&rig, "PJSIP/203").is_object());
}

#[tokio::test]
async fn coordinators_add_and_remove_over_http_with_clear_refusals() {
    let app = TestApp::spawn().await;
    let carla_pw = app.user("carla", &[Role::Coordinator]).await;
    let carla = Browser::signed_in(&app, "carla", &carla_pw).await;
    person(&app, "dana", Some("205")).await;
    person(&app, "enric", None).await;
    let rig = rig(&app).await;
    add_other(&rig, "PJSIP/202", "Alex").await;

    let v = board_until(&carla, |v| v["board"]["members"]["PJSIP/202"].is_object()).await;
    assert_eq!(v["steer"], true);
    assert_eq!(
        v["addable"],
        json!([{"handle": "dana", "name": "Dana", "extension": "205"}]),
        "only people with an extension are offered"
    );

    let res = carla.call("/api/queue/add", json!({"handle": " "})).await;
    assert_invalid(&res, "person");
    let res = carla.call("/api/queue/add", json!({"handle": "nobody"})).await;
    assert_invalid(&res, "person");
    assert!(format!("{:?}", res.1).contains("nobody called"), "{res:?}");
    let res = carla.call("/api/queue/add", json!({"handle": "enric"})).await;
    assert_invalid(&res, "person");
    assert!(format!("{:?}", res.1).contains("no extension"), "{res:?}");
    assert_eq!(members(&rig).await, s(&["PJSIP/202"]), "refusals changed nothing");

    let (status, body) = carla.call("/api/queue/add", json!({"handle": "dana"})).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body:?}");
    board_until(&carla, |v| v["board"]["members"]["PJSIP/205"]["name"] == "Dana").await;
    let res = carla.call("/api/queue/add", json!({"handle": "dana"})).await;
    assert_invalid(&res, "person");
    assert!(format!("{:?}", res.1).contains("already in the queue"), "{res:?}");

    let res = carla.call("/api/queue/remove", json!({"interface": "PJSIP/999"})).await;
    assert_invalid(&res, "interface");
    let (status, body) = carla.call("/api/queue/remove", json!({"interface": "PJSIP/205"})).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body:?}");
    board_until(&carla, |v| v["board"]["members"]["PJSIP/205"].is_null()).await;
    assert_eq!(members(&rig).await, s(&["PJSIP/202"]));
    let lines = log_lines(&app).await;
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].starts_with("coordinator carla added dana (PJSIP/205) by hand until "));
    assert!(lines[1].starts_with("coordinator carla removed dana (PJSIP/205) by hand until "));
}
