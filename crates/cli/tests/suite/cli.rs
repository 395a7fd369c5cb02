//! The `mashboard` binary as an operator uses it, on SQLite and on PostgreSQL.

use crate::common::{csrf_in, databases, free_port, run, run_without_db, text};
use std::process::{Command, Stdio};

const GOOD: &str = "staff_number,name,rank,department,team,roles,start_date,cohort,line_manager_staff_number,mentor_staff_number\r\nS1,Ann Manager,Sgt,Response,Team 1,line_manager,2015-04-01,,,\r\nS2,\"Bloggs, Joe\",PC,Response,Team 1,frontline,01/09/2024,2024 PC intake 2,S1,\r\n";

#[tokio::test]
async fn importing_people_names_bad_rows_then_succeeds_and_is_idempotent() {
    let (dir, dbs) = databases().await;
    for db in dbs {
        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            GOOD.replace("01/09/2024", "2024-02-30")
                .replace("Ann Manager", ""),
        )
        .unwrap();
        let o = run(&db, &["import", "people", bad.to_str().unwrap()], None);
        assert!(!o.status.success());
        let t = text(&o);
        assert!(t.contains("row 2, column name"), "{t}");
        assert!(t.contains("row 3, column start_date"), "{t}");
        assert!(t.contains("Nothing was imported"));

        let good = dir.path().join("good.csv");
        std::fs::write(&good, GOOD).unwrap();
        let o = run(
            &db,
            &["import", "people", good.to_str().unwrap(), "--dry-run"],
            None,
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("Would add 2 people"));
        let o = run(&db, &["import", "people", good.to_str().unwrap()], None);
        assert!(text(&o).contains("Added 2 people"), "{}", text(&o));
        let o = run(&db, &["import", "people", good.to_str().unwrap()], None);
        assert!(
            text(&o).contains("Added 0 people, changed 0 records, 2 already up to date"),
            "{}",
            text(&o)
        );
    }
}

#[tokio::test]
async fn accounts_and_tokens_from_the_command_line() {
    let (dir, dbs) = databases().await;
    for db in dbs {
        let good = dir.path().join("good.csv");
        std::fs::write(&good, GOOD).unwrap();
        assert!(
            run(&db, &["import", "people", good.to_str().unwrap()], None)
                .status
                .success()
        );
        let o = run(
            &db,
            &[
                "user",
                "add",
                "ann",
                "--role",
                "line_manager",
                "--role",
                "mentor",
                "--staff-number",
                "s1",
                "--password-stdin",
            ],
            Some("a very long password\n"),
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("linked to S1"));
        let o = run(
            &db,
            &[
                "user",
                "add",
                "bob",
                "--role",
                "sheriff",
                "--password-stdin",
            ],
            Some("a very long password\n"),
        );
        assert!(!o.status.success());
        assert!(text(&o).contains("\"sheriff\" is not a role"));
        let o = run(
            &db,
            &[
                "user",
                "add",
                "carl",
                "--role",
                "frontline",
                "--password-stdin",
            ],
            Some("short\n"),
        );
        assert!(!o.status.success());
        assert!(text(&o).contains("at least 12 characters"));
        let o = run(&db, &["token", "create", "--user", "ann"], None);
        assert!(o.status.success());
        assert!(String::from_utf8_lossy(&o.stdout)
            .trim()
            .starts_with("mbt_"));
        let o = run(&db, &["user", "list"], None);
        assert!(text(&o).contains("ann") && text(&o).contains("mentor,line_manager"));
        assert!(run(&db, &["user", "disable", "ann"], None).status.success());
        assert!(text(&run(&db, &["user", "list"], None)).contains("disabled"));
    }
}

#[test]
fn a_malformed_database_url_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["mysql://x/y", "mashboard.sqlite", "sqlite://"] {
        let o = Command::new(env!("CARGO_BIN_EXE_mashboard"))
            .current_dir(dir.path())
            .args(["--db", url, "migrate"])
            .output()
            .unwrap();
        assert!(!o.status.success(), "{url}");
        assert!(text(&o).contains("bad database URL"), "{url}: {}", text(&o));
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no stray files"
    );
}

