//! `/impact`: the senior leaders' dashboard, the first page a senior leader sees. For a period
//! and department: relevant referrals, referral quality, rejections and further work,
//! compliance, training coverage and the missing-referral queue, and the training effect. Each
//! chart is drawn on the server with a title and a description, its data in a table beside it
//! and as a CSV or Excel download (`/impact/data/{table}.csv|.xlsx`), every rate with its n and
//! 95% interval, every change called signal or noise in words.

use super::period::{self, Wanted};
use super::svg::{self, Svg};
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::export::{self, Sheet, XCell};
use crate::view::{html, tasks_for, Chrome, FormState, Task, SECTIONS};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use mashboard_domain::impact::dashboard::{pct, ChartFigure, Dashboard, RateFigure, TrainerKind};
use mashboard_domain::impact::{run_chart, runs_analysis, ChartKind, Improvement};
use mashboard_domain::impact::{PointType, SpcChart, SpcOptions, SpcPoint, ValuePoint};
use mashboard_store::impact;
use mashboard_store::training::today;

/// One chart on the page: its drawing, its verdict in words, and its table.
pub(crate) struct Figure {
    pub key: &'static str,
    pub heading: &'static str,
    pub svg: Option<Svg>,
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

#[derive(Template)]
#[template(path = "impact/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    form: FormState,
    departments: Vec<String>,
    shown: Option<Shown>,
    tasks: Vec<Task>,
}

struct Shown {
    query: String,
    department: Option<String>,
    period: String,
    answer: String,
    figures: Vec<Figure>,
    years: Table,
    coverage: Table,
    effect: EffectView,
}

struct EffectView {
    module: String,
    estimate: Option<String>,
    none_because: Option<String>,
    descriptive: Vec<String>,
    by_kind: Vec<String>,
    caveats: Vec<String>,
    not_asked: &'static str,
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

async fn figures_for(state: &AppState, w: &Wanted) -> Result<Dashboard, AppError> {
    let store = state.store.clone();
    let d = impact::dashboard(&store, &w.filter, &w.module, w.chart, today()).await?;
    Ok(d)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::Impact>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (wanted, mut form) = period::read(&pairs(raw.as_deref()), today());
    let mut shown = None;
    if let Some(w) = wanted {
        if impact::module_exists(&state.store, &w.module).await? {
            let d = figures_for(&state, &w).await?;
            shown = Some(view(&d, &w));
        } else {
            form.add_error(
                "module",
                format!(
                    "Training module: no module in the catalogue has the code \"{}\"",
                    w.module
                ),
            );
        }
    }
    let section = SECTIONS
        .iter()
        .find(|s| s.href == "/impact")
        .expect("the Impact section");
    let errors = form.has_errors();
    html(&DashboardPage {
        chrome: Chrome::new(&state, "Impact", Some(&page.user), &page.csrf, "/impact")
            .with_errors(errors),
        form,
        departments: impact::departments(&state.store).await?,
        shown,
        tasks: tasks_for(&page.user, section),
    })
}

/// `/impact/data/{table}.csv` or `.xlsx`: one chart's data, for the same query as the page.
pub async fn download(
    State(state): State<AppState>,
    _page: Page<cap::Impact>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (key, ext) = name.rsplit_once('.').ok_or(AppError::NotFound)?;
    if !matches!(ext, "csv" | "xlsx") {
        return Err(AppError::NotFound);
    }
    let (wanted, form) = period::read(&pairs(raw.as_deref()), today());
    let Some(w) = wanted else {
        let message = form
            .errors
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(AppError::BadRequest(message));
    };
    if !impact::module_exists(&state.store, &w.module).await? {
        return Err(AppError::BadRequest(format!(
            "No module in the catalogue has the code \"{}\"",
            w.module
        )));
    }
    let d = figures_for(&state, &w).await?;
    let shown = view(&d, &w);
    let table = match key {
        "years" => shown.years,
        "coverage" => shown.coverage,
        _ => {
            shown
                .figures
                .into_iter()
                .find(|f| f.key == key)
                .ok_or(AppError::NotFound)?
                .table
        }
    };
    let rows: Vec<Vec<XCell>> = table
        .rows
        .into_iter()
        .map(|r| r.into_iter().map(|(_, c)| c).collect())
        .collect();
    let file = format!("impact-{key}-{}-to-{}", d.from, d.to);
    if ext == "csv" {
        let csv_err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&table.header).map_err(csv_err)?;
        for r in &rows {
            w.write_record(r.iter().map(XCell::csv)).map_err(csv_err)?;
        }
        let body = w
            .into_inner()
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
        Ok(export::download(
            "text/csv; charset=utf-8",
            &format!("{file}.csv"),
            body,
        ))
    } else {
        let body = export::workbook(&[Sheet {
            name: "Data",
            header: table.header,
            rows,
        }])?;
        Ok(export::download(
            export::XLSX,
            &format!("{file}.xlsx"),
            body,
        ))
    }
}

