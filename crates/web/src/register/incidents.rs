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
    /// How many match the filters, and how many the register holds (each up to a cap).
    matching: Count,
    in_register: Count,
    links: PageLinks,
    can_import: bool,
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
    let shown = register::incidents_page(&state.store, &q, &f.start, PER_PAGE).await?;
    let matching = register::incidents_count(&state.store, &q).await?;
    let in_register = if q == IncidentQuery::default() {
        matching
    } else {
        register::incidents_count(&state.store, &IncidentQuery::default()).await?
    };
    let refs = (
        shown.rows.first().map(|i| i.incident_ref.as_str()),
        shown.rows.last().map(|i| i.incident_ref.as_str()),
    );
    f.record_view(&state, &page, "incidents", shown.rows.len(), matching, refs)
        .await?;
    let links = PageLinks::of("/register/incidents", &f.base, &shown, |i| {
        i.incident_ref.as_str()
    });
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
        rows: shown.rows.into_iter().map(IncidentRow::from).collect(),
        matching,
        in_register,
        links,
        can_import: page.user.can(Capability::RegisterImport),
    })
}
