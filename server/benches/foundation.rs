//! The foundation benchmark: the signed-in shell page under load, the cost of a sign-in, and
//! live-event (SSE) fan-out. Run with `make bench` or
//! `cargo bench -p server --bench foundation`; the figures are printed and written to
//! `bench/results/foundation.md`.
//!
//! The app runs in this process (`TestApp`: a fresh database in the embedded PostgreSQL, the
//! server on a port-0 loopback socket); `wrk` runs as a child process against it. Slow figures
//! do not fail the run (a benchmark is not a test), but a broken step does: a page that is not
//! the signed-in page, non-200 answers under load, a failed sign-in or missing live events make
//! the process exit non-zero after writing the report.
mod support;

use app::accounts::rules::roles::Role;
use futures::StreamExt;
use futures::future::join_all;
use server::testing::TestApp;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use support::{Stats, clock_ticks_per_second, command_line, load_average, proc_ticks, sign_in};

/// Connection counts for the shell-page load runs.
const SHELL_CONNECTIONS: [u32; 3] = [16, 32, 64];
/// Connection counts for the control runs without TCP_NODELAY.
const CONTROL_CONNECTIONS: [u32; 2] = [16, 64];
const SHELL_SECONDS: u32 = 10;
const WARMUP_SECONDS: u32 = 3;
const BREAKDOWN_SECONDS: u32 = 5;
const BREAKDOWN_CONNECTIONS: u32 = 16;
const WRK_THREADS: u32 = 2;

const TARGET_SHELL_RPS: f64 = 3000.0;
const TARGET_SHELL_P99_MS: f64 = 20.0;
const TARGET_SSE_P99_MS: f64 = 50.0;

const LOGIN_RUNS: usize = 20;
const QUERY_RUNS: usize = 500;

const SSE_CLIENTS: usize = 200;
const SSE_EVENTS: usize = 50;
const SSE_SPACING: Duration = Duration::from_millis(20);
/// Admins see it; the bench signs in as one.
const SSE_TOPIC: app::shell::topics::Topic = app::shell::topics::Topic::Users;

const USERNAME: &str = "bench";

type Res<T> = Result<T, String>;

/// The shared clock for publish → receipt latencies (publisher and clients are in this process).
fn clock() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn micros_now() -> i64 {
    clock().elapsed().as_micros() as i64
}

#[tokio::main]
async fn main() {
    clock();
    // The request log as `serve` configures it (INFO, one line per request), written nowhere:
    // its formatting cost is part of the figures, the terminal output is not.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn"))
        .with_writer(std::io::sink)
        .init();

    let mut report = Report::default();
    let outcome = run(&mut report).await;
    report.machine.load_end = load_average();
    if let Err(e) = &outcome {
        report.failures.push(format!("aborted: {e}"));
    }
    let md = report.markdown();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/results/foundation.md");
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&path, &md) {
        Ok(()) => println!("\nreport written to {}", path.display()),
        Err(e) => report.failures.push(format!("writing {}: {e}", path.display())),
    }
    if !report.failures.is_empty() {
        eprintln!("\nfoundation benchmark: broken steps:");
        for f in &report.failures {
            eprintln!("  - {f}");
        }
        std::process::exit(1);
    }
}

