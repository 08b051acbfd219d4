//! The callouts benchmark: a 100,000-contact CSV import, populating a callout with 100,000
//! participations, the dialer's sustained call rate with no limit, status callbacks per second,
//! and two instances dialing one callout under limits (no duplicate calls, no limit exceeded);
//! the calls-per-second limit as telsim sees it (10, 30, 100 per second, one and two instances),
//! and `switchboard serve` killed with SIGKILL mid-callout and started again (`recovery`).
//! Run with `make bench` or `cargo bench -p server --bench callouts`; the figures are printed and
//! written to `bench/results/callouts.md`.
//!
//! Everything runs in this process: the app (`server::start_with`, as `switchboard serve` starts
//! it, on a fresh database in the embedded PostgreSQL), the simulated provider (`telsim`, real
//! HTTP on loopback both ways) and the clients. Slow figures do not fail the run (a benchmark is
//! not a test), but a broken step does: wrong counts, answers other than the expected status,
//! calls that never finish, a duplicate call or an exceeded limit make the process exit non-zero
//! after writing the report.
mod recovery;
mod support;

use app::accounts::rules::roles::Role;
use app::accounts::rules::tokens::Scope;
use app::callouts::rules::contacts_csv::{self, Mapping, Row, RowError};
use app::shell::store::PgPool;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::StartOptions;
use server::config::TelephonyConfig;
use server::telephony::provider::{Provider, STATUS_PATH};
use server::telephony::signature;
use server::telephony::telsim::{self, Telsim, TelsimConfig};
use server::workers::callouts::DialerSettings;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Stats, clock_ticks_per_second, command_line, load_average, proc_ticks, sign_in};

type Res<T> = Result<T, String>;
/// From when to when a call was in flight (or a provider call was being dialled).
type Interval = (DateTime<Utc>, DateTime<Utc>);

const ACCOUNT_SID: &str = "AC0be0c4a11c0be0c4a11c0be0c4a11c0b";
const AUTH_TOKEN: &str = "callouts-bench-token";
const CALLER_ID: &str = "+34930000000";
/// Connections per app instance, as `switchboard serve` opens them.
const POOL_SIZE: u32 = 30;

// 1. CSV import.
const CSV_CONTACTS: usize = 100_000;
const CSV_INVALID: usize = 1_000;
const CSV_DUPLICATES: usize = 300;
/// Contacts tagged `dial` (numbers ending in 0–4: answered by telsim) for the dial-rate callout.
const DIAL_CONTACTS: usize = 20_000;
const IMPORT_CHUNK: usize = 5_000;
const TARGET_IMPORT_SECS: f64 = 10.0;

// 2. Populate.
const TARGET_POPULATE_SECS: f64 = 5.0;

// 3. Dial rate with no limit.
const RATE_SPEED: f64 = 100.0;
const RATE_TICK: Duration = Duration::from_millis(50);
const RATE_WARMUP_SECS: u32 = 3;
const RATE_WINDOW_SECS: u32 = 20;
const TARGET_CPS: f64 = 200.0;

// 4. Status callbacks.
const CALLBACK_CALLS: usize = 5_000;
const CALLBACK_CLIENTS: usize = 64;
/// What telsim reports for an answered call, in order.
const CALLBACK_SEQUENCE: [&str; 4] = ["queued", "ringing", "in-progress", "completed"];
const TARGET_CALLBACKS: f64 = 2_000.0;

// 5. Two instances under limits.
/// 400 first calls and 160 retries: more than the period limit, with retries before it is reached
/// (a retry is due after every first call, which were due earlier).
const LIMITS_CONTACTS: usize = 400;
const LIMIT_CONCURRENT: usize = 20;
const LIMIT_CPS: usize = 30;
const LIMIT_PERIOD_CALLS: usize = 500;
const LIMIT_PERIOD_HOURS: i64 = 1;
const LIMITS_MAX_ATTEMPTS: i64 = 2;
const LIMITS_SPEED: f64 = 15.0;
const LIMITS_TICK: Duration = Duration::from_millis(100);
const LIMITS_RUN: Duration = Duration::from_secs(25);
/// Last digits of the step-5 numbers: 0–4 answered, 5 busy, 7 failed (both retried once).
const LIMITS_DIGITS: [u8; 10] = [0, 1, 2, 3, 4, 5, 7, 0, 5, 7];

/// How long the machine's load is watched before the benchmark starts anything.
const BASELINE_SECS: u64 = 3;

/// Only a guard against hanging: calls normally drain in seconds.
const DRAIN_PATIENCE: Duration = Duration::from_secs(90);

#[tokio::main]
async fn main() {
    let log_path = std::env::temp_dir().join("switchboard-callouts-bench.log");
    init_logging(&log_path);
    let started = Instant::now();
    let mut report = Report {
        date: Utc::now(),
        machine: machine(),
        load_start: load_average(),
        ..Report::default()
    };
    let mut cleanup = Vec::new();
    if let Err(e) = run(&mut report, &mut cleanup).await {
        report.failures.push(format!("aborted: {e}"));
    }
    report.load_end = load_average();
    report.total = started.elapsed();
    report.log = log_summary(&log_path);
    let md = report.markdown();
    println!("\n{md}");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/results/callouts.md");
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut failed = !report.failures.is_empty();
    match std::fs::write(&path, &md) {
        Ok(()) => println!("report written to {}", path.display()),
        Err(e) => {
            eprintln!("writing {}: {e}", path.display());
            failed = true;
        }
    }
    drop_databases(&cleanup).await;
    if failed {
        eprintln!("\ncallouts benchmark: broken steps:");
        for f in &report.failures {
            eprintln!("  - {f}");
        }
        std::process::exit(1);
    }
}

/// The request log as `serve` configures it (INFO, one line per request) is formatted (its cost
/// is part of the figures) but thrown away; warnings and errors go to a file the report sums up.
fn init_logging(path: &std::path::Path) {
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    let file = std::fs::File::create(path).expect("bench log file");
    let writer = std::io::sink.and(std::sync::Mutex::new(file).with_max_level(tracing::Level::WARN));
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn"))
        .with_ansi(false)
        .with_writer(writer)
        .init();
}

async fn run(report: &mut Report, cleanup: &mut Vec<String>) -> Res<()> {
    report.baseline = idle_baseline(BASELINE_SECS).await;
    println!("machine busy before the run: {:.2} cores", report.baseline);
    // ---- Steps 1–4: one instance, telsim ×100 without limits.
    let sim = start_telsim(RATE_SPEED).await?;
    let (db, name) = new_database().await?;
    cleanup.push(name.clone());
    report.postgres = sqlx::query_scalar::<_, String>("SHOW server_version")
        .fetch_one(&db)
        .await
        .unwrap_or_default();
    let rate_dialer = DialerSettings {
        tick: RATE_TICK,
        instance: "bench-main".into(),
        ..Default::default()
    };
    report.rate_dialer = format!(
        "tick {} ms, batch {} calls per callout per tick, {} sends at once, lease {} s",
        rate_dialer.tick.as_millis(),
        rate_dialer.batch,
        rate_dialer.concurrency,
        rate_dialer.lease.as_secs()
    );
    let app = Instance::start(&name, options(&sim, rate_dialer.clone())).await?;
    println!(
        "app on {} (database {name}), telsim ×{RATE_SPEED} on {}",
        app.url,
        sim.url()
    );
    let password = "bench-manager-password-1";
    app::accounts::service::create_user(
        &app.db,
        &app::shell::service::Actor::Operator,
        "bench",
        "Bench",
        &[Role::Manager],
        Some(password.into()),
    )
    .await
    .map_err(|e| format!("creating the manager: {e:?}"))?;
    let cookie = sign_in(&reqwest::Client::new(), &app.url, "bench", password).await?;
    let rest = Rest::new(&app).await?;

    println!("\n== 1. CSV import ==");
    let csv = make_csv();
    step_import(report, &app, &rest, &cookie, &csv).await?;

    println!("\n== 2. populate ==");
    let populated = step_populate(report, &rest).await?;

    println!("\n== 3. calls per second, no limit ==");
    step_rate(report, &app, &rest, &sim, &rate_dialer).await?;

    println!("\n== 4. status callbacks ==");
    step_callbacks(report, &app, populated).await?;
    app.stop().await;
    drop(sim);

    // ---- Step 5: two instances, one callout with limits.
    println!("\n== 5. two instances under limits ==");
    let (db5, name5) = new_database().await?;
    cleanup.push(name5.clone());
    drop(db5);
    step_two_instances(report, &name5).await?;
    drop(db);

    println!("\n== 6. calls per second at the provider ==");
    recovery::step_provider_rate(report, cleanup).await?;
    println!("\n== 7. serve killed mid-callout ==");
    recovery::step_kill(report, cleanup).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The app, its database, telsim.

/// A database of its own in the embedded cluster (named like the tests' so `switchboard db
/// prune-tests` also drops it), migrated; returns a small pool for the benchmark's own queries.
async fn new_database() -> Res<(PgPool, String)> {
    let server = server::testing::server_url();
    let name = format!(
        "{}callouts_bench_{}",
        server::testing::TEST_DB_PREFIX,
        uuid::Uuid::new_v4().simple()
    );
    server::database::create_database(&format!("{server}/postgres"), &name)
        .await
        .map_err(|e| format!("creating database {name}: {e}"))?;
    let db = server::database::pool(&format!("{server}/{name}"), 8)
        .await
        .map_err(|e| format!("connecting {name}: {e}"))?;
    server::database::migrate(&db)
        .await
        .map_err(|e| format!("migrating {name}: {e}"))?;
    Ok((db, name))
}

/// Drops the benchmark's databases (they hold 100,000 contacts; nothing reads them later).
async fn drop_databases(names: &[String]) {
    if names.is_empty() {
        return;
    }
    let server = server::testing::server_url();
    let Ok(admin) = server::database::pool(&format!("{server}/postgres"), 1).await else {
        return;
    };
    for name in names {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&admin)
            .await;
    }
}

