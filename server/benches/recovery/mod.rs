//! Steps 6 and 7 of the callouts benchmark: the calls-per-second limit as the provider sees it
//! (the most create requests telsim received in any one-second window, for limits of 10, 30
//! and 100 with one and with two instances), and `switchboard serve` killed with SIGKILL in the
//! middle of a callout (numbers dialled more often than the retry policy allows, answering
//! numbers dialled twice, seconds from the restart until every participation is settled).
use super::*;

/// Limits of step 6, and the instances each is run with.
pub const PROVIDER_LIMITS: [usize; 3] = [10, 30, 100];
pub const PROVIDER_INSTANCES: [usize; 2] = [1, 2];
/// Seconds of calls at the limit per run.
const PROVIDER_SECONDS: usize = 6;
const PROVIDER_SPEED: f64 = 50.0;
const PROVIDER_TICK: Duration = Duration::from_millis(50);

// Step 7.
const KILL_NUMBERS: usize = 400;
const KILL_CPS: usize = 50;
const KILL_MAX_ATTEMPTS: usize = 2;
const KILL_SPEED: &str = "20";
/// Only a guard against hanging.
const KILL_PATIENCE: Duration = Duration::from_secs(180);

#[derive(Clone, Debug, Default)]
pub struct ProviderRate {
    pub limit: usize,
    pub instances: usize,
    pub calls: usize,
    /// The most creates telsim received in any closed one-second window.
    pub most_in_a_second: usize,
    /// Creates per second from the first to the last.
    pub rate: f64,
}

#[derive(Clone, Debug, Default)]
pub struct KillRun {
    pub numbers: usize,
    pub at_kill: usize,
    /// Numbers dialled more often than the retry policy allows (target 0).
    pub over_policy: usize,
    /// Numbers whose fate is to answer dialled more than once (target 0).
    pub answered_twice: usize,
    /// Participations that did not end as their number's fate says.
    pub wrong_outcome: usize,
    /// From the restarted `serve` answering until every participation was settled.
    pub settled_after: Option<Duration>,
}

/// The most instants in any closed window [t, t + 1 s].
fn most_in_one_second(times: &mut [DateTime<Utc>]) -> usize {
    times.sort();
    let second = chrono::TimeDelta::seconds(1);
    let mut j = 0;
    let mut max = 0;
    for i in 0..times.len() {
        j = j.max(i);
        while j < times.len() && times[j] - times[i] <= second {
            j += 1;
        }
        max = max.max(j - i);
    }
    max
}

fn created_times(calls: &Value) -> Vec<DateTime<Utc>> {
    calls
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| serde_json::from_value(c["created_at"].clone()).ok())
        .collect()
}

async fn unsettled(db: &PgPool, callout: i64) -> Res<i64> {
    sqlx::query_scalar("SELECT count(*) FROM participations WHERE callout_id = $1 AND state <> 'done'")
        .bind(callout)
        .fetch_one(db)
        .await
        .map_err(|e| e.to_string())
}

