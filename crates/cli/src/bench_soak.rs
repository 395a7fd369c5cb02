//! `mashboard bench-soak` (hidden): a steady mix of reads and writes against a running server at
//! a fixed rate (200 requests per second by default) for a while (ten minutes by default), then
//! the errors (there should be none), the latency percentiles and the server's memory at the
//! start and the end. `scripts/soak` starts a server on the demo force and runs it.
//!
//! The load is open: request N is sent at start + N / rate whether or not the earlier ones have
//! answered, and its latency is counted from that moment, so a server that stalls is charged for
//! the requests that queued behind the stall (no coordinated omission).
//!
//! The mix, per ten requests: six page reads signed in through the sign-in form as `--username`
//! (the people list, its second page, a search, the home page, a person's record) and, with
//! `--token` (an API token of an account that logs its own CPD), two CPD entries written through
//! the API and two API reads of the caller's training plan; without a token those four are page
//! reads too.
//! Every answer must be 2xx (a redirect counts as an error: it means the session ended).
//! Errors are counted by kind (timeouts, 503 refusals of a busy server, other statuses), and the
//! latency of the answered (2xx) requests is given apart from that of the refusals; the server's
//! memory is sampled every second for its peak.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct BenchSoakArgs {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub base: String,
    /// Requests per second.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// How long, in seconds.
    #[arg(long, default_value_t = 600)]
    pub seconds: u64,
    /// The account the page reads sign in as (it must be allowed the people list).
    #[arg(long, default_value = "demo-trainer")]
    pub username: String,
    #[arg(long, default_value = "demo-password")]
    pub password: String,
    /// An API token for the writes (CPD entries); without it every request reads.
    #[arg(long, env = "MASHBOARD_SOAK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The server's process id, to report its resident memory (Linux).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Print a line of figures every this many seconds.
    #[arg(long, default_value_t = 30)]
    pub report_every: u64,
}

/// Resident memory of a process in MB, from /proc/PID/status.
fn rss_mb(pid: Option<u32>) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kb: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// "p50 …, p99 …, max …" of latencies sorted in milliseconds.
fn spread(sorted: &[f64]) -> String {
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(sorted, 0.5),
        percentile(sorted, 0.99),
        sorted.last().copied().unwrap_or(0.0)
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn show_mb(v: Option<f64>) -> String {
    v.map(|m| format!("{m:.1} MB"))
        .unwrap_or_else(|| "unknown".into())
}

#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    /// Latencies of the 2xx answers only.
    answered_ms: Vec<f64>,
    /// Latencies of the 503 refusals only.
    refused_ms: Vec<f64>,
    errors: u64,
    /// Errors by kind: `timeout`, `503`, another status, `failed` (connection and the like).
    kinds: std::collections::BTreeMap<String, u64>,
    first_errors: Vec<String>,
    writes: u64,
}

/// What became of one request.
enum Outcome {
    Answered,
    Error { kind: String, words: String },
}

impl Tally {
    fn add(&mut self, ms: f64, outcome: &Outcome, write: bool) {
        self.latencies_ms.push(ms);
        if write {
            self.writes += 1;
        }
        match outcome {
            Outcome::Answered => self.answered_ms.push(ms),
            Outcome::Error { kind, words } => {
                if kind == "503" {
                    self.refused_ms.push(ms);
                }
                self.errors += 1;
                *self.kinds.entry(kind.clone()).or_default() += 1;
                if self.first_errors.len() < 5 {
                    self.first_errors.push(words.clone());
                }
            }
        }
    }

