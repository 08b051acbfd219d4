//! The rota server functions and exports over HTTP: who may call each one, what bad input gets
//! back, and that a refused call writes nothing.

use crate::common::rota::*;
use crate::common::*;
use app::rota::Person;
use app::rota::api::data::{BusyWeek, FixedTemplate, HolidayYear, PersonDetail, RotaInfo};
use app::rota::rules::data::{FixedSeat, Holiday, HolidayKind, PersonFields, TeamSettings};
use app::rota::rules::export::PEOPLE_CSV_HEADER;
use app::rota::rules::tomatic::ImportReport;
use app::shell::error::ApiError;
use app::shell::rules::access::RotaEdit;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The app with an admin `root`, a coordinator `carla`, an agent `alex` and a manager `mia`;
/// people `alex` (linked to the agent's account) and `bea` (not linked), each with one weekly
/// entry; a holiday; a fixed seat.
struct Rota {
    app: TestApp,
    root: String,
    carla: String,
    alex: String,
    mia: String,
    alex_person: i64,
    bea: i64,
    alex_entry: i64,
    bea_entry: i64,
}

async fn setup() -> Rota {
    let app = TestApp::spawn().await;
    let root = app.user("root", &[Role::Admin]).await;
    let carla = app.user("carla", &[Role::Coordinator, Role::Agent]).await;
    let alex = app.user("alex", &[Role::Agent]).await;
    let mia = app.user("mia", &[Role::Manager]).await;
    let alex_uid = user_id(&app.db, "alex").await;
    let alex_person = add_person(
        &app.db,
        PersonFields {
            user_id: Some(alex_uid),
            groups: vec!["it".into()],
            ..person("alex")
        },
    )
    .await;
    let bea = add_person(
        &app.db,
        PersonFields {
            extension: Some("202".into()),
            email: Some("bea@example.org".into()),
            groups: vec!["it".into(), "sales".into()],
            ..person("bea")
        },
    )
    .await;
    let alex_entry = app::rota::store::availability::insert(&app.db, alex_person, &weekly(Some(0), None, "school run"))
        .await
        .unwrap()
        .unwrap();
    let bea_entry = app::rota::store::availability::insert(&app.db, bea, &weekly(Some(1), Some(mask("1100")), "gym"))
        .await
        .unwrap()
        .unwrap();
    app::rota::store::holidays::upsert(
        &app.db,
        &Holiday {
            day: d("2026-12-25"),
            name: "Nadal".into(),
            kind: HolidayKind::Holiday,
        },
    )
    .await
    .unwrap();
    app::rota::store::fixed_turns::set(
        &app.db,
        &FixedSeat {
            weekday: 0,
            turn: 0,
            line: 0,
            person: None,
        },
        Some(bea),
    )
    .await
    .unwrap();
    Rota {
        app,
        root,
        carla,
        alex,
        mia,
        alex_person,
        bea,
        alex_entry,
        bea_entry,
    }
}

/// Person fields as a form sends them.
fn fields(handle: &str) -> Value {
    json!({
        "handle": handle, "full_name": format!("{handle} Soler"), "extension": null, "email": null,
        "colour": "#3a7", "desk": null, "groups": ["it"], "ideal_load": 4, "max_turns_per_day": null,
        "active": true, "user_id": null
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn entry(kind: &str, weekday: Value, from: Value, to: Value, turns: Value, reason: &str) -> Value {
    json!({"kind": kind, "weekday": weekday, "date_from": from, "date_to": to, "turns": turns,
           "mandatory": true, "reason": reason})
}

fn settings_json(s: &TeamSettings) -> Value {
    json!({ "settings": s })
}

/// A small Tomàtic folder, as the upload form sends it.
fn tomatic_files() -> Value {
    json!({"files": [
        {"name": "persons.yaml", "text": "names:\n  cid: Cid Vila\ncolors:\n  cid: '00ff00'\nidealloads:\n  cid: 3\n"},
        {"name": "indisponibilitats.conf", "text": "+cid dv 0011 # choir\n"},
        {"name": "holidays.conf", "text": "2026-12-26\tSant Esteve\n"},
    ]})
}

/// Every read, with bodies that point at existing things.
fn reads() -> Vec<(&'static str, Value)> {
    vec![
        ("/api/rota/context", json!({})),
        ("/api/rota/people", json!({})),
        ("/api/rota/person", json!({"handle": "bea"})),
        ("/api/rota/week-busy", json!({"day": "2026-11-23"})),
        ("/api/rota/holidays", json!({"year": 2026})),
        ("/api/rota/fixed", json!({})),
        ("/api/rota/group", json!({"name": "it"})),
    ]
}

/// Changes to `person` (a person id) and `entry` (one of their entries) that the person
/// themself may make.
fn own_calls(person: i64, entry_id: i64) -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/rota/person/contact",
            json!({"person_id": person, "contact": {"email": "new@example.org", "colour": "#123"}}),
        ),
        (
            "/api/rota/availability/add",
            json!({"person_id": person, "entry": entry("weekly", json!(2), Value::Null, Value::Null, Value::Null, "choir")}),
        ),
        ("/api/rota/availability/delete", json!({"id": entry_id})),
    ]
}