async fn run(report: &mut Report) -> Res<()> {
    report.machine = Machine::probe();
    let wrk = find_wrk()?;
    report.machine.wrk = command_line(&wrk, &["--version"])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();

    println!("starting the app on a fresh database in the embedded PostgreSQL …");
    let app = TestApp::spawn().await;
    report.machine.postgres = sqlx::query_scalar::<_, String>("SHOW server_version")
        .fetch_one(&app.db)
        .await
        .unwrap_or_default();
    let password = app.user(USERNAME, &[Role::Admin]).await;
    println!("app on {} ; user {USERNAME:?} (admin)", app.url);

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let cookie = sign_in(&http, &app.url, USERNAME, &password).await?;

    // 1. The signed-in shell page.
    let body_len = check_shell(&http, &app.url, &cookie).await?;
    report.shell_body_bytes = body_len;
    println!("\n== 1. signed-in shell page: GET / ({body_len} bytes, 200, shows the user) ==");
    let url_root = format!("{}/", app.url);
    wrk_run(&app.db, &wrk, &url_root, Some(&cookie), 16, WARMUP_SECONDS).await?; // warm-up, not reported
    for c in SHELL_CONNECTIONS {
        let r = wrk_run(&app.db, &wrk, &url_root, Some(&cookie), c, SHELL_SECONDS).await?;
        println!("{}", r.line(&format!("GET / signed in, -c{c}")));
        report.check_wrk(&format!("GET / -c{c}"), &r);
        report.shell.push((c, r));
    }
    // Still the signed-in page after the load (a session lost mid-run would have turned into
    // 303s, which wrk counts as successes).
    report.shell_body_bytes = check_shell(&http, &app.url, &cookie).await?;

    // Where the time goes: the same stack without the session, without the page, without both.
    println!("\n-- breakdown (-c{BREAKDOWN_CONNECTIONS}, {BREAKDOWN_SECONDS} s each) --");
    let healthz = format!("{}/healthz", app.url);
    let login_page = format!("{}/login", app.url);
    let cases: [(&str, &str, Option<&str>); 3] = [
        ("GET /healthz, no cookie: HTTP + middleware only", &healthz, None),
        (
            "GET /healthz, signed in: + session load + user load",
            &healthz,
            Some(&cookie),
        ),
        ("GET /login, no cookie: + SSR of a page, no database", &login_page, None),
    ];
    for (label, url, ck) in cases {
        let r = wrk_run(&app.db, &wrk, url, ck, BREAKDOWN_CONNECTIONS, BREAKDOWN_SECONDS).await?;
        println!("{}", r.line(label));
        report.check_wrk(label, &r);
        report.breakdown.push((label.to_string(), r));
    }
    if let Some((_, r)) = report.shell.iter().find(|(c, _)| *c == BREAKDOWN_CONNECTIONS) {
        let r = r.clone();
        println!("{}", r.line("GET / signed in: all of it (from above)"));
        report.breakdown.push((
            "GET /, signed in: session + user + SSR of the shell (from above)".into(),
            r,
        ));
    }
    // Control: the same router on a second listener left as `axum::serve` leaves sockets (Nagle's
    // algorithm on), to show what TCP_NODELAY in `server::start` is worth and to catch its loss.
    println!("\n-- control: the same router without TCP_NODELAY --");
    let control_url = spawn_control(&app).await?;
    let control_cookie = sign_in(&http, &control_url, USERNAME, &password).await?;
    check_shell(&http, &control_url, &control_cookie).await?;
    let control_root = format!("{control_url}/");
    for c in CONTROL_CONNECTIONS {
        let r = wrk_run(&app.db, &wrk, &control_root, Some(&control_cookie), c, SHELL_SECONDS).await?;
        println!("{}", r.line(&format!("GET / signed in, no TCP_NODELAY, -c{c}")));
        report.check_wrk(&format!("GET / without TCP_NODELAY -c{c}"), &r);
        report.control.push((c, r));
    }
    check_shell(&http, &control_url, &control_cookie).await?;

    report.queries = time_queries(&app).await?;
    let ops = db_ops_per_page(&app, &http, &cookie).await?;
    println!(
        "per signed-in GET / (sequential x{}): session reads {:.2}, session rows written {:.2}, users reads {:.2}; \
         latency {}",
        ops.requests,
        ops.session_reads,
        ops.session_writes,
        ops.user_reads,
        ops.latency.brief_ms()
    );
    report.db_ops = Some(ops);
    for (label, base) in [
        ("as served by `server::start`", &app.url),
        ("control without TCP_NODELAY", &control_url),
    ] {
        let addr: std::net::SocketAddr = base
            .trim_start_matches("http://")
            .parse()
            .map_err(|e| format!("{base}: {e}"))?;
        let ck = if base == &app.url { &cookie } else { &control_cookie };
        let (runs, last) = raw_get_timeline(addr, "/", ck, TIMELINE_REQUESTS).await?;
        if base == &app.url {
            let text = String::from_utf8_lossy(&last);
            report.shell_shape = Some(PageShape {
                chunks: http_chunk_count(&last),
                fragments: text.matches("<template").count(),
            });
        }
        for (i, pieces) in runs.iter().enumerate() {
            println!("GET / #{} on one connection, {label}: {}", i + 1, timeline_text(pieces));
        }
        report.timelines.push((label.to_string(), runs));
    }
    for (label, s) in &report.queries {
        println!("{label}: {}", s.brief_ms());
    }

    // 2. Sign-in cost.
    println!("\n== 2. sign-in (argon2id) ==");
    let hash = app::accounts::auth::hash_password(password.clone())
        .await
        .map_err(|e| format!("hashing: {e:?}"))?;
    report.argon2_params = hash.split('$').nth(3).unwrap_or_default().to_string();
    let mut verify = Vec::with_capacity(LOGIN_RUNS);
    for _ in 0..LOGIN_RUNS {
        let t = Instant::now();
        let ok = app::accounts::auth::verify_password(password.clone(), hash.clone()).await;
        verify.push(t.elapsed());
        if !ok {
            return Err("verify_password refused the right password".into());
        }
    }
    report.verify = Some(Stats::of(&verify));
    println!("verify_password x{LOGIN_RUNS}: {}", Stats::of(&verify).brief_ms());
    let mut logins = Vec::with_capacity(LOGIN_RUNS);
    for _ in 0..LOGIN_RUNS {
        let t = Instant::now();
        sign_in(&http, &app.url, USERNAME, &password).await?;
        logins.push(t.elapsed());
    }
    report.login = Some(Stats::of(&logins));
    println!(
        "POST /api/login x{LOGIN_RUNS} (sequential): {}",
        Stats::of(&logins).brief_ms()
    );

    // 3. SSE fan-out.
    println!("\n== 3. live events: {SSE_CLIENTS} SSE clients, {SSE_EVENTS} events ==");
    let sse = sse_fanout(&app, &cookie).await?;
    println!(
        "received {}/{}, publish→receipt {}; publish call {}",
        sse.received,
        SSE_CLIENTS * SSE_EVENTS,
        sse.latency.as_ref().map(Stats::brief_ms).unwrap_or_else(|| "-".into()),
        sse.publish.brief_ms()
    );
    if sse.received != SSE_CLIENTS * SSE_EVENTS {
        report.failures.push(format!(
            "SSE: {} of {} events received",
            sse.received,
            SSE_CLIENTS * SSE_EVENTS
        ));
    }
    for p in &sse.problems {
        report.failures.push(format!("SSE: {p}"));
    }
    report.sse = Some(sse);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Signing in and checking the page.

/// `GET /` with the cookie must be the signed-in page (200, the user's name), not a redirect.
async fn check_shell(http: &reqwest::Client, base: &str, cookie: &str) -> Res<usize> {
    let res = http
        .get(format!("{base}/"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .map_err(|e| format!("GET /: {e}"))?;
    let status = res.status();
    let location = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.map_err(|e| format!("GET / body: {e}"))?;
    if status != reqwest::StatusCode::OK {
        return Err(format!(
            "GET / signed in answered {status} (location {location:?}), not 200"
        ));
    }
    if !body.contains(&format!("Hello, {USERNAME}")) {
        return Err("GET / signed in answered 200 but the page does not greet the user".into());
    }
    dump("shell-reqwest.html", body.as_bytes());
    Ok(body.len())
}

// ---------------------------------------------------------------------------------------------
// wrk.

#[derive(Clone, Debug, Default)]
struct WrkResult {
    connections: u32,
    seconds: u32,
    rps: f64,
    requests: u64,
    p50_ms: f64,
    p75_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    non_2xx_3xx: u64,
    socket_errors: String,
    /// Answers the server counted (its own metrics) during the run, and how many were not 200.
    server_answers: u64,
    server_non_200: u64,
    /// CPU time per request (µs): this process (the app; the benchmark's own code is idle during
    /// a run), the PostgreSQL backends of the app's database, and the rest of the machine (wrk,
    /// and anything else running).
    cpu: Option<CpuPerRequest>,
}

#[derive(Clone, Debug, Default)]
struct CpuPerRequest {
    app_us: f64,
    pg_us: f64,
    rest_us: f64,
}

impl WrkResult {
    fn line(&self, label: &str) -> String {
        format!(
            "{label}: {:.0} req/s, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} requests{})",
            self.rps,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            self.requests,
            if self.socket_errors.is_empty() {
                String::new()
            } else {
                format!(", socket errors: {}", self.socket_errors)
            }
        ) + &self
            .cpu
            .as_ref()
            .map(|c| {
                format!(
                    "; CPU/request: app {:.0} µs, PostgreSQL {:.0} µs, rest {:.0} µs",
                    c.app_us, c.pg_us, c.rest_us
                )
            })
            .unwrap_or_default()
    }

    fn cpu_cells(&self) -> String {
        match &self.cpu {
            Some(c) => format!("{:.0} µs | {:.0} µs | {:.0} µs", c.app_us, c.pg_us, c.rest_us),
            None => "- | - | -".into(),
        }
    }
}

fn find_wrk() -> Res<String> {
    for candidate in ["wrk", "/usr/bin/wrk"] {
        if std::process::Command::new(candidate)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok()
        {
            return Ok(candidate.to_string());
        }
    }
    Err("wrk not found: run `scripts/bootstrap.sh bench` (or `apt-get install -y wrk`)".into())
}

/// Runs wrk as a child process while this process's runtime serves the requests.
async fn wrk_run(
    db: &app::shell::store::PgPool,
    wrk: &str,
    url: &str,
    cookie: Option<&str>,
    connections: u32,
    seconds: u32,
) -> Res<WrkResult> {
    let before = server_get_counts();
    let cpu_before = CpuSample::take(db).await;
    let mut cmd = tokio::process::Command::new(wrk);
    cmd.arg(format!("-t{}", WRK_THREADS.min(connections)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency");
    if let Some(c) = cookie {
        cmd.arg("-H").arg(format!("Cookie: {c}"));
    }
    cmd.arg(url);
    let out = cmd.output().await.map_err(|e| format!("running wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(format!(
            "wrk failed ({}): {text}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut r = parse_wrk(&text).ok_or_else(|| format!("could not read wrk's output:\n{text}"))?;
    r.connections = connections;
    r.seconds = seconds;
    let cpu_after = CpuSample::take(db).await;
    r.cpu = cpu_after.per_request_since(&cpu_before, r.requests);
    let after = server_get_counts();
    r.server_answers = after.0.saturating_sub(before.0);
    r.server_non_200 = after.1.saturating_sub(before.1);
    Ok(r)
}

fn parse_wrk(text: &str) -> Option<WrkResult> {
    let mut r = WrkResult::default();
    let mut in_dist = false;
    let mut have_rps = false;
    for line in text.lines() {
        let t = line.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        if t.starts_with("Latency Distribution") {
            in_dist = true;
            continue;
        }
        if in_dist {
            if let [pct, value] = words.as_slice()
                && let Some(ms) = duration_ms(value)
            {
                match *pct {
                    "50%" => r.p50_ms = ms,
                    "75%" => r.p75_ms = ms,
                    "90%" => r.p90_ms = ms,
                    "99%" => r.p99_ms = ms,
                    _ => {}
                }
                continue;
            }
            in_dist = false;
        }
        if words.first() == Some(&"Latency") && words.len() >= 4 {
            r.max_ms = duration_ms(words[3]).unwrap_or(0.0);
        } else if t.starts_with("Requests/sec:") {
            r.rps = words.get(1)?.parse().ok()?;
            have_rps = true;
        } else if words.get(1) == Some(&"requests") && words.get(2) == Some(&"in") {
            r.requests = words[0].parse().ok()?;
        } else if let Some(n) = t.strip_prefix("Non-2xx or 3xx responses:") {
            r.non_2xx_3xx = n.trim().parse().unwrap_or(u64::MAX);
        } else if let Some(e) = t.strip_prefix("Socket errors:") {
            r.socket_errors = e.trim().to_string();
        }
    }
    have_rps.then_some(r)
}

/// wrk's durations: `812.00us`, `4.21ms`, `1.02s`, `2.00m`.
fn duration_ms(s: &str) -> Option<f64> {
    let (num, factor) = if let Some(n) = s.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|v| v * factor)
}

/// CPU clock ticks used so far by this process, by each PostgreSQL backend serving the app's
/// database, and by the whole machine (busy, not idle).
struct CpuSample {
    app: u64,
    pg: std::collections::HashMap<i32, u64>,
    machine_busy: u64,
}

impl CpuSample {
    async fn take(db: &app::shell::store::PgPool) -> CpuSample {
        let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            .fetch_all(db)
            .await
            .unwrap_or_default();
        let pg = pids
            .into_iter()
            .filter_map(|pid| proc_ticks(&pid.to_string()).map(|t| (pid, t)))
            .collect();
        let machine_busy = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                let line = s.lines().next()?.to_string();
                let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
                // user nice system idle iowait irq softirq steal …: busy = all − idle − iowait.
                Some(v.iter().take(8).sum::<u64>() - v.get(3)? - v.get(4)?)
            })
            .unwrap_or(0);
        CpuSample {
            app: proc_ticks("self").unwrap_or(0),
            pg,
            machine_busy,
        }
    }

    fn per_request_since(&self, before: &CpuSample, requests: u64) -> Option<CpuPerRequest> {
        if requests == 0 {
            return None;
        }
        let tick_us = 1e6 / clock_ticks_per_second();
        let app = self.app.saturating_sub(before.app);
        // Backends that appeared during the run count from zero.
        let pg: u64 = self
            .pg
            .iter()
            .map(|(pid, t)| t.saturating_sub(*before.pg.get(pid).unwrap_or(&0)))
            .sum();
        let busy = self.machine_busy.saturating_sub(before.machine_busy);
        let per = |ticks: u64| ticks as f64 * tick_us / requests as f64;
        Some(CpuPerRequest {
            app_us: per(app),
            pg_us: per(pg),
            rest_us: per(busy.saturating_sub(app + pg)),
        })
    }
}

/// (GET answers, GET answers that were not 200) so far, from the server's own request counter.
fn server_get_counts() -> (u64, u64) {
    let text = server::ops::metrics_handle().render();
    let mut all = 0u64;
    let mut not_ok = 0u64;
    for line in text.lines().filter(|l| l.starts_with("http_requests_total{")) {
        if !line.contains("method=\"GET\"") {
            continue;
        }
        let n = line
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0) as u64;
        all += n;
        if !line.contains("status=\"200\"") {
            not_ok += n;
        }
    }
    (all, not_ok)
}

/// A second instance of the app's router on the same database, built like `server::start`
/// builds it but served by plain `axum::serve`, which leaves Nagle's algorithm on. A control:
/// the headline figures are the app as `start` serves it.
async fn spawn_control(app: &TestApp) -> Res<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let site = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    let state = server::state::AppState {
        services: app::shell::ctx::Services::new(app.db.clone()),
        leptos: server::leptos_options(&site.to_string_lossy(), addr),
        metrics: server::ops::metrics_handle(),
        telephony: None,
    };
    let key: Vec<u8> = (0..64).map(|_| rand::random::<u8>()).collect();
    let sessions = server::web::SessionSettings {
        key,
        secure: false,
        idle_minutes: 60,
        idle_seconds: None,
    };
    // The session store on its own pool with synchronous_commit off, as `server::start` sets it up.
    let session_opts = (*app.db.connect_options())
        .clone()
        .options([("synchronous_commit", "off")]);
    let session_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect_lazy_with(session_opts);
    let store = tower_sessions_sqlx_store::PostgresStore::new(session_pool);
    let router = server::web::router(state, &sessions, store);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}"))
}

// ---------------------------------------------------------------------------------------------
// What one page view asks of PostgreSQL, from its table statistics.

const DB_OPS_REQUESTS: usize = 200;
const TIMELINE_REQUESTS: usize = 4;
/// PostgreSQL 15+ backends flush their table statistics when idle, at the latest after 10 s.
const STATS_FLUSH_WAIT: Duration = Duration::from_millis(11_500);

struct DbOps {
    requests: usize,
    session_reads: f64,
    session_writes: f64,
    user_reads: f64,
    latency: Stats,
    /// Page views whose answer carried a `Set-Cookie` (a refreshed session expiry).
    set_cookie: usize,
}

async fn table_counters(db: &app::shell::store::PgPool) -> Res<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT \
           coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)) FILTER (WHERE schemaname = 'tower_sessions'), 0)::bigint, \
           coalesce(sum(n_tup_ins + n_tup_upd) FILTER (WHERE schemaname = 'tower_sessions'), 0)::bigint, \
           coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)) FILTER (WHERE schemaname = 'public'), 0)::bigint \
         FROM pg_stat_user_tables \
         WHERE (schemaname = 'tower_sessions' AND relname = 'session') OR (schemaname = 'public' AND relname = 'users')",
    )
    .fetch_one(db)
    .await
    .map_err(|e| format!("reading table statistics: {e}"))
}

