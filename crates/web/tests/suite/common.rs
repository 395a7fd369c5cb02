//! The one harness of the web tests: the app on a random port over a fresh SQLite or
//! PostgreSQL database (`on_both!` runs a body on each), seeded with one person and one account
//! per role, a cookie client, signing in, CSRF tokens, form posts, API tokens and JSON calls,
//! and small readers of what the pages and the database hold.

use mashboard_domain::people::{PersonDraft, PersonInput, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::{self, Actor, AuditEvent, AuditFilter};
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::{AppState, WebConfig};
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use std::path::Path;

pub const PASSWORD: &str = "a long test password";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    /// A temporary directory, the app's data directory when started with `use_data_dir`.
    pub data: tempfile::TempDir,
    pub shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn username_for(role: Role) -> String {
    format!("test-{}", role.as_str().replace('_', "-"))
}

pub fn staff_for(role: Role) -> String {
    format!(
        "T{}",
        Role::ALL.iter().position(|r| *r == role).unwrap() + 10
    )
}

/// One person and one account per role.
pub async fn seed(store: &Store) {
    seed_people(store, false).await
}

/// One person and one account per role; `emails` gives each person an e-mail address.
pub async fn seed_people(store: &Store, emails: bool) {
    let mut rows = Vec::new();
    for role in Role::ALL {
        let p = PersonDraft {
            staff_number: staff_for(role),
            name: format!("Person {}", role.label()),
            department: "Public Protection".into(),
            team: "MASH".into(),
            roles: role.as_str().into(),
            email: if emails {
                format!("{}@example.police.uk", staff_for(role).to_lowercase())
            } else {
                Default::default()
            },
            ..Default::default()
        }
        .validate()
        .unwrap();
        rows.push((rows.len() + 2, p));
    }
    import_with_accounts(store, &rows).await;
}

/// A manager (the line manager's person) with everyone else but the administrator reporting to
/// them, the MASH staff member mentored by the mentor (a two-party sign-off is possible), an
/// outsider X1 who reports to nobody, and one account per role linked to its own person.
pub async fn seed_managed(store: &Store) {
    let mut rows = Vec::new();
    for role in Role::ALL {
        let manager = match role {
            Role::Administrator | Role::LineManager => String::new(),
            _ => staff_for(Role::LineManager),
        };
        let mentor = if role == Role::MashStaff {
            staff_for(Role::Mentor)
        } else {
            String::new()
        };
        let p = PersonDraft {
            staff_number: staff_for(role),
            name: format!("Person {}", role.label()),
            department: "Public Protection".into(),
            team: "MASH".into(),
            roles: role.as_str().into(),
            line_manager_staff_number: manager,
            mentor_staff_number: mentor,
            ..Default::default()
        }
        .validate()
        .unwrap();
        rows.push((rows.len() + 2, p));
    }
    let outsider = PersonDraft {
        staff_number: "X1".into(),
        name: "Outside Person".into(),
        ..Default::default()
    };
    rows.push((rows.len() + 2, outsider.validate().unwrap()));
    import_with_accounts(store, &rows).await;
}

/// Imports `rows` and makes one account per role, linked to the role's person.
async fn import_with_accounts(store: &Store, rows: &[(usize, PersonInput)]) {
    let actor = Actor::system();
    people::import(store, &actor, rows, false, "test seed")
        .await
        .unwrap();
    for role in Role::ALL {
        let sn = StaffNumber::parse(&staff_for(role)).unwrap();
        accounts::create(
            store,
            &actor,
            NewAccount {
                username: &username_for(role),
                roles: &[role],
                staff_number: Some(&sn),
                password: Some(PASSWORD),
            },
        )
        .await
        .unwrap();
    }
}

pub async fn spawn(url: &DbUrl) -> TestApp {
    spawn_with(url, WebConfig::default(), false).await
}

/// The app on `url` with `config`; `emails` as for [`seed_people`].
pub async fn spawn_with(url: &DbUrl, config: WebConfig, emails: bool) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed_people(&store, emails).await;
    start(store, config).await
}

/// Serves the app on an already seeded `store`.
pub async fn start(store: Store, config: WebConfig) -> TestApp {
    start_with(store, config, false).await
}

