//! The desk benchmark: 1,000,000 directory contacts (loaded with one `generate_series` insert),
//! the search's p50/p95 per field (phone typed nationally, name parts, email, tax id) through
//! the directory service as the server function calls it, and the ringing endpoint's latency
//! at 500 requests/s over real HTTP on loopback. Run with `make bench` or
//! `cargo bench -p server --bench desk`; the figures are printed and written to
//! `bench/results/desk.md`. A broken step (a search that finds nothing, a ringing answer other
//! than 200) makes the process exit non-zero after writing the report; slow figures do not.
mod support;

use app::accounts::rules::tokens::Scope;
use app::shell::service::Actor;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::{Stats, load_average};

const CONTACTS: i64 = 1_000_000;
const SEARCHES: usize = 200;
const RING_RATE: u64 = 500;
const RING_SECS: u64 = 10;
const FIRST: [&str; 12] = [
    "Núria",
    "Jordi",
    "Maria",
    "Pau",
    "Laia",
    "Àlex",
    "Montserrat",
    "Joan",
    "Mercè",
    "Oriol",
    "Èlia",
    "Xavier",
];
const LAST: [&str; 14] = [
    "Garcia",
    "Pujol",
    "Martínez",
    "Ferrer",
    "Puig",
    "Soler",
    "Vidal",
    "Roca",
    "Serra",
    "Font",
    "Pal·larès",
    "Castells",
    "Miró",
    "Ribas",
];
const NIF: &str = "TRWAGMYFPDXBNJZSQVHLCKE";

