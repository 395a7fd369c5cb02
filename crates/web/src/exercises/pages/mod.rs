//! The exercise runner's pages: scenarios, starting a run, the facilitator console, the projector
//! view, each team's page (signed in, or on a shared screen opened with the team's code), and the
//! printable debrief with CSV and PDF exports. Every page works without JavaScript by reloading;
//! `app.js` adds live updates (Server-Sent Events) and answers that save as they are typed.

mod code;
mod console;
mod debrief;
mod end;
mod index;
mod new;
mod projector;
mod scenario;
mod team;
use self::{
    code::*, console::*, debrief::*, end::*, index::*, new::*, projector::*, scenario::*, team::*,
};

use crate::auth::{cap, CurrentUser, MaybeUser, Page};
use crate::error::AppError;
use crate::exercises::api::{self as live, Audience};
use crate::form::field_str;
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use mashboard_domain::access::Capability;
use mashboard_domain::exercises as rules;
use mashboard_store::audit_trail::Actor;
use mashboard_store::exercises::{self as ex, NewPartner, NewRun, NewTeam, Run, Scenario, Team};
use serde::Deserialize;
use std::collections::BTreeSet;

const SESSION_CODE: &str = "exercise_team_code";

pub(crate) fn routes(t: Table) -> Table {
    use Access::{Page as P, Public};
    use Capability::{ExercisesFacilitate as F, ExercisesTake as T};
    t.get("/exercises", P(T), get(index))
        .get("/exercises/scenarios/{id}", P(F), get(scenario_page))
        .get("/exercises/runs/new", P(F), get(new_form))
        .post("/exercises/runs/new", P(F), post(create))
        .get("/exercises/runs/{id}/console", P(F), get(console))
        .get(
            "/exercises/runs/{id}/console/events",
            P(F),
            get(console_events),
        )
        .post("/exercises/runs/{id}/release", P(F), post(release))
        .post("/exercises/runs/{id}/notes", P(F), post(add_note))
        .post("/exercises/runs/{id}/meeting", P(F), post(save_meeting))
        .post("/exercises/runs/{id}/actions", P(F), post(add_action))
        .get("/exercises/runs/{id}/end", P(F), get(end_confirm))
        .post("/exercises/runs/{id}/end", P(F), post(end_run))
        .post(
            "/exercises/runs/{id}/facilitators",
            P(F),
            post(add_facilitator),
        )
        .post(
            "/exercises/runs/{id}/facilitators/{user_id}/remove",
            P(F),
            post(remove_facilitator),
        )
        .get("/exercises/runs/{id}/projector", P(F), get(projector))
        .get(
            "/exercises/runs/{id}/projector/events",
            P(F),
            get(projector_events),
        )
        .get("/exercises/runs/{id}/teams/{team_id}", P(T), get(team_page))
        .post(
            "/exercises/runs/{id}/teams/{team_id}",
            P(T),
            post(team_save),
        )
        .get(
            "/exercises/runs/{id}/teams/{team_id}/events",
            P(T),
            get(team_events),
        )
        .get("/exercises/runs/{id}/debrief", P(F), get(debrief))
        .get("/exercises/runs/{id}/debrief.csv", P(F), get(debrief_csv))
        .get("/exercises/runs/{id}/debrief.pdf", P(F), get(debrief_pdf))
        .get("/exercise", Public, get(code_form))
        .post("/exercise", Public, post(code_submit))
        .get("/exercise/team", Public, get(code_team))
        .post("/exercise/team", Public, post(code_save))
        .get("/exercise/team/events", Public, get(code_events))
}

// ----- helpers -----

/// Text as paragraphs (one per line), so briefings and logs keep their lines without markup.
fn paras(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// An instant as the UK time of day, in words, e.g. "2:05pm".
fn clock_at(instant: &str) -> String {
    mashboard_store::parse_instant(instant)
        .map(mashboard_domain::sessions::london_clock)
        .unwrap_or_default()
}

/// The UK date of an instant, in words ("6 December 2026").
fn day_of(instant: &str) -> String {
    mashboard_domain::training::stored_date_in_words(instant).unwrap_or_else(|| instant.to_string())
}

fn since_start(run: &Run, instant: &str) -> String {
    let (Some(a), Some(b)) = (
        mashboard_store::parse_instant(&run.started_at),
        mashboard_store::parse_instant(instant),
    ) else {
        return String::new();
    };
    rules::clock_text((b - a).whole_seconds())
}

fn elapsed(run: &Run) -> String {
    let end = run
        .ended_at
        .clone()
        .unwrap_or_else(mashboard_store::now_text);
    since_start(run, &end)
}

async fn load_run(state: &AppState, id: i64) -> Result<(Run, Scenario), AppError> {
    let run = ex::run(&state.store, id).await?.ok_or(AppError::NotFound)?;
    let sc = ex::scenario(&state.store, run.scenario_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((run, sc))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Only the run's facilitators (its creator and named co-facilitators) and administrators and the
/// MASH trainer may open a run as facilitator; anyone else gets a 404, as for a run that does
/// not exist, so a run's existence is not revealed.
pub(crate) async fn facilitated(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(), AppError> {
    if ex::may_facilitate(&state.store, user.run_scope(), id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Streams are for live runs only (an ended run has nothing more to say).
async fn live_only(state: &AppState, id: i64) -> Result<(), AppError> {
    match ex::run(&state.store, id).await? {
        Some(r) if r.live() => Ok(()),
        _ => Err(AppError::NotFound),
    }
}
