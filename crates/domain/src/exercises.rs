//! Exercise runs: release rules, answer and team validation, team codes, and the debrief.
//! Pure rules; the store keeps the facts and the web layer shows them.

use rand::Rng;
use std::collections::BTreeSet;

/// Team codes use letters and digits that cannot be mistaken for one another on a projector
/// (no 0/O, 1/I/L, 5/S, 8/B, 2/Z).
pub const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
pub const CODE_LEN: usize = 8;
pub const MAX_TEAMS: usize = 60;
pub const MAX_ANSWER_CHARS: usize = 20_000;
pub const MAX_NOTE_CHARS: usize = 5_000;

/// A new team code from the given random source.
pub fn team_code<R: Rng + ?Sized>(rng: &mut R) -> String {
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// A typed code made comparable: upper case, spaces and dashes removed. `None` when it cannot be
/// a team code (so the store is never asked about it).
pub fn normalise_code(input: &str) -> Option<String> {
    let c: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_LEN && c.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(c)
}

/// A stage released to all teams (`team: None`) or to one team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub stage: i64,
    pub team: Option<i64>,
}

/// The stages a team may see: those released to all teams or to it.
pub fn visible_stages(releases: &[Release], team: i64) -> BTreeSet<i64> {
    releases
        .iter()
        .filter(|r| r.team.is_none() || r.team == Some(team))
        .map(|r| r.stage)
        .collect()
}

/// Whether a stage is released to a team.
pub fn is_released(releases: &[Release], team: i64, stage: i64) -> bool {
    releases
        .iter()
        .any(|r| r.stage == stage && (r.team.is_none() || r.team == Some(team)))
}

/// A stage can be released when it exists (stages are numbered 1..=count). Stages may be released
/// in any order; releasing one again is allowed (it records the moment again) but is pointless,
/// so callers may warn.
pub fn check_release(stage_count: i64, stage: i64) -> Result<(), String> {
    if stage < 1 || stage > stage_count {
        return Err(format!(
            "There is no stage {stage}: this scenario has stages 1 to {stage_count}."
        ));
    }
    Ok(())
}

/// Why a release would change nothing: the stage already went to all teams, or to this team.
pub fn already_released(releases: &[Release], stage: i64, team: Option<i64>) -> Option<String> {
    if releases
        .iter()
        .any(|r| r.stage == stage && r.team.is_none())
    {
        return Some(format!(
            "Stage {stage} has already been released to all teams."
        ));
    }
    if let Some(t) = team {
        if releases
            .iter()
            .any(|r| r.stage == stage && r.team == Some(t))
        {
            return Some(format!(
                "Stage {stage} has already been released to that team."
            ));
        }
    }
    None
}

/// The next stage to release to everyone: the lowest stage not yet released to all teams.
pub fn next_stage(releases: &[Release], stage_count: i64) -> Option<i64> {
    let to_all: BTreeSet<i64> = releases
        .iter()
        .filter(|r| r.team.is_none())
        .map(|r| r.stage)
        .collect();
    (1..=stage_count).find(|s| !to_all.contains(s))
}

/// An answer's text, trimmed at the end only (teams type as they think), within the limit.
pub fn clean_answer(text: &str) -> Result<String, String> {
    let t = text.trim_end();
    if t.chars().count() > MAX_ANSWER_CHARS {
        return Err(format!(
            "The answer is too long: keep it under {MAX_ANSWER_CHARS} characters."
        ));
    }
    Ok(t.to_string())
}

/// An observer note: not empty, within the limit.
pub fn clean_note(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("Enter the note.".into());
    }
    if t.chars().count() > MAX_NOTE_CHARS {
        return Err(format!(
            "The note is too long: keep it under {MAX_NOTE_CHARS} characters."
        ));
    }
    Ok(t.to_string())
}

/// Team names: at least one team, each named (up to 60 characters), no two the same (ignoring
/// case), at most `MAX_TEAMS`. Returns the trimmed names or the first problem.
pub fn check_team_names(names: &[String]) -> Result<Vec<String>, String> {
    if names.is_empty() {
        return Err("Add at least one team.".into());
    }
    if names.len() > MAX_TEAMS {
        return Err(format!("A run can have at most {MAX_TEAMS} teams."));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let n = n.trim();
        if n.is_empty() {
            return Err(format!("Team {} has no name.", i + 1));
        }
        if n.chars().count() > 60 {
            return Err(format!(
                "Team {}'s name is too long (60 characters at most).",
                i + 1
            ));
        }
        if !seen.insert(n.to_lowercase()) {
            return Err(format!(
                "Two teams are called \"{n}\": give each team its own name."
            ));
        }
        out.push(n.to_string());
    }
    Ok(out)
}

/// Minutes and seconds since the start, as the console's clock shows them (`1:05:09`, `12:03`).
pub fn clock_text(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{sec:02}")
    } else {
        format!("{m}:{sec:02}")
    }
}

/// The UK's wall-clock time of day (`HH:MM`) of an instant, from the time-zone database
/// (Europe/London), so the clock changes are right whatever year it is.
pub fn uk_clock(t: time::OffsetDateTime) -> String {
    crate::sessions::london_hh_mm(t)
}

