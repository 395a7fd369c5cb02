//! Every HTML form of the page table, filled with hostile values, never answers a server error
//! (issue 14, "Hardened against faults and bad input"): for each POST route (not the API, not
//! `/logout`, not the large video upload), signed in as a role the route allows, the test reads
//! the form's fields from the page that holds it, then posts it again and again with a fixed list
//! of hostile values (empty, 10,000 characters, control characters, right-to-left overrides,
//! emoji, combining marks, numbers out of range, impossible dates, ids that do not exist, SQL and
//! LIKE wildcards, HTML), one field at a time and all fields at once, with fields repeated and
//! fields the form does not have, in the other encoding (multipart for a URL-encoded form and
//! back), and to its address with hostile path parameters (`abc`, `-1`, `%00`, …); upload forms
//! get small hostile files. Every answer must be a page or a redirect, never a 5xx; a hostile
//! `<script>` is never echoed raw; and a form that comes back refusing what was typed shows the
//! GOV.UK error summary. (Whether a refused post left half-written data is for each area's own
//! tests; here the database must merely still hold its people at the end.)
//!
//! No randomness: the values, the routes and their order are fixed, so a failure reproduces.
//! The routes are split over several tests so that nextest runs them side by side.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::{DbUrl, Store};
use mashboard_web::routes::{Access, RouteInfo};
use mashboard_web::{route_table, WebConfig};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Client, StatusCode};
use std::collections::HashMap;

/// The app on `url` with the managed people of [`seed_managed`] and one record of each kind
/// most forms act on (each is id 1 in its fresh table).
async fn spawn(url: &DbUrl) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed_managed(&store).await;
    world(&store).await;
    start(store, WebConfig::default()).await
}

const NOW: &str = "2026-01-05T09:00:00.000000Z";

/// Module 1 (with profile 1 holding it), session 1, attachment day 1, partner 1, check 1,
/// completion 1 (awaiting sign-off), CPD entry 1 (submitted), the MASH staff member enrolled on
/// session 1, compliance audit 1 and quality review 1.
async fn world(store: &Store) {
    training_fixture(store).await;
    exec(store, "INSERT INTO training_sessions (module_id, module_version, title, starts_at, ends_at, mode, capacity, status, ics_uid, created_by, created_at, updated_at) VALUES (1, '1.0', 'MASH induction', '2027-07-15T08:00:00.000000Z', '2027-07-15T11:00:00.000000Z', 'teams', 20, 'open', 'uid-hostile@test', 'test', $1, $1)", &[NOW]).await;
    exec(store, "INSERT INTO attachment_days (day, capacity, location, module_id, status, notes, created_by, created_at, updated_at) VALUES ('2027-07-16', 4, 'MASH', 1, 'open', '', 'test', $1, $1)", &[NOW]).await;
    exec(store, "INSERT INTO partner_orgs (name, kind, created_at, updated_at) VALUES ('Children''s social care', 'children_social_care', $1, $1)", &[NOW]).await;
    exec(store, "INSERT INTO knowledge_checks (module_id, title, pass_mark_pct, created_by, created_at, updated_at) VALUES (1, 'Induction check', 80, 'test', $1, $1)", &[NOW]).await;
    let staff = person_id(store, &staff_for(Role::MashStaff))
        .await
        .to_string();
    exec(store, "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at) VALUES (CAST($1 AS BIGINT), 1, '1.0', '2026-01-02', 'face_to_face', 'awaiting_sign_off', 'recorded', 'test', $2, $2)", &[&staff, NOW]).await;
    exec(store, "INSERT INTO cpd_entries (person_id, topic, done_on, minutes, kind, learning, evidence_url, status, source, created_at) VALUES (CAST($1 AS BIGINT), 'Reading on neglect', '2026-01-03', 60, 'reading', '', '', 'submitted', 'recorded', $2)", &[&staff, NOW]).await;
    exec(store, "INSERT INTO session_enrolments (session_id, person_id, status, booked_by, created_at, updated_at) VALUES (1, CAST($1 AS BIGINT), 'enrolled', 'test', $2, $2)", &[&staff, NOW]).await;
    let owner = scalar(
        store,
        "SELECT CAST(id AS BIGINT) FROM users WHERE username = 'test-administrator'",
    )
    .await
    .to_string();
    exec(store, "INSERT INTO compliance_audits (title, period_start, period_end, sample_size, status, owner_user_id, created_at) VALUES ('March 2024', '2024-03-01', '2024-03-31', 3, 'open', CAST($1 AS BIGINT), $2)", &[&owner, NOW]).await;
    exec(store, "INSERT INTO quality_reviews (title, period_start, period_end, sample_size, status, owner_user_id, created_at) VALUES ('Q1 2024', '2024-01-01', '2024-03-31', 2, 'assigned', CAST($1 AS BIGINT), $2)", &[&owner, NOW]).await;
}

