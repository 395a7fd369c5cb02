//! The quarterly referral quality review's rules: the grade scale and the default rubric, when
//! graders disagree enough to need moderation, which criteria are most often weak, the themes
//! in graders' comments, and the review's status.

use serde::Serialize;
use std::collections::BTreeMap;

/// The overall grade scale: (grade, label, descriptor).
pub const GRADES: [(u8, &str, &str); 4] = [
    (
        1,
        "Very poor",
        "A partner could not act on this referral. Key facts are missing or wrong: who is \
         involved, what happened, or why it was shared. There is no record of the child's \
         presentation or the person's views, no risk assessment, and no request of the partner.",
    ),
    (
        2,
        "Poor",
        "Requires improvement. A partner would have to come back for more before deciding. Some \
         of the essentials are there, but others are missing or unclear: opinion is mixed with \
         fact, the risk grade has no reason, the consent position is not recorded, or the ask is \
         vague.",
    ),
    (
        3,
        "Good",
        "A partner could decide on this referral as written. It identifies the household, gives \
         a factual account, records the child's presentation or the person's views, gives a risk \
         grade with a reason and the consent position, and says what it asks. Small gaps only.",
    ),
    (
        4,
        "Excellent",
        "A model referral. Complete, concise and plainly written: witnessed and reported facts \
         kept apart from opinion, the child's lived experience and voice described, risk factors \
         and the officer's assessment explained, consent and capacity addressed, and a clear ask \
         of the right partner.",
    ),
];

/// One criterion of the default rubric. A force can edit its own copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultCriterion {
    pub code: &'static str,
    pub title: &'static str,
    pub descriptor: &'static str,
    /// The demo catalogue's module that teaches it (see `training_seed`), if any.
    pub module_code: Option<&'static str>,
}

/// The default rubric, from what partners need in a referral. Criterion scores use the grade
/// scale (1 very poor to 4 excellent).
pub const DEFAULT_RUBRIC: [DefaultCriterion; 7] = [
    DefaultCriterion {
        code: "who",
        title: "Who is involved",
        descriptor: "Everyone in the household is identified: the children's full names, dates \
                     of birth and gender, the adults and who holds parental responsibility, the \
                     address, and the child's school or nursery where known.",
        module_code: Some("FL-PPN"),
    },
    DefaultCriterion {
        code: "what",
        title: "What happened",
        descriptor: "A factual, ordered account of the incident that says what the officer \
                     witnessed and what was reported to them, and keeps facts apart from opinion \
                     and supposition.",
        module_code: Some("FL-PPN"),
    },
    DefaultCriterion {
        code: "voice",
        title: "The child's lived experience and voice",
        descriptor: "Where the child was found, how they presented and reacted to officers and \
                     to their carers, what they said, the state of the home, who looks after \
                     them, and whether their needs are being met.",
        module_code: Some("MASH-NEG"),
    },
    DefaultCriterion {
        code: "risk",
        title: "Risk factors and the officer's assessment",
        descriptor: "The household risk factors seen or known (domestic abuse, mental ill \
                     health, substance misuse, learning difficulties), the DASH or DARA result, \
                     and the officer's risk grade with the reason for it.",
        module_code: Some("MASH-RISK"),
    },
    DefaultCriterion {
        code: "consent",
        title: "Consent and the person's views",
        descriptor: "Whether the concern was discussed with the person and whether they agreed \
                     to it being shared, and if not, why it was shared anyway; their views and \
                     the outcome they want; and whether their capacity is in doubt.",
        module_code: Some("MASH-AAR"),
    },
    DefaultCriterion {
        code: "ask",
        title: "What the partner is asked to do",
        descriptor: "The referral says why it is being shared and what it asks the partner to \
                     do, and records any immediate action taken and which agencies were told.",
        module_code: Some("FL-PPN"),
    },
    DefaultCriterion {
        code: "clarity",
        title: "Clarity",
        descriptor: "Plain, concise language a partner can read once and act on: no unexplained \
                     police jargon or acronyms, and the important facts first.",
        module_code: None,
    },
];

/// The label of an overall grade or criterion score ("Very poor" … "Excellent").
pub fn grade_label(grade: u8) -> Option<&'static str> {
    GRADES
        .iter()
        .find(|(g, _, _)| *g == grade)
        .map(|(_, label, _)| *label)
}

/// Disagreement beyond one grade among the graders of one referral (max - min >= 2).
pub fn needs_moderation(grades: &[u8]) -> bool {
    match (grades.iter().max(), grades.iter().min()) {
        (Some(max), Some(min)) => max - min >= 2,
        _ => false,
    }
}

