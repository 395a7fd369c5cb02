//! Exercise scenarios and live runs: teams (officers and partner participants), releases of
//! stages, answers, observer notes, the mock strategy meeting and its actions. Every change is
//! audited in its own transaction; the rules are in `mashboard_domain::exercises`.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::access::{Capability, RunScope};
use mashboard_domain::exercise_scenario;
use mashboard_domain::exercises::{self as rules, Release};
use mashboard_domain::Role;
use serde::Serialize;
use sqlx::AnyConnection;

/// Inserts each shipped scenario that is not in the database yet (matched by its code).
/// Idempotent: `serve` and `demo` call it on start.
pub async fn ensure_scenarios(store: &Store) -> Result<()> {
    for s in exercise_scenario::shipped() {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM exercise_scenarios WHERE code = $1")
                .bind(s.code)
                .fetch_optional(store.pool())
                .await?;
        if exists.is_some() {
            continue;
        }
        let mut tx = store.begin().await?;
        let now = now_text();
        let sid: i64 = sqlx::query_scalar(
            "INSERT INTO exercise_scenarios (code, title, summary, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(s.code)
        .bind(s.title)
        .bind(s.summary)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        for (i, st) in s.stages.iter().enumerate() {
            let stid: i64 = sqlx::query_scalar(
                "INSERT INTO exercise_stages (scenario_id, stage, title, briefing, facilitator_notes, strategy_meeting)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(sid)
            .bind(i as i64 + 1)
            .bind(st.title)
            .bind(st.briefing)
            .bind(st.facilitator_notes)
            .bind(st.strategy_meeting as i64)
            .fetch_one(&mut *tx)
            .await?;
            for (j, a) in st.attachments.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO exercise_attachments (stage_id, position, title, body) VALUES ($1, $2, $3, $4)",
                )
                .bind(stid)
                .bind(j as i64 + 1)
                .bind(a.title)
                .bind(a.body)
                .execute(&mut *tx)
                .await?;
            }
            for (j, q) in st.questions.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO exercise_questions (stage_id, position, text, model_answer) VALUES ($1, $2, $3, $4)",
                )
                .bind(stid)
                .bind(j as i64 + 1)
                .bind(q.text)
                .bind(q.model_answer)
                .execute(&mut *tx)
                .await?;
            }
        }
        audit_trail::record_on(
            &mut tx,
            &Actor::system(),
            Event::new(
                "exercise_scenario.install",
                format!("Installed exercise scenario {}", s.code),
            )
            .on("exercise_scenario", sid.to_string()),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioSummary {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub summary: String,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub id: i64,
    pub stage: i64,
    pub title: String,
    pub briefing: String,
    pub facilitator_notes: String,
    pub strategy_meeting: bool,
    pub attachments: Vec<Attachment>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub id: i64,
    pub stage: i64,
    pub position: i64,
    pub text: String,
    pub model_answer: String,
}

pub async fn list_scenarios(store: &Store) -> Result<Vec<ScenarioSummary>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, code, title, summary FROM exercise_scenarios ORDER BY title, id",
    )
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, code, title, summary)| ScenarioSummary {
            id,
            code,
            title,
            summary,
        })
        .collect())
}

pub async fn scenario(store: &Store, id: i64) -> Result<Option<Scenario>> {
    let head: Option<(i64, String, String, String)> =
        sqlx::query_as("SELECT id, code, title, summary FROM exercise_scenarios WHERE id = $1")
            .bind(id)
            .fetch_optional(store.pool())
            .await?;
    let Some((id, code, title, summary)) = head else {
        return Ok(None);
    };
    let stages: Vec<(i64, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, stage, title, briefing, facilitator_notes, strategy_meeting
         FROM exercise_stages WHERE scenario_id = $1 ORDER BY stage",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let atts: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT a.stage_id, a.title, a.body FROM exercise_attachments a
         JOIN exercise_stages s ON s.id = a.stage_id WHERE s.scenario_id = $1 ORDER BY a.stage_id, a.position",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let qs: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT q.stage_id, q.id, q.position, q.text, q.model_answer FROM exercise_questions q
         JOIN exercise_stages s ON s.id = q.stage_id WHERE s.scenario_id = $1 ORDER BY q.stage_id, q.position",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let stages = stages
        .into_iter()
        .map(|(sid, stage, title, briefing, notes, sm)| Stage {
            id: sid,
            stage,
            title,
            briefing,
            facilitator_notes: notes,
            strategy_meeting: sm != 0,
            attachments: atts
                .iter()
                .filter(|a| a.0 == sid)
                .map(|a| Attachment {
                    title: a.1.clone(),
                    body: a.2.clone(),
                })
                .collect(),
            questions: qs
                .iter()
                .filter(|q| q.0 == sid)
                .map(|q| Question {
                    id: q.1,
                    stage,
                    position: q.2,
                    text: q.3.clone(),
                    model_answer: q.4.clone(),
                })
                .collect(),
        })
        .collect();
    Ok(Some(Scenario {
        id,
        code,
        title,
        summary,
        stages,
    }))
}

impl Scenario {
    pub fn stage(&self, n: i64) -> Option<&Stage> {
        self.stages.iter().find(|s| s.stage == n)
    }
    pub fn question(&self, id: i64) -> Option<&Question> {
        self.stages
            .iter()
            .flat_map(|s| s.questions.iter())
            .find(|q| q.id == id)
    }
}

/// A partner participant without an account.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewPartner {
    pub name: String,
    pub organisation: String,
}

