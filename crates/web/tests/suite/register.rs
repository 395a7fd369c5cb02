//! The incident and referral register through the real server, on both databases: the upload
//! page (a file refused with its rows, a mapping for another layout, a preview, then the import,
//! all or nothing), the register pages, and the register API (200, 404, and 403 for a partner
//! reviewer).

use mashboard_domain::Role;
use reqwest::{Client, Method, StatusCode};

use crate::common::*;

impl TestApp {
    async fn upload(&self, c: &Client, kind: &str, name: &str) -> (StatusCode, String) {
        let t = self.csrf_token(c).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", t)
            .text("kind", kind.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(fixture(&format!("register/{name}")))
                    .file_name(name.to_string()),
            );
        let r = c
            .post(self.url("/register/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.text().await.unwrap())
    }
}

#[tokio::test]
async fn a_refused_file_shows_its_rows_then_a_good_one_is_checked_and_imported_once() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (s, html) = app.get(&trainer, "/register/import").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("incident_ref, reported_at, category"));
        // No kind and no file: GOV.UK errors.
        let t = app.csrf_token(&trainer).await;
        let r = trainer
            .post(app.url("/register/import"))
            .multipart(reqwest::multipart::Form::new().text("csrf_token", t))
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains("Select what the file holds") && html.contains("Select a CSV file"));

        let (s, html) = app.upload(&trainer, "incidents", "incidents-bad.csv").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("The file cannot be imported"), "{html}");
        assert!(
            html.contains("3 problems were found in incidents-bad.csv"),
            "{html}"
        );
        assert!(
            html.contains("&quot;31/02/2024&quot; is not a real date")
                || html.contains("&#34;31/02/2024&#34; is not a real date"),
            "{html}"
        );
        assert!(html.contains("Incident INC-B-1 is also on row 2"), "{html}");
        assert_eq!(count(&app.store, "incidents").await, 0);

        let (_, html) = app
            .upload(&trainer, "incidents", "incidents-messy.csv")
            .await;
        assert!(html.contains("Check the import"), "{html}");
        assert!(html.contains("4 new incidents will be added"), "{html}");
        assert!(
            html.contains("Officer S999 is not in the people directory"),
            "{html}"
        );
        assert!(html.contains("INC-24-0003"), "first rows are shown");
        assert_eq!(
            count(&app.store, "incidents").await,
            0,
            "a check writes nothing"
        );
        let fields = [
            ("upload", hidden(&html, "upload")),
            ("kind", hidden(&html, "kind")),
            ("mapping", hidden(&html, "mapping")),
        ];
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app
            .post_form(&trainer, "/register/import/commit", &form)
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("Import complete"), "{html}");
        assert_eq!(count(&app.store, "incidents").await, 4);
        // The same upload cannot be imported twice.
        let r = app
            .post_form(&trainer, "/register/import/commit", &form)
            .await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("expired or was already imported"));
        // The same file again changes nothing.
        let (_, html) = app
            .upload(&trainer, "incidents", "incidents-messy.csv")
            .await;
        assert!(html.contains("4 are already up to date"), "{html}");
        assert_eq!(
            audit_actions(&app.store, "register.import").await,
            vec![
                "register.import_rejected",
                "register.import_checked",
                "register.import",
                "register.import_checked"
            ]
        );
        // MASH staff read the register but cannot import.
        let staff = app.signed_in(Role::MashStaff).await;
        assert_eq!(
            app.get(&staff, "/register/import").await.0,
            StatusCode::FORBIDDEN
        );
        let (s, html) = app
            .get(&staff, "/register/incidents?flag=domestic_abuse")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("2 incidents match these filters"), "{html}");
        let (s, html) = app
            .get(&staff, "/register/incidents?from=31%2F02%2F2024")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Enter the first day as a date"), "{html}");
        // The date is shown back as typed, and each page of a list is audited once.
        assert!(html.contains("value=\"31/02/2024\""), "{html}");
        assert_eq!(
            audit_actions(&app.store, "register.list").await,
            vec!["register.list", "register.list"]
        );
    });
}

