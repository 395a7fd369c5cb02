//! Recorded videos, knowledge checks, session feedback and delivery reports, through the real
//! server on both databases: range requests on an uploaded video, taking a check (score,
//! explanations, pass mark), the transferee's completion, feedback refused to non-attendees and
//! to a second form, and reports that give their n.

use mashboard_domain::Role;
use mashboard_store::audit_trail::Actor;
use mashboard_store::learning::checks;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::completions;
use mashboard_store::{DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::header::RANGE;
use reqwest::{Client, StatusCode};

use crate::common::*;

/// The app keeping its files in `TestApp::data`.
async fn spawn(url: &DbUrl) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    start_with(store, WebConfig::default(), true).await
}

async fn recorded_module(store: &Store) -> i64 {
    catalogue::create_module(
        store,
        &Actor::system(),
        &ModuleInput {
            code: "FL-VID".into(),
            title: "Frontline recording".into(),
            summary: "The recorded input".into(),
            kind: "recorded_video".into(),
            status: "live".into(),
            duration_minutes: 180,
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap()
    .id
}

/// A session of the module, with a trainer, straight into the tables (sessions are another
/// part's work; here we only read them).
async fn session(store: &Store, module_id: i64, trainer: i64, title: &str) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (module_id, module_version, title, starts_at, ends_at, mode, capacity, status,
            ics_uid, created_by, created_at, updated_at)
         VALUES ($1, '1.0', $2, '2026-03-02T09:00:00.000000Z', '2026-03-02T12:00:00.000000Z', 'in_person', 20,
            'delivered', $3, 'test', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z') RETURNING id",
    )
    .bind(module_id)
    .bind(title)
    .bind(format!("uid-{title}"))
    .fetch_one(store.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO session_trainers (session_id, person_id, lead) VALUES ($1, $2, 1)")
        .bind(id)
        .bind(trainer)
        .execute(store.pool())
        .await
        .unwrap();
    id
}

async fn attend(store: &Store, session_id: i64, person: i64, status: &str) {
    sqlx::query(
        "INSERT INTO session_attendance (session_id, person_id, status, minutes, source, recorded_by, recorded_at)
         VALUES ($1, $2, $3, 180, 'register', 'test', '2026-03-02T12:00:00.000000Z')",
    )
    .bind(session_id)
    .bind(person)
    .bind(status)
    .execute(store.pool())
    .await
    .unwrap();
}

/// Creates a check through the editor: one single-choice and one multiple-choice question.
async fn make_check(app: &TestApp, trainer: &Client, module_id: i64, pass_mark: &str) -> i64 {
    let m = module_id.to_string();
    let r = app
        .post_form(
            trainer,
            "/training/checks/new",
            &[
                ("title", "Referral basics"),
                ("module_id", &m),
                ("pass_mark", pass_mark),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = id_in(&location(&r), "/training/checks/");
    let path = format!("/training/checks/{id}/questions");
    let r = app
        .post_form(
            trainer,
            &path,
            &[
                (
                    "text",
                    "Who decides whether a referral goes to children's social care?",
                ),
                ("kind", "single"),
                ("option_1", "The officer"),
                ("option_2", "The MASH, after research"),
                ("correct_2", "1"),
                (
                    "explanation",
                    "The MASH researches and decides; the officer's job is a good PPN.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            trainer,
            &path,
            &[
                ("text", "Which belong in a good PPN?"),
                ("kind", "multiple"),
                ("option_1", "The child's voice"),
                ("correct_1", "1"),
                ("option_2", "What you saw"),
                ("correct_2", "1"),
                ("option_3", "Your guess at the outcome"),
                (
                    "explanation",
                    "Record what you saw and heard, including the child's own words.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    id
}

/// The form answers that are right for every question, or wrong for the multiple-choice one.
async fn answers(store: &Store, check_id: i64, all_right: bool) -> Vec<(String, String)> {
    let c = checks::get(store, check_id).await.unwrap().unwrap();
    let mut out = Vec::new();
    for q in &c.questions {
        let mut picked: Vec<i64> = q
            .options
            .iter()
            .filter(|o| o.correct)
            .map(|o| o.id)
            .collect();
        if !all_right && q.is_multiple() {
            picked.truncate(1);
        }
        for o in picked {
            out.push((format!("q{}", q.id), o.to_string()));
        }
    }
    out
}

async fn take(
    app: &TestApp,
    c: &Client,
    check_id: i64,
    query: &str,
    answers: &[(String, String)],
) -> (StatusCode, String) {
    let (s, html) = app
        .get(c, &format!("/training/checks/{check_id}/take{query}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let token = csrf_in(&html);
    let phase = html
        .split("name=\"phase\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let session = html
        .split("name=\"session\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mut form = vec![
        ("csrf_token".to_string(), token),
        ("phase".into(), phase),
        ("session".into(), session),
    ];
    form.extend_from_slice(answers);
    let r = c
        .post(app.url(&format!("/training/checks/{check_id}/take")))
        .form(&form)
        .send()
        .await
        .unwrap();
    if r.status() != StatusCode::SEE_OTHER {
        let s = r.status();
        return (s, r.text().await.unwrap());
    }
    let to = location(&r);
    app.get(c, &to).await
}

#[tokio::test]
async fn an_uploaded_video_is_served_with_range_requests() {
    on_both!(|app| {
        let module = recorded_module(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let mut video = vec![0u8, 0, 0, 0x18];
        video.extend_from_slice(b"ftypisom");
        video.extend((0..5000u32).map(|i| (i % 251) as u8));
        let upload = |bytes: Vec<u8>, name: &'static str| {
            let app = &app;
            let trainer = &trainer;
            async move {
                let token = app.csrf_token(trainer).await;
                let form = reqwest::multipart::Form::new()
                    .text("csrf_token", token)
                    .text("external_url", "")
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(bytes).file_name(name),
                    );
                trainer
                    .post(app.url(&format!("/training/modules/{module}/video")))
                    .multipart(form)
                    .send()
                    .await
                    .unwrap()
            }
        };
        // Not a video: refused in words, nothing stored.
        let r = upload(b"just some text".to_vec(), "notes.mp4").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("must be an MP4 or WebM video"));
        assert!(mashboard_store::learning::videos::get(&app.store, module)
            .await
            .unwrap()
            .is_none());

        let r = upload(video.clone(), "../../Our recording.mp4").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let stored = mashboard_store::learning::videos::get(&app.store, module)
            .await
            .unwrap()
            .unwrap();
        let key = stored.storage_key.clone().unwrap();
        assert!(
            key.starts_with("videos/") && key.ends_with(".mp4") && !key.contains("recording"),
            "{key}"
        );
        assert_eq!(stored.file_name.as_deref(), Some("Our recording.mp4"));
        assert_eq!(std::fs::read(app.data.path().join(&key)).unwrap(), video);

        let viewer = app.signed_in(Role::Frontline).await;
        let file = app.url(&format!("/training/modules/{module}/video/file"));
        let r = viewer
            .get(&file)
            .header(RANGE, "bytes=100-199")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            r.headers()["content-range"],
            format!("bytes 100-199/{}", video.len()).as_str()
        );
        assert_eq!(r.headers()["accept-ranges"], "bytes");
        assert_eq!(r.headers()["content-type"], "video/mp4");
        assert_eq!(r.bytes().await.unwrap().as_ref(), &video[100..200]);
        let r = viewer
            .get(&file)
            .header(RANGE, "bytes=-10")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &video[video.len() - 10..]
        );
        let r = viewer.get(&file).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap().len(), video.len());
        let r = viewer
            .get(&file)
            .header(RANGE, "bytes=999999-")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        // The watch page plays it; people outside training management cannot upload.
        let (s, html) = app
            .get(&viewer, &format!("/training/modules/{module}/watch"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains(&format!("/training/modules/{module}/video/file")));
        let (s, _) = app
            .get(&viewer, &format!("/training/modules/{module}/video"))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Replacing the file with a link removes the old file.
        let token = app.csrf_token(&trainer).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .text(
                "external_url",
                "https://video.example.police.uk/watch/frontline-input",
            );
        let r = trainer
            .post(app.url(&format!("/training/modules/{module}/video")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(!app.data.path().join(&key).exists());
    });
}

#[tokio::test]
async fn a_check_is_scored_with_explanations_against_its_pass_mark() {
    on_both!(|app| {
        let module = recorded_module(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let check = make_check(&app, &trainer, module, "60").await;
        // A single-choice question with two right answers is refused, and nothing is added.
        let r = app
            .post_form(
                &trainer,
                &format!("/training/checks/{check}/questions"),
                &[
                    ("text", "Pick one"),
                    ("kind", "single"),
                    ("option_1", "a"),
                    ("correct_1", "1"),
                    ("option_2", "b"),
                    ("correct_2", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("exactly one correct option (it has 2)"));
        let r = app
            .post_form(
                &trainer,
                "/training/checks/new",
                &[("title", "X"), ("pass_mark", "101")],
            )
            .await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("The pass mark must be from 1 to 100"));
        assert_eq!(
            checks::get(&app.store, check)
                .await
                .unwrap()
                .unwrap()
                .questions
                .len(),
            2
        );

        let person = app.signed_in(Role::Frontline).await;
        // Unanswered questions are asked for, and nothing is recorded.
        let (s, html) = take(&app, &person, check, "", &[]).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Answer question 1") && html.contains("Answer question 2"));
        // Half right: 50% is below the 60% pass mark; the explanations are shown.
        let (s, html) = take(
            &app,
            &person,
            check,
            "",
            &answers(&app.store, check, false).await,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Not passed"), "{html}");
        assert!(html.contains("You scored 50% (1 of 2)"));
        assert!(html.contains("The pass mark is 60%"));
        assert!(
            html.contains("own words") && html.contains("a good PPN"),
            "explanations shown"
        );
        let (_, html) = take(
            &app,
            &person,
            check,
            "",
            &answers(&app.store, check, true).await,
        )
        .await;
        assert!(html.contains("Passed") && html.contains("You scored 100% (2 of 2)"));
        let me = person_id(&app.store, &staff_for(Role::Frontline)).await;
        let attempts = checks::attempts_of(&app.store, me, check).await.unwrap();
        assert_eq!(attempts.len(), 2);
        assert!(attempts[0].passed && !attempts[1].passed);
        assert!(attempts
            .iter()
            .all(|a| a.started_at <= a.submitted_at && a.phase == "standalone"));
        // Someone else's result is not shown to another person.
        let other = app.signed_in(Role::MashStaff).await;
        let (s, _) = app
            .get(&other, &format!("/training/attempts/{}", attempts[0].id))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Once taken, the questions are locked.
        let r = app
            .post_form(
                &trainer,
                &format!("/training/checks/{check}/questions"),
                &[
                    ("text", "Late"),
                    ("kind", "single"),
                    ("option_1", "a"),
                    ("correct_1", "1"),
                    ("option_2", "b"),
                ],
            )
            .await;
        assert!(r.text().await.unwrap().contains("cannot change"));
    });
}

#[tokio::test]
async fn a_transferee_who_watches_and_passes_has_the_completion_recorded() {
    on_both!(|app| {
        let module = recorded_module(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let token = app.csrf_token(&trainer).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .text(
                "external_url",
                "https://video.example.police.uk/watch/frontline-input",
            );
        let r = trainer
            .post(app.url(&format!("/training/modules/{module}/video")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let check = make_check(&app, &trainer, module, "100").await;

        let person = app.signed_in(Role::Frontline).await;
        let me = person_id(&app.store, &staff_for(Role::Frontline)).await;
        let watch = format!("/training/modules/{module}/watch");
        let (_, html) = app.get(&person, &watch).await;
        assert!(html.contains("https://video.example.police.uk/watch/frontline-input"));
        assert!(html.contains("I have watched the recording"));
        // Passing the check before confirming the watch does not complete the module.
        take(
            &app,
            &person,
            check,
            "",
            &answers(&app.store, check, true).await,
        )
        .await;
        assert!(completions::of_person(&app.store, me)
            .await
            .unwrap()
            .is_empty());
        let r = app.post_form(&person, &watch, &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = location(&r);
        assert!(to.contains("completed=1"));
        let done = completions::of_person(&app.store, me).await.unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(
            (done[0].module_id, done[0].mode.as_str()),
            (module, "recording")
        );
        let (_, html) = app.get(&person, &to).await;
        assert!(html.contains("Your completion has been recorded"));
        // A second confirmation and a second pass record nothing more.
        app.post_form(&person, &watch, &[]).await;
        take(
            &app,
            &person,
            check,
            "",
            &answers(&app.store, check, true).await,
        )
        .await;
        assert_eq!(
            completions::of_person(&app.store, me).await.unwrap().len(),
            1
        );

        // Another transferee: watch first, fail, then pass: completed on the pass.
        let other = app.signed_in(Role::MashStaff).await;
        let them = person_id(&app.store, &staff_for(Role::MashStaff)).await;
        app.post_form(&other, &watch, &[]).await;
        take(
            &app,
            &other,
            check,
            "",
            &answers(&app.store, check, false).await,
        )
        .await;
        assert!(completions::of_person(&app.store, them)
            .await
            .unwrap()
            .is_empty());
        take(
            &app,
            &other,
            check,
            "",
            &answers(&app.store, check, true).await,
        )
        .await;
        assert_eq!(
            completions::of_person(&app.store, them)
                .await
                .unwrap()
                .len(),
            1
        );
        // Watching is audited.
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'video.watched'",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert_eq!(n, 2);
    });
}

#[tokio::test]
async fn feedback_is_once_per_attendee_and_reports_give_n() {
    on_both!(|app| {
        let module = recorded_module(&app.store).await;
        let lead = person_id(&app.store, &staff_for(Role::MashTrainer)).await;
        let s = session(&app.store, module, lead, "Response team input").await;
        let attendee = person_id(&app.store, &staff_for(Role::Frontline)).await;
        let partly = person_id(&app.store, &staff_for(Role::MashStaff)).await;
        let absent = person_id(&app.store, &staff_for(Role::LineManager)).await;
        attend(&app.store, s, attendee, "attended").await;
        attend(&app.store, s, partly, "partly_attended").await;
        attend(&app.store, s, absent, "absent").await;
        let path = format!("/sessions/{s}/feedback");
        let ratings = |o: &'static str| {
            vec![
                ("overall", o),
                ("relevance", "4"),
                ("delivery", "5"),
                ("confidence", "3"),
                ("went_well", "Real cases"),
                ("improve", ""),
            ]
        };

        // Someone recorded absent is refused, in words, and nothing is stored.
        let c = app.signed_in(Role::LineManager).await;
        let (_, html) = app.get(&c, &path).await;
        assert!(html.contains("Feedback is for people recorded as attending"));
        let r = app.post_form(&c, &path, &ratings("5")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains("recorded as attending"));
        // A rating out of range is an error on the form.
        let c = app.signed_in(Role::Frontline).await;
        let r = app
            .post_form(
                &c,
                &path,
                &[("overall", "9"), ("relevance", "4"), ("delivery", "5")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("must be a whole number from 1 to 5")
                && html.contains("Choose a rating from 1 to 5")
        );
        // My training offers the form for a recent session, and stops once it is given.
        let recent = (time::OffsetDateTime::now_utc() - time::Duration::days(2))
            .date()
            .to_string();
        sqlx::query("UPDATE training_sessions SET starts_at = $1 WHERE id = $2")
            .bind(format!("{recent}T09:00:00.000000Z"))
            .bind(s)
            .execute(app.store.pool())
            .await
            .unwrap();
        let (_, mine) = app.get(&c, "/my/training").await;
        assert!(
            mine.contains("Give feedback on Response team input"),
            "{mine}"
        );
        assert!(mine.contains(&format!("href=\"/sessions/{s}/feedback\"")));
        let r = app.post_form(&c, &path, &ratings("5")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, mine) = app.get(&c, "/my/training").await;
        assert!(!mine.contains("Give feedback on Response team input"));
        // A second form is refused plainly.
        let r = app.post_form(&c, &path, &ratings("1")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains("already given feedback"));
        let c2 = app.signed_in(Role::MashStaff).await;
        let r = app.post_form(&c2, &path, &ratings("2")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM session_feedback")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert_eq!(n, 2);

        // Pre/post attempts on the same check give a learning gain with its n.
        let trainer = app.signed_in(Role::MashTrainer).await;
        let check = make_check(&app, &trainer, module, "50").await;
        let q = format!("?phase=pre&session={s}");
        take(
            &app,
            &c,
            check,
            &q,
            &answers(&app.store, check, false).await,
        )
        .await;
        take(
            &app,
            &c,
            check,
            &format!("?phase=post&session={s}"),
            &answers(&app.store, check, true).await,
        )
        .await;
        take(
            &app,
            &c2,
            check,
            &q,
            &answers(&app.store, check, false).await,
        )
        .await;
        // A pre/post attempt needs its session.
        let (st, _) = app
            .get(&c, &format!("/training/checks/{check}/take?phase=pre"))
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);

        let leader = app.signed_in(Role::SeniorLeader).await;
        let (st, html) = app
            .get(&leader, &format!("/sessions/{s}/feedback/results"))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("2 of 2 attending"), "{html}");
        assert!(html.contains("3.50") && html.contains("1: 0 · 2: 1 · 3: 0 · 4: 0 · 5: 1"));
        assert!(html.contains("Real cases"));
        assert!(!html.contains("Person Frontline"));
        let (st, html) = app.get(&leader, "/delivery/reports").await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("Person MASH trainer"), "per trainer");
        assert!(html.contains("FL-VID: Frontline recording"), "per module");
        assert!(html.contains("+50.0 points"), "gain");
        assert!(html.contains("/partners/exchange"));
        let csv = leader
            .get(app.url("/delivery/reports/learning-gain.csv"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            csv.contains("Referral basics,All sessions,1,50.0,100.0,50.0,1,0"),
            "{csv}"
        );
        let csv = leader
            .get(app.url("/delivery/reports/feedback.csv"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            csv.contains("trainer,Person MASH trainer,1 session(s),2,3.50"),
            "{csv}"
        );
        // Frontline staff cannot read the reports.
        let (st, _) = app.get(&c, "/delivery/reports").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    });
}
