//! Closing a review asks first (GET /quality/reviews/{id}/close): the page says what closing does
//! and its button posts the move to "closed" with the session's CSRF token; Back returns.

use super::*;

#[derive(Template)]
#[template(path = "reviews/review_close.html")]
pub(super) struct ClosePage {
    chrome: Chrome,
    review: Review,
}

pub(super) async fn close_confirm(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let review = reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if review.status != "moderation" {
        // Only a review in moderation closes; anything else goes back to the review page.
        return Ok(Redirect::to(&format!("/quality/reviews/{id}")).into_response());
    }
    html(&ClosePage {
        chrome: Chrome::new(
            &state,
            format!("Close {}", review.title),
            Some(&page.user),
            &page.csrf,
            "/quality/reviews",
        ),
        review,
    })
}