/// Changes only coordinators (and admins) may make.
fn team_calls(bea: i64) -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/rota/person/save",
            json!({"id": null, "fields": fields("zed"), "account": null}),
        ),
        (
            "/api/rota/person/save",
            json!({"id": bea, "fields": fields("bea"), "account": "alex"}),
        ),
        (
            "/api/rota/holidays/save",
            json!({"holiday": {"day": "2026-05-01", "name": "Labour day", "kind": "holiday"}}),
        ),
        ("/api/rota/holidays/delete", json!({"day": "2026-12-25"})),
        (
            "/api/rota/fixed/set",
            json!({"weekday": 1, "turn": 2, "line": 3, "choice": {"kind": "person", "person": "bea"}}),
        ),
        (
            "/api/rota/fixed/set",
            json!({"weekday": 0, "turn": 0, "line": 0, "choice": {"kind": "free"}}),
        ),
        ("/api/rota/lines", json!({"add": true})),
        ("/api/rota/lines", json!({"add": false})),
    ]
}

/// Changes only admins may make.
fn settings_calls() -> Vec<(&'static str, Value)> {
    let s = TeamSettings {
        lines: 6,
        ..TeamSettings::default()
    };
    vec![
        ("/api/rota/settings", settings_json(&s)),
        ("/api/rota/import-tomatic", tomatic_files()),
    ]
}

const EXPORTS: [&str; 2] = ["/api/rota/people.csv", "/api/rota/holidays.ics"];

fn assert_refused(res: &(StatusCode, Result<Value, ApiError>), status: StatusCode, err: ApiError, what: &str) {
    assert_eq!((res.0, &res.1), (status, &Err(err)), "{what}");
}

