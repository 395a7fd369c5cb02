//! One review (GET /quality/reviews/{id}): sample, panel, progress, moderation and the trainer's
//! actions on it (panel, redraw, status, agreed grades, recommendations).

use super::*;

pub(super) struct GradeCell {
    pub(super) grader: String,
    pub(super) grade: String,
}

pub(super) struct SampleLine {
    position: i64,
    referral_ref: String,
    submitted: String,
    subject_type: String,
    category: String,
    stratum: String,
    my_grade: Option<String>,
    grades: Vec<GradeCell>,
    needs_moderation: bool,
    agreed: Option<String>,
    agreed_value: i64,
    agreed_comment: String,
}

pub(super) struct DrawLine {
    draw_no: i64,
    seed: String,
    frame_size: i64,
    reason: String,
    drawn_by: String,
    drawn_at: String,
}

pub(super) struct PanelLine {
    username: String,
    agency: String,
    graded: i64,
    submitted: bool,
}

#[derive(Template)]
#[template(path = "reviews/review.html")]
pub(super) struct ReviewPage {
    chrome: Chrome,
    review: Review,
    period: String,
    status_label: &'static str,
    status_class: &'static str,
    manage: bool,
    on_panel: bool,
    submitted: bool,
    see_grades: bool,
    sample: Vec<SampleLine>,
    draws: Vec<DrawLine>,
    panel: Vec<PanelLine>,
    eligible: Vec<(String, String, bool)>,
    done: Option<String>,
    form: FormState,
    my_progress: (usize, usize),
    flagged: usize,
    pending: usize,
    strata_label: &'static str,
}

