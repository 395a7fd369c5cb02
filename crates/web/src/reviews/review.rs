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
    /// The agreed criterion scores to record at moderation: the panel's agreed ones, else
    /// what every grader gave where they all gave the same (a score or not applicable).
    agreed_criteria: Vec<AgreedCriterion>,
}

pub(super) struct AgreedCriterion {
    id: i64,
    title: String,
    /// "1" to "4", "na", or empty.
    value: String,
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
    let access = visible(state, user, id).await?;
    let review = access.review;
    let manage = access.reader.runs_reviews;
    let on_panel = access.reader.on_panel;
    let submitted = access.reader.submitted;
    let see_grades = access.reader.may_see_panel_grades();
    let sample = reviews::sample(&state.store, id).await?;
    let grades = reviews::grades(&state.store, id).await?;
    let agreed = reviews::agreed(&state.store, id).await?;
    let (scores, agreed_scores, rubric) = if manage {
        (
            reviews::scores(&state.store, id).await?,
            reviews::agreed_scores(&state.store, id).await?,
            reviews::rubric(&state.store).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
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
        let agreed_criteria = rubric
            .iter()
            .filter(|c| c.active)
            .map(|c| {
                let recorded = agreed_scores
                    .iter()
                    .find(|x| x.referral_id == s.referral_id && x.criterion_id == c.id)
                    .and_then(|x| x.criterion_score());
                let given: Vec<Option<CriterionScore>> = these
                    .iter()
                    .map(|g| {
                        scores
                            .iter()
                            .find(|x| x.grade_id == g.id && x.criterion_id == c.id)
                            .and_then(|x| x.criterion_score())
                    })
                    .collect();
                let all_same = match given.first() {
                    Some(Some(first)) if given.iter().all(|x| *x == Some(*first)) => Some(*first),
                    _ => None,
                };
                AgreedCriterion {
                    id: c.id,
                    title: c.title.clone(),
                    value: recorded
                        .or(all_same)
                        .map(CriterionScore::form_value)
                        .unwrap_or_default(),
                }
            })
            .collect();
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
            agreed_criteria,
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

/// The criterion scores a form posted (`criterion-{id}`: "1" to "4" or "na"), for the active
/// criteria of the rubric; a criterion left blank is not in the list.
pub(super) async fn criterion_scores(
    state: &AppState,
    pairs: &[(String, String)],
) -> Result<(Vec<(i64, CriterionScore)>, Vec<Criterion>), AppError> {
    let rubric = reviews::rubric(&state.store).await?;
    let mut scores = Vec::new();
    for c in rubric.iter().filter(|c| c.active) {
        if let Some(s) = CriterionScore::parse(&field(pairs, &format!("criterion-{}", c.id))) {
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
    let access = visible(&state, &page.user, id).await?;
    let review = access.review;
    if !access.reader.may_record_agreed() {
        return Err(AppError::BadRequest(format!(
            "Only the review's owner ({}) or an administrator records agreed grades",
            review.owner_username
        )));
    }
    let referral_ref = field(&pairs, "referral_ref");
    let grade = field(&pairs, "grade").parse::<i64>().unwrap_or(0);
    let (scores, rubric) = criterion_scores(&state, &pairs).await?;
    // Agreed criterion scores are all or nothing: a form that gives none keeps those recorded;
    // one that gives some must give every criterion a score or "Not applicable".
    let missing: Vec<&str> = if scores.is_empty() {
        Vec::new()
    } else {
        review_rules::unanswered(
            rubric
                .iter()
                .filter(|c| c.active)
                .map(|c| (c.id, c.title.as_str())),
            &scores,
        )
        .into_iter()
        .map(|(_, t)| t)
        .collect()
    };
    let r = if grade == 0 {
        Err(StoreError::Invalid(format!(
            "Choose the agreed grade for {referral_ref}"
        )))
    } else if !missing.is_empty() {
        Err(StoreError::Invalid(format!(
            "Agreed scores for {referral_ref}: score {} from 1 to 4, or choose Not applicable",
            missing
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
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