/// Sequential signed-in page views between two readings of the table statistics: how many
/// session reads, session writes and user reads one page view costs, and its unloaded latency.
async fn db_ops_per_page(app: &TestApp, http: &reqwest::Client, cookie: &str) -> Res<DbOps> {
    tokio::time::sleep(STATS_FLUSH_WAIT).await;
    let before = table_counters(&app.db).await?;
    let mut latency = Vec::with_capacity(DB_OPS_REQUESTS);
    let mut set_cookie = 0;
    for _ in 0..DB_OPS_REQUESTS {
        let t = Instant::now();
        let res = http
            .get(format!("{}/", app.url))
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .map_err(|e| format!("GET /: {e}"))?;
        let status = res.status();
        if res.headers().contains_key(reqwest::header::SET_COOKIE) {
            set_cookie += 1;
        }
        res.bytes().await.map_err(|e| format!("GET / body: {e}"))?;
        latency.push(t.elapsed());
        if status != reqwest::StatusCode::OK {
            return Err(format!("GET / signed in answered {status}"));
        }
    }
    tokio::time::sleep(STATS_FLUSH_WAIT).await;
    let after = table_counters(&app.db).await?;
    let per = |a: i64, b: i64| (a - b) as f64 / DB_OPS_REQUESTS as f64;
    Ok(DbOps {
        requests: DB_OPS_REQUESTS,
        session_reads: per(after.0, before.0),
        session_writes: per(after.1, before.1),
        user_reads: per(after.2, before.2),
        latency: Stats::of(&latency),
        set_cookie,
    })
}

