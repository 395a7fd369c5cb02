//! The list of quarterly reviews and opening one (GET and POST /quality/reviews).

use super::*;

pub(super) struct ReviewLine {
    id: i64,
    title: String,
    period: String,
    status_label: &'static str,
    status_class: &'static str,
    sample_size: i64,
}

#[derive(Template)]
#[template(path = "reviews/reviews_list.html")]
pub(super) struct ListPage {
    chrome: Chrome,
    reviews: Vec<ReviewLine>,
    can_open: bool,
    form: FormState,
    strata: Vec<(&'static str, &'static str)>,
}

pub(super) async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let rows = reviews::list_visible(&state.store, user.id, &user.roles).await?;
    let has_errors = form.has_errors();
    html(&ListPage {
        chrome: Chrome::new(
            state,
            "Referral quality reviews",
            Some(user),
            csrf,
            "/quality/reviews",
        )
        .with_errors(has_errors),
        reviews: rows
            .into_iter()
            .map(|r| ReviewLine {
                id: r.id,
                period: format!("{} to {}", long(&r.period_start), long(&r.period_end)),
                title: r.title,
                status_label: status_label(&r.status),
                status_class: status_class(&r.status),
                sample_size: r.sample_size,
            })
            .collect(),
        can_open: review_rules::runs_reviews(&user.roles),
        form,
        strata: Strata::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
    })
}

pub(super) async fn list(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("sample_size", "10");
    render_list(&state, &page.user, &page.csrf, form).await
}

pub(super) async fn create(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    for n in [
        "title",
        "period_start",
        "period_end",
        "sample_size",
        "strata",
        "seed",
    ] {
        form.set(n, field(&pairs, n));
    }
    let start = match parse_date(form.value("period_start")) {
        Ok(d) => Some(d),
        Err(m) => {
            form.add_error(
                "period_start",
                if form.value("period_start").is_empty() {
                    "Enter the first day of the period".to_string()
                } else {
                    m
                },
            );
            None
        }
    };
    let end = match parse_date(form.value("period_end")) {
        Ok(d) => Some(d),
        Err(m) => {
            form.add_error(
                "period_end",
                if form.value("period_end").is_empty() {
                    "Enter the last day of the period".to_string()
                } else {
                    m
                },
            );
            None
        }
    };
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            form.add_error(
                "period_end",
                "The last day must be the same as or after the first day",
            );
        }
    }
    let size = match form.value("sample_size").parse::<usize>() {
        Ok(n) if (1..=500).contains(&n) => Some(n),
        _ => {
            form.add_error(
                "sample_size",
                "Enter the sample size as a whole number from 1 to 500",
            );
            None
        }
    };
    let seed = match Seed::parse_optional(form.value("seed")) {
        Ok(s) => s.map(Seed::value),
        Err(m) => {
            form.add_error("seed", m);
            None
        }
    };
    let strata = Strata::parse(form.value("strata")).unwrap_or(Strata::None);
    if form.has_errors() {
        return render_list(&state, &page.user, &page.csrf, form).await;
    }
    let (Some(start), Some(end), Some(size)) = (start, end, size) else {
        return render_list(&state, &page.user, &page.csrf, form).await;
    };
    match reviews::create(
        &state.store,
        &page.user.actor(),
        page.user.id,
        &NewReview {
            title: form.value("title").to_string(),
            period_start: start.to_string(),
            period_end: end.to_string(),
            sample_size: size,
            strata,
            seed,
        },
    )
    .await
    {
        Ok(out) => Ok(
            Redirect::to(&format!("/quality/reviews/{}?drawn=1", out.review_id)).into_response(),
        ),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            form.add_error("sample_size", m);
            render_list(&state, &page.user, &page.csrf, form).await
        }
        Err(e) => Err(e.into()),
    }
}
