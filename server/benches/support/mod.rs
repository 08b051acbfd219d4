//! What the benchmarks share: signing in like the login page, and reading the machine (load,
//! CPU ticks of a process, command output) for their reports. Each bench uses part of it.
#![allow(dead_code)]

/// Signs in with the form the login page posts; returns `switchboard_session=…`.
pub async fn sign_in(http: &reqwest::Client, base: &str, username: &str, password: &str) -> Result<String, String> {
    let res = http
        .post(format!("{base}/api/login"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .map_err(|e| format!("POST /api/login: {e}"))?;
    let status = res.status();
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("switchboard_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let body = res.text().await.unwrap_or_default();
    if !(status.is_success() || status.is_redirection()) {
        return Err(format!("POST /api/login answered {status}: {body}"));
    }
    cookie.ok_or_else(|| format!("POST /api/login answered {status} without a session cookie: {body}"))
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a command prints (trimmed), or nothing.
pub fn command_line(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// CPU time (user + system, in clock ticks) a process has used.
pub fn proc_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

pub fn clock_ticks_per_second() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| command_line("getconf", &["CLK_TCK"]).parse().unwrap_or(100.0))
}

/// Latency figures of a set of samples (nearest-rank percentiles; empty samples give zeros).
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub n: usize,
    pub mean: std::time::Duration,
    pub p50: std::time::Duration,
    pub p99: std::time::Duration,
    pub max: std::time::Duration,
    pub min: std::time::Duration,
}

impl Stats {
    pub fn of(samples: &[std::time::Duration]) -> Stats {
        let mut v = samples.to_vec();
        v.sort();
        let n = v.len().max(1);
        let at = |q: f64| {
            v.get(((q * n as f64).ceil() as usize).clamp(1, n) - 1)
                .copied()
                .unwrap_or_default()
        };
        Stats {
            n: v.len(),
            mean: v.iter().sum::<std::time::Duration>() / n as u32,
            p50: at(0.50),
            p99: at(0.99),
            max: v.last().copied().unwrap_or_default(),
            min: v.first().copied().unwrap_or_default(),
        }
    }
}
