//! The compliance summary: by year against the target, by quarter, by subject, year on year.

use super::*;

/// One line of a roll-up table.
pub(super) struct RowView {
    pub label: String,
    /// Counts a finding from an audit still open.
    pub provisional: bool,
    pub provisional_findings: u64,
    pub examined: u64,
    pub compliance: String,
    pub over_referral: String,
    pub on_time: String,
}

pub(super) fn on_time_words(r: &RollUp) -> String {
    let known = r.on_time + r.late;
    match r.on_time_share {
        Some(p) => format!(
            "{} ({} of {}{})",
            percent(p),
            r.on_time,
            known,
            if r.on_time_unknown > 0 {
                format!("; {} not known", r.on_time_unknown)
            } else {
                String::new()
            }
        ),
        None if r.on_time_unknown > 0 => format!("{} not known", r.on_time_unknown),
        None => "No forms".into(),
    }
}

impl RowView {
    pub(super) fn of(label: impl Into<String>, r: &RollUp) -> RowView {
        RowView {
            label: label.into(),
            provisional: r.provisional(),
            provisional_findings: r.provisional_findings,
            examined: r.examined,
            compliance: r.compliance_text(),
            over_referral: r.over_referral_text(),
            on_time: on_time_words(r),
        }
    }
}

pub(super) struct YearView {
    pub year: i32,
    pub progress: String,
    pub examined: u64,
    pub target: u64,
    pub met: bool,
    pub row: RowView,
}

pub(super) struct CompareView {
    pub label: String,
    /// Either year counts a finding from an audit still open.
    pub provisional: bool,
    pub a: String,
    pub b: String,
    pub difference: String,
    pub p_value: String,
    pub reading: String,
}

/// One bar of the chart, in SVG user units.
pub(super) struct Bar {
    pub label: String,
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub centre: i64,
    pub ci_top: i64,
    pub ci_bottom: i64,
    pub cap_left: i64,
    pub cap_right: i64,
    pub value: String,
    pub value_y: i64,
}

pub(super) struct Chart {
    pub width: i64,
    pub bars: Vec<Bar>,
    /// Gridlines: (y, y of the label, label).
    pub grid: Vec<(i64, i64, String)>,
    pub description: String,
}

pub(super) const CHART_TOP: i64 = 20;
pub(super) const CHART_HEIGHT: i64 = 200;
pub(super) const CHART_LEFT: i64 = 48;
pub(super) const BAR_WIDTH: i64 = 48;
pub(super) const BAR_GAP: i64 = 32;

pub(super) fn y_of(p: f64) -> i64 {
    CHART_TOP + ((1.0 - p.clamp(0.0, 1.0)) * CHART_HEIGHT as f64).round() as i64
}

pub(super) fn chart(years: &[(i32, RollUp)]) -> Chart {
    let mut bars = Vec::new();
    let mut words = Vec::new();
    for (i, (y, r)) in years.iter().enumerate() {
        let x = CHART_LEFT + BAR_GAP / 2 + i as i64 * (BAR_WIDTH + BAR_GAP);
        words.push(format!("{y}: {}", r.compliance_text()));
        let (Some(p), Some(ci)) = (r.compliance, r.compliance_ci95) else {
            bars.push(Bar {
                label: y.to_string(),
                x,
                y: y_of(0.0),
                height: 0,
                centre: x + BAR_WIDTH / 2,
                ci_top: y_of(0.0),
                ci_bottom: y_of(0.0),
                cap_left: x + BAR_WIDTH / 2,
                cap_right: x + BAR_WIDTH / 2,
                value: "no figure".into(),
                value_y: y_of(0.0) - 6,
            });
            continue;
        };
        let top = y_of(p);
        bars.push(Bar {
            label: y.to_string(),
            x,
            y: top,
            height: y_of(0.0) - top,
            centre: x + BAR_WIDTH / 2,
            ci_top: y_of(ci.hi),
            ci_bottom: y_of(ci.lo),
            cap_left: x + BAR_WIDTH / 2 - 8,
            cap_right: x + BAR_WIDTH / 2 + 8,
            value: percent(p),
            value_y: (y_of(ci.hi) - 6).max(12),
        });
    }
    Chart {
        width: CHART_LEFT + BAR_GAP + years.len().max(1) as i64 * (BAR_WIDTH + BAR_GAP),
        bars,
        grid: [0.0, 0.25, 0.5, 0.75, 1.0]
            .iter()
            .map(|p| (y_of(*p), y_of(*p) + 4, format!("{}%", (p * 100.0) as i64)))
            .collect(),
        description: format!(
            "Compliance by year, with 95% intervals. {}",
            words.join(". ")
        ),
    }
}

