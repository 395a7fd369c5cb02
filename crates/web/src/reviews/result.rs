//! The result of a review (GET /quality/reviews/{id}/result): every figure with its uncertainty.

use super::*;

pub(super) struct Bar {
    grade: String,
    count: u64,
    percent: u64,
}

pub(super) struct WeakLine {
    title: String,
    weak: usize,
    scored: usize,
    mean: String,
    not_applicable: usize,
    module: String,
}

pub(super) struct RecLine {
    person: String,
    criterion: String,
    module: String,
    status: String,
}

#[derive(Template)]
#[template(path = "reviews/review_result.html")]
pub(super) struct ResultPage {
    chrome: Chrome,
    review: Review,
    period: String,
    s: ReviewSummary,
    bars: Vec<Bar>,
    mean: String,
    median: String,
    ci: String,
    sd: String,
    alpha: String,
    alpha_reading: String,
    themes: Vec<review_rules::Theme>,
    referrals_commented: usize,
    weak: Vec<WeakLine>,
    from_agreed: bool,
    recs: Vec<RecLine>,
    manage: bool,
    done: Option<String>,
    graders: usize,
}

pub(super) async fn result(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let access = visible(&state, &page.user, id).await?;
    let review = access.review;
    let manage = access.reader.runs_reviews;
    if !access.reader.may_see_panel_grades() {
        return Err(AppError::BadRequest(
            "Submit your own grades first: until then the panel's result stays hidden from you."
                .into(),
        ));
    }
    let s = reviews::summary(&state.store, id).await?;
    let grades = reviews::grades(&state.store, id).await?;
    let agreed = reviews::agreed(&state.store, id).await?;
    // Themes over every comment on the sample, each tied to its referral (the domain counts a
    // referral once and the same words written twice about it once).
    let comments: Vec<ThemeComment> = grades
        .iter()
        .map(|g| ThemeComment {
            referral: &g.referral_ref,
            text: &g.comment,
        })
        .chain(agreed.iter().map(|a| ThemeComment {
            referral: &a.referral_ref,
            text: &a.comment,
        }))
        .collect();
    let themes = review_rules::themes(&comments);
    let referrals_commented = {
        let mut r: Vec<&str> = comments
            .iter()
            .filter(|c| !c.text.trim().is_empty())
            .map(|c| c.referral)
            .collect();
        r.sort_unstable();
        r.dedup();
        r.len()
    };
    let rubric = reviews::rubric(&state.store).await?;
    // Criterion figures: the agreed criterion scores where recorded, else the graders' scores;
    // "not applicable" counted apart.
    let (figures, from_agreed) = reviews::criterion_figures(&state.store, id).await?;
    let weak = figures
        .into_iter()
        .map(|w| {
            let c = rubric.iter().find(|c| c.code == w.code);
            WeakLine {
                title: c.map(|c| c.title.clone()).unwrap_or(w.code.clone()),
                weak: w.weak,
                scored: w.scored,
                mean: w.mean.map(fmt2).unwrap_or_else(|| "–".into()),
                not_applicable: w.not_applicable,
                module: c.and_then(|c| c.module_title.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let recs: Vec<RecLine> = if manage {
        reviews::recommendations(&state.store, id)
            .await?
            .into_iter()
            .map(|r| RecLine {
                person: format!("{} ({})", r.person_name, r.staff_number),
                criterion: r.criterion_title,
                module: r.module_title.unwrap_or_else(|| "No module linked".into()),
                status: if r.status == "assigned" {
                    "Assigned".into()
                } else {
                    "Recommended".into()
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    if !recs.is_empty() {
        // The recommendations name officers and what they were weak on.
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "quality_review.result_view",
                format!(
                    "Viewed the result of review {id} with its {} training recommendations for named officers",
                    recs.len()
                ),
            )
            .on("quality_review", id.to_string()),
        )
        .await?;
    }
    let total = s.n as u64;
    let bars = (1..=4u8)
        .map(|g| Bar {
            grade: format!("{g} {}", review_rules::grade_label(g).unwrap_or("")),
            count: s.counts[g as usize - 1],
            percent: review_summary::percent_of(s.counts[g as usize - 1], total),
        })
        .collect();
    let graders = reviews::panel(&state.store, id).await?.len();
    html(&ResultPage {
        chrome: Chrome::new(
            &state,
            format!("Result: {}", review.title),
            Some(&page.user),
            &page.csrf,
            "/quality/reviews",
        ),
        period: format!(
            "{} to {}",
            long(&review.period_start),
            long(&review.period_end)
        ),
        mean: s
            .mean
            .map(fmt2)
            .unwrap_or_else(|| "No agreed grades yet".into()),
        median: s
            .median
            .map(|m| format!("{m}"))
            .unwrap_or_else(|| "–".into()),
        ci: s
            .mean_ci95
            .map(|i| format!("{} to {}", fmt2(i.lo), fmt2(i.hi)))
            .unwrap_or_else(|| "Needs at least two agreed grades".into()),
        sd: s.sd.map(fmt2).unwrap_or_else(|| "–".into()),
        alpha: s
            .alpha
            .value()
            .map(|a| format!("{a:.3}"))
            .unwrap_or_else(|| "Not defined".into()),
        alpha_reading: read_alpha(&s.alpha),
        bars,
        themes,
        referrals_commented,
        weak,
        from_agreed,
        recs,
        manage,
        done: query(raw.as_deref(), "done"),
        graders,
        s,
        review,
    })
}
