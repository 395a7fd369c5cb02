//! GET /coverage/{id}: one requirement, its breakdowns, the untrained and booking them.

use super::*;

// ---------------------------------------------------------------------------------------------
// One requirement

#[derive(Template)]
#[template(path = "coverage/coverage_show.html")]
pub(super) struct ShowPage {
    pub(super) chrome: Chrome,
    pub(super) form: FormState,
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) who: Vec<String>,
    pub(super) modules: Vec<String>,
    pub(super) as_of_long: String,
    pub(super) total: Tally,
    pub(super) percent: String,
    pub(super) how: Vec<HowRow>,
    pub(super) breakdowns: Vec<Breakdown>,
    pub(super) departments: Vec<String>,
    pub(super) teams: Vec<String>,
    pub(super) cohorts: Vec<String>,
    pub(super) ranks: Vec<String>,
    pub(super) filtered: bool,
    pub(super) filter_words: String,
    pub(super) names: bool,
    pub(super) untrained: Vec<UntrainedRow>,
    pub(super) sessions: Vec<SessionChoice>,
    pub(super) book_action: String,
    pub(super) return_to: String,
    pub(super) export_query: String,
    pub(super) manage: bool,
    pub(super) scope_note: String,
    /// The success banner after booking people from this page, if any.
    pub(super) booked: String,
}

impl ShowPage {
    fn selected(&self, name: &str, value: &str) -> bool {
        self.form.value(name).eq_ignore_ascii_case(value)
    }
}

pub(super) struct Query {
    pub(super) as_of: Date,
    pub(super) filter: Filter,
    pub(super) form: FormState,
    /// Back from booking: the banner saying how many were booked.
    pub(super) booked: String,
    /// Back from pressing Book with nobody ticked.
    pub(super) nobody_ticked: bool,
}

/// The banner after a booking made from this page (the session pages send the counts back).
pub(super) fn booked_text(pairs: &[(String, String)]) -> String {
    let n = |k: &str| field_str(pairs, k).parse::<usize>().unwrap_or(0);
    if field_str(pairs, "booked_session").is_empty() {
        return String::new();
    }
    let people = |n: usize| {
        if n == 1 {
            "1 person".to_string()
        } else {
            format!("{n} people")
        }
    };
    let mut words = format!("Booked {} onto the session.", people(n("enrolled")));
    if n("waitlisted") > 0 {
        words.push_str(&format!(
            " {} put on its waitlist (it is full).",
            people(n("waitlisted"))
        ));
    }
    if n("skipped") > 0 {
        words.push_str(&format!(
            " {} not booked (already booked or not found).",
            people(n("skipped"))
        ));
    }
    words
}

pub(super) fn read_query(raw: Option<&str>) -> Query {
    let pairs = pairs_of(raw);
    let mut form = FormState::default();
    for k in ["as_of", "department", "team", "cohort", "rank"] {
        form.set(k, field_str(&pairs, k));
    }
    let as_of = match parse_as_of(Some(field_str(&pairs, "as_of"))) {
        Ok(d) => d,
        Err(m) => {
            form.add_error("as_of", m);
            today()
        }
    };
    let filter = Filter {
        department: opt(field_str(&pairs, "department")),
        team: opt(field_str(&pairs, "team")),
        cohort: opt(field_str(&pairs, "cohort")),
        rank: opt(field_str(&pairs, "rank")),
        only: None,
    };
    Query {
        as_of,
        filter,
        form,
        booked: booked_text(&pairs),
        nobody_ticked: field_str(&pairs, "book_error") == "nobody",
    }
}

pub(super) fn query_string(q: &Query) -> String {
    let mut v: Vec<(&str, String)> = Vec::new();
    if !q.form.value("as_of").is_empty() && !q.form.has_errors() {
        v.push(("as_of", iso(q.as_of)));
    }
    for (k, val) in [
        ("department", &q.filter.department),
        ("team", &q.filter.team),
        ("cohort", &q.filter.cohort),
        ("rank", &q.filter.rank),
    ] {
        if let Some(val) = val {
            v.push((k, val.clone()));
        }
    }
    serde_urlencoded::to_string(&v).unwrap_or_default()
}

pub(super) fn breakdowns(id: i64, report: &Report, q: &Query) -> Vec<Breakdown> {
    Dimension::ALL
        .iter()
        .map(|d| {
            let rows = report
                .coverage
                .breakdown(*d)
                .iter()
                .map(|(name, t)| {
                    let href = match d {
                        Dimension::RoleProfile => String::new(),
                        _ => {
                            let mut v: Vec<(&str, String)> = vec![(d.key(), name.clone())];
                            if !q.form.value("as_of").is_empty() && !q.form.has_errors() {
                                v.push(("as_of", iso(q.as_of)));
                            }
                            format!(
                                "/coverage/{id}?{}",
                                serde_urlencoded::to_string(&v).unwrap_or_default()
                            )
                        }
                    };
                    GroupRow {
                        name: name.clone(),
                        required: t.required,
                        trained: t.trained,
                        booked: t.booked,
                        untrained: t.untrained(),
                        percent: t.percent_text(),
                        href,
                    }
                })
                .collect();
            Breakdown {
                key: d.key(),
                label: d.label(),
                rows,
            }
        })
        .collect()
}

