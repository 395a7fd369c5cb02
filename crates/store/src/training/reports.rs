//! Reads for the training reports: the compliance matrix, the figures by role profile and
//! department, reminders and the trainer's CPD view. Statuses still come from
//! [`super::plans`]; these queries only add who is on which profile and which CPD to list.

use super::cpd::CpdEntry;
use crate::{Result, Store};
use serde::Serialize;

/// One open assignment of a person to a role profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OpenAssignment {
    pub person_id: i64,
    pub profile_id: i64,
    pub profile_code: String,
    pub profile_name: String,
}

/// Every open assignment of an active person, by profile name.
pub async fn open_assignments(store: &Store) -> Result<Vec<OpenAssignment>> {
    Ok(sqlx::query_as::<_, OpenAssignment>(
        "SELECT a.person_id, a.profile_id, r.code AS profile_code, r.name AS profile_name
         FROM assignments a
         JOIN role_profiles r ON r.id = a.profile_id
         JOIN people p ON p.id = a.person_id
         WHERE a.ended_on IS NULL AND p.active = 1
         ORDER BY r.name, a.person_id, a.id",
    )
    .fetch_all(store.pool())
    .await?)
}

/// A module a role profile requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProfileModule {
    pub profile_id: i64,
    pub module_id: i64,
}

/// Which modules each role profile requires.
pub async fn profile_modules(store: &Store) -> Result<Vec<ProfileModule>> {
    Ok(sqlx::query_as::<_, ProfileModule>(
        "SELECT profile_id, module_id FROM programme_items ORDER BY profile_id, module_id",
    )
    .fetch_all(store.pool())
    .await?)
}

/// The most recent CPD entries of everyone (newest first), for the trainer to count against a
/// module. `unmapped_only` leaves out entries already counted against one.
pub async fn recent_cpd(store: &Store, unmapped_only: bool, limit: i64) -> Result<Vec<CpdEntry>> {
    let filter = if unmapped_only {
        "WHERE e.counts_for_module_id IS NULL"
    } else {
        ""
    };
    Ok(sqlx::query_as::<_, CpdEntry>(&format!(
        "SELECT e.id, e.person_id, p.staff_number, p.name AS person_name, e.topic, e.done_on, e.minutes, e.kind,
            e.learning, e.evidence_url, e.status, e.review_comment, e.reviewed_by, e.reviewed_at, e.counts_for_module_id,
            m.title AS counts_for_module, e.source, p.line_manager_id
         FROM cpd_entries e JOIN people p ON p.id = e.person_id LEFT JOIN modules m ON m.id = e.counts_for_module_id
         {filter}
         ORDER BY e.done_on DESC, e.id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit_trail::Actor;
    use crate::training::{cpd, programmes};
    use mashboard_domain::people::PersonDraft;

    async fn store_with_person(url: &crate::DbUrl) -> (Store, i64) {
        let store = Store::open(url).await.unwrap();
        let p = PersonDraft {
            staff_number: "R1".into(),
            name: "Report Person".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        crate::people::import(&store, &Actor::system(), &[(2, p)], false, "test")
            .await
            .unwrap();
        let id = crate::people::get(&store, "R1").await.unwrap().unwrap().id;
        (store, id)
    }

    #[tokio::test]
    async fn assignments_programmes_and_recent_cpd_on_both_databases() {
        let (_dir, dbs) = crate::testing::both_databases().await;
        for (label, url) in dbs {
            let (store, person) = store_with_person(&url).await;
            let actor = Actor::system();
            let profile = programmes::create_profile(&store, &actor, "rp", "Report profile", "")
                .await
                .unwrap();
            programmes::assign(&store, &actor, person, profile, "2025-01-01")
                .await
                .unwrap();
            let open = open_assignments(&store).await.unwrap();
            assert_eq!(open.len(), 1, "{label}");
            assert_eq!(open[0].profile_code, "RP");
            assert_eq!(open[0].person_id, person);
            assert!(profile_modules(&store).await.unwrap().is_empty());
            let e = cpd::log(
                &store,
                &actor,
                &cpd::NewCpd {
                    person_id: person,
                    topic: "Stalking".into(),
                    done_on: "2025-02-01".into(),
                    minutes: 90,
                    kind: "course".into(),
                    learning: "Risk factors".into(),
                    evidence_url: String::new(),
                },
            )
            .await
            .unwrap();
            let all = recent_cpd(&store, true, 10).await.unwrap();
            assert_eq!(all.len(), 1, "{label}");
            assert_eq!(all[0].id, e.id);
            assert_eq!(all[0].person_name, "Report Person");
            assert_eq!(recent_cpd(&store, true, 0).await.unwrap().len(), 0);
            store.close().await;
        }
    }
}
