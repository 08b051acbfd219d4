//! The embedded PostgreSQL: a private cluster in the data folder, on its own port and socket,
//! used when no `DATABASE_URL` is configured. As root the cluster runs as the `postgres` user
//! (PostgreSQL refuses to run as root); as anyone else it runs as that user.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and PATH); install them with `apt-get install -y postgresql` or set DATABASE_URL"
    )]
    NoBinaries,
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub struct EmbeddedPg {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    as_postgres: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The newest installed server's bin folder.
fn find_bin() -> Result<PathBuf, PgError> {
    if let Ok(dir) = std::env::var("SWITCHBOARD_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Ok(bin);
    }
    let out = Command::new("sh").arg("-c").arg("command -v initdb").output()?;
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && !p.is_empty() {
        return Ok(PathBuf::from(p).parent().map(Path::to_path_buf).unwrap_or_default());
    }
    Err(PgError::NoBinaries)
}

/// A port in 54000..55000 that depends on the data folder, so two checkouts on one machine do
/// not collide on a fixed port.
fn port_for(dir: &Path) -> u16 {
    let h = dir
        .to_string_lossy()
        .bytes()
        .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
    54000 + (h % 1000) as u16
}

impl EmbeddedPg {
    /// Creates the cluster if needed and starts it unless it already runs. Safe to call from
    /// several processes at once and after a crash (a stale pid file is cleared).
    pub fn ensure(data_dir: &Path, port: Option<u16>) -> Result<EmbeddedPg, PgError> {
        std::fs::create_dir_all(data_dir)?;
        let dir = std::fs::canonicalize(data_dir)?.join("postgres");
        let bin = find_bin()?;
        let as_postgres = is_root();
        let pg = EmbeddedPg {
            port: port.unwrap_or_else(|| port_for(&dir)),
            dir,
            bin,
            as_postgres,
        };
        if !pg.dir.join("PG_VERSION").exists() {
            pg.init()?;
        }
        if !pg.running() {
            pg.start()?;
        }
        // The port the running server really listens on (line 4 of its pid file).
        let mut pg = pg;
        if let Some(port) = std::fs::read_to_string(pg.dir.join("postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().nth(3).and_then(|l| l.trim().parse().ok()))
        {
            pg.port = port;
        }
        Ok(pg)
    }

    fn run(&self, tool: &str, args: &[&str]) -> std::io::Result<Output> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).output()
    }

    fn check(&self, what: &str, out: std::io::Result<Output>) -> Result<(), PgError> {
        let out = out?;
        if out.status.success() {
            return Ok(());
        }
        Err(PgError::Command {
            what: what.to_string(),
            detail: format!(
                "{}{} (log: {})",
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim(),
                self.dir.join("log").display()
            ),
        })
    }

    fn init(&self) -> Result<(), PgError> {
        // initdb wants an empty or missing folder; a half-made one from a crash is set aside.
        if self.dir.exists() {
            let aside = self.dir.with_extension(format!("broken-{}", std::process::id()));
            std::fs::rename(&self.dir, aside)?;
        }
        std::fs::create_dir_all(&self.dir)?;
        if self.as_postgres {
            self.check(
                "chown",
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&self.dir)
                    .output(),
            )?;
        }
        let d = self.dir.to_string_lossy().to_string();
        let out = self.run(
            "initdb",
            &[
                "-D",
                &d,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        self.check("initdb", out)?;
        std::fs::write(self.dir.join("switchboard.port"), self.port.to_string())?;
        Ok(())
    }

    fn running(&self) -> bool {
        let d = self.dir.to_string_lossy().to_string();
        matches!(self.run("pg_ctl", &["-D", &d, "status"]), Ok(o) if o.status.success())
    }

    fn start(&self) -> Result<(), PgError> {
        let pid = self.dir.join("postmaster.pid");
        if pid.exists() {
            // pg_ctl said no server runs: the pid file is left from a crash.
            let _ = std::fs::remove_file(&pid);
        }
        let d = self.dir.to_string_lossy().to_string();
        // Unix socket paths are limited to about 107 bytes; deep folders use TCP only.
        let socket_dir = if d.len() < 90 { d.clone() } else { String::new() };
        let opts = format!(
            "-p {} -k '{}' -c listen_addresses=127.0.0.1 -c max_connections=300",
            self.port, socket_dir
        );
        let log = self.dir.join("log").to_string_lossy().to_string();
        let out = self.run(
            "pg_ctl",
            &["-D", &d, "-o", &opts, "-l", &log, "-w", "-t", "60", "start"],
        );
        match self.check("starting PostgreSQL", out) {
            Ok(()) => Ok(()),
            // Another process started it at the same moment.
            Err(_) if self.running() => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub fn stop(&self) -> Result<(), PgError> {
        let d = self.dir.to_string_lossy().to_string();
        if self.running() {
            let out = self.run("pg_ctl", &["-D", &d, "-m", "fast", "-w", "stop"]);
            self.check("stopping PostgreSQL", out)?;
        }
        Ok(())
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.port, database)
    }
}
