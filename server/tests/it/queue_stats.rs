//! Daily call statistics: calls at pbxsim (over real TCP, through the AMI adapter and the
//! statistics worker) are recorded as they happen and counted exactly; a call seen by two
//! recorders (two instances on one database) is stored once; repeated events change nothing,
//! events missing a field are refused and change nothing; the page's server function, the CSV
//! export (role-checked) and the chat text give the same figures.
use crate::common::pbx::{self, Workers};
use crate::common::*;
use app::ports::{Pbx, PbxNews};
use app::queue::rules::ami::{AgentCall, CallerAbandon, CallerChannel, CallerJoin, Event};
use app::queue::service::stats::{self, Recorded};
use app::shell::service::{Actor, ServiceError};
use serde_json::{Value, json};
use server::pbx::sim::{self, PbxsimConfig};
use std::time::Duration;

const SECRET: &str = "stats-test-secret";
/// Calls take a few real seconds at this speed; the guard is for a slow, shared machine.
const CALLS_GUARD: Duration = Duration::from_secs(40);

fn config() -> PbxsimConfig {
    let mut cfg = pbx::config(SECRET, 40.0);
    cfg.answer_secs = 3.0;
    cfg.talk_secs = 40.0;
    // A caller who cannot be answered within 10 s gives up.
    cfg.patience_secs = 10.0;
    cfg
}

async fn control(sim: &sim::Pbxsim, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", sim.control_url()))
        .bearer_auth(SECRET)
        .json(&body)
        .send()
        .await
        .expect("pbxsim control");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.expect("control answer")
}

async fn caller(sim: &sim::Pbxsim, number: &str) -> String {
    control(sim, "/pbxsim/callers", json!({"queue": "support", "number": number})).await["uniqueid"]
        .as_str()
        .expect("uniqueid")
        .to_string()
}

/// The statistics of today as the page's server function answers them, once `ok` holds.
async fn stats_until(b: &Browser, ok: impl Fn(&Value) -> bool) -> Value {
    call_until_live(b, "/api/queue/stats", json!({"day": null}), CALLS_GUARD, ok).await
}

fn figures(v: &Value) -> &Value {
    &v["stats"]["figures"]
}

/// The next event matching `want` among the PBX's news.
async fn next_event(rx: &mut tokio::sync::broadcast::Receiver<PbxNews>, want: impl Fn(&Event) -> bool) -> Event {
    tokio::time::timeout(CALLS_GUARD, async {
        loop {
            if let Ok(PbxNews::Event(e)) = rx.recv().await
                && want(&e)
            {
                return e;
            }
        }
    })
    .await
    .expect("the PBX event came in time")
}

