//! One role profile's programme: the modules it requires with their due and renewal rules.

#[allow(unused_imports)]
use super::*;

pub struct ItemView {
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub due: String,
    pub renewal: String,
    /// The module as the catalogue shows it (for its review state), if it is still there.
    pub module: Option<ModuleView>,
}

#[derive(Template)]
#[template(path = "catalogue/catalogue_profile.html")]
pub(super) struct ProfilePage {
    chrome: Chrome,
    p: Profile,
    items: Vec<ItemView>,
    /// Live modules that can be added: (id, code, title).
    options: Vec<(i64, String, String)>,
    form: FormState,
    saved: Option<&'static str>,
}

impl ProfilePage {
    fn checked(&self, name: &str, value: &str) -> bool {
        self.form.value(name) == value
    }
    fn module_selected(&self, id: &i64) -> bool {
        self.form.value("module_id") == id.to_string()
    }
}

pub(super) const ITEM_FIELDS: [&str; 8] = [
    "module_id",
    "due_kind",
    "due_days",
    "due_date",
    "renewal_kind",
    "renewal_months",
    "window_from",
    "window_to",
];

pub(super) fn item_defaults() -> FormState {
    let mut f = FormState::default();
    f.set("due_kind", "days");
    f.set("renewal_kind", "none");
    f
}

/// The form filled in with a programme item's current rules, to change them.
pub(super) fn item_form(module_id: i64, due: &str, renewal: &str) -> FormState {
    let mut f = FormState::default();
    f.set("module_id", module_id.to_string());
    match DueRule::parse(due) {
        Ok(DueRule::ByDate(d)) => {
            f.set("due_kind", "date");
            f.set("due_date", uk(d));
        }
        Ok(DueRule::WithinDays(n)) => {
            f.set("due_kind", "days");
            f.set("due_days", n.to_string());
        }
        Err(_) => f.set("due_kind", "days"),
    }
    match RenewalRule::parse(renewal) {
        Ok(RenewalRule::Rolling { months }) => {
            f.set("renewal_kind", "rolling");
            f.set("renewal_months", months.to_string());
        }
        Ok(RenewalRule::AnnualWindow { from, to }) => {
            f.set("renewal_kind", "window");
            f.set(
                "window_from",
                format!("{:02}/{:02}", from.1, u8::from(from.0)),
            );
            f.set("window_to", format!("{:02}/{:02}", to.1, u8::from(to.0)));
        }
        _ => f.set("renewal_kind", "none"),
    }
    f
}

pub(super) async fn render_profile(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    p: Profile,
    form: Option<FormState>,
    saved: Option<&'static str>,
) -> Result<Response, AppError> {
    let today = today();
    let modules = catalogue::modules(&state.store, true).await?;
    let items = programmes::items(&state.store, p.id)
        .await?
        .into_iter()
        .map(|i| ItemView {
            due: DueRule::parse(&i.due_rule)
                .map(|r| r.describe())
                .unwrap_or_else(|_| i.due_rule.clone()),
            renewal: RenewalRule::parse(&i.renewal_rule)
                .map(|r| r.describe())
                .unwrap_or_else(|_| i.renewal_rule.clone()),
            module: modules
                .iter()
                .find(|m| m.id == i.module_id)
                .cloned()
                .map(|m| ModuleView::of(m, today)),
            module_id: i.module_id,
            module_code: i.module_code,
            module_title: i.module_title,
        })
        .collect();
    let options = modules
        .into_iter()
        .filter(|m| m.status == ModuleStatus::Live.as_str())
        .map(|m| (m.id, m.code, m.title))
        .collect();
    let has_errors = form.as_ref().is_some_and(FormState::has_errors);
    html(&ProfilePage {
        chrome: Chrome::new(
            state,
            p.name.clone(),
            Some(user),
            csrf,
            "/training/profiles",
        )
        .with_errors(has_errors),
        p,
        items,
        options,
        form: form.unwrap_or_else(item_defaults),
        saved,
    })
}