fn text(s: impl Into<String>) -> (String, XCell) {
    let s = s.into();
    (s.clone(), XCell::Text(s))
}

fn int(n: u64) -> (String, XCell) {
    (n.to_string(), XCell::Number(n as f64))
}

fn share(r: Option<f64>) -> (String, XCell) {
    match r {
        Some(v) => (pct(v), XCell::Number(v)),
        None => (String::new(), XCell::Text(String::new())),
    }
}

fn ci(ci: Option<[f64; 2]>) -> [(String, XCell); 2] {
    match ci {
        Some([lo, hi]) => [(pct(lo), XCell::Number(lo)), (pct(hi), XCell::Number(hi))],
        None => [text(""), text("")],
    }
}

fn num(v: Option<f64>, places: usize) -> (String, XCell) {
    match v {
        Some(v) => (format!("{v:.places$}"), XCell::Number(v)),
        None => text(""),
    }
}

fn signal_of(chart: &ChartFigure, label: &str) -> (String, XCell) {
    let t = chart
        .chart
        .as_ref()
        .and_then(|c| c.points.iter().find(|p| p.label == label))
        .map(|p| match p.point_type {
            PointType::SpecialCauseImprovement => "Special cause: improvement",
            PointType::SpecialCauseConcern => "Special cause: concern",
            PointType::CommonCause => "Common cause (noise)",
        })
        .unwrap_or("Not charted");
    text(t)
}

fn rate_row(r: &RateFigure) -> [(String, XCell); 3] {
    let [lo, hi] = ci(r.ci95);
    [share(r.rate), lo, hi]
}

fn drawn(chart: &ChartFigure, key: &'static str, title: &str, what: &str) -> Option<Svg> {
    let c = chart.chart.as_ref()?;
    let desc = format!("{what} {}", chart.verdict());
    Some(svg::draw(c, title, &desc, key))
}

fn figure(
    key: &'static str,
    heading: &'static str,
    chart: &ChartFigure,
    what: &str,
    table: Table,
) -> Figure {
    Figure {
        key,
        heading,
        svg: drawn(chart, key, heading, what),
        verdict: chart.verdict(),
        warnings: chart
            .chart
            .as_ref()
            .map(|c| c.warnings.clone())
            .unwrap_or_default(),
        table,
    }
}

/// A run chart (median centre, no limits) of a simple series, for coverage and the queue.
fn run_figure(points: Vec<ValuePoint>, improvement: Improvement) -> ChartFigure {
    let result = run_chart(&points, improvement, &SpcOptions::default());
    match result {
        Ok(chart) => ChartFigure {
            signals: chart.signals.iter().map(|s| s.text.clone()).collect(),
            runs: chart.anhoej.describe(),
            chart: Some(chart),
            none_because: None,
        },
        Err(e) => ChartFigure {
            chart: None,
            signals: Vec::new(),
            runs: None,
            none_because: Some(e.to_string()),
        },
    }
}

