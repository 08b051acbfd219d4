//! The AMI adapter (the `Pbx` port) against pbxsim over real TCP: login, the queue actions and
//! their refusals, the reconciling snapshot after every (re)connect, a refused login, a PBX
//! that restarts, and the desk calls stamped answered and ended from the PBX's events.
use crate::common::*;
use app::ports::{Pbx, PbxError, PbxNews, QueueMemberSpec};
use app::queue::rules::ami::Refusal;
use serde_json::json;
use server::pbx::ami::{AmiClient, AmiConfig};
use server::pbx::sim::{self, PbxsimConfig, RingingTarget};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;

const SECRET: &str = "adapter-test-secret";

type Stamp = Option<chrono::DateTime<chrono::Utc>>;

fn config() -> PbxsimConfig {
    crate::common::pbx::config(SECRET, 20.0)
}

/// The next news matching `want` (others skipped), within the hang guard.
async fn news(rx: &mut Receiver<PbxNews>, want: impl Fn(&PbxNews) -> bool) -> PbxNews {
    tokio::time::timeout(HANG_GUARD, async {
        loop {
            let n = rx.recv().await.expect("PBX news");
            if want(&n) {
                return n;
            }
        }
    })
    .await
    .expect("the PBX news came in time")
}

fn member(interface: &str) -> QueueMemberSpec {
    QueueMemberSpec {
        queue: "support".into(),
        interface: interface.into(),
        member_name: "Alex".into(),
        paused: false,
        reason: None,
    }
}

#[tokio::test]
async fn the_adapter_logs_in_changes_members_and_reads_the_queue() {
    let sim = sim::spawn(config()).await.expect("pbxsim");
    let client = AmiClient::spawn(sim.ami_config());
    let mut rx = client.subscribe();
    news(&mut rx, |n| matches!(n, PbxNews::Connected)).await;
    match news(&mut rx, |n| matches!(n, PbxNews::Snapshot(_))).await {
        PbxNews::Snapshot(s) => {
            assert_eq!(s.params.len(), 1);
            assert!(s.members.is_empty());
        }
        _ => unreachable!(),
    }

    client.add_member(member("PJSIP/202")).await.expect("added");
    assert_eq!(
        client.add_member(member("PJSIP/202")).await,
        Err(PbxError::Refused(Refusal::AlreadyThere))
    );
    let mut elsewhere = member("PJSIP/202");
    elsewhere.queue = "sales".into();
    assert_eq!(
        client.add_member(elsewhere).await,
        Err(PbxError::Refused(Refusal::NoSuchQueue))
    );
    client
        .pause(Some("support"), "PJSIP/202", true, Some("training"))
        .await
        .expect("paused");
    let s = client.queue_status(Some("support")).await.expect("status");
    assert_eq!(s.members.len(), 1);
    assert!(s.members[0].paused);
    assert_eq!(s.members[0].paused_reason.as_deref(), Some("training"));
    // The member's events reach subscribers too.
    news(&mut rx, |n| {
        matches!(n, PbxNews::Event(app::queue::rules::ami::Event::QueueMemberPause(_)))
    })
    .await;

    client.remove_member("support", "PJSIP/202").await.expect("removed");
    assert_eq!(
        client.remove_member("support", "PJSIP/202").await,
        Err(PbxError::Refused(Refusal::NotThere))
    );
    assert!(client.queue_status(None).await.expect("status").members.is_empty());
}

#[tokio::test]
async fn a_refused_login_leaves_the_pbx_unavailable() {
    let sim = sim::spawn(config()).await.expect("pbxsim");
    let client = AmiClient::spawn(AmiConfig {
        addr: sim.ami_addr,
        username: "switchboard".into(),
        secret: "wrong".into(),
    });
    let mut rx = client.subscribe();
    match news(&mut rx, |n| matches!(n, PbxNews::Disconnected(_))).await {
        PbxNews::Disconnected(why) => assert!(why.contains("authentication failed"), "{why}"),
        _ => unreachable!(),
    }
    assert!(matches!(
        client.add_member(member("PJSIP/202")).await,
        Err(PbxError::Unavailable(_))
    ));
    assert!(
        sim.state()["queues"]["support"]["members"]
            .as_array()
            .expect("members")
            .is_empty()
    );
}

#[tokio::test]
async fn after_the_pbx_restarts_the_adapter_reconnects_and_reconciles() {
    let sim1 = sim::spawn(config()).await.expect("pbxsim");
    let addr = sim1.ami_addr;
    let client = AmiClient::spawn(sim1.ami_config());
    let mut rx = client.subscribe();
    news(&mut rx, |n| matches!(n, PbxNews::Snapshot(_))).await;
    client.add_member(member("PJSIP/202")).await.expect("added");

    drop(sim1);
    news(&mut rx, |n| matches!(n, PbxNews::Disconnected(_))).await;
    assert!(matches!(
        client.add_member(member("PJSIP/203")).await,
        Err(PbxError::Unavailable(_))
    ));

    // The PBX comes back on the same address with what its configuration gives (no members).
    let mut cfg = config();
    cfg.ami_addr = addr;
    let _sim2 = sim::spawn(cfg).await.expect("pbxsim again");
    news(&mut rx, |n| matches!(n, PbxNews::Connected)).await;
    match news(&mut rx, |n| matches!(n, PbxNews::Snapshot(_))).await {
        PbxNews::Snapshot(s) => assert!(s.members.is_empty(), "the snapshot is the new PBX's"),
        _ => unreachable!(),
    }
    client.add_member(member("PJSIP/202")).await.expect("added again");
}

#[tokio::test]
async fn the_pbx_answered_and_ended_times_reach_the_desk_call() {
    let app = TestApp::spawn().await;
    app.user("alex", &[Role::Agent]).await;
    sqlx::query(
        "INSERT INTO people (handle, full_name, extension, user_id)
         SELECT 'alex', 'Alex', '202', id FROM users WHERE username = 'alex'",
    )
    .execute(&app.db)
    .await
    .expect("person");
    let mut cfg = config();
    cfg.ringing = Some(RingingTarget {
        url: format!("{}/api/pbx/ringing", app.url),
        token: app.token("pbx", &[Scope::Pbx]).await,
    });
    let sim = sim::spawn(cfg).await.expect("pbxsim");
    let client = AmiClient::spawn(sim.ami_config());
    let mut rx = client.subscribe();
    tokio::spawn(server::workers::pbx::run(
        app.services.clone(),
        client.clone() as Arc<dyn Pbx>,
    ));
    news(&mut rx, |n| matches!(n, PbxNews::Snapshot(_))).await;
    client.add_member(member("PJSIP/202")).await.expect("added");

    let res = reqwest::Client::new()
        .post(format!("{}/pbxsim/callers", sim.control_url()))
        .bearer_auth(SECRET)
        .json(&json!({"queue": "support", "number": "+34612000111"}))
        .send()
        .await
        .expect("caller");
    let uid = res.json::<serde_json::Value>().await.expect("json")["uniqueid"]
        .as_str()
        .expect("uniqueid")
        .to_string();

    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        let row: Option<(Stamp, Stamp)> =
            sqlx::query_as("SELECT answered_at, ended_at FROM desk_calls WHERE pbx_call_id = $1")
                .bind(&uid)
                .fetch_optional(&app.db)
                .await
                .expect("desk call");
        if let Some((Some(answered), Some(ended))) = row {
            assert!(answered <= ended);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the desk call was not stamped answered and ended: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
