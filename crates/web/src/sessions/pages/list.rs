//! GET /sessions: the schedule, filtered by course, status and date.

use super::*;

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Template)]
#[template(path = "sessions/sessions_list.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) upcoming: Vec<SessionView>,
    pub(super) past: Vec<SessionView>,
    pub(super) modules: Vec<(i64, String)>,
    pub(super) series: Vec<(i64, String)>,
    pub(super) statuses: Vec<SessionStatus>,
    pub(super) module_id: Option<i64>,
    pub(super) series_id: Option<i64>,
    pub(super) status: String,
    pub(super) manage: bool,
    pub(super) team: bool,
}

impl ListPage {
    fn module_selected(&self, id: &i64) -> bool {
        self.module_id == Some(*id)
    }
    fn series_selected(&self, id: &i64) -> bool {
        self.series_id == Some(*id)
    }
    fn status_selected(&self, s: &SessionStatus) -> bool {
        self.status == s.as_str()
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = query(raw.as_deref());
    let module_id = field(&q, "module_id").parse().ok();
    let series_id = field(&q, "series_id").parse().ok();
    let status = SessionStatus::parse(&field(&q, "status"))
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let f = |upcoming| SessionFilter {
        module_id,
        series_id,
        status: Some(status.clone()).filter(|s| !s.is_empty()),
        upcoming: Some(upcoming),
    };
    let upcoming = sessions::list(&state.store, &f(true)).await?;
    let past = sessions::list(&state.store, &f(false)).await?;
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Training sessions",
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        upcoming: upcoming.iter().map(SessionView::from).collect(),
        past: past.iter().take(200).map(SessionView::from).collect(),
        modules: catalogue::modules(&state.store, true)
            .await?
            .into_iter()
            .map(|m| (m.id, format!("{} ({})", m.title, m.code)))
            .collect(),
        series: sessions::all_series(&state.store)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
        statuses: SessionStatus::ALL.to_vec(),
        module_id,
        series_id,
        status,
        manage: page.user.can(Capability::SessionsManage),
        team: page.user.can(Capability::TeamBooking),
    })
}