#[test]
fn demo_refuses_to_listen_beyond_this_machine() {
    let o = run_without_db(&["demo", "--addr", "0.0.0.0:8080"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("only listens on this machine"));
}

#[test]
fn config_redacts_the_database_password() {
    let o = run("postgres://app:hunter2@db.internal/mash", &["config"], None);
    assert!(o.status.success());
    let t = text(&o);
    assert!(!t.contains("hunter2"));
    assert!(t.contains("postgres://app:***@db.internal/mash"));
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "disable", "--help"],
        vec!["user", "list", "--help"],
        vec!["token", "create", "--help"],
        vec!["import", "people", "--help"],
        vec!["backup", "--help"],
        vec!["config", "--help"],
        vec!["copy-db", "--help"],
    ] {
        let o = run_without_db(&args);
        assert!(o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn every_command_is_described_in_its_own_words_in_the_list_of_commands() {
    // Each command's line in a list of commands: its name, then its description (empty when a
    // description went to the wrong command).
    for (args, command, words) in [
        (vec!["--help"], "serve", "Run the web server"),
        (
            vec!["import", "--help"],
            "teams-report",
            "Teams attendance report",
        ),
        (
            vec!["import", "--help"],
            "audit-history",
            "past compliance audits",
        ),
        (
            vec!["import", "--help"],
            "review-history",
            "past quarterly reviews",
        ),
        (vec!["import", "--help"], "incidents", "incidents"),
    ] {
        let o = run_without_db(&args);
        let help = String::from_utf8_lossy(&o.stdout);
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{command} ")))
            .unwrap_or_else(|| panic!("{command} is listed by {args:?}: {help}"));
        assert!(line.contains(words), "{command}: {line}");
    }
    // No command lists another's description as its own.
    let o = run_without_db(&["import", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    let audit = help
        .lines()
        .find(|l| l.trim_start().starts_with("audit-history "))
        .unwrap();
    assert!(!audit.contains("Teams"), "{audit}");
}

const DEMO_USERS: [&str; 9] = [
    "demo-admin",
    "demo-trainer",
    "demo-mash",
    "demo-mentor",
    "demo-manager",
    "demo-officer",
    "demo-leader",
    "demo-partner",
    "demo-auditor",
];

/// A page's shape: its path without the query, each segment holding a digit (an id, a staff
/// number, a date) replaced by `N`.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or("");
    path.split('/')
        .map(|seg| {
            if seg.bytes().any(|b| b.is_ascii_digit()) {
                "N"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Signs in to the demo on `port` as `user` and follows the links of its pages, breadth first
/// from the home page, returning each link that did not open for them (`user: status path
/// (linked from page)`); a redirect counts as opening unless it is to the sign-in page. To
/// reach every kind of page in a few hundred requests, the links of at most two pages of each
/// shape ([`shape`]) are followed, and at most five links from one shape of page to another
/// (so a session page's links to people are tried, though the people list has already tried
/// many).
async fn broken_links(port: u16, user: &str) -> Vec<String> {
    use std::collections::{HashMap, HashSet, VecDeque};
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    let signed_in = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", user),
            ("password", "demo-password"),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed_in.status().is_redirection(), "{user} signs in");
    let mut queue = VecDeque::from([("/".to_string(), String::new())]);
    let mut tried = HashSet::new();
    let mut followed: HashMap<String, usize> = HashMap::new();
    let mut pairs: HashMap<(String, String), usize> = HashMap::new();
    let mut broken = Vec::new();
    while let Some((path, from)) = queue.pop_front() {
        if !tried.insert(path.clone()) || tried.len() > 2000 {
            continue;
        }
        let r = client.get(format!("{base}{path}")).send().await.unwrap();
        let status = r.status();
        let to_login = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"));
        if status.is_client_error() || status.is_server_error() || to_login {
            broken.push(format!("{user}: {status} {path} (linked from {from})"));
            continue;
        }
        let html = r
            .headers()
            .get("content-type")
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.starts_with("text/html"));
        let here = shape(&path);
        let times = followed.entry(here.clone()).or_default();
        if !status.is_success() || !html || *times >= 2 {
            continue;
        }
        *times += 1;
        let body = r.text().await.unwrap();
        for href in body.split("href=\"").skip(1) {
            let link = href
                .split(['"', '#'])
                .next()
                .unwrap_or("")
                .replace("&amp;", "&");
            if !link.starts_with('/') || link.starts_with("//") || link.starts_with("/assets/") {
                continue;
            }
            if tried.contains(&link) {
                continue;
            }
            let n = pairs.entry((here.clone(), shape(&link))).or_default();
            if *n < 5 {
                *n += 1;
                queue.push_back((link, path.clone()));
            }
        }
    }
    broken
}

/// `demo` seeds the same force on either database and serves it, and every link each demo
/// role is shown opens for them.
#[tokio::test]
async fn demo_seeds_and_serves_on_both_databases() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_mashboard"))
            .args(["demo", "--db", &db, "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut ready = false;
        // Seeding takes a while in a debug build: the referral register and its history too.
        for _ in 0..600 {
            if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await {
                if r.status().is_success() {
                    ready = true;
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let login = reqwest::get(format!("http://127.0.0.1:{port}/login"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // Every link a demo role is shown opens for them: a page must not offer what answers
        // "not found", "forbidden" or "sign in".
        let mut broken = Vec::new();
        if ready {
            for user in DEMO_USERS {
                broken.extend(broken_links(port, user).await);
            }
        }
        // SIGTERM: a graceful stop.
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        let out = child.wait_with_output().unwrap();
        assert!(ready, "demo did not become ready on {db}");
        assert!(out.status.success(), "demo stops cleanly on SIGTERM");
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.contains("Seeded 300 people"), "{printed}");
        assert!(
            broken.is_empty(),
            "links that do not open on {db}: {broken:#?}"
        );
        for user in DEMO_USERS {
            assert!(printed.contains(user), "{user} is listed");
            assert!(login.contains(user), "{user} is on the demo sign-in page");
        }
    }
}