#[tokio::test]
async fn another_layout_is_matched_column_by_column_and_the_mapping_saved() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (_, html) = app
            .upload(&trainer, "incidents", "incidents-other-layout.csv")
            .await;
        assert!(html.contains("Match the columns"), "{html}");
        assert!(
            html.contains("<option value=\"occurrence_no\" selected>Occurrence No</option>"),
            "{html}"
        );
        let upload = hidden(&html, "upload");
        let r = app
            .post_form(
                &trainer,
                "/register/import/preview",
                &[
                    ("upload", &upload),
                    ("kind", "incidents"),
                    ("action", "map"),
                    ("map_incident_ref", ""),
                    ("map_reported_at", "date_reported"),
                    ("map_children_involved", "kids_present"),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Choose the column that holds the incident reference"),
            "{html}"
        );
        let r = app
            .post_form(
                &trainer,
                "/register/import/preview",
                &[
                    ("upload", &upload),
                    ("kind", "incidents"),
                    ("action", "map"),
                    ("map_incident_ref", "occurrence_no"),
                    ("map_reported_at", "date_reported"),
                    ("map_children_involved", "kids_present"),
                    ("map_area", "beat"),
                    ("save_as", "Old RMS"),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("Check the import"), "{html}");
        assert!(html.contains("Mapping saved as"), "{html}");
        let r = app
            .post_form(
                &trainer,
                "/register/import/commit",
                &[
                    ("upload", &upload),
                    ("kind", "incidents"),
                    ("mapping", &hidden(&html, "mapping")),
                ],
            )
            .await;
        assert!(r.text().await.unwrap().contains("Import complete"));
        let i = mashboard_store::register::incident(&app.store, "OC/24/100")
            .await
            .unwrap()
            .unwrap();
        assert!(i.children_involved);
        assert_eq!(i.area, "Beat 4");
        let (s, html) = app.get(&trainer, "/register/incidents/OC%2F24%2F100").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Beat 4"));
        // The saved mapping is offered for the next file.
        let (_, html) = app
            .upload(&trainer, "incidents", "incidents-other-layout.csv")
            .await;
        assert!(html.contains("<option value=\"Old RMS\""), "{html}");
    });
}

#[tokio::test]
async fn the_register_api_answers_mash_roles_and_refuses_partner_reviewers() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        for (kind, file) in [
            ("incidents", "incidents-messy.csv"),
            ("referrals", "referrals-1252.csv"),
            ("outcomes", "outcomes-friendly.tsv"),
        ] {
            let (_, html) = app.upload(&trainer, kind, file).await;
            let fields = [
                ("upload", hidden(&html, "upload")),
                ("kind", hidden(&html, "kind")),
                ("mapping", hidden(&html, "mapping")),
            ];
            let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = app
                .post_form(&trainer, "/register/import/commit", &form)
                .await;
            assert!(
                r.text().await.unwrap().contains("Import complete"),
                "{file}"
            );
        }
        let staff_token = token_for(&app, Role::MashStaff).await;
        let partner_token = token_for(&app, Role::PartnerReviewer).await;
        let (s, body) = app
            .api_json(
                &staff_token,
                Method::GET,
                "/api/v1/referrals/PPN-0001",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["referral_ref"], "PPN-0001");
        assert_eq!(body["incident_ref"], "INC-24-0001");
        assert_eq!(body["subject_type"], "child");
        assert_eq!(body["officer_staff_number"], "S100");
        assert_eq!(body["submitted_at"], "2024-01-04T08:00:00");
        assert_eq!(body["partner"], "Children's social care");
        assert_eq!(body["officer_grade"], "high");
        assert_eq!(body["category"], "Domestic abuse");
        assert!(body["narrative"]
            .as_str()
            .unwrap()
            .contains("café flat.\nMother said"));
        assert_eq!(body["outcomes"][0]["outcome"], "accepted_s47");
        let (s, body) = app
            .api_json(
                &staff_token,
                Method::GET,
                "/api/v1/incidents/INC-24-0001",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["children_involved"], true);
        assert_eq!(body["referral_refs"][0], "PPN-0001");
        let (s, body) = app
            .api_json(
                &staff_token,
                Method::GET,
                "/api/v1/referrals/PPN-NOPE",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "not_found");
        let (s, _) = app
            .api_json(
                &staff_token,
                Method::GET,
                "/api/v1/incidents/INC-NOPE",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, body) = app
            .api_json(
                &partner_token,
                Method::GET,
                "/api/v1/referrals/PPN-0001",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(body["error"], "forbidden");
        let (s, _) = app
            .api_json(
                &partner_token,
                Method::GET,
                "/api/v1/incidents/INC-24-0001",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The pages: a view is audited; a partner reviewer is refused.
        let staff = app.signed_in(Role::MashStaff).await;
        let (s, html) = app.get(&staff, "/register/referrals/PPN-0001").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("café flat.") && html.contains("Accepted: section 47 enquiry"));
        assert!(html.contains("href=\"/register/incidents/INC-24-0001\""));
        let (s, html) = app
            .get(&staff, "/register/referrals?subject_type=adult")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("PPN-0002") && !html.contains("PPN-0003"),
            "{html}"
        );
        assert_eq!(
            app.get(&staff, "/register/referrals/NOPE").await.0,
            StatusCode::NOT_FOUND
        );
        let partner = app.signed_in(Role::PartnerReviewer).await;
        assert_eq!(
            app.get(&partner, "/register/referrals").await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            audit_actions(&app.store, "referral.view").await,
            vec!["referral.view", "referral.view"]
        );
        let spec = app.openapi().await;
        assert!(spec["paths"]["/api/v1/referrals/{referral_ref}"]["get"].is_object());
        assert!(spec["paths"]["/api/v1/incidents/{incident_ref}"]["get"].is_object());
    });
}