/// A criterion is weak for a referral when its score is 1 or 2 (scores are 1–4 like grades).
pub fn is_weak(score: u8) -> bool {
    matches!(score, 1 | 2)
}

/// How often one criterion was weak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriterionWeakness {
    pub code: String,
    /// Scores of 1 or 2.
    pub weak: usize,
    /// Scores of 1 to 4 (anything else is ignored).
    pub scored: usize,
}

/// Criteria ranked by how often they were weak (share, then count, then code), over
/// (criterion code, score) pairs. Every criterion scored at least once is listed, the never-weak
/// ones last.
pub fn weakest_criteria(scores: &[(String, u8)]) -> Vec<CriterionWeakness> {
    let mut by_code: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (code, score) in scores {
        if !(1..=4).contains(score) {
            continue;
        }
        let e = by_code.entry(code.as_str()).or_default();
        e.0 += usize::from(is_weak(*score));
        e.1 += 1;
    }
    let mut out: Vec<CriterionWeakness> = by_code
        .into_iter()
        .map(|(code, (weak, scored))| CriterionWeakness {
            code: code.to_string(),
            weak,
            scored,
        })
        .collect();
    // Compare shares exactly: a/b > c/d  <=>  a*d > c*b.
    out.sort_by(|a, b| {
        (b.weak * a.scored)
            .cmp(&(a.weak * b.scored))
            .then(b.weak.cmp(&a.weak))
            .then(a.code.cmp(&b.code))
    });
    out
}

/// A theme in graders' comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Theme {
    pub theme: String,
    /// Comments that mention it (each comment counts once).
    pub mentions: usize,
    /// Up to three short excerpts, from the first comments that mention it.
    pub examples: Vec<String>,
}

/// The themes and the words and phrases that signal them. `*` stands for up to three words
/// ("what * want" matches "what the family want"). Plurals match their singular.
pub const THEME_LEXICON: [(&str, &[&str]); 7] = [
    (
        "voice of the child",
        &[
            "voice",
            "lived experience",
            "demeanour",
            "demeanor",
            "presentation",
            "presented",
            "what the child said",
            "child said",
            "spoken to",
            "spoke to the child",
            "seen and spoken",
            "wishes and feelings",
            "child's view",
            "reaction",
            "reacted",
            "state of the home",
            "condition of the home",
        ],
    ),
    (
        "consent",
        &[
            "consent",
            "consented",
            "without consent",
            "view",
            "agreed",
            "agree",
            "agreement",
            "capacity",
            "wishes",
            "making safeguarding personal",
        ],
    ),
    (
        "risk",
        &[
            "risk",
            "dash",
            "dara",
            "grade",
            "graded",
            "grading",
            "rationale",
            "threshold",
            "harm",
            "risk assessment",
        ],
    ),
    (
        "the ask",
        &[
            "ask",
            "asked",
            "asking",
            "request",
            "requested",
            "what * want",
            "what * wanted",
            "what * expect",
            "action",
            "next step",
            "why * shared",
            "purpose",
        ],
    ),
    (
        "facts",
        &[
            "witnessed",
            "reported",
            "opinion",
            "chronology",
            "fact",
            "factual",
            "hearsay",
            "timeline",
            "what happened",
            "account",
            "evidence",
            "body worn",
            "bwv",
        ],
    ),
    (
        "clarity",
        &[
            "unclear",
            "clear",
            "clarity",
            "jargon",
            "acronym",
            "abbreviation",
            "concise",
            "too long",
            "lengthy",
            "hard to follow",
            "confusing",
            "well written",
            "poorly written",
            "structure",
        ],
    ),
    (
        "household",
        &[
            "household",
            "sibling",
            "parental responsibility",
            "school",
            "nursery",
            "family member",
            "who lives",
            "lives with",
            "carer",
            "date of birth",
            "dob",
            "ethnicity",
            "first language",
            "religion",
        ],
    ),
];

/// The longest gap `*` stands for, in words.
const GAP_WORDS: usize = 3;
/// Characters of context either side of the matched words in an excerpt.
const EXCERPT_CONTEXT: usize = 40;

/// Singular of a plural, crudely: "risks" → "risk", "families" → "family"; "process",
/// "status" and "analysis" stay. Applied alike to comments and the lexicon.
fn stem(word: &str) -> String {
    let n = word.len();
    if n > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..n - 3]);
    }
    if n > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return word[..n - 1].to_string();
    }
    word.to_string()
}

