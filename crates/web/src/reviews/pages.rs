//! Quarterly referral quality reviews in the browser: the trainer opens a review and draws its
//! sample, chooses the panel, moderates and closes; graders grade blind (partner reviewers on a
//! pseudonymised view); the result page shows every figure with its uncertainty; officers and
//! their line managers read the feedback. The store enforces the rules; these handlers read forms
//! and choose what each user may see.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::export::{csv_safe, workbook, Sheet, XCell};
use crate::form::field;
use crate::reviews::api::{compute_summary, manages, parse_seed, visible_review};
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
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::pseudonym::{self, NamedPerson, PersonRole};
use mashboard_domain::quality::{self, GRADES};
use mashboard_domain::review_summary::{self, read_alpha, ReviewSummary};
use mashboard_domain::Role;
use mashboard_store::audit::{self, Event};
use mashboard_store::reviews::{self, Criterion, NewGrade, NewReview, Review, SampleItem, Strata};
use mashboard_store::training::today;
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{OwnFeedback, QualityReviewManage, QualityReviews};
    t.get("/quality/reviews", P(QualityReviews), get(list))
        .post("/quality/reviews", P(QualityReviewManage), post(create))
        .get("/quality/reviews/{id}", P(QualityReviews), get(show))
        .post(
            "/quality/reviews/{id}/panel",
            P(QualityReviewManage),
            post(panel),
        )
        .post(
            "/quality/reviews/{id}/redraw",
            P(QualityReviewManage),
            post(redraw),
        )
        .post(
            "/quality/reviews/{id}/status",
            P(QualityReviewManage),
            post(status),
        )
        .post(
            "/quality/reviews/{id}/agreed",
            P(QualityReviewManage),
            post(agree),
        )
        .post(
            "/quality/reviews/{id}/recommend",
            P(QualityReviewManage),
            post(recommend),
        )
        .get(
            "/quality/reviews/{id}/referrals/{referral_ref}",
            P(QualityReviews),
            get(grade_form),
        )
        .post(
            "/quality/reviews/{id}/referrals/{referral_ref}",
            P(QualityReviews),
            post(grade_save),
        )
        .post(
            "/quality/reviews/{id}/submit",
            P(QualityReviews),
            post(submit),
        )
        .get(
            "/quality/reviews/{id}/result",
            P(QualityReviews),
            get(result),
        )
        .get(
            "/quality/reviews/{id}/export.csv",
            P(QualityReviewManage),
            get(export_csv),
        )
        .get(
            "/quality/reviews/{id}/export.xlsx",
            P(QualityReviewManage),
            get(export_xlsx),
        )
        .get("/quality/rubric", P(QualityReviewManage), get(rubric_page))
        .post(
            "/quality/rubric/{id}",
            P(QualityReviewManage),
            post(rubric_save),
        )
        .post("/quality/rubric", P(QualityReviewManage), post(rubric_add))
        .get("/my/feedback", P(OwnFeedback), get(feedback))
}

fn query(raw: Option<&str>, key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = raw
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn long(date: &str) -> String {
    parse_date(date.get(..10).unwrap_or(date))
        .map(format_date_long)
        .unwrap_or_else(|_| date.to_string())
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "grading" => "Grading",
        "moderation" => "Moderation",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

pub fn status_class(s: &str) -> &'static str {
    match s {
        "grading" => "govuk-tag--blue",
        "moderation" => "govuk-tag--yellow",
        "closed" => "govuk-tag--green",
        _ => "govuk-tag--grey",
    }
}

fn grade_words(g: i64) -> String {
    match quality::grade_label(g as u8) {
        Some(l) => format!("{g} ({})", l.to_lowercase()),
        None => g.to_string(),
    }
}

fn is_partner(user: &CurrentUser) -> bool {
    user.roles.contains(&Role::PartnerReviewer)
        && !user.roles.iter().any(|r| {
            matches!(
                r,
                Role::Administrator | Role::MashTrainer | Role::SeniorLeader
            )
        })
}

/// The review's owner (or an administrator) records agreed grades.
pub(crate) fn owns(user: &CurrentUser, r: &Review) -> bool {
    r.owner_user_id == user.id || user.roles.contains(&Role::Administrator)
}

fn fmt2(x: f64) -> String {
    format!("{x:.2}")
}

// ---------------------------------------------------------------------------------------------
// The list and opening a review

struct ReviewLine {
    id: i64,
    title: String,
    period: String,
    status_label: &'static str,
    status_class: &'static str,
    sample_size: i64,
}

#[derive(Template)]
#[template(path = "reviews/reviews_list.html")]
struct ListPage {
    chrome: Chrome,
    reviews: Vec<ReviewLine>,
    can_open: bool,
    form: FormState,
    strata: Vec<(&'static str, &'static str)>,
}

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let rows = if manages(user) {
        reviews::list_all(&state.store).await?
    } else {
        reviews::list_for_grader(&state.store, user.id).await?
    };
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
        can_open: manages(user),
        form,
        strata: Strata::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
    })
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("sample_size", "10");
    render_list(&state, &page.user, &page.csrf, form).await
}