#[tokio::test]
async fn calls_at_the_pbx_are_recorded_as_they_happen_and_counted_exactly() {
    let app = TestApp::spawn().await;
    let pw = app.user("carla", &[Role::Coordinator]).await;
    let carla = Browser::signed_in(&app, "carla", &pw).await;
    let rig = pbx::start(&app, config(), Workers::Stats).await;
    let (sim, client) = (&rig.sim, &rig.client);
    let mut rx = client.subscribe();
    rig.add_member("PJSIP/202", "Alex").await;
    let mut sse = Sse::open(&carla).await;

    // A is answered by Alex's phone; B arrives while Alex talks and gives up after 10 s;
    // C arrives after A's call ended and is answered.
    let a = caller(sim, "+34600000001").await;
    let a_connect = next_event(
        &mut rx,
        |e| matches!(e, Event::AgentConnect(x) if x.caller.uniqueid == a),
    )
    .await;
    let b = caller(sim, "+34600000002").await;
    let b_abandon = next_event(
        &mut rx,
        |e| matches!(e, Event::QueueCallerAbandon(x) if x.caller.uniqueid == b),
    )
    .await;
    next_event(
        &mut rx,
        |e| matches!(e, Event::AgentComplete(x) if x.caller.uniqueid == a),
    )
    .await;
    let c = caller(sim, "+34600000003").await;
    let c_connect = next_event(
        &mut rx,
        |e| matches!(e, Event::AgentConnect(x) if x.caller.uniqueid == c),
    )
    .await;
    next_event(
        &mut rx,
        |e| matches!(e, Event::AgentComplete(x) if x.caller.uniqueid == c),
    )
    .await;

    let hold = |e: &Event| match e {
        Event::AgentConnect(x) => x.hold_time_secs.expect("HoldTime"),
        Event::QueueCallerAbandon(x) => x.hold_time_secs,
        _ => unreachable!(),
    };
    let (wa, wb, wc) = (hold(&a_connect), hold(&b_abandon), hold(&c_connect));
    assert!(wb >= 10, "B gave up after its patience: {wb}");
    let v = stats_until(&carla, |v| figures(v)["talk_total_secs"] == 80).await;
    let f = figures(&v);
    assert_eq!(f["received"], 3);
    assert_eq!(f["answered"], 2);
    assert_eq!(f["abandoned"], 1);
    assert_eq!(f["unanswered"], 0);
    assert_eq!(f["waiting"], 0);
    assert_eq!(f["abandoned_wait_avg_secs"], json!(f64::from(wb)));
    assert_eq!(f["abandoned_wait_max_secs"], wb);
    assert_eq!(f["wait_avg_secs"], json!(f64::from(wa + wb + wc) / 3.0));
    assert_eq!(f["wait_max_secs"], wa.max(wb).max(wc));
    assert_eq!(f["talk_avg_secs"], json!(40.0));
    let in_time = [wa, wc].iter().filter(|w| **w <= 20).count() as u32;
    assert_eq!(f["answered_in_time"], in_time);
    assert_eq!(f["in_time_share"], json!(f64::from(in_time) / 3.0));
    let agents = v["stats"]["agents"].as_array().expect("agents");
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["interface"], "PJSIP/202");
    assert_eq!(agents[0]["name"], "Alex");
    assert_eq!(agents[0]["answered"], 2);
    assert_eq!(agents[0]["talk_total_secs"], 80);
    let hours: u64 = v["stats"]["hours"]
        .as_array()
        .expect("hours")
        .iter()
        .map(|h| h["figures"]["received"].as_u64().expect("received"))
        .sum();
    assert_eq!(hours, 3, "each call in the hour it joined");
    let today = v["today"].as_str().expect("today").to_string();
    let history = v["history"].as_array().expect("history");
    assert_eq!(history.len(), 30);
    assert_eq!(
        history.last().expect("today"),
        &json!({"day": today, "received": 3, "answered": 2, "abandoned": 1})
    );

    // One row per call, and the browsers were told.
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM queue_calls")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(rows, 3);
    loop {
        if sse.next_event().await["topic"] == "queue.stats" {
            break;
        }
    }
}

#[tokio::test]
async fn a_call_seen_by_two_recorders_is_stored_once() {
    let one = TestApp::spawn().await;
    let two = TestApp::spawn_on(one.db.clone()).await;
    let rig = pbx::start(&one, config(), Workers::Stats).await;
    let sim = &rig.sim;
    let _second = pbx::connect(&two, sim, Workers::Stats).await;
    let mut rx = rig.client.subscribe();
    control(
        sim,
        "/pbxsim/members",
        json!({"queue": "support", "interface": "PJSIP/202", "name": "Alex"}),
    )
    .await;
    let a = caller(sim, "+34600000001").await;
    next_event(
        &mut rx,
        |e| matches!(e, Event::AgentComplete(x) if x.caller.uniqueid == a),
    )
    .await;

    let pw = one.user("carla", &[Role::Coordinator]).await;
    let carla = Browser::signed_in(&two, "carla", &pw).await;
    let v = stats_until(&carla, |v| figures(v)["talk_total_secs"] == 40).await;
    assert_eq!(figures(&v)["received"], 1);
    assert_eq!(figures(&v)["answered"], 1);
    assert_eq!(v["stats"]["agents"][0]["answered"], 1);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM queue_calls")
        .fetch_one(&one.db)
        .await
        .expect("count");
    assert_eq!(rows, 1);
}

