//! Reminder e-mails: `mashboard reminders send` and the daily run inside `serve`.
//!
//! The digests are built by `mashboard_domain::reminders` from what `mashboard_store::reminders`
//! gathers; this module only turns them into messages and hands them to a mail server (lettre),
//! to `.eml` files, or to the screen. Off unless configured. Logs and the audit trail never
//! carry an address: errors name the recipient's staff number at most.

use crate::{Global, RemindersCommand};
use anyhow::{anyhow, bail, Context, Result};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mashboard_domain::reminders::{
    build_digests, html_body, parse_send_time, run_due, split_by_address, subject, text_body,
    Digest, MessageContext,
};
use mashboard_store::audit_trail::{self, Actor, Event};
use mashboard_store::jobs::{self, Job};
use mashboard_store::reminders::{self, Delivery, RunSummary};
use mashboard_store::training::plans::DUE_SOON_DAYS;
use mashboard_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// Used on `.eml` files and dry runs when no sender is configured.
const PLACEHOLDER_FROM: &str = "mashboard <mashboard@mashboard.invalid>";

/// Where digests go in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Print who would get what, in numbers; send and record nothing.
    DryRun,
    /// Write one `.eml` file per digest into the folder.
    ToDir(PathBuf),
    /// Send through the configured mail server.
    Smtp,
}

/// The mail settings, as checked from flags and environment.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp_url: Option<String>,
    pub from: Option<Mailbox>,
    pub base_url: String,
    /// `--base-url` was not given, so links use the listening address.
    pub base_url_guessed: bool,
    pub force_name: String,
}

impl MailConfig {
    pub fn from_global(g: &Global) -> Result<MailConfig> {
        let from = match g.mail_from.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(raw.parse::<Mailbox>().map_err(|e| {
                anyhow!(
                    "MASHBOARD_MAIL_FROM (--mail-from) is not an e-mail address ({e}); write it like \"Safeguarding training <mashboard@force.example>\" or mashboard@force.example"
                )
            })?),
        };
        let smtp_url = g
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        if let Some(url) = &smtp_url {
            check_smtp_url(url)?;
        }
        let (base_url, base_url_guessed) = match g.base_url.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => {
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    bail!(
                        "MASHBOARD_BASE_URL (--base-url) must start with http:// or https://, for example https://mashboard.force.example"
                    );
                }
                (u.trim_end_matches('/').to_string(), false)
            }
            _ => (format!("http://{}", g.addr), true),
        };
        Ok(MailConfig {
            smtp_url,
            from,
            base_url,
            base_url_guessed,
            force_name: g.force_name.clone().unwrap_or_default(),
        })
    }

    fn smtp_ready(&self) -> bool {
        self.smtp_url.is_some() && self.from.is_some()
    }
}

/// Refuses an SMTP URL lettre cannot use, in words an operator can act on (without echoing a
/// password back).
fn check_smtp_url(url: &str) -> Result<()> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|_| {
        anyhow!(
            "MASHBOARD_SMTP_URL (--smtp-url) is not a mail server address we can use; write it like smtp://mail.force.example:25, smtp://user:password@mail.force.example:587?tls=required or smtps://user:password@mail.force.example:465"
        )
    })?;
    Ok(())
}

/// The SMTP URL with any password replaced, for `mashboard config`.
pub fn redacted_smtp_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("REDACTED"));
            }
            u.to_string()
        }
        Err(_) => "(not a valid URL)".into(),
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub summary: RunSummary,
    /// The run stopped because the mail server could not be reached.
    pub aborted: Option<String>,
}

fn message(d: &Digest, ctx: &MessageContext, from: &Mailbox) -> Result<Message> {
    let address = d
        .recipient
        .email
        .as_deref()
        .ok_or_else(|| anyhow!("no e-mail address"))?;
    let to = Mailbox::new(
        Some(d.recipient.name.clone()),
        address
            .parse()
            .map_err(|_| anyhow!("the e-mail address in the directory cannot be used"))?,
    );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject(d, ctx))
        .multipart(MultiPart::alternative_plain_html(
            text_body(d, ctx),
            html_body(d, ctx),
        ))
        .context("building the message")
}

/// Why a send failed, without the server's own words (they can quote the address).
fn describe_smtp_error(e: &SmtpError) -> String {
    let code = e
        .status()
        .map(|c| format!(" (code {c})"))
        .unwrap_or_default();
    if e.is_permanent() {
        format!("the mail server refused it{code}")
    } else if e.is_transient() {
        format!("the mail server asked to try again later{code}")
    } else if e.is_timeout() {
        "the mail server did not answer in time".into()
    } else if e.is_tls() {
        "the secure connection to the mail server failed".into()
    } else {
        "the mail server could not be reached".into()
    }
}

/// A failure that will hit every other message too: stop rather than wait out each one.
fn is_connection_failure(e: &SmtpError) -> bool {
    !(e.is_permanent() || e.is_transient())
}

