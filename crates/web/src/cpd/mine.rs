//! My CPD: the log, yearly totals, and logging an entry.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "cpd/cpd_mine.html")]
pub(super) struct MinePage {
    chrome: Chrome,
    linked: bool,
    entries: Vec<EntryView>,
    totals: Vec<YearView>,
    form: FormState,
    kinds: Vec<CpdKind>,
    saved: bool,
}

impl MinePage {
    fn kind_checked(&self, k: &CpdKind) -> bool {
        self.form.value("kind") == k.as_str()
    }
}

pub(super) async fn render_mine(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    saved: bool,
) -> Result<Response, AppError> {
    let (entries, totals) = match user.person_id {
        Some(id) => (
            cpd::of_person(&state.store, id)
                .await?
                .into_iter()
                .map(EntryView::from)
                .collect(),
            cpd::totals_of(&state.store, id)
                .await?
                .into_iter()
                .map(YearView::from)
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let has_errors = form.has_errors();
    html(&MinePage {
        chrome: Chrome::new(state, "Your CPD", Some(user), csrf, "/my/cpd").with_errors(has_errors),
        linked: user.person_id.is_some(),
        entries,
        totals,
        form,
        kinds: CpdKind::ALL.to_vec(),
        saved,
    })
}

pub async fn mine(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::OwnTraining>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let saved = query_has(raw.as_deref(), "saved").is_some();
    render_mine(&state, &page.user, &page.csrf, FormState::default(), saved).await
}

/// Checks the "Log CPD" form: the entry to store, or the form with its errors.
pub(super) fn read_cpd(
    pairs: &[(String, String)],
    person_id: i64,
    today: time::Date,
) -> Result<NewCpd, FormState> {
    let mut form = FormState::default();
    let names = [
        "topic",
        "done_on",
        "time_spent",
        "kind",
        "learning",
        "evidence_url",
    ];
    for n in names {
        form.set(n, raw_field(pairs, n).trim());
    }
    let topic = form.value("topic").to_string();
    if topic.is_empty() {
        form.add_error("topic", "Enter the topic of the CPD");
    } else if topic.chars().count() > MAX_TOPIC {
        form.add_error(
            "topic",
            format!("The topic must be {MAX_TOPIC} characters or fewer"),
        );
    }
    let done_on = match form.value("done_on") {
        "" => {
            form.add_error("done_on", "Enter the date you did the CPD");
            None
        }
        raw => match parse_date(raw) {
            Err(m) => {
                form.add_error("done_on", m);
                None
            }
            Ok(d) if d > today => {
                form.add_error("done_on", "The date must be today or in the past");
                None
            }
            Ok(d) => Some(d),
        },
    };
    let minutes = match parse_hours(form.value("time_spent")) {
        Ok(m) => Some(m),
        Err(m) => {
            form.add_error("time_spent", m);
            None
        }
    };
    let kind = match form.value("kind") {
        "" => {
            form.add_error("kind", "Select the kind of CPD");
            None
        }
        raw => match raw.parse::<CpdKind>() {
            Ok(k) => Some(k),
            Err(_) => {
                form.add_error("kind", "Select the kind of CPD from the list");
                None
            }
        },
    };
    let learning = form.value("learning").to_string();
    if learning.is_empty() {
        form.add_error("learning", "Enter what you learned");
    } else if learning.chars().count() > MAX_LEARNING {
        form.add_error(
            "learning",
            format!("What you learned must be {MAX_LEARNING} characters or fewer"),
        );
    }
    let url = form.value("evidence_url").to_string();
    if !url.is_empty() {
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.chars().any(char::is_whitespace)
            || url.len() < 10
        {
            form.add_error(
                "evidence_url",
                "Enter the evidence link as a web address starting with https://, or leave it blank",
            );
        } else if url.len() > MAX_URL {
            form.add_error(
                "evidence_url",
                format!("The evidence link must be {MAX_URL} characters or fewer"),
            );
        }
    }
    match (done_on, minutes, kind) {
        (Some(d), Some(m), Some(k)) if !form.has_errors() => Ok(NewCpd {
            person_id,
            topic,
            done_on: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            minutes: i64::from(m),
            kind: k.as_str().to_string(),
            learning,
            evidence_url: url,
        }),
        _ => Err(form),
    }
}

pub async fn log(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::OwnTraining>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let Some(person_id) = page.user.person_id else {
        // The page explains this instead of showing the form.
        return render_mine(&state, &page.user, &page.csrf, FormState::default(), false).await;
    };
    let entry = match read_cpd(&pairs, person_id, today()) {
        Ok(e) => e,
        Err(form) => return render_mine(&state, &page.user, &page.csrf, form, false).await,
    };
    match cpd::log(&state.store, &page.user.actor(), &entry).await {
        Ok(_) => Ok(Redirect::to("/my/cpd?saved=1").into_response()),
        Err(StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            for (k, v) in &pairs {
                if k != "csrf_token" {
                    form.set(k, v.trim());
                }
            }
            form.add_error("topic", m);
            render_mine(&state, &page.user, &page.csrf, form, false).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_good_entry_is_read() {
        let e = read_cpd(
            &pairs(&[
                ("topic", " Stalking "),
                ("done_on", "01/03/2024"),
                ("time_spent", "1:30"),
                ("kind", "course"),
                ("learning", "Risk factors"),
                ("evidence_url", "https://example.org/cert"),
            ]),
            7,
            date!(2025 - 01 - 01),
        )
        .unwrap();
        assert_eq!(e.topic, "Stalking");
        assert_eq!(e.done_on, "2024-03-01");
        assert_eq!(e.minutes, 90);
        assert_eq!(e.kind, "course");
        assert_eq!(e.person_id, 7);
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let form = read_cpd(
            &pairs(&[
                ("done_on", "2030-01-01"),
                ("time_spent", "lots"),
                ("evidence_url", "javascript:alert(1)"),
            ]),
            7,
            date!(2025 - 01 - 01),
        )
        .unwrap_err();
        let fields: Vec<&str> = form.errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "topic",
                "done_on",
                "time_spent",
                "kind",
                "learning",
                "evidence_url"
            ]
        );
        assert_eq!(form.value("time_spent"), "lots");
    }

    #[test]
    fn statuses_have_words_and_colours() {
        assert_eq!(status_label("returned"), "Returned");
        assert_eq!(status_class("verified"), "govuk-tag--green");
        assert_eq!(status_label("odd"), "Unknown");
    }
}