/// Serves the app on an already seeded `store`; with `use_data_dir` the app keeps its files
/// in the fresh temporary directory `TestApp::data`.
pub async fn start_with(store: Store, mut config: WebConfig, use_data_dir: bool) -> TestApp {
    let data = tempfile::tempdir().unwrap();
    if use_data_dir {
        config.data_dir = data.path().to_path_buf();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let state = AppState::new(store.clone(), config);
    tokio::spawn(async move {
        mashboard_web::serve(listener, state, async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        base,
        store,
        data,
        shutdown: Some(tx),
    }
}

/// Runs the body against the app on SQLite and on PostgreSQL: `on_both!(|app| { ... })` starts
/// it with `spawn(&url)`, `on_both!(config, |app| { ... })` with `spawn_config(&url, config)`.
/// Both names are looked up where the macro is used: [`spawn`] here serves on [`seed`], and a
/// test module that seeds its own data or takes a config defines its own `spawn` or
/// `spawn_config` on top of [`start`] (or [`start_with`]), which the macro then picks up.
macro_rules! on_both {
    (|$app:ident| $body:block) => {{
        let (_dir, dbs) = mashboard_store::testing::both_databases().await;
        for (label, url) in dbs {
            eprintln!("-- on {label}");
            let $app = spawn(&url).await;
            $body
        }
    }};
    ($config:expr, |$app:ident| $body:block) => {{
        let (_dir, dbs) = mashboard_store::testing::both_databases().await;
        for (label, url) in dbs {
            eprintln!("-- on {label}");
            let $app = spawn_config(&url, $config).await;
            $body
        }
    }};
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("page has a csrf_token field")
        + 25;
    html[at..at + 64].to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let r = c.get(self.url(path)).send().await.unwrap();
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    /// A CSRF token of a signed-in client's session, from its account page.
    pub async fn csrf_token(&self, c: &Client) -> String {
        let (_, html) = self.get(c, "/account").await;
        csrf_in(&html)
    }

    pub async fn post_form(
        &self,
        c: &Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_token(c).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        form.extend_from_slice(fields);
        c.post(self.url(path)).form(&form).send().await.unwrap()
    }

    /// Posts the sign-in form from a fresh client; returns the client and the answer.
    pub async fn sign_in(&self, username: &str, password: &str) -> (Client, reqwest::Response) {
        let c = client();
        let (_, html) = self.get(&c, "/login").await;
        let token = csrf_in(&html);
        let r = c
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        (c, r)
    }

    /// Signs in with a username that need not be one of the per-role accounts.
    pub async fn sign_in_as(&self, username: &str) -> Client {
        let (c, r) = self.sign_in(username, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {username}");
        c
    }

    /// Signs in with a username and password that must be right.
    pub async fn sign_in_as_with(&self, username: &str, password: &str) -> Client {
        let (c, r) = self.sign_in(username, password).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {username}");
        c
    }

    /// A client signed in as the role's account.
    pub async fn signed_in(&self, role: Role) -> Client {
        self.sign_in_as(&username_for(role)).await
    }

    /// Calls the JSON API with `token`, sending `body` as JSON when there is one; an answer that
    /// is not JSON fails the test, naming the call.
    pub async fn api_json(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = client()
            .request(method.clone(), self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON ({status}): {text}"));
        (status, v)
    }

    /// The API's OpenAPI document (`/api/v1/openapi.json`, public), parsed; anything but a 200
    /// with JSON fails the test.
    pub async fn openapi(&self) -> Value {
        let r = client()
            .get(self.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "the OpenAPI document");
        r.json().await.expect("the OpenAPI document is JSON")
    }

    /// `GET path` from the JSON API with a fresh token of the role's account.
    pub async fn api_as(&self, role: Role, path: &str) -> (StatusCode, Value) {
        let token = token_for(self, role).await;
        self.api_json(&token, Method::GET, path, None).await
    }
}

/// A new API token of the role's account.
pub async fn token_for(app: &TestApp, role: Role) -> String {
    token_for_user(app, &username_for(role)).await
}

/// A new API token of the account `username`.
pub async fn token_for_user(app: &TestApp, username: &str) -> String {
    accounts::create_token(&app.store, &Actor::system(), username, "test")
        .await
        .unwrap()
}

pub async fn api(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let r = client()
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()[LOCATION].to_str().unwrap().to_string()
}

/// The id in a redirect such as `/training/modules/7?saved=created` or `/learning/checks/3#q`.
pub fn id_in(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split(['?', '#']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id after {prefix} in {location}"))
}

pub fn today_uk() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

/// The value of the first hidden field with this name, with the escapes the templates use undone.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden field {name} on the page"))
        + marker.len();
    let end = html[at..].find('"').unwrap() + at;
    html[at..end]
        .replace("&#x3d;", "=")
        .replace("&#x3b;", ";")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The audit events whose action starts with `action` (every event when it is empty), newest
/// first and at most 1000, with how many there are in all.
pub async fn audit_events(store: &Store, action: &str) -> (i64, Vec<AuditEvent>) {
    let filter = AuditFilter {
        action: action.into(),
        ..Default::default()
    };
    audit_trail::list(store, &filter, 1000).await.unwrap()
}

/// The actions of [`audit_events`], oldest first.
pub async fn audit_actions(store: &Store, action: &str) -> Vec<String> {
    let (_, events) = audit_events(store, action).await;
    events.into_iter().rev().map(|e| e.action).collect()
}

/// The id of the person with staff number `sn`, who must exist.
pub async fn person_id(store: &Store, sn: &str) -> i64 {
    people::get(store, sn).await.unwrap().unwrap().id
}

/// The number of rows in `table`.
pub async fn count(store: &Store, table: &str) -> i64 {
    scalar(
        store,
        &format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"),
    )
    .await
}

/// The one number a query such as `SELECT CAST(COUNT(*) AS BIGINT) FROM … WHERE …` answers.
pub async fn scalar(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// The bytes of `PATH` under the domain crate's `tests/fixtures` (e.g. `register/incidents-bad.csv`).
pub fn fixture(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../domain/tests/fixtures")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Runs one SQL statement with text binds.
pub async fn exec(store: &mashboard_store::Store, sql: &str, binds: &[&str]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(store.pool()).await.unwrap();
}

/// Impact: hand-checkable figures: two imported audits of 2022 (33 of 50 needing a form had one), two
/// imported reviews (the October 2024 distribution 1, 3, 4, 1 and 0, 4, 2, 3), and the frontline
/// officer's six referrals of 2024 (four in Q1, two in Q2) with the decisions of the agency each
/// went to, and their first completion of FL-PPN on 15 February 2024.
pub async fn seed_impact_figures(store: &mashboard_store::Store) {
    let now = "2026-01-01T00:00:00Z";
    exec(store, "INSERT INTO audit_history (period_start, period_end, examined, required, completed_when_required, not_required, completed_when_not_required, imported_at) VALUES ('2022-01-01', '2022-02-28', 35, 20, 13, 15, 1, $1), ('2022-03-01', '2022-04-30', 35, 30, 20, 5, 0, $1)", &[now]).await;
    exec(store, "INSERT INTO review_history (period_start, period_end, grade_1, grade_2, grade_3, grade_4, imported_at) VALUES ('2024-07-01', '2024-09-30', 1, 3, 4, 1, $1), ('2024-12-01', '2025-02-28', 0, 4, 2, 3, $1)", &[now]).await;
    exec(store, "INSERT INTO modules (code, title, kind, status, version, created_at, updated_at) VALUES ('FL-PPN', 'Frontline referral input', 'classroom', 'active', '1', $1, $1)", &[now]).await;
    let officer = person_id(store, &staff_for(Role::Frontline))
        .await
        .to_string();
    exec(store, "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at) SELECT CAST($1 AS BIGINT), id, '1', '2024-02-15', 'classroom', 'signed_off', 'recorded', 'test', $2, $2 FROM modules WHERE code = 'FL-PPN'", &[&officer, now]).await;
    // (reference, submitted, department, decision of the agency it went to)
    let rows = [
        ("01", "2024-01-10", "Response", Some("accepted_assessment")),
        ("02", "2024-01-20", "Response", Some("no_further_action")),
        (
            "03",
            "2024-03-01",
            "Response",
            Some("returned_more_information"),
        ),
        ("04", "2024-03-10", "Response", None),
        (
            "05",
            "2024-04-05",
            "Criminal Investigation Department",
            Some("accepted_s47"),
        ),
        (
            "06",
            "2024-05-05",
            "Criminal Investigation Department",
            Some("early_help"),
        ),
    ];
    for (n, on, dept, decision) in rows {
        exec(store, "INSERT INTO incidents (incident_ref, reported_at, category, children_involved, department, officer_person_id, imported_at, updated_at) VALUES ($1, $2, 'Neglect', 1, $3, CAST($4 AS BIGINT), $5, $5)", &[&format!("INC-{n}"), &format!("{on}T09:00:00"), dept, &officer, now]).await;
        exec(store, "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, officer_person_id, partner, imported_at, updated_at) VALUES ($1, $2, $3, 'child', CAST($4 AS BIGINT), 'Children''s social care', $5, $5)", &[&format!("PPN-{n}"), &format!("INC-{n}"), &format!("{on}T15:00:00"), &officer, now]).await;
        if let Some(d) = decision {
            // The agency's name in other letters is still the agency it went to.
            exec(store, "INSERT INTO referral_outcomes (referral_ref, partner, outcome, decided_at, source, recorded_by, updated_at) VALUES ($1, 'CHILDREN''S SOCIAL CARE', $2, $3, 'mash', 'test', $4)", &[&format!("PPN-{n}"), d, on, now]).await;
        }
    }
    // Another agency's decision on the first referral does not count.
    exec(store, "INSERT INTO referral_outcomes (referral_ref, partner, outcome, decided_at, source, recorded_by, updated_at) VALUES ('PPN-01', 'Adult social care', 'no_further_action', '2024-01-12', 'mash', 'test', $1)", &[now]).await;
    // An incident that needed no referral.
    exec(store, "INSERT INTO incidents (incident_ref, reported_at, category, department, imported_at, updated_at) VALUES ('INC-99', '2024-02-01T09:00:00', 'Assault', 'Response', $1, $1)", &[now]).await;
    // Rows written here by plain SQL, not by the store: count the roll-ups again.
    mashboard_store::impact::rebuild_rollups(store)
        .await
        .unwrap();
}

/// Signs in and returns the session cookie (`mashboard_session=…`) as a browser would send it.
pub async fn session_cookie(app: &TestApp, role: Role) -> String {
    let (_, r) = app.sign_in(&username_for(role), PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mashboard_session="))
        .and_then(|v| v.split(';').next())
        .expect("signing in sets the session cookie")
        .to_string()
}

/// GET `path` on `base` sending exactly `cookie` (no cookie jar): the status, and where a
/// redirect goes.
pub async fn get_with(base: &str, path: &str, cookie: &str) -> (StatusCode, String) {
    let c = Client::builder().redirect(Policy::none()).build().unwrap();
    let r = c
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let to = r
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (r.status(), to)
}

/// A live module "MASH induction" (MASH-IND, version 1.0) and a role profile MASH-RES
/// requiring it (due within 30 days, renewed every 12 months): (module id, profile id).
pub async fn training_fixture(store: &Store) -> (i64, i64) {
    use mashboard_store::training::{catalogue, programmes};
    let m = catalogue::create_module(
        store,
        &Actor::system(),
        &catalogue::ModuleInput {
            code: "MASH-IND".into(),
            title: "MASH induction".into(),
            kind: "face_to_face".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    let profile =
        programmes::create_profile(store, &Actor::system(), "MASH-RES", "MASH researcher", "")
            .await
            .unwrap();
    programmes::set_item(
        store,
        &Actor::system(),
        profile,
        m.id,
        "days:30",
        "rolling:12",
    )
    .await
    .unwrap();
    (m.id, profile)
}

/// Makes `manager` the line manager of `person` (staff numbers).
pub async fn set_line_manager(store: &Store, person: &str, manager: &str) {
    exec(
        store,
        "UPDATE people SET line_manager_id = (SELECT id FROM people WHERE staff_number = $1) WHERE staff_number = $2",
        &[manager, person],
    )
    .await;
}