#[derive(Debug, Clone, Default)]
pub struct NewTeam {
    pub name: String,
    /// Officers and staff, by staff number.
    pub members: Vec<String>,
    pub partners: Vec<NewPartner>,
    /// Accounts without a directory record (partner reviewers), by username.
    pub usernames: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewRun {
    pub scenario_id: i64,
    pub title: String,
    pub attachment_day_id: Option<i64>,
    pub teams: Vec<NewTeam>,
    /// When the run started (now when `None`; the demo gives past instants).
    pub started_at: Option<String>,
    /// Accounts (by username) who facilitate the run with its creator.
    pub co_facilitators: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: i64,
    pub scenario_id: i64,
    pub scenario_title: String,
    pub attachment_day_id: Option<i64>,
    pub title: String,
    pub status: String,
    pub facilitator_user_id: Option<i64>,
    pub started_at: String,
    pub ended_at: Option<String>,
}

impl Run {
    pub fn live(&self) -> bool {
        self.status == "live"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub person_id: Option<i64>,
    pub user_id: Option<i64>,
    pub staff_number: Option<String>,
    pub name: String,
    pub organisation: String,
}

type MemberRow = (
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    String,
    String,
);
type ReleaseTuple = (i64, Option<i64>, Option<String>, String, String);
type NoteTuple = (
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    String,
    String,
    String,
);

fn invalid(m: impl Into<String>) -> StoreError {
    StoreError::Invalid(m.into())
}

/// Creates a live run with its teams, each with a fresh unique code. All or nothing: an unknown
/// staff number or username, a duplicate team name or an unknown scenario writes nothing.
pub async fn create_run(
    store: &Store,
    actor: &Actor,
    new: &NewRun,
    rng: &mut (dyn rand::RngCore + Send),
) -> Result<(i64, Vec<Team>)> {
    let names: Vec<String> = new.teams.iter().map(|t| t.name.clone()).collect();
    let names = rules::check_team_names(&names).map_err(invalid)?;
    let Some(sc) = scenario(store, new.scenario_id).await? else {
        return Err(invalid(format!(
            "There is no exercise scenario {}.",
            new.scenario_id
        )));
    };
    if let Some(day) = new.attachment_day_id {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM attachment_days WHERE id = $1")
            .bind(day)
            .fetch_optional(store.pool())
            .await?;
        if found.is_none() {
            return Err(invalid(format!("There is no attachment day {day}.")));
        }
    }
    let mut tx = store.begin().await?;
    let now = now_text();
    let title = if new.title.trim().is_empty() {
        format!("{} ({})", sc.title, &now[..10])
    } else {
        new.title.trim().to_string()
    };
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO exercise_runs (scenario_id, attachment_day_id, title, status, facilitator_user_id, started_at, created_by, created_at)
         VALUES ($1, $2, $3, 'live', $4, $5, $6, $7) RETURNING id",
    )
    .bind(sc.id)
    .bind(new.attachment_day_id)
    .bind(&title)
    .bind(actor.user_id)
    .bind(new.started_at.clone().unwrap_or_else(|| now.clone()))
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    let mut co = Vec::new();
    for u in new
        .co_facilitators
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let uid = facilitator_account(&mut tx, u).await?;
        if Some(uid) == actor.user_id || co.contains(&uid) {
            continue;
        }
        insert_facilitator(&mut tx, actor, run_id, uid, &now).await?;
        co.push(uid);
    }
    let mut teams = Vec::new();
    let mut seen_people = std::collections::BTreeSet::new();
    for (t, name) in new.teams.iter().zip(names) {
        let code = fresh_code(&mut tx, rng).await?;
        let team_id: i64 = sqlx::query_scalar(
            "INSERT INTO exercise_teams (run_id, name, code) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(run_id)
        .bind(&name)
        .bind(&code)
        .fetch_one(&mut *tx)
        .await?;
        let mut members = Vec::new();
        for sn in t.members.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let p: Option<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM people WHERE staff_number = $1")
                    .bind(sn)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((pid, pname)) = p else {
                return Err(invalid(format!(
                    "Team \"{name}\": nobody in the directory has staff number {sn}."
                )));
            };
            if !seen_people.insert(pid) {
                return Err(invalid(format!(
                    "Staff number {sn} is in more than one team: put each person in one team."
                )));
            }
            sqlx::query(
                "INSERT INTO exercise_team_members (team_id, person_id, name) VALUES ($1, $2, $3)",
            )
            .bind(team_id)
            .bind(pid)
            .bind(&pname)
            .execute(&mut *tx)
            .await?;
            members.push(Member {
                person_id: Some(pid),
                user_id: None,
                staff_number: Some(sn.to_string()),
                name: pname,
                organisation: String::new(),
            });
        }
        for u in t
            .usernames
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let acc: Option<(i64, Option<String>)> =
                sqlx::query_as("SELECT id, partner_agency FROM users WHERE username = $1")
                    .bind(u)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((uid, agency)) = acc else {
                return Err(invalid(format!(
                    "Team \"{name}\": there is no account with username {u}."
                )));
            };
            sqlx::query("INSERT INTO exercise_team_members (team_id, user_id, name, organisation) VALUES ($1, $2, $3, $4)")
                .bind(team_id)
                .bind(uid)
                .bind(u)
                .bind(agency.clone().unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            members.push(Member {
                person_id: None,
                user_id: Some(uid),
                staff_number: None,
                name: u.to_string(),
                organisation: agency.unwrap_or_default(),
            });
        }
        for p in &t.partners {
            let (pn, org) = (p.name.trim(), p.organisation.trim());
            if pn.is_empty() && org.is_empty() {
                continue;
            }
            if pn.is_empty() || org.is_empty() {
                return Err(invalid(format!(
                    "Team \"{name}\": give each partner participant's name and organisation."
                )));
            }
            sqlx::query("INSERT INTO exercise_team_members (team_id, name, organisation) VALUES ($1, $2, $3)")
                .bind(team_id)
                .bind(pn)
                .bind(org)
                .execute(&mut *tx)
                .await?;
            members.push(Member {
                person_id: None,
                user_id: None,
                staff_number: None,
                name: pn.to_string(),
                organisation: org.to_string(),
            });
        }
        teams.push(Team {
            id: team_id,
            name,
            code,
            members,
        });
    }
    let after: Vec<serde_json::Value> = teams
        .iter()
        .map(|t| serde_json::json!({"team": t.name, "members": t.members.len()}))
        .collect();
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "exercise_run.create",
            format!("Started exercise run {run_id} with {} teams", teams.len()),
        )
        .on("exercise_run", run_id.to_string())
        .after(&serde_json::json!({"scenario_id": sc.id, "title": title, "teams": after, "co_facilitators": co})),
    )
    .await?;
    tx.commit().await?;
    Ok((run_id, teams))
}