async fn start_telsim(speed: f64) -> Res<Telsim> {
    let mut cfg = TelsimConfig::new(ACCOUNT_SID, AUTH_TOKEN);
    cfg.speed = speed;
    Ok(telsim::spawn(cfg).await.map_err(|e| format!("telsim: {e}"))?.1)
}

fn options(sim: &Telsim, dialer: DialerSettings) -> StartOptions {
    StartOptions {
        telephony: TelephonyConfig {
            base_url: Some(sim.url()),
            account_sid: Some(ACCOUNT_SID.into()),
            auth_token: Some(AUTH_TOKEN.into()),
            public_url: None,
        },
        dialer,
        default_country_code: "34".into(),
        ..Default::default()
    }
}

/// One app instance as `switchboard serve` runs it (its own pool, dialer and solver workers), on
/// a loopback port, with a way to stop it.
struct Instance {
    url: String,
    db: PgPool,
    provider: Arc<Provider>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Instance {
    async fn start(db_name: &str, options: StartOptions) -> Res<Instance> {
        let url = format!("{}/{db_name}", server::testing::server_url());
        let db = server::database::pool(&url, POOL_SIZE)
            .await
            .map_err(|e| format!("connecting {db_name}: {e}"))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind: {e}"))?;
        let sessions = server::web::SessionSettings {
            key: (0..64).map(|_| rand::random::<u8>()).collect(),
            secure: false,
            idle_minutes: 60,
            idle_seconds: None,
        };
        let site = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = server::start_with(
            db.clone(),
            listener,
            &site.to_string_lossy(),
            sessions,
            options,
            async move {
                let _ = stopped.await;
            },
        )
        .await
        .map_err(|e| format!("starting the app: {e}"))?;
        Ok(Instance {
            url: format!("http://{}", running.addr),
            db,
            provider: running.provider,
            stop,
            task: running.task,
        })
    }

    /// Stops the dialer and the server (graceful, bounded).
    async fn stop(self) {
        let _ = self.stop.send(());
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(15), self.task).await.is_err() {
            abort.abort();
        }
    }
}

