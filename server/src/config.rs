//! Configuration: an optional `switchboard.toml`, then environment variables (which win).
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("{name}: {message}")]
    Value { name: &'static str, message: String },
}

/// The settings file; every key is optional and has the same name as the environment variable
/// without the `SWITCHBOARD_` prefix, in lowercase.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<String>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    db_name: Option<String>,
    pg_port: Option<u16>,
    session_key: Option<String>,
    secure_cookies: Option<bool>,
    session_idle_minutes: Option<i64>,
    log_format: Option<String>,
    site_root: Option<String>,
    default_country_code: Option<String>,
    dialer_tick_ms: Option<u64>,
    telephony: Option<FileTelephony>,
    pbx: Option<FilePbx>,
    chat: Option<FileChat>,
    crm: Option<FileCrm>,
}

/// `[crm]` in the settings file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCrm {
    url: Option<String>,
    token: Option<String>,
    budget_ms: Option<u64>,
}

/// The outside CRM (optional): a URL template with `{phone}` and/or `{query}`, a bearer token,
/// and the time a card gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct CrmConfig {
    pub url: Option<String>,
    /// Secret: never logged.
    pub token: Option<String>,
    pub budget: std::time::Duration,
}

impl Default for CrmConfig {
    fn default() -> Self {
        CrmConfig {
            url: None,
            token: None,
            budget: std::time::Duration::from_millis(DEFAULT_CRM_BUDGET_MS),
        }
    }
}

/// The CRM's time budget by default: an agent reads the card within the first second or two.
pub const DEFAULT_CRM_BUDGET_MS: u64 = 1500;

impl std::fmt::Debug for CrmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrmConfig")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("budget", &self.budget)
            .finish()
    }
}

/// `[chat]` in the settings file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileChat {
    webhook_url: Option<String>,
    remind_minutes: Option<u32>,
    remind_template: Option<String>,
}

/// The team chat. Without `webhook_url`, `serve` starts the chat simulator in-process and
/// posts to it.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatConfig {
    /// An incoming webhook (Google Chat, Slack, Mattermost, Rocket.Chat). Secret: never logged.
    pub webhook_url: Option<String>,
    /// Minutes before each turn for its reminder (0: none).
    pub remind_minutes: u32,
    /// The reminder's text: {turn}, {start}, {end}, {minutes}, {people}.
    pub remind_template: String,
    /// The first retry's delay after a failed send (then 4× each time).
    pub retry_base: std::time::Duration,
    /// How often the chat worker looks for reminders, incidents and retries.
    pub look_every: std::time::Duration,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            webhook_url: None,
            remind_minutes: 5,
            remind_template: app::chat::rules::reminder::DEFAULT_TEMPLATE.into(),
            retry_base: std::time::Duration::from_secs(2),
            look_every: std::time::Duration::from_secs(1),
        }
    }
}

impl std::fmt::Debug for ChatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatConfig")
            .field("webhook_url", &self.webhook_url.as_ref().map(|_| "<set>"))
            .field("remind_minutes", &self.remind_minutes)
            .field("remind_template", &self.remind_template)
            .field("retry_base", &self.retry_base)
            .field("look_every", &self.look_every)
            .finish()
    }
}

/// `[pbx]` in the settings file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePbx {
    ami_addr: Option<String>,
    username: Option<String>,
    secret: Option<String>,
    queue: Option<String>,
    interface_template: Option<String>,
}

/// `[telephony]` in the settings file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTelephony {
    base_url: Option<String>,
    account_sid: Option<String>,
    auth_token: Option<String>,
    public_url: Option<String>,
}

/// The telephony provider (Twilio REST dialect). Without `base_url`, `serve` starts the simulated
/// provider (telsim) in-process on a free port with a generated account sid and token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TelephonyConfig {
    /// E.g. `https://api.twilio.com`.
    pub base_url: Option<String>,
    pub account_sid: Option<String>,
    /// Secret: never logged.
    pub auth_token: Option<String>,
    /// The URL the provider calls back (status callbacks); default `http://<addr>`.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for TelephonyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelephonyConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<set>"))
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// The PBX's manager interface (Asterisk AMI). Without `ami_addr`, `serve` starts the simulated
/// PBX (pbxsim) in-process and connects to it.
#[derive(Clone)]
pub struct PbxConfig {
    pub ami_addr: Option<SocketAddr>,
    pub username: Option<String>,
    /// Secret: never logged.
    pub secret: Option<String>,
    /// The queue that follows the timetable.
    pub queue: String,
    /// A member's interface from their extension, e.g. `PJSIP/{extension}`.
    pub interface_template: String,
}