/// A word, lower case and stemmed, with its byte range in the text.
type Word = (String, usize, usize);

/// Words of `text`, lower case and stemmed, with their byte ranges.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((stem(&text[s..i].to_lowercase()), s, i));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The words of a lexicon entry; `None` is a gap.
fn entry(phrase: &str) -> Vec<Option<String>> {
    phrase
        .split_whitespace()
        .flat_map(|part| {
            if part == "*" {
                vec![None]
            } else {
                words(part).into_iter().map(|(w, _, _)| Some(w)).collect()
            }
        })
        .collect()
}

/// Where `pattern` matches `text` from word `at`: the index after its last word.
fn match_at(
    text: &[(String, usize, usize)],
    pattern: &[Option<String>],
    at: usize,
) -> Option<usize> {
    match pattern.split_first() {
        None => Some(at),
        Some((None, rest)) => (0..=GAP_WORDS)
            .filter(|skip| at + skip <= text.len())
            .find_map(|skip| match_at(text, rest, at + skip)),
        Some((Some(w), rest)) => {
            if text.get(at).is_some_and(|(t, _, _)| t == w) {
                match_at(text, rest, at + 1)
            } else {
                None
            }
        }
    }
}

/// A short excerpt of `comment` around bytes `from..to`, on word boundaries, with "…" where cut.
fn excerpt(comment: &str, from: usize, to: usize) -> String {
    let mut start = from;
    for (n, (i, _)) in comment[..from].char_indices().rev().enumerate() {
        if n >= EXCERPT_CONTEXT {
            break;
        }
        start = i;
    }
    let mut end = to;
    for (n, (i, c)) in comment[to..].char_indices().enumerate() {
        if n >= EXCERPT_CONTEXT {
            break;
        }
        end = to + i + c.len_utf8();
    }
    // Do not cut a word in half.
    if start > 0 {
        start = comment[start..from]
            .find(char::is_whitespace)
            .map_or(from, |i| start + i);
    }
    if end < comment.len() {
        end = comment[to..end]
            .rfind(char::is_whitespace)
            .map_or(to, |i| to + i);
    }
    let body = comment[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "{}{}{}",
        if start > 0 { "…" } else { "" },
        body,
        if end < comment.len() { "…" } else { "" }
    )
}

/// Themes from graders' comments, by the fixed lexicon above: each comment counts at most once
/// per theme; ranked by mentions, ties by name; themes nobody mentioned are left out. Matching
/// is case-insensitive, on whole words and phrases, with plurals matching their singular.
pub fn themes(comments: &[&str]) -> Vec<Theme> {
    let comments: Vec<(&str, Vec<Word>)> = comments.iter().map(|c| (*c, words(c))).collect();
    let mut out: Vec<Theme> = THEME_LEXICON
        .iter()
        .filter_map(|(theme, phrases)| {
            let patterns: Vec<_> = phrases
                .iter()
                .map(|p| entry(p))
                .filter(|p| p.first().is_some_and(Option::is_some))
                .collect();
            let mut mentions = 0;
            let mut examples = Vec::new();
            for (comment, text) in &comments {
                let first = (0..text.len()).find_map(|at| {
                    patterns
                        .iter()
                        .find_map(|p| match_at(text, p, at).map(|end| (at, end)))
                });
                if let Some((at, end)) = first {
                    mentions += 1;
                    if examples.len() < 3 {
                        examples.push(excerpt(comment, text[at].1, text[end - 1].2));
                    }
                }
            }
            (mentions > 0).then(|| Theme {
                theme: theme.to_string(),
                mentions,
                examples,
            })
        })
        .collect();
    out.sort_by(|a, b| b.mentions.cmp(&a.mentions).then(a.theme.cmp(&b.theme)));
    out
}

/// Where a review is: graders grade, then the panel moderates and records agreed grades, then
/// the owner closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Grading,
    Moderation,
    Closed,
}

/// Why a review cannot move to the status asked for, in words for its owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusRefusal {
    #[error("The review is already in {0}")]
    Already(&'static str),
    #[error(
        "This review is closed, so its grades can no longer change. Open a new review instead"
    )]
    Closed,
    #[error(
        "Move the review to moderation before closing it: disagreements must be looked at and \
         agreed grades recorded first"
    )]
    NotModerated,
}

impl ReviewStatus {
    pub const ALL: [ReviewStatus; 3] = [
        ReviewStatus::Grading,
        ReviewStatus::Moderation,
        ReviewStatus::Closed,
    ];