/// The REST API with a `callouts` token.
struct Rest {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Rest {
    async fn new(app: &Instance) -> Res<Rest> {
        let token = app::accounts::service::create_token(
            &app.db,
            &app::shell::service::Actor::Operator,
            "bench-client",
            &[Scope::Callouts],
        )
        .await
        .map_err(|e| format!("creating a token: {e:?}"))?
        .1;
        Ok(Rest {
            http: reqwest::Client::new(),
            base: app.url.clone(),
            token,
        })
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Res<(StatusCode, Value)> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    /// A request that must answer `want`.
    async fn expect(&self, method: reqwest::Method, path: &str, body: Option<Value>, want: StatusCode) -> Res<Value> {
        let (status, v) = self.send(method.clone(), path, body).await?;
        if status != want {
            return Err(format!("{method} {path} answered {status}, not {want}: {v}"));
        }
        Ok(v)
    }

    async fn post(&self, path: &str, body: Value, want: StatusCode) -> Res<Value> {
        self.expect(reqwest::Method::POST, path, Some(body), want).await
    }

    async fn callout(&self, body: Value) -> Res<i64> {
        let v = self.post("/api/v1/callouts", body, StatusCode::CREATED).await?;
        v["id"].as_i64().ok_or_else(|| format!("no callout id in {v}"))
    }

    async fn event(&self, id: i64, event: &str) -> Res<()> {
        self.post(
            &format!("/api/v1/callouts/{id}/events"),
            json!({ "event": event }),
            StatusCode::OK,
        )
        .await
        .map(|_| ())
    }
}

const IN_FLIGHT: &str = "status IN ('created', 'queued', 'remotely_queued', 'in_progress')";

/// Waits until none of the callout's calls is in flight and no new call has appeared for a
/// second (a dialer tick that read the callout as running just before the pause still places its
/// batch); returns how long until the calls were over.
async fn drain(db: &PgPool, callout: i64) -> Res<Duration> {
    let t = Instant::now();
    let mut quiet: Option<(i64, Duration)> = None;
    loop {
        let (total, flying): (i64, i64) = sqlx::query_as(&format!(
            "SELECT count(*), count(*) FILTER (WHERE {IN_FLIGHT}) FROM calls WHERE callout_id = $1"
        ))
        .bind(callout)
        .fetch_one(db)
        .await
        .map_err(|e| e.to_string())?;
        if flying == 0 {
            match quiet {
                Some((seen, at)) if seen == total => return Ok(at),
                _ => quiet = Some((total, t.elapsed())),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        quiet = None;
        if t.elapsed() > DRAIN_PATIENCE {
            return Err(format!(
                "{flying} calls of callout {callout} still in flight {} s after it was paused",
                DRAIN_PATIENCE.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Calls of the callout claimed after `acknowledged` (when the pause had been answered), and when
/// the earliest transaction that claimed them began, in seconds relative to it (the history's
/// first entry is stamped with the claiming transaction's `now()`).
async fn claimed_after(db: &PgPool, callout: i64, acknowledged: DateTime<Utc>) -> Res<(i64, Option<f64>)> {
    sqlx::query_as(
        "SELECT count(*), extract(epoch FROM min((history->0->>'at')::timestamptz) - $2)::float8
         FROM calls WHERE callout_id = $1 AND sent_at > $2",
    )
    .bind(callout)
    .bind(acknowledged)
    .fetch_one(db)
    .await
    .map_err(|e| e.to_string())
}

async fn db_now(db: &PgPool) -> Res<DateTime<Utc>> {
    sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(db)
        .await
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// 1. CSV import.

struct Csv {
    text: String,
    data_rows: usize,
    /// Line numbers of the rows the import must refuse.
    invalid_lines: Vec<u64>,
}

/// A small deterministic generator (xorshift64*), so every run imports the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The k-th distinct national number: 6xxxxxxxx (a stride coprime to 10^8 visits each once).
fn national(k: usize) -> u64 {
    600_000_000 + (k as u64 * 7_919_113 + 12_345) % 100_000_000
}

/// `phone,name,tags,city`: 100,000 distinct valid numbers, 1,000 invalid rows and 300 rows
/// repeating an earlier number, shuffled; the first 20,000 numbers ending in 0–4 are tagged
/// `dial`.
fn make_csv() -> Csv {
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Valid,
        Invalid,
        Duplicate,
    }
    let mut kinds = vec![Kind::Valid; CSV_CONTACTS];
    kinds.extend(std::iter::repeat_n(Kind::Invalid, CSV_INVALID));
    kinds.extend(std::iter::repeat_n(Kind::Duplicate, CSV_DUPLICATES));
    let mut rng = Rng(0x5eed_ca11_0075_2026);
    for i in (1..kinds.len()).rev() {
        kinds.swap(i, rng.below(i + 1));
    }
    if let Some(first) = kinds.iter().position(|k| *k == Kind::Valid) {
        kinds.swap(0, first);
    }
    const CITIES: [&str; 8] = [
        "Barcelona",
        "Girona",
        "Lleida",
        "Tarragona",
        "Vic",
        "Manresa",
        "Reus",
        "Figueres",
    ];
    const BAD: [&str; 4] = ["n/a", "12", "", "6x1234567"];
    let mut text = String::with_capacity(kinds.len() * 40);
    text.push_str("phone,name,tags,city\n");
    let mut rows: Vec<(u64, bool)> = Vec::with_capacity(CSV_CONTACTS);
    let (mut dial, mut invalid_lines) = (0usize, Vec::with_capacity(CSV_INVALID));
    for (i, kind) in kinds.iter().enumerate() {
        let line = i as u64 + 2;
        match kind {
            Kind::Valid => {
                let n = national(rows.len());
                let tagged = dial < DIAL_CONTACTS && n % 10 <= 4;
                dial += tagged as usize;
                let _ = writeln!(
                    text,
                    "{n},Contact {},{},{}",
                    rows.len(),
                    if tagged { "bench;dial" } else { "bench" },
                    CITIES[rows.len() % CITIES.len()]
                );
                rows.push((n, tagged));
            }
            Kind::Duplicate => {
                // A number seen earlier, often in another chunk of 5,000, with its own name.
                let k = rows.len() - 1 - rng.below(rows.len().min(20_000));
                let _ = writeln!(text, "{},Contact {k},bench,{}", rows[k].0, CITIES[k % CITIES.len()]);
            }
            Kind::Invalid => {
                let _ = writeln!(text, "{},Nobody {i},bench,Vic", BAD[i % BAD.len()]);
                invalid_lines.push(line);
            }
        }
    }
    Csv {
        text,
        data_rows: kinds.len(),
        invalid_lines,
    }
}

#[derive(serde::Deserialize)]
struct ImportAnswer {
    created: u64,
    merged: u64,
    errors: Vec<RowError>,
}

#[derive(Default)]
struct ImportResult {
    bytes: usize,
    rows: usize,
    chunks: usize,
    read: Duration,
    upload: Duration,
    chunk_times: Vec<Duration>,
    created: u64,
    merged: u64,
    errors: u64,
    contacts_in_db: i64,
    dial_in_db: i64,
    /// Set when the server function was missing and the REST bulk endpoint loaded the contacts.
    fallback: Option<String>,
}

impl ImportResult {
    fn total(&self) -> Duration {
        self.read + self.upload
    }
}

async fn step_import(report: &mut Report, app: &Instance, rest: &Rest, cookie: &str, csv: &Csv) -> Res<()> {
    let mut r = ImportResult {
        bytes: csv.text.len(),
        ..Default::default()
    };
    // In the browser: read the file, guess the mapping, then send it in chunks.
    let t = Instant::now();
    let (table, read_errors) = contacts_csv::read(&csv.text).map_err(|e| format!("reading the CSV: {e:?}"))?;
    let mapping: Mapping = contacts_csv::guess(&table.header);
    r.read = t.elapsed();
    r.rows = table.rows.len() + read_errors.len();
    if let Err(e) = mapping.check(table.header.len()) {
        return Err(format!("the guessed mapping is refused: {e:?}"));
    }
    let http = reqwest::Client::new();
    let url = format!("{}/api/contacts/import", app.url);
    let mut server_errors: Vec<RowError> = Vec::new();
    let t = Instant::now();
    for chunk in table.rows.chunks(IMPORT_CHUNK) {
        let c = Instant::now();
        let res = http
            .post(&url)
            .header(reqwest::header::COOKIE, cookie)
            .json(&json!({ "mapping": mapping, "rows": chunk, "tag": null }))
            .send()
            .await
            .map_err(|e| format!("POST /api/contacts/import: {e}"))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if status == StatusCode::NOT_FOUND && r.chunks == 0 {
            // Not merged yet: load the contacts through the REST API so the later steps can run.
            let why = format!("`POST /api/contacts/import` answered {status}: the server function is not there");
            println!("{why}; loading the contacts through /api/v1/contacts/bulk instead");
            report.failures.push(format!("1. {why}"));
            return import_by_rest(report, app, rest, &mapping, &table.rows, r, why).await;
        }
        if !status.is_success() {
            return Err(format!("POST /api/contacts/import answered {status}: {text}"));
        }
        let answer: ImportAnswer = serde_json::from_str(&text)
            .map_err(|e| format!("the import's answer is not {{created, merged, errors}} ({e}): {text}"))?;
        r.created += answer.created;
        r.merged += answer.merged;
        server_errors.extend(answer.errors);
        r.chunks += 1;
        r.chunk_times.push(c.elapsed());
    }
    r.upload = t.elapsed();
    r.errors = (server_errors.len() + read_errors.len()) as u64;
    count_contacts(app, &mut r).await?;
    println!(
        "{} rows ({:.1} MB) in {:.2} s ({:.0} rows/s): read + guess {:.0} ms, {} calls {:.2} s; \
         created {}, merged {}, refused {}; {} contacts in the database",
        r.rows,
        r.bytes as f64 / 1e6,
        r.total().as_secs_f64(),
        r.rows as f64 / r.total().as_secs_f64(),
        r.read.as_secs_f64() * 1000.0,
        r.chunks,
        r.upload.as_secs_f64(),
        r.created,
        r.merged,
        r.errors,
        r.contacts_in_db
    );
    // The checks.
    if r.created + r.merged + r.errors != csv.data_rows as u64 {
        report.failures.push(format!(
            "1. created {} + merged {} + refused {} = {}, but the file has {} data rows",
            r.created,
            r.merged,
            r.errors,
            r.created + r.merged + r.errors,
            csv.data_rows
        ));
    }
    if (r.created, r.merged, r.errors) != (CSV_CONTACTS as u64, CSV_DUPLICATES as u64, CSV_INVALID as u64) {
        report.failures.push(format!(
            "1. expected created {CSV_CONTACTS}, merged {CSV_DUPLICATES}, refused {CSV_INVALID}; got {}, {}, {}",
            r.created, r.merged, r.errors
        ));
    }
    let mut lines: Vec<u64> = server_errors.iter().chain(&read_errors).map(|e| e.line).collect();
    lines.sort_unstable();
    if lines != csv.invalid_lines {
        let wrong = lines
            .iter()
            .filter(|l| csv.invalid_lines.binary_search(l).is_err())
            .count();
        report.failures.push(format!(
            "1. the refused rows' line numbers are not the invalid rows' ({wrong} of {} name another line)",
            lines.len()
        ));
    }
    check_contact_counts(report, &r);
    report.import = Some(r);
    Ok(())
}

async fn count_contacts(app: &Instance, r: &mut ImportResult) -> Res<()> {
    let (all, dial): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE tags @> ARRAY['dial']) FROM contacts")
            .fetch_one(&app.db)
            .await
            .map_err(|e| e.to_string())?;
    r.contacts_in_db = all;
    r.dial_in_db = dial;
    Ok(())
}

fn check_contact_counts(report: &mut Report, r: &ImportResult) {
    if r.contacts_in_db != CSV_CONTACTS as i64 {
        report.failures.push(format!(
            "1. {} contacts in the database, expected {CSV_CONTACTS}",
            r.contacts_in_db
        ));
    }
    if r.dial_in_db != DIAL_CONTACTS as i64 {
        report.failures.push(format!(
            "1. {} contacts tagged dial in the database, expected {DIAL_CONTACTS}",
            r.dial_in_db
        ));
    }
}

/// The fallback when the import server function is missing: the same rows, validated here,
/// through `POST /api/v1/contacts/bulk` (not the figure asked for; reported as such).
async fn import_by_rest(
    report: &mut Report,
    app: &Instance,
    rest: &Rest,
    mapping: &Mapping,
    rows: &[Row],
    mut r: ImportResult,
    why: String,
) -> Res<()> {
    let t = Instant::now();
    for chunk in rows.chunks(IMPORT_CHUNK) {
        let (ok, _) = contacts_csv::contacts(mapping, chunk, "34");
        let items: Vec<Value> = ok
            .iter()
            .map(|c| json!({ "phone": c.phone, "name": c.name, "tags": c.tags, "metadata": c.metadata }))
            .collect();
        let v = rest
            .post("/api/v1/contacts/bulk", json!({ "contacts": items }), StatusCode::OK)
            .await?;
        r.created += v["created"].as_u64().unwrap_or(0);
        r.merged += v["merged"].as_u64().unwrap_or(0);
        r.chunks += 1;
    }
    r.upload = t.elapsed();
    count_contacts(app, &mut r).await?;
    check_contact_counts(report, &r);
    r.fallback = Some(why);
    report.import = Some(r);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 2. Populate.

struct PopulateResult {
    callout: i64,
    added: i64,
    took: Duration,
}

async fn step_populate(report: &mut Report, rest: &Rest) -> Res<i64> {
    let id = rest
        .callout(json!({ "name": "Everyone", "caller_id": CALLER_ID }))
        .await?;
    let t = Instant::now();
    let v = rest
        .post(&format!("/api/v1/callouts/{id}/populate"), json!({}), StatusCode::OK)
        .await?;
    let took = t.elapsed();
    let added = v["added"].as_i64().unwrap_or(-1);
    println!("callout {id}: {added} participations in {:.2} s", took.as_secs_f64());
    if added != CSV_CONTACTS as i64 || v["participations"].as_i64() != Some(CSV_CONTACTS as i64) {
        report
            .failures
            .push(format!("2. populate added {added}, expected {CSV_CONTACTS}: {v}"));
    }
    report.populate = Some(PopulateResult {
        callout: id,
        added,
        took,
    });
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// 3. Calls per second with no limit.

#[derive(Default)]
struct RateResult {
    participations: i64,
    batch: u32,
    concurrency: usize,
    /// Calls accepted by the provider per whole second of the steady window.
    per_second: Vec<i64>,
    steady_rate: f64,
    window_secs: u32,
    overall_rate: f64,
    calls: i64,
    accepted: i64,
    completed_per_second: f64,
    claim_to_accept_p50_ms: f64,
    claim_to_accept_p99_ms: f64,
    drain: Duration,
    by_status: BTreeMap<String, i64>,
    telsim_calls: usize,
    paused_after: f64,
    /// Calls claimed after the pause had been answered.
    after_pause: i64,
    /// When the transaction that claimed them began, relative to the pause's answer (s).
    late_claim_began: Option<f64>,
    /// The dialer's pacing read with this run's calls in the table.
    pacing_read: Option<Stats>,
    cpu: CpuUse,
}

async fn step_rate(report: &mut Report, app: &Instance, rest: &Rest, sim: &Telsim, dialer: &DialerSettings) -> Res<()> {
    let id = rest
        .callout(json!({
            "name": "Dial rate", "caller_id": CALLER_ID, "max_attempts": 1,
            "twiml": "<Response><Say>Hello</Say></Response>"
        }))
        .await?;
    let v = rest
        .post(
            &format!("/api/v1/callouts/{id}/populate"),
            json!({ "filter": { "tags": ["dial"] } }),
            StatusCode::OK,
        )
        .await?;
    let mut r = RateResult {
        participations: v["added"].as_i64().unwrap_or(0),
        batch: dialer.batch,
        concurrency: dialer.concurrency,
        ..Default::default()
    };
    if r.participations != DIAL_CONTACTS as i64 {
        report.failures.push(format!(
            "3. the dial-rate callout has {} participations, expected {DIAL_CONTACTS}",
            r.participations
        ));
    }
    let start = db_now(&app.db).await?;
    let cpu_before = CpuSample::take(&app.db).await;
    rest.event(id, "start").await?;
    let t = Instant::now();
    let end_at = Duration::from_secs((RATE_WARMUP_SECS + RATE_WINDOW_SECS) as u64);
    let mut last = 0i64;
    while t.elapsed() < end_at {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM calls WHERE callout_id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "  {:>4.1} s: {sent} calls ({} in the last second)",
            t.elapsed().as_secs_f64(),
            sent - last
        );
        last = sent;
        if sent >= r.participations {
            break;
        }
    }
    rest.event(id, "pause").await?;
    let paused = db_now(&app.db).await?;
    r.cpu = CpuSample::take(&app.db).await.since(&cpu_before);
    r.paused_after = (paused - start).as_seconds_f64();
    r.drain = drain(&app.db, id).await?;
    (r.after_pause, r.late_claim_began) = claimed_after(&app.db, id, paused).await?;
    // What the dialer's pacing read costs each tick once a day's calls are in the table (it
    // counts them even when no period limit is set).
    let mut times = Vec::new();
    for _ in 0..20 {
        let mut tx = app.db.begin().await.map_err(|e| e.to_string())?;
        let q = Instant::now();
        app::callouts::store::calls::pacing_state(&mut tx, id, 24)
            .await
            .map_err(|e| format!("pacing state: {e:?}"))?;
        times.push(q.elapsed());
        tx.rollback().await.map_err(|e| e.to_string())?;
    }
    r.pacing_read = Some(Stats::of(&times));

    // From the calls' own timestamps: accepted by the provider (remote_queued_at) per second
    // since the start; the steady window skips the warm-up and stops at the pause or at the last
    // call (whichever comes first), whole seconds only.
    let buckets: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT floor(extract(epoch FROM remote_queued_at - $2))::int AS s, count(*)
         FROM calls WHERE callout_id = $1 AND remote_queued_at IS NOT NULL GROUP BY s ORDER BY s",
    )
    .bind(id)
    .bind(start)
    .fetch_all(&app.db)
    .await
    .map_err(|e| e.to_string())?;
    let (first, last_accept, calls, accepted): (Option<DateTime<Utc>>, Option<DateTime<Utc>>, i64, i64) =
        sqlx::query_as(
            "SELECT min(remote_queued_at), max(remote_queued_at), count(*), count(remote_queued_at)
             FROM calls WHERE callout_id = $1",
        )
        .bind(id)
        .fetch_one(&app.db)
        .await
        .map_err(|e| e.to_string())?;
    r.calls = calls;
    r.accepted = accepted;
    let stop = last_accept.map_or(paused, |l| l.min(paused));
    let stop_secs = (stop - start).as_seconds_f64();
    let whole = (stop_secs.floor() as i64 - RATE_WARMUP_SECS as i64).max(0) as u32;
    r.window_secs = whole;
    let counts: HashMap<i32, i64> = buckets.into_iter().collect();
    r.per_second = (RATE_WARMUP_SECS..RATE_WARMUP_SECS + whole)
        .map(|s| counts.get(&(s as i32)).copied().unwrap_or(0))
        .collect();
    if let (Some(f), Some(l)) = (first, last_accept) {
        r.overall_rate = accepted as f64 / (l - f).as_seconds_f64().max(1e-3);
    }
    r.steady_rate = if whole > 0 {
        r.per_second.iter().sum::<i64>() as f64 / whole as f64
    } else {
        r.overall_rate
    };
    let window_start = start + chrono::TimeDelta::seconds(RATE_WARMUP_SECS as i64);
    let window_end = window_start + chrono::TimeDelta::seconds(whole as i64);
    let completed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM calls WHERE callout_id = $1 AND completed_at >= $2 AND completed_at < $3",
    )
    .bind(id)
    .bind(window_start)
    .bind(window_end)
    .fetch_one(&app.db)
    .await
    .map_err(|e| e.to_string())?;
    r.completed_per_second = completed as f64 / whole.max(1) as f64;
    let (p50, p99): (Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM remote_queued_at - sent_at)),
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM remote_queued_at - sent_at))
         FROM calls WHERE callout_id = $1 AND remote_queued_at IS NOT NULL",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .map_err(|e| e.to_string())?;
    r.claim_to_accept_p50_ms = p50.unwrap_or(0.0) * 1000.0;
    r.claim_to_accept_p99_ms = p99.unwrap_or(0.0) * 1000.0;
    r.by_status = status_counts(&app.db, id).await?;
    r.telsim_calls = sim.calls().as_array().map_or(0, Vec::len);
    println!(
        "steady {:.0} calls/s over {} s (per second: {:?}); overall {:.0}/s; {} calls, {} accepted; \
         completed {:.0}/s; claim → accepted p50 {:.0} ms, p99 {:.0} ms; drained in {:.1} s; {:?}",
        r.steady_rate,
        r.window_secs,
        r.per_second,
        r.overall_rate,
        r.calls,
        r.accepted,
        r.completed_per_second,
        r.claim_to_accept_p50_ms,
        r.claim_to_accept_p99_ms,
        r.drain.as_secs_f64(),
        r.by_status
    );
    let not_completed: i64 = r
        .by_status
        .iter()
        .filter(|(s, _)| s.as_str() != "completed")
        .map(|(_, n)| n)
        .sum();
    if not_completed > 0 {
        report.failures.push(format!(
            "3. {not_completed} calls to always-answering numbers did not end completed: {:?}",
            r.by_status
        ));
    }
    if r.telsim_calls as i64 != r.accepted {
        report.failures.push(format!(
            "3. telsim received {} calls, the database recorded {} as accepted",
            r.telsim_calls, r.accepted
        ));
    }
    report.rate = Some(r);
    Ok(())
}

async fn status_counts(db: &PgPool, callout: i64) -> Res<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM calls WHERE callout_id = $1 GROUP BY status")
            .bind(callout)
            .fetch_all(db)
            .await
            .map_err(|e| e.to_string())?;
    Ok(rows.into_iter().collect())
}

// ---------------------------------------------------------------------------------------------
// 4. Status callbacks.

#[derive(Default)]
struct CallbackResult {
    calls: usize,
    sent: usize,
    took: Duration,
    by_status: BTreeMap<u16, usize>,
    errors: usize,
    latency: Option<Stats>,
    completed: i64,
    answered: i64,
    cpu: CpuUse,
}

async fn step_callbacks(report: &mut Report, app: &Instance, callout: i64) -> Res<()> {
    // Calls at the provider with known CallSids, for participations of the populated callout
    // (not running, so the dialer leaves them alone), as the dialer would have left them.
    let calls: Vec<(i64, String, String)> = sqlx::query_as(
        "WITH p AS (
             UPDATE participations SET state = 'calling', attempts = 1
             WHERE id IN (SELECT id FROM participations WHERE callout_id = $1 ORDER BY id LIMIT $2)
             RETURNING id, contact_id
         )
         INSERT INTO calls (participation_id, callout_id, attempt, phone, caller_id, status, provider_sid,
                            sent_at, remote_queued_at, placed_by)
         SELECT p.id, $1, 1, c.phone, $3, 'remotely_queued', 'CAbench' || lpad(p.id::text, 26, '0'),
                now(), now(), 'bench'
         FROM p JOIN contacts c ON c.id = p.contact_id
         RETURNING id, provider_sid, phone",
    )
    .bind(callout)
    .bind(CALLBACK_CALLS as i64)
    .bind(CALLER_ID)
    .fetch_all(&app.db)
    .await
    .map_err(|e| format!("creating calls: {e}"))?;
    let mut r = CallbackResult {
        calls: calls.len(),
        ..Default::default()
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CALLBACK_CLIENTS)
        .build()
        .map_err(|e| e.to_string())?;
    let public = app.provider.public_url.clone();
    let token = app.provider.auth_token.clone();
    let base = app.url.clone();
    let calls = Arc::new(calls);
    let cpu_before = CpuSample::take(&app.db).await;
    let t = Instant::now();
    let clients = (0..CALLBACK_CLIENTS).map(|c| {
        let (http, calls, public, token, base) =
            (http.clone(), calls.clone(), public.clone(), token.clone(), base.clone());
        async move {
            let mut out: Vec<(u16, Duration)> = Vec::new();
            let mut errors = 0usize;
            for (id, sid, phone) in calls.iter().skip(c).step_by(CALLBACK_CLIENTS) {
                let path = format!("{STATUS_PATH}?call={id}");
                for (seq, status) in CALLBACK_SEQUENCE.iter().enumerate() {
                    let mut form: Vec<(&str, String)> = vec![
                        ("CallSid", sid.clone()),
                        ("AccountSid", ACCOUNT_SID.into()),
                        ("From", CALLER_ID.into()),
                        ("To", phone.clone()),
                        ("CallStatus", status.to_string()),
                        ("ApiVersion", "2010-04-01".into()),
                        ("Direction", "outbound-api".into()),
                        ("Timestamp", Utc::now().to_rfc2822()),
                        ("SequenceNumber", seq.to_string()),
                        ("CallbackSource", "call-progress-events".into()),
                    ];
                    if *status == "completed" {
                        form.push(("CallDuration", "12".into()));
                    }
                    let sig = signature::sign(&token, &format!("{public}{path}"), &form);
                    let s = Instant::now();
                    match http
                        .post(format!("{base}{path}"))
                        .header(signature::HEADER, sig)
                        .form(&form)
                        .send()
                        .await
                    {
                        Ok(res) => {
                            let code = res.status().as_u16();
                            let _ = res.bytes().await;
                            out.push((code, s.elapsed()));
                        }
                        Err(_) => errors += 1,
                    }
                }
            }
            (out, errors)
        }
    });
    let results = join_all(clients).await;
    r.took = t.elapsed();
    r.cpu = CpuSample::take(&app.db).await.since(&cpu_before);
    let mut latencies = Vec::new();
    for (out, errors) in results {
        r.errors += errors;
        for (code, d) in out {
            *r.by_status.entry(code).or_default() += 1;
            latencies.push(d);
            r.sent += 1;
        }
    }
    r.sent += r.errors;
    r.latency = (!latencies.is_empty()).then(|| Stats::of(&latencies));
    let ids: Vec<i64> = calls.iter().map(|c| c.0).collect();
    let (completed, answered): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE c.status = 'completed' AND c.duration_secs = 12),
                count(*) FILTER (WHERE p.state = 'done' AND p.answered AND p.done_reason = 'answered')
         FROM calls c JOIN participations p ON p.id = c.participation_id WHERE c.id = ANY($1)",
    )
    .bind(&ids)
    .fetch_one(&app.db)
    .await
    .map_err(|e| e.to_string())?;
    r.completed = completed;
    r.answered = answered;
    println!(
        "{} callbacks for {} calls in {:.2} s: {:.0}/s; answers {:?}, {} failed requests; latency {}; \
         {} calls completed, {} participations answered",
        r.sent,
        r.calls,
        r.took.as_secs_f64(),
        r.sent as f64 / r.took.as_secs_f64(),
        r.by_status,
        r.errors,
        r.latency.as_ref().map(Stats::brief_ms).unwrap_or_default(),
        r.completed,
        r.answered
    );
    let expected = CALLBACK_CALLS * CALLBACK_SEQUENCE.len();
    if r.calls != CALLBACK_CALLS || r.by_status.get(&204).copied().unwrap_or(0) != expected {
        report.failures.push(format!(
            "4. expected {expected} answers 204 for {CALLBACK_CALLS} calls; got {:?} and {} failed requests for {} \
             calls",
            r.by_status, r.errors, r.calls
        ));
    }
    if r.completed != r.calls as i64 || r.answered != r.calls as i64 {
        report.failures.push(format!(
            "4. {} of {} calls completed and {} participations answered after the callbacks",
            r.completed, r.calls, r.answered
        ));
    }
    report.callbacks = Some(r);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 5. Two instances, one callout with limits.

#[derive(Default)]
struct LimitsResult {
    participations: i64,
    calls: usize,
    by_instance: BTreeMap<String, usize>,
    by_status: BTreeMap<String, i64>,
    retries: usize,
    /// Participations with two calls in flight at once (database), and with more calls than
    /// max attempts.
    overlapping_in_participation: usize,
    over_max_attempts: i64,
    /// Calls telsim received beyond the database's rows for the same number, and numbers with
    /// two provider calls at once.
    provider_extra_calls: i64,
    provider_overlapping: usize,
    max_concurrent_db: usize,
    concurrent_violations: usize,
    max_concurrent_provider: usize,
    max_in_second_db: usize,
    cps_violations: usize,
    max_in_second_provider: usize,
    period_calls: usize,
    drain: Duration,
    /// Calls claimed after the pause had been answered.
    after_pause: i64,
    /// When the transaction that claimed them began, relative to the pause's answer (s).
    late_claim_began: Option<f64>,
    /// When the period limit was reached, in seconds after the first call.
    first_call_to_cap: Option<f64>,
}

impl LimitsResult {
    fn duplicates(&self) -> usize {
        self.overlapping_in_participation
            + self.over_max_attempts as usize
            + self.provider_extra_calls as usize
            + self.provider_overlapping
    }