/// Builds today's digests and sends, writes or lists them. `say` receives the lines to show an
/// operator (standard output for the command, the log for the daily run).
pub async fn run_once(
    store: &Store,
    cfg: &MailConfig,
    output: &Output,
    today: Date,
    actor: &Actor,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<RunReport> {
    let inputs = reminders::gather(store, today).await?;
    let digests = build_digests(&inputs);
    let (with_address, without_address) = split_by_address(digests);
    let ctx = MessageContext {
        base_url: cfg.base_url.clone(),
        force_name: cfg.force_name.clone(),
        today,
        due_soon_days: DUE_SOON_DAYS,
    };
    let mut report = RunReport {
        summary: RunSummary {
            no_address: without_address.len(),
            ..Default::default()
        },
        aborted: None,
    };
    match output {
        Output::DryRun => {
            say(format!(
                "Would send {} reminder {} (nothing is sent on a dry run):",
                with_address.len(),
                if with_address.len() == 1 {
                    "digest"
                } else {
                    "digests"
                }
            ));
            for d in &with_address {
                say(format!(
                    "  {} ({}): {}",
                    d.recipient.name,
                    d.recipient.staff_number,
                    d.counts().describe()
                ));
            }
            audit_trail::record(
                store,
                actor,
                Event::new(
                    "reminders.dry_run",
                    format!(
                        "Listed who would get reminder digests: {} with an address, {} without",
                        with_address.len(),
                        without_address.len()
                    ),
                ),
            )
            .await?;
        }
        Output::ToDir(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("could not create the folder {}", dir.display()))?;
            let from = cfg
                .from
                .clone()
                .unwrap_or_else(|| PLACEHOLDER_FROM.parse().expect("a valid placeholder"));
            let files = AsyncFileTransport::<Tokio1Executor>::new(dir);
            for d in &with_address {
                let m = match message(d, &ctx, &from) {
                    Ok(m) => m,
                    Err(e) => {
                        say(format!(
                            "  Could not write the digest for {}: {e}",
                            d.recipient.staff_number
                        ));
                        report.summary.failed += 1;
                        continue;
                    }
                };
                files
                    .send(m)
                    .await
                    .with_context(|| format!("could not write into {}", dir.display()))?;
                reminders::record_digest(store, actor, d, Delivery::WrittenToFile).await?;
                report.summary.sent += 1;
            }
            say(format!(
                "Wrote {} reminder {} to {}.",
                report.summary.sent,
                if report.summary.sent == 1 {
                    "digest"
                } else {
                    "digests"
                },
                dir.display()
            ));
        }
        Output::Smtp => {
            let (Some(url), Some(from)) = (&cfg.smtp_url, &cfg.from) else {
                bail!(not_configured());
            };
            let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|_| anyhow!("MASHBOARD_SMTP_URL is not a mail server address we can use"))?
                .timeout(Some(Duration::from_secs(30)))
                .build();
            for (i, d) in with_address.iter().enumerate() {
                let m = match message(d, &ctx, from) {
                    Ok(m) => m,
                    Err(e) => {
                        say(format!(
                            "  Could not send the digest for {}: {e}",
                            d.recipient.staff_number
                        ));
                        report.summary.failed += 1;
                        continue;
                    }
                };
                match mailer.send(m).await {
                    Ok(_) => {
                        reminders::record_digest(store, actor, d, Delivery::Sent).await?;
                        report.summary.sent += 1;
                    }
                    Err(e) if is_connection_failure(&e) => {
                        let why = describe_smtp_error(&e);
                        report.summary.failed += with_address.len() - i;
                        report.aborted = Some(why.clone());
                        say(format!("  Stopped: {why}."));
                        break;
                    }
                    Err(e) => {
                        say(format!(
                            "  Could not send the digest for {}: {}",
                            d.recipient.staff_number,
                            describe_smtp_error(&e)
                        ));
                        report.summary.failed += 1;
                    }
                }
            }
            // A run that reached nobody because the server was down is not a day's run: the
            // schedule tries again.
            if report.aborted.is_none() || report.summary.sent > 0 {
                reminders::record_run(store, actor, report.summary).await?;
            }
            say(format!(
                "Sent {} reminder {}{}.",
                report.summary.sent,
                if report.summary.sent == 1 {
                    "digest"
                } else {
                    "digests"
                },
                if report.summary.failed > 0 {
                    format!("; {} could not be sent", report.summary.failed)
                } else {
                    String::new()
                }
            ));
        }
    }
    if !without_address.is_empty() {
        say(format!(
            "{} {} reminders but no e-mail address in the directory (they see their reminders on their home page):",
            without_address.len(),
            if without_address.len() == 1 { "person has" } else { "people have" }
        ));
        for d in &without_address {
            say(format!(
                "  {} ({}): {}",
                d.recipient.name,
                d.recipient.staff_number,
                d.counts().describe()
            ));
        }
    }
    Ok(report)
}

