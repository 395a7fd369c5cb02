//! What each subcommand does.

use crate::{
    CatalogueCommand, Cli, Command, Global, HistoryArgs, ImportCommand, QueueCommand, RegisterArgs,
    TokenCommand, UserCommand,
};
use anyhow::{anyhow, bail, Context, Result};
use mashboard_domain::imports::mapping::Mapping;
use mashboard_domain::imports::{parse_history, parse_people_mapped, HistoryKind, People};
use mashboard_domain::people::StaffNumber;
use mashboard_domain::register::{RegisterKind, RegisterMapping, RegisterReader};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::imports;
use mashboard_store::people::{self, ImportError};
use mashboard_store::{backup, copy, DbUrl, Store};
use mashboard_web::{AppState, WebConfig};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

pub const DEFAULT_DB: &str = "sqlite://mashboard.sqlite";

pub fn db_url(global: &Global, default: &str) -> Result<DbUrl> {
    Ok(DbUrl::parse(global.db.as_deref().unwrap_or(default))?)
}

pub async fn open(global: &Global) -> Result<Store> {
    let url = db_url(global, DEFAULT_DB)?;
    let store = Store::open(&url)
        .await
        .with_context(|| format!("could not open the database {}", url.redacted()))?;
    Ok(opened(store))
}

/// The stores a command opened, closed when it ends (see [`run`]).
static OPENED: std::sync::Mutex<Vec<Store>> = std::sync::Mutex::new(Vec::new());

/// Keeps `store` to be closed when the command ends, and hands it back.
pub fn opened(store: Store) -> Store {
    if let Ok(mut open) = OPENED.lock() {
        open.push(store.clone());
    }
    store
}

/// Runs a command, then closes every database it opened, whether it succeeded or not. Closing
/// the last connection to a SQLite file folds its write-ahead log back into the file, so a copy
/// of the file taken after the command (a backup by hand, say) holds everything it wrote.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    let result = run_command(cli).await;
    let stores = OPENED
        .lock()
        .map(|mut open| std::mem::take(&mut *open))
        .unwrap_or_default();
    for store in stores {
        store.close().await;
    }
    result
}

pub fn web_config(global: &Global, demo: bool) -> WebConfig {
    WebConfig {
        force_name: global.force_name.clone().unwrap_or_else(|| {
            if demo {
                mashboard_domain::demo::DEMO_FORCE_NAME.into()
            } else {
                "mashboard".into()
            }
        }),
        secure_cookies: global.secure_cookies,
        idle_timeout: Duration::from_secs(global.idle_minutes.max(1) * 60),
        absolute_timeout: Duration::from_secs(global.session_hours.max(1) * 3600),
        demo,
        data_dir: data_dir(global),
        max_video_bytes: global.max_video_mb * 1024 * 1024,
        metrics_token: global.metrics_token.clone(),
        max_in_flight: global
            .max_in_flight
            .map_or_else(mashboard_web::load::default_max_in_flight, |n| n as usize),
        max_wait: Duration::from_millis(global.max_wait_ms),
        ..WebConfig::default()
    }
}

/// Where uploaded files are kept: `--data-dir`, else `mashboard-data` beside the SQLite file,
/// else `mashboard-data` in the current directory.
pub fn data_dir(global: &Global) -> std::path::PathBuf {
    if let Some(d) = &global.data_dir {
        return d.clone();
    }
    let url = db_url(global, DEFAULT_DB).ok();
    url.as_ref()
        .and_then(|u| u.sqlite_path())
        .and_then(|p| std::path::Path::new(p).parent())
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.join("mashboard-data"))
        .unwrap_or_else(|| std::path::PathBuf::from("mashboard-data"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

pub async fn serve(store: Store, global: &Global, demo: bool) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(global.addr)
        .await
        .with_context(|| format!("could not listen on {}", global.addr))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = store.backend().name(), "mashboard is listening");
    println!("mashboard is running at http://{addr}/  (press Ctrl+C to stop)");
    // Daily reminder e-mails, when configured; never from the demo's fictitious force.
    let schedule = if demo {
        None
    } else {
        crate::reminders::daily_schedule(global)?
    };
    let daily = schedule.map(|(at, cfg)| {
        tracing::info!(
            at = %format!("{:02}:{:02} UTC", at.hour(), at.minute()),
            "reminder digests will be e-mailed daily"
        );
        crate::reminders::spawn_daily(store.clone(), at, cfg)
    });
    if global
        .metrics_token
        .as_ref()
        .is_some_and(|t| t.chars().count() < 16)
    {
        bail!("--metrics-token must be at least 16 characters long");
    }
    let state = AppState::new(store.clone(), web_config(global, demo));
    let metrics = match global.metrics_addr {
        None => None,
        Some(at) => {
            let listener = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("could not listen on {at} for /metrics"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "metrics are served at /metrics");
            let state = state.clone();
            Some(tokio::spawn(async move {
                if let Err(e) =
                    mashboard_web::serve_metrics(listener, state, std::future::pending()).await
                {
                    tracing::warn!(error = %e, "the metrics address stopped");
                }
            }))
        }
    };
    let refresher = tokio::spawn(refresh_queue_hourly(store.clone()));
    let outbox = match demo {
        true => None,
        false => crate::delivery::spawn_outbox(store.clone(), global)?,
    };
    let served = mashboard_web::serve(listener, state, shutdown_signal()).await;
    refresher.abort();
    if let Some(task) = metrics {
        task.abort();
    }
    if let Some(task) = outbox {
        task.abort();
    }
    if let Some(task) = daily {
        task.abort();
    }
    served?;
    store.close().await;
    Ok(())
}