impl Default for PbxConfig {
    fn default() -> Self {
        PbxConfig {
            ami_addr: None,
            username: None,
            secret: None,
            queue: "support".into(),
            interface_template: "PJSIP/{extension}".into(),
        }
    }
}

impl std::fmt::Debug for PbxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PbxConfig")
            .field("ami_addr", &self.ami_addr)
            .field("username", &self.username)
            .field("secret", &self.secret.as_ref().map(|_| "<set>"))
            .field("queue", &self.queue)
            .field("interface_template", &self.interface_template)
            .finish()
    }
}

#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// An external PostgreSQL; without it the embedded cluster in `data_dir` is used.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// The database name in the embedded cluster.
    pub db_name: String,
    /// The embedded cluster's port; `None` picks one from the data folder's path.
    pub pg_port: Option<u16>,
    /// 64 bytes, hex. Secret: never logged.
    pub session_key: Option<String>,
    pub secure_cookies: bool,
    pub session_idle_minutes: i64,
    pub log_json: bool,
    pub site_root: String,
    /// Country calling code for national numbers (contacts), e.g. `34`.
    pub default_country_code: String,
    /// How often the dialer looks for work.
    pub dialer_tick_ms: u64,
    pub telephony: TelephonyConfig,
    pub pbx: PbxConfig,
    pub chat: ChatConfig,
    pub crm: CrmConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("data_dir", &self.data_dir)
            .field("db_name", &self.db_name)
            .field("pg_port", &self.pg_port)
            .field("session_key", &self.session_key.as_ref().map(|_| "<set>"))
            .field("secure_cookies", &self.secure_cookies)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("log_json", &self.log_json)
            .field("site_root", &self.site_root)
            .field("default_country_code", &self.default_country_code)
            .field("dialer_tick_ms", &self.dialer_tick_ms)
            .field("telephony", &self.telephony)
            .field("pbx", &self.pbx)
            .field("chat", &self.chat)
            .field("crm", &self.crm)
            .finish()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_bool(name: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Value {
            name,
            message: format!("'{v}' is not true or false"),
        }),
    }
}

impl Config {
    /// Reads `SWITCHBOARD_CONFIG` (or `./switchboard.toml` when it exists), then the environment.
    pub fn load() -> Result<Config, ConfigError> {
        let path = env("SWITCHBOARD_CONFIG").map(PathBuf::from).or_else(|| {
            let p = PathBuf::from("switchboard.toml");
            p.exists().then_some(p)
        });
        let file = match path {
            Some(p) => Self::read_file(&p)?,
            None => FileConfig::default(),
        };
        Self::from_parts(file)
    }

    fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    fn from_parts(f: FileConfig) -> Result<Config, ConfigError> {
        let addr_s = env("SWITCHBOARD_ADDR")
            .or(f.addr)
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr = addr_s.parse().map_err(|_| ConfigError::Value {
            name: "SWITCHBOARD_ADDR",
            message: format!("'{addr_s}' is not host:port"),
        })?;
        let pg_port = match env("SWITCHBOARD_PG_PORT") {
            Some(p) => Some(p.parse().map_err(|_| ConfigError::Value {
                name: "SWITCHBOARD_PG_PORT",
                message: format!("'{p}' is not a port"),
            })?),
            None => f.pg_port,
        };
        let secure_cookies = match env("SWITCHBOARD_SECURE_COOKIES") {
            Some(v) => parse_bool("SWITCHBOARD_SECURE_COOKIES", &v)?,
            None => f.secure_cookies.unwrap_or(false),
        };
        let session_idle_minutes = match env("SWITCHBOARD_SESSION_IDLE_MINUTES") {
            Some(v) => v.parse().map_err(|_| ConfigError::Value {
                name: "SWITCHBOARD_SESSION_IDLE_MINUTES",
                message: format!("'{v}' is not a whole number"),
            })?,
            None => f.session_idle_minutes.unwrap_or(8 * 60),
        };
        if session_idle_minutes < 1 {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_SESSION_IDLE_MINUTES",
                message: "must be at least 1".into(),
            });
        }
        let log_format = env("SWITCHBOARD_LOG_FORMAT")
            .or(f.log_format)
            .unwrap_or_else(|| "text".into());
        let log_json = match log_format.as_str() {
            "json" => true,
            "text" => false,
            other => {
                return Err(ConfigError::Value {
                    name: "SWITCHBOARD_LOG_FORMAT",
                    message: format!("'{other}' is not text or json"),
                });
            }
        };
        let db_name = env("SWITCHBOARD_DB_NAME")
            .or(f.db_name)
            .unwrap_or_else(|| "switchboard".into());
        if !db_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || db_name.is_empty() {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_DB_NAME",
                message: "use letters, digits and '_' only".into(),
            });
        }
        let default_country_code = app::callouts::rules::phone::check_country_code(
            &env("SWITCHBOARD_DEFAULT_COUNTRY_CODE")
                .or(f.default_country_code)
                .unwrap_or_else(|| "34".into()),
        )
        .map_err(|e| ConfigError::Value {
            name: "SWITCHBOARD_DEFAULT_COUNTRY_CODE",
            message: e.message,
        })?;
        let dialer_tick_ms = match env("SWITCHBOARD_DIALER_TICK_MS") {
            Some(v) => v.parse().map_err(|_| ConfigError::Value {
                name: "SWITCHBOARD_DIALER_TICK_MS",
                message: format!("'{v}' is not a whole number of milliseconds"),
            })?,
            None => f.dialer_tick_ms.unwrap_or(1000),
        };
        if !(10..=60_000).contains(&dialer_tick_ms) {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_DIALER_TICK_MS",
                message: "must be between 10 and 60000".into(),
            });
        }
        let t = f.telephony.unwrap_or_default();
        let telephony = TelephonyConfig {
            base_url: env("SWITCHBOARD_TELEPHONY_BASE_URL").or(t.base_url),
            account_sid: env("SWITCHBOARD_TELEPHONY_ACCOUNT_SID").or(t.account_sid),
            auth_token: env("SWITCHBOARD_TELEPHONY_AUTH_TOKEN").or(t.auth_token),
            public_url: env("SWITCHBOARD_TELEPHONY_PUBLIC_URL").or(t.public_url),
        };
        if telephony.base_url.is_some() && (telephony.account_sid.is_none() || telephony.auth_token.is_none()) {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_TELEPHONY_BASE_URL",
                message: "a provider needs SWITCHBOARD_TELEPHONY_ACCOUNT_SID and SWITCHBOARD_TELEPHONY_AUTH_TOKEN too"
                    .into(),
            });
        }
        for (name, v) in [
            ("SWITCHBOARD_TELEPHONY_BASE_URL", &telephony.base_url),
            ("SWITCHBOARD_TELEPHONY_PUBLIC_URL", &telephony.public_url),
        ] {
            if let Some(u) = v
                && !(u.starts_with("http://") || u.starts_with("https://"))
            {
                return Err(ConfigError::Value {
                    name,
                    message: format!("'{u}' is not an http:// or https:// URL"),
                });
            }
        }
        let p = f.pbx.unwrap_or_default();
        let ami_addr = match env("SWITCHBOARD_PBX_AMI_ADDR").or(p.ami_addr) {
            Some(a) => Some(a.parse().map_err(|_| ConfigError::Value {
                name: "SWITCHBOARD_PBX_AMI_ADDR",
                message: format!("'{a}' is not host:port (an IP address and the manager's port, e.g. 10.0.0.5:5038)"),
            })?),
            None => None,
        };
        let pbx = PbxConfig {
            ami_addr,
            username: env("SWITCHBOARD_PBX_USERNAME").or(p.username),
            secret: env("SWITCHBOARD_PBX_SECRET").or(p.secret),
            queue: env("SWITCHBOARD_PBX_QUEUE")
                .or(p.queue)
                .unwrap_or_else(|| "support".into()),
            interface_template: env("SWITCHBOARD_PBX_INTERFACE_TEMPLATE")
                .or(p.interface_template)
                .unwrap_or_else(|| "PJSIP/{extension}".into()),
        };
        if !pbx.interface_template.contains("{extension}") {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_PBX_INTERFACE_TEMPLATE",
                message: format!("'{}' must contain {{extension}}", pbx.interface_template),
            });
        }
        if pbx.queue.trim().is_empty() || pbx.queue.len() > 80 {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_PBX_QUEUE",
                message: "a queue name of 1 to 80 characters".into(),
            });
        }
        if pbx.ami_addr.is_some() && (pbx.username.is_none() || pbx.secret.is_none()) {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_PBX_AMI_ADDR",
                message: "a PBX needs SWITCHBOARD_PBX_USERNAME and SWITCHBOARD_PBX_SECRET too".into(),
            });
        }
        let c = f.chat.unwrap_or_default();
        let remind_minutes = match env("SWITCHBOARD_CHAT_REMIND_MINUTES") {
            Some(v) => v.parse().map_err(|_| ConfigError::Value {
                name: "SWITCHBOARD_CHAT_REMIND_MINUTES",
                message: format!("'{v}' is not a whole number of minutes"),
            })?,
            None => c.remind_minutes.unwrap_or(5),
        };
        if remind_minutes > 120 {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_CHAT_REMIND_MINUTES",
                message: "at most 120 minutes (0: no reminders)".into(),
            });
        }
        let chat = ChatConfig {
            webhook_url: env("SWITCHBOARD_CHAT_WEBHOOK_URL").or(c.webhook_url),
            remind_minutes,
            remind_template: env("SWITCHBOARD_CHAT_REMIND_TEMPLATE")
                .or(c.remind_template)
                .unwrap_or_else(|| app::chat::rules::reminder::DEFAULT_TEMPLATE.into()),
            ..ChatConfig::default()
        };
        if let Some(u) = &chat.webhook_url
            && crate::chat::webhook::WebhookChat::new(u).is_err()
        {
            // Not the URL itself: it is a secret.
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_CHAT_WEBHOOK_URL",
                message: "not an http:// or https:// URL".into(),
            });
        }
        app::chat::rules::reminder::check_template(&chat.remind_template).map_err(|message| ConfigError::Value {
            name: "SWITCHBOARD_CHAT_REMIND_TEMPLATE",
            message,
        })?;
        let k = f.crm.unwrap_or_default();
        let budget_ms = match env("SWITCHBOARD_CRM_BUDGET_MS") {
            Some(v) => v.parse().map_err(|_| ConfigError::Value {
                name: "SWITCHBOARD_CRM_BUDGET_MS",
                message: format!("'{v}' is not a whole number of milliseconds"),
            })?,
            None => k.budget_ms.unwrap_or(DEFAULT_CRM_BUDGET_MS),
        };
        if !(50..=10_000).contains(&budget_ms) {
            return Err(ConfigError::Value {
                name: "SWITCHBOARD_CRM_BUDGET_MS",
                message: "between 50 and 10000 milliseconds".into(),
            });
        }
        let crm = CrmConfig {
            url: env("SWITCHBOARD_CRM_URL").or(k.url),
            token: env("SWITCHBOARD_CRM_TOKEN").or(k.token),
            budget: std::time::Duration::from_millis(budget_ms),
        };
        if let Some(u) = &crm.url {
            app::desk::rules::crm::check_template(u).map_err(|message| ConfigError::Value {
                name: "SWITCHBOARD_CRM_URL",
                message,
            })?;
        }
        Ok(Config {
            chat,
            crm,
            pbx,
            default_country_code,
            dialer_tick_ms,
            telephony,
            addr,
            database_url: env("DATABASE_URL").or(f.database_url),
            data_dir: env("SWITCHBOARD_DATA_DIR")
                .map(PathBuf::from)
                .or(f.data_dir)
                .unwrap_or_else(|| ".data".into()),
            db_name,
            pg_port,
            session_key: env("SWITCHBOARD_SESSION_KEY").or(f.session_key),
            secure_cookies,
            session_idle_minutes,
            log_json,
            site_root: env("LEPTOS_SITE_ROOT")
                .or(f.site_root)
                .unwrap_or_else(|| "target/site".into()),
        })
    }

    /// The session signing key: configured, or generated once and kept in the data folder.
    pub fn session_key(&self) -> Result<Vec<u8>, ConfigError> {
        if let Some(hexkey) = &self.session_key {
            let key = hex::decode(hexkey.trim()).map_err(|_| ConfigError::Value {
                name: "SWITCHBOARD_SESSION_KEY",
                message: "must be hex".into(),
            })?;
            if key.len() < 64 {
                return Err(ConfigError::Value {
                    name: "SWITCHBOARD_SESSION_KEY",
                    message: "must be at least 64 bytes (128 hex digits)".into(),
                });
            }
            return Ok(key);
        }
        let path = self.data_dir.join("session.key");
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(key) = hex::decode(text.trim())
            && key.len() >= 64
        {
            return Ok(key);
        }
        let key: Vec<u8> = (0..64).map(|_| rand::random::<u8>()).collect();
        std::fs::create_dir_all(&self.data_dir).map_err(|source| ConfigError::Read {
            path: self.data_dir.clone(),
            source,
        })?;
        write_private(&path, &hex::encode(&key)).map_err(|source| ConfigError::Read { path, source })?;
        Ok(key)
    }
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod chat_tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_parts(toml::from_str(text).expect("toml"))
    }

    #[test]
    fn the_chat_table_is_read_checked_and_its_url_kept_secret() {
        let c = parse("[chat]\nwebhook_url = \"https://chat.example/hooks/s3cret\"\nremind_minutes = 10\nremind_template = \"{people} at {start}\"\n")
            .expect("config");
        assert_eq!(c.chat.webhook_url.as_deref(), Some("https://chat.example/hooks/s3cret"));
        assert_eq!(
            (c.chat.remind_minutes, c.chat.remind_template.as_str()),
            (10, "{people} at {start}")
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        let d = parse("").expect("defaults");
        assert_eq!((d.chat.webhook_url, d.chat.remind_minutes), (None, 5));
        match parse("[chat]\nwebhook_url = \"ftp://x/s3cret\"\n") {
            Err(e) => {
                let e = e.to_string();
                assert!(
                    e.contains("SWITCHBOARD_CHAT_WEBHOOK_URL") && !e.contains("s3cret"),
                    "{e}"
                );
            }
            Ok(_) => panic!("an ftp URL was accepted"),
        }
        assert!(parse("[chat]\nremind_template = \"Turn {turno}\"\n").is_err());
        assert!(parse("[chat]\nremind_minutes = 500\n").is_err());
    }
}

#[cfg(test)]
mod crm_tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_parts(toml::from_str(text).expect("toml"))
    }

    #[test]
    fn the_crm_table_is_read_checked_and_its_token_kept_secret() {
        let c = parse("[crm]\nurl = \"https://crm.example/find?tel={phone}\"\ntoken = \"s3cret\"\nbudget_ms = 800\n")
            .expect("config");
        assert_eq!(c.crm.url.as_deref(), Some("https://crm.example/find?tel={phone}"));
        assert_eq!(c.crm.budget, std::time::Duration::from_millis(800));
        assert!(!format!("{c:?}").contains("s3cret"));
        let d = parse("").expect("defaults");
        assert_eq!(
            (d.crm.url, d.crm.budget.as_millis()),
            (None, DEFAULT_CRM_BUDGET_MS as u128)
        );
        let e = parse("[crm]\nurl = \"https://crm.example/find\"\n").expect_err("no placeholder");
        assert!(e.to_string().contains("{phone}"), "{e}");
        assert!(parse("[crm]\nurl = \"https://crm/{phone}\"\nbudget_ms = 20000\n").is_err());
    }
}
