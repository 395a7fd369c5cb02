//! Partner training exchange: partner organisations and their contacts (no accounts),
//! partner-provided modules (catalogue modules with a provider), external attendees at
//! sessions, and the facts behind the quarterly exchange summary. Every change is audited in
//! its own transaction; views of contacts and attendees are audited by the pages.

use crate::audit_trail::{self, Actor, Event};
use crate::training::catalogue::{self, ModuleInput};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::partners::{
    ContactInput, Direction, ExchangeFact, ExternalInput, ExternalStatus, OrgInput,
    PartnerCompletion,
};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PartnerOrg {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub notes: String,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
    pub contacts: i64,
    pub modules: i64,
    pub created_at: String,
    pub updated_at: String,
}

const SELECT_ORG: &str = "SELECT o.id, o.name, o.kind, o.notes, o.active,
        CAST((SELECT COUNT(*) FROM partner_contacts c WHERE c.org_id = o.id) AS BIGINT) AS contacts,
        CAST((SELECT COUNT(*) FROM modules m WHERE m.provider_org_id = o.id) AS BIGINT) AS modules,
        o.created_at, o.updated_at
    FROM partner_orgs o";

/// Every partner organisation, by kind then name.
pub async fn orgs(store: &Store) -> Result<Vec<PartnerOrg>> {
    Ok(
        sqlx::query_as::<_, PartnerOrg>(&format!("{SELECT_ORG} ORDER BY o.kind, o.name"))
            .fetch_all(store.pool())
            .await?,
    )
}

pub async fn org(store: &Store, id: i64) -> Result<Option<PartnerOrg>> {
    Ok(
        sqlx::query_as::<_, PartnerOrg>(&format!("{SELECT_ORG} WHERE o.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

pub async fn org_by_name(store: &Store, name: &str) -> Result<Option<PartnerOrg>> {
    Ok(
        sqlx::query_as::<_, PartnerOrg>(&format!("{SELECT_ORG} WHERE LOWER(o.name) = LOWER($1)"))
            .bind(name.trim())
            .fetch_optional(store.pool())
            .await?,
    )
}

fn duplicate_name(e: sqlx::Error, name: &str) -> StoreError {
    if crate::is_unique_violation(&e) {
        StoreError::Conflict(format!(
            "There is already a partner organisation called {name}"
        ))
    } else {
        e.into()
    }
}

pub async fn create_org(store: &Store, actor: &Actor, o: &OrgInput) -> Result<PartnerOrg> {
    if org_by_name(store, &o.name).await?.is_some() {
        return Err(StoreError::Conflict(format!(
            "There is already a partner organisation called {}",
            o.name
        )));
    }
    let mut tx = store.begin().await?;
    let now = now_text();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO partner_orgs (name, kind, notes, active, created_at, updated_at)
         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
    )
    .bind(&o.name)
    .bind(o.kind.as_str())
    .bind(&o.notes)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| duplicate_name(e, &o.name))?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "partner_org.create",
            format!("Added partner organisation {}", o.name),
        )
        .on("partner_org", id.to_string())
        .after(&serde_json::json!({"name": o.name, "kind": o.kind.as_str(), "notes": o.notes})),
    )
    .await?;
    tx.commit().await?;
    org(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("organisation vanished".into()))
}

pub async fn update_org(
    store: &Store,
    actor: &Actor,
    id: i64,
    o: &OrgInput,
    active: bool,
) -> Result<PartnerOrg> {
    let before = org(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such partner organisation".into()))?;
    if let Some(other) = org_by_name(store, &o.name).await? {
        if other.id != id {
            return Err(StoreError::Conflict(format!(
                "There is already a partner organisation called {}",
                o.name
            )));
        }
    }
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE partner_orgs SET name = $1, kind = $2, notes = $3, active = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(&o.name)
    .bind(o.kind.as_str())
    .bind(&o.notes)
    .bind(i64::from(active))
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| duplicate_name(e, &o.name))?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "partner_org.update",
            format!("Changed partner organisation {}", o.name),
        )
        .on("partner_org", id.to_string())
        .before(&serde_json::json!({"name": before.name, "kind": before.kind, "notes": before.notes, "active": before.active}))
        .after(&serde_json::json!({"name": o.name, "kind": o.kind.as_str(), "notes": o.notes, "active": active})),
    )
    .await?;
    tx.commit().await?;
    org(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("organisation vanished".into()))
}

