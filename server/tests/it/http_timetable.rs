//! The timetable server functions over HTTP: who may call each one, a solver run in the worker
//! (generate, stop), hand edits within the rules, history and restore, publishing, load
//! overrides, and Tomàtic timetables adopted as published weeks.

use crate::common::rota::*;
use crate::common::*;
use app::rota::api::timetable::{Candidate, History, WeekView};
use app::rota::rules::data::{AvailabilityInput, FixedSeat, Holiday, HolidayKind, PersonFields, TeamSettings};
use app::rota::rules::plan::{Seats, Standing};
use app::rota::{JobStatus, WeekStatus};
use app::shell::error::ApiError;
use app::shell::rules::Invalid;
use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Instant;

/// The longest a solver run may take to show up as ended; only a guard against hanging.
const JOB_GUARD: std::time::Duration = std::time::Duration::from_secs(240);

const TIMETABLE: &str = "/api/rota/timetable";
const GENERATE: &str = "/api/rota/timetable/generate";
const STOP: &str = "/api/rota/timetable/stop";
const CANDIDATES: &str = "/api/rota/timetable/candidates";
const SEAT: &str = "/api/rota/timetable/seat";
const SWAP: &str = "/api/rota/timetable/swap";
const PUBLISH: &str = "/api/rota/timetable/publish";
const HISTORY: &str = "/api/rota/timetable/history";
const RESTORE: &str = "/api/rota/timetable/restore";
const LOAD: &str = "/api/rota/timetable/load";

/// Every table a timetable call could write, besides the rota data.
const TIMETABLE_TABLES: [&str; 6] = [
    "rota_weeks",
    "rota_seats",
    "rota_changes",
    "rota_versions",
    "load_overrides",
    "solver_jobs",
];

/// The app with an admin `root`, a coordinator `carla`, an agent `alex` and a manager `mia`,
/// each signed in in a browser of their own.
struct T {
    app: TestApp,
    root: Browser,
    carla: Browser,
    alex: Browser,
    mia: Browser,
}

async fn setup() -> T {
    let app = TestApp::spawn().await;
    let root = app.user("root", &[Role::Admin]).await;
    let carla = app.user("carla", &[Role::Coordinator, Role::Agent]).await;
    let alex = app.user("alex", &[Role::Agent]).await;
    let mia = app.user("mia", &[Role::Manager]).await;
    let root = Browser::signed_in(&app, "root", &root).await;
    let carla = Browser::signed_in(&app, "carla", &carla).await;
    let alex = Browser::signed_in(&app, "alex", &alex).await;
    let mia = Browser::signed_in(&app, "mia", &mia).await;
    T {
        app,
        root,
        carla,
        alex,
        mia,
    }
}

/// A Monday, checked.
fn monday(s: &str) -> NaiveDate {
    let m = d(s);
    assert_eq!(m.weekday(), chrono::Weekday::Mon, "{s} is a Monday");
    m
}

/// Saves the team settings through the server function, as an admin does.
async fn save_settings(root: &Browser, s: &TeamSettings) {
    let (status, res) = root.call("/api/rota/settings", json!({ "settings": s })).await;
    assert_eq!((status, res), (StatusCode::OK, Ok(Value::Null)), "save settings");
}

async fn add(db: &sqlx::PgPool, handle: &str, ideal: u32) -> i64 {
    add_person(
        db,
        PersonFields {
            ideal_load: Some(ideal),
            ..person(handle)
        },
    )
    .await
}

async fn entry(db: &sqlx::PgPool, person: i64, e: AvailabilityInput) {
    app::rota::store::availability::insert(db, person, &e)
        .await
        .expect("insert entry")
        .expect("a new entry");
}

/// A weekly "rather not" entry.
fn rather_not(weekday: Option<u8>, turns: &str, reason: &str) -> AvailabilityInput {
    AvailabilityInput {
        mandatory: false,
        ..weekly(weekday, Some(mask(turns)), reason)
    }
}

fn seat(day: NaiveDate, turn: u32, line: u32) -> Value {
    json!({"day": day, "turn": turn, "line": line})
}

async fn view(b: &Browser, day: NaiveDate) -> WeekView {
    let (status, res) = b.call(TIMETABLE, json!({ "day": day })).await;
    assert_eq!(status, StatusCode::OK, "week view: {res:?}");
    serde_json::from_value(res.unwrap()).expect("a WeekView")
}

async fn history(b: &Browser, day: NaiveDate) -> History {
    let (status, res) = b.call(HISTORY, json!({ "day": day })).await;
    assert_eq!(status, StatusCode::OK, "history: {res:?}");
    serde_json::from_value(res.unwrap()).expect("a History")
}

async fn candidates(b: &Browser, day: NaiveDate, turn: u32, line: u32) -> Vec<Candidate> {
    let (status, res) = b.call(CANDIDATES, json!({ "seat": seat(day, turn, line) })).await;
    assert_eq!(status, StatusCode::OK, "candidates: {res:?}");
    serde_json::from_value(res.unwrap()).expect("candidates")
}