    fn violations(&self) -> usize {
        self.concurrent_violations
            + self.cps_violations
            + self.period_calls.saturating_sub(LIMIT_PERIOD_CALLS)
            + self.max_concurrent_provider.saturating_sub(LIMIT_CONCURRENT)
    }
}

async fn step_two_instances(report: &mut Report, db_name: &str) -> Res<()> {
    let sim = start_telsim(LIMITS_SPEED).await?;
    let dialer = |name: &str| DialerSettings {
        tick: LIMITS_TICK,
        instance: name.into(),
        ..Default::default()
    };
    let a = Instance::start(db_name, options(&sim, dialer("bench-a"))).await?;
    let b = Instance::start(db_name, options(&sim, dialer("bench-b"))).await?;
    println!("instances on {} and {}, telsim ×{LIMITS_SPEED}", a.url, b.url);
    let rest = Rest::new(&a).await?;
    let contacts: Vec<Value> = (0..LIMITS_CONTACTS)
        .map(|i| {
            json!({ "phone": format!("+347100{:05}{}", i, LIMITS_DIGITS[i % LIMITS_DIGITS.len()]), "tags": ["limits"] })
        })
        .collect();
    let v = rest
        .post("/api/v1/contacts/bulk", json!({ "contacts": contacts }), StatusCode::OK)
        .await?;
    if v["created"].as_u64() != Some(LIMITS_CONTACTS as u64) {
        return Err(format!("bulk contacts: {v}"));
    }
    let id = rest
        .callout(json!({
            "name": "Two instances", "caller_id": CALLER_ID,
            "max_concurrent_calls": LIMIT_CONCURRENT, "calls_per_second": LIMIT_CPS,
            "max_calls_per_period": LIMIT_PERIOD_CALLS, "period_hours": LIMIT_PERIOD_HOURS,
            "max_attempts": LIMITS_MAX_ATTEMPTS, "retry_delay_minutes": 0
        }))
        .await?;
    let v = rest
        .post(&format!("/api/v1/callouts/{id}/populate"), json!({}), StatusCode::OK)
        .await?;
    let mut r = LimitsResult {
        participations: v["added"].as_i64().unwrap_or(0),
        ..Default::default()
    };
    let rest_b = Rest::new(&b).await?;
    rest.event(id, "start").await?;
    let t = Instant::now();
    while t.elapsed() < LIMITS_RUN {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (calls, flying): (i64, i64) = sqlx::query_as(&format!(
            "SELECT count(*), count(*) FILTER (WHERE {IN_FLIGHT}) FROM calls WHERE callout_id = $1"
        ))
        .bind(id)
        .fetch_one(&a.db)
        .await
        .map_err(|e| e.to_string())?;
        println!(
            "  {:>4.1} s: {calls} calls, {flying} in flight",
            t.elapsed().as_secs_f64()
        );
    }
    // Paused through the other instance.
    rest_b.event(id, "pause").await?;
    let paused = db_now(&a.db).await?;
    r.drain = drain(&a.db, id).await?;
    (r.after_pause, r.late_claim_began) = claimed_after(&a.db, id, paused).await?;

    type Span = (
        i64,
        i32,
        String,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<String>,
    );
    let rows: Vec<Span> = sqlx::query_as(
        "SELECT participation_id, attempt, phone, sent_at, completed_at, placed_by FROM calls
         WHERE callout_id = $1 ORDER BY participation_id, attempt",
    )
    .bind(id)
    .fetch_all(&a.db)
    .await
    .map_err(|e| e.to_string())?;
    let now = db_now(&a.db).await?;
    r.calls = rows.len();
    r.by_status = status_counts(&a.db, id).await?;
    for row in &rows {
        *r.by_instance.entry(row.5.clone().unwrap_or_default()).or_default() += 1;
    }
    r.retries = rows.iter().filter(|row| row.1 > 1).count();
    // Duplicates in the database: a participation's next call sent before its previous one ended.
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 && w[1].3.unwrap_or(now) < w[0].4.unwrap_or(now) {
            r.overlapping_in_participation += 1;
        }
    }
    r.over_max_attempts = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT participation_id FROM calls WHERE callout_id = $1
                               GROUP BY participation_id HAVING count(*) > $2 OR max(attempt) > $2) x",
    )
    .bind(id)
    .bind(LIMITS_MAX_ATTEMPTS as i32)
    .fetch_one(&a.db)
    .await
    .map_err(|e| e.to_string())?;
    // Limits in the database: in flight from being claimed (sent_at) to being over.
    let spans: Vec<Interval> = rows
        .iter()
        .filter_map(|r| r.3.map(|s| (s, r.4.unwrap_or(now))))
        .collect();
    (r.max_concurrent_db, r.concurrent_violations) = overlap(&spans, LIMIT_CONCURRENT);
    let mut sent: Vec<DateTime<Utc>> = spans.iter().map(|s| s.0).collect();
    (r.max_in_second_db, r.cps_violations) = per_second(&mut sent, LIMIT_CPS);
    // Any window of H hours holds every call of this run (it lasts seconds).
    r.period_calls = sent.len();
    if let (Some(first), Some(cap)) = (sent.first(), sent.get(LIMIT_PERIOD_CALLS - 1)) {
        r.first_call_to_cap = Some((*cap - *first).as_seconds_f64());
    }

    // The provider's side: every call telsim received, by number.
    let placed = sim.calls();
    let mut provider_spans = Vec::new();
    let mut provider_created = Vec::new();
    let mut by_phone: HashMap<String, Vec<Interval>> = HashMap::new();
    for c in placed.as_array().into_iter().flatten() {
        let at = |v: &Value| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok();
        let events = c["events"].as_array().cloned().unwrap_or_default();
        let created = events.first().and_then(|e| at(&e["at"]));
        let end = events.last().and_then(|e| at(&e["at"])).unwrap_or(now);
        if let Some(created) = created {
            provider_created.push(created);
            by_phone
                .entry(c["to"].as_str().unwrap_or_default().to_string())
                .or_default()
                .push((created, end));
        }
        if let Some(dialled) = at(&c["dialled_at"]) {
            provider_spans.push((dialled, end));
        }
    }
    let db_by_phone = rows.iter().fold(HashMap::<&str, i64>::new(), |mut m, r| {
        *m.entry(r.2.as_str()).or_default() += 1;
        m
    });
    for (phone, spans) in &mut by_phone {
        r.provider_extra_calls += (spans.len() as i64 - db_by_phone.get(phone.as_str()).copied().unwrap_or(0)).max(0);
        spans.sort();
        r.provider_overlapping += spans.windows(2).filter(|w| w[1].0 < w[0].1).count();
    }
    r.max_concurrent_provider = overlap(&provider_spans, LIMIT_CONCURRENT).0;
    r.max_in_second_provider = per_second(&mut provider_created, LIMIT_CPS).0;
    println!(
        "{} calls ({:?} by instance; {:?}); duplicates {} ; limit violations {} \
         (most at once {} in the database / {} at telsim, most in a second {} / {} at telsim, {} in the period)",
        r.calls,
        r.by_instance,
        r.by_status,
        r.duplicates(),
        r.violations(),
        r.max_concurrent_db,
        r.max_concurrent_provider,
        r.max_in_second_db,
        r.max_in_second_provider,
        r.period_calls
    );
    if r.duplicates() > 0 {
        report.failures.push(format!(
            "5. {} duplicate calls (two in flight for one participation: {}, over max attempts: {}, \
             extra provider calls: {}, overlapping at the provider: {})",
            r.duplicates(),
            r.overlapping_in_participation,
            r.over_max_attempts,
            r.provider_extra_calls,
            r.provider_overlapping
        ));
    }
    if r.violations() > 0 {
        report.failures.push(format!(
            "5. {} limit violations (most at once {} / {} at telsim for a limit of {LIMIT_CONCURRENT}; \
             most sent in a second {} for {LIMIT_CPS}; {} calls in the period for {LIMIT_PERIOD_CALLS})",
            r.violations(),
            r.max_concurrent_db,
            r.max_concurrent_provider,
            r.max_in_second_db,
            r.period_calls
        ));
    }
    if r.by_instance.len() < 2 {
        report.failures.push(format!(
            "5. only {:?} placed calls: the two-instance check did not exercise two instances",
            r.by_instance.keys().collect::<Vec<_>>()
        ));
    }
    if r.period_calls < LIMIT_PERIOD_CALLS {
        report.notes.push(format!(
            "5. the run placed {} calls, fewer than the period limit {LIMIT_PERIOD_CALLS}: that limit was not reached",
            r.period_calls
        ));
    }
    report.limits = Some(r);
    a.stop().await;
    b.stop().await;
    Ok(())
}

