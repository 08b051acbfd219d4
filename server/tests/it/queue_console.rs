//! The live queue console's server functions over HTTP, with pbxsim behind the AMI adapter:
//! the board follows the PBX's events (and tells the browsers on `queue.board`), coordinators
//! pause with a reason and resume, agents may look but not steer, bad input changes nothing,
//! and each change is logged with who made it.
use crate::common::*;
use app::ports::{Pbx, QueueMemberSpec};
use app::queue::rules::board::Board;
use app::queue::service::{QueueLink, QueueSettings};
use serde_json::{Value, json};
use server::pbx::ami::AmiClient;
use server::pbx::sim::{self, PbxsimConfig};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Polls the board until `ok` holds (the PBX's events arrive asynchronously).
async fn board_until(b: &Browser, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        let (status, body) = b.call("/api/queue/board", json!({})).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body:?}");
        let v = body.expect("board");
        if ok(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the board never got there: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

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

    let pbxsim = sim::spawn(PbxsimConfig::new("switchboard", "console-secret"))
        .await
        .expect("pbxsim");
    let client = AmiClient::spawn(pbxsim.ami_config());
    let board = Arc::new(RwLock::new(Board::new("support", chrono::Utc::now())));
    tokio::spawn(server::workers::queue::keep_board(
        app.services.clone(),
        client.clone(),
        board.clone(),
    ));
    assert!(
        app.services
            .queue
            .set(QueueLink {
                pbx: client.clone(),
                board,
                settings: QueueSettings {
                    queue: "support".into(),
                    interface_template: "PJSIP/{extension}".into(),
                },
            })
            .is_ok()
    );
    let mut sse = Sse::open(&carla).await;
    board_until(&alex, |v| v["board"]["connected"] == true).await;
    // Added at the PBX (by anyone): on the board, and the browsers are told.
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        match client
            .add_member(QueueMemberSpec {
                queue: "support".into(),
                interface: "PJSIP/202".into(),
                member_name: "Alex".into(),
                paused: false,
                reason: None,
            })
            .await
        {
            Ok(()) => break,
            Err(e) => assert!(tokio::time::Instant::now() < deadline, "{e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    let paused = pbxsim.state()["queues"]["support"]["members"][0]["paused"].clone();
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
    assert_eq!(pbxsim.state()["queues"]["support"]["members"][0]["paused"], true);

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
