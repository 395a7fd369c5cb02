//! The `mashboard` binary: command line, configuration and wiring. Every subcommand is a thin
//! call into the store or the web layer.

mod bench;
mod bench_impact;
mod bench_lists;
mod bench_queries;
mod bench_soak;
mod commands;
mod delivery;
mod demo;
mod demo_delivery;
mod demo_evaluation;
mod demo_exercises;
mod demo_learning;
mod demo_partners;
mod demo_quality;
mod demo_training;
mod reminders;

// mimalloc, built without its transparent huge pages (the crate's `no_thp`): on a kernel that
// gives huge pages to memory that asks for them (`madvise`, Debian's default), mimalloc asked
// for them, and every 2 MiB region it touched became resident whole: the server took 35 MB
// just after start instead of about 20, and a first import of 1,000,000 incidents peaked at
// 61–65 MiB instead of about 40 (measured with `MIMALLOC_ALLOW_THP=0`, docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "mashboard",
    version,
    about = "Safeguarding training and referral quality assurance for a police force's MASH."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Database URL: sqlite://PATH (embedded, the default) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, env = "MASHBOARD_DB", global = true)]
    pub db: Option<String>,
    /// Address to listen on.
    #[arg(
        long,
        env = "MASHBOARD_ADDR",
        global = true,
        default_value = "127.0.0.1:8080"
    )]
    pub addr: SocketAddr,
    /// The force's name, shown in the header of every page.
    #[arg(long, env = "MASHBOARD_FORCE_NAME", global = true)]
    pub force_name: Option<String>,
    /// Mark session cookies Secure (set this when users reach mashboard over HTTPS).
    #[arg(long, env = "MASHBOARD_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,
    /// Minutes without activity before a session ends.
    #[arg(
        long,
        env = "MASHBOARD_IDLE_MINUTES",
        global = true,
        default_value_t = 30
    )]
    pub idle_minutes: u64,
    /// Hours after signing in before a session ends, however active.
    #[arg(
        long,
        env = "MASHBOARD_SESSION_HOURS",
        global = true,
        default_value_t = 10
    )]
    pub session_hours: u64,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, env = "MASHBOARD_LOG_JSON", global = true)]
    pub log_json: bool,
    /// The address people use to reach mashboard (https://mashboard.force.example), for the
    /// links in reminder e-mails.
    #[arg(long, env = "MASHBOARD_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Directory for uploaded files such as recorded videos (default: `mashboard-data` beside
    /// the SQLite file, or in the current directory).
    #[arg(long, env = "MASHBOARD_DATA_DIR", global = true)]
    pub data_dir: Option<std::path::PathBuf>,
    /// The largest recorded-video file a trainer may upload, in megabytes (MiB). Every other
    /// form keeps a 20 MB limit.
    #[arg(
        long,
        env = "MASHBOARD_MAX_VIDEO_MB",
        global = true,
        default_value_t = 4096,
        value_parser = clap::value_parser!(u64).range(1..=1_048_576)
    )]
    pub max_video_mb: u64,
    /// The most requests `serve` works on at once (default: 64 per processor, at least 128).
    /// Past it a request waits up to --max-wait-ms for one to finish, then is refused at once
    /// with 503 Service Unavailable and Retry-After ("The service is busy … nothing was saved"),
    /// instead of queueing without bound. Health checks, /metrics, assets and video uploads are
    /// not counted.
    #[arg(
        long,
        env = "MASHBOARD_MAX_IN_FLIGHT",
        global = true,
        value_parser = clap::value_parser!(u32).range(1..=1_000_000)
    )]
    pub max_in_flight: Option<u32>,
    /// How long, in milliseconds, a request waits for a place when --max-in-flight requests are
    /// being worked on, before it is refused with 503 (0: refuse at once).
    #[arg(
        long,
        env = "MASHBOARD_MAX_WAIT_MS",
        global = true,
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(0..=600_000)
    )]
    pub max_wait_ms: u64,
    /// The mail server for reminder e-mails: smtp://HOST:25 (no encryption),
    /// smtp://USER:PASSWORD@HOST:587?tls=required (STARTTLS) or smtps://USER:PASSWORD@HOST:465.
    /// Reminder e-mails are off without it.
    #[arg(
        long,
        env = "MASHBOARD_SMTP_URL",
        global = true,
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// The sender of reminder e-mails: mashboard@force.example or "Name <address>".
    #[arg(long, env = "MASHBOARD_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// Send the reminder digests every day at this time (HH:MM, UTC) while `serve` runs.
    /// Off when not set; needs the mail server settings.
    #[arg(long, env = "MASHBOARD_REMINDERS_AT", global = true)]
    pub reminders_at: Option<String>,
    /// Serve `/metrics` (Prometheus' text format: requests by route and status, latency, the
    /// database pool, imports, the outbox and the missing-referral queue) on this address of its
    /// own, without a token: bind it where only the monitoring network reaches
    /// (127.0.0.1:9090, or an internal interface).
    #[arg(long, env = "MASHBOARD_METRICS_ADDR", global = true)]
    pub metrics_addr: Option<SocketAddr>,
    /// Serve `/metrics` on the main address too, to callers that send this token as
    /// `Authorization: Bearer <token>` (at least 16 characters). Without it (and without
    /// --metrics-addr) there is no `/metrics`.
    #[arg(
        long,
        env = "MASHBOARD_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server.
    Serve,
    /// Run with a fictitious force ("Demo Constabulary") and demo accounts, on this machine only.
    Demo,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import records from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The missing-referral queue.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// The module catalogue.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Write a consistent copy of the SQLite database to PATH while the server runs, and copy
    /// the uploaded recordings it refers to into PATH.files/ (same layout as the data directory).
    Backup { path: PathBuf },
    /// Print the effective configuration (secrets redacted).
    Config,
    /// Reminder e-mails: one digest per person of what waits for them.
    #[command(subcommand)]
    Reminders(RemindersCommand),
    /// Session e-mails: invitations, updates and cancellations waiting in the outbox.
    #[command(subcommand)]
    Outbox(crate::delivery::OutboxCommand),
    /// Generate a large register export (1,000,000 incidents and 200,000 referrals by default),
    /// import it, and report rows per second and peak memory.
    #[command(hide = true)]
    BenchImport(crate::bench::BenchArgs),
    /// Fill a new database with 10,000,000 incidents and 2,000,000 referrals with decisions (bulk
    /// SQL), then time the impact dashboard and the training effect against their targets.
    #[command(hide = true)]
    BenchImpact(crate::bench_impact::BenchImpactArgs),
    /// Mixed reads and writes against a running server at a steady rate; reports errors,
    /// latency and the server's memory (`scripts/soak`).
    #[command(hide = true)]
    BenchSoak(crate::bench_soak::BenchSoakArgs),
    /// Fill a new database with 1,000,000 incidents and referrals (bulk SQL), then time the
    /// audit and review sample draws and the queue refresh after new incidents against their
    /// targets.
    #[command(hide = true)]
    BenchQueries(crate::bench_queries::BenchQueriesArgs),
    /// Fill a new database with 1,000,000 incidents, referrals and people, then time the list pages.
    #[command(hide = true)]
    BenchLists(crate::bench_lists::BenchListsArgs),
    /// Copy every record from one database into a new, empty one (e.g. SQLite to PostgreSQL).
    CopyDb {
        /// The database to copy from.
        #[arg(long)]
        from: String,
        /// The new, empty database to copy into.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account.
    Add {
        username: String,
        /// A role (repeat for several): administrator, mash_trainer, mash_staff, mentor,
        /// line_manager, frontline, senior_leader, partner_reviewer, auditor.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Link the account to this person in the directory.
        #[arg(long)]
        staff_number: Option<String>,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: it can no longer sign in and its API tokens stop working.
    Disable { username: String },
    /// List accounts.
    List,
}

#[derive(Subcommand, Debug)]
pub enum CatalogueCommand {
    /// Add the starter catalogue (the modules, such as FL-PPN, role programmes and guidance tags
    /// the demo uses) to this force's catalogue. A module or programme whose code is already
    /// there is kept as it is; nothing is overwritten.
    Starter,
}

#[derive(Subcommand, Debug)]
pub enum QueueCommand {
    /// Add incidents that match the rules and have no referral in time to the missing-referral
    /// queue (the server does this every hour), and print how many were added.
    Refresh,
}

#[derive(Subcommand, Debug)]
pub enum RemindersCommand {
    /// Build today's digests (training overdue or due soon, sign-offs, CPD to verify, the
    /// trainer's force summary) and send each to its person through the mail server.
    Send {
        /// Only show who would get what, in numbers; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write each e-mail as an .eml file into this folder instead of sending it.
        #[arg(long, value_name = "DIR", conflicts_with = "dry_run")]
        to_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for an account and print it (it is shown only once).
    Create {
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "API token")]
        label: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import people from an HR export (CSV or XLSX) in the canonical layout.
    People {
        file: PathBuf,
        /// The columns to use when the HR export names them its own way, as
        /// field=header;field=header (for example "staff_number=Employee No;name=Full Name");
        /// without it the file must have the standard header.
        #[arg(long, conflicts_with = "mapping")]
        map: Option<String>,
        /// Use the column mapping saved under this name on the import page.
        #[arg(long)]
        mapping: Option<String>,
        /// Check the file and report what would change, without saving anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import completions from the team's training spreadsheet (CSV or XLSX); sign-offs it
    /// records are kept as imported signatures.
    Training {
        file: PathBuf,
        /// Use the column mapping saved under this name on the import page; without it the
        /// columns are matched from their headers.
        #[arg(long)]
        mapping: Option<String>,
        /// Check the file and report what would change, without saving anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import incidents from a records-management export (CSV) into the register. Layout:
    /// incident_ref, reported_at, category, area, children_involved, adult_at_risk,
    /// domestic_abuse, officer_staff_number, department.
    Incidents(RegisterArgs),
    /// Import referrals (PPNs) from a records-management export (CSV). Layout: referral_ref,
    /// incident_ref, submitted_at, subject_type, category, officer_grade, officer_staff_number,
    /// partner, narrative.
    Referrals(RegisterArgs),
    /// Import partner outcomes of referrals (CSV). Layout: referral_ref, partner, outcome,
    /// reason, decided_at.
    Outcomes(RegisterArgs),
    /// Import the people named in referrals (CSV), for the pseudonymised view. Layout:
    /// referral_ref, role, name, date_of_birth, address, area.
    #[command(name = "referral-people")]
    ReferralPeople(RegisterArgs),
    /// Import past compliance audits, one row per period: period_start, period_end, examined,
    /// required, completed_when_required, not_required, completed_when_not_required.
    #[command(name = "audit-history")]
    AuditHistory(HistoryArgs),
    /// Import past quarterly reviews, one row per review: period_start, period_end, grade_1,
    /// grade_2, grade_3, grade_4 (counts of agreed grades).
    #[command(name = "review-history")]
    ReviewHistory(HistoryArgs),
    /// Record a Microsoft Teams attendance report (the file as downloaded from Teams, or
    /// re-saved) on a session's register: prints who matched, who did not and who is not in
    /// the report. The same report again changes nothing.
    #[command(name = "teams-report")]
    TeamsReport {
        session_id: i64,
        file: PathBuf,
        /// Show what the report would do, without saving anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON (the same shape as the API) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Import CPD entries from a CPD spreadsheet (CSV or XLSX).
    Cpd {
        file: PathBuf,
        /// Use the column mapping saved under this name on the import page; without it the
        /// columns are matched from their headers.
        #[arg(long)]
        mapping: Option<String>,
        /// Check the file and report what would change, without saving anything.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `import audit-history|review-history`: past audits or reviews, one row per period.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    pub file: PathBuf,
    /// The columns to use, as field=header;field=header, when the file names them its own way.
    #[arg(long)]
    pub map: Option<String>,
    /// Check the whole file and report what would change, without saving anything.
    #[arg(long)]
    pub dry_run: bool,
}

/// `import incidents|referrals|outcomes|referral-people`: a records-management export (CSV).
#[derive(Args, Debug)]
pub struct RegisterArgs {
    pub file: PathBuf,
    /// Use the column mapping saved under this name (on the import page or with
    /// --save-mapping); without it the columns are matched from their headers.
    #[arg(long, conflicts_with = "map")]
    pub mapping: Option<String>,
    /// The columns to use, as field=header;field=header (for example
    /// "incident_ref=Occurrence No;reported_at=Date Reported").
    #[arg(long)]
    pub map: Option<String>,
    /// Save the mapping used under this name, for --mapping next time.
    #[arg(long)]
    pub save_mapping: Option<String>,
    /// Check the whole file and report what would change, without saving anything.
    #[arg(long)]
    pub dry_run: bool,
}

fn init_logging(json: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("MASHBOARD_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_sessions=warn")
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.log_json);
    match commands::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
