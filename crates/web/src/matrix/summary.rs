//! The training figures without names: percentage in date by role profile and by department.

use super::load;
use crate::auth::Page;
use crate::error::AppError;
use crate::view::{html, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use mashboard_domain::access::PeopleScope;
use mashboard_domain::people::format_date_long;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::training::matrix::Rate;

#[derive(Template)]
#[template(path = "matrix/matrix_summary.html")]
struct SummaryPage {
    chrome: Chrome,
    by_profile: Vec<Rate>,
    by_department: Vec<Rate>,
    overall: Rate,
    today: String,
}

pub async fn summary(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingSummary>,
) -> Result<Response, AppError> {
    // Aggregates of everyone: no names are shown, so the directory scope does not apply.
    let data = load(&state, PeopleScope::All).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.summary_view",
            "Viewed the training figures by role profile and department",
        ),
    )
    .await?;
    html(&SummaryPage {
        chrome: Chrome::new(
            &state,
            "Training in date",
            Some(&page.user),
            &page.csrf,
            "/training/summary",
        ),
        by_profile: data.by_profile(),
        by_department: data.by_department(),
        overall: data.overall(),
        today: format_date_long(data.today),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_by_profile_and_department() {
        let d = super::super::tests::data();
        let p = d.by_profile();
        assert_eq!(p.len(), 2);
        let mash = p.iter().find(|r| r.label == "Profile MASH").unwrap();
        assert_eq!((mash.people, mash.required, mash.in_date), (2, 4, 2));
        assert_eq!(mash.percent(), "50%");
        assert_eq!(mash.out_of_date, 1);
        let fl = p.iter().find(|r| r.label == "Profile FL").unwrap();
        assert_eq!(fl.percent(), "0%");
        let depts = d.by_department();
        assert_eq!(depts[0].label, "Public Protection");
        assert_eq!(depts[0].people, 2);
        assert_eq!(depts[1].label, "Response");
        assert_eq!(d.overall().required, 5);
        assert_eq!(Rate::new("x").percent(), "No items");
    }
}