    fn kinds_text(&self) -> String {
        if self.kinds.is_empty() {
            return "none".into();
        }
        self.kinds
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn sign_in(client: &reqwest::Client, base: &str, user: &str, password: &str) -> Result<()> {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .context("the server does not answer")?
        .text()
        .await?;
    let marker = "name=\"csrf_token\" value=\"";
    let at = page
        .find(marker)
        .context("the sign-in page has no CSRF token")?
        + marker.len();
    let token: String = page[at..].chars().take_while(|c| *c != '"').collect();
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await?;
    if r.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("signing in as {user} failed ({})", r.status());
    }
    Ok(())
}

/// The first staff number linked from the people list (for the person's-record read).
async fn some_person(client: &reqwest::Client, base: &str) -> Result<Option<String>> {
    let page = client
        .get(format!("{base}/people"))
        .send()
        .await?
        .text()
        .await?;
    Ok(page.split("href=\"/people/").nth(1).map(|rest| {
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }))
}

pub async fn run(args: &BenchSoakArgs) -> Result<ExitCode> {
    if args.rate == 0 || args.seconds == 0 {
        bail!("--rate and --seconds must be above 0");
    }
    let base = args.base.trim_end_matches('/').to_string();
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(256)
        .build()?;
    sign_in(&client, &base, &args.username, &args.password).await?;
    let person = some_person(&client, &base).await?;
    let mut reads: Vec<String> = vec![
        "/people".into(),
        "/people?page=2".into(),
        "/people?q=a".into(),
        "/".into(),
        "/people".into(),
    ];
    if let Some(p) = person {
        reads.push(format!("/people/{p}"));
    }
    let reads = Arc::new(reads);
    let rss_start = rss_mb(args.server_pid);
    println!(
        "soak: {} requests/s for {} s against {base}; server memory at the start {}",
        args.rate,
        args.seconds,
        show_mb(rss_start)
    );

    let peak = Arc::new(Mutex::new(rss_start));
    let sampler = tokio::spawn({
        let (peak, pid) = (Arc::clone(&peak), args.server_pid);
        async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Some(now) = rss_mb(pid) {
                    let mut p = peak.lock().unwrap();
                    *p = Some(p.map_or(now, |p: f64| p.max(now)));
                }
            }
        }
    });
    let total = Arc::new(Mutex::new(Tally::default()));
    let window = Arc::new(Mutex::new(Tally::default()));
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let n = u64::from(args.rate) * args.seconds;
    let started = Instant::now();
    let today = time::OffsetDateTime::now_utc().date();
    let mut last_report = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let due = started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        while tasks.try_join_next().is_some() {}
        let client = client.clone();
        let base = base.clone();
        let reads = Arc::clone(&reads);
        let token = args.token.clone();
        let (all, recent) = (Arc::clone(&total), Arc::clone(&window));
        tasks.spawn(async move {
            let slot = i % 10;
            let (request, write) = match (&token, slot) {
                (Some(t), 3 | 8) => (
                    client
                        .post(format!("{base}/api/v1/cpd"))
                        .bearer_auth(t)
                        .json(&serde_json::json!({
                            "topic": format!("Soak test reading {i}"),
                            "done_on": today.to_string(),
                            "hours": "0.5",
                            "kind": "reading",
                            "learning": "Read the soak test's notes.",
                        })),
                    true,
                ),
                (Some(t), 4 | 9) => (
                    client
                        .get(format!("{base}/api/v1/me/training-plan"))
                        .bearer_auth(t),
                    false,
                ),
                _ => (
                    client.get(format!(
                        "{base}{}",
                        reads[(i as usize / 10 + slot as usize) % reads.len()]
                    )),
                    false,
                ),
            };
            let kind =
                |e: &reqwest::Error| if e.is_timeout() { "timeout" } else { "failed" }.to_string();
            let outcome = match request.send().await {
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(_) => Outcome::Answered,
                    Err(e) => Outcome::Error {
                        kind: kind(&e),
                        words: format!("reading the answer: {e}"),
                    },
                },
                Ok(r) => Outcome::Error {
                    kind: r.status().as_u16().to_string(),
                    words: format!("{} answered {}", r.url().path(), r.status()),
                },
                Err(e) => Outcome::Error {
                    kind: kind(&e),
                    words: format!("request failed: {e}"),
                },
            };
            let ms = due.elapsed().as_secs_f64() * 1000.0;
            all.lock().unwrap().add(ms, &outcome, write);
            recent.lock().unwrap().add(ms, &outcome, write);
        });
        if last_report.elapsed() >= Duration::from_secs(args.report_every) {
            last_report = Instant::now();
            let mut w = std::mem::take(&mut *window.lock().unwrap());
            let mut l = std::mem::take(&mut w.latencies_ms);
            l.sort_by(f64::total_cmp);
            println!(
                "soak: {:>5.0} s  {:>7} answered  {} errors ({})  p50 {:.1} ms  p99 {:.1} ms  server memory {}",
                started.elapsed().as_secs_f64(),
                l.len(),
                w.errors,
                w.kinds_text(),
                percentile(&l, 0.5),
                percentile(&l, 0.99),
                show_mb(rss_mb(args.server_pid))
            );
        }
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    let rss_end = rss_mb(args.server_pid);
    sampler.abort();
    let rss_peak = *peak.lock().unwrap();
    let mut t = std::mem::take(&mut *total.lock().unwrap());
    let mut l = std::mem::take(&mut t.latencies_ms);
    l.sort_by(f64::total_cmp);
    println!();
    println!(
        "soak: {} requests in {elapsed:.0} s ({:.1}/s), {} of them writes",
        l.len(),
        l.len() as f64 / elapsed,
        t.writes
    );
    println!("soak: latency {}", spread(&l));
    let mut answered = std::mem::take(&mut t.answered_ms);
    answered.sort_by(f64::total_cmp);
    let mut refused = std::mem::take(&mut t.refused_ms);
    refused.sort_by(f64::total_cmp);
    println!(
        "soak: answered (2xx) {}: {}",
        answered.len(),
        spread(&answered)
    );
    if !refused.is_empty() {
        println!(
            "soak: refused as busy (503) {}: {}",
            refused.len(),
            spread(&refused)
        );
    }
    println!(
        "soak: server memory {} at the start, {} at the end, {} at the peak",
        show_mb(rss_start),
        show_mb(rss_end),
        show_mb(rss_peak)
    );
    println!("soak: errors {} (target 0): {}", t.errors, t.kinds_text());
    for e in &t.first_errors {
        println!("soak:   {e}");
    }
    Ok(if t.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