/// One question of the debrief: the model answer and each team's answer beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebriefQuestion {
    pub stage: i64,
    pub question_id: i64,
    pub text: String,
    pub model_answer: String,
    /// (team name, answer or "" when the team did not answer); every team, in team order.
    pub answers: Vec<(String, String)>,
}

/// Puts each team's answers beside the model answers, every team for every question (a team
/// that did not answer shows an empty answer, so the gaps are visible).
pub fn debrief_questions(
    questions: &[(i64, i64, String, String)],
    teams: &[(i64, String)],
    answers: &[(i64, i64, String)],
) -> Vec<DebriefQuestion> {
    questions
        .iter()
        .map(|(stage, qid, text, model)| DebriefQuestion {
            stage: *stage,
            question_id: *qid,
            text: text.clone(),
            model_answer: model.clone(),
            answers: teams
                .iter()
                .map(|(tid, name)| {
                    let a = answers
                        .iter()
                        .find(|(t, q, _)| t == tid && q == qid)
                        .map(|(_, _, a)| a.clone())
                        .unwrap_or_default();
                    (name.clone(), a)
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn codes_use_the_unambiguous_alphabet_and_round_trip() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let mut seen = BTreeSet::new();
        for _ in 0..500 {
            let c = team_code(&mut rng);
            assert_eq!(c.len(), CODE_LEN);
            assert!(!c.contains(['0', 'O', '1', 'I', 'L', 'S', '5', 'B', '8']));
            assert_eq!(normalise_code(&c.to_lowercase()).as_deref(), Some(&*c));
            seen.insert(c);
        }
        assert!(seen.len() > 490, "codes repeat too often");
        let spaced = "acde-fg h3";
        assert_eq!(normalise_code(spaced).as_deref(), Some("ACDEFGH3"));
        assert_eq!(normalise_code("ACDEFGH"), None);
        assert_eq!(normalise_code("ACDEFGH0"), None);
    }

    #[test]
    fn a_team_sees_releases_to_all_and_to_itself_only() {
        let r = vec![
            Release {
                stage: 1,
                team: None,
            },
            Release {
                stage: 2,
                team: Some(10),
            },
        ];
        assert_eq!(visible_stages(&r, 10), BTreeSet::from([1, 2]));
        assert_eq!(visible_stages(&r, 11), BTreeSet::from([1]));
        assert!(is_released(&r, 10, 2));
        assert!(!is_released(&r, 11, 2));
        assert!(!is_released(&r, 10, 3));
        assert_eq!(next_stage(&r, 3), Some(2));
        assert!(already_released(&r, 1, None).is_some());
        assert!(
            already_released(&r, 1, Some(11)).is_some(),
            "all teams includes 11"
        );
        assert!(already_released(&r, 2, Some(10)).is_some());
        assert!(already_released(&r, 2, Some(11)).is_none());
        assert!(
            already_released(&r, 2, None).is_none(),
            "to all the others too"
        );
        assert_eq!(next_stage(&[], 3), Some(1));
    }

    #[test]
    fn only_existing_stages_can_be_released() {
        assert!(check_release(6, 1).is_ok());
        assert!(check_release(6, 6).is_ok());
        assert!(check_release(6, 0).unwrap_err().contains("1 to 6"));
        assert!(check_release(6, 7).is_err());
    }

    #[test]
    fn team_names_must_be_distinct_and_present() {
        let ok = check_team_names(&["Red ".into(), "Blue".into()]).unwrap();
        assert_eq!(ok, vec!["Red", "Blue"]);
        assert!(check_team_names(&[]).is_err());
        assert!(check_team_names(&["Red".into(), "red".into()])
            .unwrap_err()
            .contains("Two teams"));
        assert!(check_team_names(&["  ".into()])
            .unwrap_err()
            .contains("Team 1"));
    }

    #[test]
    fn answers_and_notes_are_checked() {
        assert_eq!(clean_answer("text  \n").unwrap(), "text");
        assert!(clean_answer(&"x".repeat(MAX_ANSWER_CHARS + 1)).is_err());
        assert!(clean_note("  ").is_err());
        assert_eq!(clock_text(65), "1:05");
        assert_eq!(clock_text(3725), "1:02:05");
    }

    #[test]
    fn the_uk_clock_follows_the_clock_changes() {
        use time::macros::datetime;
        assert_eq!(uk_clock(datetime!(2025-03-30 00:59 UTC)), "00:59");
        assert_eq!(uk_clock(datetime!(2025-03-30 01:00 UTC)), "02:00");
        assert_eq!(uk_clock(datetime!(2025-10-26 00:59 UTC)), "01:59");
        assert_eq!(uk_clock(datetime!(2025-10-26 01:00 UTC)), "01:00");
        assert_eq!(uk_clock(datetime!(2025-07-15 08:30 UTC)), "09:30");
    }

    #[test]
    fn the_debrief_shows_every_team_for_every_question() {
        let q = vec![(1, 100, "Q".into(), "M".into())];
        let teams = vec![(1, "Red".into()), (2, "Blue".into())];
        let a = vec![(2, 100, "blue's".into())];
        let d = debrief_questions(&q, &teams, &a);
        assert_eq!(
            d[0].answers,
            vec![("Red".into(), "".into()), ("Blue".into(), "blue's".into())]
        );
    }
}