    /// The value stored in `quality_reviews.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Grading => "grading",
            ReviewStatus::Moderation => "moderation",
            ReviewStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewStatus::Grading => "Grading",
            ReviewStatus::Moderation => "Moderation",
            ReviewStatus::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Graders may record or change their own grades until the review is closed.
    pub fn accepts_grades(self) -> bool {
        self != ReviewStatus::Closed
    }

    /// The allowed moves: grading → moderation, moderation → grading (back, for a late or
    /// changed grade), moderation → closed. A closed review stays closed.
    pub fn move_to(self, to: ReviewStatus) -> Result<ReviewStatus, StatusRefusal> {
        use ReviewStatus::*;
        match (self, to) {
            (Closed, _) => Err(StatusRefusal::Closed),
            (Grading, Grading) | (Moderation, Moderation) => {
                Err(StatusRefusal::Already(to.as_str()))
            }
            (Grading, Closed) => Err(StatusRefusal::NotModerated),
            (Grading, Moderation) | (Moderation, Grading) | (Moderation, Closed) => Ok(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn grade_scale_and_labels() {
        let grades: Vec<u8> = GRADES.iter().map(|g| g.0).collect();
        assert_eq!(grades, [1, 2, 3, 4]);
        assert_eq!(grade_label(1), Some("Very poor"));
        assert_eq!(grade_label(2), Some("Poor"));
        assert_eq!(grade_label(3), Some("Good"));
        assert_eq!(grade_label(4), Some("Excellent"));
        assert_eq!(grade_label(0), None);
        assert_eq!(grade_label(5), None);
        for (_, label, descriptor) in GRADES {
            assert!(
                descriptor.len() > 80 && !descriptor.contains("  "),
                "{label}"
            );
        }
    }

    #[test]
    fn default_rubric_is_complete_and_links_real_modules() {
        let codes: HashSet<_> = DEFAULT_RUBRIC.iter().map(|c| c.code).collect();
        assert_eq!(codes.len(), 7);
        let modules: HashSet<_> = crate::training_seed::seed_modules()
            .into_iter()
            .map(|m| m.code)
            .collect();
        for c in DEFAULT_RUBRIC {
            assert!(!c.title.is_empty() && c.descriptor.len() > 60, "{}", c.code);
            assert!(!c.descriptor.contains("  "), "{}", c.code);
            if let Some(m) = c.module_code {
                assert!(modules.contains(m), "{}: unknown module {m}", c.code);
            }
        }
        let titles: Vec<_> = DEFAULT_RUBRIC.iter().map(|c| c.title).collect();
        assert!(titles.contains(&"The child's lived experience and voice"));
        assert!(titles.contains(&"What the partner is asked to do"));
    }

    #[test]
    fn moderation_only_beyond_one_grade() {
        assert!(!needs_moderation(&[2, 3]), "one apart");
        assert!(!needs_moderation(&[3, 2, 3, 2]), "one apart, four graders");
        assert!(needs_moderation(&[2, 4]), "two apart");
        assert!(needs_moderation(&[1, 4]));
        assert!(
            needs_moderation(&[2, 3, 3, 1]),
            "the extremes count, not neighbours"
        );
        assert!(!needs_moderation(&[3]), "one grader");
        assert!(!needs_moderation(&[]), "nobody has graded");
        assert!(!needs_moderation(&[4, 4, 4]));
    }

    #[test]
    fn weak_scores() {
        assert!(is_weak(1) && is_weak(2));
        assert!(!is_weak(3) && !is_weak(4));
        assert!(!is_weak(0) && !is_weak(5), "out of range is not a score");
    }

    #[test]
    fn weakest_criteria_by_share_then_count_then_code() {
        let s = |code: &str, score: u8| (code.to_string(), score);
        let scores = vec![
            // voice: 2 of 2 weak (100%)
            s("voice", 1),
            s("voice", 2),
            // risk: 3 of 4 weak (75%)
            s("risk", 2),
            s("risk", 1),
            s("risk", 2),
            s("risk", 3),
            // consent: 3 of 6 (50%), ask: 1 of 2 (50%) -> more weak first
            s("consent", 1),
            s("consent", 2),
            s("consent", 2),
            s("consent", 3),
            s("consent", 4),
            s("consent", 4),
            s("ask", 2),
            s("ask", 3),
            // clarity and what: 1 of 2 each -> by code
            s("what", 2),
            s("what", 4),
            s("clarity", 1),
            s("clarity", 3),
            // who: never weak; an out-of-range score is ignored
            s("who", 3),
            s("who", 4),
            s("who", 0),
            s("who", 9),
        ];
        let got: Vec<_> = weakest_criteria(&scores)
            .into_iter()
            .map(|w| (w.code, w.weak, w.scored))
            .collect();
        let want: Vec<(String, usize, usize)> = vec![
            ("voice".into(), 2, 2),
            ("risk".into(), 3, 4),
            ("consent".into(), 3, 6),
            ("ask".into(), 1, 2),
            ("clarity".into(), 1, 2),
            ("what".into(), 1, 2),
            ("who".into(), 0, 2),
        ];
        assert_eq!(got, want);
        assert!(weakest_criteria(&[]).is_empty());
    }

    #[test]
    fn themes_count_each_comment_once_and_rank_by_mentions() {
        let comments = [
            "Risk not graded. The risks to the children were not explained; no DASH.",
            "No record of the child's demeanour or what the child said.",
            "Good account but the risk grade has no rationale.",
            "Unclear what they want the partner to do.",
            "",
        ];
        let t = themes(&comments);
        let summary: Vec<_> = t.iter().map(|t| (t.theme.as_str(), t.mentions)).collect();
        // risk: comments 1 and 3 (comment 1 mentions it four times, counted once).
        // facts ("account"), the ask ("what they want"), clarity ("unclear") and the voice of
        // the child: one each, in name order.
        assert_eq!(
            summary,
            [
                ("risk", 2),
                ("clarity", 1),
                ("facts", 1),
                ("the ask", 1),
                ("voice of the child", 1),
            ]
        );
        assert_eq!(t[0].examples.len(), 2);
        assert_eq!(
            t[0].examples[0],
            "Risk not graded. The risks to the children…"
        );
    }

    #[test]
    fn lexicon_matches_plurals_case_and_whole_words_only() {
        let one = |c: &str| -> Vec<String> { themes(&[c]).into_iter().map(|t| t.theme).collect() };
        assert_eq!(one("RISKS were missed"), ["risk"]);
        assert_eq!(one("Siblings not named"), ["household"]);
        assert_eq!(one("no mention of PARENTAL RESPONSIBILITY"), ["household"]);
        assert_eq!(one("too many acronyms"), ["clarity"]);
        assert_eq!(one("a brisk, riskier, frisky read"), Vec::<String>::new());
        assert_eq!(one("the child's lived experiences"), ["voice of the child"]);
        assert_eq!(
            one("lived somewhere; experience matters"),
            Vec::<String>::new()
        );
        assert_eq!(
            one("what on earth did they want"),
            Vec::<String>::new(),
            "gap too long"
        );
        assert_eq!(one("say what you want"), ["the ask"]);
    }

    #[test]
    fn theme_examples_are_short_and_at_most_three() {
        let long = format!(
            "{} the officer did not record whether the mother consented to the referral {}",
            "word ".repeat(40),
            "more ".repeat(40)
        );
        let comments = vec![
            long.as_str(),
            "consent?",
            "No consent.",
            "Consent recorded.",
            "consents",
        ];
        let t = themes(&comments);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].theme, "consent");
        assert_eq!(t[0].mentions, 5);
        assert_eq!(t[0].examples.len(), 3);
        let first = &t[0].examples[0];
        assert!(first.starts_with('…') && first.ends_with('…'), "{first}");
        assert!(first.contains("consented"), "{first}");
        assert!(first.chars().count() < 2 * EXCERPT_CONTEXT + 15, "{first}");
        assert_eq!(t[0].examples[1], "consent?");
        assert!(themes(&[]).is_empty());
    }

    #[test]
    fn status_round_trips_and_moves() {
        use ReviewStatus::*;
        for s in ReviewStatus::ALL {
            assert_eq!(ReviewStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ReviewStatus::parse("Closed"), None);
        assert_eq!(ReviewStatus::parse(""), None);
        assert_eq!(Grading.move_to(Moderation), Ok(Moderation));
        assert_eq!(Moderation.move_to(Grading), Ok(Grading));
        assert_eq!(Moderation.move_to(Closed), Ok(Closed));
        assert_eq!(Grading.move_to(Closed), Err(StatusRefusal::NotModerated));
        for to in ReviewStatus::ALL {
            assert_eq!(Closed.move_to(to), Err(StatusRefusal::Closed));
        }
        assert_eq!(
            Grading.move_to(Grading).unwrap_err().to_string(),
            "The review is already in grading"
        );
        assert!(Grading.accepts_grades() && Moderation.accepts_grades());
        assert!(!Closed.accepts_grades());
        assert_eq!(Moderation.label(), "Moderation");
    }
}