/// The most intervals open at once, and how many interval starts found more than `limit` open
/// (ends before starts at the same instant).
fn overlap(spans: &[Interval], limit: usize) -> (usize, usize) {
    let mut edges: Vec<(DateTime<Utc>, i32)> = spans.iter().flat_map(|(a, b)| [(*a, 1), (*b, -1)]).collect();
    edges.sort();
    let (mut open, mut max, mut over) = (0i64, 0i64, 0usize);
    for (_, d) in edges {
        open += d as i64;
        if d > 0 && open > limit as i64 {
            over += 1;
        }
        max = max.max(open);
    }
    (max as usize, over)
}

/// The most instants in any window [t, t + 1 s), and how many windows starting at one of them
/// hold more than `limit`.
fn per_second(times: &mut [DateTime<Utc>], limit: usize) -> (usize, usize) {
    times.sort();
    let second = chrono::TimeDelta::seconds(1);
    let (mut j, mut max, mut over) = (0usize, 0usize, 0usize);
    for i in 0..times.len() {
        j = j.max(i);
        while j < times.len() && times[j] < times[i] + second {
            j += 1;
        }
        let n = j - i;
        max = max.max(n);
        over += (n > limit) as usize;
    }
    (max, over)
}

// ---------------------------------------------------------------------------------------------
// CPU use: this process (app instances, telsim, the clients), the PostgreSQL backends of the
// database, and the whole machine (busy and stolen by the hypervisor: the cores are shared).

