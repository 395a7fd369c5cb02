//! The debrief of an ended run, and its CSV and PDF downloads.

use super::*;

// ----- debrief -----

#[derive(Template)]
#[template(path = "exercises/exercise_debrief.html")]
pub struct DebriefPage {
    pub chrome: Chrome,
    pub run: Run,
    pub scenario_title: String,
    pub duration: String,
    pub teams: Vec<Team>,
    pub releases: Vec<ReleaseLine>,
    pub blocks: Vec<StageBlock>,
    pub notes: Vec<NoteLine>,
    pub meeting: ex::Meeting,
    pub actions: Vec<ex::Action>,
}

pub async fn debrief(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let d = run_data(&state, id).await?;
    ex::record_view(&state.store, &page.user.actor(), id, "debrief").await?;
    html(&DebriefPage {
        chrome: Chrome::new(
            &state,
            format!("Debrief: {}", d.run.title),
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        scenario_title: d.scenario.title.clone(),
        duration: elapsed(&d.run),
        releases: d.release_lines(),
        blocks: d.blocks(true),
        notes: d.note_lines(),
        run: d.run,
        teams: d.teams,
        meeting: d.meeting,
        actions: d.actions,
    })
}

pub(super) fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The debrief as rows: section, stage, question, team, text, model answer, time.
pub(super) fn debrief_rows(d: &RunData) -> Vec<[String; 7]> {
    let mut rows = Vec::new();
    for r in d.release_lines() {
        rows.push([
            "release".into(),
            r.stage.to_string(),
            r.title,
            r.to,
            String::new(),
            String::new(),
            r.since,
        ]);
    }
    for b in d.blocks(true) {
        for q in b.questions {
            for a in q.answers {
                rows.push([
                    "answer".into(),
                    b.stage.to_string(),
                    q.text.clone(),
                    a.team,
                    a.text,
                    q.model_answer.clone(),
                    String::new(),
                ]);
            }
        }
    }
    for n in d.note_lines() {
        rows.push([
            "observer note".into(),
            String::new(),
            n.about,
            n.author,
            n.note,
            String::new(),
            n.since,
        ]);
    }
    let m = &d.meeting;
    for (label, v) in [
        ("agencies present", &m.agencies_present),
        ("information shared", &m.information_shared),
        ("decisions", &m.decisions),
    ] {
        rows.push([
            "strategy meeting".into(),
            String::new(),
            label.into(),
            String::new(),
            v.clone(),
            String::new(),
            String::new(),
        ]);
    }
    for a in &d.actions {
        rows.push([
            "action".into(),
            String::new(),
            a.action.clone(),
            a.owner.clone(),
            a.due.clone(),
            String::new(),
            String::new(),
        ]);
    }
    rows
}

pub async fn debrief_csv(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let d = run_data(&state, id).await?;
    ex::record_view(&state.store, &page.user.actor(), id, "debrief (CSV)").await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "section",
        "stage",
        "item",
        "team or owner",
        "text",
        "model answer",
        "time since start",
    ];
    w.write_record(header)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    for r in debrief_rows(&d) {
        w.write_record(r.iter().map(|c| crate::export::csv_safe(c).into_owned()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("exercise-debrief-{id}.csv"),
        bytes,
    ))
}

pub async fn debrief_pdf(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let d = run_data(&state, id).await?;
    ex::record_view(&state.store, &page.user.actor(), id, "debrief (PDF)").await?;
    let mut w = crate::export::PdfWriter::new(format!("Exercise debrief: {}", d.run.title));
    w.line(true, 16.0, &format!("Debrief: {}", d.run.title));
    w.line(false, 10.0, &format!("Scenario: {}", d.scenario.title));
    w.line(
        false,
        10.0,
        &format!(
            "Started {} - {}",
            day_of(&d.run.started_at),
            if d.run.live() {
                "still live".to_string()
            } else {
                format!("lasted {}", elapsed(&d.run))
            }
        ),
    );
    let team_list: Vec<String> = d
        .teams
        .iter()
        .map(|t| {
            format!(
                "{} ({})",
                t.name,
                t.members
                    .iter()
                    .map(|m| if m.organisation.is_empty() {
                        m.name.clone()
                    } else {
                        format!("{}, {}", m.name, m.organisation)
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
        .collect();
    w.line(false, 10.0, &format!("Teams: {}", team_list.join(" | ")));
    w.gap(8.0);
    w.line(true, 13.0, "Timeline");
    for r in d.release_lines() {
        w.line(
            false,
            10.0,
            &format!(
                "{}  Stage {} ({}) released to {}",
                r.since, r.stage, r.title, r.to
            ),
        );
    }
    for b in d.blocks(true) {
        w.gap(8.0);
        w.line(true, 13.0, &format!("Stage {}: {}", b.stage, b.title));
        for q in b.questions {
            w.gap(4.0);
            w.line(true, 10.0, &q.text);
            w.line(false, 9.0, &format!("Model answer: {}", q.model_answer));
            for a in q.answers {
                let t = if a.text.is_empty() {
                    "(no answer)".to_string()
                } else {
                    a.text
                };
                w.line(false, 9.0, &format!("{}: {}", a.team, t));
            }
        }
    }
    w.gap(8.0);
    w.line(true, 13.0, "Observer notes");
    for n in d.note_lines() {
        w.line(
            false,
            9.0,
            &format!("{} {} ({}): {}", n.since, n.about, n.author, n.note),
        );
    }
    w.gap(8.0);
    w.line(true, 13.0, "Strategy meeting");
    w.line(
        false,
        9.0,
        &format!("Agencies present: {}", d.meeting.agencies_present),
    );
    w.line(
        false,
        9.0,
        &format!("Information shared: {}", d.meeting.information_shared),
    );
    w.line(false, 9.0, &format!("Decisions: {}", d.meeting.decisions));
    for a in &d.actions {
        w.line(
            false,
            9.0,
            &format!(
                "Action: {} - owner {}{}",
                a.action,
                a.owner,
                if a.due.is_empty() {
                    String::new()
                } else {
                    format!(", by {}", a.due)
                }
            ),
        );
    }
    let bytes = w.finish(&format!("Exercise debrief: {}", d.run.title));
    Ok(download(
        "application/pdf",
        &format!("exercise-debrief-{id}.pdf"),
        bytes,
    ))
}
