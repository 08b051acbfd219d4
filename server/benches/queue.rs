//! The queue benchmark, against pbxsim over real TCP (AMI) and the app over real HTTP:
//! 1. a turn boundary for a queue of 100 members: the rota's 100 people of a turn added (the
//!    first boundary of the day), then swapped for the next turn's 100 (100 removed, 100
//!    added), through the queue service as the worker calls it (target ≤ 1 s each);
//! 2. AMI event → the new state received by 200 signed-in live-event streams (SSE clients),
//!    at 100 events/s: a second AMI client pauses a member with a new reason every 10 ms,
//!    pbxsim sends `QueueMemberPause` to the app's adapter, the board goes out on `queue.board`;
//!    the latency of an event is from its action's sending until a stream receives a board
//!    showing it (or a later one), for every stream (target p99 ≤ 100 ms).
//!
//! Run with `make bench` or `cargo bench -p server --bench queue`; the figures are printed and
//! written to `bench/results/queue.md`. A broken step makes the process exit non-zero after
//! writing the report; slow figures do not.
mod support;

use app::accounts::rules::roles::Role;
use app::ports::Pbx;
use app::queue::rules::board::Board;
use app::queue::service::{self, QueueLink, QueueSettings, Source};
use app::shell::service::Actor;
use futures::StreamExt;
use server::pbx::ami::AmiClient;
use server::pbx::sim::{self, PbxsimConfig};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use support::{Stats, load_average, sign_in};

const MEMBERS: usize = 100;
const BOUNDARIES: usize = 6;
const STREAMS: usize = 200;
const EVENT_RATE: u64 = 100;
const EVENT_SECS: u64 = 10;
const QUEUE: &str = "support";

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn pct(samples: &[Duration], p: f64) -> Duration {
    let mut v = samples.to_vec();
    v.sort();
    v.get(((p * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1)) - 1)
        .copied()
        .unwrap_or_default()
}

fn settings() -> QueueSettings {
    QueueSettings {
        queue: QUEUE.into(),
        interface_template: "PJSIP/{extension}".into(),
    }
}

