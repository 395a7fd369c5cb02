//! The line manager's queue: verifying CPD or sending it back.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "cpd/cpd_review.html")]
pub(super) struct QueuePage {
    chrome: Chrome,
    linked: bool,
    entries: Vec<EntryView>,
    /// The entry whose form came back with errors, and its form.
    failed: Option<i64>,
    form: FormState,
    done: Option<&'static str>,
}

impl QueuePage {
    fn error(&self, id: &i64, name: &str) -> Option<&str> {
        if self.failed == Some(*id) {
            self.form.error(&format!("{name}-{id}"))
        } else {
            None
        }
    }
    fn value(&self, id: &i64, name: &str) -> &str {
        if self.failed == Some(*id) {
            self.form.value(&format!("{name}-{id}"))
        } else {
            ""
        }
    }
}

pub(super) async fn render_queue(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    failed: Option<i64>,
    form: FormState,
    done: Option<&'static str>,
) -> Result<Response, AppError> {
    let entries: Vec<EntryView> = match user.person_id {
        Some(id) => cpd::review_queue(&state.store, id)
            .await?
            .into_iter()
            .map(EntryView::from)
            .collect(),
        None => Vec::new(),
    };
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "cpd.queue_view",
            format!("Viewed the CPD review queue ({} entries)", entries.len()),
        ),
    )
    .await?;
    let has_errors = form.has_errors();
    html(&QueuePage {
        chrome: Chrome::new(state, "CPD to verify", Some(user), csrf, "/cpd/review")
            .with_errors(has_errors),
        linked: user.person_id.is_some(),
        entries,
        failed,
        form,
        done,
    })
}

pub async fn queue(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::CpdReview>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let done = match query_has(raw.as_deref(), "done").as_deref() {
        Some("verified") => Some("The CPD has been verified."),
        Some("returned") => Some("The CPD has been returned with your comment."),
        _ => None,
    };
    render_queue(
        &state,
        &page.user,
        &page.csrf,
        None,
        FormState::default(),
        done,
    )
    .await
}

pub async fn review(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::CpdReview>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let decision = raw_field(&pairs, "decision");
    let comment = raw_field(&pairs, "comment").trim().to_string();
    let (dkey, ckey) = (format!("decision-{id}"), format!("comment-{id}"));
    let mut form = FormState::default();
    form.set(&dkey, decision.as_str());
    form.set(&ckey, comment.as_str());
    let verify = match decision.as_str() {
        "verify" => Some(true),
        "return" => Some(false),
        _ => {
            form.add_error(&dkey, "Select whether to verify or return this CPD");
            None
        }
    };
    if verify == Some(false) && comment.is_empty() {
        form.add_error(
            &ckey,
            "Enter a comment saying why you are returning this CPD, so they can put it right",
        );
    }
    if comment.chars().count() > MAX_COMMENT {
        form.add_error(
            &ckey,
            format!("The comment must be {MAX_COMMENT} characters or fewer"),
        );
    }
    let Some(verify) = verify.filter(|_| !form.has_errors()) else {
        return render_queue(&state, &page.user, &page.csrf, Some(id), form, None).await;
    };
    match cpd::review(
        &state.store,
        &page.user.actor(),
        page.user.person_id,
        id,
        verify,
        &comment,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(if verify {
            "/cpd/review?done=verified"
        } else {
            "/cpd/review?done=returned"
        })
        .into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            // Refused (not their person's CPD, or already reviewed): say so at the top.
            let mut form = FormState::default();
            form.add_error("queue", m);
            render_queue(&state, &page.user, &page.csrf, None, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