/// With `FOUNDATION_DUMP=<dir>`, keeps a copy of what the server answered, for a closer look.
fn dump(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("FOUNDATION_DUMP") {
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(PathBuf::from(dir).join(name), bytes);
    }
}

/// How the shell page is sent: HTTP chunks, and out-of-order Suspense fragments (`<template>`s
/// swapped in by inline scripts).
struct PageShape {
    chunks: usize,
    fragments: usize,
}

/// The pieces of one answer: (ms since the request was written, bytes).
type Timeline = Vec<(f64, usize)>;

/// Several `GET`s one after the other on one kept-alive raw socket (client side TCP_NODELAY):
/// for each answer, when each piece of it arrived (ms since that request was written) and its
/// size. The first request of a connection is answered in quick-ACK mode; the later ones show
/// whether a piece is held back waiting for the client's delayed ACK (Nagle's algorithm).
async fn raw_get_timeline(
    addr: std::net::SocketAddr,
    path: &str,
    cookie: &str,
    requests: usize,
) -> Res<(Vec<Timeline>, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n");
    let mut all = Vec::with_capacity(requests);
    let mut last = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..requests {
        let t = Instant::now();
        tcp.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut answer: Vec<u8> = Vec::new();
        let mut pieces = Vec::new();
        while !http_answer_complete(&answer)? {
            let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
                .await
                .map_err(|_| "raw GET timed out".to_string())?
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("raw GET: connection closed mid-answer".into());
            }
            pieces.push((t.elapsed().as_secs_f64() * 1000.0, n));
            answer.extend_from_slice(&buf[..n]);
        }
        if !answer.starts_with(b"HTTP/1.1 200") {
            return Err(format!(
                "raw GET {path}: {}",
                String::from_utf8_lossy(&answer[..answer.len().min(40)])
            ));
        }
        dump("shell-raw.http", &answer);
        all.push(pieces);
        last = answer;
    }
    Ok((all, last))
}

/// How many chunks a chunked HTTP/1.1 answer came in (0 if it was not chunked).
fn http_chunk_count(answer: &[u8]) -> usize {
    let Some(head_end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return 0;
    };
    let body = &answer[head_end + 4..];
    let (mut at, mut count) = (0, 0);
    while let Some(line_end) = body[at.min(body.len())..].windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&body[at..at + line_end]).to_string();
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        count += 1;
        at += line_end + 2 + size + 2;
    }
    count
}

