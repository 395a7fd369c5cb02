//! Grading one referral (GET and POST /quality/reviews/{id}/referrals/{ref}) and submitting
//! a grader's grades.

use super::*;

pub(super) struct PersonLine {
    label: String,
    detail: String,
}

pub(super) struct CriterionLine {
    id: i64,
    title: String,
    descriptor: String,
    /// The chosen radio's value: "1" to "4", "na", or empty.
    score: String,
}

#[derive(Template)]
#[template(path = "reviews/review_grade.html")]
pub(super) struct GradePage {
    chrome: Chrome,
    review: Review,
    item: SampleItem,
    pseudonymised: bool,
    narrative: String,
    people: Vec<PersonLine>,
    submitted_on: String,
    grades: Vec<(u8, &'static str, &'static str)>,
    criteria: Vec<CriterionLine>,
    current: i64,
    comment: String,
    form: FormState,
    can_grade: bool,
    next: Option<String>,
    others: Vec<GradeCell>,
}

pub(super) async fn render_grade(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    referral_ref: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let access = visible(state, user, id).await?;
    let review = access.review;
    let sample = reviews::sample(&state.store, id).await?;
    let pos = sample
        .iter()
        .position(|s| s.referral_ref == referral_ref)
        .ok_or(AppError::NotFound)?;
    let item = sample[pos].clone();
    let next = sample.get(pos + 1).map(|s| s.referral_ref.clone());
    let named = reviews::named_in(&state.store, referral_ref).await?;
    let as_of = parse_date(item.submitted_at.get(..10).unwrap_or("")).unwrap_or_else(|_| today());
    let pseudonymised = review_rules::reads_pseudonymised(&user.roles);
    let (narrative, people) = if pseudonymised {
        let named: Vec<NamedPerson> = named
            .iter()
            .map(|n| NamedPerson {
                role: if n.role == "child" {
                    PersonRole::Child
                } else {
                    PersonRole::Adult
                },
                name: n.name.clone(),
                date_of_birth: n.date_of_birth.as_deref().and_then(|d| parse_date(d).ok()),
                address: n.address.clone(),
                area: n.area.clone(),
            })
            .collect();
        let p = pseudonym::pseudonymise(&named, &item.narrative, as_of);
        (
            p.narrative,
            p.people
                .into_iter()
                .map(|x| PersonLine {
                    label: x.label,
                    detail: format!(
                        "{}{}",
                        x.age.map(|a| format!("aged {a}, ")).unwrap_or_default(),
                        if x.area.is_empty() {
                            "area not recorded".to_string()
                        } else {
                            format!("lives in {}", x.area)
                        }
                    ),
                })
                .collect(),
        )
    } else {
        (
            item.narrative.clone(),
            named
                .iter()
                .map(|n| PersonLine {
                    label: format!(
                        "{} ({})",
                        n.name,
                        if n.role == "child" { "child" } else { "adult" }
                    ),
                    detail: format!(
                        "{}{}",
                        n.date_of_birth
                            .as_deref()
                            .map(|d| format!("born {}, ", long(d)))
                            .unwrap_or_default(),
                        n.address
                    ),
                })
                .collect(),
        )
    };
    // What this grader gave before, if anything.
    let grades = reviews::grades(&state.store, id).await?;
    let mine = grades
        .iter()
        .find(|g| g.referral_id == item.referral_id && g.grader_user_id == user.id);
    let scores = reviews::scores(&state.store, id).await?;
    let rubric = reviews::rubric(&state.store).await?;
    let criteria = rubric
        .into_iter()
        .filter(|c| c.active)
        .map(|c| CriterionLine {
            score: CriterionScore::parse(form.value(&format!("criterion-{}", c.id)))
                .or_else(|| {
                    mine.and_then(|m| {
                        scores
                            .iter()
                            .find(|s| s.grade_id == m.id && s.criterion_id == c.id)
                            .and_then(|s| s.criterion_score())
                    })
                })
                .map(CriterionScore::form_value)
                .unwrap_or_default(),
            id: c.id,
            title: c.title,
            descriptor: c.descriptor,
        })
        .collect();
    let others = if access.reader.may_see_panel_grades() {
        grades
            .iter()
            .filter(|g| g.referral_id == item.referral_id && g.grader_user_id != user.id)
            .map(|g| GradeCell {
                grader: g.grader_username.clone(),
                grade: grade_words(g.grade),
            })
            .collect()
    } else {
        Vec::new()
    };
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "referral.view",
            format!(
                "Read referral {referral_ref} for review {id}{}",
                if pseudonymised {
                    " (pseudonymised)"
                } else {
                    ""
                }
            ),
        )
        .on("referral", referral_ref),
    )
    .await?;
    let has_errors = form.has_errors();
    html(&GradePage {
        chrome: Chrome::new(
            state,
            format!("Referral {referral_ref}"),
            Some(user),
            csrf,
            "/quality/reviews",
        )
        .with_errors(has_errors),
        submitted_on: long(&item.submitted_at),
        pseudonymised,
        narrative,
        people,
        grades: GRADES.to_vec(),
        criteria,
        current: form
            .value("grade")
            .parse()
            .ok()
            .or(mine.map(|m| m.grade))
            .unwrap_or(0),
        comment: if form.value("comment").is_empty() {
            mine.map(|m| m.comment.clone()).unwrap_or_default()
        } else {
            form.value("comment").to_string()
        },
        can_grade: access
            .reader
            .may_grade(review_rules::ReviewStatus::parse(&review.status)),
        form,
        next,
        others,
        item,
        review,
    })
}