fn not_configured() -> String {
    "Reminder e-mails are not set up, so nothing was sent. Set MASHBOARD_SMTP_URL (for example smtp://mail.force.example:25) and MASHBOARD_MAIL_FROM (for example mashboard@force.example), or use --dry-run to see who would get what, or --to-dir DIR to write the e-mails to files.".into()
}

/// `mashboard reminders send`.
pub async fn command(g: &Global, cmd: RemindersCommand) -> Result<ExitCode> {
    let RemindersCommand::Send { dry_run, to_dir } = cmd;
    let cfg = MailConfig::from_global(g)?;
    let output = match (dry_run, to_dir) {
        (true, _) => Output::DryRun,
        (false, Some(dir)) => Output::ToDir(dir),
        (false, None) => Output::Smtp,
    };
    if output == Output::Smtp && !cfg.smtp_ready() {
        eprintln!("{}", not_configured());
        return Ok(ExitCode::FAILURE);
    }
    if output != Output::DryRun && cfg.base_url_guessed {
        eprintln!(
            "Note: MASHBOARD_BASE_URL is not set, so links in the e-mails point at {}. Set it to the address people use to reach mashboard.",
            cfg.base_url
        );
    }
    let store = crate::commands::open(g).await?;
    let today = mashboard_store::training::today();
    let actor = Actor::cli();
    let mut say = |line: String| println!("{line}");
    let run = run_once(&store, &cfg, &output, today, &actor, &mut say);
    let report = match output {
        Output::Smtp => match jobs::exclusively(&store, Job::Reminders, run)
            .await?
            .transpose()?
        {
            Some(r) => r,
            None => {
                println!("Another mashboard is sending reminder digests at this moment, so nothing was sent here.");
                store.close().await;
                return Ok(ExitCode::SUCCESS);
            }
        },
        _ => run.await?,
    };
    store.close().await;
    Ok(if report.aborted.is_some() || report.summary.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The daily send time from `MASHBOARD_REMINDERS_AT`, if reminders are switched on for `serve`.
/// Refuses a time that cannot be read, and a time without a mail server to send through.
pub fn daily_schedule(g: &Global) -> Result<Option<(Time, MailConfig)>> {
    let Some(raw) = g
        .reminders_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    let at = parse_send_time(raw).map_err(|e| anyhow!("MASHBOARD_REMINDERS_AT: {e}"))?;
    let cfg = MailConfig::from_global(g)?;
    if !cfg.smtp_ready() {
        bail!(
            "MASHBOARD_REMINDERS_AT is set, but reminder e-mails are not: set MASHBOARD_SMTP_URL and MASHBOARD_MAIL_FROM too, or unset MASHBOARD_REMINDERS_AT"
        );
    }
    Ok(Some((at, cfg)))
}

/// Checks once a minute whether the day's digests are due ([`run_due`]) and sends them. The last
/// run is read from the audit trail, so a restart, or a `reminders send` run by hand, does not
/// send the same day twice. A run that could not reach the mail server is retried after
/// fifteen minutes.
pub fn spawn_daily(store: Store, at: Time, cfg: MailConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut retry_after: Option<tokio::time::Instant> = None;
        loop {
            tick.tick().await;
            if retry_after.is_some_and(|t| tokio::time::Instant::now() < t) {
                continue;
            }
            let now = OffsetDateTime::now_utc();
            let now = PrimitiveDateTime::new(now.date(), now.time());
            // With several instances, one at a time reads the last run and sends: the others
            // skip this minute and then find today's run recorded.
            let turn = jobs::exclusively(&store, Job::Reminders, async {
                let last = match reminders::last_run_on(&store).await {
                    Ok(last) => last,
                    Err(e) => {
                        tracing::warn!(error = %e, "reminders: could not read the last run");
                        return None;
                    }
                };
                if !run_due(now, at, last) {
                    return None;
                }
                Some(
                    run_once(
                        &store,
                        &cfg,
                        &Output::Smtp,
                        now.date(),
                        &Actor::system(),
                        // The lines name people: they stay out of the log.
                        &mut |_| {},
                    )
                    .await,
                )
            })
            .await;
            let result = match turn {
                Ok(Some(Some(result))) => result,
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "reminders: could not take the day's turn");
                    continue;
                }
            };
            match result {
                Ok(r) => {
                    tracing::info!(
                        sent = r.summary.sent,
                        failed = r.summary.failed,
                        no_address = r.summary.no_address,
                        "reminders: daily digests"
                    );
                    if let Some(why) = r.aborted {
                        tracing::warn!(reason = %why, "reminders: stopped; trying again in 15 minutes");
                        retry_after =
                            Some(tokio::time::Instant::now() + Duration::from_secs(15 * 60));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reminders: the daily run failed; trying again in 15 minutes");
                    retry_after = Some(tokio::time::Instant::now() + Duration::from_secs(15 * 60));
                }
            }
        }
    })
}
