//! What the CLI tests share: running the built `mashboard` binary, the two databases every
//! test runs on, counting rows, the domain crate's fixture files, and a small SMTP sink on
//! 127.0.0.1 for the commands that send e-mail.

use mashboard_store::{DbUrl, Store};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The built `mashboard` with `MASHBOARD_DB=db` (none when `db` is `None`), logging warnings
/// only, and no mail settings from the environment.
fn command(db: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mashboard"));
    match db {
        Some(db) => cmd.env("MASHBOARD_DB", db),
        None => cmd.env_remove("MASHBOARD_DB"),
    };
    cmd.env("MASHBOARD_LOG", "warn")
        .env_remove("MASHBOARD_SMTP_URL")
        .env_remove("MASHBOARD_MAIL_FROM")
        .env_remove("MASHBOARD_BASE_URL")
        .env_remove("MASHBOARD_FORCE_NAME");
    cmd
}

/// Runs `mashboard ARGS` on `db` with no mail settings from the environment but `env`, without
/// blocking the runtime (for tests that serve something, such as the SMTP sink, meanwhile).
pub async fn mashboard(db: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::from(command(Some(db)));
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}

/// Runs `mashboard ARGS` on `db` to its end, with `stdin` as its input (or none).
pub fn run(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    finish(command(Some(db)), args, stdin)
}

/// Runs `mashboard ARGS` to its end with no `MASHBOARD_DB`: the arguments name the database
/// (`--db`), or the test checks what happens without one.
pub fn run_without_db(args: &[&str]) -> Output {
    finish(command(None), args, None)
}

fn finish(mut cmd: Command, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = cmd
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        // Dropping the pipe after writing closes the child's input.
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// The path of `PATH` under the domain crate's `tests/fixtures` (e.g. `register/incidents-bad.csv`).
pub fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../domain/tests/fixtures")
        .join(path)
        .to_str()
        .unwrap()
        .to_string()
}

/// The number of rows in `table` of the database at `db`.
pub async fn count(db: &str, table: &str) -> i64 {
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
    let n = sqlx::query_scalar::<_, i64>(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.close().await;
    n
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub async fn databases() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("cli.sqlite").display());
    let pg = mashboard_store::testing::fresh_postgres_url()
        .await
        .expect("PostgreSQL for CLI tests");
    (dir, vec![sqlite, pg.expose().to_string()])
}

/// A TCP port on 127.0.0.1 that nobody listened on a moment ago: bound, noted and let go.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the sink received: one entry per message, with its envelope recipients.
#[derive(Debug, Default, Clone)]
pub struct Received {
    pub rcpt: Vec<String>,
    pub data: String,
}

/// A minimal SMTP server on 127.0.0.1: greets, accepts EHLO, MAIL, RCPT (refusing `refuse`),
/// DATA up to the lone dot, and QUIT. Runs until the test ends.
pub async fn smtp_sink(refuse: &'static str) -> (u16, Arc<Mutex<Vec<Received>>>) {
    slow_smtp_sink(refuse, std::time::Duration::ZERO).await
}

/// [`smtp_sink`] taking `delay` to accept each message (so that a run of sends lasts a while).
pub async fn slow_smtp_sink(
    refuse: &'static str,
    delay: std::time::Duration,
) -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = socket.into_split();
                let mut r = BufReader::new(r);
                let mut current = Received::default();
                w.write_all(b"220 sink.test ESMTP ready\r\n").await.unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250 sink.test\r\n".into()
                    } else if upper.starts_with("MAIL FROM") {
                        current = Received::default();
                        "250 2.1.0 OK\r\n".into()
                    } else if upper.starts_with("RCPT TO") {
                        let addr = line
                            .split_once('<')
                            .and_then(|(_, rest)| rest.split_once('>'))
                            .map(|(a, _)| a.to_string())
                            .unwrap_or_default();
                        if addr == refuse {
                            format!("550 5.1.1 <{addr}>: mailbox unavailable\r\n")
                        } else {
                            current.rcpt.push(addr);
                            "250 2.1.5 OK\r\n".into()
                        }
                    } else if upper.starts_with("DATA") {
                        w.write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                            .await
                            .unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" || line == ".\n" {
                                break;
                            }
                            data.push_str(line.strip_prefix('.').unwrap_or(&line));
                        }
                        current.data = data;
                        tokio::time::sleep(delay).await;
                        store.lock().unwrap().push(current.clone());
                        "250 2.0.0 queued\r\n".into()
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 2.0.0 bye\r\n").await;
                        return;
                    } else {
                        "250 OK\r\n".into()
                    };
                    if w.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, got)
}

/// A `mashboard serve` process on a free port of 127.0.0.1; killed when dropped.
pub struct Served {
    child: tokio::process::Child,
    pub base: String,
}

/// Starts `mashboard serve` on `db` with `env` (and no mail settings but those in `env`); its
/// warnings go to the test's output. Wait for it with [`Served::wait_ready`].
pub fn serve(db: &str, env: &[(&str, &str)]) -> Served {
    let port = free_port();
    let mut cmd = tokio::process::Command::from(command(Some(db)));
    cmd.arg("serve")
        .env("MASHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env_remove("MASHBOARD_METRICS_ADDR")
        .env_remove("MASHBOARD_REMINDERS_AT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Served {
        child: cmd.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    }
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Waits until `/readyz` answers 200 (a minute at most).
    pub async fn wait_ready(&mut self) {
        let c = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(r) = c.get(self.url("/readyz")).send().await {
                if r.status() == reqwest::StatusCode::OK {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mashboard serve stopped: {status}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "mashboard serve did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// The CSRF token in a page's form.
pub fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("page has a csrf_token field")
        + 25;
    html[at..at + 64].to_string()
}
