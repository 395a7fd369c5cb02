//! `/impact`: the senior leaders' dashboard, the first page a senior leader sees. For a period
//! and department (a line manager: their own team): relevant referrals, referral quality,
//! rejections and further work, compliance, training coverage and the missing-referral queue,
//! and the training effect. Each chart is drawn on the server with a title and a description,
//! its data in a table beside it and as a CSV or Excel download (`/impact/data/{table}.csv|.xlsx`),
//! every rate with its n and 95% interval, every change called signal or noise in words.
//!
//! `page.rs` is the page, `downloads.rs` the downloads; each section's figure and table is built
//! in its own file (`referrals.rs`, `quality.rs`, `compliance.rs`, `coverage.rs`, `effect.rs`)
//! from the pieces in `cells.rs`.

mod cells;
mod compliance;
mod coverage;
mod downloads;
mod effect;
mod page;
mod quality;
mod referrals;

pub(super) use downloads::download;
pub(super) use page::show;

use super::period::{self, Wanted};
use super::svg::Svg;
use crate::error::AppError;
use crate::export::XCell;
use crate::AppState;
use effect::EffectView;
use mashboard_domain::impact::dashboard::Dashboard;
use mashboard_store::impact::{self, Scope};
use mashboard_store::training::today;

/// One chart on the page: its drawing, its verdict in words, and its table.
pub(crate) struct Figure {
    pub key: &'static str,
    pub heading: &'static str,
    pub svg: Option<Svg>,
    /// What the chart's shapes and lines mean.
    pub legend: &'static str,
    pub verdict: String,
    pub warnings: Vec<String>,
    pub table: Table,
}

/// A table shown on the page and downloaded: text for people, cells for spreadsheets.
pub(crate) struct Table {
    pub caption: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<(String, XCell)>>,
}

/// Everything shown for one query; the downloads take their tables from it.
struct Shown {
    query: String,
    /// Whose figures, in words: the force, one department, or the reader's team.
    whose: String,
    /// A line manager's: the department their query asked for, set aside for their team.
    set_aside: Option<String>,
    period: String,
    answer: String,
    figures: Vec<Figure>,
    years: Table,
    coverage: Table,
    effect: EffectView,
}

async fn figures_for(state: &AppState, w: &Wanted) -> Result<Dashboard, AppError> {
    let store = state.store.clone();
    let d = impact::dashboard(&store, &w.filter, &w.module, w.chart, today()).await?;
    Ok(d)
}

/// Whose figures, in words.
fn whose(w: &Wanted) -> String {
    match &w.filter.scope {
        Scope::Force => "the whole force".into(),
        Scope::Department(d) => format!(
            "{d} only (imported history, which has no department, is left out)"
        ),
        Scope::Team(_) => "your team only: the people whose line manager you are and their referrals (imported history, which is force-wide, is left out)".into(),
    }
}

fn view(d: &Dashboard, w: &Wanted) -> Shown {
    let (compliance, years) = compliance::compliance(d, w.chart);
    let (coverage_force, coverage, queue) = coverage::coverage(d);
    let (event_study, effect, answer) = effect::effect(d);
    Shown {
        query: period::query_of(w),
        whose: whose(w),
        set_aside: w.set_aside.clone(),
        period: format!(
            "{} to {}",
            mashboard_domain::people::format_date_long(w.filter.from),
            mashboard_domain::people::format_date_long(w.filter.to)
        ),
        answer,
        figures: vec![
            referrals::relevant(d),
            quality::quality(d),
            referrals::rejected(d),
            compliance,
            coverage_force,
            queue,
            event_study,
        ],
        years,
        coverage,
        effect,
    }
}