// ---------------------------------------------------------------------------------------------
// Contacts

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Contact {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub job_title: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub async fn contacts(store: &Store, org_id: i64) -> Result<Vec<Contact>> {
    Ok(sqlx::query_as::<_, Contact>(
        "SELECT id, org_id, name, job_title, email, phone FROM partner_contacts WHERE org_id = $1 ORDER BY name, id",
    )
    .bind(org_id)
    .fetch_all(store.pool())
    .await?)
}

pub async fn contact(store: &Store, id: i64) -> Result<Option<Contact>> {
    Ok(sqlx::query_as::<_, Contact>(
        "SELECT id, org_id, name, job_title, email, phone FROM partner_contacts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn add_contact(
    store: &Store,
    actor: &Actor,
    org_id: i64,
    c: &ContactInput,
) -> Result<Contact> {
    let o = org(store, org_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such partner organisation".into()))?;
    let mut tx = store.begin().await?;
    let now = now_text();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO partner_contacts (org_id, name, job_title, email, phone, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(&c.name)
    .bind(&c.job_title)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "partner_contact.create",
            format!("Added a contact at {}", o.name),
        )
        .on("partner_contact", id.to_string())
        .after(&serde_json::json!({"org": o.name, "name": c.name, "job_title": c.job_title, "email": c.email, "phone": c.phone})),
    )
    .await?;
    tx.commit().await?;
    contact(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("contact vanished".into()))
}

pub async fn update_contact(
    store: &Store,
    actor: &Actor,
    id: i64,
    c: &ContactInput,
) -> Result<Contact> {
    let before = contact(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such contact".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE partner_contacts SET name = $1, job_title = $2, email = $3, phone = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(&c.name)
    .bind(&c.job_title)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("partner_contact.update", "Changed a partner contact")
            .on("partner_contact", id.to_string())
            .before(&before)
            .after(&serde_json::json!({"name": c.name, "job_title": c.job_title, "email": c.email, "phone": c.phone})),
    )
    .await?;
    tx.commit().await?;
    contact(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("contact vanished".into()))
}

pub async fn remove_contact(store: &Store, actor: &Actor, id: i64) -> Result<Contact> {
    let before = contact(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such contact".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM partner_contacts WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("partner_contact.remove", "Removed a partner contact")
            .on("partner_contact", id.to_string())
            .before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(before)
}

// ---------------------------------------------------------------------------------------------
// Partner-provided modules

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PartnerModule {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub summary: String,
    pub kind: String,
    pub version: String,
    pub status: String,
    pub duration_minutes: i64,
    pub external_link: Option<String>,
    pub provider_org_id: i64,
    pub provider_name: String,
    pub provider_kind: String,
    /// Completions recorded against the module (by anyone in the directory).
    pub completions: i64,
}

const SELECT_PARTNER_MODULE: &str = "SELECT m.id, m.code, m.title, m.summary, m.kind, m.version, m.status,
        m.duration_minutes, m.external_link, m.provider_org_id, o.name AS provider_name, o.kind AS provider_kind,
        CAST((SELECT COUNT(*) FROM completions c WHERE c.module_id = m.id) AS BIGINT) AS completions
    FROM modules m JOIN partner_orgs o ON o.id = m.provider_org_id";

/// Modules a partner provides, live ones first, by provider then title. `org` narrows to one
/// provider; retired modules are left out unless asked for.
pub async fn partner_modules(
    store: &Store,
    org_id: Option<i64>,
    include_retired: bool,
) -> Result<Vec<PartnerModule>> {
    let mut w = vec!["1 = 1".to_string()];
    if org_id.is_some() {
        w.push("m.provider_org_id = $1".into());
    }
    if !include_retired {
        w.push("m.status <> 'retired'".into());
    }
    let sql = format!(
        "{SELECT_PARTNER_MODULE} WHERE {} ORDER BY o.name, m.title",
        w.join(" AND ")
    );
    let mut q = sqlx::query_as::<_, PartnerModule>(&sql);
    if let Some(id) = org_id {
        q = q.bind(id);
    }
    Ok(q.fetch_all(store.pool()).await?)
}

/// Sets (or clears, with `None`) the partner that provides a module.
pub async fn set_provider(
    store: &Store,
    actor: &Actor,
    module_id: i64,
    org_id: Option<i64>,
) -> Result<()> {
    let (code, before): (String, Option<i64>) =
        sqlx::query_as("SELECT code, provider_org_id FROM modules WHERE id = $1")
            .bind(module_id)
            .fetch_optional(store.pool())
            .await?
            .ok_or_else(|| StoreError::Invalid("Choose a module from the catalogue".into()))?;
    let org_name = match org_id {
        Some(id) => Some(
            org(store, id)
                .await?
                .ok_or_else(|| StoreError::Invalid("Choose a partner organisation".into()))?
                .name,
        ),
        None => None,
    };
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE modules SET provider_org_id = $1, updated_at = $2 WHERE id = $3")
        .bind(org_id)
        .bind(now_text())
        .bind(module_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "module.provider",
            match &org_name {
                Some(n) => format!("{code} is now provided by {n}"),
                None => format!("{code} is no longer partner-provided"),
            },
        )
        .on("module", code.clone())
        .before(&serde_json::json!({"provider_org_id": before}))
        .after(&serde_json::json!({"provider_org_id": org_id, "provider": org_name})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a catalogue module provided by a partner: the catalogue's own create, then the
/// provider. If setting the provider fails the module stays in the catalogue without one, and
/// the error says so.
pub async fn create_partner_module(
    store: &Store,
    actor: &Actor,
    org_id: i64,
    m: &ModuleInput,
    version: &str,
) -> Result<PartnerModule> {
    let o = org(store, org_id)
        .await?
        .ok_or_else(|| StoreError::Invalid("Choose a partner organisation".into()))?;
    let created = catalogue::create_module(store, actor, m, version).await?;
    set_provider(store, actor, created.id, Some(o.id))
        .await
        .map_err(|e| {
            StoreError::Invalid(format!(
                "{} was added to the catalogue but its provider could not be set ({e}); set it from the partner page",
                created.code
            ))
        })?;
    partner_modules(store, Some(o.id), true)
        .await?
        .into_iter()
        .find(|pm| pm.id == created.id)
        .ok_or_else(|| StoreError::NotFound("module vanished".into()))
}

// ---------------------------------------------------------------------------------------------
// Sessions and their external attendees (sessions belong to the sessions part; we read them)

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SessionBrief {
    pub id: i64,
    pub title: String,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub status: String,
    pub direction: String,
    pub partner_org_id: Option<i64>,
    pub partner_name: Option<String>,
    pub external_attendees: i64,
}

const SELECT_SESSION: &str = "SELECT s.id, s.title, s.module_id, m.code AS module_code, m.title AS module_title,
        s.starts_at, s.ends_at, s.status, s.direction, s.partner_org_id, o.name AS partner_name,
        CAST((SELECT COUNT(*) FROM session_external_attendees x WHERE x.session_id = s.id) AS BIGINT) AS external_attendees
    FROM training_sessions s JOIN modules m ON m.id = s.module_id LEFT JOIN partner_orgs o ON o.id = s.partner_org_id";

pub async fn session_brief(store: &Store, id: i64) -> Result<Option<SessionBrief>> {
    Ok(
        sqlx::query_as::<_, SessionBrief>(&format!("{SELECT_SESSION} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Says who a session is for or by: `internal` (police to police), `to_partners` (the police
/// deliver it to partner staff) or `from_partner` (a partner delivers it to the police). A
/// partner organisation is required for `from_partner` and optional for `to_partners`.
pub async fn set_direction(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    direction: &str,
    partner_org_id: Option<i64>,
) -> Result<()> {
    if !["internal", "to_partners", "from_partner"].contains(&direction) {
        return Err(StoreError::Invalid(
            "Choose whether the session is internal, delivered to partners or delivered by a partner".into(),
        ));
    }
    if direction == "from_partner" && partner_org_id.is_none() {
        return Err(StoreError::Invalid(
            "Choose the partner organisation that delivers this session".into(),
        ));
    }
    let partner = if direction == "internal" {
        None
    } else {
        partner_org_id
    };
    let mut tx = store.begin().await?;
    let before: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT direction, partner_org_id FROM training_sessions WHERE id = $1")
            .bind(session_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(before) = before else {
        return Err(StoreError::NotFound(format!(
            "There is no session {session_id}"
        )));
    };
    if let Some(org) = partner {
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM partner_orgs WHERE id = $1")
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::Invalid(format!(
                "There is no partner organisation {org}"
            )));
        }
    }
    sqlx::query(
        "UPDATE training_sessions SET direction = $1, partner_org_id = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(direction)
    .bind(partner)
    .bind(now_text())
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "session.direction",
            format!("Set who session {session_id} is for or by"),
        )
        .on("session", session_id.to_string())
        .before(&serde_json::json!({"direction": before.0, "partner_org_id": before.1}))
        .after(&serde_json::json!({"direction": direction, "partner_org_id": partner})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sessions linked to a partner: delivered to it or by it (the session's partner), or with any
/// of its staff among the external attendees. Newest first.
pub async fn sessions_of_org(store: &Store, org_id: i64) -> Result<Vec<SessionBrief>> {
    Ok(sqlx::query_as::<_, SessionBrief>(&format!(
        "{SELECT_SESSION} WHERE s.partner_org_id = $1
            OR EXISTS (SELECT 1 FROM session_external_attendees x WHERE x.session_id = s.id AND x.partner_org_id = $1)
         ORDER BY s.starts_at DESC, s.id DESC"
    ))
    .bind(org_id)
    .fetch_all(store.pool())
    .await?)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExternalAttendee {
    pub id: i64,
    pub session_id: i64,
    pub name: String,
    pub organisation: String,
    pub partner_org_id: Option<i64>,
    pub partner_name: Option<String>,
    pub email: Option<String>,
    pub status: Option<String>,
    pub minutes: Option<i64>,
}

impl ExternalAttendee {
    /// The organisation as shown: the partner's name if chosen, else what was typed.
    pub fn organisation_shown(&self) -> &str {
        guest_organisation(self.partner_name.as_deref(), &self.organisation)
    }
}

/// The organisation shown for someone without an account (an external attendee or a partner
/// participant): the chosen partner's name, else what was typed.
pub(crate) fn guest_organisation<'a>(partner_name: Option<&'a str>, typed: &'a str) -> &'a str {
    partner_name.filter(|n| !n.is_empty()).unwrap_or(typed)
}

const SELECT_EXTERNAL: &str =
    "SELECT x.id, x.session_id, x.name, x.organisation, x.partner_org_id, o.name AS partner_name,
        x.email, x.status, x.minutes
    FROM session_external_attendees x LEFT JOIN partner_orgs o ON o.id = x.partner_org_id";

pub async fn external_attendees(store: &Store, session_id: i64) -> Result<Vec<ExternalAttendee>> {
    Ok(sqlx::query_as::<_, ExternalAttendee>(&format!(
        "{SELECT_EXTERNAL} WHERE x.session_id = $1 ORDER BY x.name, x.id"
    ))
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

pub async fn external_attendee(store: &Store, id: i64) -> Result<Option<ExternalAttendee>> {
    Ok(
        sqlx::query_as::<_, ExternalAttendee>(&format!("{SELECT_EXTERNAL} WHERE x.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Where people without accounts are listed: a session's external attendees, or an attachment
/// day's partner participants.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GuestList {
    Session,
    AttachmentDay,
}

impl GuestList {
    /// The list's table and the column naming its session or day.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            GuestList::Session => ("session_external_attendees", "session_id"),
            GuestList::AttachmentDay => ("attachment_partner_participants", "day_id"),
        }
    }
}

/// Refuses a partner organisation that is not on the list.
pub(crate) async fn check_partner(store: &Store, x: &ExternalInput) -> Result<()> {
    if let Some(id) = x.partner_org_id {
        org(store, id).await?.ok_or_else(|| {
            StoreError::Invalid("Choose a partner organisation from the list".into())
        })?;
    }
    Ok(())
}

/// Writes someone without an account onto a list and audits it (`event`, with the person
/// added as its "after"), in one transaction. The caller has checked the input.
pub(crate) async fn insert_guest(
    store: &Store,
    actor: &Actor,
    list: GuestList,
    parent_id: i64,
    x: &ExternalInput,
    event: Event,
) -> Result<i64> {
    let (table, parent) = list.table();
    let mut tx = store.begin().await?;
    let id = sqlx::query_scalar::<_, i64>(&format!(
        "INSERT INTO {table} ({parent}, name, organisation, partner_org_id, email, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
    ))
    .bind(parent_id)
    .bind(&x.name)
    .bind(&x.organisation)
    .bind(x.partner_org_id)
    .bind(&x.email)
    .bind(&actor.name)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        event.after(&serde_json::json!({"id": id, "name": x.name, "organisation": x.organisation, "partner_org_id": x.partner_org_id, "email": x.email})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes someone without an account off a list and audits it (`event`, which carries the person
/// removed as its "before"), in one transaction. The caller has found them on the list.
pub(crate) async fn delete_guest(
    store: &Store,
    actor: &Actor,
    list: GuestList,
    id: i64,
    event: Event,
) -> Result<()> {
    let (table, _) = list.table();
    let mut tx = store.begin().await?;
    sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(&mut tx, actor, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds someone from outside the force to a session. The same name and e-mail twice on one
/// session is refused.
pub async fn add_external(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    x: &ExternalInput,
) -> Result<ExternalAttendee> {
    let s = session_brief(store, session_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such session".into()))?;
    if s.status == "cancelled" {
        return Err(StoreError::Invalid(
            "The session has been cancelled, so no one can be added to it".into(),
        ));
    }
    check_partner(store, x).await?;
    let existing = external_attendees(store, session_id).await?;
    if existing.iter().any(|e| {
        e.name.eq_ignore_ascii_case(&x.name)
            && e.email.as_deref().map(str::to_ascii_lowercase)
                == x.email.as_deref().map(str::to_ascii_lowercase)
    }) {
        return Err(StoreError::Conflict(format!(
            "{} is already on this session's list",
            x.name
        )));
    }
    let id = insert_guest(
        store,
        actor,
        GuestList::Session,
        session_id,
        x,
        Event::new(
            "session_external.add",
            format!("Added an external attendee to session {session_id}"),
        )
        .on("session", session_id.to_string()),
    )
    .await?;
    external_attendee(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("attendee vanished".into()))
}

/// Marks an external attendee's attendance (or clears it with `None`).
pub async fn mark_external(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    id: i64,
    status: Option<ExternalStatus>,
    minutes: Option<i64>,
) -> Result<ExternalAttendee> {
    let before = external_attendee(store, id)
        .await?
        .filter(|x| x.session_id == session_id)
        .ok_or_else(|| StoreError::NotFound("No such attendee on this session".into()))?;
    if minutes.is_some_and(|m| !(0..=24 * 60).contains(&m)) {
        return Err(StoreError::Invalid(
            "Minutes attended must be between 0 and 1440".into(),
        ));
    }
    let minutes = match status {
        Some(ExternalStatus::PartlyAttended) => minutes,
        _ => None,
    };
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE session_external_attendees SET status = $1, minutes = $2 WHERE id = $3")
        .bind(status.map(|s| s.as_str()))
        .bind(minutes)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "session_external.attendance",
            format!("Marked an external attendee's attendance on session {session_id}"),
        )
        .on("session", session_id.to_string())
        .before(&serde_json::json!({"id": id, "name": before.name, "status": before.status, "minutes": before.minutes}))
        .after(&serde_json::json!({"id": id, "status": status.map(|s| s.as_str()), "minutes": minutes})),
    )
    .await?;
    tx.commit().await?;
    external_attendee(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("attendee vanished".into()))
}

pub async fn remove_external(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    id: i64,
) -> Result<ExternalAttendee> {
    let before = external_attendee(store, id)
        .await?
        .filter(|x| x.session_id == session_id)
        .ok_or_else(|| StoreError::NotFound("No such attendee on this session".into()))?;
    delete_guest(
        store,
        actor,
        GuestList::Session,
        id,
        Event::new(
            "session_external.remove",
            format!("Removed an external attendee from session {session_id}"),
        )
        .on("session", session_id.to_string())
        .before(&before),
    )
    .await?;
    Ok(before)
}

// ---------------------------------------------------------------------------------------------
// The quarterly exchange summary

/// One session of the exchange, as the summary and its export list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeSession {
    pub session_id: i64,
    pub day: String,
    pub direction: Direction,
    pub title: String,
    pub module_code: String,
    /// The partner organisations involved (attendees' organisations, or the provider).
    pub organisations: Vec<String>,
    pub attendees: u32,
}

#[derive(sqlx::FromRow)]
struct ExRow {
    id: i64,
    starts_at: String,
    direction: String,
    title: String,
    module_code: String,
    module_title: String,
    partner_name: Option<String>,
}

/// The instants (storage text) from the first moment of the London year to the first of the next.
fn year_bounds(year: i32) -> (String, String) {
    (
        mashboard_domain::sessions::london_year_start_text(year),
        mashboard_domain::sessions::london_year_start_text(year + 1),
    )
}

/// Completion dates are calendar days, so their year is plain text.
fn day_bounds(year: i32) -> (String, String) {
    (format!("{year:04}-01-01"), format!("{:04}-01-01", year + 1))
}

/// The sessions exchanged with partners in a year (not cancelled), each way, with their
/// attendees: partner staff marked attended or partly attended at sessions to partners, police
/// officers and staff marked attended or partly attended at sessions from a partner.
pub async fn exchange_sessions(store: &Store, year: i32) -> Result<Vec<ExchangeSession>> {
    let (from, to) = year_bounds(year);
    let rows = sqlx::query_as::<_, ExRow>(
        "SELECT s.id, s.starts_at, s.direction, s.title, m.code AS module_code, m.title AS module_title,
                o.name AS partner_name
         FROM training_sessions s JOIN modules m ON m.id = s.module_id
         LEFT JOIN partner_orgs o ON o.id = s.partner_org_id
         WHERE s.direction IN ('to_partners', 'from_partner') AND s.status <> 'cancelled'
           AND s.starts_at >= $1 AND s.starts_at < $2
         ORDER BY s.starts_at, s.id",
    )
    .bind(&from)
    .bind(&to)
    .fetch_all(store.pool())
    .await?;
    let externals: Vec<(i64, Option<String>, String)> = sqlx::query_as(
        "SELECT x.session_id, o.name, x.organisation
         FROM session_external_attendees x JOIN training_sessions s ON s.id = x.session_id
         LEFT JOIN partner_orgs o ON o.id = x.partner_org_id
         WHERE s.direction = 'to_partners' AND s.starts_at >= $1 AND s.starts_at < $2
           AND x.status IN ('attended', 'partly_attended')",
    )
    .bind(&from)
    .bind(&to)
    .fetch_all(store.pool())
    .await?;
    let police: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT a.session_id, CAST(COUNT(*) AS BIGINT)
         FROM session_attendance a JOIN training_sessions s ON s.id = a.session_id
         WHERE s.direction = 'from_partner' AND s.starts_at >= $1 AND s.starts_at < $2
           AND a.status IN ('attended', 'partly_attended')
         GROUP BY a.session_id",
    )
    .bind(&from)
    .bind(&to)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let to_partners = r.direction == "to_partners";
        let (orgs, attendees) = if to_partners {
            let mine: Vec<&(i64, Option<String>, String)> =
                externals.iter().filter(|x| x.0 == r.id).collect();
            let mut orgs: Vec<String> = mine
                .iter()
                .map(|x| x.1.clone().unwrap_or_else(|| x.2.clone()))
                .filter(|o| !o.trim().is_empty())
                .collect();
            if let Some(p) = &r.partner_name {
                orgs.push(p.clone());
            }
            orgs.sort();
            orgs.dedup();
            (orgs, mine.len() as u32)
        } else {
            let n = police
                .iter()
                .find(|p| p.0 == r.id)
                .map(|p| p.1)
                .unwrap_or(0);
            (
                r.partner_name.clone().into_iter().collect(),
                u32::try_from(n).unwrap_or(0),
            )
        };
        out.push(ExchangeSession {
            session_id: r.id,
            // The session's day in London, so a session at 00:30 on 1 April (BST, 23:30 UTC on
            // 31 March) counts in the second quarter.
            day: mashboard_domain::sessions::london_date_of_stored(&r.starts_at)
                .unwrap_or_else(|| r.starts_at.chars().take(10).collect()),
            direction: if to_partners {
                Direction::ToPartners
            } else {
                Direction::FromPartners
            },
            title: if r.title.trim().is_empty() {
                r.module_title
            } else {
                r.title
            },
            module_code: r.module_code,
            organisations: orgs,
            attendees,
        });
    }
    Ok(out)
}

/// Completions of partner-provided modules in a year that did not come from a session.
pub async fn partner_completions(store: &Store, year: i32) -> Result<Vec<PartnerCompletion>> {
    let (from, to) = day_bounds(year);
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.completed_on, o.name FROM completions c
         JOIN modules m ON m.id = c.module_id JOIN partner_orgs o ON o.id = m.provider_org_id
         WHERE c.session_id IS NULL AND c.completed_on >= $1 AND c.completed_on < $2",
    )
    .bind(&from)
    .bind(&to)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(d, provider)| {
            crate::training::parse_date_text(&d).map(|day| PartnerCompletion { day, provider })
        })
        .collect())
}

/// The year's exchange: the sessions (for listing and export) and the domain's summary.
pub async fn exchange(
    store: &Store,
    year: i32,
) -> Result<(
    Vec<ExchangeSession>,
    mashboard_domain::partners::ExchangeSummary,
)> {
    let sessions = exchange_sessions(store, year).await?;
    let facts: Vec<ExchangeFact> = sessions
        .iter()
        .filter_map(|s| {
            crate::training::parse_date_text(&s.day).map(|day| ExchangeFact {
                session_id: s.session_id,
                day,
                direction: s.direction,
                organisations: s.organisations.clone(),
                attendees: s.attendees,
            })
        })
        .collect();
    let done = partner_completions(store, year).await?;
    let summary = mashboard_domain::partners::summarise(year, &facts, &done);
    Ok((sessions, summary))
}
