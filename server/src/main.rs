//! `switchboard`: the phone-support console's server and its administration commands.
use app::accounts::rules::roles::Role;
use app::accounts::rules::tokens::Scope;
use app::shell::error::ApiError;
use app::shell::service::Actor;
use clap::{Parser, Subcommand};
use server::config::Config;
use server::{bootstrap, database, pg, web};
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Switchboard: rota, live queue, call desk, callouts, dialer and escalations for a phone-support team."
)]
#[command(
    after_help = "Configuration comes from switchboard.toml and SWITCHBOARD_* environment variables (see README). \
Without DATABASE_URL an embedded PostgreSQL cluster is kept in the data folder (.data)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app and its workers.
    Serve {
        /// On first start, also create demo accounts (a coordinator, an agent, a manager).
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for machines (PBX, outside systems, REST clients, metrics).
    #[command(subcommand)]
    Token(TokenCommand),
    /// The embedded PostgreSQL cluster.
    #[command(subcommand)]
    Db(DbCommand),
    /// Import a Tomàtic folder (people, availability, holidays, fixed turns, timetables): all
    /// or nothing; a second import of the same folder changes nothing.
    ImportTomatic {
        /// The folder holding persons.yaml, indisponibilitats.conf, … (data/ and graelles/ too).
        dir: std::path::PathBuf,
    },
    /// Run the simulated telephony provider (Twilio REST dialect) on its own port.
    Telsim(server::telephony::telsim::TelsimArgs),
    /// Run the simulated Asterisk (AMI over TCP, queues, phones, callers) on its own ports.
    Pbxsim(server::pbx::sim::PbxsimArgs),
    /// Run the CRM simulator (the CRM port's HTTP lookup, token-checked) on its own port.
    Crmsim(server::crm::sim::CrmsimArgs),
    /// The rota solver on files (no database).
    #[command(subcommand)]
    Rota(server::rota_cli::RotaCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints a generated password unless --password-stdin is given.
    Create {
        username: String,
        /// Roles: admin, coordinator, agent, manager (repeat or separate with commas).
        #[arg(long = "role", required = true, value_delimiter = ',')]
        roles: Vec<String>,
        /// Full name (defaults to the user name).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (generated unless --password-stdin); ends the user's sessions.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users with their roles.
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it (shown only this once).
    Create {
        name: String,
        /// Scopes: pbx, escalations, callouts, metrics (repeat or separate with commas).
        #[arg(long = "scope", required = true, value_delimiter = ',')]
        scopes: Vec<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Start the embedded cluster (if needed) and print the database URL.
    Url,
    /// Stop the embedded cluster.
    Stop,
    /// Drop and re-create the configured database (for test runs; refuses the demo database).
    Recreate,
    /// Drop databases left by earlier test runs.
    PruneTests,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Config(#[from] server::config::ConfigError),
    #[error("{0}")]
    Database(#[from] database::DatabaseError),
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{0}")]
    Service(#[from] app::shell::service::ServiceError),
    #[error("{0}")]
    Db(#[from] app::shell::store::DbError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

fn init_logs(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    if json {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
}

fn read_password_stdin() -> Result<String, CliError> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    Ok(s.trim_end_matches(['\n', '\r']).to_string())
}

async fn open_db(cfg: &Config) -> Result<app::shell::store::PgPool, CliError> {
    let url = database::url(cfg).await?;
    let db = database::pool(&url, 30).await?;
    database::migrate(&db).await?;
    Ok(db)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing open requests");
}

/// The CRM cards ask: the configured one; else, for the demo (or when
/// `SWITCHBOARD_CRMSIM_ADDR` asks for it, as the browser tests do), the CRM simulator here.
async fn start_crmsim(
    cfg: &Config,
    demo: bool,
) -> Result<(server::config::CrmConfig, Option<server::crm::sim::Crmsim>), CliError> {
    let wanted = std::env::var("SWITCHBOARD_CRMSIM_ADDR").ok().filter(|a| !a.is_empty());
    if cfg.crm.url.is_some() || (!demo && wanted.is_none()) {
        return Ok((cfg.crm.clone(), None));
    }
    let addr = wanted.unwrap_or_else(|| "127.0.0.1:0".into());
    let addr = addr
        .parse()
        .map_err(|_| CliError::Usage(format!("SWITCHBOARD_CRMSIM_ADDR: '{addr}' is not host:port")))?;
    let token = cfg.crm.token.clone().unwrap_or_else(server::crm::sim::random_token);
    let sim = server::crm::sim::spawn(addr, &token).await?;
    let crm = server::config::CrmConfig {
        url: Some(sim.url_template()),
        token: Some(token),
        budget: cfg.crm.budget,
    };
    Ok((crm, Some(sim)))
}

async fn serve(cfg: Config, demo: bool) -> Result<(), CliError> {
    let db = open_db(&cfg).await?;
    let admin_password = std::env::var("SWITCHBOARD_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let created = bootstrap::first_accounts(&db, admin_password, demo).await?;
    if demo && bootstrap::demo_rota(&db).await? {
        println!("  Demo rota: 40 people, weekly unavailability and holidays imported.");
    }
    if demo && bootstrap::demo_callouts(&db, &cfg.default_country_code).await? {
        println!("  Demo callouts: 120 contacts and a callout ready to start (simulated provider).");
    }
    if demo && bootstrap::demo_desk(&db).await? {
        println!(
            "  Demo desk: contracts, alerts, tax ids and member numbers on the first contacts (alex: extension 202)."
        );
    }
    let sessions = web::SessionSettings {
        key: cfg.session_key()?,
        secure: cfg.secure_cookies,
        idle_minutes: cfg.session_idle_minutes,
        idle_seconds: None,
    };
    let listener = tokio::net::TcpListener::bind(cfg.addr).await?;
    let (crm, crmsim) = start_crmsim(&cfg, demo).await?;
    if let (Some(sim), true) = (&crmsim, demo) {
        sim.set_records(bootstrap::demo_crm_records(&db).await?);
    }
    let options = server::StartOptions {
        telephony: cfg.telephony.clone(),
        dialer: server::workers::callouts::DialerSettings {
            tick: std::time::Duration::from_millis(cfg.dialer_tick_ms),
            ..Default::default()
        },
        default_country_code: cfg.default_country_code.clone(),
        chat: cfg.chat.clone(),
        crm,
    };
    let running = server::start_with(db, listener, &cfg.site_root, sessions, options, shutdown_signal()).await?;
    println!();
    println!("  Switchboard is running at http://{}/", running.addr);
    let p = &running.provider;
    if p.telsim.is_some() {
        println!(
            "  Telephony: the simulated provider (telsim) at {} (account {}); callbacks to {}",
            p.base_url, p.account_sid, p.public_url
        );
    } else {
        println!(
            "  Telephony: {} (account {}); callbacks to {}",
            p.base_url, p.account_sid, p.public_url
        );
    }
    let (pbx, pbxsim) = server::pbx::connect(&running.services, &cfg.pbx, running.addr, demo)
        .await
        .map_err(std::io::Error::other)?;
    match (&pbxsim, &cfg.pbx.ami_addr) {
        (Some(sim), _) => println!(
            "  PBX: the simulated Asterisk (pbxsim), AMI at {}, control at {}; its ringing calls go to {}",
            sim.ami_addr,
            sim.control_url(),
            server::desk::RINGING_PATH
        ),
        (None, Some(addr)) => println!("  PBX: the Asterisk manager at {addr}"),
        (None, None) => {}
    }
    if demo {
        let services = running.services.clone();
        tokio::spawn(async move {
            match bootstrap::demo_week(&services).await {
                Ok(true) => {
                    println!("  Demo week: this week's timetable generated and published; the queue follows it.")
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "the demo week could not be published"),
            }
        });
    }
    if let Some(sim) = &pbxsim {
        running
            .simulators
            .set_pbxsim(&sim.control_url(), &sim.ami_config().secret);
    }
    match &running.chatsim {
        Some(sim) => println!(
            "  Chat: the chat simulator at http://{} (admins read it on /simulators)",
            sim.addr
        ),
        None => println!("  Chat: the configured webhook"),
    }
    match (&crmsim, &cfg.crm.url) {
        (Some(sim), _) => println!(
            "  CRM: the CRM simulator at http://{} (cards ask it; its lookup is {})",
            sim.addr,
            sim.url_template()
        ),
        (None, Some(_)) => println!("  CRM: the configured CRM (SWITCHBOARD_CRM_URL)"),
        (None, None) => println!("  CRM: none configured (cards show the directory only)"),
    }
    if created.is_empty() {
        println!("  Sign in with your account (reset one with `switchboard user passwd NAME`).");
    } else {
        println!("  Accounts created on this first start (the passwords are shown only now):");
        for a in &created {
            let roles: Vec<_> = a.roles.iter().map(|r| r.as_str()).collect();
            println!(
                "    {:<8} password: {:<18} roles: {}",
                a.username,
                a.password,
                roles.join(", ")
            );
        }
    }
    println!();
    running.task.await.map_err(std::io::Error::other)?;
    drop(pbx);
    drop(pbxsim);
    drop(crmsim);
    tracing::info!("stopped");
    // Exit now: a solver run still on the blocking pool would otherwise hold the runtime's
    // end until its time limit; its claim's lease lets another instance take it up.
    std::process::exit(0)
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let cfg = Config::load()?;
    match cli.command {
        Command::Telsim(args) => {
            init_logs(cfg.log_json);
            Ok(server::telephony::telsim::run(args, shutdown_signal()).await?)
        }
        Command::Pbxsim(args) => {
            init_logs(cfg.log_json);
            Ok(server::pbx::sim::run(args, shutdown_signal()).await?)
        }
        Command::Crmsim(args) => {
            init_logs(cfg.log_json);
            Ok(server::crm::sim::run(args, shutdown_signal()).await?)
        }
        // Files only: the configuration is read, the database is never opened.
        Command::Rota(cmd) => server::rota_cli::run(cmd).await.map_err(CliError::Usage),
        Command::Serve { demo } => {
            init_logs(cfg.log_json);
            serve(cfg, demo).await
        }
        Command::Migrate => {
            open_db(&cfg).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::User(cmd) => {
            let db = open_db(&cfg).await?;
            match cmd {
                UserCommand::Create {
                    username,
                    roles,
                    name,
                    password_stdin,
                } => {
                    let roles = Role::parse_list(&roles.join(",")).map_err(ApiError::from)?;
                    let password = if password_stdin {
                        Some(read_password_stdin()?)
                    } else {
                        None
                    };
                    let display = name.unwrap_or_else(|| username.clone());
                    let created = app::accounts::service::create_user(
                        &db,
                        &Actor::Operator,
                        &username,
                        &display,
                        &roles,
                        password.clone(),
                    )
                    .await?;
                    if password.is_none() {
                        println!("created {username}; password: {}", created.password);
                    } else {
                        println!("created {username}");
                    }
                }
                UserCommand::Passwd {
                    username,
                    password_stdin,
                } => {
                    let id = app::accounts::store::users::id_by_username(&db, &username.trim().to_lowercase())
                        .await
                        .map_err(|_| CliError::Usage(format!("no user named '{username}'")))?;
                    let password = if password_stdin {
                        Some(read_password_stdin()?)
                    } else {
                        None
                    };
                    let set = app::accounts::service::set_password(&db, &Actor::Operator, id, password.clone()).await?;
                    if password.is_none() {
                        println!("new password for {username}: {set}");
                    } else {
                        println!("password changed for {username}");
                    }
                }
                UserCommand::List => {
                    for u in app::accounts::store::users::list(&db).await? {
                        let roles: Vec<_> = u.roles.iter().map(|r| r.as_str()).collect();
                        println!(
                            "{:<20} {:<30} {:<30} {}",
                            u.username,
                            u.display_name,
                            roles.join(","),
                            if u.active { "active" } else { "deactivated" }
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Token(cmd) => {
            let db = open_db(&cfg).await?;
            match cmd {
                TokenCommand::Create { name, scopes } => {
                    let scopes = Scope::parse_list(scopes.iter().map(String::as_str)).map_err(ApiError::from)?;
                    let (id, token) =
                        app::accounts::service::create_token(&db, &Actor::Operator, &name, &scopes).await?;
                    println!("token {id} '{name}': {token}");
                    println!("(shown only now; it is stored hashed)");
                }
                TokenCommand::List => {
                    for t in app::accounts::store::tokens::list(&db).await? {
                        let scopes: Vec<_> = t.scopes.iter().map(|s| s.as_str()).collect();
                        let state = match t.revoked_at {
                            Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                            None => "active".into(),
                        };
                        println!(
                            "{:<5} {:<24} {}… {:<30} {}",
                            t.id,
                            t.name,
                            t.prefix,
                            scopes.join(","),
                            state
                        );
                    }
                }
                TokenCommand::Revoke { id } => {
                    app::accounts::service::revoke_token(&db, &Actor::Operator, id)
                        .await
                        .map_err(|_| CliError::Usage(format!("no active token with id {id}")))?;
                    println!("token {id} revoked");
                }
            }
            Ok(())
        }
        Command::ImportTomatic { dir } => {
            let files = server::tomatic_dir::read(&dir)?;
            if files.is_empty() {
                return Err(CliError::Usage(format!("{}: no Tomàtic files found", dir.display())));
            }
            let db = open_db(&cfg).await?;
            let services = app::shell::ctx::Services::new(db);
            let report = app::rota::service::data::import_tomatic(&services, &Actor::Operator, &files).await?;
            print!("{report}");
            if !report.applied {
                return Err(CliError::Usage(
                    "the import was refused: fix the lines above and run it again".into(),
                ));
            }
            Ok(())
        }
        Command::Db(cmd) => {
            if cfg.database_url.is_some() {
                return Err(CliError::Usage(
                    "DATABASE_URL is set: the embedded cluster is not used".into(),
                ));
            }
            match cmd {
                DbCommand::Url => println!("{}", database::url(&cfg).await?),
                DbCommand::Stop => {
                    pg::EmbeddedPg::ensure(&cfg.data_dir, cfg.pg_port)
                        .map_err(database::DatabaseError::from)?
                        .stop()
                        .map_err(database::DatabaseError::from)?;
                    println!("embedded PostgreSQL stopped");
                }
                DbCommand::Recreate => {
                    if cfg.db_name == "switchboard" {
                        return Err(CliError::Usage(
                            "refusing to drop the demo database 'switchboard'; set SWITCHBOARD_DB_NAME".into(),
                        ));
                    }
                    let cluster =
                        pg::EmbeddedPg::ensure(&cfg.data_dir, cfg.pg_port).map_err(database::DatabaseError::from)?;
                    let admin = database::pool(&cluster.url("postgres"), 1).await?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", cfg.db_name))
                        .execute(&admin)
                        .await
                        .map_err(app::shell::store::DbError::from)?;
                    open_db(&cfg).await?;
                    println!("database {} re-created", cfg.db_name);
                }
                DbCommand::PruneTests => {
                    let cluster =
                        pg::EmbeddedPg::ensure(&cfg.data_dir, cfg.pg_port).map_err(database::DatabaseError::from)?;
                    let admin = database::pool(&cluster.url("postgres"), 1).await?;
                    let names: Vec<String> =
                        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1")
                            .bind(format!("{}%", server::testing::TEST_DB_PREFIX))
                            .fetch_all(&admin)
                            .await
                            .map_err(app::shell::store::DbError::from)?;
                    for n in &names {
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{n}\" WITH (FORCE)"))
                            .execute(&admin)
                            .await
                            .map_err(app::shell::store::DbError::from)?;
                    }
                    println!("dropped {} test database(s)", names.len());
                }
            }
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e}");
            ExitCode::FAILURE
        }
    }
}