fn p95(samples: &[Duration]) -> Duration {
    let mut v = samples.to_vec();
    v.sort();
    v.get(((0.95 * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1)) - 1)
        .copied()
        .unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let mut failures: Vec<String> = Vec::new();
    let mut md = String::new();
    let _ = writeln!(md, "# Desk benchmark\n");
    let _ = writeln!(
        md,
        "Run {} on {} cores; load average at start: {}.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        load_average()
    );
    let _ = writeln!(
        md,
        "Build: {} (the search figures are PostgreSQL's; the ringing latency includes the app's own code).\n",
        if cfg!(debug_assertions) {
            "debug (`cargo test --bench desk`), not release: app-side figures are pessimistic"
        } else {
            "release (`cargo bench --bench desk`)"
        }
    );
    let db = server::testing::fresh_db().await;
    let db_name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&db)
        .await
        .unwrap();

    // 1. A million contacts, with names of two first names' parts and two surnames, an email,
    //    a valid NIF and a member number; a tenth have a second phone.
    // The search indexes are built after the load (as a bulk import would), then ANALYZE.
    let t = Instant::now();
    for ix in [
        "contacts_name_trgm",
        "contacts_emails",
        "contacts_tax_id",
        "contacts_member_number",
    ] {
        sqlx::query(&format!("DROP INDEX {ix}"))
            .execute(&db)
            .await
            .expect("drop index");
    }
    let first: Vec<String> = FIRST.iter().map(|s| s.to_string()).collect();
    let last: Vec<String> = LAST.iter().map(|s| s.to_string()).collect();
    sqlx::query(
        "INSERT INTO contacts (phone, name, emails, tax_id, member_number)
         SELECT '+346' || lpad(g::text, 8, '0'),
                ($2::text[])[((g % 12) + 1)::int] || ' ' || ($3::text[])[((g / 12 % 14) + 1)::int] || ' ' || ($3::text[])[((g / 168 % 14) + 1)::int] || ' ' || g,
                ARRAY['user' || g || '@example.org'],
                lpad(g::text, 8, '0') || substr($4, ((g % 23) + 1)::int, 1),
                'S' || lpad(g::text, 7, '0')
           FROM generate_series(1, $1) g",
    )
    .bind(CONTACTS)
    .bind(&first)
    .bind(&last)
    .bind(NIF)
    .execute(&db)
    .await
    .expect("load contacts");
    for ddl in [
        "CREATE INDEX contacts_name_trgm ON contacts USING gin (name_folded gin_trgm_ops)",
        "CREATE INDEX contacts_emails ON contacts USING gin (emails)",
        "CREATE INDEX contacts_tax_id ON contacts (tax_id) WHERE tax_id IS NOT NULL",
        "CREATE INDEX contacts_member_number ON contacts (member_number) WHERE member_number IS NOT NULL",
    ] {
        sqlx::query(ddl).execute(&db).await.expect("create index");
    }
    sqlx::query("ANALYZE contacts").execute(&db).await.unwrap();
    let load = t.elapsed();
    let _ = writeln!(
        md,
        "Loaded {CONTACTS} contacts (one INSERT … generate_series, the search indexes built after it, then ANALYZE) in {:.1} s.\n",
        load.as_secs_f64()
    );
    println!("loaded {CONTACTS} contacts in {:.1} s", load.as_secs_f64());

    // 2. Searches: through the service, as the search box's server function calls it.
    let services = app::shell::ctx::Services::new(db.clone());
    let mut rng_state: u64 = 0x2545F4914F6CDD1D;
    let mut next = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    let _ = writeln!(
        md,
        "## Search over {CONTACTS} contacts ({SEARCHES} queries per field)\n"
    );
    let _ = writeln!(md, "| field | example query | p50 ms | p95 ms | max ms | target p95 |");
    let _ = writeln!(md, "| --- | --- | ---: | ---: | ---: | --- |");
    for field in ["phone", "name", "email", "tax_id"] {
        let mut samples = Vec::new();
        let mut example = String::new();
        for i in 0..SEARCHES {
            let g = (next() % CONTACTS as u64) as i64 + 1;
            let query = match field {
                // Typed nationally, with spaces.
                "phone" => {
                    let d = format!("6{g:08}");
                    format!("{} {} {}", &d[..3], &d[3..6], &d[6..])
                }
                // Two parts, lower case, without accents: a first name and a surname.
                "name" => format!(
                    "{} {}",
                    app::directory::rules::search::fold(FIRST[(g % 12) as usize]),
                    app::directory::rules::search::fold(LAST[(g / 12 % 14) as usize]).to_uppercase()
                ),
                "email" => format!("User{g}@Example.org"),
                _ => format!(
                    "{g:08}{}",
                    &NIF[(g % 23) as usize..(g % 23) as usize + 1].to_lowercase()
                ),
            };
            if i == 0 {
                example = query.clone();
            }
            let t = Instant::now();
            let r = app::directory::service::search(&services, &Actor::Operator, &query, None).await;
            samples.push(t.elapsed());
            match r {
                Ok(r) if r.guess.field.as_str() != field => {
                    failures.push(format!("{query}: guessed {} not {field}", r.guess.field.as_str()))
                }
                Ok(r) if r.hits.is_empty() => failures.push(format!("{query}: nothing found")),
                Ok(_) => {}
                Err(e) => failures.push(format!("{query}: {e}")),
            }
        }
        let s = Stats::of(&samples);
        println!("search {field}: p50 {} ms, p95 {} ms", ms(s.p50), ms(p95(&samples)));
        let _ = writeln!(
            md,
            "| {field} | `{example}` | {} | {} | {} | ≤ 50 ms |",
            ms(s.p50),
            ms(p95(&samples)),
            ms(s.max)
        );
    }

    // 3. The ringing endpoint at 500 requests/s over loopback HTTP, in steady state: the bulk
    //    load's aftermath (the insert-triggered autovacuum of a million rows, the checkpoint of
    //    their pages) is done first, as it would be long before the next ringing call.
    let t = Instant::now();
    for step in ["VACUUM (ANALYZE) contacts", "CHECKPOINT"] {
        sqlx::query(step).execute(&db).await.expect(step);
    }
    let settle = t.elapsed();
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
    let url = format!("http://{}/api/pbx/ringing", running.addr);
    let token = app::accounts::service::create_token(&db, &Actor::Operator, "bench-pbx", &[Scope::Pbx])
        .await
        .expect("token")
        .1;
    sqlx::query("INSERT INTO people (handle, full_name, extension) VALUES ('bench', 'Bench Agent', '201')")
        .execute(&db)
        .await
        .expect("person");
    let total = RING_RATE * RING_SECS;
    // The load comes from its own thread and runtime, as the PBX is another machine: its tasks
    // do not queue behind the app's on the app's two worker threads.
    let (samples, bad, wall) = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        rt.block_on(async move {
            let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
            // Warm-up: connections and prepared statements.
            for i in 0..50 {
                let _ = http
                    .post(&url)
                    .bearer_auth(&token)
                    .form(&[("ext", "201"), ("phone", &format!("6{:08}", i + 1))])
                    .send()
                    .await;
            }
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RING_RATE));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut tasks = Vec::with_capacity(total as usize);
            let started = Instant::now();
            for i in 0..total {
                tick.tick().await;
                let (http, url, token) = (http.clone(), url.clone(), token.clone());
                tasks.push(tokio::spawn(async move {
                    let t = Instant::now();
                    let res = http
                        .post(&url)
                        .bearer_auth(&token)
                        .form(&[
                            ("ext", "201".to_string()),
                            ("phone", format!("6{:08}", (i % 999_999) + 1)),
                            ("callid", format!("b.{i}")),
                        ])
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    let ok = matches!(&res, Ok(r) if r.status() == reqwest::StatusCode::OK);
                    (t.elapsed(), ok)
                }));
            }
            let mut samples = Vec::new();
            let mut bad = 0;
            for t in tasks {
                let (d, ok) = t.await.unwrap();
                samples.push(d);
                if !ok {
                    bad += 1;
                }
            }
            (samples, bad, started.elapsed())
        })
    })
    .join()
    .expect("the load thread");
    if bad > 0 {
        failures.push(format!("ringing: {bad} of {total} answers were not 200"));
    }
    let s = Stats::of(&samples);
    println!(
        "ringing: p50 {} ms, p99 {} ms, max {} ms",
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
    let _ = writeln!(md, "\n## Ringing endpoint (`POST /api/pbx/ringing`, form, pbx token)\n");
    let _ = writeln!(
        md,
        "{total} requests scheduled at {RING_RATE}/s (open loop, one task each, from a thread and runtime of their own) over {:.1} s; {bad} not 200. Before it, `VACUUM (ANALYZE) contacts` and `CHECKPOINT` ({:.1} s) so that the bulk load's aftermath is not measured.\n",
        wall.as_secs_f64(),
        settle.as_secs_f64()
    );
    let _ = writeln!(md, "| p50 ms | p99 ms | max ms | target p99 |");
    let _ = writeln!(md, "| ---: | ---: | ---: | --- |");
    let _ = writeln!(md, "| {} | {} | {} | ≤ 5 ms |", ms(s.p50), ms(s.p99), ms(s.max));
    let _ = writeln!(md, "\nLoad average at the end: {}.", load_average());
    if !failures.is_empty() {
        let _ = writeln!(md, "\n## Broken steps\n");
        for f in failures.iter().take(20) {
            let _ = writeln!(md, "- {f}");
        }
    }
    println!("\n{md}");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/results/desk.md");
    let _ = std::fs::create_dir_all(path.parent().unwrap());
    std::fs::write(&path, &md).expect("write the report");
    running.task.abort();
    drop(db);
    if let Ok(admin) = server::database::pool(&format!("{}/postgres", server::testing::server_url()), 1).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"))
            .execute(&admin)
            .await;
    }
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