/// The account a username names, if it may facilitate exercises; otherwise a plain refusal.
async fn facilitator_account(conn: &mut AnyConnection, username: &str) -> Result<i64> {
    let acc: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, disabled FROM users WHERE username = $1")
            .bind(username.trim().to_ascii_lowercase())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((uid, disabled)) = acc else {
        return Err(invalid(format!(
            "Co-facilitators: there is no account with username {username}."
        )));
    };
    if disabled != 0 {
        return Err(invalid(format!(
            "Co-facilitators: the account {username} is disabled."
        )));
    }
    let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(uid)
        .fetch_all(&mut *conn)
        .await?;
    let roles: Vec<Role> = roles.iter().filter_map(|r| r.parse().ok()).collect();
    if !Capability::ExercisesFacilitate.allows(&roles) {
        return Err(invalid(format!(
            "Co-facilitators: {username} has no role that can facilitate exercises (administrator, MASH trainer or MASH staff)."
        )));
    }
    Ok(uid)
}

async fn insert_facilitator(
    conn: &mut AnyConnection,
    actor: &Actor,
    run_id: i64,
    user_id: i64,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO exercise_run_facilitators (run_id, user_id, added_by, added_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(run_id)
    .bind(user_id)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Someone who facilitates a run: its creator or a co-facilitator.
#[derive(Debug, Clone, Serialize)]
pub struct Facilitator {
    pub user_id: i64,
    pub username: String,
    pub creator: bool,
}

/// The run's facilitators: its creator first, then the co-facilitators by username.
pub async fn facilitators(store: &Store, run_id: i64) -> Result<Vec<Facilitator>> {
    let mut out = Vec::new();
    let creator: Option<(i64, String)> = sqlx::query_as(
        "SELECT u.id, u.username FROM exercise_runs r JOIN users u ON u.id = r.facilitator_user_id WHERE r.id = $1",
    )
    .bind(run_id)
    .fetch_optional(store.pool())
    .await?;
    if let Some((user_id, username)) = creator {
        out.push(Facilitator {
            user_id,
            username,
            creator: true,
        });
    }
    let co: Vec<(i64, String)> = sqlx::query_as(
        "SELECT u.id, u.username FROM exercise_run_facilitators f JOIN users u ON u.id = f.user_id
         WHERE f.run_id = $1 ORDER BY u.username",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    for (user_id, username) in co {
        if !out.iter().any(|f| f.user_id == user_id) {
            out.push(Facilitator {
                user_id,
                username,
                creator: false,
            });
        }
    }
    Ok(out)
}

/// Whether an account in this scope may facilitate the run (false for a run that does not exist).
pub async fn may_facilitate(store: &Store, scope: RunScope, run_id: i64) -> Result<bool> {
    Ok(match scope {
        RunScope::Nobody => false,
        RunScope::Every => run(store, run_id).await?.is_some(),
        RunScope::Facilitating { user_id } => {
            let n: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM exercise_runs r WHERE r.id = $1 AND (r.facilitator_user_id = $2
                   OR EXISTS (SELECT 1 FROM exercise_run_facilitators f WHERE f.run_id = r.id AND f.user_id = $2))",
            )
            .bind(run_id)
            .bind(user_id)
            .fetch_one(store.pool())
            .await?;
            n > 0
        }
    })
}

/// Whether an account in this scope may change who facilitates the run: administrators and the
/// MASH trainer, and the run's creator (co-facilitators cannot name others).
pub async fn may_manage_facilitators(store: &Store, scope: RunScope, run_id: i64) -> Result<bool> {
    Ok(match scope {
        RunScope::Nobody => false,
        RunScope::Every => true,
        RunScope::Facilitating { user_id } => run(store, run_id)
            .await?
            .is_some_and(|r| r.facilitator_user_id == Some(user_id)),
    })
}

/// Names a co-facilitator of a run (an account that can facilitate exercises). Naming someone
/// who already facilitates it changes nothing.
pub async fn add_facilitator(
    store: &Store,
    actor: &Actor,
    run_id: i64,
    username: &str,
) -> Result<()> {
    let r = run(store, run_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("exercise run {run_id}")))?;
    if username.trim().is_empty() {
        return Err(invalid("Enter the username of the co-facilitator."));
    }
    let mut tx = store.begin().await?;
    let uid = facilitator_account(&mut tx, username).await?;
    let already: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM exercise_run_facilitators WHERE run_id = $1 AND user_id = $2",
    )
    .bind(run_id)
    .bind(uid)
    .fetch_optional(&mut *tx)
    .await?;
    if already.is_some() || r.facilitator_user_id == Some(uid) {
        tx.rollback().await?;
        return Ok(());
    }
    insert_facilitator(&mut tx, actor, run_id, uid, &now_text()).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "exercise_run.facilitator_add",
            format!(
                "Named {} a co-facilitator of exercise run {run_id}",
                username.trim()
            ),
        )
        .on("exercise_run", run_id.to_string())
        .after(&serde_json::json!({"co_facilitator": username.trim().to_ascii_lowercase()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a co-facilitator (the run's creator cannot be removed).
pub async fn remove_facilitator(
    store: &Store,
    actor: &Actor,
    run_id: i64,
    user_id: i64,
) -> Result<()> {
    let username: Option<String> = sqlx::query_scalar(
        "SELECT u.username FROM exercise_run_facilitators f JOIN users u ON u.id = f.user_id
         WHERE f.run_id = $1 AND f.user_id = $2",
    )
    .bind(run_id)
    .bind(user_id)
    .fetch_optional(store.pool())
    .await?;
    let Some(username) = username else {
        return Err(StoreError::NotFound(
            "That account is not a co-facilitator of this run".into(),
        ));
    };
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM exercise_run_facilitators WHERE run_id = $1 AND user_id = $2")
        .bind(run_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "exercise_run.facilitator_remove",
            format!("Removed {username} as a co-facilitator of exercise run {run_id}"),
        )
        .on("exercise_run", run_id.to_string())
        .before(&serde_json::json!({"co_facilitator": username})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn fresh_code(
    tx: &mut AnyConnection,
    rng: &mut (dyn rand::RngCore + Send),
) -> Result<String> {
    for _ in 0..20 {
        let code = rules::team_code(rng);
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM exercise_teams WHERE code = $1")
                .bind(&code)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_none() {
            return Ok(code);
        }
    }
    Err(StoreError::Conflict(
        "Could not find a free team code; try again.".into(),
    ))
}

const RUN_COLS: &str = "r.id, r.scenario_id, s.title, r.attachment_day_id, r.title, r.status, r.facilitator_user_id, r.started_at, r.ended_at
     FROM exercise_runs r JOIN exercise_scenarios s ON s.id = r.scenario_id";

type RunRow = (
    i64,
    i64,
    String,
    Option<i64>,
    String,
    String,
    Option<i64>,
    String,
    Option<String>,
);

fn run_of(r: RunRow) -> Run {
    Run {
        id: r.0,
        scenario_id: r.1,
        scenario_title: r.2,
        attachment_day_id: r.3,
        title: r.4,
        status: r.5,
        facilitator_user_id: r.6,
        started_at: r.7,
        ended_at: r.8,
    }
}

pub async fn run(store: &Store, id: i64) -> Result<Option<Run>> {
    let r: Option<RunRow> = sqlx::query_as(&format!("SELECT {RUN_COLS} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(r.map(run_of))
}

/// Every run, newest first.
pub async fn list_runs(store: &Store) -> Result<Vec<Run>> {
    list_runs_for(store, RunScope::Every).await
}

/// The runs an account in this scope may facilitate, newest first.
pub async fn list_runs_for(store: &Store, scope: RunScope) -> Result<Vec<Run>> {
    let r: Vec<RunRow> = match scope {
        RunScope::Nobody => Vec::new(),
        RunScope::Every => {
            sqlx::query_as(&format!(
                "SELECT {RUN_COLS} ORDER BY r.started_at DESC, r.id DESC"
            ))
            .fetch_all(store.pool())
            .await?
        }
        RunScope::Facilitating { user_id } => {
            sqlx::query_as(&format!(
                "SELECT {RUN_COLS} WHERE r.facilitator_user_id = $1
                   OR EXISTS (SELECT 1 FROM exercise_run_facilitators f WHERE f.run_id = r.id AND f.user_id = $1)
                 ORDER BY r.started_at DESC, r.id DESC"
            ))
            .bind(user_id)
            .fetch_all(store.pool())
            .await?
        }
    };
    Ok(r.into_iter().map(run_of).collect())
}

const MEMBER_MATCH: &str =
    "((m.person_id IS NOT NULL AND m.person_id = $1) OR (m.user_id IS NOT NULL AND m.user_id = $2))";

/// The runs one account takes part in (through its directory record or the account itself).
pub async fn runs_for_member(
    store: &Store,
    person_id: Option<i64>,
    user_id: i64,
) -> Result<Vec<(Run, i64, String)>> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(&format!(
        "SELECT t.run_id, t.id, t.name FROM exercise_team_members m
         JOIN exercise_teams t ON t.id = m.team_id WHERE {MEMBER_MATCH} ORDER BY t.run_id DESC"
    ))
    .bind(person_id.unwrap_or(-1))
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for (rid, tid, tname) in rows {
        if let Some(r) = run(store, rid).await? {
            out.push((r, tid, tname));
        }
    }
    Ok(out)
}

/// The team of this run the account belongs to, if any.
pub async fn member_team(
    store: &Store,
    run_id: i64,
    person_id: Option<i64>,
    user_id: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT t.id FROM exercise_team_members m JOIN exercise_teams t ON t.id = m.team_id
         WHERE {MEMBER_MATCH} AND t.run_id = $3 ORDER BY t.id"
    ))
    .bind(person_id.unwrap_or(-1))
    .bind(user_id)
    .bind(run_id)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn teams(store: &Store, run_id: i64) -> Result<Vec<Team>> {
    let ts: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, code FROM exercise_teams WHERE run_id = $1 ORDER BY id")
            .bind(run_id)
            .fetch_all(store.pool())
            .await?;
    let ms: Vec<MemberRow> = sqlx::query_as(
        "SELECT m.team_id, m.person_id, m.user_id, p.staff_number, COALESCE(p.name, m.name), m.organisation
         FROM exercise_team_members m JOIN exercise_teams t ON t.id = m.team_id
         LEFT JOIN people p ON p.id = m.person_id WHERE t.run_id = $1 ORDER BY m.id",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(ts
        .into_iter()
        .map(|(id, name, code)| Team {
            id,
            name,
            code,
            members: ms
                .iter()
                .filter(|m| m.0 == id)
                .map(|m| Member {
                    person_id: m.1,
                    user_id: m.2,
                    staff_number: m.3.clone(),
                    name: m.4.clone(),
                    organisation: m.5.clone(),
                })
                .collect(),
        })
        .collect())
}

/// The (run, team) a typed code opens, only while the run is live.
pub async fn team_for_code(store: &Store, code: &str) -> Result<Option<(i64, i64)>> {
    let Some(code) = rules::normalise_code(code) else {
        return Ok(None);
    };
    Ok(sqlx::query_as(
        "SELECT t.run_id, t.id FROM exercise_teams t JOIN exercise_runs r ON r.id = t.run_id
         WHERE t.code = $1 AND r.status = 'live'",
    )
    .bind(code)
    .fetch_optional(store.pool())
    .await?)
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseRow {
    pub stage: i64,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub released_by: String,
    pub released_at: String,
}

pub async fn releases(store: &Store, run_id: i64) -> Result<Vec<ReleaseRow>> {
    let rows: Vec<ReleaseTuple> = sqlx::query_as(
        "SELECT x.stage, x.team_id, t.name, x.released_by, x.released_at FROM exercise_releases x
         LEFT JOIN exercise_teams t ON t.id = x.team_id WHERE x.run_id = $1 ORDER BY x.released_at, x.id",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReleaseRow {
            stage: r.0,
            team_id: r.1,
            team_name: r.2,
            released_by: r.3,
            released_at: r.4,
        })
        .collect())
}

pub fn as_rules(rows: &[ReleaseRow]) -> Vec<Release> {
    rows.iter()
        .map(|r| Release {
            stage: r.stage,
            team: r.team_id,
        })
        .collect()
}

async fn live_run(store: &Store, run_id: i64) -> Result<Run> {
    let r = run(store, run_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("exercise run {run_id}")))?;
    if !r.live() {
        return Err(invalid(
            "This exercise run has ended: nothing more can be changed.",
        ));
    }
    Ok(r)
}

async fn stage_count(store: &Store, scenario_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM exercise_stages WHERE scenario_id = $1",
    )
    .bind(scenario_id)
    .fetch_one(store.pool())
    .await?)
}

/// The id of the team called `name` in this run (ignoring case), if any.
pub async fn team_by_name(store: &Store, run_id: i64, name: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM exercise_teams WHERE run_id = $1 AND LOWER(name) = LOWER($2)",
    )
    .bind(run_id)
    .bind(name.trim())
    .fetch_optional(store.pool())
    .await?)
}

