//! The queue follows the published timetable, against pbxsim through the AMI adapter: at each
//! turn its members become that turn's people with an extension (those without are left out
//! and logged), members Switchboard did not add stay, a pause is kept when the person stays,
//! outside turns the queue is emptied of ours, each boundary is applied once, every change is
//! logged.
use crate::common::pbx::{self, Workers};
use crate::common::*;
use app::ports::Pbx;
use app::queue::service::{self, Source};
use app::shell::service::Actor;
use chrono::{DateTime, TimeZone, Utc};

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

fn iface(v: &[(&str, bool)]) -> Vec<(String, bool)> {
    v.iter().map(|(i, p)| (i.to_string(), *p)).collect()
}

#[tokio::test]
async fn the_queue_follows_the_published_turns_and_leaves_other_members_alone() {
    let app = TestApp::spawn().await;
    let alex = person(&app, "alex", Some("202")).await;
    let blai = person(&app, "blai", Some("203")).await;
    let carla = person(&app, "carla", None).await;
    // Monday 7 December 2026, published; turn 1 (10:15–11:30): alex, blai, carla; turn 2: alex.
    sqlx::query(
        "INSERT INTO rota_weeks (monday, status, turn_boundaries, time_zone, lines)
         VALUES ('2026-12-07', 'published', ARRAY['09:00','10:15','11:30','12:45','14:00'], 'Europe/Madrid', 3)",
    )
    .execute(&app.db)
    .await
    .expect("week");
    for (turn, line, who) in [(1, 0, alex), (1, 1, blai), (1, 2, carla), (2, 0, alex)] {
        sqlx::query("INSERT INTO rota_seats (monday, day, turn, line, person_id) VALUES ('2026-12-07', '2026-12-07', $1, $2, $3)")
            .bind(turn as i16)
            .bind(line as i16)
            .bind(who)
            .execute(&app.db)
            .await
            .expect("seat");
    }
    let rig = pbx::start(&app, pbx::config("queue-follow-secret", 20.0), Workers::None).await;
    // Someone else's member: never touched.
    rig.add_member("PJSIP/900", "Reception").await;
    let (client, pbx, q) = (&rig.client, &rig.pbx, &rig.q);

    let done = service::apply_boundary(&app.services, &Actor::Operator, pbx.as_ref(), q, madrid(7, 10, 20))
        .await
        .expect("boundary")
        .expect("claimed");
    assert_eq!(done.slot.as_ref().and_then(|s| s.turn), Some(1));
    assert_eq!(done.added, vec!["PJSIP/202".to_string(), "PJSIP/203".to_string()]);
    assert_eq!(done.without_extension, vec!["carla".to_string()]);
    assert_eq!(
        rig.members().await,
        iface(&[("PJSIP/202", false), ("PJSIP/203", false), ("PJSIP/900", false)])
    );
    // The same boundary again (another instance, or a later look): already applied.
    let again = service::apply_boundary(&app.services, &Actor::Operator, pbx.as_ref(), q, madrid(7, 10, 40))
        .await
        .expect("boundary");
    assert_eq!(again, None);

    // alex pauses; at 11:30 blai leaves, alex stays paused, the other member stays.
    client
        .pause(Some("support"), "PJSIP/202", true, Some("break"))
        .await
        .expect("pause");
    let done = service::apply_boundary(&app.services, &Actor::Operator, pbx.as_ref(), q, madrid(7, 11, 31))
        .await
        .expect("boundary")
        .expect("claimed");
    assert_eq!(done.removed, vec!["PJSIP/203".to_string()]);
    assert!(done.added.is_empty());
    assert_eq!(rig.members().await, iface(&[("PJSIP/202", true), ("PJSIP/900", false)]));

    // After the last boundary the queue holds none of ours.
    service::apply_boundary(&app.services, &Actor::Operator, pbx.as_ref(), q, madrid(7, 14, 5))
        .await
        .expect("boundary")
        .expect("claimed");
    assert_eq!(rig.members().await, iface(&[("PJSIP/900", false)]));

    // A reconcile at 10:20 puts the turn back (as after a restart or a reconnect).
    let done = service::follow_rota(
        &app.services,
        &Actor::Operator,
        pbx.as_ref(),
        q,
        madrid(7, 10, 20),
        Source::Reconcile,
    )
    .await
    .expect("reconcile");
    assert_eq!(done.added.len(), 2);

    let log: Vec<(String, String)> = sqlx::query_as("SELECT source, what FROM queue_log ORDER BY id")
        .fetch_all(&app.db)
        .await
        .expect("log");
    let lines: Vec<String> = log.iter().map(|(s, w)| format!("{s}: {w}")).collect();
    assert!(
        lines.contains(&"rota: added alex (PJSIP/202) for 2026-12-07 turn 2".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"rota: left out carla for 2026-12-07 turn 2: no extension".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"rota: removed PJSIP/203 for 2026-12-07 turn 3".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"rota: removed PJSIP/202 for 2026-12-07 outside turns".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("reconcile: added blai")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("900")),
        "someone else's member is never touched: {lines:#?}"
    );
}

#[tokio::test]
async fn only_the_server_itself_moves_the_queue_with_the_rota() {
    let app = TestApp::spawn().await;
    let rig = pbx::start(&app, pbx::config("s", 1.0), Workers::None).await;
    let token = Actor::Token {
        id: 1,
        name: "pbx".into(),
        scopes: vec![Scope::Pbx],
    };
    let res = service::follow_rota(
        &app.services,
        &token,
        rig.client.as_ref(),
        &rig.q,
        Utc::now(),
        Source::Rota,
    )
    .await;
    assert!(
        matches!(res, Err(app::shell::service::ServiceError::Forbidden)),
        "{res:?}"
    );
}