pub(super) async fn find_profile(state: &AppState, raw_id: &str) -> Result<Profile, AppError> {
    programmes::profile(&state.store, path_id(raw_id)?)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn profile_page(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let p = find_profile(&state, &id).await?;
    let saved = saved_message(
        raw.as_deref(),
        &[
            (
                "created",
                "The role profile has been added. Now add its modules.",
            ),
            ("item", "The programme has been saved."),
            ("removed", "The module has been removed from the programme."),
        ],
    );
    // "Change" links fill the form with a module's current rules.
    let change = field(&query_pairs(raw.as_deref()), "change")
        .parse::<i64>()
        .ok();
    let form = match change {
        Some(module_id) => programmes::items(&state.store, p.id)
            .await?
            .into_iter()
            .find(|i| i.module_id == module_id)
            .map(|i| item_form(i.module_id, &i.due_rule, &i.renewal_rule)),
        None => None,
    };
    render_profile(&state, &page.user, &page.csrf, p, form, saved).await
}

/// "01/04" or "1/4" as (month, day); only the shape is checked here, the domain checks the day.
pub(super) fn day_month(raw: &str) -> Option<(u8, u8)> {
    let (d, m) = raw.trim().split_once('/')?;
    let ok = |s: &str| !s.is_empty() && s.len() <= 2 && s.chars().all(|c| c.is_ascii_digit());
    if !ok(d) || !ok(m) {
        return None;
    }
    Some((m.parse().ok()?, d.parse().ok()?))
}

/// Reads the due and renewal parts of the form into the stored rules, checked by the domain.
pub(super) fn build_rules(form: &mut FormState) -> Option<(String, String)> {
    let due = match form.value("due_kind") {
        "days" => {
            let raw = form.value("due_days").trim().to_string();
            if raw.is_empty() {
                form.add_error(
                    "due_days",
                    "Enter the number of days after starting the role, for example 90",
                );
                None
            } else if !raw.chars().all(|c| c.is_ascii_digit()) {
                form.add_error(
                    "due_days",
                    "Enter the number of days as a whole number, for example 90",
                );
                None
            } else {
                match DueRule::parse(&format!("days:{raw}")) {
                    Ok(r) => Some(r),
                    Err(_) => {
                        form.add_error(
                            "due_days",
                            format!("The number of days must be {MAX_DUE_DAYS} or fewer"),
                        );
                        None
                    }
                }
            }
        }
        "date" => match date_field(form, "due_date", "the date it is due by", true) {
            Some(d) => match DueRule::parse(&format!("date:{}", iso(d))) {
                Ok(r) => Some(r),
                Err(m) => {
                    form.add_error("due_date", m);
                    None
                }
            },
            None => None,
        },
        _ => {
            form.add_error("due_kind", "Select when the module is due");
            None
        }
    };
    let renewal = match form.value("renewal_kind") {
        "none" => Some(RenewalRule::None),
        "rolling" => {
            let raw = form.value("renewal_months").trim().to_string();
            if raw.is_empty() || !raw.chars().all(|c| c.is_ascii_digit()) {
                form.add_error(
                    "renewal_months",
                    "Enter how many months after completing it the module must be renewed, for example 12",
                );
                None
            } else {
                match RenewalRule::parse(&format!("rolling:{raw}")) {
                    Ok(r) => Some(r),
                    Err(_) => {
                        form.add_error(
                            "renewal_months",
                            format!(
                                "The number of months must be between 1 and {MAX_RENEWAL_MONTHS}"
                            ),
                        );
                        None
                    }
                }
            }
        }
        "window" => {
            // Each bound is read for its shape here and checked as a real day by the domain.
            let mut bound = |name: &str, which: &str, example: &str| -> Option<String> {
                let checked = day_month(form.value(name))
                    .map(|(m, d)| format!("{m:02}-{d:02}"))
                    .filter(|md| RenewalRule::parse(&format!("window:{md}..{md}")).is_ok());
                if checked.is_none() {
                    form.add_error(
                        name,
                        format!("Enter the {which} day of the window as a real day and month, for example {example}"),
                    );
                }
                checked
            };
            let from = bound("window_from", "first", "01/04");
            let to = bound("window_to", "last", "30/06");
            match (from, to) {
                (Some(f), Some(t)) => match RenewalRule::parse(&format!("window:{f}..{t}")) {
                    Ok(r) => Some(r),
                    Err(m) => {
                        form.add_error("window_to", m);
                        None
                    }
                },
                _ => None,
            }
        }
        _ => {
            form.add_error("renewal_kind", "Select how often the module is renewed");
            None
        }
    };
    Some((due?.encode(), renewal?.encode()))
}

pub async fn set_item(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let p = find_profile(&state, &id).await?;
    let mut form = form_of(&pairs, &ITEM_FIELDS);
    let live: Vec<i64> = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .filter(|m| m.status == ModuleStatus::Live.as_str())
        .map(|m| m.id)
        .collect();
    let module_id = form
        .value("module_id")
        .parse::<i64>()
        .ok()
        .filter(|id| live.contains(id));
    if module_id.is_none() {
        form.add_error("module_id", "Select a live module from the catalogue");
    }
    let rules = build_rules(&mut form);
    let (Some(module_id), Some((due, renewal)), false) = (module_id, rules, form.has_errors())
    else {
        return render_profile(&state, &page.user, &page.csrf, p, Some(form), None).await;
    };
    match programmes::set_item(
        &state.store,
        &page.user.actor(),
        p.id,
        module_id,
        &due,
        &renewal,
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/training/profiles/{}?saved=item", p.id)).into_response())
        }
        Err(StoreError::Invalid(msg)) => {
            form.add_error("module_id", msg);
            render_profile(&state, &page.user, &page.csrf, p, Some(form), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "catalogue/catalogue_remove_item.html")]
pub(super) struct RemoveItemPage {
    chrome: Chrome,
    p: Profile,
    item: programmes::ProgrammeItem,
}

/// Asks before taking a module out of a programme: it changes the plan of everyone on the role
/// profile. Nothing changes until the form on this page is sent.
pub async fn confirm_remove_item(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path((id, module_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = find_profile(&state, &id).await?;
    let module_id = path_id(&module_id)?;
    let item = programmes::items(&state.store, p.id)
        .await?
        .into_iter()
        .find(|i| i.module_id == module_id)
        .ok_or(AppError::NotFound)?;
    html(&RemoveItemPage {
        chrome: Chrome::new(
            &state,
            format!("Remove {} from the programme", item.module_title),
            Some(&page.user),
            &page.csrf,
            "/training/profiles",
        ),
        p,
        item,
    })
}

pub async fn remove_item(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path((id, module_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = find_profile(&state, &id).await?;
    let module_id = path_id(&module_id)?;
    programmes::remove_item(&state.store, &page.user.actor(), p.id, module_id).await?;
    Ok(Redirect::to(&format!("/training/profiles/{}?saved=removed", p.id)).into_response())
}
