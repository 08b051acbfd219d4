//! The embedded PostgreSQL: a private cluster in the data folder, on its own port and socket,
//! used when no `DATABASE_URL` is configured. As root the cluster runs as the `postgres` user
//! (PostgreSQL refuses to run as root); as anyone else it runs as that user.
//!
//! It accepts only this app: TCP connections need the password generated at the first start
//! and kept beside the session key (`<data dir>/postgres.password`, mode 0600); the Unix socket
//! (trusted) lies inside the cluster's own folder, which only its owner can enter. A cluster
//! made by an older version (trust for every local user) is switched over at its next start.
//! A lock file (`<data dir>/postgres.lock`) makes two first starts at once run `initdb` once.
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
    password: String,
}

/// Where the cluster's password is kept (beside `session.key`).
pub fn password_file(data_dir: &Path) -> PathBuf {
    data_dir.join("postgres.password")
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The cluster's password: read, or generated and kept on the first start (32 letters and
/// digits, so it needs no escaping in a URL or in SQL).
fn cluster_password(data_dir: &Path) -> std::io::Result<(String, bool)> {
    let path = password_file(data_dir);
    if let Ok(text) = std::fs::read_to_string(&path)
        && !text.trim().is_empty()
    {
        return Ok((text.trim().to_string(), false));
    }
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    let pw: String = (0..32)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    write_private(&path, &pw)?;
    Ok((pw, true))
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
        // One process at a time past this point (another waits here, then finds the cluster
        // made and running); the lock goes with the file when this function returns.
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data_dir.join("postgres.lock"))?;
        lock.lock()?;
        let dir = std::fs::canonicalize(data_dir)?.join("postgres");
        let bin = find_bin()?;
        let as_postgres = is_root();
        let (password, new_password) = cluster_password(data_dir)?;
        let pg = EmbeddedPg {
            port: port.unwrap_or_else(|| port_for(&dir)),
            dir,
            bin,
            as_postgres,
            password,
        };
        if !pg.dir.join("PG_VERSION").exists() {
            pg.init()?;
        } else if new_password || pg.trusts_tcp() {
            // Made by an older version: every local user was trusted.
            pg.require_password()?;
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
        // initdb reads the password from a file its user can read (initdb wants the cluster's
        // folder empty, so beside it), removed right after.
        let pwfile = self.dir.with_file_name(format!("initdb-{}.pw", std::process::id()));
        write_private(&pwfile, &self.password)?;
        self.chown(&pwfile)?;
        let pw = pwfile.to_string_lossy().to_string();
        let out = self.run(
            "initdb",
            &[
                "-D",
                &d,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--pwfile",
                &pw,
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        let _ = std::fs::remove_file(&pwfile);
        self.check("initdb", out)?;
        std::fs::write(self.dir.join("switchboard.port"), self.port.to_string())?;
        Ok(())
    }

    fn chown(&self, path: &Path) -> Result<(), PgError> {
        if self.as_postgres {
            self.check(
                "chown",
                Command::new("chown").arg("postgres:postgres").arg(path).output(),
            )?;
        }
        Ok(())
    }

    /// The socket's folder: the cluster's own (mode 0700: only its owner enters). Unix socket
    /// paths are limited to about 107 bytes; deep folders use TCP only.
    fn socket_dir(&self) -> Option<String> {
        let d = self.dir.to_string_lossy().to_string();
        (d.len() < 90).then_some(d)
    }

    fn hba(&self) -> PathBuf {
        self.dir.join("pg_hba.conf")
    }

    /// Whether `pg_hba.conf` trusts any TCP (`host`) connection.
    fn trusts_tcp(&self) -> bool {
        std::fs::read_to_string(self.hba()).is_ok_and(|t| {
            t.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.first().is_some_and(|k| k.starts_with("host")) && f.last() == Some(&"trust")
            })
        })
    }

    /// Switches a cluster that trusts every local user to the password: sets it (through the
    /// socket or, before the switch, TCP), then `host` lines ask for it (scram-sha-256) and the
    /// server reloads its configuration.
    fn require_password(&self) -> Result<(), PgError> {
        if !self.running() {
            self.start()?;
        }
        let sql = format!("ALTER USER postgres PASSWORD '{}'", self.password);
        let port = self.port.to_string();
        // The socket (trusted, in the cluster's folder) when there is one, else TCP (trusted
        // until the switch below).
        let host = self.socket_dir().unwrap_or_else(|| "127.0.0.1".into());
        let out = self.run(
            "psql",
            &[
                "-X", "-q", "-h", &host, "-p", &port, "-U", "postgres", "-d", "postgres", "-c", &sql,
            ],
        );
        self.check("setting the cluster's password", out)?;
        let text = std::fs::read_to_string(self.hba())?;
        let changed: String = text
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                if f.first().is_some_and(|k| k.starts_with("host")) && f.last() == Some(&"trust") {
                    format!("{}scram-sha-256\n", l.trim_end().strip_suffix("trust").unwrap_or(l))
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(self.hba(), changed)?;
        let d = self.dir.to_string_lossy().to_string();
        let out = self.run("pg_ctl", &["-D", &d, "reload"]);
        self.check("reloading PostgreSQL", out)?;
        tracing::info!("embedded PostgreSQL: TCP connections now need the password");
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
        let socket_dir = self.socket_dir().unwrap_or_default();
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
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{}",
            self.password, self.port, database
        )
    }
}