/// The name of team `team_id`, refused unless the team is one of this run's.
async fn team_of_run(store: &Store, run_id: i64, team_id: i64) -> Result<String> {
    sqlx::query_scalar("SELECT name FROM exercise_teams WHERE id = $1 AND run_id = $2")
        .bind(team_id)
        .bind(run_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| invalid("That team is not part of this run."))
}

/// Releases a stage to all teams (`team_id: None`) or to one team of this run.
pub async fn release(
    store: &Store,
    actor: &Actor,
    run_id: i64,
    stage: i64,
    team_id: Option<i64>,
) -> Result<ReleaseRow> {
    let r = live_run(store, run_id).await?;
    rules::check_release(stage_count(store, r.scenario_id).await?, stage).map_err(invalid)?;
    let so_far = as_rules(&releases(store, run_id).await?);
    if let Some(why) = rules::already_released(&so_far, stage, team_id) {
        return Err(invalid(why));
    }
    let team_name = match team_id {
        None => None,
        Some(t) => Some(team_of_run(store, run_id, t).await?),
    };
    let mut tx = store.begin().await?;
    let now = now_text();
    sqlx::query(
        "INSERT INTO exercise_releases (run_id, stage, team_id, released_by, released_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(run_id)
    .bind(stage)
    .bind(team_id)
    .bind(&actor.name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let to = team_name.clone().unwrap_or_else(|| "all teams".into());
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "exercise_run.release",
            format!("Released stage {stage} of exercise run {run_id} to {to}"),
        )
        .on("exercise_run", run_id.to_string())
        .after(&serde_json::json!({"stage": stage, "team": team_name})),
    )
    .await?;
    tx.commit().await?;
    Ok(ReleaseRow {
        stage,
        team_id,
        team_name,
        released_by: actor.name.clone(),
        released_at: now,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswerRow {
    pub team_id: i64,
    pub question_id: i64,
    pub stage: i64,
    pub text: String,
    pub updated_at: String,
}

pub async fn answers(store: &Store, run_id: i64) -> Result<Vec<AnswerRow>> {
    let rows: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT a.team_id, a.question_id, s.stage, a.text, a.updated_at FROM exercise_answers a
         JOIN exercise_teams t ON t.id = a.team_id
         JOIN exercise_questions q ON q.id = a.question_id
         JOIN exercise_stages s ON s.id = q.stage_id
         WHERE t.run_id = $1 ORDER BY a.team_id, s.stage, q.position",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AnswerRow {
            team_id: r.0,
            question_id: r.1,
            stage: r.2,
            text: r.3,
            updated_at: r.4,
        })
        .collect())
}

