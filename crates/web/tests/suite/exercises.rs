//! The exercise runner through the real server on both databases: the API contract, answers
//! refused for unreleased stages, team codes that reach only their own team of their own run,
//! partners who see only the runs they are part of, and a live stream that delivers a release.

use mashboard_domain::Role;
use mashboard_store::accounts::{self};
use mashboard_store::audit_trail::Actor;
use reqwest::{Method, StatusCode};

use crate::common::*;

/// Reads an event stream until an event of `kind` arrives; returns its data line.
async fn next_event(resp: &mut reqwest::Response, kind: &str, buf: &mut String) -> String {
    let wanted = format!("event: {kind}\n");
    loop {
        if let Some(at) = buf.find(&wanted) {
            let rest = &buf[at + wanted.len()..];
            if let Some(end) = rest.find("\n\n") {
                let data = rest[..end].trim_start_matches("data: ").to_string();
                let cut = at + wanted.len() + end + 2;
                buf.drain(..cut);
                return data;
            }
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), resp.chunk())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn exercise_api_codes_partners_and_live_stream() {
    on_both!(|app| {
        let trainer = token_for(&app, Role::MashTrainer).await;
        let frontline = token_for(&app, Role::Frontline).await;

        // Scenarios: stages numbered from 1, each with its questions.
        let r = client()
            .get(app.url("/api/v1/exercise-scenarios"))
            .bearer_auth(&trainer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let list: serde_json::Value = r.json().await.unwrap();
        let sc = &list["items"][0];
        assert_eq!(sc["stages"][0]["stage"], 1);
        let scenario_id = sc["id"].as_i64().unwrap();
        let q1 = sc["stages"][0]["questions"][0]["id"].as_i64().unwrap();
        let q2 = sc["stages"][1]["questions"][0]["id"].as_i64().unwrap();
        // Frontline officers cannot start runs.
        let (s, _) = api(
            &app,
            &frontline,
            Method::POST,
            "/api/v1/exercise-runs",
            serde_json::json!({"scenario_id": scenario_id, "teams": [{"name": "X"}]}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        let (s, run) = api(&app, &trainer, Method::POST, "/api/v1/exercise-runs", serde_json::json!({
            "scenario_id": scenario_id,
            "teams": [
                {"name": "Red", "members": [staff_for(Role::Frontline)], "partners": [{"name": "Sue Social", "organisation": "Eastbrook children's services"}]},
                {"name": "Blue", "members": [staff_for(Role::PartnerReviewer)]}
            ]
        })).await;
        assert_eq!(s, StatusCode::CREATED, "{run}");
        let run_id = run["id"].as_i64().unwrap();
        assert_eq!(run["teams"][0]["name"], "Red");
        let red_code = run["teams"][0]["code"].as_str().unwrap().to_string();
        assert_eq!(red_code.len(), 8);
        let red_id = run["teams"][0]["id"].as_i64().unwrap();
        let blue_id = run["teams"][1]["id"].as_i64().unwrap();

        // A second run without the partner reviewer or the officer.
        let (s, other) = api(
            &app,
            &trainer,
            Method::POST,
            "/api/v1/exercise-runs",
            serde_json::json!({
                "scenario_id": scenario_id,
                "teams": [{"name": "Green", "members": [staff_for(Role::Mentor)]}]
            }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        let other_id = other["id"].as_i64().unwrap();
        let green_code = other["teams"][0]["code"].as_str().unwrap().to_string();

        // An answer to an unreleased stage is refused and nothing is written.
        let answer = |team: &str, stage: i64, q: i64, text: &str| serde_json::json!({"team": team, "stage": stage, "question": q, "text": text});
        let path = format!("/api/v1/exercise-runs/{run_id}/answers");
        let (s, body) = api(
            &app,
            &frontline,
            Method::POST,
            &path,
            answer("Red", 1, q1, "too early"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("not been released"),
            "{body}"
        );
        assert_eq!(count(&app.store, "exercise_answers").await, 0);
        // A stage that does not exist cannot be released.
        let rel = format!("/api/v1/exercise-runs/{run_id}/release");
        let (s, _) = api(
            &app,
            &trainer,
            Method::POST,
            &rel,
            serde_json::json!({"stage": 42}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

        // A team code opens only its own team, on a browser session without an account.
        let screen = client();
        let (_, html) = app.get(&screen, "/exercise").await;
        let t = csrf_in(&html);
        let r = screen
            .post(app.url("/exercise"))
            .form(&[
                ("csrf_token", t.as_str()),
                ("code", &red_code.to_lowercase()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (s, html) = app.get(&screen, "/exercise/team").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Red") && !html.contains("Blue"));
        assert!(html.contains("Nothing has been released yet"));
        let (s, _) = app
            .get(
                &screen,
                &format!("/exercises/runs/{run_id}/teams/{blue_id}"),
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "a code is not a sign-in");
        let (s, _) = app
            .get(&screen, &format!("/exercises/runs/{run_id}/console"))
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);

        // The team's live stream delivers its releases, and not another team's.
        let mut stream = screen
            .get(app.url("/exercise/team/events"))
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), StatusCode::OK);
        assert!(stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let (s, _) = api(
            &app,
            &trainer,
            Method::POST,
            &rel,
            serde_json::json!({"stage": 2, "team": "Blue"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = api(
            &app,
            &trainer,
            Method::POST,
            &rel,
            serde_json::json!({"stage": 1}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let mut buf = String::new();
        let data = next_event(&mut stream, "release", &mut buf).await;
        let ev: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(
            ev["stage"], 1,
            "Red's stream skipped Blue's release: {data}"
        );
        drop(stream);
        let (_, html) = app.get(&screen, "/exercise/team").await;
        assert!(html.contains("Stage 1:") && !html.contains("Stage 2:"));

        // Answers: members for their own team only; stage 2 went to Blue only.
        let (s, _) = api(
            &app,
            &frontline,
            Method::POST,
            &path,
            answer("Red", 1, q1, "Kai is caring for Poppy"),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = api(
            &app,
            &frontline,
            Method::POST,
            &path,
            answer("Blue", 1, q1, "not my team"),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = api(
            &app,
            &frontline,
            Method::POST,
            &path,
            answer("Red", 2, q2, "not released to Red"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(count(&app.store, "exercise_answers").await, 1);
        // The shared screen saves by form (as the script does).
        let t = csrf_in(&app.get(&screen, "/exercise/team").await.1);
        let r = screen
            .post(app.url("/exercise/team"))
            .header("accept", "application/json")
            .form(&[
                ("csrf_token", t.as_str()),
                (&format!("q{q1}"), "Kai (7) is caring for Poppy (3)"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let trainer_web = app.signed_in(Role::MashTrainer).await;
        let (_, console) = app
            .get(&trainer_web, &format!("/exercises/runs/{run_id}/console"))
            .await;
        assert!(console.contains("Kai (7) is caring for Poppy (3)"));
        assert!(console.contains(&red_code));
        let (_, views) = audit_events(&app.store, "exercise_run.view").await;
        assert!(
            views
                .iter()
                .any(|e| e.actor == username_for(Role::MashTrainer)
                    && e.summary == format!("Viewed the console of exercise run {run_id}")),
            "the console's members and answers are a view: {:?}",
            views.iter().map(|e| &e.summary).collect::<Vec<_>>()
        );

        // Partners see only the runs they are part of.
        let partner = app.signed_in(Role::PartnerReviewer).await;
        let (s, list) = app.get(&partner, "/exercises").await;
        assert_eq!(s, StatusCode::OK);
        assert!(list.contains(&format!("/exercises/runs/{run_id}/teams/{blue_id}")));
        assert!(!list.contains(&format!("/exercises/runs/{other_id}/")));
        let (s, _) = app
            .get(
                &partner,
                &format!("/exercises/runs/{run_id}/teams/{red_id}"),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "not their team");
        let (s, html) = app
            .get(
                &partner,
                &format!("/exercises/runs/{run_id}/teams/{blue_id}"),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Stage 2:") && html.contains("Stage 1:"));
        let (s, _) = app
            .get(&partner, &format!("/exercises/runs/{run_id}/debrief"))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Another run's code reaches only that run's team.
        let screen2 = client();
        let t = csrf_in(&app.get(&screen2, "/exercise").await.1);
        screen2
            .post(app.url("/exercise"))
            .form(&[("csrf_token", t.as_str()), ("code", green_code.as_str())])
            .send()
            .await
            .unwrap();
        let (_, html) = app.get(&screen2, "/exercise/team").await;
        assert!(html.contains("Green") && !html.contains("Red"));

        // The start form names the row and the reason, and writes nothing.
        let runs_before: i64 =
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM exercise_runs")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        let r = app
            .post_form(
                &trainer_web,
                "/exercises/runs/new",
                &[
                    ("scenario_id", &scenario_id.to_string()),
                    ("slots", "2"),
                    ("team1_name", "Red"),
                    ("team1_members", "NOBODY1"),
                    ("team2_name", "Blue"),
                    ("team2_partners", "Sam Lee"),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"), "{html}");
        assert!(html.contains("line 1: write the name, a comma, then the organisation"));
        let runs_after: i64 =
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM exercise_runs")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!(runs_before, runs_after);

        // The debrief shows the answer beside the model answer; ending the run stops the codes.
        let (s, debrief) = app
            .get(&trainer_web, &format!("/exercises/runs/{run_id}/debrief"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            debrief.contains("Kai (7) is caring for Poppy (3)") && debrief.contains("Model answer")
        );
        // Ending is irreversible: the console links to a page that asks first.
        let (_, console) = app
            .get(&trainer_web, &format!("/exercises/runs/{run_id}/console"))
            .await;
        assert!(console.contains(&format!("href=\"/exercises/runs/{run_id}/end\"")));
        let (s, confirm) = app
            .get(&trainer_web, &format!("/exercises/runs/{run_id}/end"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            confirm.contains("End the run?")
                && confirm.contains("cannot be undone")
                && confirm.contains("govuk-back-link"),
            "{confirm}"
        );
        let r = app
            .post_form(&trainer_web, &format!("/exercises/runs/{run_id}/end"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, console) = app.get(&trainer_web, &location(&r)).await;
        assert!(
            console.contains("The run has ended") && !console.contains("Action added"),
            "{console}"
        );
        let (s, _) = app.get(&screen, "/exercise/team").await;
        assert_eq!(s, StatusCode::SEE_OTHER, "the code stopped working");
        let (s, _) = app
            .get(
                &partner,
                &format!("/exercises/runs/{run_id}/teams/{blue_id}/events"),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "no stream for an ended run");
        let (_, html) = app
            .get(
                &partner,
                &format!("/exercises/runs/{run_id}/teams/{blue_id}"),
            )
            .await;
        assert!(html.contains("This exercise has ended") && !html.contains("data-exercise-events"));
        let r = client()
            .get(app.url(&format!("/exercises/runs/{run_id}/debrief.csv")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = trainer_web
            .get(app.url(&format!("/exercises/runs/{run_id}/debrief.csv")))
            .send()
            .await
            .unwrap();
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Kai (7) is caring for Poppy (3)"));
        let r = trainer_web
            .get(app.url(&format!("/exercises/runs/{run_id}/debrief.pdf")))
            .send()
            .await
            .unwrap();
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));
    });
}

/// A MASH staff account without a directory record, for a second or third facilitator.
async fn staff_account(app: &TestApp, username: &str) -> String {
    accounts::create(
        &app.store,
        &Actor::system(),
        accounts::NewAccount {
            username,
            roles: &[Role::MashStaff],
            staff_number: None,
            password: Some(PASSWORD),
        },
    )
    .await
    .unwrap();
    token_for_user(app, username).await
}

#[tokio::test]
async fn only_a_runs_facilitators_administrators_and_the_trainer_open_it() {
    on_both!(|app| {
        let owner = token_for(&app, Role::MashStaff).await;
        let co = staff_account(&app, "staff-co").await;
        let other = staff_account(&app, "staff-other").await;
        let admin = token_for(&app, Role::Administrator).await;
        let r = client()
            .get(app.url("/api/v1/exercise-scenarios"))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap();
        let list: serde_json::Value = r.json().await.unwrap();
        let scenario_id = list["items"][0]["id"].as_i64().unwrap();
        let q1 = list["items"][0]["stages"][0]["questions"][0]["id"]
            .as_i64()
            .unwrap();

        // A co-facilitator who cannot facilitate exercises is refused by name; nothing written.
        let (s, body) = api(
            &app,
            &owner,
            Method::POST,
            "/api/v1/exercise-runs",
            serde_json::json!({
                "scenario_id": scenario_id, "teams": [{"name": "Red"}],
                "co_facilitators": [username_for(Role::Frontline)]
            }),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("no role that can facilitate"));
        let (s, run) = api(
            &app,
            &owner,
            Method::POST,
            "/api/v1/exercise-runs",
            serde_json::json!({
                "scenario_id": scenario_id,
                "teams": [{"name": "Red", "members": [staff_for(Role::Frontline)]}],
                "co_facilitators": ["staff-co"]
            }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{run}");
        let id = run["id"].as_i64().unwrap();
        let red = run["teams"][0]["id"].as_i64().unwrap();

        // The other facilitator: 404 on the JSON API, as for a run that does not exist.
        let show = format!("/api/v1/exercise-runs/{id}");
        let rel = format!("/api/v1/exercise-runs/{id}/release");
        let ans = format!("/api/v1/exercise-runs/{id}/answers");
        let get = |token: String, path: String| {
            let url = app.url(&path);
            async move {
                client()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(
            get(other.clone(), show.clone()).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(other.clone(), format!("{show}/events")).await,
            StatusCode::NOT_FOUND
        );
        let (s, _) = api(
            &app,
            &other,
            Method::POST,
            &rel,
            serde_json::json!({"stage": 1}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let answer = serde_json::json!({"team": "Red", "stage": 1, "question": q1, "text": "x"});
        let (s, _) = api(&app, &other, Method::POST, &ans, answer.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let released: i64 =
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM exercise_releases")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!(released, 0, "the refused release wrote nothing");

        // The co-facilitator and an administrator can; the owner too.
        let (s, _) = api(
            &app,
            &co,
            Method::POST,
            &rel,
            serde_json::json!({"stage": 1}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = api(&app, &co, Method::POST, &ans, answer.clone()).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(get(co.clone(), show.clone()).await, StatusCode::OK);
        assert_eq!(get(admin.clone(), show.clone()).await, StatusCode::OK);
        assert_eq!(get(owner.clone(), show.clone()).await, StatusCode::OK);
        let v: serde_json::Value = client()
            .get(app.url(&show))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["facilitators"],
            serde_json::json!([username_for(Role::MashStaff), "staff-co"])
        );

        // Pages: the other facilitator gets 404 everywhere and does not see the run listed.
        let other_web = app.sign_in_as("staff-other").await;
        let co_web = app.sign_in_as("staff-co").await;
        let admin_web = app.signed_in(Role::Administrator).await;
        let trainer_web = app.signed_in(Role::MashTrainer).await;
        for path in [
            format!("/exercises/runs/{id}/console"),
            format!("/exercises/runs/{id}/console/events"),
            format!("/exercises/runs/{id}/projector"),
            format!("/exercises/runs/{id}/projector/events"),
            format!("/exercises/runs/{id}/debrief"),
            format!("/exercises/runs/{id}/debrief.csv"),
            format!("/exercises/runs/{id}/debrief.pdf"),
            format!("/exercises/runs/{id}/teams/{red}"),
        ] {
            let s = other_web.get(app.url(&path)).send().await.unwrap().status();
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        }
        for path in [
            format!("/exercises/runs/{id}/console"),
            format!("/exercises/runs/{id}/projector"),
            format!("/exercises/runs/{id}/debrief"),
        ] {
            for (who, c) in [
                ("co", &co_web),
                ("admin", &admin_web),
                ("trainer", &trainer_web),
            ] {
                let s = c.get(app.url(&path)).send().await.unwrap().status();
                assert_eq!(s, StatusCode::OK, "{who} {path}");
            }
        }
        let r = co_web
            .get(app.url(&format!("/exercises/runs/{id}/debrief.csv")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = app
            .post_form(
                &other_web,
                &format!("/exercises/runs/{id}/release"),
                &[("stage", "2")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = app
            .post_form(&other_web, &format!("/exercises/runs/{id}/end"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let (_, list) = app.get(&other_web, "/exercises").await;
        assert!(
            !list.contains(&format!("/exercises/runs/{id}/")),
            "not listed"
        );
        let (_, list) = app.get(&co_web, "/exercises").await;
        assert!(list.contains(&format!("/exercises/runs/{id}/console")));
        let (_, list) = app.get(&admin_web, "/exercises").await;
        assert!(list.contains(&format!("/exercises/runs/{id}/console")));

        // A co-facilitator cannot name others; the run's creator can, and then they can open it.
        let r = app
            .post_form(
                &co_web,
                &format!("/exercises/runs/{id}/facilitators"),
                &[("co_facilitator", "staff-other")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let owner_web = app.signed_in(Role::MashStaff).await;
        let r = app
            .post_form(
                &owner_web,
                &format!("/exercises/runs/{id}/facilitators"),
                &[("co_facilitator", "nobody-here")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("no account with username nobody-here"));
        let r = app
            .post_form(
                &owner_web,
                &format!("/exercises/runs/{id}/facilitators"),
                &[("co_facilitator", "staff-other")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (s, html) = app
            .get(&other_web, &format!("/exercises/runs/{id}/console"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("staff-co") && html.contains("staff-other"));
        assert_eq!(get(other.clone(), show.clone()).await, StatusCode::OK);
    });
}