#[tokio::test]
async fn every_rota_function_and_export_refuses_anonymous_callers() {
    let r = setup().await;
    let anon = Browser::new(&r.app);
    let before = dump(&r.app.db).await;
    let calls = reads()
        .into_iter()
        .chain(own_calls(r.bea, r.bea_entry))
        .chain(own_calls(r.alex_person, r.alex_entry))
        .chain(team_calls(r.bea))
        .chain(settings_calls());
    for (path, body) in calls {
        let res = anon.call(path, body).await;
        assert_refused(&res, StatusCode::UNAUTHORIZED, ApiError::Unauthenticated, path);
    }
    for path in EXPORTS {
        let res = anon.get(path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let text = res.text().await.unwrap();
        assert!(!text.contains("bea") && !text.contains("Nadal"), "{path}: {text}");
    }
    assert_eq!(dump(&r.app.db).await, before, "refused calls changed nothing");
}

#[tokio::test]
async fn agents_and_managers_read_everything_but_change_only_their_own() {
    let r = setup().await;
    let before = dump(&r.app.db).await;
    for (name, pw) in [("alex", &r.alex), ("mia", &r.mia)] {
        let b = Browser::signed_in(&r.app, name, pw).await;
        for (path, body) in reads() {
            let (status, res) = b.call(path, body).await;
            assert_eq!(status, StatusCode::OK, "{name} {path}: {res:?}");
        }
        for path in EXPORTS {
            assert_eq!(b.get(path).await.status(), StatusCode::OK, "{name} {path}");
        }
        let refused = team_calls(r.bea)
            .into_iter()
            .chain(settings_calls())
            .chain(own_calls(r.bea, r.bea_entry));
        for (path, body) in refused {
            let res = b.call(path, body).await;
            assert_refused(
                &res,
                StatusCode::FORBIDDEN,
                ApiError::Forbidden,
                &format!("{name} {path}"),
            );
        }
    }
    // Mia has no person: Alex's things are someone else's to her.
    let mia = Browser::signed_in(&r.app, "mia", &r.mia).await;
    for (path, body) in own_calls(r.alex_person, r.alex_entry) {
        let res = mia.call(path, body).await;
        assert_refused(&res, StatusCode::FORBIDDEN, ApiError::Forbidden, path);
    }
    assert_eq!(dump(&r.app.db).await, before, "refused calls changed nothing");

    // What the rota context says about each.
    let alex = Browser::signed_in(&r.app, "alex", &r.alex).await;
    let (_, info) = alex.call("/api/rota/context", json!({})).await;
    let info: RotaInfo = serde_json::from_value(info.unwrap()).unwrap();
    assert_eq!((info.edit, info.me.as_deref()), (RotaEdit::Own, Some("alex")));
    assert_eq!(info.settings, TeamSettings::default());
    let (_, info) = mia.call("/api/rota/context", json!({})).await;
    let info: RotaInfo = serde_json::from_value(info.unwrap()).unwrap();
    assert_eq!((info.edit, info.me), (RotaEdit::Own, None));
    let (_, page) = alex.call("/api/rota/person", json!({"handle": "bea"})).await;
    let page: PersonDetail = serde_json::from_value(page.unwrap()).unwrap();
    assert_eq!((page.may_edit_own, page.may_edit_all), (false, false));
    let (_, page) = alex.call("/api/rota/person", json!({"handle": " ALEX "})).await;
    let page: PersonDetail = serde_json::from_value(page.unwrap()).unwrap();
    assert_eq!((page.may_edit_own, page.may_edit_all), (true, false));
    assert_eq!(page.entries.len(), 1);
}

#[tokio::test]
async fn an_agent_edits_their_own_availability_and_contact() {
    let r = setup().await;
    let alex = Browser::signed_in(&r.app, "alex", &r.alex).await;
    let db = &r.app.db;
    let bea_before = app::rota::store::people::by_id(db, r.bea).await.unwrap();
    let bea_entries = app::rota::store::availability::of_person(db, r.bea).await.unwrap();

    let (status, id) = alex
        .call(
            "/api/rota/availability/add",
            json!({"person_id": r.alex_person, "entry": entry("weekly", json!(2), Value::Null, Value::Null, json!([false, false, true, true]), " choir ")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{id:?}");
    let id = id.unwrap().as_i64().unwrap();
    let stored = app::rota::store::availability::get(db, id).await.unwrap();
    assert_eq!(stored.person_id, r.alex_person);
    assert_eq!(stored.entry.reason, "choir", "trimmed");
    assert_eq!(stored.entry.turns, Some(mask("0011")));

    // The same entry again is a conflict, not a second row.
    let (status, err) = alex
        .call(
            "/api/rota/availability/add",
            json!({"person_id": r.alex_person, "entry": entry("weekly", json!(2), Value::Null, Value::Null, json!([false, false, true, true]), "choir")}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(matches!(err, Err(ApiError::Conflict(_))), "{err:?}");

    // A leave and a one-off of their own.
    for e in [
        entry(
            "leave",
            Value::Null,
            json!("2026-08-03"),
            json!("2026-08-14"),
            Value::Null,
            "holidays",
        ),
        entry(
            "one_off",
            Value::Null,
            json!("2026-12-01"),
            Value::Null,
            json!([true, false, false, false]),
            "dentist",
        ),
    ] {
        let (status, res) = alex
            .call(
                "/api/rota/availability/add",
                json!({"person_id": r.alex_person, "entry": e}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{res:?}");
    }
    assert_eq!(
        app::rota::store::availability::of_person(db, r.alex_person)
            .await
            .unwrap()
            .len(),
        4
    );

    let (status, res) = alex.call("/api/rota/availability/delete", json!({"id": id})).await;
    assert_eq!((status, res), (StatusCode::OK, Ok(Value::Null)));
    let (status, res) = alex
        .call("/api/rota/availability/delete", json!({"id": r.alex_entry}))
        .await;
    assert_eq!((status, res), (StatusCode::OK, Ok(Value::Null)));
    assert_eq!(
        app::rota::store::availability::of_person(db, r.alex_person)
            .await
            .unwrap()
            .len(),
        2
    );
    let (status, _) = alex.call("/api/rota/availability/delete", json!({"id": id})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already deleted");

    let (status, res) = alex
        .call(
            "/api/rota/person/contact",
            json!({"person_id": r.alex_person, "contact": {"email": " alex@example.org ", "colour": "#ABCDEF"}}),
        )
        .await;
    assert_eq!((status, res), (StatusCode::OK, Ok(Value::Null)));
    let me = app::rota::store::people::by_id(db, r.alex_person).await.unwrap().fields;
    assert_eq!(
        (me.email.as_deref(), me.colour.as_str()),
        (Some("alex@example.org"), "#abcdef")
    );
    assert_eq!(me.ideal_load, Some(4), "contact does not touch the rota fields");

    // Bad contact input names the field.
    let res = alex
        .call(
            "/api/rota/person/contact",
            json!({"person_id": r.alex_person, "contact": {"email": "alex@", "colour": "#abc"}}),
        )
        .await;
    assert_invalid(&res, "email");
    let res = alex
        .call(
            "/api/rota/person/contact",
            json!({"person_id": r.alex_person, "contact": {"email": null, "colour": "blue"}}),
        )
        .await;
    assert_invalid(&res, "colour");

    // Bea's things are still Bea's.
    assert_eq!(app::rota::store::people::by_id(db, r.bea).await.unwrap(), bea_before);
    assert_eq!(
        app::rota::store::availability::of_person(db, r.bea).await.unwrap(),
        bea_entries
    );
}

#[tokio::test]
async fn coordinators_change_the_team_but_not_the_settings() {
    let r = setup().await;
    let carla = Browser::signed_in(&r.app, "carla", &r.carla).await;
    let db = &r.app.db;

    let before = dump(db).await;
    for (path, body) in settings_calls() {
        let res = carla.call(path, body).await;
        assert_refused(&res, StatusCode::FORBIDDEN, ApiError::Forbidden, path);
    }
    assert_eq!(dump(db).await, before);

    // A new person, then an update linking an account.
    let (status, res) = carla
        .call(
            "/api/rota/person/save",
            json!({"id": null, "fields": with(fields(" Zed "), "extension", json!("301")), "account": null}),
        )
        .await;
    assert_eq!((status, res), (StatusCode::OK, Ok(json!("zed"))));
    let zed = app::rota::store::people::by_handle(db, "zed").await.unwrap();
    assert_eq!(zed.fields.extension.as_deref(), Some("301"));
    let (status, res) = carla
        .call(
            "/api/rota/person/save",
            json!({"id": zed.id, "fields": with(fields("zed"), "ideal_load", json!(6)), "account": " CARLA "}),
        )
        .await;
    assert_eq!((status, res), (StatusCode::OK, Ok(json!("zed"))));
    let zed = app::rota::store::people::by_handle(db, "zed").await.unwrap();
    assert_eq!(zed.fields.ideal_load, Some(6));
    assert_eq!(zed.fields.extension, None);
    assert_eq!(zed.username.as_deref(), Some("carla"));
    assert_eq!(zed.fields.user_id, Some(user_id(db, "carla").await));

    // Anyone's availability and contact.
    for (path, body) in own_calls(r.bea, r.bea_entry) {
        let (status, res) = carla.call(path, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {res:?}");
    }

    // Holidays.
    let (status, _) = carla
        .call(
            "/api/rota/holidays/save",
            json!({"holiday": {"day": "2026-05-01", "name": " Labour day ", "kind": "no_service"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = carla
        .call("/api/rota/holidays/delete", json!({"day": "2026-12-25"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = carla.call("/api/rota/holidays", json!({"year": 2026})).await;
    let list: HolidayYear = serde_json::from_value(list.unwrap()).unwrap();
    assert_eq!(
        list,
        HolidayYear {
            year: 2026,
            holidays: vec![Holiday {
                day: d("2026-05-01"),
                name: "Labour day".into(),
                kind: HolidayKind::NoService
            }]
        }
    );
    // Without a year: the team's current one.
    let (status, list) = carla.call("/api/rota/holidays", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{list:?}");
    let list: HolidayYear = serde_json::from_value(list.unwrap()).unwrap();
    assert!((2000..=2100).contains(&list.year), "the current year: {list:?}");
    let (status, err) = carla
        .call("/api/rota/holidays/delete", json!({"day": "2026-12-25"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{err:?}");

    // Fixed seats: a person, nobody, free.
    for (choice, seat) in [
        (json!({"kind": "person", "person": " BEA "}), (1, 2, 3)),
        (json!({"kind": "nobody"}), (1, 2, 4)),
        (json!({"kind": "free"}), (0, 0, 0)),
    ] {
        let (status, res) = carla
            .call(
                "/api/rota/fixed/set",
                json!({"weekday": seat.0, "turn": seat.1, "line": seat.2, "choice": choice}),
            )
            .await;
        assert_eq!((status, res), (StatusCode::OK, Ok(Value::Null)));
    }
    let (_, fixed) = carla.call("/api/rota/fixed", json!({})).await;
    let fixed: FixedTemplate = serde_json::from_value(fixed.unwrap()).unwrap();
    let seat = |line, person: Option<&str>| FixedSeat {
        weekday: 1,
        turn: 2,
        line,
        person: person.map(String::from),
    };
    assert_eq!(fixed.seats, [seat(3, Some("bea")), seat(4, None)]);
    assert_eq!(fixed.people.len(), 3);

    // Lines: add one, remove it; the last line cannot go while someone is fixed on it.
    let (status, res) = carla.call("/api/rota/lines", json!({"add": true})).await;
    assert_eq!((status, res), (StatusCode::OK, Ok(json!(9))));
    let (status, res) = carla.call("/api/rota/lines", json!({"add": false})).await;
    assert_eq!((status, res), (StatusCode::OK, Ok(json!(8))));
    let (status, _) = carla
        .call(
            "/api/rota/fixed/set",
            json!({"weekday": 4, "turn": 3, "line": 7, "choice": {"kind": "person", "person": "alex"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = dump(db).await;
    let (status, err) = carla.call("/api/rota/lines", json!({"add": false})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    match err {
        Err(ApiError::Conflict(m)) => assert!(m.contains("line 8 has 1 fixed turn"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(dump(db).await, before);
}

#[tokio::test]
async fn admins_save_settings_and_import() {
    let r = setup().await;
    let root = Browser::signed_in(&r.app, "root", &r.root).await;
    let db = &r.app.db;

    let s = TeamSettings {
        time_zone: " Europe/Lisbon ".into(),
        working_days: vec![4, 0, 1, 1, 2, 3],
        lines: 6,
        ..TeamSettings::default()
    };
    let (status, res) = root.call("/api/rota/settings", settings_json(&s)).await;
    assert_eq!((status, res), (StatusCode::OK, Ok(Value::Null)));
    assert_eq!(app::rota::store::team::get(db).await.unwrap(), s.normalized().unwrap());

    let (status, res) = root.call("/api/rota/import-tomatic", tomatic_files()).await;
    assert_eq!(status, StatusCode::OK, "{res:?}");
    let report: ImportReport = serde_json::from_value(res.unwrap()).unwrap();
    assert!(report.applied && report.rejected.is_empty(), "{report:?}");
    let cid = app::rota::store::people::by_handle(db, "cid").await.unwrap();
    assert_eq!(
        (cid.fields.full_name.as_str(), cid.fields.colour.as_str()),
        ("Cid Vila", "#00ff00")
    );
    assert_eq!(
        app::rota::store::availability::of_person(db, cid.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let r = setup().await;
    let carla = Browser::signed_in(&r.app, "carla", &r.carla).await;
    let root = Browser::signed_in(&r.app, "root", &r.root).await;
    let alex = Browser::signed_in(&r.app, "alex", &r.alex).await;
    let db = &r.app.db;
    let before = dump(db).await;

    // People.
    for (body, field) in [
        (with(fields("zed"), "colour", json!("#12")), "colour"),
        (with(fields("zed"), "colour", json!("red")), "colour"),
        (with(fields("zed"), "email", json!("zed@")), "email"),
        (with(fields("zed"), "email", json!("zed.example.org")), "email"),
        (with(fields("zed"), "extension", json!("12a")), "extension"),
        (with(fields("z ed"), "colour", json!("#abc")), "handle"),
        (with(fields("zed"), "full_name", json!("  ")), "full_name"),
        (with(fields("zed"), "ideal_load", json!(101)), "ideal_load"),
        (with(fields("zed"), "groups", json!(["a b"])), "groups"),
    ] {
        let res = carla
            .call(
                "/api/rota/person/save",
                json!({"id": null, "fields": body, "account": null}),
            )
            .await;
        assert_invalid(&res, field);
    }
    let res = carla
        .call(
            "/api/rota/person/save",
            json!({"id": null, "fields": fields("zed"), "account": "nobody-here"}),
        )
        .await;
    assert_invalid(&res, "account");
    for (body, account, starts) in [
        (fields("BEA"), Value::Null, "handle:"),
        (
            with(fields("zed"), "extension", json!("202")),
            Value::Null,
            "extension:",
        ),
        (fields("zed"), json!("alex"), "account:"),
    ] {
        let (status, err) = carla
            .call(
                "/api/rota/person/save",
                json!({"id": null, "fields": body, "account": account}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{starts} {err:?}");
        match err {
            Err(ApiError::Conflict(m)) => assert!(m.starts_with(starts), "{m}"),
            other => panic!("expected a conflict about {starts}, got {other:?}"),
        }
    }
    // Renaming alex to bea's handle is the same conflict.
    let (status, _) = carla
        .call(
            "/api/rota/person/save",
            json!({"id": r.alex_person, "fields": fields("bea"), "account": "alex"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, err) = carla
        .call(
            "/api/rota/person/save",
            json!({"id": 999_999, "fields": fields("zed"), "account": null}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{err:?}");
    let (status, _) = carla.call("/api/rota/person", json!({"handle": "nobody"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Availability.
    let add = |e: Value| json!({"person_id": r.bea, "entry": e});
    let null = Value::Null;
    for (e, field) in [
        (
            entry(
                "weekly",
                json!(0),
                null.clone(),
                null.clone(),
                json!([true, false, true]),
                "r",
            ),
            "turns",
        ),
        (
            entry(
                "weekly",
                json!(0),
                null.clone(),
                null.clone(),
                json!([false, false, false, false]),
                "r",
            ),
            "turns",
        ),
        (
            entry("weekly", json!(0), null.clone(), null.clone(), null.clone(), "  "),
            "reason",
        ),
        (
            entry("weekly", json!(0), null.clone(), null.clone(), null.clone(), ""),
            "reason",
        ),
        (
            entry("weekly", json!(7), null.clone(), null.clone(), null.clone(), "r"),
            "weekday",
        ),
        (
            entry(
                "leave",
                null.clone(),
                json!("2026-08-14"),
                json!("2026-08-03"),
                null.clone(),
                "r",
            ),
            "date_to",
        ),
        (
            entry(
                "leave",
                null.clone(),
                json!("2026-08-03"),
                null.clone(),
                null.clone(),
                "r",
            ),
            "date_to",
        ),
        (
            entry(
                "leave",
                null.clone(),
                json!("1900-08-03"),
                json!("1900-08-04"),
                null.clone(),
                "r",
            ),
            "date_from",
        ),
        (
            entry(
                "leave",
                null.clone(),
                json!("2026-08-03"),
                json!("2126-08-04"),
                null.clone(),
                "r",
            ),
            "date_to",
        ),
        (
            entry(
                "one_off",
                null.clone(),
                json!("1900-01-02"),
                null.clone(),
                null.clone(),
                "r",
            ),
            "date_from",
        ),
        (
            entry("one_off", null.clone(), null.clone(), null.clone(), null.clone(), "r"),
            "date_from",
        ),
    ] {
        let res = carla.call("/api/rota/availability/add", add(e.clone())).await;
        assert_invalid(&res, field);
        // The agent's own entries get the same answers.
        let res = alex
            .call(
                "/api/rota/availability/add",
                json!({"person_id": r.alex_person, "entry": e}),
            )
            .await;
        assert_invalid(&res, field);
    }
    let (status, err) = carla
        .call(
            "/api/rota/availability/add",
            json!({"person_id": 999_999, "entry": entry("weekly", json!(0), null.clone(), null.clone(), null.clone(), "r")}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{err:?}");
    let (status, _) = carla
        .call("/api/rota/availability/delete", json!({"id": 999_999}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Not even JSON of the right shape.
    let res = carla
        .call(
            "/api/rota/availability/add",
            json!({"person_id": r.bea, "entry": {"kind": "sometimes"}}),
        )
        .await;
    assert_invalid(&res, "request");

    // Years nobody means.
    assert_invalid(&carla.call("/api/rota/holidays", json!({"year": 1900})).await, "year");
    assert_invalid(
        &carla.call("/api/rota/week-busy", json!({"day": "1900-01-01"})).await,
        "day",
    );
    for (holiday, field) in [
        (json!({"day": "1900-12-25", "name": "Old", "kind": "holiday"}), "day"),
        (json!({"day": "2026-05-01", "name": "  ", "kind": "holiday"}), "name"),
    ] {
        let res = carla
            .call("/api/rota/holidays/save", json!({ "holiday": holiday }))
            .await;
        assert_invalid(&res, field);
    }

    // Fixed seats outside the team, or of nobody known.
    for (body, field) in [
        (
            json!({"weekday": 5, "turn": 0, "line": 0, "choice": {"kind": "nobody"}}),
            "weekday",
        ),
        (
            json!({"weekday": 0, "turn": 4, "line": 0, "choice": {"kind": "nobody"}}),
            "turn",
        ),
        (
            json!({"weekday": 0, "turn": 0, "line": 8, "choice": {"kind": "free"}}),
            "line",
        ),
        (
            json!({"weekday": 0, "turn": 0, "line": 1, "choice": {"kind": "person", "person": "ghost"}}),
            "person",
        ),
    ] {
        let res = carla.call("/api/rota/fixed/set", body).await;
        assert_invalid(&res, field);
    }

    // Settings.
    let bad = |f: fn(&mut TeamSettings)| {
        let mut s = TeamSettings::default();
        f(&mut s);
        settings_json(&s)
    };
    for (body, field) in [
        (bad(|s| s.time_zone = "Mars/Olympus".into()), "time_zone"),
        (
            bad(|s| s.turn_boundaries = vec!["10:00".into(), "09:00".into()]),
            "turn_boundaries",
        ),
        (bad(|s| s.lines = 0), "lines"),
        (bad(|s| s.working_days = vec![]), "working_days"),
        (bad(|s| s.max_empty_seats = 9), "max_empty_seats"),
        (bad(|s| s.max_overload = 51), "max_overload"),
    ] {
        let res = root.call("/api/rota/settings", body).await;
        assert_invalid(&res, field);
    }
    // Three turns while Bea has a four-turn mask; fewer lines while Bea is fixed on line 1 is
    // fine, fewer working days than Monday is not.
    let (status, err) = root
        .call("/api/rota/settings", bad(|s| s.turn_boundaries.truncate(4)))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err:?}");
    let (status, err) = root
        .call("/api/rota/settings", bad(|s| s.working_days = vec![1, 2]))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err:?}");

    // A Tomàtic folder with one bad line imports nothing, even its good lines.
    let (status, res) = root
        .call(
            "/api/rota/import-tomatic",
            json!({"files": [
                {"name": "persons.yaml", "text": "names:\n  cid: Cid Vila\n"},
                {"name": "indisponibilitats.conf", "text": "+cid dv 0011 # choir\ncid dl 111 # r\n"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the report is the answer: {res:?}");
    let report: ImportReport = serde_json::from_value(res.unwrap()).unwrap();
    assert!(!report.applied);
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(
        (report.rejected[0].file.as_str(), report.rejected[0].line),
        ("indisponibilitats.conf", Some(2))
    );

    assert_eq!(dump(db).await, before, "nothing refused was written");
}

#[tokio::test]
async fn reads_answer_with_the_stored_data() {
    let r = setup().await;
    let alex = Browser::signed_in(&r.app, "alex", &r.alex).await;

    let (_, people) = alex.call("/api/rota/people", json!({})).await;
    let people: Vec<Person> = serde_json::from_value(people.unwrap()).unwrap();
    let handles: Vec<(&str, Option<&str>)> = people
        .iter()
        .map(|p| (p.fields.handle.as_str(), p.username.as_deref()))
        .collect();
    assert_eq!(handles, [("alex", Some("alex")), ("bea", None)]);

    let (_, group) = alex.call("/api/rota/group", json!({"name": " SALES "})).await;
    let group: Vec<Person> = serde_json::from_value(group.unwrap()).unwrap();
    assert_eq!(group.iter().map(|p| p.id).collect::<Vec<_>>(), [r.bea]);

    let (_, page) = alex.call("/api/rota/person", json!({"handle": "bea"})).await;
    let page: PersonDetail = serde_json::from_value(page.unwrap()).unwrap();
    assert_eq!(page.person.id, r.bea);
    assert_eq!(page.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [r.bea_entry]);

    // Week of Monday 2026-11-23: alex busy all Monday, bea in Tuesday's first two turns.
    let (status, week) = alex.call("/api/rota/week-busy", json!({"day": "2026-11-26"})).await;
    assert_eq!(status, StatusCode::OK);
    let week: BusyWeek = serde_json::from_value(week.unwrap()).unwrap();
    assert_eq!(week.monday, d("2026-11-23"));
    assert_eq!(week.on_rota, 2);
    assert_eq!(week.days.len(), 5);
    let busy = |day: usize, turn: usize| -> Vec<String> {
        week.days[day].turns[turn].iter().map(|b| b.handle.clone()).collect()
    };
    assert_eq!(busy(0, 3), ["alex"]);
    assert_eq!(busy(1, 0), ["bea"]);
    assert!(busy(1, 2).is_empty());
    assert_eq!(week.days[1].turns[0][0].reason, "gym");
    // Christmas week: the holiday is closed.
    let (_, week) = alex.call("/api/rota/week-busy", json!({"day": "2026-12-25"})).await;
    let week: BusyWeek = serde_json::from_value(week.unwrap()).unwrap();
    assert!(week.days[4].closed.as_deref().unwrap().contains("Nadal"));
    // No day: this week, whatever it is.
    let (status, _) = alex.call("/api/rota/week-busy", json!({})).await;
    assert_eq!(status, StatusCode::OK);

    let (_, fixed) = alex.call("/api/rota/fixed", json!({})).await;
    let fixed: FixedTemplate = serde_json::from_value(fixed.unwrap()).unwrap();
    assert_eq!(
        fixed.seats,
        [FixedSeat {
            weekday: 0,
            turn: 0,
            line: 0,
            person: Some("bea".into())
        }]
    );
    assert_eq!(fixed.people.len(), 2);
}

#[tokio::test]
async fn exports_give_people_as_csv_and_holidays_as_icalendar() {
    let r = setup().await;
    app::rota::store::holidays::upsert(
        &r.app.db,
        &Holiday {
            day: d("2027-01-01"),
            name: "Cap d'any, festa".into(),
            kind: HolidayKind::NoService,
        },
    )
    .await
    .unwrap();
    let alex = Browser::signed_in(&r.app, "alex", &r.alex).await;

    let res = alex.get("/api/rota/people.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/csv"), "{ct}");
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], PEOPLE_CSV_HEADER);
    assert_eq!(lines[1], "alex,ALEX Puig,,,#abc,,it,4,,true,alex");
    assert_eq!(lines[2], "bea,BEA Puig,202,bea@example.org,#abc,,it sales,4,,true,");
    assert_eq!(lines[3], "", "ends with a line break");
    assert_eq!(lines.len(), 4);

    let res = alex.get("/api/rota/holidays.ics").await;
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let ics = res.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"), "{ics}");
    assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
    for line in [
        "DTSTART;VALUE=DATE:20261225",
        "DTEND;VALUE=DATE:20261226",
        "SUMMARY:Nadal",
        "CATEGORIES:Holiday",
        "DTSTART;VALUE=DATE:20270101",
        "SUMMARY:Cap d'any\\, festa",
        "CATEGORIES:No service",
        "UID:holiday-20261225@127.0.0.1",
    ] {
        assert!(ics.contains(&format!("{line}\r\n")), "{line} missing in {ics}");
    }
}