struct CpuSample {
    at: Instant,
    own: u64,
    pg: HashMap<i32, u64>,
    busy: u64,
    steal: u64,
}

/// Cores used on average between two samples.
#[derive(Clone, Copy, Debug, Default)]
struct CpuUse {
    own: f64,
    pg: f64,
    busy: f64,
    steal: f64,
}

impl CpuUse {
    fn text(&self) -> String {
        format!(
            "this process (app, telsim, clients) {:.2} cores, PostgreSQL backends {:.2}, the rest {:.2} (other \
             processes, PostgreSQL's background processes, kernel work not charged to a process); busy {:.2} of {} \
             (stolen by the hypervisor {:.2})",
            self.own,
            self.pg,
            (self.busy - self.own - self.pg).max(0.0),
            self.busy,
            cores(),
            self.steal
        )
    }
}

impl CpuSample {
    async fn take(db: &PgPool) -> CpuSample {
        let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            .fetch_all(db)
            .await
            .unwrap_or_default();
        let (busy, steal) = machine_ticks();
        CpuSample {
            at: Instant::now(),
            own: proc_ticks("self").unwrap_or(0),
            pg: pids
                .into_iter()
                .filter_map(|pid| proc_ticks(&pid.to_string()).map(|t| (pid, t)))
                .collect(),
            busy,
            steal,
        }
    }

    fn since(&self, before: &CpuSample) -> CpuUse {
        let secs = (self.at - before.at).as_secs_f64().max(1e-3) * clock_ticks_per_second();
        // Backends that appeared meanwhile count from zero.
        let pg: u64 = self
            .pg
            .iter()
            .map(|(pid, t)| t.saturating_sub(*before.pg.get(pid).unwrap_or(&0)))
            .sum();
        CpuUse {
            own: self.own.saturating_sub(before.own) as f64 / secs,
            pg: pg as f64 / secs,
            busy: self.busy.saturating_sub(before.busy) as f64 / secs,
            steal: self.steal.saturating_sub(before.steal) as f64 / secs,
        }
    }
}

/// The whole machine's busy and stolen clock ticks so far (all cores).
fn machine_ticks() -> (u64, u64) {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let v: Vec<u64> = s
                .lines()
                .next()?
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal: busy = all − idle − iowait.
            Some((v.iter().take(8).sum::<u64>() - v.get(3)? - v.get(4)?, *v.get(7)?))
        })
        .unwrap_or((0, 0))
}

/// Cores kept busy by others while the benchmark does nothing yet.
async fn idle_baseline(secs: u64) -> f64 {
    let before = machine_ticks().0;
    tokio::time::sleep(Duration::from_secs(secs)).await;
    machine_ticks().0.saturating_sub(before) as f64 / (secs as f64 * clock_ticks_per_second())
}

// ---------------------------------------------------------------------------------------------
// Figures and the report.

impl Stats {
    fn brief_ms(&self) -> String {
        format!(
            "mean {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n = {})",
            ms(self.mean),
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.n
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{} shared cores ({cpu}); the app, PostgreSQL, telsim and the clients all run on them, beside whatever \
         else the machine runs (see the CPU rows)",
        cores()
    )
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
}

fn commit() -> String {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let head = command_line("git", &["-C", repo, "rev-parse", "--short", "HEAD"]);
    let dirty = !command_line("git", &["-C", repo, "status", "--porcelain", "--untracked-files=no"]).is_empty();
    if dirty {
        format!("`{head}` plus uncommitted changes")
    } else {
        format!("`{head}`")
    }
}

/// Warnings and errors the app logged during the run, by message (the most frequent first).
fn log_summary(path: &std::path::Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in text.lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")) {
        // Drop the timestamp; keep level, target and message with its fields.
        let key = line.split_once(' ').map_or(line, |(_, rest)| rest).trim();
        let key: String = key.chars().take(220).collect();
        *counts.entry(key).or_default() += 1;
    }
    let mut v: Vec<(usize, String)> = counts.into_iter().map(|(k, n)| (n, k)).collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    v
}

#[derive(Default)]
struct Report {
    date: DateTime<Utc>,
    /// Cores busy before the benchmark started anything (others' work on the shared machine).
    baseline: f64,
    machine: String,
    postgres: String,
    load_start: String,
    load_end: String,
    total: Duration,
    rate_dialer: String,
    import: Option<ImportResult>,
    populate: Option<PopulateResult>,
    rate: Option<RateResult>,
    callbacks: Option<CallbackResult>,
    limits: Option<LimitsResult>,
    provider_rate: Vec<recovery::ProviderRate>,
    kill: Option<recovery::KillRun>,
    log: Vec<(usize, String)>,
    notes: Vec<String>,
    failures: Vec<String>,
}