async fn settle(db: &PgPool, callout: i64, patience: Duration) -> Res<Duration> {
    let t = Instant::now();
    loop {
        if unsettled(db, callout).await? == 0 {
            return Ok(t.elapsed());
        }
        if t.elapsed() > patience {
            return Err(format!("callout {callout} not settled after {} s", patience.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Step 6: one run per limit and number of instances.
pub async fn step_provider_rate(report: &mut Report, cleanup: &mut Vec<String>) -> Res<()> {
    for limit in PROVIDER_LIMITS {
        for instances in PROVIDER_INSTANCES {
            let (db, name) = new_database().await?;
            cleanup.push(name.clone());
            let sim = start_telsim(PROVIDER_SPEED).await?;
            let mut apps = Vec::new();
            for k in 0..instances {
                let dialer = DialerSettings {
                    tick: PROVIDER_TICK,
                    instance: format!("bench-rate-{k}"),
                    ..Default::default()
                };
                apps.push(Instance::start(&name, options(&sim, dialer)).await?);
            }
            let rest = Rest::new(&apps[0]).await?;
            let n = limit * PROVIDER_SECONDS;
            let contacts: Vec<Value> = (0..n)
                .map(|i| json!({ "phone": format!("+347200{:05}{}", i, i % 5), "tags": ["rate"] }))
                .collect();
            rest.post("/api/v1/contacts/bulk", json!({ "contacts": contacts }), StatusCode::OK)
                .await?;
            let id = rest
                .callout(json!({
                    "name": format!("Provider rate {limit}/s"), "caller_id": CALLER_ID,
                    "calls_per_second": limit, "max_attempts": 1
                }))
                .await?;
            rest.post(&format!("/api/v1/callouts/{id}/populate"), json!({}), StatusCode::OK)
                .await?;
            rest.event(id, "start").await?;
            settle(&db, id, DRAIN_PATIENCE).await?;
            let mut times = created_times(&sim.calls());
            let most = most_in_one_second(&mut times);
            let rate = match (times.first(), times.last()) {
                (Some(a), Some(b)) if b > a => (times.len() - 1) as f64 / (*b - *a).as_seconds_f64(),
                _ => 0.0,
            };
            println!(
                "  limit {limit}/s, {instances} instance(s): {} creates, most in one second {most}, {rate:.1}/s",
                times.len()
            );
            if most > limit {
                report.failures.push(format!(
                    "6. telsim received {most} creates in one second under a limit of {limit}/s with {instances} instance(s)"
                ));
            }
            report.provider_rate.push(ProviderRate {
                limit,
                instances,
                calls: times.len(),
                most_in_a_second: most,
                rate,
            });
            for app in apps {
                app.stop().await;
            }
            drop(db);
        }
    }
    Ok(())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn switchboard() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.env_remove("SWITCHBOARD_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

fn serve(db_url: &str, port: u16, telsim_url: &str, data: &std::path::Path) -> Res<tokio::process::Child> {
    let key: String = (0..64).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
    switchboard()
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_DATA_DIR", data)
        .env("SWITCHBOARD_SESSION_KEY", key)
        .env("SWITCHBOARD_TELEPHONY_BASE_URL", telsim_url)
        .env("SWITCHBOARD_TELEPHONY_ACCOUNT_SID", ACCOUNT_SID)
        .env("SWITCHBOARD_TELEPHONY_AUTH_TOKEN", AUTH_TOKEN)
        .env("SWITCHBOARD_DIALER_TICK_MS", "100")
        .spawn()
        .map_err(|e| format!("spawning serve: {e}"))
}

async fn telsim_listing(http: &reqwest::Client, url: &str) -> Option<Value> {
    http.get(format!("{url}/telsim/calls"))
        .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

async fn wait_for<F, Fut>(what: &str, patience: Duration, mut probe: F) -> Res<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let t = Instant::now();
    while !probe().await {
        if t.elapsed() > patience {
            return Err(format!("timed out waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Step 7: `serve` killed mid-callout and started again, with telsim in its own process.
pub async fn step_kill(report: &mut Report, cleanup: &mut Vec<String>) -> Res<()> {
    let http = reqwest::Client::new();
    let telsim_port = free_port();
    let telsim_url = format!("http://127.0.0.1:{telsim_port}");
    let _telsim = switchboard()
        .args([
            "telsim",
            "--addr",
            &format!("127.0.0.1:{telsim_port}"),
            "--speed",
            KILL_SPEED,
        ])
        .args(["--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN])
        .spawn()
        .map_err(|e| format!("spawning telsim: {e}"))?;
    wait_for("telsim", KILL_PATIENCE, || async {
        telsim_listing(&http, &telsim_url).await.is_some()
    })
    .await?;
    let (db, name) = new_database().await?;
    cleanup.push(name.clone());
    let db_url = format!("{}/{name}", server::testing::server_url());
    let data = std::env::temp_dir().join(format!("sb-bench-kill-{name}"));
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let healthy = || async {
        http.get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    };
    let mut first = serve(&db_url, port, &telsim_url, &data)?;
    wait_for("serve", KILL_PATIENCE, healthy).await?;
    let token = app::accounts::service::create_token(
        &db,
        &app::shell::service::Actor::Operator,
        "bench-kill",
        &[Scope::Callouts],
    )
    .await
    .map_err(|e| format!("token: {e:?}"))?
    .1;
    let rest = Rest {
        http: http.clone(),
        base: url.clone(),
        token,
    };
    let numbers: Vec<String> = (0..KILL_NUMBERS)
        .map(|i| format!("+347300{:05}{}", i, i % 10))
        .collect();
    let contacts: Vec<Value> = numbers.iter().map(|n| json!({ "phone": n })).collect();
    rest.post("/api/v1/contacts/bulk", json!({ "contacts": contacts }), StatusCode::OK)
        .await?;
    let id = rest
        .callout(json!({
            "name": "Killed", "caller_id": CALLER_ID, "calls_per_second": KILL_CPS,
            "max_attempts": KILL_MAX_ATTEMPTS, "retry_delay_minutes": 0
        }))
        .await?;
    rest.post(&format!("/api/v1/callouts/{id}/populate"), json!({}), StatusCode::OK)
        .await?;
    rest.event(id, "start").await?;
    wait_for("calls at telsim", KILL_PATIENCE, || async {
        telsim_listing(&http, &telsim_url)
            .await
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(0)
            >= KILL_NUMBERS / 3
    })
    .await?;
    first.start_kill().map_err(|e| format!("SIGKILL: {e}"))?;
    let _ = first.wait().await;
    let mut r = KillRun {
        numbers: KILL_NUMBERS,
        at_kill: telsim_listing(&http, &telsim_url)
            .await
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(0),
        ..Default::default()
    };
    let _second = serve(&db_url, port, &telsim_url, &data)?;
    wait_for("serve again", KILL_PATIENCE, healthy).await?;
    r.settled_after = Some(settle(&db, id, KILL_PATIENCE).await?);
    let mut dialled: HashMap<String, usize> = HashMap::new();
    for c in telsim_listing(&http, &telsim_url)
        .await
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
    {
        *dialled
            .entry(c["to"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    let answers = |p: &str| matches!(p.as_bytes()[p.len() - 1], b'0'..=b'4' | b'8');
    for n in &numbers {
        let times = dialled.get(n).copied().unwrap_or(0);
        r.over_policy += (times > KILL_MAX_ATTEMPTS) as usize;
        r.answered_twice += (answers(n) && times > 1) as usize;
    }
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT c.phone, p.done_reason FROM participations p JOIN contacts c ON c.id = p.contact_id
         WHERE p.callout_id = $1",
    )
    .bind(id)
    .fetch_all(&db)
    .await
    .map_err(|e| e.to_string())?;
    r.wrong_outcome = rows
        .iter()
        .filter(|(p, reason)| {
            let want = if answers(p) { "answered" } else { "max_attempts" };
            reason.as_deref() != Some(want)
        })
        .count();
    println!(
        "  killed with {} of {} calls at telsim; settled {:.1} s after the restart; dialled over the policy {}, \
         answering numbers dialled twice {}, outcomes not as fated {}",
        r.at_kill,
        r.numbers,
        r.settled_after.map_or(0.0, |d| d.as_secs_f64()),
        r.over_policy,
        r.answered_twice,
        r.wrong_outcome
    );
    if r.over_policy + r.answered_twice + r.wrong_outcome > 0 {
        report.failures.push(format!(
            "7. after the kill: {} numbers dialled over the policy, {} answering numbers dialled twice, {} outcomes not as fated",
            r.over_policy, r.answered_twice, r.wrong_outcome
        ));
    }
    report.kill = Some(r);
    let _ = std::fs::remove_dir_all(&data);
    drop(db);
    Ok(())
}

/// The report's sections for steps 6 and 7.
pub fn markdown(report: &Report, s: &mut String) {
    if !report.provider_rate.is_empty() {
        let _ = writeln!(s, "\n## 6. Calls per second at the provider\n");
        let _ = writeln!(
            s,
            "Each run: {PROVIDER_SECONDS} seconds' worth of calls to answering numbers under a calls-per-second \
             limit, telsim ×{PROVIDER_SPEED}, dialer tick {} ms; the most create requests telsim received in any \
             closed one-second window (target: never above the limit).\n",
            PROVIDER_TICK.as_millis()
        );
        let _ = writeln!(
            s,
            "| Limit | Instances | Calls | Most in one second at telsim | Rate | Target |"
        );
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---|");
        for r in &report.provider_rate {
            let _ = writeln!(
                s,
                "| {} /s | {} | {} | {} | {:.1} /s | {} |",
                r.limit,
                r.instances,
                r.calls,
                r.most_in_a_second,
                r.rate,
                met(r.most_in_a_second <= r.limit)
            );
        }
    }
    if let Some(k) = &report.kill {
        let _ = writeln!(s, "\n## 7. `serve` killed in the middle of a callout\n");
        let _ = writeln!(
            s,
            "{} numbers of every fate, {KILL_CPS} calls per second, at most {KILL_MAX_ATTEMPTS} attempts, telsim \
             ×{KILL_SPEED} in its own process; `switchboard serve` killed with SIGKILL once telsim had {} calls, \
             then started again on the same port.\n",
            k.numbers, k.at_kill
        );
        let _ = writeln!(s, "| | Result | Target |\n|---|---:|---|");
        let _ = writeln!(
            s,
            "| Numbers dialled more often than the policy allows | {} | 0: {} |",
            k.over_policy,
            met(k.over_policy == 0)
        );
        let _ = writeln!(
            s,
            "| Answering numbers dialled twice | {} | 0: {} |",
            k.answered_twice,
            met(k.answered_twice == 0)
        );
        let _ = writeln!(
            s,
            "| Participations not ending as their fate says | {} | 0: {} |",
            k.wrong_outcome,
            met(k.wrong_outcome == 0)
        );
        let _ = writeln!(
            s,
            "| Restart → every participation settled | {} | a minute or two |",
            k.settled_after
                .map_or("—".to_string(), |d| format!("{:.1} s", d.as_secs_f64()))
        );
    }
}
