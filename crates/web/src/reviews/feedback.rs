//! Feedback to officers and their line managers (GET /my/feedback).

use super::*;

pub(super) struct FeedbackLine {
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
pub(super) struct FeedbackPage {
    chrome: Chrome,
    linked: bool,
    mine: Vec<FeedbackLine>,
    team: Vec<FeedbackLine>,
}

pub(super) async fn feedback_lines(
    state: &AppState,
    people: &[i64],
) -> Result<Vec<FeedbackLine>, AppError> {
    let mut out = Vec::new();
    for f in reviews::feedback_for(&state.store, people).await? {
        let criteria = reviews::agreed_scores_for(&state.store, f.review_id, f.referral_id)
            .await?
            .into_iter()
            .map(|(t, s)| {
                let words = CriterionScore::from_stored(s)
                    .map(CriterionScore::words)
                    .unwrap_or_default();
                (t, words)
            })
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

pub(super) async fn feedback(
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
    if !team.is_empty() {
        // Their own feedback is theirs to read; their team's names other officers.
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "quality_review.feedback_view",
                format!(
                    "Viewed the referral feedback of the people they line-manage ({} referrals)",
                    team.len()
                ),
            ),
        )
        .await?;
    }
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
