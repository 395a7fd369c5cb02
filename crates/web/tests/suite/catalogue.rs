//! The module catalogue, guidance changes and role programmes, through the real server on both
//! databases: who may open what, GOV.UK form errors, versions, reviews, guidance flags and the
//! people they list, and programme rules built from the form and checked by the domain.

use mashboard_domain::Role;
use mashboard_store::audit_trail::Actor;
use mashboard_store::people;
use mashboard_store::training::{catalogue, completions, programmes};
use reqwest::{Client, StatusCode};

use crate::common::*;

impl TestApp {
    /// Adds a live module through the form and returns its id.
    async fn add_module(&self, c: &Client, code: &str, extra: &[(&str, &str)]) -> i64 {
        let mut fields = vec![
            ("code", code),
            ("title", "Test module"),
            ("summary", "What the test module covers"),
            ("kind", "face_to_face"),
            ("duration_minutes", "90"),
            ("status", "live"),
            ("version", "1.0"),
        ];
        for (k, v) in extra {
            fields.retain(|(name, _)| name != k);
            fields.push((k, v));
        }
        let r = self.post_form(c, "/training/modules/new", &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "adding module {code}");
        id_in(&location(&r), "/training/modules/")
    }
}

#[tokio::test]
async fn the_catalogue_is_open_to_internal_roles_and_managed_by_trainers() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let id = app.add_module(&trainer, "T-ONE", &[]).await;
        let module = format!("/training/modules/{id}");
        let officer = app.signed_in(Role::Frontline).await;
        let partner = app.signed_in(Role::PartnerReviewer).await;
        for path in ["/training/modules", module.as_str()] {
            assert_eq!(app.get(&officer, path).await.0, StatusCode::OK, "{path}");
            assert_eq!(app.get(&partner, path).await.0, StatusCode::FORBIDDEN);
        }
        for path in [
            "/training/modules/new",
            "/training/guidance",
            "/training/profiles",
        ] {
            assert_eq!(app.get(&officer, path).await.0, StatusCode::FORBIDDEN);
            assert_eq!(app.get(&trainer, path).await.0, StatusCode::OK, "{path}");
        }
        let (_, html) = app.get(&officer, &module).await;
        assert!(!html.contains("Publish a new version"), "read only");
        let (_, html) = app.get(&trainer, &module).await;
        assert!(html.contains("Publish a new version"));
        for path in [
            "/training/modules/abc",
            "/training/modules/999999",
            "/training/modules/1.5/edit",
            "/training/profiles/x",
            "/training/guidance/x",
        ] {
            assert_eq!(
                app.get(&trainer, path).await.0,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    });
}

