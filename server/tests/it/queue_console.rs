//! The live queue console's server functions over HTTP, with pbxsim behind the AMI adapter:
//! the board follows the PBX's events (and tells the browsers on `queue.board`), coordinators
//! pause with a reason and resume, agents may look but not steer, bad input changes nothing,
//! and each change is logged with who made it.
use crate::common::pbx::{self, Workers, board_until};
use crate::common::*;
use serde_json::{Value, json};

fn member_of<'a>(v: &'a Value, interface: &str) -> &'a Value {
    &v["board"]["members"][interface]
}

#[tokio::test]
async fn the_console_follows_the_pbx_and_coordinators_pause_and_resume() {
    let app = TestApp::spawn().await;
    let carla_pw = app.user("carla", &[Role::Coordinator]).await;
    let alex_pw = app.user("alex", &[Role::Agent]).await;
    let carla = Browser::signed_in(&app, "carla", &carla_pw).await;
    let alex = Browser::signed_in(&app, "alex", &alex_pw).await;

    // No PBX connected yet: a clear 404, not a crash.
    let (status, _) = alex.call("/api/queue/board", json!({})).await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);

    let rig = pbx::start(&app, pbx::config("console-secret", 1.0), Workers::Board).await;
    let mut sse = Sse::open(&carla).await;
    board_until(&alex, |v| v["board"]["connected"] == true).await;
    // Added at the PBX (by anyone): on the board, and the browsers are told.
    rig.add_member("PJSIP/202", "Alex").await;
    let v = board_until(&alex, |v| member_of(v, "PJSIP/202")["state"] == "available").await;
    assert_eq!(member_of(&v, "PJSIP/202")["name"], "Alex");
    // The browsers are sent the board itself, with the new member on it.
    loop {
        let ev = sse.next_event().await;
        if ev["topic"] == "queue.board" && ev["data"]["board"]["members"]["PJSIP/202"]["name"] == "Alex" {
            break;
        }
    }

    // Agents look but do not steer; a pause needs a reason; an unknown member is refused.
    let (status, _) = alex
        .call(
            "/api/queue/pause",
            json!({"interface": "PJSIP/202", "paused": true, "reason": "x"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    let res = carla
        .call(
            "/api/queue/pause",
            json!({"interface": "PJSIP/202", "paused": true, "reason": " "}),
        )
        .await;
    assert_invalid(&res, "reason");
    let res = carla
        .call(
            "/api/queue/pause",
            json!({"interface": "PJSIP/999", "paused": true, "reason": "x"}),
        )
        .await;
    assert_invalid(&res, "interface");
    let paused = rig.sim.state()["queues"]["support"]["members"][0]["paused"].clone();
    assert_eq!(paused, false, "refused calls changed nothing");

    let (status, body) = carla
        .call(
            "/api/queue/pause",
            json!({"interface": "PJSIP/202", "paused": true, "reason": "training"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body:?}");
    let v = board_until(&alex, |v| member_of(v, "PJSIP/202")["state"] == "paused").await;
    assert_eq!(member_of(&v, "PJSIP/202")["paused_reason"], "training");
    assert_eq!(rig.sim.state()["queues"]["support"]["members"][0]["paused"], true);

    let (status, _) = carla
        .call("/api/queue/pause", json!({"interface": "PJSIP/202", "paused": false}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let v = board_until(&alex, |v| member_of(v, "PJSIP/202")["state"] == "available").await;
    let log: Vec<String> = v["log"]
        .as_array()
        .expect("log")
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l["source"].as_str().unwrap_or(""),
                l["who"].as_str().unwrap_or("-"),
                l["what"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        log,
        vec![
            "coordinator carla resumed PJSIP/202".to_string(),
            "coordinator carla paused PJSIP/202: training".to_string()
        ]
    );
}
