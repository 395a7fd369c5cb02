//! Session e-mails: `mashboard outbox send [--dry-run]` and the minute-by-minute loop in `serve`.
//!
//! The store writes one outbox row per recipient in the transaction of the change that causes it
//! (invitation, update, cancellation, withdrawal); this module sends them with lettre, each as a
//! message to exactly one recipient with a plain-text part and a `text/calendar; method=…` part
//! that Outlook reads as a meeting request or cancellation. Sent rows get `sent_at`; failures
//! count attempts and keep a reason without the address. Logs never carry an address. With several
//! instances on one PostgreSQL, one sends at a time (`jobs::exclusively`), so each message goes once.

use crate::reminders::MailConfig;
use crate::Global;
use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mashboard_store::delivery::outbox::{self, Pending};
use mashboard_store::jobs::{self, Job};
use mashboard_store::Store;
use std::process::ExitCode;
use std::time::Duration;

/// A message is given up after this many failed attempts.
pub const MAX_ATTEMPTS: i64 = 5;
const BATCH: i64 = 500;

#[derive(Subcommand, Debug)]
pub enum OutboxCommand {
    /// Send the session invitations, updates and cancellations waiting in the outbox.
    Send {
        /// Only count what is waiting; send nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub failed: usize,
    /// The run stopped because the mail server could not be reached.
    pub aborted: Option<String>,
}

/// One outbox row as an e-mail to its one recipient.
pub fn message(p: &Pending, from: &Mailbox) -> Result<Message> {
    let to: Mailbox = p
        .to_address
        .parse()
        .map_err(|_| anyhow!("the e-mail address in the directory cannot be used"))?;
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(p.body_text.clone());
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(p.subject.clone());
    let m = match &p.ics {
        Some(ics) => {
            let method = p.ics_method.as_deref().unwrap_or("REQUEST");
            let ct = ContentType::parse(&format!("text/calendar; method={method}; charset=utf-8"))
                .map_err(|_| anyhow!("bad calendar content type"))?;
            builder.multipart(
                MultiPart::alternative()
                    .singlepart(text)
                    .singlepart(SinglePart::builder().header(ct).body(ics.clone())),
            )
        }
        None => builder.singlepart(text),
    };
    m.map_err(|e| anyhow!("building the message: {e}"))
}

/// Why a send failed, without the server's own words (they can quote the address).
fn describe(e: &SmtpError) -> String {
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

/// Sends what waits in the outbox. `say` gets lines for an operator (no addresses).
pub async fn send_pending(
    store: &Store,
    cfg: &MailConfig,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<SendReport> {
    let (Some(url), Some(from)) = (&cfg.smtp_url, &cfg.from) else {
        bail!(not_configured());
    };
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|_| anyhow!("MASHBOARD_SMTP_URL is not a mail server address we can use"))?
        .timeout(Some(Duration::from_secs(30)))
        .build();
    let mut report = SendReport::default();
    let pending = outbox::pending(store, MAX_ATTEMPTS, BATCH).await?;
    for p in &pending {
        let m = match message(p, from) {
            Ok(m) => m,
            Err(e) => {
                outbox::mark_failed(store, p.id, &e.to_string()).await?;
                say(format!(
                    "  Could not send message {} ({}): {e}",
                    p.id, p.kind
                ));
                report.failed += 1;
                continue;
            }
        };
        match mailer.send(m).await {
            Ok(_) => {
                outbox::mark_sent(store, p.id).await?;
                report.sent += 1;
            }
            Err(e) if !(e.is_permanent() || e.is_transient()) => {
                let why = describe(&e);
                outbox::mark_failed(store, p.id, &why).await?;
                report.failed += 1;
                report.aborted = Some(why.clone());
                say(format!("  Stopped: {why}."));
                break;
            }
            Err(e) => {
                let why = describe(&e);
                outbox::mark_failed(store, p.id, &why).await?;
                say(format!(
                    "  Could not send message {} ({}): {why}",
                    p.id, p.kind
                ));
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

fn not_configured() -> String {
    "Session e-mails are not set up, so nothing was sent. Set MASHBOARD_SMTP_URL (for example smtp://mail.force.example:25) and MASHBOARD_MAIL_FROM (for example mashboard@force.example), or use --dry-run to count what is waiting.".into()
}

/// `mashboard outbox send`.
pub async fn command(g: &Global, cmd: OutboxCommand) -> Result<ExitCode> {
    let OutboxCommand::Send { dry_run } = cmd;
    let cfg = MailConfig::from_global(g)?;
    if !dry_run && (cfg.smtp_url.is_none() || cfg.from.is_none()) {
        eprintln!("{}", not_configured());
        return Ok(ExitCode::FAILURE);
    }
    let store = crate::commands::open(g).await?;
    if dry_run {
        let (pending, sent, failed) = outbox::counts(&store).await?;
        println!(
            "{pending} session e-mail(s) waiting to be sent ({failed} of them failed before); {sent} sent so far. Nothing was sent."
        );
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(r) = jobs::exclusively(
        &store,
        Job::Outbox,
        send_pending(&store, &cfg, &mut |l| println!("{l}")),
    )
    .await?
    .transpose()?
    else {
        println!("Another mashboard is sending the outbox at this moment, so nothing was sent here; it sends every message once.");
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "Sent {} session e-mail(s){}.",
        r.sent,
        if r.failed > 0 {
            format!("; {} could not be sent", r.failed)
        } else {
            String::new()
        }
    );
    store.close().await;
    Ok(if r.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The outbox loop for `serve`, when SMTP is configured: every minute, send what waits.
pub fn spawn_outbox(store: Store, g: &Global) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let cfg = MailConfig::from_global(g)?;
    if cfg.smtp_url.is_none() || cfg.from.is_none() {
        return Ok(None);
    }
    Ok(Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // One instance at a time sends (the others skip this minute), so a message that
            // one of them marked sent is never sent again by another.
            let sent =
                jobs::exclusively(&store, Job::Outbox, send_pending(&store, &cfg, &mut |_| {}))
                    .await
                    .map_err(anyhow::Error::from)
                    .and_then(|r| r.transpose());
            match sent {
                Ok(Some(r)) if r.sent > 0 || r.failed > 0 => {
                    tracing::info!(sent = r.sent, failed = r.failed, "outbox: session e-mails")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox: could not send"),
            }
        }
    })))
}
