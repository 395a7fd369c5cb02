//! The list of audits and opening one (GET and POST /compliance/audits).

use super::*;

pub(super) struct AuditListRow {
    pub id: i64,
    pub title: String,
    pub period: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub done: i64,
    pub sampled: i64,
    pub owner: String,
    pub yours: bool,
}

#[derive(Template)]
#[template(path = "audits/audits_list.html")]
pub(super) struct ListPage {
    chrome: Chrome,
    rows: Vec<AuditListRow>,
    form: FormState,
    sees_all: bool,
}

pub(super) const OPEN_FIELDS: [&str; 5] =
    ["title", "period_start", "period_end", "sample_size", "seed"];

pub(super) async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let rows = audits::list(&state.store, &viewer(user))
        .await?
        .into_iter()
        .map(|a| {
            let (status, status_class) = status_label(&a);
            AuditListRow {
                period: period_text(&a),
                status,
                status_class,
                yours: a.owner_user_id == user.id || a.assigned > 0,
                id: a.id,
                title: a.title,
                done: a.done,
                sampled: a.sampled,
                owner: a.owner,
            }
        })
        .collect();
    let has_errors = form.has_errors();
    html(&ListPage {
        chrome: Chrome::new(
            state,
            "Compliance audits",
            Some(user),
            csrf,
            "/compliance/audits",
        )
        .with_errors(has_errors),
        rows,
        form,
        sees_all: audit_rules::sees_all_audits(&user.roles),
    })
}

pub(super) async fn list(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
) -> Result<Response, AppError> {
    let p = Period::last_two_months(today());
    let mut form = FormState::default();
    form.set("title", "");
    form.set("period_start", uk(p.start));
    form.set("period_end", uk(p.end));
    form.set("sample_size", DEFAULT_SAMPLE_SIZE.to_string());
    form.set("seed", "");
    render_list(&state, &page.user, &page.csrf, form).await
}

pub(super) async fn create(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = form_of(&pairs, &OPEN_FIELDS);
    if form.value("title").chars().count() > 200 {
        form.add_error("title", "The title must be 200 characters or fewer");
    }
    let start = date_field(&mut form, "period_start", "the first day of the period");
    let end = date_field(&mut form, "period_end", "the last day of the period");
    let period = match (start, end) {
        (Some(s), Some(e)) => match Period::new(s, e) {
            Ok(p) => Some(p),
            Err(_) => {
                form.add_error(
                    "period_end",
                    "The last day of the period must be the same as or after the first day",
                );
                None
            }
        },
        _ => None,
    };
    let sample_size = match audit_rules::parse_sample_size(form.value("sample_size")) {
        Ok(n) => Some(n),
        Err(m) => {
            form.add_error("sample_size", format!("Sample size: {m}"));
            None
        }
    };
    let seed = if form.value("seed").is_empty() {
        None
    } else {
        match Seed::parse(form.value("seed")).map(Seed::value) {
            Ok(s) => Some(s),
            Err(m) => {
                form.add_error("seed", format!("Seed: {m}"));
                None
            }
        }
    };
    if form.has_errors() {
        return render_list(&state, &page.user, &page.csrf, form).await;
    }
    let (Some(period), Some(sample_size)) = (period, sample_size) else {
        return render_list(&state, &page.user, &page.csrf, form).await;
    };
    match audits::create(
        &state.store,
        &page.user.actor(),
        &NewAudit {
            title: form.value("title").to_string(),
            period,
            sample_size,
            seed,
            owner_user_id: page.user.id,
        },
    )
    .await
    {
        Ok(d) => Ok(
            Redirect::to(&format!("/compliance/audits/{}?saved=created", d.audit_id))
                .into_response(),
        ),
        Err(AuditError::Invalid(m)) => {
            form.add_error("sample_size", m);
            render_list(&state, &page.user, &page.csrf, form).await
        }
        Err(e) => audit_error(e),
    }
}
