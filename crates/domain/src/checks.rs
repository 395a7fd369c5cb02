//! Knowledge checks: question banks (single and multiple choice), scoring, pass marks, and the
//! learning gain between the same check taken before and after a session.
//!
//! Everything here is pure: the store hands in questions and answers, this module says whether
//! the bank is valid, what an attempt scored, and what the gain was.

use std::collections::{BTreeMap, BTreeSet};

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    /// Exactly one option is correct; the person picks one.
    Single,
    /// One or more options are correct; the person must pick all and only those.
    Multiple,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
        }
    }
    pub fn parse(s: &str) -> Option<QuestionKind> {
        match s.trim() {
            "single" => Some(QuestionKind::Single),
            "multiple" => Some(QuestionKind::Multiple),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::Single => "Single choice (one correct answer)",
            QuestionKind::Multiple => "Multiple choice (select all that apply)",
        }
    }
}

/// When an attempt is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Pre,
    Post,
    Standalone,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pre => "pre",
            Phase::Post => "post",
            Phase::Standalone => "standalone",
        }
    }
    pub fn parse(s: &str) -> Option<Phase> {
        match s.trim() {
            "pre" => Some(Phase::Pre),
            "post" => Some(Phase::Post),
            "standalone" | "" => Some(Phase::Standalone),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Phase::Pre => "Before the session",
            Phase::Post => "After the session",
            Phase::Standalone => "On its own",
        }
    }
}

/// One option of a question as an editor writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionDraft {
    pub text: String,
    pub correct: bool,
}

/// One question as an editor writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionDraft {
    pub text: String,
    pub kind: QuestionKind,
    pub explanation: String,
    pub options: Vec<OptionDraft>,
}

pub const MAX_QUESTION: usize = 1000;
pub const MAX_OPTION: usize = 500;
pub const MAX_EXPLANATION: usize = 2000;
pub const MAX_OPTIONS: usize = 8;