pub async fn create(
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
    let seed = match parse_seed(Some(&serde_json::Value::String(
        form.value("seed").to_string(),
    ))) {
        Ok(s) => s,
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

// ---------------------------------------------------------------------------------------------
// One review

struct GradeCell {
    grader: String,
    grade: String,
}

struct SampleLine {
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

struct DrawLine {
    draw_no: i64,
    seed: String,
    frame_size: i64,
    reason: String,
    drawn_by: String,
    drawn_at: String,
}

struct PanelLine {
    username: String,
    agency: String,
    graded: i64,
    submitted: bool,
}

#[derive(Template)]
#[template(path = "reviews/review.html")]
struct ReviewPage {
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

async fn render_review(
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

pub async fn show(
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

async fn after(
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

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|q| q.trim_start_matches("x=").to_string())
        .unwrap_or_default()
}

pub async fn panel(
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

pub async fn redraw(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let seed = match parse_seed(Some(&serde_json::Value::String(field(&pairs, "seed")))) {
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

pub async fn status(
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

async fn criterion_scores(
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

pub async fn agree(
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

pub async fn recommend(
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

// ---------------------------------------------------------------------------------------------
// Grading one referral

struct PersonLine {
    label: String,
    detail: String,
}

struct CriterionLine {
    id: i64,
    title: String,
    descriptor: String,
    score: i64,
}

#[derive(Template)]
#[template(path = "reviews/review_grade.html")]
struct GradePage {
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

async fn render_grade(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    referral_ref: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let review = visible_review(state, user, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sample = reviews::sample(&state.store, id).await?;
    let pos = sample
        .iter()
        .position(|s| s.referral_ref == referral_ref)
        .ok_or(AppError::NotFound)?;
    let item = sample[pos].clone();
    let next = sample.get(pos + 1).map(|s| s.referral_ref.clone());
    let on_panel = reviews::is_on_panel(&state.store, id, user.id).await?;
    let submitted = reviews::has_submitted(&state.store, id, user.id).await?;
    let named = reviews::named_in(&state.store, referral_ref).await?;
    let as_of = parse_date(item.submitted_at.get(..10).unwrap_or("")).unwrap_or_else(|_| today());
    let pseudonymised = is_partner(user);
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
            score: form
                .value(&format!("criterion-{}", c.id))
                .parse()
                .ok()
                .or_else(|| {
                    mine.and_then(|m| {
                        scores
                            .iter()
                            .find(|s| s.grade_id == m.id && s.criterion_id == c.id)
                            .map(|s| s.score)
                    })
                })
                .unwrap_or(0),
            id: c.id,
            title: c.title,
            descriptor: c.descriptor,
        })
        .collect();
    let others = if manages(user) || submitted {
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
    audit::record(
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
        can_grade: on_panel && review.status != "closed",
        form,
        next,
        others,
        item,
        review,
    })
}

pub async fn grade_form(
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

pub async fn grade_save(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
    Path((id, referral_ref)): Path<(i64, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let review = visible_review(&state, &page.user, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !reviews::is_on_panel(&state.store, id, page.user.id).await? {
        return Err(AppError::Forbidden);
    }
    let mut form = FormState::default();
    form.set("grade", field(&pairs, "grade"));
    form.set("comment", field(&pairs, "comment"));
    let (scores, rubric) = criterion_scores(&state, &pairs).await?;
    for (cid, s) in &scores {
        form.set(&format!("criterion-{cid}"), s.to_string());
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
    for c in rubric.iter().filter(|c| c.active) {
        if !scores.iter().any(|(id, _)| *id == c.id) {
            form.add_error(
                &format!("criterion-{}", c.id),
                format!("Score \"{}\" from 1 to 4", c.title),
            );
        }
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

pub async fn submit(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    visible_review(&state, &page.user, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = reviews::submit(&state.store, &page.user.actor(), id, page.user.id)
        .await
        .map(|_| "Your grades are submitted. You can now see the rest of the panel's.".to_string());
    after(&state, &page.user, &page.csrf, id, "submit", r).await
}

// ---------------------------------------------------------------------------------------------
// The result

struct Bar {
    grade: String,
    count: u64,
    percent: u64,
}

struct WeakLine {
    title: String,
    weak: usize,
    scored: usize,
    module: String,
}

struct RecLine {
    person: String,
    criterion: String,
    module: String,
    status: String,
}

#[derive(Template)]
#[template(path = "reviews/review_result.html")]
struct ResultPage {
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
    themes: Vec<quality::Theme>,
    weak: Vec<WeakLine>,
    recs: Vec<RecLine>,
    manage: bool,
    done: Option<String>,
    graders: usize,
}

pub async fn result(
    State(state): State<AppState>,
    page: Page<cap::QualityReviews>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let review = visible_review(&state, &page.user, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let manage = manages(&page.user);
    if !manage && !reviews::has_submitted(&state.store, id, page.user.id).await? {
        return Err(AppError::BadRequest(
            "Submit your own grades first: until then the panel's result stays hidden from you."
                .into(),
        ));
    }
    let s = compute_summary(&state, id).await?;
    let grades = reviews::grades(&state.store, id).await?;
    let agreed = reviews::agreed(&state.store, id).await?;
    let comments: Vec<&str> = grades
        .iter()
        .map(|g| g.comment.as_str())
        .chain(agreed.iter().map(|a| a.comment.as_str()))
        .filter(|c| !c.is_empty())
        .collect();
    let themes = quality::themes(&comments);
    let rubric = reviews::rubric(&state.store).await?;
    // Weak criteria: the agreed criterion scores where recorded, else the graders' scores.
    let agreed_scores = reviews::agreed_scores(&state.store, id).await?;
    let pairs: Vec<(String, u8)> = if agreed_scores.is_empty() {
        reviews::scores(&state.store, id)
            .await?
            .into_iter()
            .map(|s| (s.criterion_code, s.score as u8))
            .collect()
    } else {
        agreed_scores
            .into_iter()
            .map(|s| (s.criterion_code, s.score as u8))
            .collect()
    };
    let weak = quality::weakest_criteria(&pairs)
        .into_iter()
        .map(|w| {
            let c = rubric.iter().find(|c| c.code == w.code);
            WeakLine {
                title: c.map(|c| c.title.clone()).unwrap_or(w.code.clone()),
                weak: w.weak,
                scored: w.scored,
                module: c.and_then(|c| c.module_title.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let recs = if manage {
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
    let total = s.n.max(1) as u64;
    let bars = (1..=4u8)
        .map(|g| Bar {
            grade: format!("{g} {}", quality::grade_label(g).unwrap_or("")),
            count: s.counts[g as usize - 1],
            percent: s.counts[g as usize - 1] * 100 / total,
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
        weak,
        recs,
        manage,
        done: query(raw.as_deref(), "done"),
        graders,
        s,
        review,
    })
}

// ---------------------------------------------------------------------------------------------
// Exports: one row per grade (individual and agreed), so every figure can be recomputed.

const EXPORT_HEADER: [&str; 10] = [
    "Review",
    "Referral",
    "Submitted",
    "Subject",
    "Officer staff number",
    "Kind",
    "Grader",
    "Grade",
    "Comment",
    "Criterion scores",
];

async fn export_rows(state: &AppState, id: i64) -> Result<(Review, Vec<Vec<XCell>>), AppError> {
    let review = reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sample = reviews::sample(&state.store, id).await?;
    let grades = reviews::grades(&state.store, id).await?;
    let scores = reviews::scores(&state.store, id).await?;
    let agreed = reviews::agreed(&state.store, id).await?;
    let agreed_scores = reviews::agreed_scores(&state.store, id).await?;
    let t = |s: &str| XCell::Text(s.to_string());
    let mut rows = Vec::new();
    for s in &sample {
        for g in grades.iter().filter(|g| g.referral_id == s.referral_id) {
            let sc: Vec<String> = scores
                .iter()
                .filter(|x| x.grade_id == g.id)
                .map(|x| format!("{}={}", x.criterion_code, x.score))
                .collect();
            rows.push(vec![
                t(&review.title),
                t(&s.referral_ref),
                t(s.submitted_at.get(..10).unwrap_or("")),
                t(&s.subject_type),
                t(&s.officer_staff_number),
                t("individual"),
                t(&g.grader_username),
                XCell::Number(g.grade as f64),
                t(&g.comment),
                t(&sc.join("; ")),
            ]);
        }
        if let Some(a) = agreed.iter().find(|a| a.referral_id == s.referral_id) {
            let sc: Vec<String> = agreed_scores
                .iter()
                .filter(|x| x.referral_id == s.referral_id)
                .map(|x| format!("{}={}", x.criterion_code, x.score))
                .collect();
            rows.push(vec![
                t(&review.title),
                t(&s.referral_ref),
                t(s.submitted_at.get(..10).unwrap_or("")),
                t(&s.subject_type),
                t(&s.officer_staff_number),
                t("agreed"),
                t(&a.recorded_by),
                XCell::Number(a.grade as f64),
                t(&a.comment),
                t(&sc.join("; ")),
            ]);
        }
    }
    Ok((review, rows))
}

async fn audit_export(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    kind: &str,
) -> Result<(), AppError> {
    audit::record(
        &state.store,
        &user.actor(),
        Event::new(
            "quality_review.export",
            format!("Exported review {id} as {kind}"),
        )
        .on("quality_review", id.to_string()),
    )
    .await?;
    Ok(())
}

pub async fn export_csv(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, rows) = export_rows(&state, id).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(EXPORT_HEADER)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    for r in &rows {
        w.write_record(r.iter().map(|c| c.csv()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audit_export(&state, &page.user, id, "CSV").await?;
    let _ = csv_safe("");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"quality-review-{id}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, rows) = export_rows(&state, id).await?;
    let s = compute_summary(&state, id).await?;
    let summary_rows = vec![
        vec![
            XCell::Text("Referrals with an agreed grade".into()),
            XCell::Number(s.n as f64),
        ],
        vec![
            XCell::Text("Pending".into()),
            XCell::Number(s.pending as f64),
        ],
        vec![
            XCell::Text("Grade 1".into()),
            XCell::Number(s.counts[0] as f64),
        ],
        vec![
            XCell::Text("Grade 2".into()),
            XCell::Number(s.counts[1] as f64),
        ],
        vec![
            XCell::Text("Grade 3".into()),
            XCell::Number(s.counts[2] as f64),
        ],
        vec![
            XCell::Text("Grade 4".into()),
            XCell::Number(s.counts[3] as f64),
        ],
        vec![
            XCell::Text("Mean".into()),
            s.mean
                .map(XCell::Number)
                .unwrap_or(XCell::Text(String::new())),
        ],
        vec![
            XCell::Text("Median".into()),
            s.median
                .map(XCell::Number)
                .unwrap_or(XCell::Text(String::new())),
        ],
        vec![
            XCell::Text("95% CI low (Student t)".into()),
            s.mean_ci95
                .map(|i| XCell::Number(i.lo))
                .unwrap_or(XCell::Text(String::new())),
        ],
        vec![
            XCell::Text("95% CI high (Student t)".into()),
            s.mean_ci95
                .map(|i| XCell::Number(i.hi))
                .unwrap_or(XCell::Text(String::new())),
        ],
        vec![
            XCell::Text("Krippendorff's alpha (ordinal)".into()),
            s.alpha
                .value()
                .map(XCell::Number)
                .unwrap_or(XCell::Text(read_alpha(&s.alpha))),
        ],
    ];
    let bytes = workbook(&[
        Sheet {
            name: "Grades",
            header: EXPORT_HEADER.to_vec(),
            rows,
        },
        Sheet {
            name: "Summary",
            header: vec!["Figure", "Value"],
            rows: summary_rows,
        },
    ])?;
    audit_export(&state, &page.user, id, "XLSX").await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"quality-review-{id}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// The rubric

#[derive(Template)]
#[template(path = "reviews/rubric.html")]
struct RubricPage {
    chrome: Chrome,
    criteria: Vec<Criterion>,
    modules: Vec<(i64, String)>,
    form: FormState,
    done: Option<String>,
}

impl RubricPage {
    fn linked(&self, c: &Criterion, module: &i64) -> bool {
        c.module_id == Some(*module)
    }
}

async fn render_rubric(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    done: Option<String>,
) -> Result<Response, AppError> {
    reviews::ensure_rubric(&state.store).await?;
    let criteria = reviews::rubric(&state.store).await?;
    let modules = mashboard_store::training::catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .map(|m| (m.id, m.title))
        .collect();
    let has_errors = form.has_errors();
    html(&RubricPage {
        chrome: Chrome::new(
            state,
            "Grading rubric",
            Some(user),
            csrf,
            "/quality/reviews",
        )
        .with_errors(has_errors),
        criteria,
        modules,
        form,
        done,
    })
}

pub async fn rubric_page(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    render_rubric(
        &state,
        &page.user,
        &page.csrf,
        FormState::default(),
        query(raw.as_deref(), "done"),
    )
    .await
}

pub async fn rubric_save(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let module = field(&pairs, "module_id").parse::<i64>().ok();
    match reviews::update_criterion(
        &state.store,
        &page.user.actor(),
        id,
        &field(&pairs, "title"),
        &field(&pairs, "descriptor"),
        module,
        field(&pairs, "active") == "1",
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/quality/rubric?done=Criterion+saved").into_response()),
        Err(StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            form.add_error(&format!("title-{id}"), m);
            render_rubric(&state, &page.user, &page.csrf, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn rubric_add(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    match reviews::add_criterion(
        &state.store,
        &page.user.actor(),
        &field(&pairs, "title"),
        &field(&pairs, "descriptor"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/quality/rubric?done=Criterion+added").into_response()),
        Err(StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            form.set("title", field(&pairs, "title"));
            form.set("descriptor", field(&pairs, "descriptor"));
            form.add_error("title", m);
            render_rubric(&state, &page.user, &page.csrf, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Feedback to officers and their line managers

struct FeedbackLine {
    officer: String,
    review: String,
    referral_ref: String,
    submitted: String,
    subject: String,
    grade: String,
    comment: String,
    criteria: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "reviews/feedback.html")]
struct FeedbackPage {
    chrome: Chrome,
    linked: bool,
    mine: Vec<FeedbackLine>,
    team: Vec<FeedbackLine>,
}

async fn feedback_lines(state: &AppState, people: &[i64]) -> Result<Vec<FeedbackLine>, AppError> {
    let mut out = Vec::new();
    for f in reviews::feedback_for(&state.store, people).await? {
        let criteria = reviews::agreed_scores_for(&state.store, f.review_id, f.referral_id)
            .await?
            .into_iter()
            .map(|(t, s)| (t, grade_words(s)))
            .collect();
        out.push(FeedbackLine {
            officer: f.officer_name,
            review: f.review_title,
            referral_ref: f.referral_ref,
            submitted: long(&f.submitted_at),
            subject: if f.subject_type == "child" {
                "Child".into()
            } else {
                "Adult".into()
            },
            grade: grade_words(f.grade),
            comment: f.comment,
            criteria,
        });
    }
    Ok(out)
}

pub async fn feedback(
    State(state): State<AppState>,
    page: Page<cap::OwnFeedback>,
) -> Result<Response, AppError> {
    let (mine, team) = match page.user.person_id {
        Some(me) => {
            let mine = feedback_lines(&state, &[me]).await?;
            let reports: Vec<i64> = reviews::reports_of(&state.store, me)
                .await?
                .into_iter()
                .collect();
            let team = feedback_lines(&state, &reports).await?;
            (mine, team)
        }
        None => (Vec::new(), Vec::new()),
    };
    html(&FeedbackPage {
        chrome: Chrome::new(
            &state,
            "Feedback on referrals",
            Some(&page.user),
            &page.csrf,
            "/my/feedback",
        ),
        linked: page.user.person_id.is_some(),
        mine,
        team,
    })
}