/// The values every field gets in turn, all fields at once.
fn hostile_values() -> Vec<String> {
    [
        "",
        " ",
        "\u{0}",
        "a\u{0}b",
        "\r\n",
        "first line\r\nsecond line",
        "\u{7f}",
        "\t",
        "\u{202e}fdp.exe",
        "😀👍🏽",
        "e\u{301}\u{301}\u{301}\u{301}",
        "-1",
        "0",
        "1.5",
        "9223372036854775808",
        "-9223372036854775809",
        "1e309",
        "NaN",
        "0x10",
        "2026-02-30",
        "30/02/2026",
        "31/12/99999",
        "0000-00-00",
        "00/00/0000",
        "999999999",
        "abc",
        "%",
        "_",
        "'; DROP TABLE people; --",
        SCRIPT,
        "\"><script>alert(1)</script>",
        "on",
    ]
    .into_iter()
    .map(String::from)
    .chain([LONG.repeat(10_000)])
    .collect()
}

const SCRIPT: &str = "<script>alert(1)</script>";
const LONG: &str = "x";

/// The values each field gets alone, the others keeping what the page filled in.
fn one_field_values() -> Vec<String> {
    ["", "abc", "-1", "9223372036854775808", "2026-02-30", SCRIPT]
        .into_iter()
        .map(String::from)
        .chain([LONG.repeat(10_000)])
        .collect()
}

/// Small hostile files for upload forms: (file name, bytes).
fn hostile_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty.csv", Vec::new()),
        (
            "hostile.csv",
            format!(
                "staff_number,name,{SCRIPT}\n\u{0},\u{202e}😀,'; DROP TABLE people; --\n-1,9223372036854775808,2026-02-30\n\"unclosed,quote\n"
            )
            .into_bytes(),
        ),
        ("binary.csv", vec![0xff, 0xfe, 0x00, 0x80, b',', b'\n', 0xc3]),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook".to_vec()),
        ("notes.txt", b"just words, no columns".to_vec()),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Typed into: text, number, date, textarea.
    Typed,
    /// Chosen: select, radio, checkbox, submit button.
    Chosen,
    Hidden,
    File,
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    kind: Kind,
    /// What the page sends if the user changes nothing (`None`: not sent, an unticked box).
    value: Option<String>,
}

#[derive(Debug, Clone)]
struct FormDef {
    multipart: bool,
    fields: Vec<Field>,
}

