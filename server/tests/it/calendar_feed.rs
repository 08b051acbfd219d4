//! The personal calendar feed over HTTP: links made through the server functions by the right
//! people only, and a feed that lists the published turns (in UTC, with a reminder), never a
//! draft, and answers 404 to any wrong, revoked or borrowed token.

use crate::common::rota::*;
use crate::common::*;
use app::rota::CalendarToken;
use app::rota::api::calendar::CalendarLink;
use app::rota::rules::data::PersonFields;
use app::shell::error::ApiError;
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::json;

const BOUNDS: [&str; 5] = ["09:00", "10:15", "11:30", "12:45", "14:00"];

struct Cal {
    app: TestApp,
    carla: String,
    alex: String,
    ben: String,
    alex_person: i64,
    bea: i64,
    /// Monday of the current week in the team's zone.
    monday: NaiveDate,
}

async fn setup() -> Cal {
    let app = TestApp::spawn().await;
    let carla = app.user("carla", &[Role::Coordinator, Role::Agent]).await;
    let alex = app.user("alex", &[Role::Agent]).await;
    let ben = app.user("ben", &[Role::Agent]).await;
    let alex_uid = user_id(&app.db, "alex").await;
    let alex_person = add_person(
        &app.db,
        PersonFields {
            user_id: Some(alex_uid),
            full_name: "Alex Soler".into(),
            ..person("alex")
        },
    )
    .await;
    let bea = add_person(&app.db, person("bea")).await;
    let monday: NaiveDate =
        sqlx::query_scalar("SELECT date_trunc('week', (now() AT TIME ZONE 'Europe/Madrid')::date)::date")
            .fetch_one(&app.db)
            .await
            .unwrap();
    Cal {
        app,
        carla,
        alex,
        ben,
        alex_person,
        bea,
        monday,
    }
}

async fn week(db: &sqlx::PgPool, monday: NaiveDate, status: &str) {
    let bounds: Vec<String> = BOUNDS.iter().map(|s| s.to_string()).collect();
    sqlx::query("INSERT INTO rota_weeks (monday, status, turn_boundaries, time_zone, lines) VALUES ($1, $2, $3, 'Europe/Madrid', 3)")
        .bind(monday)
        .bind(status)
        .bind(bounds)
        .execute(db)
        .await
        .unwrap();
}

async fn seat(db: &sqlx::PgPool, monday: NaiveDate, day: NaiveDate, turn: i16, line: i16, person: i64) {
    sqlx::query("INSERT INTO rota_seats (monday, day, turn, line, person_id) VALUES ($1, $2, $3, $4, $5)")
        .bind(monday)
        .bind(day)
        .bind(turn)
        .bind(line)
        .bind(person)
        .execute(db)
        .await
        .unwrap();
}

/// `HH:MM` on `day` in Madrid as iCalendar UTC, computed by PostgreSQL's own zone rules.
async fn utc(db: &sqlx::PgPool, day: NaiveDate, hm: &str) -> String {
    sqlx::query_scalar(
        "SELECT to_char((($1::date + $2::time) AT TIME ZONE 'Europe/Madrid') AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"')",
    )
    .bind(day)
    .bind(hm)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A request with no session at all, as a calendar app makes it.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let res = reqwest::Client::new()
        .get(format!("{}{}", app.url, path))
        .send()
        .await
        .expect("GET feed");
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, ct, res.text().await.unwrap())
}

async fn create(b: &Browser, person: i64) -> (StatusCode, Result<CalendarLink, ApiError>) {
    let (status, body) = b
        .call("/api/rota/calendar/create", json!({ "person_id": person }))
        .await;
    (status, body.map(|v| serde_json::from_value(v).expect("a CalendarLink")))
}

async fn list(b: &Browser, person: i64) -> (StatusCode, Result<Vec<CalendarToken>, ApiError>) {
    let (status, body) = b
        .call("/api/rota/calendar/tokens", json!({ "person_id": person }))
        .await;
    (
        status,
        body.map(|v| serde_json::from_value(v).expect("calendar tokens")),
    )
}