/// Waits (bounded) until the adapter is logged in to pbxsim.
async fn connected(client: &AmiClient) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.queue_status(Some(QUEUE)).await.is_err() {
        if Instant::now() > deadline {
            return Err("the AMI adapter never connected to pbxsim".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Part 1: a published week whose Monday turns 1 and 2 each seat 100 people with an extension.
async fn boundaries(md: &mut String, failures: &mut Vec<String>) {
    let db = server::testing::fresh_db().await;
    let services = app::shell::ctx::Services::new(db.clone());
    sqlx::query(
        "UPDATE team_settings SET turn_boundaries = ARRAY['09:00','10:15','11:30'], time_zone = 'Europe/Madrid'",
    )
    .execute(&db)
    .await
    .expect("team settings");
    sqlx::query(
        "INSERT INTO rota_weeks (monday, status, turn_boundaries, time_zone, lines)
         VALUES ('2026-12-07', 'published', ARRAY['09:00','10:15','11:30'], 'Europe/Madrid', $1)",
    )
    .bind(MEMBERS as i32)
    .execute(&db)
    .await
    .expect("week");
    for i in 0..2 * MEMBERS {
        let id: i64 =
            sqlx::query_scalar("INSERT INTO people (handle, full_name, extension) VALUES ($1, $2, $3) RETURNING id")
                .bind(format!("p{i}"))
                .bind(format!("Person {i}"))
                .bind(format!("{}", 1000 + i))
                .fetch_one(&db)
                .await
                .expect("person");
        sqlx::query(
            "INSERT INTO rota_seats (monday, day, turn, line, person_id) VALUES ('2026-12-07', '2026-12-07', $1, $2, $3)",
        )
        .bind((i / MEMBERS) as i16)
        .bind((i % MEMBERS) as i16)
        .bind(id)
        .execute(&db)
        .await
        .expect("seat");
    }
    let pbxsim = sim::spawn(PbxsimConfig::new("switchboard", "bench-queue-secret"))
        .await
        .expect("pbxsim");
    let client = AmiClient::spawn(pbxsim.ami_config());
    if let Err(e) = connected(&client).await {
        failures.push(e);
        return;
    }
    let q = settings();
    // 09:30 and 10:30 in Madrid (UTC+1 in December): turn 1, then turn 2, alternately.
    let turn_1 = chrono::DateTime::parse_from_rfc3339("2026-12-07T08:30:00Z")
        .unwrap()
        .to_utc();
    let turn_2 = chrono::DateTime::parse_from_rfc3339("2026-12-07T09:30:00Z")
        .unwrap()
        .to_utc();
    let _ = writeln!(
        md,
        "## 1. A turn boundary for a queue of {MEMBERS} members (against pbxsim over AMI)\n"
    );
    let _ = writeln!(md, "| boundary | added | removed | time ms | target |");
    let _ = writeln!(md, "| --- | ---: | ---: | ---: | --- |");
    for k in 0..BOUNDARIES {
        let (now, what) = match k {
            0 => (turn_1, "first of the day (queue empty)"),
            _ if k % 2 == 1 => (turn_2, "turn 1 → turn 2"),
            _ => (turn_1, "turn 2 → turn 1"),
        };
        let t = Instant::now();
        let done = service::follow_rota(&services, &Actor::Operator, client.as_ref(), &q, now, Source::Rota).await;
        let took = t.elapsed();
        match done {
            Ok(d) => {
                let expected_removed = if k == 0 { 0 } else { MEMBERS };
                if d.added.len() != MEMBERS || d.removed.len() != expected_removed || !d.failed.is_empty() {
                    failures.push(format!(
                        "boundary {k}: added {}, removed {}, failed {:?}",
                        d.added.len(),
                        d.removed.len(),
                        d.failed
                    ));
                }
                println!("boundary {k} ({what}): {} ms", ms(took));
                let _ = writeln!(
                    md,
                    "| {what} | {} | {} | {} | ≤ 1000 ms |",
                    d.added.len(),
                    d.removed.len(),
                    ms(took)
                );
            }
            Err(e) => failures.push(format!("boundary {k}: {e}")),
        }
    }
    match client.queue_status(Some(QUEUE)).await {
        Ok(s) if s.members.len() == MEMBERS => {}
        Ok(s) => failures.push(format!("pbxsim holds {} members, not {MEMBERS}", s.members.len())),
        Err(e) => failures.push(format!("queue status: {e}")),
    }
    let _ = writeln!(md);
}

/// Part 2: 200 streams, 100 events/s.
async fn fan_out(md: &mut String, failures: &mut Vec<String>) {
    let db = server::testing::fresh_db().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sessions = server::web::SessionSettings {
        key: (0..64).map(|_| rand::random::<u8>()).collect(),
        secure: false,
        idle_minutes: 60,
        idle_seconds: None,
    };
    let site = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    let running = server::start_with(
        db.clone(),
        listener,
        &site.to_string_lossy(),
        sessions,
        server::StartOptions::default(),
        std::future::pending(),
    )
    .await
    .expect("start the app");
    let base = format!("http://{}", running.addr);

    // The app's PBX: pbxsim behind the AMI adapter, the board kept from its events.
    let pbxsim = sim::spawn(PbxsimConfig::new("switchboard", "bench-queue-secret"))
        .await
        .expect("pbxsim");
    let client = AmiClient::spawn(pbxsim.ami_config());
    let board = Arc::new(RwLock::new(Board::new(QUEUE, chrono::Utc::now())));
    tokio::spawn(server::workers::queue::keep_board(
        running.services.clone(),
        client.clone(),
        board.clone(),
    ));
    let _ = running.services.queue.set(QueueLink {
        pbx: client.clone(),
        board,
        settings: settings(),
    });
    if let Err(e) = connected(&client).await {
        failures.push(e);
        return;
    }
    let member = "PJSIP/1000";
    if let Err(e) = client
        .add_member(app::ports::QueueMemberSpec {
            queue: QUEUE.into(),
            interface: member.into(),
            member_name: "Bench Member".into(),
            paused: false,
            reason: None,
        })
        .await
    {
        failures.push(format!("adding the member: {e}"));
        return;
    }
    // Who changes the queue: another AMI client, as a second manager connection would.
    let other = AmiClient::spawn(pbxsim.ami_config());
    if let Err(e) = connected(&other).await {
        failures.push(e);
        return;
    }

    // 200 signed-in streams (one coordinator's session: each stream is checked like any other).
    let password = "bench-queue-password-1";
    app::accounts::service::create_user(
        &db,
        &Actor::Operator,
        "bench",
        "Bench",
        &[Role::Coordinator],
        Some(password.into()),
    )
    .await
    .expect("coordinator");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(STREAMS + 8)
        .build()
        .unwrap();
    let cookie = match sign_in(&http, &base, "bench", password).await {
        Ok(c) => c,
        Err(e) => {
            failures.push(e);
            return;
        }
    };
    let total = (EVENT_RATE * EVENT_SECS) as usize;
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; total]));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(STREAMS);
    let mut readers = Vec::new();
    for _ in 0..STREAMS {
        let res = http
            .get(format!("{base}/api/events"))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await;
        let res = match res {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                failures.push(format!("/api/events answered {}", r.status()));
                return;
            }
            Err(e) => {
                failures.push(format!("/api/events: {e}"));
                return;
            }
        };
        let sent = sent.clone();
        let ready = ready_tx.clone();
        readers.push(tokio::spawn(async move {
            let mut stream = res.bytes_stream();
            let mut buf = String::new();
            let mut seen: usize = 0; // events 0..seen were shown to this stream
            let mut latencies = Vec::with_capacity(total);
            let _ = ready.send(()).await;
            let end = tokio::time::Instant::now() + Duration::from_secs(EVENT_SECS + 15);
            while seen < total {
                let chunk = match tokio::time::timeout_at(end, stream.next()).await {
                    Ok(Some(Ok(c))) => c,
                    _ => break,
                };
                let at = Instant::now();
                buf.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
                while let Some(cut) = buf.find("\n\n") {
                    let block: String = buf.drain(..cut + 2).collect();
                    let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) else {
                        continue;
                    };
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim_start()) else {
                        continue;
                    };
                    if v["topic"] != "queue.board" {
                        continue;
                    }
                    let reason = v["data"]["board"]["members"][member]["paused_reason"]
                        .as_str()
                        .unwrap_or("");
                    let Some(n) = reason.strip_prefix("bench ").and_then(|n| n.parse::<usize>().ok()) else {
                        continue;
                    };
                    let times = sent.lock().unwrap();
                    while seen <= n && seen < total {
                        if let Some(t) = times[seen] {
                            latencies.push(at.saturating_duration_since(t));
                        }
                        seen += 1;
                    }
                }
            }
            (latencies, seen)
        }));
    }
    drop(ready_tx);
    for _ in 0..STREAMS {
        let _ = ready_rx.recv().await;
    }
    // Let the streams' first frames (the "connected" comment) settle before the clock starts.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / EVENT_RATE));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut refused = 0usize;
    let started = Instant::now();
    for n in 0..total {
        tick.tick().await;
        sent.lock().unwrap()[n] = Some(Instant::now());
        let reason = format!("bench {n}");
        if other.pause(Some(QUEUE), member, true, Some(&reason)).await.is_err() {
            refused += 1;
        }
    }
    let sending = started.elapsed();
    let mut all = Vec::new();
    let mut short = 0usize;
    for r in readers {
        match r.await {
            Ok((lat, seen)) => {
                if seen < total {
                    short += 1;
                }
                all.extend(lat);
            }
            Err(e) => failures.push(format!("a stream reader failed: {e}")),
        }
    }
    if refused > 0 {
        failures.push(format!("{refused} pause actions refused"));
    }
    if short > 0 {
        failures.push(format!("{short} of {STREAMS} streams never saw the last event"));
    }
    let s = Stats::of(&all);
    let p99 = pct(&all, 0.99);
    println!(
        "{total} events in {:.1} s to {STREAMS} streams: p50 {} ms, p99 {} ms, max {} ms",
        sending.as_secs_f64(),
        ms(s.p50),
        ms(p99),
        ms(s.max)
    );
    let _ = writeln!(
        md,
        "## 2. AMI event → state received by {STREAMS} live-event streams at {EVENT_RATE} events/s\n"
    );
    let _ = writeln!(
        md,
        "{total} `QueuePause` actions (a new reason each) sent by a second AMI client in {:.1} s; pbxsim's `QueueMemberPause` reaches the app's adapter, the board goes out on `queue.board` (gathered for at most {} ms); each stream's latency per event is from the action's sending until it receives a board showing that event or a later one ({} samples).\n",
        sending.as_secs_f64(),
        server::workers::queue::BOARD_GATHER.as_millis(),
        all.len()
    );
    let _ = writeln!(md, "| p50 ms | p95 ms | p99 ms | max ms | target |");
    let _ = writeln!(md, "| ---: | ---: | ---: | ---: | --- |");
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | p99 ≤ 100 ms |\n",
        ms(s.p50),
        ms(pct(&all, 0.95)),
        ms(p99),
        ms(s.max)
    );
}

#[tokio::main]
async fn main() {
    let mut failures: Vec<String> = Vec::new();
    let mut md = String::new();
    let _ = writeln!(md, "# Queue benchmark\n");
    let _ = writeln!(
        md,
        "Run {} on {} cores; load average at start: {}.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        load_average()
    );
    let _ = writeln!(
        md,
        "Build: {}. pbxsim, the app and the clients run in this one process (real TCP and HTTP on loopback).\n",
        if cfg!(debug_assertions) {
            "debug (`cargo test --bench queue`), not release: figures are pessimistic"
        } else {
            "release (`cargo bench --bench queue`)"
        }
    );
    boundaries(&mut md, &mut failures).await;
    fan_out(&mut md, &mut failures).await;
    let _ = writeln!(md, "Load average at the end: {}.\n", load_average());
    if !failures.is_empty() {
        let _ = writeln!(md, "## Failures\n");
        for f in &failures {
            let _ = writeln!(md, "- {f}");
        }
    }
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/results/queue.md");
    std::fs::write(&out, &md).expect("write bench/results/queue.md");
    println!("written {}", out.display());
    if !failures.is_empty() {
        eprintln!("queue bench: {failures:?}");
        std::process::exit(1);
    }
}
