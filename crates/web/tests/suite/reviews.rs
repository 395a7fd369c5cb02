//! Quarterly referral quality reviews through the real server on both databases: a reproducible
//! sample, a panel of a senior leader and a partner reviewer grading blind (the partner on a
//! pseudonymised copy), moderation of a disagreement, the summary figures against scipy and the
//! krippendorff package, closing, and the officer's feedback.

use mashboard_domain::Role;
use mashboard_store::Store;
use reqwest::StatusCode;

use crate::common::*;

/// 30 referrals submitted from January to March 2026 by the frontline officer, each naming a
/// child, plus one outside the period.
async fn seed_referrals(store: &Store) {
    let officer: i64 = sqlx::query_scalar("SELECT id FROM people WHERE staff_number = $1")
        .bind(staff_for(Role::Frontline))
        .fetch_one(store.pool())
        .await
        .unwrap();
    for i in 0..31 {
        let (submitted, r) = if i == 30 {
            ("2026-04-01T09:00:00".to_string(), "PPN-OUTSIDE".to_string())
        } else {
            (
                format!("2026-{:02}-{:02}T10:00:00", 1 + i / 10, 1 + i % 10),
                format!("PPN-{i:03}"),
            )
        };
        sqlx::query(
            "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category, officer_grade,
                officer_staff_number, officer_person_id, partner, narrative, imported_at, updated_at)
             VALUES ($1, $2, $3, 'child', 'Neglect', 'Medium', $4, $5, 'Children''s social care', $6, $7, $7)",
        )
        .bind(&r)
        .bind(format!("INC-{i:03}"))
        .bind(&submitted)
        .bind(staff_for(Role::Frontline))
        .bind(officer)
        .bind(format!(
            "Officers attended 12 Oak Road. Jayden Smith (born 03/04/2019) was alone; Jayden said he had not eaten. Referral {r}."
        ))
        .bind("2026-04-02T00:00:00Z")
        .execute(store.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO referral_people (referral_ref, role, name, date_of_birth, address, area)
             VALUES ($1, 'child', 'Jayden Smith', '2019-04-03', '12 Oak Road', 'Northfield')",
        )
        .bind(&r)
        .execute(store.pool())
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_quarterly_review_runs_from_sample_to_feedback_with_blind_grading_and_honest_figures() {
    use reqwest::Method;
    on_both!(|app| {
        seed_referrals(&app.store).await;
        let trainer = token_for(&app, Role::MashTrainer).await;
        let leader = token_for(&app, Role::SeniorLeader).await;
        let partner = token_for(&app, Role::PartnerReviewer).await;
        let frontline = token_for(&app, Role::Frontline).await;

        // The sample: the frame is the period's referrals, both days inclusive; a seed repeats it.
        let body = serde_json::json!({"period_start": "2026-01-01", "period_end": "2026-03-31", "sample_size": 10, "seed": 42});
        let (s, first) = api(
            &app,
            &trainer,
            Method::POST,
            "/api/v1/quality-reviews",
            body.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        assert_eq!(first["frame_size"], 30);
        assert_eq!(first["seed"], 42);
        let sample: Vec<String> = serde_json::from_value(first["sample"].clone()).unwrap();
        assert_eq!(sample.len(), 10);
        assert!(!sample.contains(&"PPN-OUTSIDE".to_string()));
        let (_, again) = api(
            &app,
            &trainer,
            Method::POST,
            "/api/v1/quality-reviews",
            body,
        )
        .await;
        assert_eq!(
            again["sample"], first["sample"],
            "the same seed over the same frame draws the same sample"
        );
        let (s, too_big) = api(&app, &trainer, Method::POST, "/api/v1/quality-reviews",
            serde_json::json!({"period_start": "2026-01-01", "period_end": "2026-03-31", "sample_size": 31})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            too_big["message"]
                .as_str()
                .unwrap_or_default()
                .contains("larger than the frame"),
            "{too_big}"
        );
        let (s, _) = api(
            &app,
            &frontline,
            Method::POST,
            "/api/v1/quality-reviews",
            serde_json::json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let id = first["id"].as_i64().unwrap();

        // The panel: senior leaders and partner reviewers only.
        let (s, refused) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/quality-reviews/{id}/panel"),
            serde_json::json!({"usernames": [username_for(Role::Frontline)]}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        let (s, _) = api(&app, &trainer, Method::PUT, &format!("/api/v1/quality-reviews/{id}/panel"),
            serde_json::json!({"usernames": [username_for(Role::SeniorLeader), username_for(Role::PartnerReviewer)]})).await;
        assert_eq!(s, StatusCode::OK);
        let (_, listed) = api(
            &app,
            &partner,
            Method::GET,
            "/api/v1/quality-reviews",
            serde_json::json!(null),
        )
        .await;
        assert_eq!(
            listed["items"].as_array().unwrap().len(),
            1,
            "a partner sees only the review they sit on"
        );

        // The partner reads a pseudonymised copy.
        let pc = app.signed_in(Role::PartnerReviewer).await;
        let (s, html) = app
            .get(
                &pc,
                &format!("/quality/reviews/{id}/referrals/{}", sample[0]),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Child A"), "labels replace names");
        assert!(
            !html.contains("Jayden") && !html.contains("Oak Road") && !html.contains("03/04/2019"),
            "no name, address or date of birth leaks"
        );
        let lc = app.signed_in(Role::SeniorLeader).await;
        let (_, html) = app
            .get(
                &lc,
                &format!("/quality/reviews/{id}/referrals/{}", sample[0]),
            )
            .await;
        assert!(
            html.contains("Jayden Smith"),
            "a police grader reads the referral as written"
        );

        // Blind grading.
        let agreed = [1, 2, 2, 2, 2, 2, 3, 3, 3, 4];
        let second = [1, 2, 2, 3, 2, 2, 3, 4, 3, 2];
        let (s, bad) = api(
            &app,
            &partner,
            Method::POST,
            &format!("/api/v1/quality-reviews/{id}/grades"),
            serde_json::json!({"referral_ref": sample[0], "grade": 5}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let (s, _) = api(
            &app,
            &trainer,
            Method::POST,
            &format!("/api/v1/quality-reviews/{id}/grades"),
            serde_json::json!({"referral_ref": sample[0], "grade": 3}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "someone not on the panel cannot grade"
        );
        let (s, _) = api(
            &app,
            &partner,
            Method::POST,
            &format!("/api/v1/quality-reviews/{id}/grades"),
            serde_json::json!({"referral_ref": "PPN-OUTSIDE", "grade": 3}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "only sampled referrals are graded"
        );
        for (i, r) in sample.iter().enumerate() {
            let (s, _) = api(&app, &partner, Method::POST, &format!("/api/v1/quality-reviews/{id}/grades"),
                serde_json::json!({"referral_ref": r, "grade": agreed[i], "comment": "The child's voice is missing"})).await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let (_, page) = app.get(&lc, &format!("/quality/reviews/{id}")).await;
        assert!(
            !page.contains(&format!("{}: ", username_for(Role::PartnerReviewer))),
            "a grader cannot see others' grades before submitting"
        );
        let (s, _) = api(
            &app,
            &leader,
            Method::GET,
            &format!("/api/v1/quality-reviews/{id}/summary"),
            serde_json::json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "nor the summary");
        for (i, r) in sample.iter().enumerate() {
            let (s, _) = api(
                &app,
                &leader,
                Method::POST,
                &format!("/api/v1/quality-reviews/{id}/grades"),
                serde_json::json!({"referral_ref": r, "grade": second[i]}),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let r = app
            .post_form(&lc, &format!("/quality/reviews/{id}/submit"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.get(&lc, &format!("/quality/reviews/{id}")).await;
        assert!(
            page.contains(&format!(
                "{}: 4 (excellent)",
                username_for(Role::PartnerReviewer)
            )),
            "after submitting the panel's grades show"
        );
        assert!(
            page.contains("Grades differ by more than one"),
            "the 4 against a 2 is flagged for moderation"
        );

        // Moderation: the owner records agreed grades.
        let (s, _) = api(
            &app,
            &leader,
            Method::POST,
            &format!("/api/v1/quality-reviews/{id}/agreed-grades"),
            serde_json::json!({"referral_ref": sample[0], "grade": 1}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for (i, r) in sample.iter().enumerate() {
            let (s, _) = api(&app, &trainer, Method::POST, &format!("/api/v1/quality-reviews/{id}/agreed-grades"),
                serde_json::json!({"referral_ref": r, "grade": agreed[i], "comment": format!("Agreed feedback {i}")})).await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let (s, sum) = api(
            &app,
            &trainer,
            Method::GET,
            &format!("/api/v1/quality-reviews/{id}/summary"),
            serde_json::json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{sum}");
        assert_eq!(sum["n"], 10);
        assert_eq!(sum["pending"], 0);
        assert_eq!(
            sum["counts"],
            serde_json::json!({"1": 1, "2": 5, "3": 3, "4": 1})
        );
        assert!((sum["mean"].as_f64().unwrap() - 2.4).abs() < 1e-12);
        assert_eq!(sum["median"], 2.0);
        // scipy.stats.t.interval(0.95, 9, loc=2.4, scale=sem(grades))
        assert!((sum["mean_ci95"][0].as_f64().unwrap() - 1.796_758_09).abs() < 1e-6);
        assert!((sum["mean_ci95"][1].as_f64().unwrap() - 3.003_241_91).abs() < 1e-6);
        // krippendorff.alpha([agreed, second], level_of_measurement="ordinal")
        assert!(
            (sum["krippendorff_alpha_ordinal"].as_f64().unwrap() - 0.622_695_035_460_992_8).abs()
                < 1e-9,
            "{sum}"
        );

        // Close, and the officer reads the feedback.
        let tc = app.signed_in(Role::MashTrainer).await;
        for to in ["moderation", "closed"] {
            if to == "closed" {
                // Closing asks first: the review page links to a confirmation page whose
                // button posts the move, and nothing has closed yet.
                let (s, page) = app.get(&tc, &format!("/quality/reviews/{id}")).await;
                assert_eq!(s, StatusCode::OK);
                assert!(page.contains(&format!("href=\"/quality/reviews/{id}/close\"")));
                let (s, confirm) = app.get(&tc, &format!("/quality/reviews/{id}/close")).await;
                assert_eq!(s, StatusCode::OK);
                assert!(confirm.contains("Close this review?"), "{confirm}");
                assert!(confirm.contains("name=\"csrf_token\""));
                assert!(confirm.contains("Back to the review"));
                let (_, page) = app.get(&tc, &format!("/quality/reviews/{id}")).await;
                assert!(page.contains("Moderation"), "not closed by looking");
            }
            let r = app
                .post_form(&tc, &format!("/quality/reviews/{id}/status"), &[("to", to)])
                .await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "to {to}");
        }
        let (s, _) = api(
            &app,
            &partner,
            Method::POST,
            &format!("/api/v1/quality-reviews/{id}/grades"),
            serde_json::json!({"referral_ref": sample[0], "grade": 2}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::CONFLICT,
            "a closed review's grades no longer change"
        );
        let (s, html) = app.get(&tc, &format!("/quality/reviews/{id}/result")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("1.80 to 3.00") && html.contains("0.623"),
            "the result page shows the interval and alpha"
        );
        assert!(
            html.contains("Voice of the child") || html.contains("voice"),
            "themes from comments"
        );
        let fc = app.signed_in(Role::Frontline).await;
        let (s, html) = app.get(&fc, "/my/feedback").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Agreed feedback 0") && html.contains(&sample[0]));
        assert!(
            audit_actions(&app.store, "quality_review.feedback_view")
                .await
                .is_empty(),
            "reading one's own feedback is not a view of anyone else's"
        );
        // Their line manager reads it as their team's: that view is audited.
        set_line_manager(
            &app.store,
            &staff_for(Role::Frontline),
            &staff_for(Role::LineManager),
        )
        .await;
        let lm = app.signed_in(Role::LineManager).await;
        let (_, html) = app.get(&lm, "/my/feedback").await;
        assert!(html.contains("Agreed feedback 0"), "{html}");
        let (_, views) = audit_events(&app.store, "quality_review.feedback_view").await;
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].actor, username_for(Role::LineManager));
        let (s, csv) = app
            .get(&tc, &format!("/quality/reviews/{id}/export.csv"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            csv.lines().count(),
            1 + 30,
            "a row per individual grade and per agreed grade"
        );
    });
}

/// Text as askama writes it into HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// An error summary line: the link as written, its words escaped.
fn esc_html(link: &str, title: &str) -> String {
    let (head, rest) = link.split_at(link.find('>').unwrap() + 1);
    let words = &rest[..rest.len() - "</a>".len()];
    let _ = title;
    format!("{head}{}</a>", escape(words))
}

/// A review of May 2026's two referrals: one about an adult with no child in the household,
/// one about a child.
async fn seed_adult_and_child(store: &Store) {
    for (r, subject) in [("PPN-ADULT", "adult"), ("PPN-CHILD", "child")] {
        sqlx::query(
            "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category, officer_grade,
                officer_staff_number, partner, narrative, imported_at, updated_at)
             VALUES ($1, '', '2026-05-04T10:00:00', $2, 'Self-neglect', 'Medium', $3, 'Adult social care', 'Officers attended.', $4, $4)",
        )
        .bind(r)
        .bind(subject)
        .bind(staff_for(Role::Frontline))
        .bind("2026-05-05T00:00:00Z")
        .execute(store.pool())
        .await
        .unwrap();
    }
}

/// The active criteria's (id, code, title), in rubric order.
async fn rubric(store: &Store) -> Vec<(i64, String, String)> {
    sqlx::query_as("SELECT id, code, title FROM rubric_criteria WHERE active = 1 ORDER BY position")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

/// Every criterion scored `score`, except those in `except` (code, value: "na", a score, or
/// "" to leave it out).
fn criteria_form(
    rubric: &[(i64, String, String)],
    score: &str,
    except: &[(&str, &str)],
) -> Vec<(String, String)> {
    rubric
        .iter()
        .filter_map(|(id, code, _)| {
            let v = except
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, v)| v.to_string())
                .unwrap_or_else(|| score.to_string());
            (!v.is_empty()).then(|| (format!("criterion-{id}"), v))
        })
        .collect()
}

#[tokio::test]
async fn a_criterion_can_be_not_applicable_and_is_left_out_of_its_figures() {
    use reqwest::Method;
    on_both!(|app| {
        seed_adult_and_child(&app.store).await;
        let trainer = token_for(&app, Role::MashTrainer).await;
        let (s, drawn) = api(&app, &trainer, Method::POST, "/api/v1/quality-reviews",
            serde_json::json!({"period_start": "2026-05-01", "period_end": "2026-05-31", "sample_size": 2, "seed": 7})).await;
        assert_eq!(s, StatusCode::CREATED, "{drawn}");
        let id = drawn["id"].as_i64().unwrap();
        let (s, _) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/quality-reviews/{id}/panel"),
            serde_json::json!({"usernames": [username_for(Role::SeniorLeader)]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let rubric = rubric(&app.store).await;
        let (voice_id, _, _) = rubric
            .iter()
            .find(|(_, c, _)| c == "voice")
            .unwrap()
            .clone();
        let (risk_id, _, risk_title) = rubric.iter().find(|(_, c, _)| c == "risk").unwrap().clone();

        // The grading form: one page, every criterion a fieldset of radios with Not applicable.
        let lc = app.signed_in(Role::SeniorLeader).await;
        let path = format!("/quality/reviews/{id}/referrals/PPN-ADULT");
        let (s, form) = app.get(&lc, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            form.matches("<fieldset").count(),
            rubric.len() + 1,
            "one per criterion and the overall grade"
        );
        assert!(
            form.contains(&format!("id=\"criterion-{voice_id}-na\""))
                && form.contains("Not applicable")
        );

        // A missing criterion: the error summary names it and links to its first radio, and
        // what was chosen stays chosen.
        let mut fields = criteria_form(&rubric, "3", &[("voice", "na"), ("risk", "")]);
        fields.push(("grade".into(), "3".into()));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app.post_form(&lc, &path, &pairs).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(page.contains("govuk-error-summary"), "{page}");
        assert!(
            page.contains(&esc_html(&format!("<a href=\"#criterion-{risk_id}\">Score \"{risk_title}\" from 1 to 4, or choose Not applicable</a>"), &risk_title)),
            "{page}"
        );
        assert!(
            page.contains(&format!(
                "id=\"criterion-{risk_id}\" name=\"criterion-{risk_id}\""
            )),
            "the link's target is the first radio"
        );
        assert!(
            page.contains(&format!("id=\"criterion-{voice_id}-na\" name=\"criterion-{voice_id}\" type=\"radio\" value=\"na\" checked")),
            "the not applicable chosen is kept"
        );
        assert_eq!(
            count(&app.store, "quality_grades").await,
            0,
            "nothing saved"
        );

        // The adult referral with the child's voice not applicable saves; the child referral is
        // weak on it.
        let mut fields = criteria_form(&rubric, "3", &[("voice", "na")]);
        fields.push(("grade".into(), "3".into()));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app.post_form(&lc, &path, &pairs).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let stored: Vec<Option<i64>> = sqlx::query_scalar(
            "SELECT s.score FROM quality_criterion_scores s WHERE s.criterion_id = $1",
        )
        .bind(voice_id)
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert_eq!(stored, [None], "not applicable is stored as no score");
        let mut fields = criteria_form(&rubric, "3", &[("voice", "2")]);
        fields.push(("grade".into(), "2".into()));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app
            .post_form(
                &lc,
                &format!("/quality/reviews/{id}/referrals/PPN-CHILD"),
                &pairs,
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = app
            .post_form(&lc, &format!("/quality/reviews/{id}/submit"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        // Moderation: the agreed scores are prefilled where the grader was alone, not
        // applicable included, and the owner saves them as they stand.
        let tc = app.signed_in(Role::MashTrainer).await;
        let r = app
            .post_form(
                &tc,
                &format!("/quality/reviews/{id}/status"),
                &[("to", "moderation")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, review) = app.get(&tc, &format!("/quality/reviews/{id}")).await;
        assert!(
            review.contains(&format!("id=\"agreed-PPN-ADULT-criterion-{voice_id}-na\" name=\"criterion-{voice_id}\" type=\"radio\" value=\"na\" checked")),
            "{review}"
        );
        for (r, grade, voice) in [("PPN-ADULT", "3", "na"), ("PPN-CHILD", "2", "2")] {
            let mut fields = criteria_form(&rubric, "3", &[("voice", voice)]);
            fields.push(("grade".into(), grade.into()));
            fields.push(("referral_ref".into(), r.into()));
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let resp = app
                .post_form(&tc, &format!("/quality/reviews/{id}/agreed"), &pairs)
                .await;
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{r}");
        }
        // Half a set of agreed scores is refused, naming what is missing.
        let mut fields = criteria_form(&rubric, "3", &[("risk", "")]);
        fields.push(("grade".into(), "3".into()));
        fields.push(("referral_ref".into(), "PPN-ADULT".into()));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let resp = app
            .post_form(&tc, &format!("/quality/reviews/{id}/agreed"), &pairs)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let page = resp.text().await.unwrap();
        assert!(
            page.contains(&format!(
                "<a href=\"#agreed-PPN-ADULT\">Agreed scores for PPN-ADULT: score &#34;{}&#34;",
                escape(&risk_title)
            )),
            "{page}"
        );

        // The result: the child's voice scored once (a 2: weak, mean 2.00) and not applicable
        // once; counting the not applicable as a score would give two scored and a mean of 1.
        let (s, result) = app.get(&tc, &format!("/quality/reviews/{id}/result")).await;
        assert_eq!(s, StatusCode::OK);
        let row_at = result
            .find(&format!(
                "{}</th>",
                escape("The child's lived experience and voice")
            ))
            .expect("a row for the child's voice");
        let row = &result[row_at..row_at + result[row_at..].find("</tr>").unwrap()];
        let cells: Vec<&str> = row
            .split("govuk-table__cell--numeric\"")
            .skip(1)
            .map(|c| {
                let c = c.trim_start_matches(" data-label=\"Not applicable\"");
                &c[1..c.find("</td>").unwrap()]
            })
            .collect();
        assert_eq!(
            cells,
            ["1", "1", "2.00", "1"],
            "weak, scored, mean, not applicable: {row}"
        );
        assert!(result.contains("Not applicable"));

        // The export says n/a; the API counts it apart.
        let (s, csv) = app
            .get(&tc, &format!("/quality/reviews/{id}/export.csv"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            csv.contains("voice=n/a") && csv.contains("voice=2"),
            "{csv}"
        );
        let (s, sum) = api(
            &app,
            &trainer,
            Method::GET,
            &format!("/api/v1/quality-reviews/{id}/summary"),
            serde_json::json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let voice = sum["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "voice")
            .unwrap()
            .clone();
        assert_eq!(voice["not_applicable"], 1, "{voice}");
        assert_eq!(voice["scored"], 1);
        assert_eq!(voice["mean"], 2.0);
        assert_eq!(voice["counts"], serde_json::json!([0, 1, 0, 0]));

        // The API grades with "na" as well, and refuses what is neither a score nor n/a.
        let (s, bad) = api(&app, &trainer, Method::POST, &format!("/api/v1/quality-reviews/{id}/agreed-grades"),
            serde_json::json!({"referral_ref": "PPN-ADULT", "grade": 3, "criteria": {"voice": "maybe"}})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        let (s, _) = api(&app, &trainer, Method::POST, &format!("/api/v1/quality-reviews/{id}/agreed-grades"),
            serde_json::json!({"referral_ref": "PPN-ADULT", "grade": 3, "criteria": {"voice": "na", "risk": 4}})).await;
        assert_eq!(s, StatusCode::CREATED);

        // A review with not applicable scores closes like any other.
        let r = app
            .post_form(
                &tc,
                &format!("/quality/reviews/{id}/status"),
                &[("to", "closed")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        // The officer weak on the child's voice is recommended training; the result page then
        // names them, and that view is audited.
        exec(
            &app.store,
            "UPDATE referrals SET officer_person_id = (SELECT id FROM people WHERE staff_number = $1) WHERE referral_ref = 'PPN-CHILD'",
            &[&staff_for(Role::Frontline)],
        )
        .await;
        let r = app
            .post_form(&tc, &format!("/quality/reviews/{id}/recommend"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(audit_actions(&app.store, "quality_review.result_view")
            .await
            .is_empty());
        let (_, result) = app.get(&tc, &format!("/quality/reviews/{id}/result")).await;
        assert!(
            result.contains(&format!("({})", staff_for(Role::Frontline))),
            "{result}"
        );
        let (_, views) = audit_events(&app.store, "quality_review.result_view").await;
        assert_eq!(views.len(), 1);
        assert_eq!(
            views[0].entity_key.as_deref(),
            Some(id.to_string().as_str())
        );
    });
}
