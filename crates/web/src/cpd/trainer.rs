//! The trainer's view: CPD by team, and counting an entry against a module.

#[allow(unused_imports)]
use super::*;

pub(crate) struct TeamView {
    pub year: String,
    pub department: String,
    pub team: String,
    pub people: i64,
    pub verified: String,
}

impl From<TeamTotal> for TeamView {
    fn from(t: TeamTotal) -> Self {
        TeamView {
            year: t.year,
            department: t
                .department
                .unwrap_or_else(|| "No department recorded".into()),
            team: t.team.unwrap_or_default(),
            people: t.people,
            verified: format_minutes(u32::try_from(t.verified_minutes).unwrap_or(0)),
        }
    }
}

#[derive(Template)]
#[template(path = "cpd/cpd_trainer.html")]
pub(super) struct TrainerPage {
    chrome: Chrome,
    teams: Vec<TeamView>,
    entries: Vec<EntryView>,
    modules: Vec<Module>,
    show_all: bool,
    saved: bool,
}

pub async fn trainer(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let show_all = query_has(raw.as_deref(), "show").as_deref() == Some("all");
    let saved = query_has(raw.as_deref(), "saved").is_some();
    let teams: Vec<TeamView> = cpd::team_totals(&state.store)
        .await?
        .into_iter()
        .map(TeamView::from)
        .collect();
    let entries: Vec<EntryView> = reports::recent_cpd(&state.store, !show_all, TRAINER_LIST)
        .await?
        .into_iter()
        .map(EntryView::from)
        .collect();
    let modules = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .filter(|m| !m.cpd_topic)
        .collect();
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "cpd.team_view",
            format!(
                "Viewed CPD totals by team and {} CPD entries",
                entries.len()
            ),
        ),
    )
    .await?;
    html(&TrainerPage {
        chrome: Chrome::new(
            &state,
            "CPD by team",
            Some(&page.user),
            &page.csrf,
            "/training/cpd",
        ),
        teams,
        entries,
        modules,
        show_all,
        saved,
    })
}

pub async fn map(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    cpd::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let raw = raw_field(&pairs, "module_id");
    let module_id = match raw.trim() {
        "" => None,
        v => {
            let mid: i64 = v.parse().map_err(|_| {
                AppError::BadRequest("Choose a module from the list, then save.".into())
            })?;
            catalogue::module(&state.store, mid).await?.ok_or_else(|| {
                AppError::BadRequest(
                    "That module is not in the catalogue. Go back and choose one from the list."
                        .into(),
                )
            })?;
            Some(mid)
        }
    };
    cpd::map_to_module(&state.store, &page.user.actor(), id, module_id).await?;
    Ok(Redirect::to("/training/cpd?saved=1").into_response())
}
