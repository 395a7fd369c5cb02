//! Knowledge checks and recorded videos.
//!
//! Trainers write question banks (`/training/checks…`) and give a recorded-video module its
//! recording (`/training/modules/{id}/video`: a link to the force's video host, or an mp4/webm
//! file kept under the data directory by a random key and served with HTTP range requests).
//! People take a check before or after a session, or on its own, and see their score with each
//! question's explanation. A transferee watches the recording, confirms it, passes the module's
//! check, and the completion is recorded for their plan.

mod edit;
mod list;
mod result;
mod take;
mod upload;
mod watch;
use self::{edit::*, list::*, result::*, take::*, upload::*, watch::*};

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::{path_id, raw_field};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::checks::{self as rules, OptionDraft, Phase, QuestionDraft, QuestionKind};
use mashboard_store::learning::checks::{self, Check, CheckInput, CheckSummary, NewAttempt};
use mashboard_store::learning::videos::{self, Source};
use mashboard_store::training::catalogue::{self, Module};
use mashboard_store::training::completions::{self, NewCompletion};
use mashboard_store::training::today;
use std::collections::{BTreeMap, BTreeSet};
use tower_sessions::Session;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{OwnTraining, TrainingManage};
    t.get("/training/checks", P(TrainingManage), get(list))
        .get("/training/checks/new", P(TrainingManage), get(new_form))
        .post("/training/checks/new", P(TrainingManage), post(create))
        .get("/training/checks/{id}", P(TrainingManage), get(edit))
        .post("/training/checks/{id}", P(TrainingManage), post(update))
        .post(
            "/training/checks/{id}/questions",
            P(TrainingManage),
            post(add_question),
        )
        .post(
            "/training/checks/{id}/questions/{qid}/remove",
            P(TrainingManage),
            post(remove_question),
        )
        .get("/training/checks/{id}/take", P(OwnTraining), get(take))
        .post("/training/checks/{id}/take", P(OwnTraining), post(submit))
        .get("/training/attempts/{id}", P(OwnTraining), get(result))
        .get(
            "/training/modules/{id}/video",
            P(TrainingManage),
            get(video_form),
        )
        .post_large(
            "/training/modules/{id}/video",
            P(TrainingManage),
            post(video_upload),
        )
        .get("/training/modules/{id}/watch", P(OwnTraining), get(watch))
        .post(
            "/training/modules/{id}/watch",
            P(OwnTraining),
            post(confirm_watch),
        )
        .get(
            "/training/modules/{id}/video/file",
            P(OwnTraining),
            get(video_file),
        )
}

pub const OPTION_ROWS: usize = 6;
const SESSION_STARTED: &str = "check_started";

fn query(raw: Option<&str>, key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = raw
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn date_text(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}