pub(super) fn untrained_rows(report: &Report) -> Vec<UntrainedRow> {
    report
        .untrained()
        .into_iter()
        .map(|(p, o)| UntrainedRow {
            staff_number: p.staff_number.clone(),
            name: p.name.clone(),
            department: p.department.clone().unwrap_or_default(),
            team: p.team.clone().unwrap_or_default(),
            cohort: p.cohort.clone().unwrap_or_default(),
            rank: p.rank.clone().unwrap_or_default(),
            booked: match o.standing {
                Standing::Booked { starts_on, .. } => {
                    format!("Yes, {}", format_date_long(starts_on))
                }
                _ => "No".into(),
            },
        })
        .collect()
}

pub(super) fn session_label(s: &store::SessionOption) -> String {
    let when = mashboard_domain::sessions::display_stored(&s.starts_at);
    let mode = mashboard_domain::sessions::SessionMode::parse(&s.mode)
        .map(|m| m.label())
        .unwrap_or("In person");
    format!(
        "{when}, {} ({mode}), {} of {} places taken",
        s.title, s.enrolled, s.capacity
    )
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::CoverageView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let req = load_requirement(&state, &id).await?;
    let q = read_query(raw.as_deref());
    let scope = viewer_scope(&state.store, &page.user).await?;
    // The choices for the filters come from everyone in the viewer's scope.
    let whole = store::compute(
        &state.store,
        &req,
        q.as_of,
        &scope.filter(Filter::default()),
    )
    .await?;
    let filtered = q.filter.department.is_some()
        || q.filter.team.is_some()
        || q.filter.cohort.is_some()
        || q.filter.rank.is_some();
    let report = if filtered {
        store::compute(&state.store, &req, q.as_of, &scope.filter(q.filter.clone())).await?
    } else {
        whole.clone()
    };
    let keys =
        |d: Dimension| -> Vec<String> { whole.coverage.breakdown(d).keys().cloned().collect() };
    let c = &report.coverage;
    let untrained = if scope.names {
        let rows = untrained_rows(&report);
        store::record_view(
            &state.store,
            &page.user.actor(),
            &req,
            "the untrained list",
            rows.len(),
        )
        .await?;
        rows
    } else {
        Vec::new()
    };
    let manage = page.user.can(Capability::SessionsManage);
    let book_action = if manage {
        "/sessions/enrol-many".to_string()
    } else if page.user.can(Capability::TeamBooking) {
        "/sessions/team/enrol-many".to_string()
    } else {
        String::new()
    };
    let sessions = if book_action.is_empty() || untrained.is_empty() {
        Vec::new()
    } else {
        store::upcoming_sessions(&state.store, req.id, &mashboard_store::now_text())
            .await?
            .iter()
            .map(|s| SessionChoice {
                id: s.id,
                label: session_label(s),
            })
            .collect()
    };
    let qs = query_string(&q);
    let return_to = if qs.is_empty() {
        format!("/coverage/{}", req.id)
    } else {
        format!("/coverage/{}?{qs}", req.id)
    };
    let filter_words = [
        ("in", &q.filter.department),
        ("in team", &q.filter.team),
        ("in cohort", &q.filter.cohort),
        ("with rank", &q.filter.rank),
    ]
    .iter()
    .filter_map(|(w, v)| v.as_ref().map(|v| format!("{w} {v}")))
    .collect::<Vec<_>>()
    .join(", ");
    let mut form = q.form.clone();
    if q.nobody_ticked {
        form.add_error("untrained", "Tick at least one person to book");
    }
    let has_errors = form.has_errors();
    html(&ShowPage {
        chrome: Chrome::new(
            &state,
            req.name.clone(),
            Some(&page.user),
            &page.csrf,
            "/coverage",
        )
        .with_errors(has_errors),
        id: req.id,
        name: req.name.clone(),
        description: req.description.clone(),
        who: req.rule.describe(),
        modules: req
            .modules
            .iter()
            .map(|m| format!("{}: {} ({})", m.code, m.title, m.counts_as.label()))
            .collect(),
        as_of_long: format_date_long(q.as_of),
        total: c.total,
        percent: c.total.percent_text(),
        how: TrainedHow::ALL
            .iter()
            .map(|h| HowRow {
                label: h.label(),
                count: c.trained_how.get(h).copied().unwrap_or(0),
            })
            .collect(),
        breakdowns: breakdowns(req.id, &report, &q),
        departments: keys(Dimension::Department),
        teams: keys(Dimension::Team),
        cohorts: keys(Dimension::Cohort),
        ranks: keys(Dimension::Rank),
        filtered,
        filter_words,
        names: scope.names,
        untrained,
        sessions,
        book_action,
        return_to,
        export_query: if qs.is_empty() {
            String::new()
        } else {
            format!("?{qs}")
        },
        manage,
        scope_note: scope_note(scope.kind),
        booked: q.booked.clone(),
        form,
    })
}