/// Checks one question; the errors name the question by its number (1-based).
pub fn validate_question(number: usize, q: &QuestionDraft) -> Vec<String> {
    let mut errors = Vec::new();
    let n = format!("Question {number}");
    if q.text.trim().is_empty() {
        errors.push(format!("{n}: enter the question"));
    } else if q.text.chars().count() > MAX_QUESTION {
        errors.push(format!(
            "{n}: the question must be {MAX_QUESTION} characters or fewer"
        ));
    }
    if q.explanation.chars().count() > MAX_EXPLANATION {
        errors.push(format!(
            "{n}: the explanation must be {MAX_EXPLANATION} characters or fewer"
        ));
    }
    let options: Vec<&OptionDraft> = q.options.iter().collect();
    if options.len() < 2 {
        errors.push(format!("{n}: give at least two answer options"));
    }
    if options.len() > MAX_OPTIONS {
        errors.push(format!(
            "{n}: give no more than {MAX_OPTIONS} answer options"
        ));
    }
    for (i, o) in options.iter().enumerate() {
        if o.text.trim().is_empty() {
            errors.push(format!("{n}, option {}: enter the option's text", i + 1));
        } else if o.text.chars().count() > MAX_OPTION {
            errors.push(format!(
                "{n}, option {}: the option must be {MAX_OPTION} characters or fewer",
                i + 1
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for o in &options {
        let key = o.text.trim().to_lowercase();
        if !key.is_empty() && !seen.insert(key) {
            errors.push(format!(
                "{n}: two options read the same (\"{}\")",
                o.text.trim()
            ));
        }
    }
    let correct = options.iter().filter(|o| o.correct).count();
    match q.kind {
        QuestionKind::Single if correct != 1 => errors.push(format!(
            "{n}: a single-choice question needs exactly one correct option (it has {correct})"
        )),
        QuestionKind::Multiple if correct == 0 => errors.push(format!(
            "{n}: a multiple-choice question needs at least one correct option"
        )),
        _ => {}
    }
    errors
}

/// Checks a pass mark typed as a percentage.
pub fn parse_pass_mark(raw: &str) -> Result<i64, String> {
    let t = raw.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return Err("Enter the pass mark, as a percentage from 1 to 100".into());
    }
    match t.parse::<i64>() {
        Ok(v) if (1..=100).contains(&v) => Ok(v),
        Ok(_) => Err("The pass mark must be from 1 to 100".into()),
        Err(_) => Err("Enter the pass mark as a whole number from 1 to 100, like 80".into()),
    }
}

/// Checks a whole bank: at least one question, each valid, pass mark 1..=100.
pub fn validate_bank(pass_mark_pct: i64, questions: &[QuestionDraft]) -> Vec<String> {
    let mut errors = Vec::new();
    if !(1..=100).contains(&pass_mark_pct) {
        errors.push("The pass mark must be from 1 to 100".to_string());
    }
    if questions.is_empty() {
        errors.push("Add at least one question".to_string());
    }
    for (i, q) in questions.iter().enumerate() {
        errors.extend(validate_question(i + 1, q));
    }
    errors
}

/// A question as it is marked: its id, its kind and the ids of its correct options.
#[derive(Debug, Clone)]
pub struct MarkingKey {
    pub question_id: i64,
    pub kind: QuestionKind,
    pub correct: BTreeSet<i64>,
    pub options: BTreeSet<i64>,
}

/// The outcome of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub correct: i64,
    pub total: i64,
    pub pct: i64,
    pub passed: bool,
    /// For each question (in key order): whether it was answered correctly.
    pub per_question: Vec<(i64, bool)>,
}

/// Whether one answer is right: all and only the correct options were chosen. A single-choice
/// question with more than one choice is wrong; an unanswered question is wrong.
pub fn answer_correct(key: &MarkingKey, chosen: &BTreeSet<i64>) -> bool {
    if chosen.is_empty() {
        return false;
    }
    if key.kind == QuestionKind::Single && chosen.len() != 1 {
        return false;
    }
    *chosen == key.correct
}

/// Percentage rounded half up; a bank with no questions scores 0.
pub fn percent(correct: i64, total: i64) -> i64 {
    if total <= 0 {
        0
    } else {
        (correct * 200 + total) / (total * 2)
    }
}

/// Marks an attempt. `answers` maps question id to the chosen option ids; choices that are
/// not options of the question are ignored (they cannot make an answer right).
pub fn score(keys: &[MarkingKey], answers: &BTreeMap<i64, BTreeSet<i64>>, pass_mark: i64) -> Score {
    let empty = BTreeSet::new();
    let mut per_question = Vec::new();
    let mut correct = 0;
    for key in keys {
        let chosen: BTreeSet<i64> = answers
            .get(&key.question_id)
            .unwrap_or(&empty)
            .iter()
            .copied()
            .filter(|o| key.options.contains(o))
            .collect();
        let ok = answer_correct(key, &chosen);
        if ok {
            correct += 1;
        }
        per_question.push((key.question_id, ok));
    }
    let total = keys.len() as i64;
    let pct = percent(correct, total);
    Score {
        correct,
        total,
        pct,
        passed: total > 0 && pct >= pass_mark,
        per_question,
    }
}

/// One attempt as gain is worked out from it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseScore {
    pub person_id: i64,
    pub phase: Phase,
    pub score_pct: i64,
    /// Text instant; the latest attempt of a phase counts (for `pre`, the earliest).
    pub submitted_at: String,
}

/// Learning gain from paired pre/post attempts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gain {
    /// People with both a pre and a post attempt.
    pub n_paired: usize,
    pub mean_pre: Option<f64>,
    pub mean_post: Option<f64>,
    /// Mean of each person's (post − pre), in percentage points.
    pub mean_gain: Option<f64>,
    /// People with only a pre attempt, or only a post attempt.
    pub pre_only: usize,
    pub post_only: usize,
}

/// Each person's first `pre` score and last `post` score (standalone attempts are ignored).
fn first_pre_last_post(attempts: &[PhaseScore]) -> (BTreeMap<i64, i64>, BTreeMap<i64, i64>) {
    let mut pre: BTreeMap<i64, (&str, i64)> = BTreeMap::new();
    let mut post: BTreeMap<i64, (&str, i64)> = BTreeMap::new();
    for a in attempts {
        let (map, later_wins) = match a.phase {
            Phase::Pre => (&mut pre, false),
            Phase::Post => (&mut post, true),
            Phase::Standalone => continue,
        };
        let e = map
            .entry(a.person_id)
            .or_insert((a.submitted_at.as_str(), a.score_pct));
        let replace = if later_wins {
            a.submitted_at.as_str() > e.0
        } else {
            a.submitted_at.as_str() < e.0
        };
        if replace {
            *e = (a.submitted_at.as_str(), a.score_pct);
        }
    }
    let scores = |m: BTreeMap<i64, (&str, i64)>| m.into_iter().map(|(p, (_, s))| (p, s)).collect();
    (scores(pre), scores(post))
}