fn met(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

impl Report {
    /// What the figures say beyond met / missed.
    fn findings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(r) = &self.rate
            && let (Some(lo), Some(hi)) = (r.per_second.iter().min(), r.per_second.iter().max())
        {
            out.push(format!(
                "Calls leave in bursts: each tick the dialer claims up to {} calls of a callout, sends them {} at a \
                 time and starts its next tick only when the whole batch has been answered, so the calls accepted \
                 per second ranged from {lo} to {hi} in the window and a claimed call waited p50 {:.0} ms, p99 \
                 {:.0} ms \
                 for the provider's answer. The rate is bounded by how fast one batch is sent (create request + \
                 recording the CallSid, while the same cores apply 4 status callbacks per call), not by the tick; \
                 the machine was {:.0} % busy ({}).",
                r.batch,
                r.concurrency,
                r.claim_to_accept_p50_ms,
                r.claim_to_accept_p99_ms,
                r.cpu.busy / cores() as f64 * 100.0,
                r.cpu.text()
            ));
        }
        if let Some(c) = &self.callbacks
            && let Some(l) = &c.latency
        {
            out.push(format!(
                "Status callbacks: {:.0} /s from {CALLBACK_CLIENTS} clients (p99 {:.0} ms) with the machine {:.0} % \
                 busy ({}); each callback is a signature check and a transaction holding the call's row lock, and, \
                 when it changes the call, an update, the participation's settlement and a `pg_notify`.",
                c.sent as f64 / c.took.as_secs_f64(),
                ms(l.p99),
                c.cpu.busy / cores() as f64 * 100.0,
                c.cpu.text()
            ));
        }
        let late: Vec<String> = [
            self.rate.as_ref().map(|r| ("3", r.after_pause, r.late_claim_began)),
            self.limits.as_ref().map(|l| ("5", l.after_pause, l.late_claim_began)),
        ]
        .into_iter()
        .flatten()
        .filter(|(_, n, _)| *n > 0)
        .map(|(step, n, began)| {
            format!(
                "{n} in step {step}{}",
                began
                    .map(|b| format!(
                        ", by a transaction that began {:.0} ms {} the answer",
                        b.abs() * 1000.0,
                        if b < 0.0 { "before" } else { "after" }
                    ))
                    .unwrap_or_default()
            )
        })
        .collect();
        if !late.is_empty() {
            out.push(format!(
                "Calls were claimed after the pause had been answered ({}). The dialer reads the callout's status \
                 with a plain `SELECT` inside its tick's transaction, while the pause takes the row's `FOR UPDATE` \
                 lock: a tick that read `running` just before the pause committed goes on to claim and place its \
                 whole budget (with no limit, a batch of up to {} calls) after the console or the API has said \
                 the callout is paused. Reading the status `FOR SHARE` in the tick would make the pause wait for \
                 that claim (or the tick see the pause).",
                late.join(", "),
                self.rate.as_ref().map_or(0, |r| r.batch)
            ));
        }
        if self.baseline > 0.2 {
            out.push(format!(
                "The machine was not the benchmark's alone: {:.2} of its {} cores were busy before the benchmark \
                 started anything, so the throughput figures are lower than the same build would reach on idle \
                 cores.",
                self.baseline,
                cores()
            ));
        }
        if let Some(l) = &self.limits {
            let reached = |max: usize, limit: usize| if max >= limit { "reached" } else { "not reached" };
            out.push(format!(
                "Under limits the two instances shared the work ({}) and every limit held to the call: concurrency \
                 {} (most at once {} of {LIMIT_CONCURRENT}), calls per second {} (most in a second {} of \
                 {LIMIT_CPS}), and the period limit stopped dialing at {} calls{}.",
                l.by_instance
                    .iter()
                    .map(|(k, v)| format!("{v} by {k}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                reached(l.max_concurrent_db, LIMIT_CONCURRENT),
                l.max_concurrent_db,
                reached(l.max_in_second_db, LIMIT_CPS),
                l.max_in_second_db,
                l.period_calls,
                l.first_call_to_cap
                    .map(|t| format!(" ({t:.1} s after the first)"))
                    .unwrap_or_default()
            ));
            if l.max_in_second_provider > LIMIT_CPS {
                out.push(format!(
                    "The provider can see a little more than the calls-per-second setting: telsim received up to {} \
                     create requests within one second while the claims (`sent_at`) kept to {LIMIT_CPS}. A call \
                     counts as sent when it is claimed; the requests of one claim leave over the next tens of \
                     milliseconds, at varying delays, so two batches a second apart can arrive closer together. \
                     telsim (like Somleng) queues calls over its own limit rather than refusing them; a provider \
                     that refused them would see a few calls per second over the setting.",
                    l.max_in_second_provider
                ));
            }
        }
        out
    }

    fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Callouts benchmark\n");
        let _ = writeln!(
            s,
            "Written by `cargo bench -p server --bench callouts` (`make bench`); do not edit by hand.\n"
        );
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(s, "| Date | {} |", self.date.format("%Y-%m-%d %H:%M UTC"));
        let _ = writeln!(s, "| Commit | {} |", commit());
        let _ = writeln!(s, "| Machine | {} |", self.machine);
        let _ = writeln!(
            s,
            "| Build | `{}` profile, {} |",
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "bench (release)"
            },
            command_line("rustc", &["--version"])
        );
        let _ = writeln!(
            s,
            "| PostgreSQL | {} (embedded cluster, same machine; {POOL_SIZE} connections per app instance) |",
            self.postgres
        );
        let _ = writeln!(
            s,
            "| Load average (1/5/15 min) | {} at the start, {} at the end |",
            self.load_start, self.load_end
        );
        let _ = writeln!(
            s,
            "| Machine busy before the run | {:.2} of {} cores over {BASELINE_SECS} s, before the benchmark started \
             anything (others' work) |",
            self.baseline,
            cores()
        );
        let _ = writeln!(s, "| Whole run | {:.0} s |\n", self.total.as_secs_f64());

        let _ = writeln!(s, "## Summary\n");
        let _ = writeln!(s, "| Figure | Measured | Target | Met? |\n|---|---|---|---|");
        if let Some(r) = &self.import {
            let secs = r.total().as_secs_f64();
            let what = if r.fallback.is_some() {
                " (REST bulk fallback: the server function was missing)"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "| {CSV_CONTACTS} contacts imported from CSV ({} rows, chunks of {IMPORT_CHUNK}){what} | {secs:.2} s \
                 ({:.0} rows/s) | ≤ {TARGET_IMPORT_SECS:.0} s | {} |",
                r.rows,
                r.rows as f64 / secs,
                if r.fallback.is_some() {
                    "not measured"
                } else {
                    met(secs <= TARGET_IMPORT_SECS)
                }
            );
        }
        if let Some(p) = &self.populate {
            let _ = writeln!(
                s,
                "| A callout populated with {} participations | {:.2} s | ≤ {TARGET_POPULATE_SECS:.0} s | {} |",
                p.added,
                p.took.as_secs_f64(),
                met(p.took.as_secs_f64() <= TARGET_POPULATE_SECS)
            );
        }
        if let Some(r) = &self.rate {
            let _ = writeln!(
                s,
                "| Calls placed per second, no limit set (steady {} s window) | {:.0} /s | ≥ {TARGET_CPS:.0} /s \
                 | {} |",
                r.window_secs,
                r.steady_rate,
                met(r.steady_rate >= TARGET_CPS)
            );
        }
        if let Some(c) = &self.callbacks {
            let rate = c.sent as f64 / c.took.as_secs_f64();
            let _ = writeln!(
                s,
                "| Status callbacks processed per second ({CALLBACK_CLIENTS} clients) | {rate:.0} /s | \
                 ≥ {TARGET_CALLBACKS:.0} /s | {} |",
                met(rate >= TARGET_CALLBACKS)
            );
        }
        if let Some(l) = &self.limits {
            let _ = writeln!(
                s,
                "| Two instances under limits: duplicate calls | {} | 0 | {} |",
                l.duplicates(),
                met(l.duplicates() == 0)
            );
            let _ = writeln!(
                s,
                "| Two instances under limits: limit violations | {} | 0 | {} |",
                l.violations(),
                met(l.violations() == 0)
            );
        }
        let _ = writeln!(s);
        let findings = self.findings();
        if !findings.is_empty() {
            let _ = writeln!(s, "## Findings\n");
            for f in &findings {
                let _ = writeln!(s, "- {f}");
            }
            let _ = writeln!(s);
        }
        if !self.failures.is_empty() {
            let _ = writeln!(s, "## Broken steps\n");
            for f in &self.failures {
                let _ = writeln!(s, "- {f}");
            }
            let _ = writeln!(s);
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "## Notes\n");
            for n in &self.notes {
                let _ = writeln!(s, "- {n}");
            }
            let _ = writeln!(s);
        }

        if let Some(r) = &self.import {
            let _ = writeln!(s, "## 1. CSV import\n");
            let _ = writeln!(
                s,
                "A {:.1} MB file generated in memory, `phone,name,tags,city`: {CSV_CONTACTS} distinct national \
                 numbers (`6xxxxxxxx`), {CSV_INVALID} invalid rows, {CSV_DUPLICATES} rows repeating an earlier number \
                 (often from another chunk), shuffled. Imported as the browser does it: \
                 `domain::contacts_csv::read` → `guess(&header)` → the rows in chunks of {IMPORT_CHUNK} to \
                 `POST /api/contacts/import` (`{{mapping, rows, tag: null}}`: the file has its own tags column) as \
                 a signed-in manager, one chunk after the other. The time counts reading the file and every round \
                 trip.\n",
                r.bytes as f64 / 1e6
            );
            if let Some(why) = &r.fallback {
                let _ = writeln!(
                    s,
                    "**Not measured**: {why}. The contacts were loaded through `POST /api/v1/contacts/bulk` (validated \
                     in the benchmark) so the other steps could run.\n"
                );
            }
            let _ = writeln!(s, "| | |\n|---|---|");
            let _ = writeln!(
                s,
                "| Total | {:.2} s, {:.0} rows/s |",
                r.total().as_secs_f64(),
                r.rows as f64 / r.total().as_secs_f64()
            );
            let _ = writeln!(s, "| Read + guess (client side) | {:.0} ms |", ms(r.read));
            let _ = writeln!(
                s,
                "| Upload: {} calls | {:.2} s{} |",
                r.chunks,
                r.upload.as_secs_f64(),
                if r.chunk_times.is_empty() {
                    String::new()
                } else {
                    format!("; per call {}", Stats::of(&r.chunk_times).brief_ms())
                }
            );
            let _ = writeln!(
                s,
                "| Answers summed | created {}, merged {}, refused {} (sum {}, rows {}) |",
                r.created,
                r.merged,
                r.errors,
                r.created + r.merged + r.errors,
                r.rows
            );
            let _ = writeln!(
                s,
                "| Contacts in the database | {} ({} tagged `dial`) |\n",
                r.contacts_in_db, r.dial_in_db
            );
        }
        if let Some(p) = &self.populate {
            let _ = writeln!(s, "## 2. Populate\n");
            let _ = writeln!(
                s,
                "`POST /api/v1/callouts/{}/populate` with `{{}}` (every contact) on a new callout: {} participations \
                 added in {:.2} s (one `INSERT … SELECT`, timed as the client sees it).\n",
                p.callout,
                p.added,
                p.took.as_secs_f64()
            );
        }
        if let Some(r) = &self.rate {
            let _ = writeln!(s, "## 3. Calls placed per second, no limit\n");
            let _ = writeln!(
                s,
                "A callout over the {} contacts tagged `dial` (numbers ending in 0–4: telsim answers them), no \
                 limit set, one attempt, inline TwiML; telsim in-process on loopback at ×{RATE_SPEED} (a call \
                 lasts 6–23 simulated seconds, 60–230 ms here) without cps or concurrency limits. Dialer: {}. \
                 Counted from the calls' own timestamps: calls accepted by the provider (`remote_queued_at`) \
                 per whole second, skipping the first {RATE_WARMUP_SECS} s, until the pause ({:.1} s after the \
                 start) or the last call.\n",
                r.participations, self.rate_dialer, r.paused_after
            );
            let _ = writeln!(s, "| | |\n|---|---|");
            let _ = writeln!(
                s,
                "| Steady rate | {:.0} calls/s over {} s; per second: {} |",
                r.steady_rate,
                r.window_secs,
                r.per_second
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let _ = writeln!(
                s,
                "| From the first to the last accepted call | {:.0} calls/s |",
                r.overall_rate
            );
            let _ = writeln!(
                s,
                "| Calls finished (completed callback applied) in the window | {:.0} /s |",
                r.completed_per_second
            );
            let _ = writeln!(
                s,
                "| Claimed → accepted by the provider | p50 {:.0} ms, p99 {:.0} ms |",
                r.claim_to_accept_p50_ms, r.claim_to_accept_p99_ms
            );
            let _ = writeln!(
                s,
                "| Calls | {} placed, {} accepted, {} received by telsim; by status after draining: {:?} |",
                r.calls, r.accepted, r.telsim_calls, r.by_status
            );
            let _ = writeln!(s, "| CPU from the start to the pause | {} |", r.cpu.text());
            let _ = writeln!(
                s,
                "| Calls claimed after the pause had been answered | {} |",
                r.after_pause
            );
            if let Some(p) = &r.pacing_read {
                let _ = writeln!(
                    s,
                    "| The dialer's pacing read (`calls::pacing_state`, 24 h period) with these {} calls in the \
                     table, idle | {} |",
                    r.calls,
                    p.brief_ms()
                );
            }
            let _ = writeln!(
                s,
                "| Drained after the pause | {:.1} s (until no call was in flight) |\n",
                r.drain.as_secs_f64()
            );
        }
        if let Some(c) = &self.callbacks {
            let _ = writeln!(s, "## 4. Status callbacks\n");
            let _ = writeln!(
                s,
                "{} calls inserted as accepted by the provider (known CallSids) for participations of the \
                 populated callout; {CALLBACK_CLIENTS} concurrent clients each take calls in turn and post, in \
                 order, what telsim posts for an answered call ({}), signed with `X-Twilio-Signature` over \
                 `{STATUS_PATH}?call=<id>` and the same form fields. Two of the four change the call (ringing → \
                 in progress, completed → final, participation settled), two change nothing (queued, \
                 in-progress) but are still locked, checked and answered.\n",
                c.calls,
                CALLBACK_SEQUENCE.join(", ")
            );
            let _ = writeln!(s, "| | |\n|---|---|");
            let _ = writeln!(
                s,
                "| Callbacks | {} in {:.2} s: {:.0} /s |",
                c.sent,
                c.took.as_secs_f64(),
                c.sent as f64 / c.took.as_secs_f64()
            );
            let _ = writeln!(
                s,
                "| Answers | {:?} by HTTP status, {} failed requests |",
                c.by_status, c.errors
            );
            if let Some(l) = &c.latency {
                let _ = writeln!(s, "| Latency per callback | {} |", l.brief_ms());
            }
            let _ = writeln!(s, "| CPU during the run | {} |", c.cpu.text());
            let _ = writeln!(
                s,
                "| Final state | {} of {} calls completed (duration 12 s), {} participations done and answered |\n",
                c.completed, c.calls, c.answered
            );
        }
        if let Some(l) = &self.limits {
            let _ = writeln!(s, "## 5. Two instances, one callout with limits\n");
            let _ = writeln!(
                s,
                "Two app instances (`server::start_with`, each with its own pool of {POOL_SIZE}, dialer tick {} ms, \
                 instance names `bench-a`/`bench-b`) on one fresh database, one telsim at ×{LIMITS_SPEED} without \
                 limits of its own. {} contacts (last digits {:?}: answered, busy, failed), a callout with max \
                 concurrent calls {LIMIT_CONCURRENT}, {LIMIT_CPS} calls per second, at most {LIMIT_PERIOD_CALLS} \
                 calls per {LIMIT_PERIOD_HOURS} h, {LIMITS_MAX_ATTEMPTS} attempts with no retry delay; started \
                 through one instance, paused through the other after {} s, then drained.\n",
                LIMITS_TICK.as_millis(),
                l.participations,
                LIMITS_DIGITS,
                LIMITS_RUN.as_secs()
            );
            let _ = writeln!(
                s,
                "Duplicates: a participation whose next call was claimed before its previous one ended, a \
                 participation with more calls than {LIMITS_MAX_ATTEMPTS}, telsim receiving more calls for a number \
                 than the database has, or two provider calls to one number at once. Violations: each call start \
                 that found more than {LIMIT_CONCURRENT} calls in flight (database: claimed → ended; telsim: dialled \
                 → last status), each call starting a 1-second window with more than {LIMIT_CPS} calls sent \
                 (`sent_at`), and every call beyond {LIMIT_PERIOD_CALLS} (any {LIMIT_PERIOD_HOURS}-hour window holds \
                 the whole run).\n"
            );
            let _ = writeln!(s, "| | |\n|---|---|");
            let _ = writeln!(
                s,
                "| Calls | {} ({} of them retries; {}), by status {:?} |",
                l.calls,
                l.retries,
                l.by_instance
                    .iter()
                    .map(|(k, v)| format!("{v} by {k}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                l.by_status
            );
            let _ = writeln!(
                s,
                "| Duplicate calls | {} (two in flight for a participation {}, over max attempts {}, extra at \
                 telsim {}, overlapping at telsim {}) |",
                l.duplicates(),
                l.overlapping_in_participation,
                l.over_max_attempts,
                l.provider_extra_calls,
                l.provider_overlapping
            );
            let _ = writeln!(s, "| Limit violations | {} |", l.violations());
            let _ = writeln!(
                s,
                "| Most calls in flight at once | {} in the database, {} at telsim (limit {LIMIT_CONCURRENT}) |",
                l.max_concurrent_db, l.max_concurrent_provider
            );
            let _ = writeln!(
                s,
                "| Most calls sent in one second | {} by `sent_at` (limit {LIMIT_CPS}); {} received by telsim in \
                 one second (informational: requests leave the dialer after the claim, not at its instant) |",
                l.max_in_second_db, l.max_in_second_provider
            );
            let _ = writeln!(
                s,
                "| Calls in the period | {} (limit {LIMIT_PERIOD_CALLS}){} |",
                l.period_calls,
                l.first_call_to_cap
                    .map(|t| format!("; the {LIMIT_PERIOD_CALLS}th call was sent {t:.1} s after the first"))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                s,
                "| Calls claimed after the pause had been answered | {} |",
                l.after_pause
            );
            let _ = writeln!(s, "| Drained after the pause | {:.1} s |\n", l.drain.as_secs_f64());
        }
        recovery::markdown(self, &mut s);
        let _ = writeln!(s, "\n## Warnings and errors logged by the app\n");
        if self.log.is_empty() {
            let _ = writeln!(s, "None.\n");
        } else {
            let _ = writeln!(s, "| Count | Line (time stamp removed) |\n|---|---|");
            for (n, line) in self.log.iter().take(12) {
                let _ = writeln!(s, "| {n} | `{}` |", line.replace('|', "\\|").replace('`', "'"));
            }
            if self.log.len() > 12 {
                let _ = writeln!(s, "\n… and {} other kinds.", self.log.len() - 12);
            }
            let _ = writeln!(s);
        }
        s
    }
}
