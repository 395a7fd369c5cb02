//! The sign-off queue: completions waiting for the user's signature.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "plans/signoff_queue.html")]
pub(super) struct QueuePage {
    chrome: Chrome,
    items: Vec<(Completion, &'static str)>,
    linked: bool,
}

pub async fn queue(
    State(state): State<AppState>,
    page: Page<cap::SignOff>,
) -> Result<Response, AppError> {
    let items = match page.user.person_id {
        Some(pid) => completions::queue_for(&state.store, pid).await?,
        None => Vec::new(),
    };
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "completion.queue_view",
            format!(
                "Viewed the sign-off queue ({} completion{})",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
        ),
    )
    .await?;
    html(&QueuePage {
        chrome: Chrome::new(
            &state,
            "Waiting for your sign-off",
            Some(&page.user),
            &page.csrf,
            "/sign-offs",
        ),
        linked: page.user.person_id.is_some(),
        items,
    })
}

impl QueuePage {
    fn long(&self, d: &str) -> String {
        long(d)
    }
}