/// The event study drawn as points with their 95% intervals (short bars above and below) around
/// zero, the quarter before training (−1) being the reference.
fn event_chart(d: &Dashboard) -> Option<ChartFigure> {
    let points: Vec<SpcPoint> = d
        .effect
        .effect
        .event_study
        .coefficients
        .iter()
        .filter_map(|c| {
            let (e, se) = (c.estimate?, c.se?);
            Some(SpcPoint {
                label: format!("{:+}", c.relative_quarter).replace('-', "−"),
                y: e,
                cl: 0.0,
                lcl: Some(e - 1.96 * se),
                ucl: Some(e + 1.96 * se),
                lcl_2sigma: None,
                ucl_2sigma: None,
                outside_limits: false,
                close_to_limits: false,
                part_of_7_point_shift: false,
                part_of_7_point_trend: false,
                part_of_2_in_3: false,
                point_type: PointType::CommonCause,
            })
        })
        .collect();
    if points.len() < 2 {
        return None;
    }
    Some(ChartFigure {
        chart: Some(SpcChart {
            chart: ChartKind::Xmr,
            centre: 0.0,
            anhoej: runs_analysis(std::iter::empty()),
            points,
            warnings: Vec::new(),
            improvement: Improvement::Decrease,
            signals: Vec::new(),
        }),
        signals: Vec::new(),
        runs: None,
        none_because: None,
    })
}

