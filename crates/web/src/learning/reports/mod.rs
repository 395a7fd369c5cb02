//! Session feedback and the delivery reports.
//!
//! After a session, each person recorded as attending (fully or partly) gives one short
//! feedback form. Trainers and senior leaders see the results per session, per module and per
//! trainer (n, means and the distribution of each rating), and the learning gain of every
//! knowledge check set before and after sessions (with n), as pages and CSV.

mod delivery_reports;
mod feedback_form;
mod feedback_results;
use self::{delivery_reports::*, feedback_form::*, feedback_results::*};

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::export::csv_safe;
use crate::form::{path_id, raw_field};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::checks::{format_gain, format_mean, Gain};
use mashboard_domain::feedback::{self as rules, FeedbackSummary, Ratings, RATINGS};
use mashboard_store::learning::checks::{self, GainRow};
use mashboard_store::learning::feedback::{self, FeedbackRow, NewFeedback, SessionInfo};
use std::collections::BTreeMap;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{DeliveryReports, OwnTraining};
    t.get("/sessions/{id}/feedback", P(OwnTraining), get(form))
        .post("/sessions/{id}/feedback", P(OwnTraining), post(submit))
        .get(
            "/sessions/{id}/feedback/results",
            P(DeliveryReports),
            get(session_results),
        )
        .get("/delivery/reports", P(DeliveryReports), get(reports))
        .get(
            "/delivery/reports/feedback.csv",
            P(DeliveryReports),
            get(feedback_csv),
        )
        .get(
            "/delivery/reports/learning-gain.csv",
            P(DeliveryReports),
            get(gain_csv),
        )
}

fn day(instant: &str) -> &str {
    instant.get(0..10).unwrap_or(instant)
}

// ---------------------------------------------------------------------------------------------
// Summaries

/// One group's feedback as the tables show it.
pub(crate) struct GroupView {
    pub label: String,
    pub detail: String,
    pub link: String,
    pub n: usize,
    pub attendees: Option<i64>,
    pub means: Vec<String>,
    pub distributions: Vec<String>,
}

fn group_view(label: String, detail: String, link: String, s: &FeedbackSummary) -> GroupView {
    GroupView {
        label,
        detail,
        link,
        n: s.n,
        attendees: None,
        means: s.ratings.iter().map(|r| r.mean_text()).collect(),
        distributions: s.ratings.iter().map(|r| r.distribution_text()).collect(),
    }
}

pub(crate) struct GainView {
    pub check: String,
    pub session: String,
    pub session_id: Option<i64>,
    pub n: usize,
    pub pre: String,
    pub post: String,
    pub gain: String,
    pub pre_only: usize,
    pub post_only: usize,
}

fn gain_view(r: &GainRow) -> GainView {
    let g: &Gain = &r.gain;
    GainView {
        check: r.check_title.clone(),
        session: if r.session_title.is_empty() {
            String::new()
        } else {
            format!("{} ({})", r.session_title, day(&r.session_starts_at))
        },
        session_id: r.session_id,
        n: g.n_paired,
        pre: format_mean(g.mean_pre),
        post: format_mean(g.mean_post),
        gain: format_gain(g.mean_gain),
        pre_only: g.pre_only,
        post_only: g.post_only,
    }
}

const SHORT_LABELS: [&str; 4] = ["Overall", "Relevance", "Delivery", "Confidence"];
