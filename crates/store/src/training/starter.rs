//! The starter catalogue: a new force's empty catalogue gets the modules, role programmes and
//! guidance tags the demo uses (`mashboard_domain::training_seed::starter_catalogue`). Nothing
//! is overwritten: a module or programme whose code already exists is kept as it is. All of it
//! is added in one transaction, with one audit event.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store};
use mashboard_domain::training::ModuleStatus;
use mashboard_domain::training_seed::starter_catalogue;
use serde::Serialize;
use std::collections::HashMap;
use time::Date;

/// What adding the starter catalogue did, by code.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct StarterReport {
    pub modules_added: Vec<String>,
    /// Modules whose code was already in the catalogue: left exactly as they were.
    pub modules_kept: Vec<String>,
    pub programmes_added: Vec<String>,
    pub programmes_kept: Vec<String>,
    pub tags_added: usize,
}

/// Adds the starter catalogue as it stands on `today`.
pub async fn add_starter(store: &Store, actor: &Actor, today: Date) -> Result<StarterReport> {
    let starter = starter_catalogue(today);
    let mut report = StarterReport::default();
    let mut tx = store.begin().await?;
    let now = now_text();

    for (name, description) in &starter.tags {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM guidance_tags WHERE name = $1")
                .bind(*name)
                .fetch_optional(&mut *tx)
                .await?;
        if existing.is_none() {
            sqlx::query("INSERT INTO guidance_tags (name, description) VALUES ($1, $2)")
                .bind(*name)
                .bind(*description)
                .execute(&mut *tx)
                .await?;
            report.tags_added += 1;
        }
    }

    let mut module_ids: HashMap<&str, i64> = HashMap::new();
    for m in &starter.modules {
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM modules WHERE code = $1")
            .bind(m.code)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(id) = existing {
            module_ids.insert(m.code, id);
            report.modules_kept.push(m.code.to_string());
            continue;
        }
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO modules (code, title, summary, kind, external_link, duration_minutes, owner_person_id, status,
                version, last_reviewed_on, review_by, cpd_topic, created_at, updated_at)
             VALUES ($1, $2, $3, $4, NULL, $5, NULL, $6, '1.0', NULL, $7, $8, $9, $9) RETURNING id",
        )
        .bind(m.code)
        .bind(m.title)
        .bind(m.summary)
        .bind(m.kind.as_str())
        .bind(i64::from(m.duration_minutes))
        .bind(ModuleStatus::Live.as_str())
        .bind(m.review_by.to_string())
        .bind(i64::from(m.cpd_topic))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO module_versions (module_id, version, published_at, published_by, change_note)
             VALUES ($1, '1.0', $2, $3, 'First version, from the starter catalogue')",
        )
        .bind(id)
        .bind(&now)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await?;
        let tags: Vec<String> = m.tags.iter().map(|t| t.to_string()).collect();
        super::catalogue::set_tags(&mut tx, id, &tags).await?;
        module_ids.insert(m.code, id);
        report.modules_added.push(m.code.to_string());
    }

    for p in &starter.profiles {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM role_profiles WHERE code = $1")
                .bind(p.code)
                .fetch_optional(&mut *tx)
                .await?;
        if existing.is_some() {
            report.programmes_kept.push(p.code.to_string());
            continue;
        }
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO role_profiles (code, name, description, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(p.code)
        .bind(p.name)
        .bind(p.description)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        for (code, due, renewal) in &p.items {
            sqlx::query(
                "INSERT INTO programme_items (profile_id, module_id, due_rule, renewal_rule) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(module_ids[code])
            .bind(due.encode())
            .bind(renewal.encode())
            .execute(&mut *tx)
            .await?;
        }
        report.programmes_added.push(p.code.to_string());
    }

    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "catalogue.starter",
            format!(
                "Added the starter catalogue: {} modules and {} role programmes added, {} modules and {} programmes already there kept",
                report.modules_added.len(),
                report.programmes_added.len(),
                report.modules_kept.len(),
                report.programmes_kept.len()
            ),
        )
        .on("catalogue", "starter")
        .after(&report),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}