pub(super) async fn grade_form(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
    Path((id, referral_ref)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    render_grade(
        &state,
        &page.user,
        &page.csrf,
        id,
        &referral_ref,
        FormState::default(),
    )
    .await
}

pub(super) async fn grade_save(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
    Path((id, referral_ref)): Path<(i64, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let access = visible(&state, &page.user, id).await?;
    let review = access.review;
    if !access.reader.on_panel {
        return Err(AppError::Forbidden);
    }
    let mut form = FormState::default();
    form.set("grade", field(&pairs, "grade"));
    form.set("comment", field(&pairs, "comment"));
    let (scores, rubric) = criterion_scores(&state, &pairs).await?;
    for (cid, s) in &scores {
        form.set(&format!("criterion-{cid}"), s.form_value());
    }
    // Every criterion needs an answer: a score, or "Not applicable". Each error links to the
    // criterion's first radio (its id is the field's name).
    let active = rubric
        .iter()
        .filter(|c| c.active)
        .map(|c| (c.id, c.title.as_str()));
    for (cid, title) in review_rules::unanswered(active, &scores) {
        form.add_error(
            &format!("criterion-{cid}"),
            format!("Score \"{title}\" from 1 to 4, or choose Not applicable"),
        );
    }
    let grade = match form.value("grade").parse::<i64>() {
        Ok(g) if (1..=4).contains(&g) => g,
        _ => {
            form.add_error(
                "grade",
                "Choose an overall grade from 1 (very poor) to 4 (excellent)",
            );
            0
        }
    };
    if form.value("comment").chars().count() > 4000 {
        form.add_error("comment", "The comment must be 4,000 characters or fewer");
    }
    if form.has_errors() {
        return render_grade(&state, &page.user, &page.csrf, id, &referral_ref, form).await;
    }
    match reviews::grade(
        &state.store,
        &page.user.actor(),
        review.id,
        page.user.id,
        &NewGrade {
            referral_ref: referral_ref.clone(),
            grade,
            comment: form.value("comment").to_string(),
            scores,
        },
    )
    .await
    {
        Ok(_) => {
            let sample = reviews::sample(&state.store, id).await?;
            let pos = sample.iter().position(|s| s.referral_ref == referral_ref);
            let next = pos.and_then(|p| sample.get(p + 1));
            Ok(match next {
                Some(n) if field(&pairs, "then") == "next" => Redirect::to(&format!(
                    "/quality/reviews/{id}/referrals/{}",
                    n.referral_ref
                )),
                _ => Redirect::to(&format!(
                    "/quality/reviews/{id}?done={}",
                    urlencoding(&format!("Grade saved for {referral_ref}"))
                )),
            }
            .into_response())
        }
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            form.add_error("grade", m);
            render_grade(&state, &page.user, &page.csrf, id, &referral_ref, form).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn submit(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    visible(&state, &page.user, id).await?;
    let r = reviews::submit(&state.store, &page.user.actor(), id, page.user.id)
        .await
        .map(|_| "Your grades are submitted. You can now see the rest of the panel's.".to_string());
    after(&state, &page.user, &page.csrf, id, "submit", r).await
}