/// (before, after) for each person with both: their first `pre` and last `post` score.
pub fn paired_scores(attempts: &[PhaseScore]) -> Vec<(i64, i64)> {
    let (pre, post) = first_pre_last_post(attempts);
    pre.iter()
        .filter_map(|(p, b)| post.get(p).map(|a| (*b, *a)))
        .collect()
}

/// Pairs each person's first `pre` with their last `post` attempt and summarises the gain.
/// Standalone attempts are ignored.
pub fn learning_gain(attempts: &[PhaseScore]) -> Gain {
    let (pre, post) = first_pre_last_post(attempts);
    let pairs = paired_scores(attempts);
    let n = pairs.len();
    let sum_pre: i64 = pairs.iter().map(|(b, _)| b).sum();
    let sum_post: i64 = pairs.iter().map(|(_, a)| a).sum();
    let pre_only = pre.keys().filter(|k| !post.contains_key(k)).count();
    let post_only = post.keys().filter(|k| !pre.contains_key(k)).count();
    let mean = |s: i64| (n > 0).then(|| s as f64 / n as f64);
    Gain {
        n_paired: n,
        mean_pre: mean(sum_pre),
        mean_post: mean(sum_post),
        mean_gain: mean(sum_post - sum_pre),
        pre_only,
        post_only,
    }
}

/// A mean with one decimal place, or a dash when there is nothing to average.
pub fn format_mean(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.1}"),
        None => "–".to_string(),
    }
}