#[tokio::test]
async fn the_feed_lists_published_turns_for_a_valid_token_only() {
    let c = setup().await;
    let db = &c.app.db;
    let next = c.monday + Duration::days(7);
    let prev = c.monday - Duration::days(7);
    let long_ago = c.monday - Duration::days(20 * 7);
    let draft = c.monday + Duration::days(14);
    week(db, next, "published").await;
    week(db, prev, "published").await;
    week(db, long_ago, "published").await;
    week(db, draft, "draft").await;
    // Alex: Monday turn 1, Tuesday turns 2 and 3 in a row; last week's Friday; one long ago;
    // one in the draft week. Bea: next Monday, same turn as Alex.
    seat(db, next, next, 0, 0, c.alex_person).await;
    seat(db, next, next + Duration::days(1), 1, 2, c.alex_person).await;
    seat(db, next, next + Duration::days(1), 2, 0, c.alex_person).await;
    seat(db, prev, prev + Duration::days(4), 3, 1, c.alex_person).await;
    seat(db, long_ago, long_ago, 0, 0, c.alex_person).await;
    seat(db, draft, draft + Duration::days(2), 3, 0, c.alex_person).await;
    seat(db, next, next, 0, 1, c.bea).await;

    let alex = Browser::signed_in(&c.app, "alex", &c.alex).await;
    let (status, link) = create(&alex, c.alex_person).await;
    assert_eq!(status, StatusCode::OK, "{link:?}");
    let link = link.unwrap();
    assert_eq!(link.path, format!("/calendar/alex.ics?token={}", link.token));

    let (status, ct, ics) = fetch(&c.app, &link.path).await;
    assert_eq!(status, StatusCode::OK, "{ics}");
    assert!(ct.starts_with("text/calendar"), "content type {ct}");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.contains("X-WR-CALNAME:Alex Soler — phone turns\r\n"), "{ics}");
    assert!(ics.contains("X-WR-TIMEZONE:Europe/Madrid\r\n"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 4, "{ics}");
    assert_eq!(
        ics.matches("BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nACTION:DISPLAY\r\n")
            .count(),
        4,
        "{ics}"
    );
    let expected = [
        (next, 0, 0),
        (next + Duration::days(1), 1, 2),
        (next + Duration::days(1), 2, 0),
        (prev + Duration::days(4), 3, 1),
    ];
    for (day, turn, line) in expected {
        let start = utc(db, day, BOUNDS[turn]).await;
        let end = utc(db, day, BOUNDS[turn + 1]).await;
        assert!(
            ics.contains(&format!("DTSTART:{start}\r\nDTEND:{end}\r\n")),
            "{day} turn {turn}: {start}–{end} missing in {ics}"
        );
        assert!(ics.contains(&format!(
            "UID:turn-{}-{turn}-alex@127.0.0.1\r\n",
            day.format("%Y-%m-%d")
        )));
        assert!(ics.contains(&format!(
            "SUMMARY:Phone turn {}–{} (line {})\r\n",
            BOUNDS[turn],
            BOUNDS[turn + 1],
            line + 1
        )));
    }
    for (day, hm) in [(draft + Duration::days(2), BOUNDS[3]), (long_ago, BOUNDS[0])] {
        let start = utc(db, day, hm).await;
        assert!(!ics.contains(&start), "{day} {hm} must not be in the feed");
    }
    assert!(!ics.contains("bea"), "another person's turns leak: {ics}");

    // Wrong token, missing token, unknown handle, another person's handle: all 404.
    let bad = [
        "/calendar/alex.ics?token=0000000000000000".to_string(),
        "/calendar/alex.ics".to_string(),
        "/calendar/alex.ics?token=".to_string(),
        format!("/calendar/bea.ics?token={}", link.token),
        format!("/calendar/nobody.ics?token={}", link.token),
        format!("/calendar/alex?token={}", link.token),
    ];
    for path in &bad {
        let (status, _, body) = fetch(&c.app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.contains("VCALENDAR"));
    }
    // A session is no substitute for the token.
    let res = alex.get("/calendar/alex.ics").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The list shows the prefix, never the secret.
    let (status, body) = alex
        .call("/api/rota/calendar/tokens", json!({ "person_id": c.alex_person }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = body.unwrap().to_string();
    assert!(!text.contains(&link.token), "the secret is listed: {text}");
    let (_, tokens) = list(&alex, c.alex_person).await;
    let tokens = tokens.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].id, link.id);
    assert_eq!(tokens[0].prefix, link.token[..8]);
    assert_eq!(tokens[0].revoked_at, None);

    // Revoked: the feed is gone at once; revoking again is 404.
    let (status, body) = alex
        .call(
            "/api/rota/calendar/revoke",
            json!({ "person_id": c.alex_person, "id": link.id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let (status, _, _) = fetch(&c.app, &link.path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = alex
        .call(
            "/api/rota/calendar/revoke",
            json!({ "person_id": c.alex_person, "id": link.id }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, tokens) = list(&alex, c.alex_person).await;
    assert!(tokens.unwrap()[0].revoked_at.is_some());

    // A new link works while the old one stays dead.
    let (_, again) = create(&alex, c.alex_person).await;
    let again = again.unwrap();
    assert_ne!(again.token, link.token);
    assert_eq!(fetch(&c.app, &again.path).await.0, StatusCode::OK);
    assert_eq!(fetch(&c.app, &link.path).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_the_person_or_a_coordinator_manages_the_links() {
    let c = setup().await;
    let alex = Browser::signed_in(&c.app, "alex", &c.alex).await;
    let ben = Browser::signed_in(&c.app, "ben", &c.ben).await;
    let carla = Browser::signed_in(&c.app, "carla", &c.carla).await;
    let anonymous = Browser::new(&c.app);

    let (status, link) = create(&alex, c.alex_person).await;
    assert_eq!(status, StatusCode::OK);
    let link = link.unwrap();

    let calls = |person: i64, id: i64| {
        vec![
            ("/api/rota/calendar/tokens", json!({ "person_id": person })),
            ("/api/rota/calendar/create", json!({ "person_id": person })),
            ("/api/rota/calendar/revoke", json!({ "person_id": person, "id": id })),
        ]
    };
    // Without a session: 401. An agent not linked to the person (or linked to another): 403.
    for (path, body) in calls(c.alex_person, link.id) {
        let (status, e) = anonymous.call(path, body.clone()).await;
        assert_eq!(
            (status, e),
            (StatusCode::UNAUTHORIZED, Err(ApiError::Unauthenticated)),
            "{path}"
        );
        let (status, e) = ben.call(path, body).await;
        assert_eq!((status, e), (StatusCode::FORBIDDEN, Err(ApiError::Forbidden)), "{path}");
    }
    for (path, body) in calls(c.bea, link.id) {
        let (status, e) = alex.call(path, body).await;
        assert_eq!((status, e), (StatusCode::FORBIDDEN, Err(ApiError::Forbidden)), "{path}");
    }
    assert_eq!(
        count(&c.app.db, "calendar_tokens").await,
        1,
        "a refused call wrote a token"
    );
    assert_eq!(
        fetch(&c.app, &link.path).await.0,
        StatusCode::OK,
        "a refused revoke revoked"
    );

    // A token id of another person cannot be revoked through one's own person.
    let (status, bea_link) = create(&carla, c.bea).await;
    assert_eq!(status, StatusCode::OK, "a coordinator creates links for anyone");
    let bea_link = bea_link.unwrap();
    assert!(bea_link.path.starts_with("/calendar/bea.ics?token="));
    let (status, _) = alex
        .call(
            "/api/rota/calendar/revoke",
            json!({ "person_id": c.alex_person, "id": bea_link.id }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, ics) = fetch(&c.app, &bea_link.path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 0, "no published turns yet");

    // The coordinator lists and revokes anyone's links; an unknown person is 404.
    let (status, tokens) = list(&carla, c.alex_person).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tokens.unwrap().len(), 1);
    let (status, _) = carla
        .call(
            "/api/rota/calendar/revoke",
            json!({ "person_id": c.alex_person, "id": link.id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetch(&c.app, &link.path).await.0, StatusCode::NOT_FOUND);
    let (status, _) = create(&carla, 999_999).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