pub(super) async fn render_review(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    form: FormState,
    done: Option<String>,
) -> Result<Response, AppError> {
    let review = visible_review(state, user, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let manage = manages(user);
    let on_panel = reviews::is_on_panel(&state.store, id, user.id).await?;
    let submitted = reviews::has_submitted(&state.store, id, user.id).await?;
    let see_grades = manage || submitted;
    let sample = reviews::sample(&state.store, id).await?;
    let grades = reviews::grades(&state.store, id).await?;
    let agreed = reviews::agreed(&state.store, id).await?;
    let mut lines = Vec::new();
    let mut flagged = 0;
    for s in &sample {
        let these: Vec<_> = grades
            .iter()
            .filter(|g| g.referral_id == s.referral_id)
            .collect();
        let values: Vec<u8> = these.iter().map(|g| g.grade as u8).collect();
        let needs = review_summary::beyond_one_grade(&values);
        if needs {
            flagged += 1;
        }
        let a = agreed.iter().find(|a| a.referral_id == s.referral_id);
        lines.push(SampleLine {
            position: s.position,
            referral_ref: s.referral_ref.clone(),
            submitted: long(&s.submitted_at),
            subject_type: if s.subject_type == "child" {
                "Child".into()
            } else {
                "Adult".into()
            },
            category: s.category.clone(),
            stratum: s.stratum.clone(),
            my_grade: these
                .iter()
                .find(|g| g.grader_user_id == user.id)
                .map(|g| grade_words(g.grade)),
            grades: if see_grades {
                these
                    .iter()
                    .map(|g| GradeCell {
                        grader: g.grader_username.clone(),
                        grade: grade_words(g.grade),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            needs_moderation: see_grades && needs,
            agreed: if see_grades {
                a.map(|a| grade_words(a.grade))
            } else {
                None
            },
            agreed_value: a.map(|a| a.grade).unwrap_or(0),
            agreed_comment: a.map(|a| a.comment.clone()).unwrap_or_default(),
        });
    }
    let mine = lines.iter().filter(|l| l.my_grade.is_some()).count();
    let pending = lines.iter().filter(|l| l.agreed_value == 0).count();
    let panel = reviews::panel(&state.store, id).await?;
    let eligible = if manage {
        reviews::eligible_graders(&state.store)
            .await?
            .into_iter()
            .map(|(_, u, role)| {
                let on = panel.iter().any(|m| m.username == u);
                let label = if role == "partner_reviewer" {
                    "Partner reviewer"
                } else {
                    "Senior leader"
                };
                (u, label.to_string(), on)
            })
            .collect()
    } else {
        Vec::new()
    };
    let draws = if manage {
        reviews::draws(&state.store, id)
            .await?
            .into_iter()
            .map(|d| DrawLine {
                draw_no: d.draw_no,
                seed: d.seed,
                frame_size: d.frame_size,
                reason: d.reason,
                drawn_by: d.drawn_by,
                drawn_at: long(&d.drawn_at),
            })
            .collect()
    } else {
        Vec::new()
    };
    let has_errors = form.has_errors();
    html(&ReviewPage {
        chrome: Chrome::new(state, &review.title, Some(user), csrf, "/quality/reviews")
            .with_errors(has_errors),
        period: format!(
            "{} to {}",
            long(&review.period_start),
            long(&review.period_end)
        ),
        status_label: status_label(&review.status),
        status_class: status_class(&review.status),
        strata_label: Strata::parse(&review.strata)
            .unwrap_or(Strata::None)
            .label(),
        manage,
        on_panel,
        submitted,
        see_grades,
        my_progress: (mine, lines.len()),
        sample: lines,
        draws,
        panel: if manage || submitted {
            panel
                .into_iter()
                .map(|m| PanelLine {
                    username: m.username,
                    agency: m.partner_agency.unwrap_or_default(),
                    graded: m.graded,
                    submitted: m.submitted_at.is_some(),
                })
                .collect()
        } else {
            Vec::new()
        },
        eligible,
        done,
        form,
        flagged,
        pending,
        review,
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let done = query(raw.as_deref(), "done").or_else(|| {
        query(raw.as_deref(), "drawn").map(|_| "Review opened and its sample drawn".into())
    });
    render_review(
        &state,
        &page.user,
        &page.csrf,
        id,
        FormState::default(),
        done,
    )
    .await
}

pub(super) async fn after(
    state: &AppState,
    page_user: &CurrentUser,
    csrf: &str,
    id: i64,
    field_name: &str,
    r: Result<String, StoreError>,
) -> Result<Response, AppError> {
    match r {
        Ok(done) => Ok(Redirect::to(&format!(
            "/quality/reviews/{id}?done={}",
            urlencoding(&done)
        ))
        .into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            let mut form = FormState::default();
            form.add_error(field_name, m);
            render_review(state, page_user, csrf, id, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|q| q.trim_start_matches("x=").to_string())
        .unwrap_or_default()
}

pub(super) async fn panel(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let names: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "grader")
        .map(|(_, v)| v.clone())
        .collect();
    let r = reviews::set_panel(&state.store, &page.user.actor(), id, &names)
        .await
        .map(|p| format!("Panel saved: {} graders", p.len()));
    after(&state, &page.user, &page.csrf, id, "grader", r).await
}

pub(super) async fn redraw(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let seed = match Seed::parse_optional(&field(&pairs, "seed")).map(|s| s.map(Seed::value)) {
        Ok(s) => s,
        Err(m) => {
            return after(
                &state,
                &page.user,
                &page.csrf,
                id,
                "reason",
                Err(StoreError::Invalid(m)),
            )
            .await
        }
    };
    let r = reviews::redraw(
        &state.store,
        &page.user.actor(),
        id,
        &field(&pairs, "reason"),
        seed,
    )
    .await
    .map(|d| format!("Sample drawn again (draw {}, seed {})", d.draw_no, d.seed));
    after(&state, &page.user, &page.csrf, id, "reason", r).await
}

pub(super) async fn status(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = field(&pairs, "to");
    let r = reviews::set_status(&state.store, &page.user.actor(), id, &to)
        .await
        .map(|_| format!("Review moved to {}", status_label(&to).to_lowercase()));
    after(&state, &page.user, &page.csrf, id, "status", r).await
}

pub(super) async fn criterion_scores(
    state: &AppState,
    pairs: &[(String, String)],
) -> Result<(Vec<(i64, i64)>, Vec<Criterion>), AppError> {
    let rubric = reviews::rubric(&state.store).await?;
    let mut scores = Vec::new();
    for c in rubric.iter().filter(|c| c.active) {
        let v = field(pairs, &format!("criterion-{}", c.id));
        if let Ok(s) = v.parse::<i64>() {
            scores.push((c.id, s));
        }
    }
    Ok((scores, rubric))
}

pub(super) async fn agree(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let review = reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !owns(&page.user, &review) {
        return Err(AppError::BadRequest(format!(
            "Only the review's owner ({}) or an administrator records agreed grades",
            review.owner_username
        )));
    }
    let referral_ref = field(&pairs, "referral_ref");
    let grade = field(&pairs, "grade").parse::<i64>().unwrap_or(0);
    let (scores, _) = criterion_scores(&state, &pairs).await?;
    let r = if grade == 0 {
        Err(StoreError::Invalid(format!(
            "Choose the agreed grade for {referral_ref}"
        )))
    } else {
        reviews::set_agreed(
            &state.store,
            &page.user.actor(),
            id,
            &NewGrade {
                referral_ref: referral_ref.clone(),
                grade,
                comment: field(&pairs, "comment"),
                scores,
            },
        )
        .await
        .map(|_| format!("Agreed grade recorded for {referral_ref}"))
    };
    after(
        &state,
        &page.user,
        &page.csrf,
        id,
        &format!("agreed-{referral_ref}"),
        r,
    )
    .await
}

pub(super) async fn recommend(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = page.user.actor();
    let n = reviews::recommend_from_weak(&state.store, &actor, id).await?;
    let msg = if field(&pairs, "assign") == "1" {
        let a =
            reviews::assign_recommendations(&state.store, &actor, id, &today().to_string()).await?;
        format!("{a} recommended modules assigned to the officers' training plans")
    } else {
        format!("{n} new recommendations recorded")
    };
    Ok(Redirect::to(&format!(
        "/quality/reviews/{id}/result?done={}",
        urlencoding(&msg)
    ))
    .into_response())
}