/// A gain with its sign, e.g. "+22.5 points".
pub fn format_gain(v: Option<f64>) -> String {
    match v {
        Some(v) if v > 0.0 => format!("+{v:.1} points"),
        Some(v) => format!("{v:.1} points"),
        None => "–".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(text: &str, correct: bool) -> OptionDraft {
        OptionDraft {
            text: text.into(),
            correct,
        }
    }

    fn q(kind: QuestionKind, options: Vec<OptionDraft>) -> QuestionDraft {
        QuestionDraft {
            text: "What is a PPN?".into(),
            kind,
            explanation: String::new(),
            options,
        }
    }

    #[test]
    fn single_choice_needs_exactly_one_correct_option() {
        let none = q(QuestionKind::Single, vec![opt("a", false), opt("b", false)]);
        let two = q(QuestionKind::Single, vec![opt("a", true), opt("b", true)]);
        let one = q(QuestionKind::Single, vec![opt("a", true), opt("b", false)]);
        assert!(validate_question(1, &none)[0].contains("exactly one correct option (it has 0)"));
        assert!(validate_question(2, &two)[0].starts_with("Question 2"));
        assert!(validate_question(3, &one).is_empty());
    }

    #[test]
    fn multiple_choice_needs_a_correct_option_and_two_options() {
        let none = q(
            QuestionKind::Multiple,
            vec![opt("a", false), opt("b", false)],
        );
        assert!(validate_question(1, &none)[0].contains("at least one correct"));
        let lone = q(QuestionKind::Multiple, vec![opt("a", true)]);
        assert!(validate_question(1, &lone)[0].contains("at least two"));
        let all = q(QuestionKind::Multiple, vec![opt("a", true), opt("b", true)]);
        assert!(validate_question(1, &all).is_empty());
        let dup = q(
            QuestionKind::Multiple,
            vec![opt("a", true), opt(" A ", false)],
        );
        assert!(validate_question(1, &dup)[0].contains("read the same"));
        let blank = q(
            QuestionKind::Multiple,
            vec![opt("a", true), opt(" ", false)],
        );
        assert!(validate_question(1, &blank)[0].contains("option 2"));
    }

    #[test]
    fn pass_marks_run_from_one_to_a_hundred() {
        assert_eq!(parse_pass_mark("80"), Ok(80));
        assert_eq!(parse_pass_mark(" 100% "), Ok(100));
        assert_eq!(parse_pass_mark("1"), Ok(1));
        assert!(parse_pass_mark("0").is_err());
        assert!(parse_pass_mark("101").is_err());
        assert!(parse_pass_mark("eighty").is_err());
        assert!(parse_pass_mark("").is_err());
        assert!(validate_bank(0, &[]).len() == 2);
    }

    fn key(id: i64, kind: QuestionKind, correct: &[i64], options: &[i64]) -> MarkingKey {
        MarkingKey {
            question_id: id,
            kind,
            correct: correct.iter().copied().collect(),
            options: options.iter().copied().collect(),
        }
    }

    fn chosen(v: &[i64]) -> BTreeSet<i64> {
        v.iter().copied().collect()
    }

    #[test]
    fn multiple_choice_scores_only_all_and_only_the_correct_options() {
        let k = key(1, QuestionKind::Multiple, &[10, 11], &[10, 11, 12]);
        assert!(answer_correct(&k, &chosen(&[10, 11])));
        assert!(!answer_correct(&k, &chosen(&[10])));
        assert!(!answer_correct(&k, &chosen(&[10, 11, 12])));
        assert!(!answer_correct(&k, &chosen(&[])));
        let s = key(2, QuestionKind::Single, &[20], &[20, 21]);
        assert!(answer_correct(&s, &chosen(&[20])));
        assert!(!answer_correct(&s, &chosen(&[20, 21])));
    }

    #[test]
    fn scores_round_and_meet_the_pass_mark_inclusively() {
        let keys = vec![
            key(1, QuestionKind::Single, &[1], &[1, 2]),
            key(2, QuestionKind::Single, &[3], &[3, 4]),
            key(3, QuestionKind::Multiple, &[5, 6], &[5, 6, 7]),
        ];
        let mut answers = BTreeMap::new();
        answers.insert(1, chosen(&[1]));
        answers.insert(2, chosen(&[3]));
        answers.insert(3, chosen(&[5]));
        let s = score(&keys, &answers, 67);
        assert_eq!((s.correct, s.total, s.pct, s.passed), (2, 3, 67, true));
        assert_eq!(s.per_question, vec![(1, true), (2, true), (3, false)]);
        assert!(!score(&keys, &answers, 68).passed);
        // An option id from another question cannot make an answer right.
        answers.insert(3, chosen(&[5, 6, 99]));
        assert_eq!(score(&keys, &answers, 100).pct, 100);
        assert_eq!(percent(1, 8), 13);
        assert_eq!(percent(0, 0), 0);
    }

    fn a(person: i64, phase: Phase, pct: i64, at: &str) -> PhaseScore {
        PhaseScore {
            person_id: person,
            phase,
            score_pct: pct,
            submitted_at: at.into(),
        }
    }

    #[test]
    fn gain_pairs_first_pre_with_last_post_and_counts_the_unpaired() {
        let g = learning_gain(&[
            a(1, Phase::Pre, 40, "2024-01-01T09:00"),
            a(1, Phase::Pre, 90, "2024-01-01T09:05"),
            a(1, Phase::Post, 70, "2024-01-01T12:00"),
            a(1, Phase::Post, 80, "2024-01-01T12:10"),
            a(2, Phase::Pre, 60, "2024-01-01T09:00"),
            a(2, Phase::Post, 70, "2024-01-01T12:00"),
            a(3, Phase::Pre, 50, "2024-01-01T09:00"),
            a(4, Phase::Post, 100, "2024-01-01T12:00"),
            a(4, Phase::Post, 100, "2024-01-01T12:00"),
            a(5, Phase::Standalone, 10, "2024-01-01T12:00"),
        ]);
        assert_eq!(g.n_paired, 2);
        assert_eq!(g.mean_pre, Some(50.0));
        assert_eq!(g.mean_post, Some(75.0));
        assert_eq!(g.mean_gain, Some(25.0));
        assert_eq!((g.pre_only, g.post_only), (1, 1));
        assert_eq!(format_gain(g.mean_gain), "+25.0 points");
        let none = learning_gain(&[]);
        assert_eq!(none.n_paired, 0);
        assert_eq!(format_mean(none.mean_pre), "–");
    }
}