fn channel(uniqueid: &str) -> CallerChannel {
    CallerChannel {
        channel: format!("PJSIP/trunk-{uniqueid}"),
        number: "+34600000009".into(),
        name: None,
        uniqueid: uniqueid.into(),
        linkedid: None,
    }
}

fn join(uniqueid: &str) -> Event {
    Event::QueueCallerJoin(CallerJoin {
        queue: "support".into(),
        position: 1,
        count: 1,
        caller: channel(uniqueid),
    })
}

fn agent(uniqueid: &str, interface: &str, hold: Option<u32>, talk: Option<u32>) -> AgentCall {
    AgentCall {
        queue: "support".into(),
        interface: interface.into(),
        member_name: format!("Agent {}", &interface[6..]),
        caller: channel(uniqueid),
        hold_time_secs: hold,
        ring_time_secs: Some(2),
        talk_time_secs: talk,
        reason: talk.map(|_| "caller".to_string()),
    }
}

/// Four calls recorded through the service with the PBX's times: answered after 5 s (talk 60),
/// after exactly 20 s (talk 100), after 21 s (talk 30, by another agent), one abandoned after 40 s.
async fn record_day(app: &TestApp) {
    let now = chrono::Utc::now();
    let op = Actor::Operator;
    let events = vec![
        join("1.1"),
        Event::AgentConnect(agent("1.1", "PJSIP/202", Some(5), None)),
        Event::AgentComplete(agent("1.1", "PJSIP/202", Some(5), Some(60))),
        join("1.2"),
        Event::AgentConnect(agent("1.2", "PJSIP/202", Some(20), None)),
        Event::AgentComplete(agent("1.2", "PJSIP/202", Some(20), Some(100))),
        // Seen only when it ended (the recorder was not running before).
        Event::AgentComplete(agent("1.3", "PJSIP/203", Some(21), Some(30))),
        join("1.4"),
        Event::QueueCallerAbandon(CallerAbandon {
            queue: "support".into(),
            position: 1,
            original_position: 1,
            hold_time_secs: 40,
            caller: channel("1.4"),
        }),
    ];
    for e in &events {
        assert_eq!(
            stats::record(&app.services, &op, e, now).await.expect("recorded"),
            Recorded::Changed,
            "{e:?}"
        );
    }
    // Seen again (a second recorder, a repeated event): nothing changes.
    for e in &events {
        assert_eq!(
            stats::record(&app.services, &op, e, now).await.expect("recorded"),
            Recorded::Unchanged,
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn repeated_events_change_nothing_and_events_missing_fields_are_refused() {
    let app = TestApp::spawn().await;
    record_day(&app).await;
    let op = Actor::Operator;
    let now = chrono::Utc::now();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM queue_calls")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(before, 4);
    // No HoldTime on an answer, no Uniqueid on a join: refused naming the field, nothing stored.
    match stats::record(
        &app.services,
        &op,
        &Event::AgentConnect(agent("2.1", "PJSIP/202", None, None)),
        now,
    )
    .await
    {
        Err(ServiceError::Invalid(e)) => assert_eq!(e[0].field, "HoldTime"),
        other => panic!("{other:?}"),
    }
    match stats::record(&app.services, &op, &join("  "), now).await {
        Err(ServiceError::Invalid(e)) => assert_eq!(e[0].field, "Uniqueid"),
        other => panic!("{other:?}"),
    }
    // A late abandon of an answered call changes nothing either.
    let late = Event::QueueCallerAbandon(CallerAbandon {
        queue: "support".into(),
        position: 1,
        original_position: 1,
        hold_time_secs: 99,
        caller: channel("1.1"),
    });
    assert_eq!(
        stats::record(&app.services, &op, &late, now).await.expect("recorded"),
        Recorded::Unchanged
    );
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM queue_calls")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(after, 4);
}

#[tokio::test]
async fn the_csv_export_and_the_chat_text_give_the_days_figures_to_coordinators_only() {
    let app = TestApp::spawn().await;
    record_day(&app).await;
    let carla_pw = app.user("carla", &[Role::Coordinator]).await;
    let alex_pw = app.user("alex", &[Role::Agent]).await;
    let carla = Browser::signed_in(&app, "carla", &carla_pw).await;
    let alex = Browser::signed_in(&app, "alex", &alex_pw).await;

    // Agents are refused the export and the figures; no session is 401.
    assert_eq!(
        alex.get("/api/queue/stats.csv").await.status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let (status, _) = alex.call("/api/queue/stats", json!({"day": null})).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    assert_eq!(
        Browser::new(&app).get("/api/queue/stats.csv").await.status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    // A bad or future day is 400 naming it.
    for day in ["03/12/2026", "2999-01-01"] {
        let res = carla.get(&format!("/api/queue/stats.csv?day={day}")).await;
        assert_eq!(res.status(), reqwest::StatusCode::BAD_REQUEST, "{day}");
        let body: Value = res.json().await.expect("error body");
        assert_eq!(body["field"], "day");
    }

    let res = carla.get("/api/queue/stats.csv").await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().expect("type"),
        "text/csv; charset=utf-8"
    );
    let disposition = res.headers()["content-disposition"].to_str().expect("name").to_string();
    let csv = res.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "kind,key,name,received,answered,abandoned,unanswered,wait_avg_secs,wait_max_secs,\
         abandoned_wait_avg_secs,answered_within_20s,answered_within_20s_share,talk_total_secs,talk_avg_secs"
    );
    let (_, v) = carla.call("/api/queue/stats", json!({"day": null})).await;
    let today = v.expect("stats")["today"].as_str().expect("today").to_string();
    assert_eq!(disposition, format!("attachment; filename=\"queue-stats-{today}.csv\""));
    // Waits 5, 20, 21, 40: 21.5 on average; within 20 s: 2 of 4; talk 60 + 100 + 30.
    assert_eq!(
        lines[1],
        format!("day,{today},Europe/Madrid,4,3,1,0,21.5,40,40.0,2,0.500,190,63.3")
    );
    let hours: Vec<&str> = lines.iter().filter(|l| l.starts_with("hour,")).copied().collect();
    assert_eq!(hours.len(), 24);
    assert_eq!(
        hours.iter().filter(|l| l.split(',').nth(3) == Some("4")).count(),
        1,
        "the four calls joined in one hour: {hours:?}"
    );
    let agents: Vec<&str> = lines.iter().filter(|l| l.starts_with("agent,")).copied().collect();
    assert_eq!(
        agents,
        vec![
            "agent,PJSIP/202,Agent 202,,2,,,12.5,,,,,160,80.0",
            "agent,PJSIP/203,Agent 203,,1,,,21.0,,,,,30,30.0",
        ]
    );

    let day = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").expect("day");
    let text = stats::day_summary_text(&app.services, &Actor::Operator, day)
        .await
        .expect("text");
    assert!(
        text.ends_with(
            ": 4 calls, 3 answered (75 %), 1 abandoned (after 0:40 on average). \
             Wait 0:22 on average, 0:40 at most; 50 % answered within 20 s. \
             Talk 1:03 on average, 3:10 in all. Answered by: Agent 202 2, Agent 203 1."
        ),
        "{text}"
    );
    assert!(matches!(
        stats::day_summary_text(&app.services, &Actor::Operator, day + chrono::Duration::days(1)).await,
        Err(ServiceError::Invalid(_))
    ));
}

#[tokio::test]
async fn the_page_is_for_coordinators_managers_and_admins() {
    let app = TestApp::spawn().await;
    let carla_pw = app.user("carla", &[Role::Coordinator]).await;
    let alex_pw = app.user("alex", &[Role::Agent]).await;
    let carla = Browser::signed_in(&app, "carla", &carla_pw).await;
    let alex = Browser::signed_in(&app, "alex", &alex_pw).await;
    let page = carla.get("/queue/stats").await.text().await.expect("page");
    assert!(page.contains("Call statistics"), "{page}");
    assert!(page.contains("No calls this day."));
    let page = alex.get("/queue/stats").await.text().await.expect("page");
    assert!(page.contains("403 · No access"));
    assert!(!page.contains("stats-figures"));
}