async fn generate(b: &Browser, day: NaiveDate, seed: u64, time_limit_s: f64) -> i64 {
    let (status, res) = b
        .call(
            GENERATE,
            json!({"day": day, "seed": seed, "time_limit_s": time_limit_s, "repair": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "generate: {res:?}");
    res.unwrap().as_i64().expect("a job id")
}

/// Polls the week view until `job` is no longer queued or running.
async fn finished(b: &Browser, day: NaiveDate, job: i64) -> WeekView {
    let guard = Instant::now() + JOB_GUARD;
    loop {
        let v = view(b, day).await;
        let j = v.job.clone().expect("the week has a solver run");
        assert_eq!(j.id, job, "the latest run is ours");
        if !matches!(j.status.as_str(), "queued" | "running") {
            return v;
        }
        assert!(Instant::now() < guard, "the solver run never ended: {j:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Polls the week view until a worker has taken `job`.
async fn running(b: &Browser, day: NaiveDate, job: i64) {
    let guard = Instant::now() + JOB_GUARD;
    loop {
        let (status, res) = b.call(TIMETABLE, json!({ "day": day })).await;
        assert_eq!(status, StatusCode::OK, "{res:?}");
        let j = &res.unwrap()["job"];
        assert_eq!(j["id"], json!(job));
        match j["status"].as_str() {
            Some("running") => return,
            Some("queued") => {}
            _ => panic!("the run ended before it could be stopped: {j}"),
        }
        assert!(Instant::now() < guard, "no worker took the run: {j}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Every row of the rota and timetable tables, to check that refused calls wrote nothing.
async fn dump_all(db: &sqlx::PgPool) -> Vec<(&'static str, Vec<String>)> {
    let mut out = dump(db).await;
    for table in TIMETABLE_TABLES {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT to_jsonb(t)::text AS row FROM {table} t ORDER BY 1"))
                .fetch_all(db)
                .await
                .unwrap_or_else(|e| panic!("dump {table}: {e}"));
        out.push((table, rows));
    }
    out
}

fn s(h: &str) -> Option<String> {
    Some(h.to_string())
}

/// A week of 5 days × 4 turns × 3 lines: turns 1 and 3 hold bea, cid, dan; turns 2 and 4 hold
/// eva, fay, gil.
fn known_seats() -> Seats {
    let a = vec![s("bea"), s("cid"), s("dan")];
    let b = vec![s("eva"), s("fay"), s("gil")];
    vec![vec![a.clone(), b.clone(), a, b]; 5]
}

/// Stores `known_seats` as the week's first version (as a solve would), with anna, bea… gil
/// and hal on the rota, three lines, anna unable to do Tuesday's second turn and hal rather not.
async fn known_week(t: &T, m: NaiveDate) {
    save_settings(
        &t.root,
        &TeamSettings {
            lines: 3,
            ..TeamSettings::default()
        },
    )
    .await;
    let db = &t.app.db;
    let mut ids = HashMap::new();
    for h in ["anna", "bea", "cid", "dan", "eva", "fay", "gil", "hal"] {
        ids.insert(h, add(db, h, 4).await);
    }
    entry(db, ids["anna"], weekly(Some(1), Some(mask("0100")), "dentist")).await;
    entry(db, ids["hal"], rather_not(Some(1), "0100", "prefers mornings off")).await;
    let settings = app::rota::store::team::get(db).await.unwrap();
    let version = app::rota::store::timetables::store_grid(
        db,
        m,
        app::rota::store::timetables::Shape {
            turn_boundaries: &settings.turn_boundaries,
            time_zone: &settings.time_zone,
            lines: 3,
        },
        &app::rota::store::timetables::Grid {
            days: (0..5).map(|i| m + Duration::days(i)).collect(),
            seats: known_seats(),
        },
        app::rota::store::timetables::Revision {
            cost: Some(0),
            penalties: &[],
            by: None,
            kind: "solve",
            note: "generated (test)",
            status: None,
            not_on_published: true,
        },
    )
    .await
    .expect("store the week");
    assert_eq!(version, 1);
}

// ---------------------------------------------------------------------------------------------
// 1. Who may call what

/// Every timetable server function with a well-formed body pointing at `m`'s week: reads first
/// (allowed to everyone in the rota area), then changes (coordinators only).
fn reads(m: NaiveDate) -> Vec<(&'static str, Value)> {
    vec![
        (TIMETABLE, json!({ "day": m })),
        (TIMETABLE, json!({})),
        (CANDIDATES, json!({ "seat": seat(m, 0, 0) })),
        (HISTORY, json!({ "day": m + Duration::days(2) })),
    ]
}

fn changes(m: NaiveDate) -> Vec<(&'static str, Value)> {
    vec![
        (
            GENERATE,
            json!({"day": m, "seed": 1, "time_limit_s": 1.0, "repair": false}),
        ),
        (
            GENERATE,
            json!({"day": m, "seed": null, "time_limit_s": null, "repair": true}),
        ),
        (STOP, json!({ "day": m })),
        (SEAT, json!({"seat": seat(m, 0, 0), "person": "hal"})),
        (SEAT, json!({"seat": seat(m, 0, 0), "person": null})),
        (SWAP, json!({"a": seat(m, 0, 0), "b": seat(m, 1, 0)})),
        (PUBLISH, json!({ "day": m })),
        (RESTORE, json!({"day": m, "version": 1})),
        (LOAD, json!({"day": m, "handle": "bea", "load": 3})),
        (LOAD, json!({"day": m, "handle": "bea", "load": null})),
    ]
}

#[tokio::test]
async fn every_timetable_function_checks_the_caller() {
    let t = setup().await;
    let m = monday("2027-03-15");
    known_week(&t, m).await;
    let db = &t.app.db;
    let before = dump_all(db).await;

    let anon = Browser::new(&t.app);
    for (path, body) in reads(m).into_iter().chain(changes(m)) {
        let res = anon.call(path, body.clone()).await;
        assert_eq!(
            res,
            (StatusCode::UNAUTHORIZED, Err(ApiError::Unauthenticated)),
            "anonymous {path} {body}"
        );
    }
    for (name, b) in [("alex", &t.alex), ("mia", &t.mia)] {
        for (path, body) in reads(m) {
            let (status, res) = b.call(path, body.clone()).await;
            assert_eq!(status, StatusCode::OK, "{name} {path} {body}: {res:?}");
        }
        for (path, body) in changes(m) {
            let res = b.call(path, body.clone()).await;
            assert_eq!(
                res,
                (StatusCode::FORBIDDEN, Err(ApiError::Forbidden)),
                "{name} {path} {body}"
            );
        }
        let v = view(b, m).await;
        assert!(!v.may_edit, "{name} may not edit");
        assert_eq!(v.seats, known_seats(), "{name} sees the seats");
    }
    assert_eq!(dump_all(db).await, before, "refused calls changed nothing");

    // The week view tells coordinators and admins they may edit.
    for b in [&t.carla, &t.root] {
        assert!(view(b, m).await.may_edit);
    }
    // A year nobody means is bad input, not a server fault.
    let res = t.alex.call(TIMETABLE, json!({"day": "1900-01-01"})).await;
    assert_invalid(&res, "day");
}

// ---------------------------------------------------------------------------------------------
// 2. Generate

#[tokio::test]
async fn a_generated_week_keeps_every_hard_rule() {
    let t = setup().await;
    let db = &t.app.db;
    let m = monday("2027-03-01");
    save_settings(
        &t.root,
        &TeamSettings {
            lines: 2,
            ..TeamSettings::default()
        },
    )
    .await;
    // Wednesday is a holiday: 4 days × 4 turns × 2 lines = 32 seats; 8 people with an ideal load
    // of 5 turns in 5 days do 4 each in 4 days, 32 in all.
    app::rota::store::holidays::upsert(
        db,
        &Holiday {
            day: m + Duration::days(2),
            name: "Sant Medir".into(),
            kind: HolidayKind::Holiday,
        },
    )
    .await
    .unwrap();
    let handles = ["ada", "ben", "cai", "dot", "eli", "flo", "gus", "ivy"];
    let mut ids = HashMap::new();
    for h in handles {
        ids.insert(h, add(db, h, 5).await);
    }
    // Ada never does the last turn; Ben never Monday's first two.
    entry(db, ids["ada"], weekly(None, Some(mask("0001")), "school run")).await;
    entry(db, ids["ben"], weekly(Some(0), Some(mask("1100")), "team meeting")).await;
    let cannot = |h: &str, day: NaiveDate, turn: usize| match h {
        "ada" => turn == 3,
        "ben" => day == m && turn < 2,
        _ => false,
    };

    let before = view(&t.carla, m).await;
    assert_eq!(before.status, None, "never planned");
    assert!(before.job.is_none());
    assert_eq!(
        before.load_notes[0],
        "32 seats (4 days × 4 turns × 2 lines); loads add up to 32"
    );

    let job = generate(&t.carla, m + Duration::days(3), 20261121, 2.0).await;
    let v = finished(&t.carla, m, job).await;
    let j = v.job.clone().unwrap();
    assert_eq!((j.status.as_str(), j.error.as_deref()), ("done", None), "{j:?}");

    assert_eq!(v.monday, m);
    assert_eq!(v.status, Some(WeekStatus::Draft));
    assert_eq!(v.published_at, None);
    assert_eq!(v.version, 1);
    let days: Vec<NaiveDate> = [0, 1, 3, 4].iter().map(|i| m + Duration::days(*i)).collect();
    assert_eq!(v.days, days, "Monday to Friday without the holiday");
    assert_eq!(
        v.turn_labels,
        ["09:00–10:15", "10:15–11:30", "11:30–12:45", "12:45–14:00"]
    );
    assert_eq!(v.lines, 2);
    let cost = v.cost.expect("a cost");
    assert_eq!(
        cost,
        v.penalties.iter().map(|p| p.points).sum::<i64>(),
        "{:?}",
        v.penalties
    );
    assert_eq!(j.progress.as_ref().map(|p| p.cost), Some(cost));

    assert_eq!(v.seats.len(), 4);
    let mut turns_of: HashMap<String, u32> = HashMap::new();
    for (day, turns) in v.days.iter().zip(&v.seats) {
        assert_eq!(turns.len(), 4, "{day}");
        let mut per_day: HashMap<&str, u32> = HashMap::new();
        for (turn, row) in turns.iter().enumerate() {
            assert_eq!(row.len(), 2, "{day} turn {turn}");
            let people: Vec<&str> = row
                .iter()
                .map(|x| {
                    x.as_deref()
                        .unwrap_or_else(|| panic!("{day} turn {turn} has an empty seat"))
                })
                .collect();
            assert_ne!(people[0], people[1], "nobody twice in {day} turn {turn}");
            for h in people {
                assert!(handles.contains(&h), "{h}");
                assert!(!cannot(h, *day, turn), "{h} is busy in {day} turn {turn}");
                *per_day.entry(h).or_default() += 1;
                *turns_of.entry(h.to_string()).or_default() += 1;
            }
        }
        for (h, n) in per_day {
            assert!(n <= 2, "{h} has {n} turns on {day}");
        }
    }
    assert_eq!(v.loads.len(), 8);
    for l in &v.loads {
        assert_eq!(l.load.final_load, 4, "{l:?}");
        assert_eq!(l.load.days_worked, 4, "{l:?}");
        let had = turns_of.get(&l.load.id).copied().unwrap_or(0);
        assert_eq!(l.assigned, had, "{l:?}");
        assert!(had <= l.load.final_load, "{} over their load: {l:?}", l.load.id);
    }
    assert_eq!(turns_of.values().sum::<u32>(), 32);

    // The busy people stand as they should for the seat picker.
    let list = candidates(&t.alex, m, 3, 0).await;
    let ada = list.iter().find(|c| c.handle == "ada").expect("ada listed");
    assert_eq!(ada.standing, Standing::Cannot("school run".into()));
    let list = candidates(&t.alex, m + Duration::days(1), 0, 1).await;
    let ben = list.iter().find(|c| c.handle == "ben").unwrap();
    assert_eq!(ben.standing, Standing::Free, "Ben's meeting is on Mondays");
    assert_eq!(list.len(), 8);
    assert_eq!(list.iter().filter(|c| c.in_turn).count(), 2);
    assert!(
        list.iter().rev().take(2).all(|c| c.in_turn),
        "those in the turn come last"
    );
    // The holiday has no seats.
    let res = t
        .alex
        .call(CANDIDATES, json!({ "seat": seat(m + Duration::days(2), 0, 0) }))
        .await;
    assert_invalid(&res, "day");

    let h = history(&t.alex, m).await;
    assert_eq!(h.versions.len(), 1);
    assert_eq!(h.versions[0].note, format!("generated (seed 20261121): cost {cost}"));
    assert_eq!(h.changes.len(), 1);
    assert_eq!(h.changes[0].text, h.versions[0].note);

    // Bad limits are refused before anything is queued.
    for limit in [0.0, 601.0] {
        let res = t
            .carla
            .call(
                GENERATE,
                json!({"day": m, "seed": 1, "time_limit_s": limit, "repair": false}),
            )
            .await;
        assert_invalid(&res, "time_limit_s");
    }
    assert_eq!(count(db, "solver_jobs").await, 1);
}

// ---------------------------------------------------------------------------------------------
// 3. Stop

#[tokio::test]
async fn a_short_week_raises_nobody_beyond_the_max_overload_and_drops_whole_lines() {
    let t = setup().await;
    let db = &t.app.db;
    let m = monday("2027-03-01");
    // 5 days × 4 turns × 3 lines = 60 seats. Four people with an ideal of 2 and room for 10;
    // two with an ideal of 4 on leave Monday and Tuesday (proportional 2.4, room for 6); two
    // on leave all week.
    for h in ["ada", "ben", "cai", "dot"] {
        add(db, h, 2).await;
    }
    for h in ["eli", "flo"] {
        let id = add(db, h, 4).await;
        entry(db, id, leave("2027-03-01", "2027-03-02", "vacances")).await;
    }
    for h in ["gus", "ivy"] {
        let id = add(db, h, 5).await;
        entry(db, id, leave("2027-02-22", "2027-03-12", "vacances")).await;
    }
    let at_most = |v: &WeekView, m: u32| {
        for l in &v.loads {
            let p = &l.load;
            assert!(
                u64::from(p.final_load) * p.proportional.den <= p.proportional.num + u64::from(m) * p.proportional.den,
                "{}: {} turns, proportional {} + {m}",
                p.id,
                p.final_load,
                p.proportional
            );
        }
    };
    let finals = |v: &WeekView| -> Vec<(String, u32)> {
        v.loads.iter().map(|l| (l.load.id.clone(), l.load.final_load)).collect()
    };

    for (max_overload, each, assigned, empty_seats, by_overload) in
        [(1u32, [3, 3], 18u32, 2u32, 34u32), (0, [2, 2], 12, 8, 40)]
    {
        save_settings(
            &t.root,
            &TeamSettings {
                lines: 3,
                max_overload,
                ..TeamSettings::default()
            },
        )
        .await;
        let v = view(&t.carla, m).await;
        at_most(&v, max_overload);
        let want: Vec<(String, u32)> = [
            ("ada", each[0]),
            ("ben", each[0]),
            ("cai", each[0]),
            ("dot", each[0]),
            ("eli", each[1]),
            ("flo", each[1]),
            ("gus", 0),
            ("ivy", 0),
        ]
        .into_iter()
        .map(|(h, n)| (h.to_string(), n))
        .collect();
        assert_eq!(finals(&v), want, "max overload {max_overload}");
        let capped: Vec<&str> = v
            .loads
            .iter()
            .filter(|l| l.load.overload_capped)
            .map(|l| l.load.id.as_str())
            .collect();
        assert_eq!(capped, ["ada", "ben", "cai", "dot", "eli", "flo"]);
        assert_eq!(v.lines, 1, "two whole lines of empty seats are dropped");
        assert_eq!(
            v.load_notes,
            vec![
                format!("60 seats (5 days × 4 turns × 3 lines); loads add up to {assigned}"),
                format!(
                    "Not raised beyond their proportional load + {max_overload} (the most turns above the proportional load): ada, ben, cai, dot, eli, flo; {by_overload} seat(s) stay empty because of it."
                ),
                format!(
                    "Not enough people for every line: 2 line(s) dropped this week, 1 in use: {} seat(s) nobody takes ({by_overload} of them because of the most turns above the proportional load, the rest beyond what people can take), and a whole line is 20 seats.",
                    60 - assigned
                ),
                format!("{empty_seats} seat(s) will stay empty."),
            ]
        );
        let ada = &v.loads[0];
        assert!(
            ada.explain
                .contains("(the most turns above the proportional load), with room for 10"),
            "{}",
            ada.explain
        );
    }
}

#[tokio::test]
async fn fixed_turns_nobody_can_take_are_notes_of_the_week_not_penalties() {
    let t = setup().await;
    let db = &t.app.db;
    let m = monday("2027-03-01");
    save_settings(
        &t.root,
        &TeamSettings {
            lines: 2,
            ..TeamSettings::default()
        },
    )
    .await;
    let mut ids = HashMap::new();
    for h in ["ada", "ben", "cai", "dot"] {
        ids.insert(h, add(db, h, 5).await);
    }
    let zed = add(db, "zed", 0).await;
    entry(db, ids["ada"], weekly(Some(3), Some(mask("0100")), "training")).await;
    entry(db, ids["ben"], leave("2027-03-03", "2027-03-03", "vacances")).await;
    let fix = |weekday: u8, turn: u32, line: u32| FixedSeat {
        weekday,
        turn,
        line,
        person: None,
    };
    // Ada busy Thursday 10:15, Ben on leave Wednesday, Zed with no turns; Cai's applies.
    for (seat, id) in [
        (fix(3, 1, 0), ids["ada"]),
        (fix(2, 0, 0), ids["ben"]),
        (fix(0, 0, 0), zed),
        (fix(1, 2, 1), ids["cai"]),
    ] {
        app::rota::store::fixed_turns::set(db, &seat, Some(id)).await.unwrap();
    }
    let notes = vec![
        "zed's fixed turn Mon 09:00 does not apply this week: not on the rota this week (no turns)",
        "ben's fixed turn Wed 09:00 does not apply this week: on leave (vacances)",
        "ada's fixed turn Thu 10:15 does not apply this week: busy (training)",
    ];
    assert_eq!(view(&t.carla, m).await.notes, notes);

    let job = generate(&t.carla, m, 7, 1.0).await;
    let v = finished(&t.carla, m, job).await;
    assert_eq!(v.notes, notes, "listed once, after a run too");
    for p in v.penalties.iter().filter(|p| p.rule == "fixed_missed") {
        assert!(p.text.starts_with("cai"), "a void fixed turn was charged: {}", p.text);
    }
    assert_eq!(
        v.penalties.iter().map(|p| p.points).sum::<i64>(),
        v.cost.expect("a cost"),
        "the penalties add up to the cost"
    );
}

#[tokio::test]
async fn publishing_updates_the_balances_once_and_forgiving_resets_them() {
    let t = setup().await;
    let db = &t.app.db;
    let m = monday("2027-03-01");
    known_week(&t, m).await;
    let balances = || async { app::rota::store::balances::by_handle(db).await.unwrap() };
    assert!(balances().await.is_empty(), "nothing before a publish");
    // Everyone's share is 4; bea … gil hold 10 seats each, anna and hal none.
    let want: Vec<(String, i64)> = [
        ("anna", -4),
        ("bea", 6),
        ("cid", 6),
        ("dan", 6),
        ("eva", 6),
        ("fay", 6),
        ("gil", 6),
        ("hal", -4),
    ]
    .into_iter()
    .map(|(h, c)| (h.to_string(), c))
    .collect();
    for _ in 0..2 {
        let (status, res) = t.carla.call(PUBLISH, json!({ "day": m })).await;
        assert_eq!(status, StatusCode::OK, "{res:?}");
        assert_eq!(balances().await, want, "a re-publish does not count twice");
    }

    // The next week's load report shows them, and debtors are raised first.
    save_settings(
        &t.root,
        &TeamSettings {
            lines: 3,
            max_overload: 3,
            ..TeamSettings::default()
        },
    )
    .await;
    let next = view(&t.carla, m + Duration::days(7)).await;
    assert!(
        next.load_notes.iter().any(|n| n.starts_with(
            "Balances of turns before this week: anna -4, bea +6, cid +6, dan +6, eva +6, fay +6, gil +6, hal -4;"
        )),
        "{:?}",
        next.load_notes
    );
    let load = |h: &str| next.loads.iter().find(|l| l.load.id == h).unwrap().load.final_load;
    for h in ["bea", "cid", "dan", "eva", "fay", "gil"] {
        assert!(
            load("anna") >= load(h) && load("hal") >= load(h),
            "{h}: {:?}",
            next.loads
        );
    }

    // Forgiving: coordinators only; one person, then everyone; logged.
    let (status, _) = t
        .alex
        .call("/api/rota/balances/forgive", json!({ "handle": "hal" }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, res) = t
        .carla
        .call("/api/rota/balances/forgive", json!({ "handle": "hal" }))
        .await;
    assert_eq!((status, res), (StatusCode::OK, Ok(json!(1))));
    assert_eq!(balances().await.len(), 7);
    assert!(!balances().await.iter().any(|(h, _)| h == "hal"));
    let (status, res) = t
        .carla
        .call("/api/rota/balances/forgive", json!({ "handle": null }))
        .await;
    assert_eq!((status, res), (StatusCode::OK, Ok(json!(7))));
    assert!(balances().await.is_empty());
    let log = app::rota::store::balances::log_lines(db).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].2.as_deref(), Some("hal"));
    assert!(log[0].1.is_some(), "who forgave is kept");

    // Publishing the same week again after forgiving adds nothing: the week was counted.
    let (status, _) = t.carla.call(PUBLISH, json!({ "day": m })).await;
    assert_eq!(status, StatusCode::OK);
    assert!(balances().await.is_empty());
}

#[tokio::test]
async fn stop_ends_a_long_run_and_keeps_its_best_timetable() {
    let t = setup().await;
    let db = &t.app.db;
    let m = monday("2027-03-08");
    // A big week, so the run is still busy when the stop arrives (the solver proves small weeks
    // optimal at once): 5 days × 8 turns × 40 lines = 1600 seats for 400 people, with meetings
    // and preferences.
    let turns = 8;
    save_settings(
        &t.root,
        &TeamSettings {
            lines: 40,
            turn_boundaries: (0..=turns).map(|t| format!("{:02}:00", 8 + t)).collect(),
            ..TeamSettings::default()
        },
    )
    .await;
    let one = |turn: usize| -> String { (0..turns).map(|t| if t == turn % turns { '1' } else { '0' }).collect() };
    for i in 0..400usize {
        let id = add(db, &format!("p{i:03}"), 4).await;
        if i % 4 == 0 {
            entry(
                db,
                id,
                weekly(Some((i / 4 % 5) as u8), Some(mask(&one(i / 4))), "meeting"),
            )
            .await;
        }
        if i % 3 == 0 {
            entry(db, id, rather_not(Some((i % 5) as u8), &one(i), "rather not")).await;
        }
    }
    let job = generate(&t.carla, m, 5, 60.0).await;

    // One run at a time per week.
    let (status, res) = t
        .carla
        .call(
            GENERATE,
            json!({"day": m, "seed": 6, "time_limit_s": 1.0, "repair": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{res:?}");
    assert!(matches!(res, Err(ApiError::Conflict(_))), "{res:?}");

    running(&t.carla, m, job).await;
    let res = t.carla.call(STOP, json!({ "day": m + Duration::days(4) })).await;
    assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
    let v = finished(&t.carla, m, job).await;
    let j = v.job.clone().unwrap();
    assert_eq!((j.status.as_str(), j.error.as_deref()), ("stopped", None), "{j:?}");

    // The best timetable found so far was stored.
    assert_eq!(v.status, Some(WeekStatus::Draft));
    assert_eq!(v.days.len(), 5);
    assert_eq!((v.turn_labels.len(), v.lines), (turns, 40));
    let filled = v.seats.iter().flatten().flatten().filter(|x| x.is_some()).count();
    assert!(filled > 0, "a timetable was stored");
    let cost = v.cost.expect("a cost");
    assert_eq!(cost, v.penalties.iter().map(|p| p.points).sum::<i64>());
    let h = history(&t.carla, m).await;
    assert_eq!(h.versions.len(), 1);
    assert!(h.versions[0].note.ends_with(", stopped early"), "{:?}", h.versions[0]);

    // Nothing left to stop.
    let (status, res) = t.carla.call(STOP, json!({ "day": m })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{res:?}");
    assert_eq!(
        res,
        Err(ApiError::Conflict("No solver run is going for this week.".into()))
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Hand edits

#[tokio::test]
async fn hand_edits_keep_the_rules_and_are_logged_and_restorable() {
    let t = setup().await;
    let db = &t.app.db;
    let m = monday("2027-03-15");
    let (mon, tue, wed, thu) = (m, m + Duration::days(1), m + Duration::days(2), m + Duration::days(3));
    known_week(&t, m).await;
    let v = view(&t.carla, m).await;
    assert_eq!((v.version, v.max_empty_seats, v.lines), (1, 2, 3));
    assert_eq!(v.seats, known_seats());
    let mut versions = history(&t.carla, m).await.versions.len();
    assert_eq!(versions, 1);

    // Who could take Tuesday's second turn.
    let list = candidates(&t.carla, tue, 1, 0).await;
    let find = |h: &str| list.iter().find(|c| c.handle == h).unwrap().clone();
    assert_eq!(find("anna").standing, Standing::Cannot("dentist".into()));
    assert_eq!(find("hal").standing, Standing::RatherNot("prefers mornings off".into()));
    assert_eq!(find("bea").standing, Standing::Free);
    assert!(find("eva").in_turn && !find("bea").in_turn);
    assert_eq!((find("eva").turns, find("anna").turns), (10, 0));
    let order: Vec<&str> = list.iter().map(|c| c.handle.as_str()).collect();
    assert_eq!(
        order.iter().position(|h| *h == "anna"),
        Some(4),
        "{order:?}: free, rather not, cannot, in turn"
    );
    assert_eq!(order.iter().position(|h| *h == "hal"), Some(3), "{order:?}");

    // A free person.
    let res = t
        .carla
        .call(SEAT, json!({"seat": seat(mon, 0, 0), "person": " Anna "}))
        .await;
    assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
    let v = view(&t.carla, m).await;
    assert_eq!(v.seats[0][0], [s("anna"), s("cid"), s("dan")]);
    assert_eq!(v.version, 2);
    let h = history(&t.alex, m).await;
    versions += 1;
    assert_eq!(h.versions.len(), versions);
    assert_eq!(h.changes[0].text, "Mon 15 turn 1 line 1: bea → anna");
    assert_eq!((h.changes[0].by.as_deref(), h.changes[0].version), (Some("carla"), 2));

    let before = dump_all(db).await;
    // Someone who cannot: the reason is named.
    let res = t
        .carla
        .call(SEAT, json!({"seat": seat(tue, 1, 0), "person": "anna"}))
        .await;
    assert_eq!(
        res,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Err(ApiError::Invalid(Invalid::new(
                "person",
                "anna cannot take Tue 10:15: dentist"
            )))
        )
    );
    // Twice in a turn.
    let res = t
        .carla
        .call(SEAT, json!({"seat": seat(mon, 0, 2), "person": "anna"}))
        .await;
    assert_eq!(
        res,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Err(ApiError::Invalid(Invalid::new(
                "person",
                "anna already has a seat in Mon 09:00"
            )))
        )
    );
    // Nobody by that name; seats that do not exist.
    assert_invalid(
        &t.carla
            .call(SEAT, json!({"seat": seat(mon, 0, 0), "person": "zed"}))
            .await,
        "person",
    );
    assert_invalid(
        &t.carla
            .call(SEAT, json!({"seat": seat(mon, 4, 0), "person": "hal"}))
            .await,
        "turn",
    );
    assert_invalid(
        &t.carla
            .call(SEAT, json!({"seat": seat(mon, 0, 3), "person": "hal"}))
            .await,
        "line",
    );
    assert_invalid(
        &t.carla
            .call(
                SEAT,
                json!({"seat": seat(m + Duration::days(5), 0, 0), "person": "hal"}),
            )
            .await,
        "day",
    );
    // A week never planned.
    let (status, _) = t
        .carla
        .call(
            SEAT,
            json!({"seat": seat(m + Duration::days(7), 0, 0), "person": "hal"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(dump_all(db).await, before, "refused edits wrote nothing");

    // Empty seats: two may be empty in a turn, not three.
    for line in [0, 1] {
        let res = t
            .carla
            .call(SEAT, json!({"seat": seat(wed, 0, line), "person": null}))
            .await;
        assert_eq!(res, (StatusCode::OK, Ok(Value::Null)), "line {line}");
        versions += 1;
    }
    let h = history(&t.carla, m).await;
    assert_eq!(h.changes[0].text, "Wed 17 turn 1 line 2: cid → nobody");
    assert_eq!(h.changes[1].text, "Wed 17 turn 1 line 1: bea → nobody");
    let before = dump_all(db).await;
    let res = t
        .carla
        .post_json(SEAT, json!({"seat": seat(wed, 0, 2), "person": null}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"Invalid": {"field": "seat", "message": "Too many empty seats in Wed 09:00"}})
    );
    let err: ApiError = serde_json::from_value(body).unwrap();
    assert_eq!(err.to_string(), "seat: Too many empty seats in Wed 09:00");
    // An empty string is nobody too.
    let res = t
        .carla
        .call(SEAT, json!({"seat": seat(wed, 0, 2), "person": " "}))
        .await;
    assert_eq!(
        res.1.unwrap_err().to_string(),
        "seat: Too many empty seats in Wed 09:00"
    );
    assert_eq!(dump_all(db).await, before, "the refused empty seat wrote nothing");
    assert_eq!(view(&t.carla, m).await.seats[2][0], [None, None, s("dan")]);

    // A swap is one change.
    let res = t
        .carla
        .call(SWAP, json!({"a": seat(thu, 0, 0), "b": seat(thu, 1, 2)}))
        .await;
    assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
    versions += 1;
    let v = view(&t.carla, m).await;
    assert_eq!(v.seats[3][0], [s("gil"), s("cid"), s("dan")]);
    assert_eq!(v.seats[3][1], [s("eva"), s("fay"), s("bea")]);
    let h = history(&t.carla, m).await;
    assert_eq!(h.versions.len(), versions, "one version for the swap");
    assert_eq!(h.versions[0].version, v.version);
    assert_eq!(
        h.changes[0].text,
        "swapped Thu 18 turn 1 line 1 with 2027-03-18 turn 2 line 3"
    );
    assert_eq!(h.changes[0].version, v.version);
    assert_eq!(h.changes.iter().filter(|c| c.version == v.version).count(), 1);

    // Swaps that would break a rule.
    let before = dump_all(db).await;
    let res = t
        .carla
        .call(SWAP, json!({"a": seat(mon, 0, 0), "b": seat(tue, 1, 0)}))
        .await;
    assert_eq!(
        res,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Err(ApiError::Invalid(Invalid::new(
                "seat",
                "anna cannot take that turn: dentist"
            )))
        )
    );
    let (status, res) = t
        .carla
        .call(SWAP, json!({"a": seat(thu, 0, 1), "b": seat(thu, 2, 0)}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "cid would be twice in Thursday's third turn: {res:?}"
    );
    let res = t
        .carla
        .call(
            SWAP,
            json!({"a": seat(mon, 0, 0), "b": seat(m + Duration::days(7), 0, 0)}),
        )
        .await;
    assert_invalid(&res, "b");
    assert_eq!(dump_all(db).await, before, "refused swaps wrote nothing");

    // Restore the first version: its seats come back, as a new version.
    let res = t.carla.call(RESTORE, json!({"day": wed, "version": 1})).await;
    assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
    versions += 1;
    let v = view(&t.carla, m).await;
    assert_eq!(v.seats, known_seats());
    assert_eq!(v.status, Some(WeekStatus::Draft));
    let h = history(&t.carla, m).await;
    assert_eq!(h.versions.len(), versions);
    assert_eq!(h.versions[0].version, v.version);
    assert_eq!(h.changes[0].text, "restored version 1");
    assert_eq!(h.changes[0].by.as_deref(), Some("carla"));
    // And a later one back again.
    let res = t.carla.call(RESTORE, json!({"day": m, "version": 2})).await;
    assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
    assert_eq!(view(&t.carla, m).await.seats[0][0], [s("anna"), s("cid"), s("dan")]);
    let (status, _) = t.carla.call(RESTORE, json!({"day": m, "version": 99})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// 5. Publish and load overrides

#[tokio::test]
async fn publishing_and_load_overrides() {
    let t = setup().await;
    let m = monday("2027-03-22");
    known_week(&t, m).await;

    let res = t.carla.call(PUBLISH, json!({ "day": m + Duration::days(4) })).await;
    assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
    let v = view(&t.alex, m).await;
    assert_eq!(v.status, Some(WeekStatus::Published));
    assert!(v.published_at.is_some());
    assert_eq!(v.seats, known_seats(), "publishing does not move anyone");
    let h = history(&t.alex, m).await;
    assert_eq!(h.versions.len(), 2);
    assert_eq!(
        (h.changes[0].text.as_str(), h.changes[0].by.as_deref()),
        ("published", Some("carla"))
    );
    // A hand edit keeps the week published.
    let res = t
        .carla
        .call(SEAT, json!({"seat": seat(m, 0, 0), "person": "hal"}))
        .await;
    assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
    assert_eq!(view(&t.alex, m).await.status, Some(WeekStatus::Published));
    // A week never planned cannot be published.
    let (status, _) = t.carla.call(PUBLISH, json!({ "day": m + Duration::days(7) })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Overrides are taken as given, even above what the week can hold.
    let load = |v: &WeekView, h: &str| v.loads.iter().find(|l| l.load.id == h).unwrap().load.clone();
    let computed = load(&view(&t.carla, m).await, "bea");
    assert_eq!(computed.override_load, None);
    for wanted in [7, 0, 30] {
        let res = t
            .carla
            .call(LOAD, json!({"day": m, "handle": "bea", "load": wanted}))
            .await;
        assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
        let l = load(&view(&t.alex, m).await, "bea");
        assert_eq!((l.final_load, l.override_load), (wanted, Some(wanted)), "{l:?}");
        assert_eq!(l.over_capacity, wanted > l.capacity, "{l:?}");
    }
    // Only that week.
    let next = load(&view(&t.carla, m + Duration::days(7)).await, "bea");
    assert_eq!(next.override_load, None);
    // Back to the computed load.
    let res = t
        .carla
        .call(LOAD, json!({"day": m, "handle": "bea", "load": null}))
        .await;
    assert_eq!(res, (StatusCode::OK, Ok(Value::Null)));
    assert_eq!(load(&view(&t.carla, m).await, "bea"), computed);

    assert_invalid(
        &t.carla
            .call(LOAD, json!({"day": m, "handle": "bea", "load": 101}))
            .await,
        "load",
    );
    let (status, _) = t.carla.call(LOAD, json!({"day": m, "handle": "zed", "load": 3})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// 6. Tomàtic timetables

#[tokio::test]
async fn an_imported_tomatic_timetable_shows_as_a_published_week() {
    let t = setup().await;
    let db = &t.app.db;
    let m = monday("2023-08-07");
    for h in ["anna", "bea", "cid"] {
        add(db, h, 4).await;
    }
    let day = |a: [&str; 8]| json!([[a[0], a[1]], [a[2], a[3]], [a[4], a[5]], [a[6], a[7]]]);
    let timetable = json!({
        "days": ["dl", "dm", "dx", "dj", "dv"],
        "hours": ["09:00", "10:15", "11:30", "12:45", "14:00"],
        "lines": ["L1", "L2"],
        "timetable": {
            "dl": day(["anna", "bea", "bea", "cid", "cid", "ningu", "anna", "cid"]),
            "dm": day(["festiu"; 8]),
            "dx": day(["bea", "anna", "cid", "anna", "bea", "cid", "anna", "bea"]),
            "dj": day(["cid", "bea", "anna", "bea", "anna", "cid", "bea", "cid"]),
            "dv": day(["anna", "cid", "bea", "cid", "anna", "bea", "cid", "anna"]),
        }
    });
    sqlx::query("INSERT INTO imported_timetables (week, source, timetable) VALUES ($1, $2, $3)")
        .bind(m)
        .bind("graella-2023-08-07.yaml")
        .bind(&timetable)
        .execute(db)
        .await
        .unwrap();
    // Reading a week writes nothing: until it is adopted, the week is not planned.
    assert_eq!(view(&t.alex, m).await.status, None);

    // The import (and every start) adopts it as a published week.
    let services = app::shell::ctx::Services::new(db.clone());
    let adopt = || app::rota::service::timetable::adopt_imported(&services);
    assert_eq!(adopt().await.unwrap(), 1);
    assert_eq!(adopt().await.unwrap(), 0, "once");
    let v = view(&t.alex, m + Duration::days(2)).await;
    assert_eq!(v.status, Some(WeekStatus::Published));
    assert!(v.published_at.is_some());
    assert_eq!(v.imported_from.as_deref(), Some("graella-2023-08-07.yaml"));
    assert_eq!(v.version, 1);
    assert_eq!(
        v.days,
        [0, 2, 3, 4].map(|i| m + Duration::days(i)),
        "the festiu Tuesday has no seats"
    );
    assert_eq!(
        v.turn_labels,
        ["09:00–10:15", "10:15–11:30", "11:30–12:45", "12:45–14:00"]
    );
    assert_eq!(v.lines, 2);
    assert_eq!(v.seats[0][0], [s("anna"), s("bea")]);
    assert_eq!(v.seats[0][2], [s("cid"), None], "Tomàtic's nobody is an empty seat");
    assert_eq!(v.seats[1][0], [s("bea"), s("anna")]);
    let res = t
        .alex
        .call(CANDIDATES, json!({ "seat": seat(m + Duration::days(1), 0, 0) }))
        .await;
    assert_invalid(&res, "day");

    // Opening it again changes nothing.
    let again = view(&t.carla, m).await;
    assert_eq!((again.version, &again.seats), (1, &v.seats));
    let h = history(&t.carla, m).await;
    assert_eq!(h.versions.len(), 1);
    assert_eq!(h.changes.len(), 1);
    assert_eq!(h.changes[0].text, "imported from Tomàtic (graella-2023-08-07.yaml)");
    assert_eq!(count(db, "rota_weeks").await, 1);
}

// ---------------------------------------------------------------------------------------------
// The worker's claim

/// A worker whose lease ran out (its run taken by another worker) may neither finish the run
/// nor say it still holds it; the worker that took it over finishes it.
#[tokio::test]
async fn a_run_taken_over_is_finished_only_by_the_new_worker() {
    use app::rota::store::solver_jobs;
    // No app: no worker of its own takes the run.
    let db = server::testing::fresh_db().await;
    app::accounts::service::create_user(
        &db,
        &app::shell::service::Actor::Operator,
        "carla",
        "carla",
        &[Role::Coordinator],
        None,
    )
    .await
    .unwrap();
    let carla = user_id(&db, "carla").await;
    let m = monday("2027-04-05");
    let id = solver_jobs::create(&db, m, 1, 10.0, false, Some(carla)).await.unwrap();
    let a = solver_jobs::claim(&db, "a", 0.0)
        .await
        .unwrap()
        .expect("a takes the run");
    assert_eq!((a.id, a.status.as_str()), (id, "running"));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let b = solver_jobs::claim(&db, "b", 30.0)
        .await
        .unwrap()
        .expect("b takes it over");
    assert_eq!(b.id, id);
    assert!(
        solver_jobs::claim(&db, "c", 30.0).await.unwrap().is_none(),
        "b's lease holds"
    );

    assert!(
        solver_jobs::heartbeat(&db, id, "a", 30.0, None).await.unwrap(),
        "a is told to stop"
    );
    assert!(!solver_jobs::holds(&db, id, "a").await.unwrap());
    assert!(solver_jobs::holds(&db, id, "b").await.unwrap());
    assert!(
        !solver_jobs::finish(&db, id, "a", JobStatus::Stopped, None)
            .await
            .unwrap()
    );
    let job = solver_jobs::latest(&db, m).await.unwrap().unwrap();
    assert_eq!(
        (job.status.as_str(), job.finished_at),
        ("running", None),
        "a changed nothing"
    );

    assert!(!solver_jobs::heartbeat(&db, id, "b", 30.0, None).await.unwrap());
    assert!(solver_jobs::finish(&db, id, "b", JobStatus::Done, None).await.unwrap());
    let job = solver_jobs::latest(&db, m).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Done);
    assert!(
        !solver_jobs::holds(&db, id, "b").await.unwrap(),
        "a finished run is nobody's"
    );
}