#[tokio::test]
async fn adding_a_module_shows_errors_then_versions_are_published_and_kept() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let r = app
            .post_form(
                &trainer,
                "/training/modules/new",
                &[
                    ("code", "el-x"),
                    ("title", "National package"),
                    ("summary", "A package"),
                    ("kind", "e_learning"),
                    ("external_link", ""),
                    ("duration_minutes", "1.5"),
                    ("owner_staff_number", "NOBODY1"),
                    ("status", "live"),
                    ("version", "one"),
                    ("last_reviewed_on", "01/03/2025"),
                    ("review_by", "01/02/2025"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("<title>Error: "));
        for field in [
            "external_link",
            "duration_minutes",
            "owner_staff_number",
            "version",
            "review_by",
        ] {
            assert!(html.contains(&format!("href=\"#{field}\"")), "{field}");
            assert!(html.contains(&format!("id=\"{field}-error\"")), "{field}");
        }
        assert!(html.contains("value=\"National package\""), "typing kept");
        assert!(catalogue::module_by_code(&app.store, "EL-X")
            .await
            .unwrap()
            .is_none());

        let id = app
            .add_module(
                &trainer,
                "el-x",
                &[
                    ("kind", "e_learning"),
                    ("external_link", "https://learning.example.org/x"),
                    ("owner_staff_number", &staff_for(Role::MashTrainer)),
                    ("tags", "Test Act 2020; test act 2020; Other Guidance"),
                ],
            )
            .await;
        let m = catalogue::module(&app.store, id).await.unwrap().unwrap();
        assert_eq!(m.code, "EL-X");
        assert_eq!(m.version, "1.0");
        let mut tags = m.tag_list();
        tags.sort();
        assert_eq!(tags, vec!["Other Guidance", "Test Act 2020"], "case-blind");

        let r = app
            .post_form(
                &trainer,
                "/training/modules/new",
                &[
                    ("code", "EL-X"),
                    ("title", "Again"),
                    ("summary", "Again"),
                    ("kind", "reading"),
                    ("duration_minutes", "10"),
                    ("status", "draft"),
                    ("version", "1.0"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("already a module"));

        let publish = format!("/training/modules/{id}/publish");
        let r = app
            .post_form(
                &trainer,
                &publish,
                &[
                    ("version", "0.9"),
                    ("change_note", ""),
                    ("publish_reviewed_on", &today_uk()),
                    ("publish_review_by", "01/01/2099"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("must be later than the current version 1.0"));
        assert!(html.contains("href=\"#change_note\""));

        let r = app
            .post_form(
                &trainer,
                &publish,
                &[
                    ("version", "1.1"),
                    ("change_note", "Updated for the new Act"),
                    ("publish_reviewed_on", &today_uk()),
                    ("publish_review_by", "01/01/2099"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&trainer, &location(&r)).await;
        assert!(html.contains("The new version has been published"));
        assert!(html.contains("Updated for the new Act"));
        assert!(html.contains("First version"), "the old version is kept");
        let versions = catalogue::versions(&app.store, id).await.unwrap();
        assert_eq!(
            versions
                .iter()
                .map(|v| v.version.as_str())
                .collect::<Vec<_>>(),
            vec!["1.1", "1.0"]
        );

        let r = app
            .post_form(
                &trainer,
                &format!("/training/modules/{id}/edit"),
                &[
                    ("title", "National package, changed"),
                    ("summary", "A package"),
                    ("kind", "e_learning"),
                    ("external_link", ""),
                    ("duration_minutes", "30"),
                    ("status", "live"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "e-learning needs its link");
        assert!(r.text().await.unwrap().contains("href=\"#external_link\""));
    });
}

#[tokio::test]
async fn a_guidance_change_flags_modules_lists_who_trained_and_a_review_clears_it() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let id = app
            .add_module(
                &trainer,
                "T-FLAG",
                &[
                    ("tags", "Test Act 2020"),
                    ("last_reviewed_on", "01/01/2025"),
                    ("review_by", "01/01/2099"),
                    ("owner_staff_number", &staff_for(Role::MashTrainer)),
                ],
            )
            .await;
        let untagged = app.add_module(&trainer, "T-OTHER", &[]).await;
        let person = people::get(&app.store, &staff_for(Role::MashStaff))
            .await
            .unwrap()
            .unwrap();
        completions::record(
            &app.store,
            &Actor::system(),
            &completions::NewCompletion {
                person_id: person.id,
                module_id: id,
                module_version: None,
                completed_on: "2025-02-01".into(),
                mode: "face_to_face".into(),
                trainer: String::new(),
                notes: String::new(),
                evidence_url: String::new(),
            },
        )
        .await
        .unwrap();
        let tag = catalogue::tags(&app.store)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == "Test Act 2020")
            .unwrap();

        let r = app
            .post_form(
                &trainer,
                "/training/guidance",
                &[("tag_id", ""), ("changed_on", "31/02/2025"), ("note", "")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        for field in ["tag_id", "changed_on", "note"] {
            assert!(html.contains(&format!("href=\"#{field}\"")), "{field}");
        }

        let r = app
            .post_form(
                &trainer,
                "/training/guidance",
                &[
                    ("tag_id", &tag.id.to_string()),
                    ("changed_on", "01/06/2025"),
                    ("note", "Section 3 replaced"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "the result is shown at once");
        let html = r.text().await.unwrap();
        assert!(html.contains("Recorded a change on 1 June 2025: Section 3 replaced"));
        assert!(html.contains(&format!("href=\"/training/modules/{id}\"")));
        assert!(!html.contains(&format!("href=\"/training/modules/{untagged}\"")));
        assert!(html.contains(&format!("href=\"/people/{}\"", person.staff_number)));
        assert!(html.contains(&person.name));
        assert!(html.contains("1 February 2025"));

        let (_, html) = app
            .get(&trainer, &format!("/training/guidance/{}", tag.id))
            .await;
        assert!(html.contains(&person.name), "the tag's page lists them too");

        // The owner sees it among their modules needing review; others' modules are not there.
        let (_, html) = app.get(&trainer, "/training/modules?review=1&mine=1").await;
        assert!(html.contains("T-FLAG"));
        assert!(html.contains("Guidance changed"));
        assert!(!html.contains("T-OTHER"));
        let (_, html) = app.get(&trainer, &format!("/training/modules/{id}")).await;
        assert!(html.contains("govuk-warning-text"));

        let reviewed = format!("/training/modules/{id}/reviewed");
        let r = app
            .post_form(
                &trainer,
                &reviewed,
                &[
                    ("reviewed_on", "01/05/2025"),
                    ("next_review_by", "01/01/2099"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(location(&r).ends_with("saved=reviewed-flagged"));
        let m = catalogue::module(&app.store, id).await.unwrap().unwrap();
        assert!(m.guidance_flag.is_some(), "a review before the change");

        let r = app
            .post_form(
                &trainer,
                &reviewed,
                &[
                    ("reviewed_on", &today_uk()),
                    ("next_review_by", "01/01/2099"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let m = catalogue::module(&app.store, id).await.unwrap().unwrap();
        assert_eq!(m.guidance_flag, None);
        assert_eq!(m.version, "1.0", "reviewing keeps the version");
        assert_eq!(m.tag_list(), vec!["Test Act 2020"], "and the tags");
        let (_, html) = app.get(&trainer, &format!("/training/modules/{id}")).await;
        assert!(!html.contains("govuk-warning-text"));
        assert!(!html.contains("Guidance changed</strong>"));
    });
}

#[tokio::test]
async fn programme_rules_come_from_the_form_and_the_domain_checks_them() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let module = app.add_module(&trainer, "T-PROG", &[]).await;
        let draft = app
            .add_module(&trainer, "T-DRAFT", &[("status", "draft")])
            .await;

        let r = app
            .post_form(
                &trainer,
                "/training/profiles",
                &[("profile_code", ""), ("profile_name", "")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("href=\"#profile_code\""));
        let r = app
            .post_form(
                &trainer,
                "/training/profiles",
                &[
                    ("profile_code", "t-res"),
                    ("profile_name", "Test researcher"),
                    ("description", "A test role"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let profile = id_in(&location(&r), "/training/profiles/");
        let items = format!("/training/profiles/{profile}/items");

        let r = app
            .post_form(
                &trainer,
                &items,
                &[
                    ("module_id", &draft.to_string()),
                    ("due_kind", "days"),
                    ("due_days", "99999"),
                    ("renewal_kind", "window"),
                    ("window_from", "31/04"),
                    ("window_to", "30/06"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        for field in ["module_id", "due_days", "window_from"] {
            assert!(html.contains(&format!("href=\"#{field}\"")), "{field}");
        }
        assert!(!html.contains("href=\"#window_to\""));
        assert!(programmes::items(&app.store, profile)
            .await
            .unwrap()
            .is_empty());

        let r = app
            .post_form(
                &trainer,
                &items,
                &[
                    ("module_id", &module.to_string()),
                    ("due_kind", "days"),
                    ("due_days", "90"),
                    ("renewal_kind", "window"),
                    ("window_from", "1/4"),
                    ("window_to", "30/06"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let saved = programmes::items(&app.store, profile).await.unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].due_rule, "days:90");
        assert_eq!(saved[0].renewal_rule, "window:04-01..06-30");
        let (_, html) = app.get(&trainer, &location(&r)).await;
        assert!(html.contains("within 90 days of starting the role"));
        assert!(html.contains("every year between 1 April and 30 June"));
        assert!(html.contains("everyone on this profile (0 people)"));

        // Choosing it again changes its rules.
        let r = app
            .post_form(
                &trainer,
                &items,
                &[
                    ("module_id", &module.to_string()),
                    ("due_kind", "date"),
                    ("due_date", "31/03/2030"),
                    ("renewal_kind", "rolling"),
                    ("renewal_months", "12"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let saved = programmes::items(&app.store, profile).await.unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].due_rule, "date:2030-03-31");
        assert_eq!(saved[0].renewal_rule, "rolling:12");

        let remove = format!("/training/profiles/{profile}/items/{module}/remove");
        let r = app.post_form(&trainer, &remove, &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(programmes::items(&app.store, profile)
            .await
            .unwrap()
            .is_empty());
        let r = app.post_form(&trainer, &remove, &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    });
}

#[tokio::test]
async fn an_empty_catalogue_offers_the_starter_catalogue_and_adding_it_overwrites_nothing() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (_, html) = app.get(&trainer, "/training/modules").await;
        assert!(html.contains("Your catalogue is empty"), "{html}");
        assert!(html.contains("Add the starter catalogue"));
        let officer = app.signed_in(Role::Frontline).await;
        let (_, html) = app.get(&officer, "/training/modules").await;
        assert!(
            !html.contains("Add the starter catalogue"),
            "officers cannot add"
        );
        let r = app
            .post_form(&officer, "/training/modules/starter", &[])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(count(&app.store, "modules").await, 0);

        // A module the force already has keeps its own title.
        let own = app
            .add_module(&trainer, "FL-PPN", &[("title", "Our own referral input")])
            .await;
        let r = app
            .post_form(&trainer, "/training/modules/starter", &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&trainer, &location(&r)).await;
        assert!(
            html.contains("The starter catalogue has been added"),
            "{html}"
        );
        assert!(html.contains("1 with a code already in your catalogue was kept"));
        let fl = catalogue::module_by_code(&app.store, "FL-PPN")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fl.id, own);
        assert_eq!(fl.title, "Our own referral input");
        let modules = count(&app.store, "modules").await;
        assert!(modules > 10, "{modules} modules");
        let profiles = programmes::profiles(&app.store).await.unwrap();
        assert!(!profiles.is_empty());
        // The programmes use the force's own FL-PPN, not a second copy.
        assert_eq!(
            scalar(
                &app.store,
                "SELECT COUNT(*) FROM modules WHERE code = 'FL-PPN'"
            )
            .await,
            1
        );
        assert_eq!(
            audit_actions(&app.store, "catalogue.starter").await.len(),
            1
        );

        // Adding it again changes nothing.
        let r = app
            .post_form(&trainer, "/training/modules/starter", &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(count(&app.store, "modules").await, modules);
        assert_eq!(
            programmes::profiles(&app.store).await.unwrap().len(),
            profiles.len()
        );
        let (_, html) = app.get(&trainer, "/training/modules").await;
        assert!(!html.contains("Your catalogue is empty"));
    });
}
