//! GET/POST /exercises/runs/new: starting a run with its teams and partners.

use super::*;

// ----- new run -----

pub struct TeamSlot {
    pub n: usize,
    pub name: String,
    pub members: String,
    pub partners: String,
    pub usernames: String,
}

#[derive(Template)]
#[template(path = "exercises/exercise_new.html")]
pub struct NewPage {
    pub chrome: Chrome,
    pub form: FormState,
    pub scenarios: Vec<ex::ScenarioSummary>,
    pub scenario_id: i64,
    pub title: String,
    pub co_facilitators: String,
    pub attachment_day: String,
    pub slots: Vec<TeamSlot>,
    pub more_href: String,
}

#[derive(Deserialize)]
pub struct NewQuery {
    pub(super) attachment_day: Option<String>,
    pub(super) teams: Option<usize>,
}

pub(super) fn slots(n: usize) -> Vec<TeamSlot> {
    (1..=n)
        .map(|n| TeamSlot {
            n,
            name: format!("Team {n}"),
            members: String::new(),
            partners: String::new(),
            usernames: String::new(),
        })
        .collect()
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    ex::ensure_scenarios(&state.store).await?;
    let scenarios = ex::list_scenarios(&state.store).await?;
    let n = q.teams.unwrap_or(2).clamp(1, 12);
    let day = q.attachment_day.unwrap_or_default();
    html(&NewPage {
        chrome: Chrome::new(
            &state,
            "Start an exercise run",
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        form: FormState::default(),
        scenario_id: scenarios.first().map(|s| s.id).unwrap_or_default(),
        scenarios,
        title: String::new(),
        co_facilitators: String::new(),
        more_href: format!(
            "/exercises/runs/new?teams={}{}",
            (n + 2).min(12),
            if day.is_empty() {
                String::new()
            } else {
                format!("&attachment_day={day}")
            }
        ),
        attachment_day: day,
        slots: slots(n),
    })
}

/// Splits a box of staff numbers or usernames (one a line, or separated by commas or spaces).
pub(super) fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Partner participants, one a line as "Name, Organisation".
pub(super) fn partner_lines(s: &str, team: &str) -> Result<Vec<NewPartner>, String> {
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, org)) = line.split_once(',') else {
            return Err(format!(
                "{team}, partner participants line {}: write the name, a comma, then the organisation (for example \"Sam Lee, Eastbrook children's services\").",
                i + 1
            ));
        };
        if name.trim().is_empty() || org.trim().is_empty() {
            return Err(format!(
                "{team}, partner participants line {}: give both the name and the organisation.",
                i + 1
            ));
        }
        out.push(NewPartner {
            name: name.trim().into(),
            organisation: org.trim().into(),
        });
    }
    Ok(out)
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    ex::ensure_scenarios(&state.store).await?;
    let scenarios = ex::list_scenarios(&state.store).await?;
    let mut form = FormState::default();
    let scenario_id: i64 = field_str(&pairs, "scenario_id").parse().unwrap_or(0);
    if !scenarios.iter().any(|s| s.id == scenario_id) {
        form.add_error("scenario_id", "Choose the scenario to run.");
    }
    let day_text = field_str(&pairs, "attachment_day").trim().to_string();
    let attachment_day_id = if day_text.is_empty() {
        None
    } else {
        match day_text.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                form.add_error("attachment_day", "The attachment day must be a number.");
                None
            }
        }
    };
    let n = field_str(&pairs, "slots")
        .parse::<usize>()
        .unwrap_or(2)
        .clamp(1, 12);
    let mut slots_back = Vec::new();
    let mut teams = Vec::new();
    for i in 1..=n {
        let slot = TeamSlot {
            n: i,
            name: field_str(&pairs, &format!("team{i}_name")).to_string(),
            members: field_str(&pairs, &format!("team{i}_members")).to_string(),
            partners: field_str(&pairs, &format!("team{i}_partners")).to_string(),
            usernames: field_str(&pairs, &format!("team{i}_usernames")).to_string(),
        };
        let empty = slot.name.trim().is_empty()
            && slot.members.trim().is_empty()
            && slot.partners.trim().is_empty()
            && slot.usernames.trim().is_empty();
        if !empty {
            let label = if slot.name.trim().is_empty() {
                format!("Team {i}")
            } else {
                slot.name.trim().to_string()
            };
            match partner_lines(&slot.partners, &label) {
                Ok(partners) => teams.push(NewTeam {
                    name: slot.name.clone(),
                    members: tokens(&slot.members),
                    partners,
                    usernames: tokens(&slot.usernames),
                }),
                Err(m) => form.add_error(&format!("team{i}_partners"), m),
            }
        }
        slots_back.push(slot);
    }
    if teams.is_empty() && !form.has_errors() {
        form.add_error("team1_name", "Add at least one team.");
    }
    let title = field_str(&pairs, "title").to_string();
    let co_facilitators = field_str(&pairs, "co_facilitators").to_string();
    if !form.has_errors() {
        let new = NewRun {
            scenario_id,
            title: title.clone(),
            attachment_day_id,
            teams,
            started_at: None,
            co_facilitators: tokens(&co_facilitators),
        };
        let mut rng = rand::rngs::OsRng;
        match ex::create_run(&state.store, &page.user.actor(), &new, &mut rng).await {
            Ok((id, _)) => {
                return Ok(Redirect::to(&format!("/exercises/runs/{id}/console")).into_response())
            }
            Err(mashboard_store::StoreError::Invalid(m)) if m.starts_with("Co-facilitators") => {
                form.add_error("co_facilitators", m)
            }
            Err(mashboard_store::StoreError::Invalid(m)) => form.add_error("team1_name", m),
            Err(e) => return Err(e.into()),
        }
    }
    html(&NewPage {
        chrome: Chrome::new(
            &state,
            "Start an exercise run",
            Some(&page.user),
            &page.csrf,
            "/exercises",
        )
        .with_errors(true),
        form,
        scenarios,
        scenario_id,
        title,
        co_facilitators,
        attachment_day: day_text,
        more_href: format!("/exercises/runs/new?teams={}", (n + 2).min(12)),
        slots: slots_back,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_lines_need_a_name_and_an_organisation() {
        let p = partner_lines("Sam Lee, Eastbrook children's services\n\n", "Red").unwrap();
        assert_eq!(p[0].organisation, "Eastbrook children's services");
        assert!(partner_lines("Sam Lee", "Red")
            .unwrap_err()
            .contains("line 1"));
        assert_eq!(tokens("E1, E2\nE3"), vec!["E1", "E2", "E3"]);
    }
}
