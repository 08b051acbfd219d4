//! Shutdown as an operator does it: the built `switchboard serve` process, signed-in browsers
//! with their live-event streams open and a callout dialling, then SIGTERM. The streams end at
//! once, the dialer stops claiming and retires (others look after its calls at once), a solver
//! run going is stopped with its timetable kept, and the process exits within seconds.

use crate::common::*;
use app::shell::service::Actor;
use reqwest::StatusCode;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The seed of the solver run that holds until it is stopped (the worker's test hook).
const HOLD_SEED: i64 = 4242;

/// A guard for the whole exit, not a timing asserted: before the fix the process never exited.
const EXIT_GUARD: Duration = Duration::from_secs(15);

/// The process and its data folder: killed and removed when the test ends, pass or fail.
struct Serve(Child, std::path::PathBuf);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn serve_exits_soon_after_sigterm_with_streams_open_a_callout_dialling_and_a_solver_run_going() {
    let db = server::testing::fresh_db().await;
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&db)
        .await
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = std::env::temp_dir().join(format!("sb-shutdown-{name}"));
    let base = format!("http://127.0.0.1:{port}");
    let site = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("DATABASE_URL", format!("{}/{name}", server::testing::server_url()))
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_DATA_DIR", &data)
        .env("SWITCHBOARD_ADMIN_PASSWORD", "shutdown-admin-password")
        .env("SWITCHBOARD_DIALER_TICK_MS", "50")
        .env("SWITCHBOARD_SOLVER_HOLD_SEED", HOLD_SEED.to_string())
        .env("LEPTOS_SITE_ROOT", &site)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start switchboard serve");
    let mut serve = Serve(child, data.clone());
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = serve.0.try_wait().unwrap() {
            panic!("serve ended before it was ready: {status}");
        }
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            break;
        }
        assert!(Instant::now() < deadline, "timed out waiting for serve to be ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Two signed-in browsers with their streams open.
    let admin = Browser::at(&base);
    admin.sign_in("admin", "shutdown-admin-password").await;
    let mut streams = vec![Sse::open(&admin).await, Sse::open(&admin).await];

    // A callout dialling: contacts, a callout, started; wait until calls are being placed.
    let (_, token) = app::accounts::service::create_token(&db, &Actor::Operator, "shutdown", &[Scope::Callouts])
        .await
        .unwrap();
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let contacts: Vec<_> = (0..60)
        .map(|i| json!({"phone": format!("+346000{:05}", i * 10 + i % 5)}))
        .collect();
    assert_eq!(
        post("/api/v1/contacts/bulk", json!(contacts)).await.unwrap().status(),
        StatusCode::OK
    );
    let res = post(
        "/api/v1/callouts",
        json!({"name": "Shutdown", "caller_id": "+34930000000", "max_concurrent_calls": 5}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    assert!(
        post(&format!("/api/v1/callouts/{id}/populate"), json!({}))
            .await
            .unwrap()
            .status()
            .is_success()
    );
    assert!(
        post(&format!("/api/v1/callouts/{id}/events"), json!({"event": "start"}))
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let calls = || {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM calls WHERE callout_id = $1")
                .bind(id)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    wait_until("calls to be placed", || async { calls().await > 0 }).await;
    let status: String = sqlx::query_scalar("SELECT status FROM callouts WHERE id = $1")
        .bind(id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(status, "running");

    // A solver run going: a small team (2 lines, ten people of 4 turns), a run that holds.
    let (status, ctx) = admin.call("/api/rota/context", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{ctx:?}");
    let mut settings = ctx.unwrap()["settings"].clone();
    settings["lines"] = json!(2);
    let (status, res) = admin.call("/api/rota/settings", json!({ "settings": settings })).await;
    assert_eq!(status, StatusCode::OK, "{res:?}");
    for i in 0..10 {
        rota::add_person(&db, rota::person(&format!("sd{i}"))).await;
    }
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(7);
    let (status, res) = admin
        .call(
            "/api/rota/timetable/generate",
            json!({"day": day, "seed": HOLD_SEED, "time_limit_s": 120.0, "repair": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "generate: {res:?}");
    let job = res.unwrap().as_i64().expect("a job id");
    let job_status = || {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT status FROM solver_jobs WHERE id = $1")
                .bind(job)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    wait_until("the solver run to be running", || async {
        job_status().await == "running"
    })
    .await;

    let pid = serve.0.id().to_string();
    let sent = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    for s in &mut streams {
        assert!(
            s.ends_within(EXIT_GUARD).await,
            "an event stream stayed open after SIGTERM"
        );
    }
    let streams_ended = sent.elapsed();
    let exit = loop {
        if let Some(status) = serve.0.try_wait().unwrap() {
            break status;
        }
        assert!(sent.elapsed() < EXIT_GUARD, "serve did not exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let exited = sent.elapsed();
    eprintln!("SIGTERM → streams ended in {streams_ended:?}, process exited in {exited:?} ({exit})");
    assert!(exit.success(), "serve exited with {exit}");

    // Nothing left to leases: the run ended stopped with a timetable, the dialer retired.
    assert_eq!(job_status().await, "stopped");
    let seats: i64 = sqlx::query_scalar("SELECT count(*) FROM rota_seats WHERE person_id IS NOT NULL")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(seats > 0, "the stopped run's timetable was stored");
    let instances: i64 = sqlx::query_scalar("SELECT count(*) FROM dialer_instances")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(instances, 0, "the dialer retired on its way out");
}
