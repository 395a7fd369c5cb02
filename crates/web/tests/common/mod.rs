//! The test harness shared by the web integration tests: the app on a fresh SQLite or
//! PostgreSQL database, seeded with one person and one account per role, a cookie client,
//! signing in, CSRF tokens, form posts and JSON calls.

#![allow(dead_code)]

use mashboard_domain::people::{PersonDraft, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit::Actor;
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::{AppState, WebConfig};
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

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
    let actor = Actor::system();
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
    people::import(store, &actor, &rows, false, "test seed")
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

/// Runs the body against the app on SQLite and on PostgreSQL.
macro_rules! on_both {
    (|$app:ident| $body:block) => {{
        let (_dir, dbs) = mashboard_store::testing::both_databases().await;
        for (label, url) in dbs {
            eprintln!("-- on {label}");
            let $app = spawn(&url).await;
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

    /// Signs in with a username that need not be one of the per-role accounts.
    pub async fn sign_in_as(&self, username: &str) -> Client {
        let c = client();
        let (_, html) = self.get(&c, "/login").await;
        let token = csrf_in(&html);
        let r = c
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", username),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {username}");
        c
    }

    pub async fn signed_in(&self, role: Role) -> Client {
        let c = client();
        let (_, html) = self.get(&c, "/login").await;
        let token = csrf_in(&html);
        let r = c
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", &username_for(role)),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {role}");
        c
    }
}

pub async fn token_for(app: &TestApp, role: Role) -> String {
    accounts::create_token(&app.store, &Actor::system(), &username_for(role), "test")
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

/// The id in a redirect such as `/training/modules/7?saved=created`.
pub fn id_in(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split('?').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id after {prefix} in {location}"))
}

pub fn today_uk() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}