struct Tag {
    name: String,
    closing: bool,
    attrs: Vec<(String, String)>,
    /// Where the text after the tag starts.
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `&amp;`, `&#x27;`, `&#39;` and the like, undone.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(semi) = tail.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..semi];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The tags of a page, in order, with their attributes (a small reader, enough for our own
/// templates: quoted attribute values, no scripts).
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off + 1;
        i = start;
        if html[start..].starts_with("!--") {
            i = html[start..].find("-->").map_or(b.len(), |e| start + e + 3);
            continue;
        }
        let closing = b.get(start) == Some(&b'/');
        let mut j = if closing { start + 1 } else { start };
        let name_start = j;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == name_start {
            continue;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= b.len() {
                break;
            }
            if b[j] == b'>' {
                j += 1;
                break;
            }
            if b[j] == b'/' {
                j += 1;
                continue;
            }
            let k0 = j;
            while j < b.len() && !b"= \t\n\r>/".contains(&b[j]) {
                j += 1;
            }
            let key = html[k0..j].to_ascii_lowercase();
            let mut value = String::new();
            if b.get(j) == Some(&b'=') {
                j += 1;
                match b.get(j) {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        let e = html[j + 1..].find(q as char).map_or(b.len(), |e| j + 1 + e);
                        value = unescape(&html[j + 1..e]);
                        j = (e + 1).min(b.len());
                    }
                    _ => {
                        let v0 = j;
                        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                            j += 1;
                        }
                        value = unescape(&html[v0..j]);
                    }
                }
            }
            if key.is_empty() {
                j += 1;
                continue;
            }
            attrs.push((key, value));
        }
        i = j;
        out.push(Tag {
            name,
            closing,
            attrs,
            end: j,
        });
    }
    out
}