#[derive(Template)]
#[template(path = "audits/audits_summary.html")]
pub(super) struct SummaryPage {
    chrome: Chrome,
    form: FormState,
    filtered: bool,
    overall: RowView,
    years: Vec<YearView>,
    quarters: Vec<RowView>,
    subjects: Vec<RowView>,
    comparisons: Vec<CompareView>,
    chart: Chart,
    export_query: String,
    target: u64,
    /// Titles of the still-open audits whose findings the figures count.
    open_audits: Vec<String>,
}

/// The period of the summary page: the dates given, or everything.
pub(super) fn summary_period(form: &mut FormState) -> (Period, bool) {
    let all = Period::new(
        Date::from_calendar_date(1900, time::Month::January, 1).expect("valid"),
        Date::from_calendar_date(2100, time::Month::December, 31).expect("valid"),
    )
    .expect("forward");
    if form.value("from").is_empty() && form.value("to").is_empty() {
        return (all, false);
    }
    let from = if form.value("from").is_empty() {
        Some(all.start)
    } else {
        date_field(form, "from", "the first date")
    };
    let to = if form.value("to").is_empty() {
        Some(all.end)
    } else {
        date_field(form, "to", "the last date")
    };
    match (from, to) {
        (Some(f), Some(t)) => match Period::new(f, t) {
            Ok(p) => (p, true),
            Err(_) => {
                form.add_error(
                    "to",
                    "The last date must be the same as or after the first date",
                );
                (all, false)
            }
        },
        _ => (all, false),
    }
}

pub(super) fn comparisons(years: &[(i32, RollUp)]) -> Vec<CompareView> {
    years
        .windows(2)
        .map(|w| {
            let ((ya, a), (yb, b)) = (&w[0], &w[1]);
            let label = format!("{ya} to {yb}");
            let provisional = a.provisional() || b.provisional();
            match audit_rules::compare(a, b) {
                Some(c) => CompareView {
                    label,
                    provisional,
                    a: a.compliance_text(),
                    b: b.compliance_text(),
                    difference: format!(
                        "{} (95% CI {} to {})",
                        audit_rules::points(c.difference),
                        audit_rules::points(c.difference_ci.lo),
                        audit_rules::points(c.difference_ci.hi)
                    ),
                    p_value: c
                        .p_value
                        .map(audit_rules::p_text)
                        .unwrap_or_else(|| "Not defined (no variation in either year)".into()),
                    reading: audit_rules::reading(&c),
                },
                None => CompareView {
                    label,
                    provisional,
                    a: a.compliance_text(),
                    b: b.compliance_text(),
                    difference: "No figure".into(),
                    p_value: "No figure".into(),
                    reading: "Cannot compare: a year has no incident that needed a form.".into(),
                },
            }
        })
        .collect()
}

pub(super) async fn summary(
    State(state): State<AppState>,
    page: Page<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let mut form = form_of(&pairs, &["from", "to"]);
    let (period, filtered) = summary_period(&mut form);
    let b: Breakdown = audits::summary(&state.store, &period).await?;
    let open_audits = audits::open_audits_counted(&state.store, &period).await?;
    let today = today();
    let years = b
        .by_year
        .iter()
        .map(|(y, r)| {
            let t = TargetProgress::of(*y, r.examined, today);
            YearView {
                year: *y,
                progress: t.text(),
                examined: r.examined.min(t.target),
                target: t.target,
                met: t.met,
                row: RowView::of(y.to_string(), r),
            }
        })
        .collect();
    let export_query = if filtered {
        serde_urlencoded::to_string([("from", iso(period.start)), ("to", iso(period.end))])
            .unwrap_or_default()
    } else {
        String::new()
    };
    let has_errors = form.has_errors();
    html(&SummaryPage {
        chrome: Chrome::new(
            &state,
            "Incident compliance",
            Some(&page.user),
            &page.csrf,
            "/compliance",
        )
        .with_errors(has_errors),
        overall: RowView::of("All years", &b.overall),
        quarters: b
            .by_quarter
            .iter()
            .map(|(q, r)| RowView::of(q.label(), r))
            .collect(),
        subjects: b
            .by_subject
            .iter()
            .map(|(s, r)| RowView::of(s.label(), r))
            .collect(),
        comparisons: comparisons(&b.by_year),
        chart: chart(&b.by_year),
        years,
        form,
        filtered,
        export_query,
        target: audit_rules::YEARLY_TARGET,
        open_audits,
    })
}
