//! Times in words, one name for the zone: `mashboard demo` is started on either database and,
//! signed in as each demo account, the pages it can reach from its home page are walked (links
//! only, never a form; two pages of each shape, downloads left out). A page fails if its visible
//! text shows a raw timestamp (`2026-12-06T06:08`, `2026-12-06 06:08`) or names the zone other
//! than "UK time" (UTC, GMT, BST), or when it has both breadcrumbs and a back link (a page has
//! one or the other; GOV.UK keeps the back link for the steps of a form).

use crate::common::{databases, free_port};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::process::{Command, Stdio};

const ACCOUNTS: [&str; 9] = [
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
const PASSWORD: &str = "demo-password";
/// Pages walked per account at most, and pages of one shape (`/sessions/N`) at most.
const MAX_PAGES: usize = 250;
const PER_SHAPE: usize = 2;

#[tokio::test]
async fn demo_pages_show_times_in_words_and_one_zone_name() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mashboard"))
            .args(["demo", "--db", &db, "--addr", &format!("127.0.0.1:{port}")])
            .env("MASHBOARD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..900 {
            if let Ok(r) = reqwest::get(format!("{base}/readyz")).await {
                if r.status().is_success() {
                    ready = true;
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let mut problems = Vec::new();
        let mut walked = 0;
        if ready {
            for account in ACCOUNTS {
                let (n, mut found) = walk(&base, account).await;
                walked += n;
                problems.append(&mut found);
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(ready, "demo did not become ready on {db}");
        assert!(walked > 200, "only {walked} pages walked on {db}");
        assert!(
            problems.is_empty(),
            "on {db}, pages show raw times or another zone name:\n{}",
            problems.join("\n")
        );
    }
}

/// A client that keeps cookies by hand (the CLI's reqwest has no cookie store) and follows
/// redirects itself, so the cookies of a redirect are kept.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn keep(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all(reqwest::header::SET_COOKIE) {
            if let Some((name, value)) = v
                .to_str()
                .ok()
                .and_then(|s| s.split(';').next())
                .and_then(|s| s.split_once('='))
            {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// GET `path` (following redirects on this site): the final path, whether it is HTML, and
    /// its body.
    async fn get(&mut self, path: &str) -> Option<(String, bool, String)> {
        let mut path = path.to_string();
        for _ in 0..5 {
            let r = self
                .http
                .get(format!("{}{path}", self.base))
                .header(reqwest::header::COOKIE, self.cookie_header())
                .send()
                .await
                .ok()?;
            self.keep(&r);
            if r.status().is_redirection() {
                let to = r.headers().get(reqwest::header::LOCATION)?.to_str().ok()?;
                path = to.strip_prefix(&self.base).unwrap_or(to).to_string();
                if !path.starts_with('/') {
                    return None;
                }
                continue;
            }
            let html = r
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            return Some((path, html, r.text().await.ok()?));
        }
        None
    }

    async fn sign_in(&mut self, username: &str) {
        let (_, _, login) = self.get("/login").await.expect("the sign-in page opens");
        let token = login
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("the sign-in page has a CSRF token")
            .to_string();
        let r = self
            .http
            .post(format!("{}/login", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!(
                "csrf_token={}&username={}&password={}",
                encode(&token),
                encode(username),
                encode(PASSWORD)
            ))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_redirection(), "{username} signs in");
        self.keep(&r);
    }
}

/// Form encoding: everything but letters and digits as `%XX`.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

/// Signs in as `account` and walks its pages: how many, and each problem found.
async fn walk(base: &str, account: &str) -> (usize, Vec<String>) {
    let mut b = Browser {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: base.to_string(),
        cookies: BTreeMap::new(),
    };
    b.sign_in(account).await;
    let mut queue = VecDeque::from(["/".to_string()]);
    let mut seen = HashSet::new();
    let mut shapes: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    let mut walked = 0;
    while let Some(path) = queue.pop_front() {
        if walked >= MAX_PAGES || !seen.insert(path.clone()) {
            continue;
        }
        let shape = shape_of(&path);
        let n = shapes.entry(shape).or_default();
        *n += 1;
        if *n > PER_SHAPE {
            continue;
        }
        let Some((at, is_html, body)) = b.get(&path).await else {
            continue;
        };
        if !is_html || at.starts_with("/login") {
            continue;
        }
        walked += 1;
        let text = visible_text(&body);
        for p in raw_times(&text) {
            problems.push(format!("{account} {path}: raw time \"{p}\""));
        }
        for p in zone_names(&text) {
            problems.push(format!("{account} {path}: zone named \"{p}\""));
        }
        if body.contains("class=\"govuk-back-link\"") && body.contains("govuk-breadcrumbs__list") {
            problems.push(format!("{account} {path}: breadcrumbs and a back link"));
        }
        for link in links(&body) {
            if !seen.contains(&link) && worth_following(&link) {
                queue.push_back(link);
            }
        }
    }
    (walked, problems)
}

/// A path with its digits folded, so `/sessions/31` and `/sessions/55` are one shape.
fn shape_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let mut out = String::new();
    for c in path.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('N') {
                out.push('N');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Links to follow: pages of this site, not downloads, sign-out, the API, streams or assets,
/// nor the audit trail's older and newer pages (the same screen again; its events' before and
/// after are the records as stored, shown on purpose as they are).
fn worth_following(link: &str) -> bool {
    const SKIP: [&str; 16] = [
        "logout", "sign-out", "/export", ".csv", ".xlsx", ".pdf", ".ics", "download", "/assets/",
        "/api/", "/events", "/stream", ".svg", "/file", "older=", "newer=",
    ];
    link.starts_with('/') && !link.starts_with("//") && !SKIP.iter().any(|s| link.contains(s))
}

/// Every `href="/…"` of the page, entities decoded and fragments dropped.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| s.replace("&amp;", "&").replace("&#x2F;", "/"))
        .map(|s| s.split('#').next().unwrap_or("").to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The text a person reads: tags, scripts and styles taken out, entities decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let lower = rest.get(..7).unwrap_or("").to_ascii_lowercase();
        let close = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        match rest.find(close) {
            Some(j) => rest = &rest[j + close.len()..],
            None => rest = "",
        }
        out.push(' ');
    }
    out.push_str(rest);
    out.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Timestamps as a machine writes them: `YYYY-MM-DD` then `T` or a space then `HH:MM`.
fn raw_times(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut found = Vec::new();
    for i in 0..b.len() {
        let starts_word = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if starts_word
            && (0..4).all(|k| d(i + k))
            && b.get(i + 4) == Some(&b'-')
            && d(i + 5)
            && d(i + 6)
            && b.get(i + 7) == Some(&b'-')
            && d(i + 8)
            && d(i + 9)
            && matches!(b.get(i + 10), Some(b'T') | Some(b' '))
            && d(i + 11)
            && d(i + 12)
            && b.get(i + 13) == Some(&b':')
            && d(i + 14)
            && d(i + 15)
        {
            found.push(text[i..i + 16].to_string());
        }
    }
    found
}

/// The zone named as UTC, GMT or BST (whole words), with a little of what is around it.
fn zone_names(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in ["UTC", "GMT", "BST"] {
        for (i, _) in text.match_indices(word) {
            let before = text[..i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            let from = text[..i].char_indices().rev().nth(30).map_or(0, |(j, _)| j);
            found.push(
                text[from..i + word.len()]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
    }
    found
}

#[test]
fn the_checks_find_what_they_look_for() {
    assert_eq!(
        raw_times("at 2026-12-06T06:08 (x) and 2026-12-06 06:08:10"),
        ["2026-12-06T06:08", "2026-12-06 06:08"]
    );
    assert!(raw_times("6 December 2026 at 6:08am; 2026-12-06").is_empty());
    assert_eq!(zone_names("When (UTC) and 09:00 GMT").len(), 2);
    assert!(zone_names("UK time; GMTV; XBST").is_empty());
    assert_eq!(
        visible_text("<p title=\"2026-12-06T06:08\">a<script>x 2026-12-06T06:08</script> b</p>")
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        shape_of("/sessions/31/attendance?x=2"),
        "/sessions/N/attendance"
    );
}