/// The POST forms on a page, by the path they post to (a form without an action posts to the
/// page's own path).
fn forms_on(html: &str, page: &str) -> Vec<(String, FormDef)> {
    let mut out = Vec::new();
    let mut current: Option<(String, FormDef)> = None;
    let mut select: Option<(String, Option<String>, Option<String>)> = None;
    let all = tags(html);
    for t in &all {
        match (t.name.as_str(), t.closing) {
            ("form", false) => {
                let post = t
                    .attr("method")
                    .is_some_and(|m| m.eq_ignore_ascii_case("post"));
                let action = t.attr("action").unwrap_or(page);
                let action = action.split(['?', '#']).next().unwrap_or(page);
                let action = if action.is_empty() { page } else { action };
                current = post.then(|| {
                    (
                        action.to_string(),
                        FormDef {
                            multipart: t.attr("enctype").is_some_and(|e| e.contains("multipart")),
                            fields: Vec::new(),
                        },
                    )
                });
            }
            ("form", true) => {
                if let Some(f) = current.take() {
                    out.push(f);
                }
            }
            _ => {}
        }
        let Some((_, form)) = current.as_mut() else {
            continue;
        };
        match (t.name.as_str(), t.closing) {
            ("input", false) => {
                let Some(name) = t.attr("name") else { continue };
                let ty = t.attr("type").unwrap_or("text").to_ascii_lowercase();
                let value = t.attr("value").unwrap_or("").to_string();
                let (kind, value) = match ty.as_str() {
                    "hidden" => (Kind::Hidden, Some(value)),
                    "file" => (Kind::File, None),
                    "checkbox" | "radio" => {
                        let checked = t.attr("checked").is_some();
                        let v = if ty == "checkbox" && value.is_empty() {
                            "on".to_string()
                        } else {
                            value
                        };
                        // A radio group with nothing ticked sends nothing.
                        (Kind::Chosen, checked.then_some(v))
                    }
                    "submit" | "button" | "image" | "reset" => (Kind::Chosen, None),
                    _ => (Kind::Typed, Some(value)),
                };
                form.fields.push(Field {
                    name: name.to_string(),
                    kind,
                    value,
                });
            }
            ("button", false) => {
                if let (Some(name), Some(value)) = (t.attr("name"), t.attr("value")) {
                    if !form.fields.iter().any(|f| f.name == name) {
                        form.fields.push(Field {
                            name: name.to_string(),
                            kind: Kind::Chosen,
                            value: Some(value.to_string()),
                        });
                    }
                }
            }
            ("textarea", false) => {
                let Some(name) = t.attr("name") else { continue };
                let body = &html[t.end..];
                let text = unescape(&body[..body.find("</textarea").unwrap_or(0)]);
                form.fields.push(Field {
                    name: name.to_string(),
                    kind: Kind::Typed,
                    value: Some(text),
                });
            }
            ("select", false) => {
                select = t.attr("name").map(|n| (n.to_string(), None, None));
            }
            ("option", false) => {
                if let Some((_, first, selected)) = select.as_mut() {
                    let v = t.attr("value").map(str::to_string).unwrap_or_else(|| {
                        let body = &html[t.end..];
                        unescape(body[..body.find('<').unwrap_or(0)].trim())
                    });
                    if first.is_none() {
                        *first = Some(v.clone());
                    }
                    if t.attr("selected").is_some() && selected.is_none() {
                        *selected = Some(v);
                    }
                }
            }
            ("select", true) => {
                if let Some((name, first, selected)) = select.take() {
                    form.fields.push(Field {
                        name,
                        kind: Kind::Chosen,
                        value: selected.or(first),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// Fills a route's path parameters: the signed-in user's staff number, the frontline officer's
/// account, and 1 for every id (each fixture record is id 1).
fn concrete(path: &str, role: Role) -> String {
    let mut out = path
        .replace("{staff_number}", &staff_for(role))
        .replace("{username}", "test-frontline")
        .replace("{referral_ref}", "PPN-NONE");
    while let Some(at) = out.find('{') {
        let end = out[at..].find('}').unwrap() + at;
        out.replace_range(at..=end, "1");
    }
    out
}

/// The pages that may hold a route's form: the path itself, then its parents.
fn candidate_pages(path: &str) -> Vec<String> {
    let mut pages = vec![path.to_string()];
    let mut p = path.to_string();
    while let Some(at) = p.rfind('/') {
        p.truncate(at);
        if p.is_empty() {
            break;
        }
        pages.push(p.clone());
    }
    pages
}

/// Field names for a form no page shows (its record does not exist in the fixture, or it comes
/// from a step, such as an import's preview): every name a page handler reads with the helpers
/// of `form.rs`, and the names the struct forms declare.
fn fallback_fields() -> Vec<Field> {
    const NAMES: &[&str] = &[
        "action",
        "active",
        "added",
        "agencies_present",
        "as_of",
        "assign",
        "attachment_day",
        "book_error",
        "booked_session",
        "by",
        "capacity",
        "cleared",
        "co_facilitator",
        "co_facilitators",
        "code",
        "cohort",
        "comment",
        "confirm_password",
        "contact_email",
        "contact_name",
        "day_id",
        "decision",
        "decisions",
        "department",
        "description",
        "descriptor",
        "direction",
        "direction_org_id",
        "done",
        "due",
        "email",
        "enrolled",
        "from",
        "grade",
        "improve",
        "incident",
        "information_shared",
        "job_title",
        "kind",
        "label",
        "location",
        "mapping",
        "mark",
        "mine",
        "minutes",
        "missing",
        "module_id",
        "name",
        "new_password",
        "note",
        "note_stage",
        "note_team",
        "notes",
        "organisation",
        "outcome",
        "owner",
        "partner",
        "partner_agency",
        "partner_org_id",
        "password",
        "person_id",
        "phase",
        "phone",
        "rank",
        "reason",
        "referral_ref",
        "remove",
        "remove_module_id",
        "report_opt_out",
        "return_to",
        "review",
        "role_profile",
        "save_as",
        "saved",
        "scenario_id",
        "seed",
        "series_id",
        "session",
        "session_id",
        "slots",
        "staff_number",
        "staff_numbers",
        "stage",
        "status",
        "team",
        "then",
        "title",
        "to",
        "trainers",
        "upload",
        "username",
        "went_well",
        "who",
        "window_hours",
        "withdraw",
        "year",
        "current_password",
        "confirm",
        "completed_on",
        "mode",
        "trainer",
        "evidence_url",
        "profile_id",
        "started_on",
        "next",
    ];
    NAMES
        .iter()
        .map(|n| Field {
            name: n.to_string(),
            kind: Kind::Typed,
            value: Some(String::new()),
        })
        .collect()
}

/// The first of these roles the route allows (None: a public route, posted signed out).
fn role_for(route: &RouteInfo) -> Option<Role> {
    let Access::Page(cap) = route.access else {
        return None;
    };
    [
        Role::Administrator,
        Role::MashTrainer,
        Role::LineManager,
        Role::Mentor,
        Role::MashStaff,
        Role::SeniorLeader,
        Role::Auditor,
        Role::PartnerReviewer,
        Role::Frontline,
    ]
    .into_iter()
    .find(|r| cap.allows(&[*r]))
}

/// The POST routes of the page table the test posts to, in table order.
fn form_routes() -> Vec<RouteInfo> {
    route_table()
        .into_iter()
        .filter(|r| r.method == axum::http::Method::POST)
        .filter(|r| !matches!(r.access, Access::Api(_)))
        .filter(|r| r.path != "/logout" && r.path != "/training/modules/{id}/video")
        .collect()
}

/// One hostile post: what was sent and whether a typed field held a hostile value.
struct Case {
    what: String,
    /// Where it is posted (the route's path, or one with hostile path parameters).
    path: String,
    /// Sent as `multipart/form-data` (else URL-encoded).
    multipart: bool,
    pairs: Vec<(String, String)>,
    files: Vec<(String, &'static str, Vec<u8>)>,
    typed_hostile: bool,
}

/// The cases of one form: every field at once with each hostile value, each field alone with a
/// few, every field sent twice, fields the form does not have, and (for uploads) hostile files.
fn cases(form: &FormDef, found: bool, route: &str, role: Role) -> Vec<Case> {
    let path = concrete(route, role);
    let multipart = form.multipart || form.fields.iter().any(|f| f.kind == Kind::File);
    let baseline: Vec<(String, String)> = form
        .fields
        .iter()
        .filter(|f| f.name != "csrf_token" && f.kind != Kind::File)
        .filter_map(|f| f.value.clone().map(|v| (f.name.clone(), v)))
        .collect();
    let files: Vec<&Field> = form
        .fields
        .iter()
        .filter(|f| f.kind == Kind::File)
        .collect();
    let small_file = |files: &[&Field]| -> Vec<(String, &'static str, Vec<u8>)> {
        files
            .iter()
            .map(|f| (f.name.clone(), "small.csv", b"a,b\n1,2\n".to_vec()))
            .collect()
    };
    let has_typed = form.fields.iter().any(|f| f.kind == Kind::Typed);
    let mut out = Vec::new();
    let names: Vec<&Field> = form
        .fields
        .iter()
        .filter(|f| f.name != "csrf_token" && f.kind != Kind::File)
        .collect();
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<&Field> = names
        .into_iter()
        .filter(|f| seen.insert(f.name.clone()))
        .collect();
    for v in hostile_values() {
        out.push(Case {
            path: path.clone(),
            multipart,
            what: format!("every field = {}", shown(&v)),
            pairs: unique.iter().map(|f| (f.name.clone(), v.clone())).collect(),
            files: small_file(&files),
            typed_hostile: has_typed,
        });
    }
    // Each field alone needs the others as the page fills them: only for a form read from a page.
    for f in unique.iter().filter(|_| found) {
        for v in one_field_values() {
            let mut pairs: Vec<(String, String)> = baseline
                .iter()
                .filter(|(k, _)| *k != f.name)
                .cloned()
                .collect();
            pairs.push((f.name.clone(), v.clone()));
            out.push(Case {
                path: path.clone(),
                multipart,
                what: format!("{} = {} (others as the page fills them)", f.name, shown(&v)),
                pairs,
                files: small_file(&files),
                typed_hostile: f.kind == Kind::Typed,
            });
        }
    }
    let mut twice = baseline.clone();
    twice.extend(baseline.iter().map(|(k, _)| (k.clone(), "-1".to_string())));
    out.push(Case {
        path: path.clone(),
        multipart,
        what: "every field sent twice (second -1)".into(),
        pairs: twice,
        files: small_file(&files),
        typed_hostile: false,
    });
    let mut extra = baseline.clone();
    extra.extend([
        ("no_such_field".to_string(), SCRIPT.to_string()),
        ("id".to_string(), "999999999".to_string()),
        (
            "staff_number".to_string(),
            "'; DROP TABLE people; --".to_string(),
        ),
    ]);
    out.push(Case {
        path: path.clone(),
        multipart,
        what: "fields the form does not have".into(),
        pairs: extra,
        files: small_file(&files),
        typed_hostile: false,
    });
    for f in &files {
        for (file_name, bytes) in hostile_files() {
            out.push(Case {
                path: path.clone(),
                multipart,
                what: format!("{} = the file {file_name}", f.name),
                pairs: baseline.clone(),
                files: vec![(f.name.clone(), file_name, bytes)],
                typed_hostile: false,
            });
        }
    }
    // The other encoding than the form's: what a crafted request may send.
    out.push(Case {
        path: path.clone(),
        multipart: !multipart,
        what: format!(
            "sent as {}",
            if multipart {
                "URL-encoded"
            } else {
                "multipart"
            }
        ),
        pairs: baseline.clone(),
        files: Vec::new(),
        typed_hostile: false,
    });
    // Hostile path parameters: ids that are not numbers or not there, and text that is not
    // a staff number, a username or a reference.
    if route.contains('{') {
        for v in HOSTILE_PATH {
            let mut p = route.to_string();
            while let Some(at) = p.find('{') {
                let end = p[at..].find('}').unwrap() + at;
                p.replace_range(at..=end, v);
            }
            out.push(Case {
                path: p,
                multipart,
                what: format!("path parameters = {v}"),
                pairs: baseline.clone(),
                files: small_file(&files),
                typed_hostile: false,
            });
        }
    }
    out
}

/// What each path parameter is replaced with, percent-encoded as a browser would send it.
const HOSTILE_PATH: &[&str] = &[
    "abc",
    "999999999",
    "-1",
    "99999999999999999999",
    "1.5",
    "%00",
    "%27%3B%20DROP%20TABLE%20people%3B--",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
];

/// A value as a failure message shows it (a long one shortened).
fn shown(v: &str) -> String {
    if v.len() > 40 {
        format!("{:?}… ({} chars)", &v[..20], v.chars().count())
    } else {
        format!("{v:?}")
    }
}

/// Routes whose success is a page that shows the form again (a new token, shown once).
const SUCCESS_PAGES: &[&str] = &["/admin/users/{username}/tokens"];

/// What one route's hostile posts found wrong.
#[allow(clippy::too_many_arguments)]
async fn post_cases(
    app: &TestApp,
    c: &Client,
    token: &str,
    route: &str,
    role: Role,
    form: &FormDef,
    found: bool,
    problems: &mut Vec<String>,
) -> usize {
    let all = cases(form, found, route, role);
    let n = all.len();
    for case in all {
        let path = case.path.as_str();
        let mut req = c.post(app.url(path));
        req = if case.multipart {
            let mut m = reqwest::multipart::Form::new().text("csrf_token", token.to_string());
            for (k, v) in case.pairs.clone() {
                m = m.text(k, v);
            }
            for (k, name, bytes) in case.files.clone() {
                m = m.part(k, reqwest::multipart::Part::bytes(bytes).file_name(name));
            }
            req.multipart(m)
        } else {
            let mut pairs = vec![("csrf_token".to_string(), token.to_string())];
            pairs.extend(case.pairs.clone());
            req.form(&pairs)
        };
        let r = req.send().await.unwrap();
        let status = r.status();
        let ctype = r
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let redirect = status.is_redirection() && r.headers().get(LOCATION).is_some();
        let body = r.text().await.unwrap_or_default();
        let mut say = |what: &str| {
            problems.push(format!("POST {path} [{}]: {status} {what}", case.what));
        };
        if status.is_server_error() {
            say("a server error");
            continue;
        }
        if status == StatusCode::FORBIDDEN && body.contains("This form has expired") {
            say("the form expired (the test lost its session)");
            continue;
        }
        if redirect {
            continue;
        }
        if !ctype.starts_with("text/html") {
            say(&format!(
                "not a page ({ctype}): {}",
                body.chars().take(120).collect::<String>()
            ));
            continue;
        }
        if body.contains(SCRIPT) {
            say("echoes <script>alert(1)</script> unescaped");
        }
        let refused = matches!(status.as_u16(), 200 | 400 | 422);
        let form_again = found
            && forms_on(&body, path)
                .iter()
                .any(|(action, f)| action == path && !f.fields.is_empty());
        if refused
            && form_again
            && case.typed_hostile
            && !SUCCESS_PAGES.contains(&route)
            && !body.contains("govuk-error-summary")
        {
            say("re-renders the form without an error summary");
        }
    }
    n
}

/// Posts every form of `shard` (of `of`) with hostile values, on both databases.
async fn hostile_forms(shard: usize, of: usize) {
    // Every problem on both databases, reported at once (SQLite first, then PostgreSQL).
    let mut found_on_both = Vec::new();
    let mut db = ["sqlite", "postgres"].into_iter();
    on_both!(|app| {
        let db = db.next().unwrap();
        let routes = form_routes();
        assert!(routes.len() >= 60, "the table lists the forms");
        let mut clients: HashMap<Option<Role>, Client> = HashMap::new();
        let mut problems = Vec::new();
        let (mut posted, mut with_page, mut fields) = (0, 0, 0);
        for r in routes.iter().skip(shard).step_by(of) {
            let role = role_for(r);
            let c = match clients.get(&role) {
                Some(c) => c.clone(),
                None => {
                    let c = match role {
                        Some(role) => app.signed_in(role).await,
                        None => client(),
                    };
                    clients.insert(role, c.clone());
                    c
                }
            };
            let path = concrete(r.path, role.unwrap_or(Role::Frontline));
            let mut form = None;
            let mut token = None;
            for page in candidate_pages(&path) {
                let (status, html) = app.get(&c, &page).await;
                if status != StatusCode::OK {
                    continue;
                }
                if token.is_none() && html.contains("name=\"csrf_token\" value=\"") {
                    token = Some(csrf_in(&html));
                }
                if let Some((_, f)) = forms_on(&html, &page)
                    .into_iter()
                    .find(|(action, _)| *action == path)
                {
                    form = Some(f);
                    break;
                }
            }
            let found = form.is_some();
            let form = form.unwrap_or_else(|| FormDef {
                multipart: false,
                fields: fallback_fields(),
            });
            if found {
                with_page += 1;
            } else {
                eprintln!("no page holds the form of POST {path}: generic fields");
            }
            fields += form.fields.len();
            let token = match token {
                Some(t) => t,
                None if role.is_some() => app.csrf_token(&c).await,
                None => csrf_in(&app.get(&c, "/login").await.1),
            };
            posted += post_cases(
                &app,
                &c,
                &token,
                r.path,
                role.unwrap_or(Role::Frontline),
                &form,
                found,
                &mut problems,
            )
            .await;
        }
        eprintln!(
            "shard {shard}/{of}: {} routes ({with_page} forms read from their page), {fields} fields, {posted} posts",
            routes.iter().skip(shard).step_by(of).count()
        );
        // The database is whole: nothing hostile dropped or emptied a table.
        assert!(count(&app.store, "people").await >= 10);
        found_on_both.extend(problems.into_iter().map(|p| format!("{db}: {p}")));
    });
    assert!(
        found_on_both.is_empty(),
        "{} problems:\n{}",
        found_on_both.len(),
        found_on_both.join("\n")
    );
}

#[tokio::test]
async fn hostile_values_in_every_form_get_a_page_never_a_server_error_0() {
    hostile_forms(0, 6).await;
}

#[tokio::test]
async fn hostile_values_in_every_form_get_a_page_never_a_server_error_1() {
    hostile_forms(1, 6).await;
}

#[tokio::test]
async fn hostile_values_in_every_form_get_a_page_never_a_server_error_2() {
    hostile_forms(2, 6).await;
}

#[tokio::test]
async fn hostile_values_in_every_form_get_a_page_never_a_server_error_3() {
    hostile_forms(3, 6).await;
}

#[tokio::test]
async fn hostile_values_in_every_form_get_a_page_never_a_server_error_4() {
    hostile_forms(4, 6).await;
}

#[tokio::test]
async fn hostile_values_in_every_form_get_a_page_never_a_server_error_5() {
    hostile_forms(5, 6).await;
}