fn view(d: &Dashboard, w: &Wanted) -> Shown {
    let mut figures = Vec::new();

    // 1. Relevant referrals.
    let r = &d.relevant;
    figures.push(figure(
        "relevant",
        "Relevant referrals: accepted by the partner, per incident that needed one",
        &r.chart,
        "p chart of referrals accepted by the partner agency per incident that needed a referral (a child involved, domestic abuse or an adult at risk), by quarter; higher is better.",
        Table {
            caption: "Relevant referrals by quarter".into(),
            header: vec![
                "Quarter",
                "Accepted referrals",
                "Incidents that needed one",
                "Per 1,000 incidents",
                "95% CI low (per 1,000)",
                "95% CI high (per 1,000)",
                "Signal",
            ],
            rows: r
                .quarters
                .iter()
                .map(|q| {
                    let (lo, hi) = match q.per_1000_ci95 {
                        Some([lo, hi]) => (num(Some(lo), 1), num(Some(hi), 1)),
                        None => (text(""), text("")),
                    };
                    vec![
                        text(&q.quarter),
                        int(q.accepted),
                        int(q.incidents_needing),
                        num(q.per_1000, 1),
                        lo,
                        hi,
                        signal_of(&r.chart, &q.quarter),
                    ]
                })
                .collect(),
        },
    ));

    // 2. Quality.
    let qy = &d.quality;
    figures.push(figure(
        "quality",
        "Referral quality: each quarterly review's mean grade",
        &qy.chart,
        "XmR chart of the mean agreed grade of each quarterly referral quality review (grades 1 to 4); higher is better.",
        Table {
            caption: "Each review's grades, mean and 95% interval".into(),
            header: vec![
                "Review",
                "From",
                "To",
                "Grade 1",
                "Grade 2",
                "Grade 3",
                "Grade 4",
                "n",
                "Mean",
                "95% CI low",
                "95% CI high",
                "Imported",
                "Signal",
            ],
            rows: qy
                .reviews
                .iter()
                .map(|rv| {
                    let (lo, hi) = match rv.mean_ci95 {
                        Some([lo, hi]) => (num(Some(lo), 2), num(Some(hi), 2)),
                        None => (text(""), text("")),
                    };
                    let label = mashboard_domain::impact::dashboard::period_label(
                        &rv.period_start,
                        &rv.period_end,
                    );
                    vec![
                        text(&rv.title),
                        text(&rv.period_start),
                        text(&rv.period_end),
                        int(rv.counts["1"]),
                        int(rv.counts["2"]),
                        int(rv.counts["3"]),
                        int(rv.counts["4"]),
                        int(rv.n),
                        num(rv.mean, 2),
                        lo,
                        hi,
                        text(if rv.imported { "Imported" } else { "" }),
                        signal_of(&qy.chart, &label),
                    ]
                })
                .collect(),
        },
    ));

    // 3. Rejected or further work.
    let o = &d.outcomes;
    figures.push(figure(
        "outcomes",
        "Rejected or further work: no further action or returned for more information",
        &o.chart,
        "p chart of the share of referrals whose partner agency decided no further action or returned them for more information, by quarter; lower is better.",
        Table {
            caption: "Partner decisions by quarter".into(),
            header: vec![
                "Quarter",
                "Referrals",
                "With the partner's decision",
                "Accepted",
                "Rejected or returned",
                "Share rejected or returned",
                "95% CI low",
                "95% CI high",
                "Signal",
            ],
            rows: o
                .quarters
                .iter()
                .map(|q| {
                    let [s, lo, hi] = rate_row(&q.share);
                    vec![
                        text(&q.quarter),
                        int(q.referrals),
                        int(q.with_decision),
                        int(q.accepted),
                        int(q.rejected_or_returned),
                        s,
                        lo,
                        hi,
                        signal_of(&o.chart, &q.quarter),
                    ]
                })
                .collect(),
        },
    ));

    // 4. Compliance.
    let c = &d.compliance;
    let chart_name = if w.chart == ChartKind::PPrime {
        "Laney p′ chart"
    } else {
        "p chart"
    };
    figures.push(figure(
        "compliance",
        "Compliance: incidents needing a form that had one, each audit",
        &c.chart,
        &format!("{chart_name} of each compliance audit's share of incidents needing a referral form that had one; higher is better."),
        Table {
            caption: "Each audit's compliance and over-referral".into(),
            header: vec![
                "Audit",
                "From",
                "To",
                "Examined",
                "Needed a form",
                "Had one",
                "Compliance",
                "95% CI low",
                "95% CI high",
                "Needed no form",
                "Had one anyway",
                "Over-referral",
                "95% CI low",
                "95% CI high",
                "Imported",
                "Signal",
            ],
            rows: c
                .periods
                .iter()
                .map(|a| {
                    let p = &a.period;
                    let [cs, clo, chi] = rate_row(&a.compliance);
                    let [os, olo, ohi] = rate_row(&a.over_referral);
                    let label = mashboard_domain::impact::dashboard::period_label(
                        &p.period_start,
                        &p.period_end,
                    );
                    vec![
                        text(&p.title),
                        text(&p.period_start),
                        text(&p.period_end),
                        int(p.examined),
                        int(p.required),
                        int(p.completed_when_required),
                        cs,
                        clo,
                        chi,
                        int(p.not_required),
                        int(p.completed_when_not_required),
                        os,
                        olo,
                        ohi,
                        text(if p.imported { "Imported" } else { "" }),
                        signal_of(&c.chart, &label),
                    ]
                })
                .collect(),
        },
    ));
    let years = Table {
        caption: "Compliance by year, against the target of 200 incidents examined a year".into(),
        header: vec![
            "Year",
            "Examined",
            "Target",
            "Needed a form",
            "Had one",
            "Compliance",
            "95% CI low",
            "95% CI high",
            "Over-referral",
        ],
        rows: c
            .years
            .iter()
            .map(|(y, f)| {
                let [lo, hi] = ci(f.compliance_ci95);
                vec![
                    text(y),
                    int(f.examined),
                    int(f.target),
                    int(f.required),
                    int(f.completed_when_required),
                    share(f.compliance),
                    lo,
                    hi,
                    share(f.over_referral),
                ]
            })
            .collect(),
    };

    // 5. Training coverage and the queue.
    let mut force: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for cv in d
        .training
        .coverage
        .iter()
        .filter(|c| c.point.by == "department")
    {
        let t = force.entry(cv.point.quarter.as_str()).or_default();
        t.0 += cv.point.people;
        t.1 += cv.point.trained;
    }
    let mut quarters: Vec<&str> = d
        .training
        .coverage
        .iter()
        .map(|c| c.point.quarter.as_str())
        .collect();
    quarters.dedup();
    let coverage_points: Vec<ValuePoint> = quarters
        .iter()
        .filter_map(|q| {
            let (n, t) = force.get(q)?;
            (*n > 0).then(|| ValuePoint {
                label: q.to_string(),
                value: *t as f64 / *n as f64,
            })
        })
        .collect();
    let coverage_chart = run_figure(coverage_points, Improvement::Increase);
    let coverage_rows: Vec<Vec<(String, XCell)>> = quarters
        .iter()
        .filter_map(|q| {
            let (n, t) = force.get(q)?;
            let r = RateFigure::of(*t, *n);
            let [s, lo, hi] = rate_row(&r);
            Some(vec![text(*q), int(*n), int(*t), s, lo, hi])
        })
        .collect();
    let mut cov_fig = figure(
        "coverage_force",
        "Training coverage over time",
        &coverage_chart,
        &format!(
            "Run chart of the share of people in the departments shown trained in {} by the end of each quarter, against its median; higher is better.",
            d.training.module
        ),
        Table {
            caption: format!("People trained in {} by the end of each quarter", d.training.module),
            header: vec!["Quarter", "People", "Trained", "Share", "95% CI low", "95% CI high"],
            rows: coverage_rows,
        },
    );
    if let Some(s) = cov_fig.svg.as_mut() {
        // The run chart's values are shares.
        for t in s.ticks.iter_mut() {
            if let Ok(v) = t.text.parse::<f64>() {
                t.text = pct(v);
            }
        }
    }
    figures.push(cov_fig);
    let coverage = Table {
        caption: format!(
            "Coverage of {} by department and cohort, each quarter",
            d.training.module
        ),
        header: vec![
            "Quarter",
            "By",
            "Group",
            "People",
            "Trained",
            "Share",
            "95% CI low",
            "95% CI high",
        ],
        rows: d
            .training
            .coverage
            .iter()
            .map(|cv| {
                let [s, lo, hi] = rate_row(&cv.share);
                vec![
                    text(&cv.point.quarter),
                    text(cv.point.by),
                    text(&cv.point.group),
                    int(cv.point.people),
                    int(cv.point.trained),
                    s,
                    lo,
                    hi,
                ]
            })
            .collect(),
    };
    let queue_points: Vec<ValuePoint> = d
        .training
        .queue
        .iter()
        .map(|q| ValuePoint {
            label: q.on.get(..7).unwrap_or(&q.on).to_string(),
            value: q.open as f64,
        })
        .collect();
    let queue_chart = run_figure(queue_points, Improvement::Decrease);
    figures.push(figure(
        "queue",
        "Missing-referral queue: items open at the end of each month",
        &queue_chart,
        "Run chart of the number of incidents waiting on the missing-referral queue at the end of each month, against its median; lower is better.",
        Table {
            caption: "The missing-referral queue at the end of each month".into(),
            header: vec!["On", "Open", "Mean age (days)", "Oldest (days)"],
            rows: d
                .training
                .queue
                .iter()
                .map(|q| {
                    vec![
                        text(&q.on),
                        int(q.open),
                        num(q.mean_age_days, 1),
                        match q.oldest_days {
                            Some(v) => (v.to_string(), XCell::Number(v as f64)),
                            None => text(""),
                        },
                    ]
                })
                .collect(),
        },
    ));

    // 6. The training effect.
    let e = &d.effect;
    let estimate = match (e.effect.estimate, e.effect.ci95, e.effect.p_value) {
        (Some(est), Some([lo, hi]), Some(p)) => Some(format!(
            "{} percentage points (95% CI {} to {}; p = {p:.3})",
            signed_points(est),
            signed_points(lo),
            signed_points(hi)
        )),
        _ => None,
    };
    let event = event_chart(d).unwrap_or_else(|| ChartFigure {
        chart: None,
        signals: Vec::new(),
        runs: None,
        none_because: Some("the event study needs an estimate in at least 2 quarters".into()),
    });
    let mut event_fig = figure(
        "event_study",
        "The training effect: trained officers against those not yet trained",
        &event,
        "Each quarter before and after an officer's training quarter, the estimated difference in the share rejected or returned from the quarter before training (−1), with bars at its 95% interval; a flat line before 0 supports the comparison.",
        Table {
            caption: "Event study coefficients".into(),
            header: vec!["Quarters from training", "Estimate", "Standard error", "95% CI low", "95% CI high"],
            rows: e
                .effect
                .event_study
                .coefficients
                .iter()
                .map(|c| {
                    let lohi = c.estimate.zip(c.se).map(|(e, s)| [e - 1.96 * s, e + 1.96 * s]);
                    let [lo, hi] = ci(lohi);
                    vec![
                        text(relative_words(c.relative_quarter)),
                        share(c.estimate),
                        num(c.se, 4),
                        lo,
                        hi,
                    ]
                })
                .collect(),
        },
    );
    event_fig.verdict = if event.chart.is_some() {
        "Read the points before 0: close to zero, the trained officers were not already moving apart from the others before training.".into()
    } else {
        format!(
            "No chart: {}.",
            event.none_because.clone().unwrap_or_default()
        )
    };
    event_fig.svg = event.chart.as_ref().map(|c| {
        svg::draw(
            c,
            event_fig.heading,
            &format!(
                "Event study: each quarter before and after an officer's training quarter, the estimated difference in percentage points in the share rejected or returned from the quarter before training, with its 95% interval. {}",
                event_fig.verdict
            ),
            "event_study",
        )
    });
    if let Some(s) = event_fig.svg.as_mut() {
        for t in s.ticks.iter_mut() {
            if let Ok(v) = t.text.parse::<f64>() {
                t.text = signed_points(v);
            }
        }
    }
    figures.push(event_fig);
    let rate_text = |label: &str, r: &mashboard_domain::impact::Rate| match r.rate {
        Some(v) => {
            let n = r.n as u64;
            let x = (v * r.n as f64).round() as u64;
            format!("{label}: {}", RateFigure::of(x, n).text())
        }
        None => format!("{label}: no referrals"),
    };
    let desc = &e.effect.descriptive;
    let effect = EffectView {
        module: e.module.clone(),
        estimate,
        none_because: e.none_because.clone(),
        descriptive: vec![
            rate_text("Trained officers, before their training", &desc.trained_before),
            rate_text("Trained officers, after their training", &desc.trained_after),
            rate_text("Officers never trained", &desc.never_trained),
        ],
        by_kind: e
            .by_trainer_kind
            .iter()
            .map(|k| match (&k.none_because, k.effect.estimate, k.effect.ci95) {
                (None, Some(est), Some([lo, hi])) => format!(
                    "{}: {} percentage points (95% CI {} to {}), {} officers trained this way",
                    k.label,
                    signed_points(est),
                    signed_points(lo),
                    signed_points(hi),
                    k.effect.counts.officers_trained
                ),
                (Some(why), _, _) => why.clone(),
                _ => format!("{}: no estimate", k.label),
            })
            .chain(
                [TrainerKind::MashTeam, TrainerKind::OtherTrainer, TrainerKind::NoSession]
                    .into_iter()
                    .filter(|kind| !e.by_trainer_kind.iter().any(|k| k.kind == *kind))
                    .map(|kind| {
                        format!(
                            "{}: no officer who made referrals in this period was trained this way, so there is nothing to tell.",
                            kind.label()
                        )
                    }),
            )
            .collect(),
        caveats: e.effect.caveats.clone(),
        not_asked: e.not_asked,
    };
    let answer = match (&effect.estimate, e.effect.estimate) {
        (Some(text), Some(est)) => format!(
            "For officers after their {} training, the share of referrals a partner decided no further action or returned for more information changed by {text}, compared with officers not yet trained. {}",
            e.module,
            if e.effect.ci95.is_some_and(|[lo, hi]| hi < 0.0 || lo > 0.0) {
                if est < 0.0 { "The interval is below zero: a reduction." } else { "The interval is above zero: an increase." }
            } else {
                "The interval includes zero: the data cannot tell a change from chance."
            }
        ),
        _ => e
            .none_because
            .clone()
            .unwrap_or_else(|| "No estimate of the training effect.".into()),
    };
    Shown {
        query: period::query_of(w),
        department: d.department.clone(),
        period: format!(
            "{} to {}",
            mashboard_domain::people::format_date_long(w.filter.from),
            mashboard_domain::people::format_date_long(w.filter.to)
        ),
        answer,
        figures,
        years,
        coverage,
        effect,
    }
}

/// Quarters from training in words (no leading minus sign, which a spreadsheet would read as a
/// formula).
fn relative_words(q: i32) -> String {
    match q {
        -1 => "1 before (the reference)".into(),
        q if q <= -4 => "4 or more before".into(),
        q if q < 0 => format!("{} before", -q),
        0 => "0 (the training quarter)".into(),
        q if q >= 4 => "4 or more after".into(),
        q => format!("{q} after"),
    }
}

/// A proportion difference in percentage points with its sign: "−4.2".
fn signed_points(v: f64) -> String {
    let p = v * 100.0;
    if p < 0.0 {
        format!("−{:.1}", -p)
    } else {
        format!("{p:.1}")
    }
}
