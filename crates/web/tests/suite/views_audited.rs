//! Every view of a person's personal data is in the audit trail: a completion (page and API),
//! the sign-off queue and the person edit form.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::audit_trail::{self, Actor, AuditEvent, AuditFilter};
use mashboard_store::training::completions::{self, NewCompletion};
use mashboard_store::Store;
use reqwest::StatusCode;

/// The events with this action on this entity key, newest first.
async fn events_on(store: &Store, action: &str, key: &str) -> Vec<AuditEvent> {
    let f = AuditFilter {
        action: action.into(),
        entity_key: key.into(),
        ..Default::default()
    };
    audit_trail::list(store, &f, 100).await.unwrap().1
}

/// A completion by the MASH staff member, whose line manager is the line manager's person:
/// waiting for their sign-off. Its id.
async fn completion_awaiting_sign_off(store: &Store) -> i64 {
    set_line_manager(
        store,
        &staff_for(Role::MashStaff),
        &staff_for(Role::LineManager),
    )
    .await;
    let (module_id, _) = training_fixture(store).await;
    completions::record(
        store,
        &Actor::system(),
        &NewCompletion {
            person_id: person_id(store, &staff_for(Role::MashStaff)).await,
            module_id,
            module_version: None,
            completed_on: "2026-11-10".into(),
            mode: "face_to_face".into(),
            trainer: String::new(),
            notes: String::new(),
            evidence_url: String::new(),
        },
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn viewing_a_completion_on_its_page_and_through_the_api_is_audited() {
    on_both!(|app| {
        let id = completion_awaiting_sign_off(&app.store).await;
        let staff = staff_for(Role::MashStaff);
        let manager = app.signed_in(Role::LineManager).await;
        let (s, html) = app.get(&manager, &format!("/completions/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("MASH induction"), "{html}");
        let views = events_on(&app.store, "completion.view", &id.to_string()).await;
        assert_eq!(views.len(), 1, "one view recorded");
        assert_eq!(views[0].actor, username_for(Role::LineManager));
        assert_eq!(views[0].entity.as_deref(), Some("completion"));
        assert!(
            views[0].summary.contains(&staff) && views[0].summary.contains("MASH-IND"),
            "names whose completion was seen: {}",
            views[0].summary
        );

        let token = token_for(&app, Role::LineManager).await;
        let (s, json) = app
            .api_json(
                &token,
                reqwest::Method::GET,
                &format!("/api/v1/completions/{id}"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(json["staff_number"], staff.as_str());
        let views = events_on(&app.store, "completion.view", &id.to_string()).await;
        assert_eq!(views.len(), 2, "the API read is recorded too");
        assert!(
            views[0].summary.contains(&staff) && views[0].summary.contains("through the API"),
            "{}",
            views[0].summary
        );

        // Someone who may not see it gets nothing, and no view is recorded.
        let other = app.signed_in(Role::Frontline).await;
        let (s, _) = app.get(&other, &format!("/completions/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(
            events_on(&app.store, "completion.view", &id.to_string())
                .await
                .len(),
            2
        );
    });
}

#[tokio::test]
async fn viewing_the_sign_off_queue_is_audited() {
    on_both!(|app| {
        let id = completion_awaiting_sign_off(&app.store).await;
        let manager = app.signed_in(Role::LineManager).await;
        let (s, html) = app.get(&manager, "/sign-offs").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains(&format!("/completions/{id}")), "{html}");
        let (_, events) = audit_events(&app.store, "completion.queue_view").await;
        assert_eq!(events.len(), 1, "one view of the queue recorded");
        assert_eq!(events[0].actor, username_for(Role::LineManager));
        assert_eq!(
            events[0].summary,
            "Viewed the sign-off queue (1 completion)"
        );
    });
}

#[tokio::test]
async fn opening_a_person_for_editing_is_audited_as_a_view_of_their_record() {
    on_both!(|app| {
        let admin = app.signed_in(Role::Administrator).await;
        let staff = staff_for(Role::Frontline);
        let (s, html) = app.get(&admin, &format!("/people/{staff}/edit")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Person "), "{html}");
        let views = events_on(&app.store, "person.view", &staff).await;
        assert_eq!(views.len(), 1, "the edit form shows the whole record");
        assert_eq!(views[0].actor, username_for(Role::Administrator));
        assert_eq!(views[0].entity.as_deref(), Some("person"));
        assert!(views[0].summary.contains(&staff), "{}", views[0].summary);
    });
}