/// Whether `buf` holds one whole HTTP/1.1 answer (Content-Length or chunked body).
fn http_answer_complete(buf: &[u8]) -> Res<bool> {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(false);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let body = &buf[head_end + 4..];
    if head.contains("transfer-encoding: chunked") {
        let mut at = 0;
        loop {
            let Some(line_end) = body[at..].windows(2).position(|w| w == b"\r\n") else {
                return Ok(false);
            };
            let size_text = String::from_utf8_lossy(&body[at..at + line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            at += line_end + 2;
            if size == 0 {
                return Ok(body.len() >= at + 2);
            }
            at += size + 2;
            if body.len() < at {
                return Ok(false);
            }
        }
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    Ok(body.len() >= length)
}

fn timeline_text(pieces: &[(f64, usize)]) -> String {
    pieces
        .iter()
        .map(|(t, n)| format!("{n} B at {t:.2} ms"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Direct query timings (sequential, no load): what one shell request asks PostgreSQL.

async fn time_queries(app: &TestApp) -> Res<Vec<(String, Stats)>> {
    let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(USERNAME)
        .fetch_one(&app.db)
        .await
        .map_err(|e| e.to_string())?;
    let session_id: String =
        sqlx::query_scalar("SELECT id FROM tower_sessions.session ORDER BY expiry_date DESC LIMIT 1")
            .fetch_one(&app.db)
            .await
            .map_err(|e| e.to_string())?;
    let mut load = Vec::with_capacity(QUERY_RUNS);
    let mut user = Vec::with_capacity(QUERY_RUNS);
    for _ in 0..QUERY_RUNS {
        let t = Instant::now();
        let row: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT data FROM tower_sessions.session WHERE id = $1 AND expiry_date > now()")
                .bind(&session_id)
                .fetch_optional(&app.db)
                .await
                .map_err(|e| e.to_string())?;
        load.push(t.elapsed());
        if row.is_none() {
            return Err("the session row vanished".into());
        }
        let t = Instant::now();
        let me = app::accounts::store::users::session_user(&app.db, user_id, 0)
            .await
            .map_err(|e| format!("{e:?}"))?;
        user.push(t.elapsed());
        if me.is_none() {
            return Err("session_user found no user".into());
        }
    }
    Ok(vec![
        (
            format!("session load (SELECT on tower_sessions.session) x{QUERY_RUNS}"),
            Stats::of(&load),
        ),
        (
            format!("user load (app::accounts::store::users::session_user) x{QUERY_RUNS}"),
            Stats::of(&user),
        ),
    ])
}

// ---------------------------------------------------------------------------------------------
// SSE fan-out.

struct SseResult {
    received: usize,
    latency: Option<Stats>,
    publish: Stats,
    connect: Duration,
    problems: Vec<String>,
}

struct ClientOutcome {
    latencies_us: Vec<i64>,
    seqs: HashSet<u64>,
    duplicates: usize,
    lagged: usize,
    error: Option<String>,
}

async fn sse_fanout(app: &TestApp, cookie: &str) -> Res<SseResult> {
    let http = reqwest::Client::builder().build().map_err(|e| e.to_string())?;
    let url = format!("{}/api/events", app.url);

    // Connect every client; once the response head is back, its subscription exists (the
    // handler subscribes before it answers).
    let t = Instant::now();
    let connects = (0..SSE_CLIENTS).map(|_| {
        let req = http.get(&url).header(reqwest::header::COOKIE, cookie).send();
        async move {
            let res = req.await.map_err(|e| format!("GET /api/events: {e}"))?;
            let ct = res
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if res.status() != reqwest::StatusCode::OK || !ct.starts_with("text/event-stream") {
                return Err(format!("GET /api/events answered {} ({ct})", res.status()));
            }
            Ok(res)
        }
    });
    let mut streams = Vec::with_capacity(SSE_CLIENTS);
    for r in join_all(connects).await {
        streams.push(r?);
    }
    let connect = t.elapsed();
    println!(
        "{SSE_CLIENTS} clients connected in {:.0} ms",
        connect.as_secs_f64() * 1000.0
    );

    let deadline = tokio::time::Instant::now() + SSE_SPACING * SSE_EVENTS as u32 + Duration::from_secs(10);
    let readers: Vec<_> = streams
        .into_iter()
        .map(|res| tokio::spawn(read_events(res, deadline)))
        .collect();
    // Let every reader reach its first poll before the first event.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut publish = Vec::with_capacity(SSE_EVENTS);
    let mut tick = tokio::time::interval(SSE_SPACING);
    for seq in 0..SSE_EVENTS {
        tick.tick().await;
        let sent_us = micros_now();
        let t = Instant::now();
        app.services
            .events
            .publish(SSE_TOPIC, serde_json::json!({ "sent_us": sent_us, "seq": seq }))
            .await
            .map_err(|e| format!("publishing: {e}"))?;
        publish.push(t.elapsed());
    }

    let mut all_us = Vec::with_capacity(SSE_CLIENTS * SSE_EVENTS);
    let mut problems = Vec::new();
    let (mut duplicates, mut lagged, mut short_clients) = (0, 0, 0);
    for reader in readers {
        let o = reader.await.map_err(|e| format!("SSE reader task: {e}"))?;
        if o.seqs.len() < SSE_EVENTS {
            short_clients += 1;
        }
        duplicates += o.duplicates;
        lagged += o.lagged;
        if let Some(e) = o.error
            && problems.len() < 5
        {
            problems.push(e);
        }
        all_us.extend(o.latencies_us);
    }
    if duplicates > 0 {
        problems.push(format!("{duplicates} duplicate receipts"));
    }
    if lagged > 0 {
        problems.push(format!("{lagged} 'lagged, refetch everything' notices"));
    }
    if short_clients > 0 {
        problems.push(format!("{short_clients} clients missed events"));
    }
    let received = all_us.len() - duplicates.min(all_us.len());
    let durations: Vec<Duration> = all_us
        .iter()
        .map(|&us| Duration::from_micros(us.max(0) as u64))
        .collect();
    Ok(SseResult {
        received,
        latency: (!durations.is_empty()).then(|| Stats::of(&durations)),
        publish: Stats::of(&publish),
        connect,
        problems,
    })
}

/// Reads `data: {"topic":…,"data":…}` lines until every bench event is in or the deadline.
async fn read_events(res: reqwest::Response, deadline: tokio::time::Instant) -> ClientOutcome {
    let mut out = ClientOutcome {
        latencies_us: Vec::with_capacity(SSE_EVENTS),
        seqs: HashSet::new(),
        duplicates: 0,
        lagged: 0,
        error: None,
    };
    let mut stream = res.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    while out.seqs.len() < SSE_EVENTS {
        let chunk = match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => {
                out.error = Some(format!("timed out with {} of {SSE_EVENTS} events", out.seqs.len()));
                break;
            }
            Ok(None) => {
                out.error = Some(format!("stream closed after {} of {SSE_EVENTS} events", out.seqs.len()));
                break;
            }
            Ok(Some(Err(e))) => {
                out.error = Some(format!("stream error: {e}"));
                break;
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        let now_us = micros_now();
        buf.extend_from_slice(&chunk);
        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let Ok(line) = std::str::from_utf8(&line) else {
                continue;
            };
            let Some(json) = line.trim_end().strip_prefix("data:") else {
                continue;
            };
            let Ok(ev) = serde_json::from_str::<serde_json::Value>(json.trim_start()) else {
                out.error = Some(format!("unreadable event: {json}"));
                continue;
            };
            match ev["topic"].as_str() {
                Some(t) if t == SSE_TOPIC.name() => {
                    let sent = ev["data"]["sent_us"].as_i64().unwrap_or(now_us);
                    let seq = ev["data"]["seq"].as_u64().unwrap_or(u64::MAX);
                    if out.seqs.insert(seq) {
                        out.latencies_us.push(now_us - sent);
                    } else {
                        out.duplicates += 1;
                    }
                }
                Some("*") => out.lagged += 1,
                _ => {}
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Statistics and the report.

impl Stats {
    fn brief_ms(&self) -> String {
        format!(
            "mean {} ms, p50 {} ms, p99 {} ms, max {} ms (n = {})",
            ms(self.mean),
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.n
        )
    }
}

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 10.0 { format!("{v:.2}") } else { format!("{v:.1}") }
}

#[derive(Default)]
struct Machine {
    cores: usize,
    cpu: String,
    memory: String,
    kernel: String,
    rustc: String,
    commit: String,
    postgres: String,
    wrk: String,
    load_start: String,
    load_end: String,
}

impl Machine {
    fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
            .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        Machine {
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            cpu,
            memory,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_string(),
            rustc: command_line("rustc", &["--version"]),
            commit: {
                let head = command_line("git", &["-C", repo, "rev-parse", "--short", "HEAD"]);
                let dirty =
                    !command_line("git", &["-C", repo, "status", "--porcelain", "--untracked-files=no"]).is_empty();
                if dirty {
                    format!("`{head}` plus uncommitted changes in the tree")
                } else {
                    format!("`{head}`")
                }
            },
            postgres: String::new(),
            wrk: String::new(),
            load_start: load_average(),
            load_end: String::new(),
        }
    }
}

#[derive(Default)]
struct Report {
    machine: Machine,
    shell_body_bytes: usize,
    shell_shape: Option<PageShape>,
    shell: Vec<(u32, WrkResult)>,
    breakdown: Vec<(String, WrkResult)>,
    control: Vec<(u32, WrkResult)>,
    queries: Vec<(String, Stats)>,
    db_ops: Option<DbOps>,
    timelines: Vec<(String, Vec<Timeline>)>,
    argon2_params: String,
    verify: Option<Stats>,
    login: Option<Stats>,
    sse: Option<SseResult>,
    failures: Vec<String>,
}

impl Report {
    /// Non-success answers under load mean the figure is not the figure of the page.
    fn check_wrk(&mut self, label: &str, r: &WrkResult) {
        if r.non_2xx_3xx > 0 {
            self.failures
                .push(format!("{label}: wrk saw {} non-2xx/3xx answers", r.non_2xx_3xx));
        }
        if r.server_non_200 > 0 {
            self.failures.push(format!(
                "{label}: the server answered {} GETs with another status than 200",
                r.server_non_200
            ));
        }
        if r.requests == 0 {
            self.failures.push(format!("{label}: no request completed"));
        }
    }

    /// What the figures say, worked out from them (so it stays true when the figures change).
    fn findings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let first = |v: &[(u32, WrkResult)]| {
            v.iter()
                .find(|(c, _)| *c == BREAKDOWN_CONNECTIONS)
                .map(|(_, r)| r.clone())
        };
        // A piece of a later answer on a kept-alive connection arriving ≥ 30 ms after the first.
        let stalls = |label_start: &str| {
            self.timelines
                .iter()
                .filter(|(l, _)| l.starts_with(label_start))
                .any(|(_, runs)| {
                    runs.iter()
                        .skip(1)
                        .any(|p| p.len() > 1 && p[p.len() - 1].0 - p[0].0 >= 30.0)
                })
        };
        let app_stalls = stalls("as served");
        let control_stalls = stalls("control");
        let app16 = first(&self.shell);
        let control16 = first(&self.control);
        if let Some(plain) = &app16
            && app_stalls
        {
            out.push(format!(
                "The shell page is held up by a fixed wait, not by work: p50 {:.1} ms at {} connections while the app \
                 uses {:.0} µs of CPU per request. On a kept-alive connection the answer's last piece arrives ~40 ms \
                 after the first (see the timelines): the page is written in several pieces and Nagle's algorithm \
                 holds the last one until the client's delayed ACK. Fix: TCP_NODELAY on accepted sockets in \
                 `server::start` (axum 0.8: `ListenerExt::tap_io(listener, |tcp| {{ let _ = tcp.set_nodelay(true); \
                 }})`), and/or render the page in one piece.",
                plain.p50_ms,
                BREAKDOWN_CONNECTIONS,
                plain.cpu.as_ref().map_or(0.0, |c| c.app_us),
            ));
        } else if let (Some(plain), Some(control)) = (&app16, &control16)
            && control_stalls
        {
            out.push(format!(
                "TCP_NODELAY (set by `server::start`) is what keeps the page fast: the same router served without it \
                 answers in p50 {:.1} ms at {:.0} req/s ({} connections) against p50 {:.2} ms at {:.0} req/s with \
                 it. The page is written in several pieces, and on a kept-alive connection Nagle's algorithm holds \
                 the last one until the client's delayed ACK, ~40 ms later (see the timelines). Rendering the page \
                 in one piece would make it independent of the setting.",
                control.p50_ms, control.rps, BREAKDOWN_CONNECTIONS, plain.p50_ms, plain.rps
            ));
        }
        if let Some(shape) = &self.shell_shape
            && (shape.chunks > 1 || shape.fragments > 0)
        {
            out.push(format!(
                "The shell page is streamed out of order: {} HTTP chunks with {} Suspense fragments (`<template>`s moved \
                 into place by inline scripts), although the signed-in user is known before rendering starts (the \
                 middleware resolved it). `SsrMode::Async` on the routes (the only resource resolves at once, so \
                 waiting for it costs nothing), or giving the page the middleware's `Me` directly instead of a \
                 resource under `<Suspense>`, would send the page in one smaller piece, whatever the socket options; \
                 how much rendering CPU that saves is for this benchmark to show once done.",
                shape.chunks, shape.fragments
            ));
        }
        if let Some(r) = &app16
            && !app_stalls
            && let Some(c) = &r.cpu
        {
            let cores = self.machine.cores.max(1) as f64;
            let busy = r.rps * (c.app_us + c.pg_us + c.rest_us) / (cores * 1e6) * 100.0;
            let cpu_of = |i: usize| self.breakdown.get(i).and_then(|(_, r)| r.cpu.clone());
            let (healthz, signed_in, login) = (cpu_of(0), cpu_of(1), cpu_of(2));
            let mut text = format!(
                "Per shell page ({BREAKDOWN_CONNECTIONS} connections): about {:.0} µs of CPU in the app, {:.0} µs in \
                 PostgreSQL and {:.0} µs elsewhere (wrk, the kernel, anything else); at {:.0} req/s that keeps the \
                 {} cores about {:.0} % busy.",
                c.app_us, c.pg_us, c.rest_us, r.rps, self.machine.cores, busy
            );
            if let (Some(h), Some(si), Some(l)) = (healthz, signed_in, login) {
                let _ = write!(
                    text,
                    " Session and user loading cost about {:.0} µs in the app and {:.0} µs in PostgreSQL (`/healthz` \
                     signed in against not); the rest of the app's time, about {:.0} µs, is the shell page's \
                     rendering, against about {:.0} µs for the sign-in page's.",
                    si.app_us - h.app_us,
                    si.pg_us,
                    (c.app_us - si.app_us).max(0.0),
                    (l.app_us - h.app_us).max(0.0)
                );
            }
            if busy < 85.0 {
                text.push_str(
                    " The cores are not saturated: requests also wait (two PostgreSQL round trips each, hand-offs \
                     between the app, PostgreSQL and wrk), so throughput is below what the CPU cost alone allows.",
                );
            }
            out.push(text);
        }
        if let Some(o) = &self.db_ops
            && o.session_writes < 0.01
            && o.set_cookie == 0
        {
            out.push(format!(
                "A page view reads the session ({:.2} reads) and the user ({:.2}) but writes nothing and sends no \
                 `Set-Cookie`: with `Expiry::OnInactivity` and without `with_always_save(true)`, tower-sessions does \
                 not extend an unmodified session, so a session ends its idle time after sign-in even while in use \
                 (unless something else modifies it).",
                o.session_reads, o.user_reads
            ));
        }
        out
    }

    fn markdown(&self) -> String {
        let m = &self.machine;
        let mut s = String::new();
        let yes = |b: bool| if b { "**met**" } else { "**missed**" };
        let _ = writeln!(s, "# Foundation benchmark\n");
        let _ = writeln!(
            s,
            "Written by `cargo bench -p server --bench foundation` (`make bench`); do not edit by hand.\n"
        );
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(s, "| Date | {} |", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
        let _ = writeln!(s, "| Commit | {} |", m.commit);
        let _ = writeln!(
            s,
            "| Machine | {} cores (nproc), {}, {} RAM, Linux {} |",
            m.cores, m.cpu, m.memory, m.kernel
        );
        let _ = writeln!(
            s,
            "| Build | `{}` profile (`cargo bench`: release settings, debug assertions {}), {} |",
            if cfg!(debug_assertions) { "debug" } else { "bench" },
            if cfg!(debug_assertions) { "on" } else { "off" },
            m.rustc
        );
        let _ = writeln!(s, "| PostgreSQL | {} (embedded cluster, same machine) |", m.postgres);
        let _ = writeln!(
            s,
            "| Load generator | {} |",
            m.wrk.split(" Copyright").next().unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "| Load average (1/5/15 min) | {} at the start, {} at the end (includes this benchmark) |",
            m.load_start, m.load_end
        );
        let _ = writeln!(s);

        // Summary.
        let _ = writeln!(s, "## Summary\n");
        let _ = writeln!(s, "| Figure | Measured | Target | Result |\n|---|---|---|---|");
        for (c, r) in &self.shell {
            let _ = writeln!(
                s,
                "| Signed-in shell page `GET /`, {c} connections | {:.0} req/s, p99 {:.2} ms | ≥ {:.0} req/s, p99 ≤ {:.0} ms | {} |",
                r.rps,
                r.p99_ms,
                TARGET_SHELL_RPS,
                TARGET_SHELL_P99_MS,
                match (r.rps >= TARGET_SHELL_RPS, r.p99_ms <= TARGET_SHELL_P99_MS) {
                    (true, true) => "**met**".to_string(),
                    (false, false) => "**missed** (both)".to_string(),
                    (false, true) => "**missed** (req/s)".to_string(),
                    (true, false) => "**missed** (p99)".to_string(),
                }
            );
        }
        if let Some(v) = &self.verify {
            let _ = writeln!(
                s,
                "| `verify_password` (argon2id), per attempt | mean {} ms, max {} ms | none set (informational) | — |",
                ms(v.mean),
                ms(v.max)
            );
        }
        if let Some(l) = &self.login {
            let _ = writeln!(
                s,
                "| `POST /api/login` round trip | mean {} ms, max {} ms | none set (informational) | — |",
                ms(l.mean),
                ms(l.max)
            );
        }
        if let Some(e) = &self.sse {
            let expected = SSE_CLIENTS * SSE_EVENTS;
            let p99 = e.latency.as_ref().map(|l| l.p99);
            let _ = writeln!(
                s,
                "| SSE fan-out, publish → receipt, {SSE_CLIENTS} clients | p99 {} ms, {} of {expected} received | p99 ≤ {:.0} ms, all received | {} |",
                p99.map(ms).unwrap_or_else(|| "-".into()),
                e.received,
                TARGET_SSE_P99_MS,
                yes(p99.is_some_and(|p| p.as_secs_f64() * 1000.0 <= TARGET_SSE_P99_MS) && e.received == expected)
            );
        }
        if !self.failures.is_empty() {
            let _ = writeln!(s, "\n**Broken steps (the run exited non-zero):**\n");
            for f in &self.failures {
                let _ = writeln!(s, "- {f}");
            }
        }
        let _ = writeln!(s);

        let findings = self.findings();
        if !findings.is_empty() {
            let _ = writeln!(s, "## Findings\n");
            for f in findings {
                let _ = writeln!(s, "- {f}");
            }
            let _ = writeln!(s);
        }

        // Method.
        let _ = writeln!(s, "## Method\n");
        let _ = writeln!(
            s,
            "- The app runs inside the benchmark process (`server::testing::TestApp`): a fresh, migrated database in the \
             embedded PostgreSQL, the real router (sessions in PostgreSQL, user resolution, metrics and request-log \
             layers, Leptos SSR), a multi-thread tokio runtime with one worker per core, on a loopback port. The request \
             log is configured as `serve` does (INFO, one line per request) and written to a sink, so its formatting is \
             counted and terminal output is not."
        );
        let _ = writeln!(
            s,
            "- Everything shares the {} cores: the app, PostgreSQL, and the load generator (`wrk -t{WRK_THREADS}`). The \
             figures are therefore lower than a server with the cores to itself would give.",
            m.cores
        );
        let _ = writeln!(
            s,
            "- The user `{USERNAME}` (role admin) signs in through `POST /api/login` (the login form's fields); its \
             `switchboard_session` cookie is sent with every request. Before and after the load, `GET /` with that \
             cookie is checked to be a 200 that greets the user (not a 303 to the sign-in page); during the load, wrk's \
             non-2xx/3xx count and the server's own request counter (any GET answered with another status than 200) \
             must both stay at zero."
        );
        let _ = writeln!(
            s,
            "- Shell page: a {WARMUP_SECONDS} s warm-up, then `wrk -t{WRK_THREADS} -cN -d{SHELL_SECONDS}s --latency` for N in {:?}. \
             The page is {} bytes of HTML{}.",
            SHELL_CONNECTIONS,
            self.shell_body_bytes,
            self.shell_shape
                .as_ref()
                .map(|p| format!(", sent in {} HTTP chunks", p.chunks))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "- Sign-in: `app::accounts::auth::verify_password` (argon2id, default parameters `{}`, on the blocking pool) timed \
             {LOGIN_RUNS} times with the right password; then {LOGIN_RUNS} sequential `POST /api/login` round trips \
             (argon2 + failure-counter reads/clears + session insert + user load).",
            self.argon2_params
        );
        let _ = writeln!(
            s,
            "- Live events: {SSE_CLIENTS} clients (reqwest, one HTTP/1.1 connection each) hold `GET /api/events` open with \
             the admin's cookie; {SSE_EVENTS} events are published {} ms apart with \
             `services.events.publish(\"{SSE_TOPIC}\", {{\"sent_us\": …, \"seq\": …}})`, i.e. through PostgreSQL \
             `NOTIFY`, the instance's `LISTEN` connection, its broadcast channel and each client's SSE stream (the real \
             path). Each client notes the time a `data:` line arrives; latency = arrival − `sent_us` (one clock in one \
             process). Every client must get every event exactly once.",
            SSE_SPACING.as_millis()
        );
        let _ = writeln!(s);

        // 1.
        let _ = writeln!(s, "## 1. Signed-in shell page (`GET /`)\n");
        let _ = writeln!(
            s,
            "Target: ≥ {TARGET_SHELL_RPS:.0} req/s and p99 ≤ {TARGET_SHELL_P99_MS:.0} ms on {} cores.\n",
            m.cores
        );
        let _ = writeln!(
            s,
            "| Connections | req/s | p50 | p75 | p90 | p99 | max | requests | socket errors | target |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
        for (c, r) in &self.shell {
            let _ = writeln!(
                s,
                "| {c} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {} | {} | {} |",
                r.rps,
                r.p50_ms,
                r.p75_ms,
                r.p90_ms,
                r.p99_ms,
                r.max_ms,
                r.requests,
                if r.socket_errors.is_empty() {
                    "none"
                } else {
                    &r.socket_errors
                },
                yes(r.rps >= TARGET_SHELL_RPS && r.p99_ms <= TARGET_SHELL_P99_MS)
            );
        }
        let _ = writeln!(
            s,
            "\nCPU time per request during these runs (app process / PostgreSQL backends of its database / the rest of \
                 the machine's busy time: wrk, other processes, kernel work not charged to a process; from tick \
                 counters, so approximate, and clipped at 0):\n"
        );
        let _ = writeln!(s, "| Connections | app | PostgreSQL | rest |\n|---|---|---|---|");
        for (c, r) in &self.shell {
            let _ = writeln!(s, "| {c} | {} |", r.cpu_cells());
        }
        let _ = writeln!(
            s,
            "\nWith N connections kept busy, mean latency ≈ N / throughput (Little's law): at 64 connections a p99 \
             under 20 ms needs well over 3,200 req/s, so the 64-connection row is a saturation figure more than a \
             latency one.\n"
        );
        if !self.breakdown.is_empty() {
            let _ = writeln!(s, "### Where the time goes\n");
            let _ = writeln!(
                s,
                "The same stack with parts taken away, {BREAKDOWN_CONNECTIONS} connections, {BREAKDOWN_SECONDS} s each \
                 (the last row is the {BREAKDOWN_CONNECTIONS}-connection run above). CPU per request is measured from \
                 /proc: the app process, the PostgreSQL backends serving its database, and the rest of the machine \
                 (mostly wrk).\n"
            );
            let _ = writeln!(
                s,
                "| Request | req/s | p50 | p99 | CPU: app | PostgreSQL | rest |\n|---|---|---|---|---|---|---|"
            );
            for (label, r) in &self.breakdown {
                let _ = writeln!(
                    s,
                    "| {label} | {:.0} | {:.2} ms | {:.2} ms | {} |",
                    r.rps,
                    r.p50_ms,
                    r.p99_ms,
                    r.cpu_cells()
                );
            }
            let _ = writeln!(s);
        }
        if !self.control.is_empty() {
            let _ = writeln!(s, "### Control: the same router without TCP_NODELAY\n");
            let _ = writeln!(
                s,
                "`server::start` sets TCP_NODELAY on accepted sockets. The router below is the same \
                 (`server::web::router`, same database, sessions on their own pool), served by the benchmark with \
                 plain `axum::serve`, which leaves Nagle's algorithm on: what the setting is worth.\n"
            );
            let _ = writeln!(
                s,
                "| Connections | req/s | p50 | p90 | p99 | max | requests | CPU: app | PostgreSQL | rest | target would be |"
            );
            let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|");
            for (c, r) in &self.control {
                let _ = writeln!(
                    s,
                    "| {c} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {} | {} | {} |",
                    r.rps,
                    r.p50_ms,
                    r.p90_ms,
                    r.p99_ms,
                    r.max_ms,
                    r.requests,
                    r.cpu_cells(),
                    yes(r.rps >= TARGET_SHELL_RPS && r.p99_ms <= TARGET_SHELL_P99_MS)
                );
            }
            let _ = writeln!(s);
        }
        if let Some(o) = &self.db_ops {
            let _ = writeln!(
                s,
                "What one signed-in `GET /` asks of PostgreSQL, from `pg_stat_user_tables` around {} sequential page \
                 views (no load; reads = sequential + index scans):\n",
                o.requests
            );
            let _ = writeln!(s, "| Per page view | |\n|---|---|");
            let _ = writeln!(
                s,
                "| Session reads (`tower_sessions.session`) | {:.2} |",
                o.session_reads
            );
            let _ = writeln!(s, "| Session rows written (insert/update) | {:.2} |", o.session_writes);
            let _ = writeln!(s, "| User reads (`users`) | {:.2} |", o.user_reads);
            let _ = writeln!(
                s,
                "| Latency of one page view, no load (reqwest) | mean {} ms, p50 {} ms, p99 {} ms |\n",
                ms(o.latency.mean),
                ms(o.latency.p50),
                ms(o.latency.p99)
            );
            let _ = writeln!(
                s,
                "Answers that carried a `Set-Cookie`: {} of {}. With no session row written and no cookie sent back, \
                 a page view does not extend the session's inactivity expiry (tower-sessions saves an unmodified \
                 session only with `with_always_save(true)`).\n",
                o.set_cookie, o.requests
            );
        }
        if !self.timelines.is_empty() {
            let _ = writeln!(
                s,
                "How signed-in `GET /` answers arrive, {TIMELINE_REQUESTS} requests one after the other on one \
                 kept-alive connection (raw socket, client TCP_NODELAY; each cell lists the reads as size at time \
                 since that request was written). The first request of a connection is acknowledged at once by the \
                 client's kernel (quick-ACK mode); later ones can meet its delayed ACK:\n"
            );
            let _ = writeln!(s, "| Server | request on the connection | pieces |\n|---|---|---|");
            for (label, runs) in &self.timelines {
                for (i, pieces) in runs.iter().enumerate() {
                    let _ = writeln!(s, "| {label} | {} | {} |", i + 1, timeline_text(pieces));
                }
            }
            let _ = writeln!(s);
        }
        if !self.queries.is_empty() {
            let _ = writeln!(
                s,
                "The two queries a signed-in request makes, timed one at a time without load:\n"
            );
            let _ = writeln!(s, "| Query | mean | p50 | p99 | max |\n|---|---|---|---|---|");
            for (label, q) in &self.queries {
                let _ = writeln!(
                    s,
                    "| {label} | {} ms | {} ms | {} ms | {} ms |",
                    ms(q.mean),
                    ms(q.p50),
                    ms(q.p99),
                    ms(q.max)
                );
            }
            let _ = writeln!(s);
        }

        // 2.
        let _ = writeln!(s, "## 2. Sign-in cost (argon2id)\n");
        let _ = writeln!(
            s,
            "No target was set; these figures size how many sign-ins a core can take.\n"
        );
        let _ = writeln!(
            s,
            "| Operation | runs | mean | p50 | min | max |\n|---|---|---|---|---|---|"
        );
        if let Some(v) = &self.verify {
            let _ = writeln!(
                s,
                "| `app::accounts::auth::verify_password` | {} | {} ms | {} ms | {} ms | {} ms |",
                v.n,
                ms(v.mean),
                ms(v.p50),
                ms(v.min),
                ms(v.max)
            );
        }
        if let Some(l) = &self.login {
            let _ = writeln!(
                s,
                "| `POST /api/login` round trip (sequential) | {} | {} ms | {} ms | {} ms | {} ms |",
                l.n,
                ms(l.mean),
                ms(l.p50),
                ms(l.min),
                ms(l.max)
            );
        }
        if let Some(v) = &self.verify {
            let per_core = 1.0 / v.mean.as_secs_f64().max(1e-9);
            let _ = writeln!(
                s,
                "\nAbout {per_core:.0} password checks per second per core (argon2 runs on the blocking pool, off the async workers).\n"
            );
        }

        // 3.
        if let Some(e) = &self.sse {
            let expected = SSE_CLIENTS * SSE_EVENTS;
            let _ = writeln!(s, "## 3. Live events: SSE fan-out\n");
            let _ = writeln!(
                s,
                "Target: p99 publish → receipt ≤ {TARGET_SSE_P99_MS:.0} ms, every event received by every client.\n"
            );
            let _ = writeln!(s, "| | |\n|---|---|");
            let _ = writeln!(s, "| Clients connected | {SSE_CLIENTS} (in {} ms) |", ms(e.connect));
            let _ = writeln!(
                s,
                "| Events published | {SSE_EVENTS}, {} ms apart, topic `{SSE_TOPIC}` |",
                SSE_SPACING.as_millis()
            );
            let _ = writeln!(s, "| Received / expected | {} / {expected} |", e.received);
            if let Some(l) = &e.latency {
                let _ = writeln!(
                    s,
                    "| Publish → receipt | mean {} ms, p50 {} ms, p99 {} ms, max {} ms |",
                    ms(l.mean),
                    ms(l.p50),
                    ms(l.p99),
                    ms(l.max)
                );
            }
            let _ = writeln!(
                s,
                "| `publish` call (pg_notify round trip) | mean {} ms, p50 {} ms, max {} ms |",
                ms(e.publish.mean),
                ms(e.publish.p50),
                ms(e.publish.max)
            );
            let _ = writeln!(
                s,
                "| Target | {} |",
                yes(e
                    .latency
                    .as_ref()
                    .is_some_and(|l| l.p99.as_secs_f64() * 1000.0 <= TARGET_SSE_P99_MS)
                    && e.received == expected)
            );
            if !e.problems.is_empty() {
                let _ = writeln!(s, "\nProblems: {}", e.problems.join("; "));
            }
            let _ = writeln!(s);
        }
        s
    }
}