/// Saves a team's answer to a question (replacing its earlier text). Refused when the run has
/// ended, the team is not of this run, the question is not of this run's scenario or its stage
/// has not been released to this team; nothing is written then. An unchanged text writes nothing.
pub async fn save_answer(
    store: &Store,
    actor: &Actor,
    run_id: i64,
    team_id: i64,
    question_id: i64,
    text: &str,
) -> Result<AnswerRow> {
    let r = live_run(store, run_id).await?;
    let text = rules::clean_answer(text).map_err(invalid)?;
    let team = team_of_run(store, run_id, team_id).await?;
    let stage: Option<i64> = sqlx::query_scalar(
        "SELECT s.stage FROM exercise_questions q JOIN exercise_stages s ON s.id = q.stage_id
         WHERE q.id = $1 AND s.scenario_id = $2",
    )
    .bind(question_id)
    .bind(r.scenario_id)
    .fetch_optional(store.pool())
    .await?;
    let Some(stage) = stage else {
        return Err(invalid(format!(
            "Question {question_id} is not part of this exercise."
        )));
    };
    let rel = as_rules(&releases(store, run_id).await?);
    if !rules::is_released(&rel, team_id, stage) {
        return Err(invalid(format!(
            "Stage {stage} has not been released to team \"{team}\" yet, so it cannot be answered."
        )));
    }
    let mut tx = store.begin().await?;
    let before: Option<String> = sqlx::query_scalar(
        "SELECT text FROM exercise_answers WHERE team_id = $1 AND question_id = $2",
    )
    .bind(team_id)
    .bind(question_id)
    .fetch_optional(&mut *tx)
    .await?;
    let now = now_text();
    if before.as_deref() == Some(text.as_str()) {
        tx.rollback().await?;
        let at: String = sqlx::query_scalar(
            "SELECT updated_at FROM exercise_answers WHERE team_id = $1 AND question_id = $2",
        )
        .bind(team_id)
        .bind(question_id)
        .fetch_one(store.pool())
        .await?;
        return Ok(AnswerRow {
            team_id,
            question_id,
            stage,
            text,
            updated_at: at,
        });
    }
    if before.is_some() {
        sqlx::query(
            "UPDATE exercise_answers SET text = $1, updated_at = $2 WHERE team_id = $3 AND question_id = $4",
        )
        .bind(&text)
        .bind(&now)
        .bind(team_id)
        .bind(question_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO exercise_answers (team_id, question_id, text, updated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(team_id)
        .bind(question_id)
        .bind(&text)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "exercise_run.answer",
            format!("Team \"{team}\" saved its answer to question {question_id} of exercise run {run_id}"),
        )
        .on("exercise_run", run_id.to_string())
        .before(&before)
        .after(&text),
    )
    .await?;
    tx.commit().await?;
    Ok(AnswerRow {
        team_id,
        question_id,
        stage,
        text,
        updated_at: now,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: i64,
    pub stage: Option<i64>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub note: String,
    pub author: String,
    pub at: String,
}

pub async fn add_note(
    store: &Store,
    actor: &Actor,
    run_id: i64,
    stage: Option<i64>,
    team_id: Option<i64>,
    note: &str,
) -> Result<Note> {
    live_run(store, run_id).await?;
    let note = rules::clean_note(note).map_err(invalid)?;
    let team_name = match team_id {
        None => None,
        Some(t) => Some(team_of_run(store, run_id, t).await?),
    };
    let mut tx = store.begin().await?;
    let now = now_text();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO exercise_notes (run_id, stage, team_id, note, author, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(run_id)
    .bind(stage)
    .bind(team_id)
    .bind(&note)
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "exercise_run.note",
            format!("Added an observer note to exercise run {run_id}"),
        )
        .on("exercise_run", run_id.to_string())
        .after(&note),
    )
    .await?;
    tx.commit().await?;
    Ok(Note {
        id,
        stage,
        team_id,
        team_name,
        note,
        author: actor.name.clone(),
        at: now,
    })
}

pub async fn notes(store: &Store, run_id: i64) -> Result<Vec<Note>> {
    let rows: Vec<NoteTuple> =
        sqlx::query_as(
            "SELECT n.id, n.stage, n.team_id, t.name, n.note, n.author, n.at FROM exercise_notes n
             LEFT JOIN exercise_teams t ON t.id = n.team_id WHERE n.run_id = $1 ORDER BY n.at, n.id",
        )
        .bind(run_id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Note {
            id: r.0,
            stage: r.1,
            team_id: r.2,
            team_name: r.3,
            note: r.4,
            author: r.5,
            at: r.6,
        })
        .collect())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Meeting {
    pub agencies_present: String,
    pub information_shared: String,
    pub decisions: String,
    pub updated_by: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub id: i64,
    pub action: String,
    pub owner: String,
    pub due: String,
}

pub async fn meeting(store: &Store, run_id: i64) -> Result<Option<Meeting>> {
    let r: Option<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT agencies_present, information_shared, decisions, updated_by, updated_at FROM exercise_meetings WHERE run_id = $1",
    )
    .bind(run_id)
    .fetch_optional(store.pool())
    .await?;
    Ok(r.map(|r| Meeting {
        agencies_present: r.0,
        information_shared: r.1,
        decisions: r.2,
        updated_by: r.3,
        updated_at: r.4,
    }))
}

/// Records (or replaces) the mock strategy meeting's record.
pub async fn save_meeting(
    store: &Store,
    actor: &Actor,
    run_id: i64,
    agencies: &str,
    information: &str,
    decisions: &str,
) -> Result<()> {
    live_run(store, run_id).await?;
    for (label, v) in [
        ("agencies present", agencies),
        ("information shared", information),
        ("decisions", decisions),
    ] {
        if v.chars().count() > rules::MAX_ANSWER_CHARS {
            return Err(invalid(format!("The {label} text is too long.")));
        }
    }
    let before = meeting(store, run_id).await?;
    let mut tx = store.begin().await?;
    let now = now_text();
    if before.is_some() {
        sqlx::query(
            "UPDATE exercise_meetings SET agencies_present = $1, information_shared = $2, decisions = $3, updated_by = $4, updated_at = $5 WHERE run_id = $6",
        )
        .bind(agencies.trim())
        .bind(information.trim())
        .bind(decisions.trim())
        .bind(&actor.name)
        .bind(&now)
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO exercise_meetings (run_id, agencies_present, information_shared, decisions, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run_id)
        .bind(agencies.trim())
        .bind(information.trim())
        .bind(decisions.trim())
        .bind(&actor.name)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "exercise_run.meeting",
            format!("Recorded the strategy meeting of exercise run {run_id}"),
        )
        .on("exercise_run", run_id.to_string())
        .before(&before)
        .after(&serde_json::json!({"agencies_present": agencies.trim(), "information_shared": information.trim(), "decisions": decisions.trim()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn actions(store: &Store, run_id: i64) -> Result<Vec<Action>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, action, owner, due FROM exercise_actions WHERE run_id = $1 ORDER BY id",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Action {
            id: r.0,
            action: r.1,
            owner: r.2,
            due: r.3,
        })
        .collect())
}

/// Adds an action of the strategy meeting: what, who owns it, and by when (free text).
pub async fn add_action(
    store: &Store,
    actor: &Actor,
    run_id: i64,
    action: &str,
    owner: &str,
    due: &str,
) -> Result<i64> {
    live_run(store, run_id).await?;
    let (action, owner, due) = (action.trim(), owner.trim(), due.trim());
    if action.is_empty() {
        return Err(invalid("Enter the action."));
    }
    if owner.is_empty() {
        return Err(invalid(
            "Enter who owns the action: every action needs an owner.",
        ));
    }
    if action.chars().count() > 2000 || owner.chars().count() > 200 || due.chars().count() > 100 {
        return Err(invalid("The action, owner or date is too long."));
    }
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO exercise_actions (run_id, action, owner, due, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(run_id)
    .bind(action)
    .bind(owner)
    .bind(due)
    .bind(&actor.name)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "exercise_run.action",
            format!("Added a strategy-meeting action to exercise run {run_id}"),
        )
        .on("exercise_run", run_id.to_string())
        .after(&serde_json::json!({"action": action, "owner": owner, "due": due})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends a live run: its team codes stop working and nothing more can be changed.
pub async fn end_run(store: &Store, actor: &Actor, run_id: i64) -> Result<String> {
    live_run(store, run_id).await?;
    let mut tx = store.begin().await?;
    let now = now_text();
    sqlx::query("UPDATE exercise_runs SET status = 'ended', ended_at = $1 WHERE id = $2 AND status = 'live'")
        .bind(&now)
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("exercise_run.end", format!("Ended exercise run {run_id}"))
            .on("exercise_run", run_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(now)
}

/// Records that someone viewed a run's team membership or answers (debrief, exports).
pub async fn record_view(store: &Store, actor: &Actor, run_id: i64, what: &str) -> Result<()> {
    audit_trail::record(
        store,
        actor,
        Event::new(
            "exercise_run.view",
            format!("Viewed the {what} of exercise run {run_id}"),
        )
        .on("exercise_run", run_id.to_string()),
    )
    .await
}

/// The operating system's random source, for callers without a `rand` dependency.
pub use rand::rngs::OsRng as OsRandom;

/// Active frontline people by staff number (the demo's teams are drawn from them).
pub async fn demo_officers(store: &Store) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT staff_number FROM people WHERE active = 1 AND roles LIKE '%;frontline;%' ORDER BY staff_number",
    )
    .fetch_all(store.pool())
    .await?)
}

/// The attachment day held on a date, if one is recorded.
pub async fn attachment_day_on(store: &Store, day: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM attachment_days WHERE day = $1 ORDER BY id")
            .bind(day)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Moves the run's moments onto its attachment day (09:30 UTC start, a stage every 25 minutes),
/// so the debrief's timeline reads as the day did.
pub async fn backdate_demo_run(store: &Store, run_id: i64, day: &str) -> Result<()> {
    let at = |minutes: i64| {
        let (h, m) = (9 + (30 + minutes) / 60, (30 + minutes) % 60);
        format!("{day}T{h:02}:{m:02}:00.000000Z")
    };
    let mut tx = store.begin().await?;
    let releases: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, stage FROM exercise_releases WHERE run_id = $1")
            .bind(run_id)
            .fetch_all(&mut *tx)
            .await?;
    for (id, stage) in releases {
        sqlx::query("UPDATE exercise_releases SET released_at = $1 WHERE id = $2")
            .bind(at((stage - 1) * 25))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE exercise_answers SET updated_at = $1 WHERE team_id IN (SELECT id FROM exercise_teams WHERE run_id = $2)",
    )
    .bind(at(150))
    .bind(run_id)
    .execute(&mut *tx)
    .await?;
    let notes: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, stage FROM exercise_notes WHERE run_id = $1")
            .bind(run_id)
            .fetch_all(&mut *tx)
            .await?;
    for (id, stage) in notes {
        sqlx::query("UPDATE exercise_notes SET at = $1 WHERE id = $2")
            .bind(at((stage.unwrap_or(6) - 1) * 25 + 15))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE exercise_runs SET created_at = $1, ended_at = $2 WHERE id = $3")
        .bind(at(0))
        .bind(at(165))
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE exercise_meetings SET updated_at = $1 WHERE run_id = $2")
        .bind(at(160))
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
