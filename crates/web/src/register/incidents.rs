//! The incidents list: filters, pages, one row per incident.

use super::*;

pub(super) struct IncidentRow {
    href: String,
    i: Incident,
    reported: String,
}

impl From<Incident> for IncidentRow {
    fn from(i: Incident) -> Self {
        IncidentRow {
            href: format!("/register/incidents/{}", path_segment(&i.incident_ref)),
            reported: format_datetime_long(&i.reported_at),
            i,
        }
    }
}

#[derive(Template)]
#[template(path = "register/register_incidents.html")]
pub(super) struct IncidentsPage {
    chrome: Chrome,
    form: FormState,
    areas: Vec<String>,
    rows: Vec<IncidentRow>,
    pager: Pager,
    can_import: bool,
    total_in_register: i64,
}

impl IncidentsPage {
    fn flag_is(&self, s: &str) -> bool {
        self.form.value("flag") == s
    }
}

pub(super) async fn incidents(
    State(state): State<AppState>,
    page: ViewPage,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let f = ListFilters::read(raw.as_deref(), &["flag", "area", "officer"]);
    let q = IncidentQuery {
        search: f.text("search"),
        flag: f.text("flag"),
        area: f.text("area"),
        officer: f.text("officer"),
        from: f.from.clone(),
        to: f.to.clone(),
    };
    let (total, _) = register::search_incidents(&state.store, &q, 0, 0).await?;
    let pager = Pager::new(f.page, PER_PAGE, total, f.base.clone());
    let (_, rows) = register::search_incidents(&state.store, &q, PER_PAGE, pager.offset()).await?;
    f.record_view(&state, &page, "incidents", rows.len(), total, &pager)
        .await?;
    let (total_in_register, _) = register::counts(&state.store).await?;
    let form = f.form;
    let errors = form.has_errors();
    html(&IncidentsPage {
        chrome: Chrome::new(
            &state,
            "Incidents",
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        )
        .with_errors(errors),
        form,
        areas: register::areas(&state.store).await?,
        rows: rows.into_iter().map(IncidentRow::from).collect(),
        pager,
        can_import: page.user.can(Capability::RegisterImport),
        total_in_register,
    })
}