/// Checks for missing referrals at start and then every hour. Cheap and idempotent; a failure is
/// logged (no personal data: counts only) and the next hour tries again. With several instances
/// on one database, each asks every minute whether an hour has passed since the last check on
/// any of them (`jobs::claim_turn`): one instance runs each check.
async fn refresh_queue_hourly(store: Store) {
    use mashboard_store::jobs::{self, Job};
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = time::OffsetDateTime::now_utc();
        match jobs::claim_turn(&store, Job::QueueRefresh, Duration::from_secs(3600), now).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "could not check whether the missing-referral queue is due");
                continue;
            }
        }
        match mashboard_store::queue::refresh(&store, now).await {
            Ok(r) => tracing::info!(
                added = r.added,
                closed_in_time = r.closed_in_time,
                "missing-referral queue refreshed"
            ),
            Err(e) => tracing::warn!(error = %e, "could not refresh the missing-referral queue"),
        }
    }
}

fn read_password(from_stdin: bool, username: &str) -> Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        if pw.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(pw);
    }
    let pw = rpassword::prompt_password(format!("Password for {username}: "))?;
    let again = rpassword::prompt_password("Type it again: ")?;
    if pw != again {
        bail!("the two passwords do not match");
    }
    Ok(pw)
}

async fn run_command(cli: Cli) -> Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Serve => {
            // A bad reminder setting stops the server before it starts, not at 07:00.
            crate::reminders::daily_schedule(g)?;
            let store = open(g).await?;
            serve(store, g, false).await?;
        }
        Command::Demo => crate::demo::run(g).await?,
        Command::Migrate => {
            let url = db_url(g, DEFAULT_DB)?;
            let store = opened(mashboard_store::Store::connect(&url).await?);
            let applied = mashboard_store::migrate::run(&store).await?;
            if applied.is_empty() {
                println!(
                    "The database {} is up to date (schema version {}).",
                    url.redacted(),
                    mashboard_store::migrate::latest_version()
                );
            } else {
                println!("Applied migrations {applied:?} to {}.", url.redacted());
            }
        }
        Command::User(UserCommand::Add {
            username,
            roles,
            staff_number,
            password_stdin,
        }) => {
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<Vec<_>, _>>()?;
            let staff_number = staff_number
                .as_deref()
                .map(StaffNumber::parse)
                .transpose()
                .map_err(|e| anyhow!("--staff-number: {e}"))?;
            let username_checked =
                mashboard_domain::accounts::check_username(&username).map_err(|e| anyhow!(e))?;
            let password = read_password(password_stdin, &username_checked)?;
            let store = open(g).await?;
            let a = accounts::create(
                &store,
                &Actor::cli(),
                NewAccount {
                    username: &username_checked,
                    roles: &roles,
                    staff_number: staff_number.as_ref(),
                    password: Some(&password),
                },
            )
            .await?;
            println!(
                "Created account {} with roles {}{}.",
                a.username,
                a.roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                a.staff_number
                    .map(|s| format!(", linked to {s}"))
                    .unwrap_or_default()
            );
        }
        Command::User(UserCommand::Disable { username }) => {
            let store = open(g).await?;
            accounts::set_disabled(&store, &Actor::cli(), &username, true).await?;
            println!(
                "Disabled {username}: it can no longer sign in and its API tokens are revoked."
            );
        }
        Command::User(UserCommand::List) => {
            let store = open(g).await?;
            println!(
                "{:<24} {:<10} {:<12} roles",
                "username", "status", "staff no."
            );
            for a in accounts::list(&store).await? {
                println!(
                    "{:<24} {:<10} {:<12} {}",
                    a.username,
                    if a.disabled { "disabled" } else { "active" },
                    a.staff_number.unwrap_or_else(|| "-".into()),
                    a.roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                );
            }
        }
        Command::Catalogue(CatalogueCommand::Starter) => {
            let store = open(g).await?;
            let r = mashboard_store::training::starter::add_starter(
                &store,
                &Actor::cli(),
                mashboard_store::training::today(),
            )
            .await?;
            println!(
                "Added {} module(s), {} role programme(s) and {} guidance tag(s) from the starter catalogue.",
                r.modules_added.len(),
                r.programmes_added.len(),
                r.tags_added
            );
            if !r.modules_kept.is_empty() || !r.programmes_kept.is_empty() {
                println!(
                    "Kept as they were (the code was already there): {}.",
                    r.modules_kept
                        .iter()
                        .chain(&r.programmes_kept)
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        Command::Queue(QueueCommand::Refresh) => {
            let store = open(g).await?;
            let r = mashboard_store::queue::refresh_by(
                &store,
                &Actor::cli(),
                time::OffsetDateTime::now_utc(),
            )
            .await?;
            let stats =
                mashboard_store::queue::stats(&store, time::OffsetDateTime::now_utc()).await?;
            println!(
                "Added {} incident(s) to the missing-referral queue.{} Open items: {}.",
                r.added,
                if r.closed_in_time > 0 {
                    format!(
                        " Closed {}: a referral made in time is now on the register.",
                        r.closed_in_time
                    )
                } else {
                    String::new()
                },
                stats.open
            );
        }
        Command::Token(TokenCommand::Create { user, label }) => {
            let store = open(g).await?;
            let token = accounts::create_token(&store, &Actor::cli(), &user, &label).await?;
            println!("{token}");
        }
        Command::Import(ImportCommand::People {
            file,
            map,
            mapping,
            dry_run,
        }) => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let columns = match (map, mapping) {
                (Some(text), _) => match Mapping::parse(People, &text) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        eprintln!("--map: {e}");
                        eprintln!("Nothing was imported.");
                        return Ok(ExitCode::FAILURE);
                    }
                },
                (None, Some(wanted)) => {
                    let store = open(g).await?;
                    let Some(saved) = imports::mapping(&store, People, &wanted).await? else {
                        eprintln!("There is no saved people mapping called \"{wanted}\".");
                        eprintln!("Nothing was imported.");
                        return Ok(ExitCode::FAILURE);
                    };
                    Some(saved.parsed(People).map_err(|e| {
                        anyhow!("the saved mapping \"{}\" cannot be read: {e}", saved.name)
                    })?)
                }
                (None, None) => None,
            };
            let parsed = match parse_people_mapped(&bytes, columns.as_ref()) {
                Ok(p) => p,
                Err(problem) => {
                    eprintln!("{name}: {problem}");
                    eprintln!("Nothing was imported.");
                    return Ok(ExitCode::FAILURE);
                }
            };
            if !parsed.ignored_columns.is_empty() {
                eprintln!(
                    "Ignoring columns we do not use: {}",
                    parsed.ignored_columns.join(", ")
                );
            }
            let report_errors = |errors: &[mashboard_domain::imports::RowError]| {
                for e in errors {
                    eprintln!(
                        "{name}: row {}, column {}: {}",
                        e.row,
                        e.column.as_deref().unwrap_or("(whole row)"),
                        e.reason
                    );
                }
                eprintln!(
                    "{} {} found. Nothing was imported.",
                    errors.len(),
                    if errors.len() == 1 {
                        "problem"
                    } else {
                        "problems"
                    }
                );
            };
            if !parsed.errors.is_empty() {
                report_errors(&parsed.errors);
                return Ok(ExitCode::FAILURE);
            }
            let store = open(g).await?;
            match people::import_file(&store, &Actor::cli(), &parsed, dry_run, &name).await {
                Ok(r) => {
                    let verb = if dry_run { "Would add" } else { "Added" };
                    println!(
                        "{verb} {} people, {} {} records, {} already up to date (read as {}).",
                        r.created.len(),
                        if dry_run { "change" } else { "changed" },
                        r.updated.len(),
                        r.unchanged,
                        parsed.encoding
                    );
                }
                Err(ImportError::Rows(errors)) => {
                    report_errors(&errors);
                    return Ok(ExitCode::FAILURE);
                }
                Err(ImportError::Store(e)) => return Err(e.into()),
            }
        }
        Command::Import(ImportCommand::Training {
            file,
            mapping,
            dry_run,
        }) => {
            use mashboard_domain::training_import::ImportKind;
            return import_records(g, ImportKind::Training, &file, mapping.as_deref(), dry_run)
                .await;
        }
        Command::Import(ImportCommand::Cpd {
            file,
            mapping,
            dry_run,
        }) => {
            use mashboard_domain::training_import::ImportKind;
            return import_records(g, ImportKind::Cpd, &file, mapping.as_deref(), dry_run).await;
        }
        Command::Import(ImportCommand::TeamsReport {
            session_id,
            file,
            dry_run,
            json,
        }) => {
            return import_teams_report(g, session_id, &file, dry_run, json).await;
        }
        Command::Import(ImportCommand::AuditHistory(args)) => {
            return import_history(g, HistoryKind::Audit, &args).await;
        }
        Command::Import(ImportCommand::ReviewHistory(args)) => {
            return import_history(g, HistoryKind::Review, &args).await;
        }
        Command::Import(ImportCommand::Incidents(args)) => {
            return import_register(g, RegisterKind::Incidents, &args).await;
        }
        Command::Import(ImportCommand::Referrals(args)) => {
            return import_register(g, RegisterKind::Referrals, &args).await;
        }
        Command::Import(ImportCommand::Outcomes(args)) => {
            return import_register(g, RegisterKind::Outcomes, &args).await;
        }
        Command::Import(ImportCommand::ReferralPeople(args)) => {
            return import_register(g, RegisterKind::ReferralPeople, &args).await;
        }
        Command::BenchImport(args) => return crate::bench::run(g, &args).await,
        Command::BenchImpact(args) => return crate::bench_impact::run(g, &args).await,
        Command::BenchSoak(args) => return crate::bench_soak::run(&args).await,
        Command::BenchQueries(args) => return crate::bench_queries::run(g, &args).await,
        Command::BenchLists(args) => return crate::bench_lists::run(g, &args).await,
        Command::Backup { path } => {
            let store = open(g).await?;
            let dir = data_dir(g);
            if store.backend() == mashboard_store::Backend::Postgres {
                if let Err(e) = backup::backup(&store, &path).await {
                    bail!(
                        "{e}. Back up the data directory {} (uploaded recordings) with your file backups as well.",
                        dir.display()
                    );
                }
            }
            let report = backup::backup_with_files(&store, &path, &dir).await?;
            println!(
                "Wrote a consistent copy of the database to {}.",
                path.display()
            );
            if report.files == 0 {
                println!("No uploaded files to copy: no recording is kept in the data directory.");
            } else {
                println!(
                    "Copied {} uploaded recording file{} ({}) from {} to {}.",
                    report.files,
                    if report.files == 1 { "" } else { "s" },
                    mashboard_web::csrf::size_text(report.bytes),
                    dir.display(),
                    report.files_dir.display()
                );
            }
            if !report.missing.is_empty() {
                println!(
                    "Warning: {} recording file{} named by the database {} missing from {} and could not be copied: {}. Those modules need their recording uploaded again.",
                    report.missing.len(),
                    if report.missing.len() == 1 { "" } else { "s" },
                    if report.missing.len() == 1 { "is" } else { "are" },
                    dir.display(),
                    report.missing.join(", ")
                );
            }
        }
        Command::Config => {
            let url = db_url(g, DEFAULT_DB)?;
            let c = web_config(g, false);
            println!(
                "database        {} ({})",
                url.redacted(),
                url.backend().name()
            );
            println!("address         {}", g.addr);
            println!(
                "metrics         {}",
                match (&g.metrics_addr, &c.metrics_token) {
                    (Some(a), Some(_)) => format!("on {a}, and on the main address with the token"),
                    (Some(a), None) => format!("on {a}"),
                    (None, Some(_)) => "on the main address with the token".into(),
                    (None, None) => "off".into(),
                }
            );
            println!("force name      {}", c.force_name);
            println!("secure cookies  {}", c.secure_cookies);
            println!("data directory  {}", c.data_dir.display());
            println!(
                "largest video   {}",
                mashboard_web::csrf::size_text(c.max_video_bytes)
            );
            println!(
                "busy limit      {} requests at once, then a wait of up to {} ms, then 503",
                c.max_in_flight,
                c.max_wait.as_millis()
            );
            println!("idle timeout    {} minutes", c.idle_timeout.as_secs() / 60);
            println!(
                "session length  {} hours",
                c.absolute_timeout.as_secs() / 3600
            );
            println!(
                "log format      {}",
                if g.log_json { "json" } else { "text" }
            );
            let mail = crate::reminders::MailConfig::from_global(g)?;
            println!(
                "base URL        {}{}",
                mail.base_url,
                if mail.base_url_guessed {
                    " (not set: taken from the address)"
                } else {
                    ""
                }
            );
            println!(
                "mail server     {}",
                mail.smtp_url
                    .as_deref()
                    .map(crate::reminders::redacted_smtp_url)
                    .unwrap_or_else(|| "not set (reminder e-mails off)".into())
            );
            println!(
                "mail from       {}",
                mail.from
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "not set".into())
            );
            println!(
                "reminders at    {}",
                g.reminders_at
                    .as_deref()
                    .map(|t| format!("{t} UTC daily"))
                    .unwrap_or_else(|| "not set (no daily e-mails from serve)".into())
            );
        }
        Command::Reminders(cmd) => return crate::reminders::command(g, cmd).await,
        Command::Outbox(cmd) => return crate::delivery::command(g, cmd).await,
        Command::CopyDb { from, to } => {
            let from_url = DbUrl::parse(&from)?;
            let to_url = DbUrl::parse(&to)?;
            if from_url == to_url {
                bail!("--from and --to are the same database");
            }
            let source = opened(
                Store::open(&from_url)
                    .await
                    .with_context(|| format!("could not open {}", from_url.redacted()))?,
            );
            let target = opened(
                Store::open(&to_url)
                    .await
                    .with_context(|| format!("could not open {}", to_url.redacted()))?,
            );
            let r = copy::copy(&source, &target).await?;
            println!(
                "Copied from {} to {}:",
                from_url.redacted(),
                to_url.redacted()
            );
            for (table, n) in &r.tables {
                println!("  {table:<18} {n:>8} rows");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `import training` and `import cpd`: find the header, map the columns (a saved mapping, or
/// one guessed from the headers), check every row against the file's own rules and against the
/// directory and catalogue, then import all or nothing. Exits 1 with every problem, row by row,
/// when anything is wrong.
async fn import_records(
    g: &Global,
    kind: mashboard_domain::training_import::ImportKind,
    file: &std::path::Path,
    mapping_name: Option<&str>,
    dry_run: bool,
) -> Result<ExitCode> {
    use mashboard_domain::training_import::{
        parse_cpd, parse_training, read_sheet, suggest_mapping, ImportKind,
    };
    use mashboard_store::training_import;

    let bytes =
        std::fs::read(file).with_context(|| format!("could not read {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let sheet = match read_sheet(kind, &bytes) {
        Ok(s) => s,
        Err(problem) => {
            eprintln!("{name}: {problem}");
            eprintln!("Nothing was imported.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let store = open(g).await?;
    let mapping = match mapping_name {
        Some(wanted) => match training_import::mapping(&store, kind, wanted).await? {
            Some(saved) => {
                let m = saved.parsed(kind).map_err(|e| {
                    anyhow!("the saved mapping \"{}\" cannot be read: {e}", saved.name)
                })?;
                let (m, notes) = m.fit(kind, &sheet.headers);
                for note in notes {
                    eprintln!("{name}: {note}");
                }
                println!("Using the saved mapping \"{}\".", saved.name);
                m
            }
            None => {
                let saved: Vec<String> = training_import::mappings(&store, kind)
                    .await?
                    .into_iter()
                    .map(|m| format!("\"{}\"", m.name))
                    .collect();
                eprintln!(
                    "There is no saved {} mapping called \"{wanted}\". Saved mappings: {}.",
                    kind.as_str(),
                    if saved.is_empty() {
                        "none yet (save one on the import page)".to_string()
                    } else {
                        saved.join(", ")
                    }
                );
                eprintln!("Nothing was imported.");
                return Ok(ExitCode::FAILURE);
            }
        },
        None => {
            println!("Matching columns by their headers (use --mapping NAME for a saved mapping).");
            suggest_mapping(kind, &sheet.headers)
        }
    };
    println!("Mapping: {}", mapping.encode());
    for (label, column) in mapping.describe(kind, &sheet.headers) {
        println!("  {label:<22} {column}");
    }
    let report_errors = |errors: &[mashboard_domain::imports::RowError]| {
        for e in errors {
            eprintln!(
                "{name}: row {}, column {}: {}",
                e.row,
                e.column.as_deref().unwrap_or("(whole row)"),
                e.reason
            );
        }
        eprintln!(
            "{} {} found. Nothing was imported.",
            errors.len(),
            if errors.len() == 1 {
                "problem"
            } else {
                "problems"
            }
        );
    };
    let mapping_failed = |problems: Vec<mashboard_domain::training_import::MappingError>| {
        for p in problems {
            eprintln!("{name}: {}", p.message);
        }
        eprintln!("Nothing was imported.");
        Ok(ExitCode::FAILURE)
    };
    let today = mashboard_store::training::today();
    let actor = Actor::cli();
    let (warnings, notes, result) = match kind {
        ImportKind::Training => match parse_training(&sheet, &mapping, today) {
            Err(problems) => return mapping_failed(problems),
            Ok(parsed) => (
                parsed.warnings.clone(),
                parsed.notes.clone(),
                training_import::import_training(&store, &actor, &parsed, dry_run, &name).await,
            ),
        },
        ImportKind::Cpd => match parse_cpd(&sheet, &mapping, today) {
            Err(problems) => return mapping_failed(problems),
            Ok(parsed) => (
                parsed.warnings.clone(),
                parsed.notes.clone(),
                training_import::import_cpd(&store, &actor, &parsed, dry_run, &name).await,
            ),
        },
    };
    for note in notes {
        eprintln!("{name}: {note}");
    }
    match result {
        Ok(r) => {
            for w in &warnings {
                eprintln!(
                    "{name}: row {}, column {}: warning: {}",
                    w.row,
                    w.column.as_deref().unwrap_or("(whole row)"),
                    w.reason
                );
            }
            for s in r
                .rows
                .iter()
                .filter(|s| s.outcome == training_import::Outcome::Skipped)
            {
                eprintln!("{name}: row {}: skipped: {}", s.row, s.note);
            }
            let noun = match kind {
                ImportKind::Training => "completions",
                ImportKind::Cpd => "CPD entries",
            };
            if dry_run {
                println!(
                    "Would create {} {noun}, update {}, leave {} already up to date and skip {} (read as {}; nothing was saved).",
                    r.created, r.updated, r.unchanged, r.skipped, sheet.encoding
                );
            } else {
                println!(
                    "Created {} {noun}, updated {}, {} already up to date, {} skipped (read as {}).",
                    r.created, r.updated, r.unchanged, r.skipped, sheet.encoding
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Rows(errors)) => {
            report_errors(&errors);
            Ok(ExitCode::FAILURE)
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// `import incidents|referrals|outcomes|referral-people`: streams the file into the register,
/// all or nothing. Prints the report; exits 1 naming every bad row (the first 100, and how many
/// there were) when the file is refused.
/// `import audit-history` and `import review-history`: all or nothing, every bad row named,
/// the same file again changes nothing.
async fn import_history(g: &Global, kind: HistoryKind, args: &HistoryArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("could not read {}", args.file.display()))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mapping = match &args.map {
        None => None,
        Some(text) => match Mapping::parse(kind, text) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("--map: {e}");
                eprintln!("Nothing was imported.");
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let file = match parse_history(kind, &bytes, mapping.as_ref()) {
        Ok(f) => f,
        Err(problem) => {
            eprintln!("{name}: {problem}");
            eprintln!("Nothing was imported.");
            return Ok(ExitCode::FAILURE);
        }
    };
    if !file.errors.is_empty() {
        for e in &file.errors {
            eprintln!("{name}: {e}");
        }
        let n = file.errors.len();
        eprintln!(
            "{n} {} found. Nothing was imported.",
            if n == 1 { "problem" } else { "problems" }
        );
        return Ok(ExitCode::FAILURE);
    }
    let store = open(g).await?;
    let r =
        imports::history::import_history(&store, &Actor::cli(), &file, args.dry_run, &name).await?;
    let what = kind.label().to_lowercase();
    if args.dry_run {
        println!(
            "Checked {name} ({what}) without importing: would be {}.",
            r.summary()
        );
    } else {
        println!("Imported {name} ({what}): {}.", r.summary());
    }
    Ok(ExitCode::SUCCESS)
}

async fn import_register(g: &Global, kind: RegisterKind, args: &RegisterArgs) -> Result<ExitCode> {
    use mashboard_store::register;

    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("could not read {}", args.file.display()))?;
    let file_len = file.metadata().map(|m| m.len()).ok();
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut reader = match RegisterReader::new(kind, std::io::BufReader::new(file)) {
        Ok(r) => r,
        Err(problem) => {
            eprintln!("{name}: {problem}");
            eprintln!("Nothing was imported.");
            return Ok(ExitCode::FAILURE);
        }
    };
    if let Some(len) = file_len {
        reader.set_file_len(len);
    }
    let store = open(g).await?;
    let chosen: Option<RegisterMapping> = match (&args.mapping, &args.map) {
        (Some(wanted), _) => match register::mapping(&store, kind, wanted).await? {
            Some(saved) => {
                println!("Using the saved mapping \"{}\".", saved.name);
                Some(saved.parsed(kind).map_err(|e| {
                    anyhow!("the saved mapping \"{}\" cannot be read: {e}", saved.name)
                })?)
            }
            None => {
                let saved: Vec<String> = register::mappings(&store, kind)
                    .await?
                    .into_iter()
                    .map(|m| format!("\"{}\"", m.name))
                    .collect();
                eprintln!(
                    "There is no saved {} mapping called \"{wanted}\". Saved mappings: {}.",
                    kind.as_str(),
                    if saved.is_empty() {
                        "none yet (save one with --map ... --save-mapping NAME, or on the import page)".to_string()
                    } else {
                        saved.join(", ")
                    }
                );
                eprintln!("Nothing was imported.");
                return Ok(ExitCode::FAILURE);
            }
        },
        (None, Some(text)) => match RegisterMapping::parse(kind, text) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("--map: {e}");
                eprintln!("Nothing was imported.");
                return Ok(ExitCode::FAILURE);
            }
        },
        (None, None) => None,
    };
    if let Some(m) = &chosen {
        if let Err(problems) = reader.set_mapping(m) {
            for p in problems {
                eprintln!("{name}: {}", p.message);
            }
            eprintln!("Nothing was imported.");
            return Ok(ExitCode::FAILURE);
        }
    } else if !reader.mapping_problems().is_empty() {
        for p in reader.mapping_problems() {
            eprintln!("{name}: row {}: {}", reader.header_row(), p.message);
        }
        eprintln!(
            "{name}: the header should be: {}\nOr say which column holds what with --map 'field=header;...' or --mapping NAME.",
            kind.canonical_header()
        );
        eprintln!("Nothing was imported.");
        return Ok(ExitCode::FAILURE);
    }
    if !reader.is_canonical() {
        println!("Mapping: {}", reader.mapping().encode());
        for (label, column) in reader.mapping().describe(kind, reader.headers()) {
            println!("  {label:<24} {column}");
        }
    }
    if let Some(save_as) = &args.save_mapping {
        let saved =
            register::save_mapping(&store, &Actor::cli(), kind, save_as, reader.mapping()).await?;
        println!("Saved this mapping as \"{}\".", saved.name);
    }
    let report = register::import(&store, &Actor::cli(), reader, &name, args.dry_run).await?;
    if !report.ignored_columns.is_empty() {
        eprintln!(
            "{name}: ignoring columns we do not use: {}",
            report.ignored_columns.join(", ")
        );
    }
    let line = |what: &str, e: &mashboard_domain::imports::RowError| {
        format!(
            "{name}: row {}, column {}: {what}{}",
            e.row,
            e.column.as_deref().unwrap_or("(whole row)"),
            e.reason
        )
    };
    if report.rejected() {
        for e in &report.errors {
            eprintln!("{}", line("", e));
        }
        if report.error_count > report.errors.len() {
            eprintln!(
                "... and {} more problems not listed.",
                report.error_count - report.errors.len()
            );
        }
        eprintln!(
            "{} {} found in {} rows. Nothing was imported.",
            report.error_count,
            if report.error_count == 1 {
                "problem"
            } else {
                "problems"
            },
            report.rows_read
        );
        return Ok(ExitCode::FAILURE);
    }
    for w in &report.warnings {
        eprintln!("{}", line("warning: ", w));
    }
    if report.warning_count > report.warnings.len() {
        eprintln!(
            "... and {} more warnings not listed.",
            report.warning_count - report.warnings.len()
        );
    }
    let noun = match kind {
        RegisterKind::Incidents => "incidents",
        RegisterKind::Referrals => "referrals",
        RegisterKind::Outcomes => "outcomes",
        RegisterKind::ReferralPeople => "people named in referrals",
    };
    if args.dry_run {
        println!(
            "Checked {} rows of {noun} (read as {}): would add {}, change {}, leave {} already up to date{}. Nothing was saved.",
            report.rows_read,
            report.encoding,
            report.created,
            report.updated,
            report.unchanged,
            skipped_words(&report),
        );
    } else {
        println!(
            "Imported {} rows of {noun} (read as {}): {} new, {} changed, {} already up to date{}.",
            report.rows_read,
            report.encoding,
            report.created,
            report.updated,
            report.unchanged,
            skipped_words(&report),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn skipped_words(report: &mashboard_store::register::RegisterReport) -> String {
    if report.skipped > 0 {
        format!(", {} kept as recorded in mashboard", report.skipped)
    } else {
        String::new()
    }
}

/// `import teams-report SESSION_ID FILE [--dry-run] [--json]`.
async fn import_teams_report(
    g: &Global,
    session_id: i64,
    file: &std::path::Path,
    dry_run: bool,
    json: bool,
) -> Result<ExitCode> {
    use mashboard_store::delivery::teams;
    use mashboard_store::StoreError;
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("Could not read {}: {e}", file.display());
            eprintln!("Nothing was recorded.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // A file that is not a report is refused before the database is opened.
    if let Err(e) = mashboard_domain::teams_report::parse(&bytes) {
        eprintln!("{name}: {e}");
        eprintln!("Nothing was recorded.");
        return Ok(ExitCode::FAILURE);
    }
    let store = open(g).await?;
    let result = if dry_run {
        teams::preview(&store, session_id, &bytes)
            .await
            .map(|p| (p, false))
    } else {
        teams::commit(&store, &Actor::cli(), session_id, &name, &bytes)
            .await
            .map(|c| (c.preview, c.committed))
    };
    let (p, committed) = match result {
        Ok(r) => r,
        Err(StoreError::Invalid(m))
        | Err(StoreError::Conflict(m))
        | Err(StoreError::NotFound(m)) => {
            eprintln!("{name}: {m}");
            eprintln!("Nothing was recorded.");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    if json {
        let v = serde_json::json!({
            "matched": p.matching.matched.iter().zip(&p.summed).map(|(m, t)| serde_json::json!({
                "staff_number": m.staff_number, "name": m.name, "minutes": t.minutes,
                "status": t.status.as_str(), "report_minutes": m.minutes,
                "before_minutes": t.before_minutes, "before_status": t.before_status.map(|s| s.as_str()),
                "joins": m.joins, "enrolled": m.enrolled,
                "kept_hand_mark": p.kept.contains(&m.staff_number)})).collect::<Vec<_>>(),
            "reports_before": p.reports_committed,
            "unmatched": p.matching.unmatched.iter().map(|u| serde_json::json!({
                "name": u.name, "email": u.email, "minutes": u.minutes, "reason": u.reason})).collect::<Vec<_>>(),
            "not_in_report": p.matching.not_in_report,
            "committed": committed,
            "already_uploaded": p.already_uploaded.is_some(),
            "notes": p.notes,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{name}: {} participants; {}% of {} minutes counts as attended.",
        p.participants, p.share_pct, p.session_minutes
    );
    for note in &p.notes {
        println!("Note: {note}");
    }
    println!("\nMatched ({}):", p.matching.matched.len());
    println!(
        "  {:<12} {:<32} {:>7}  {:<16} notes",
        "staff no.", "name", "minutes", "mark"
    );
    for (m, t) in p.matching.matched.iter().zip(&p.summed) {
        let mut notes = Vec::new();
        if p.reports_committed > 0 {
            notes.push(format!(
                "{} before + {} in this report",
                t.before_minutes.unwrap_or(0),
                m.minutes
            ));
        }
        if !m.enrolled {
            notes.push("walk-in".to_string());
        }
        if p.kept.contains(&m.staff_number) {
            notes.push("hand mark kept".to_string());
        }
        if m.joins > 1 {
            notes.push(format!("{} joins", m.joins));
        }
        println!(
            "  {:<12} {:<32} {:>7}  {:<16} {}",
            m.staff_number,
            m.name.chars().take(32).collect::<String>(),
            t.minutes,
            t.status.as_str(),
            notes.join(", ")
        );
    }
    println!("\nNot matched ({}):", p.matching.unmatched.len());
    for u in &p.matching.unmatched {
        println!(
            "  {} <{}>, {} minutes: {}",
            u.name,
            u.email.as_deref().unwrap_or("no e-mail"),
            u.minutes,
            u.reason
        );
    }
    println!(
        "\nEnrolled but not in the report ({}): {}",
        p.matching.not_in_report.len(),
        p.matching.not_in_report.join(", ")
    );
    if dry_run {
        println!("\nDry run: nothing was recorded.");
    } else if committed {
        println!("\nRecorded on the register of session {session_id}.");
    } else {
        println!(
            "\nThis report had already been recorded for session {session_id}: nothing changed."
        );
    }
    Ok(ExitCode::SUCCESS)
}
