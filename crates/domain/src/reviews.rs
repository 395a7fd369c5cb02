//! The quarterly referral quality review's rules: the grade scale and the default rubric, when
//! graders disagree enough to need moderation, criterion scores (1 to 4, or not applicable) and
//! their figures, which criteria are most often weak, the themes in graders' comments, who may
//! see which review and grade, and the review's status.

use crate::access::Capability;
use crate::roles::Role;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

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

/// One criterion's score for one referral: 1 (very poor) to 4 (excellent), or not applicable
/// (the criterion does not apply to this referral: the child's voice in a referral about an
/// adult with no child in the household). The overall grade is never "not applicable".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionScore {
    Score(u8),
    NotApplicable,
}

impl CriterionScore {
    /// The word a form posts and an export writes for "not applicable".
    pub const NOT_APPLICABLE: &'static str = "na";

    /// From a form value or an export cell: "1" to "4", or "na" (also "n/a", "not applicable").
    pub fn parse(raw: &str) -> Option<CriterionScore> {
        let t = raw.trim().to_ascii_lowercase();
        match t.as_str() {
            "na" | "n/a" | "not applicable" => Some(CriterionScore::NotApplicable),
            _ => match t.parse::<u8>() {
                Ok(g @ 1..=4) => Some(CriterionScore::Score(g)),
                _ => None,
            },
        }
    }

    /// As stored: the score, or `None` for not applicable.
    pub fn stored(self) -> Option<i64> {
        match self {
            CriterionScore::Score(g) => Some(i64::from(g)),
            CriterionScore::NotApplicable => None,
        }
    }

    /// From storage: `None` is not applicable.
    pub fn from_stored(v: Option<i64>) -> Option<CriterionScore> {
        match v {
            None => Some(CriterionScore::NotApplicable),
            Some(g) => u8::try_from(g)
                .ok()
                .filter(|g| (1..=4).contains(g))
                .map(CriterionScore::Score),
        }
    }

    /// The value a form radio carries: "1" to "4" or "na".
    pub fn form_value(self) -> String {
        match self {
            CriterionScore::Score(g) => g.to_string(),
            CriterionScore::NotApplicable => Self::NOT_APPLICABLE.to_string(),
        }
    }

    /// Short, for exports: "3" or "n/a".
    pub fn short(self) -> String {
        match self {
            CriterionScore::Score(g) => g.to_string(),
            CriterionScore::NotApplicable => "n/a".to_string(),
        }
    }

    /// In words for people: "3 (good)" or "Not applicable".
    pub fn words(self) -> String {
        match self {
            CriterionScore::Score(g) => match grade_label(g) {
                Some(l) => format!("{g} ({})", l.to_lowercase()),
                None => g.to_string(),
            },
            CriterionScore::NotApplicable => "Not applicable".to_string(),
        }
    }

    pub fn value(self) -> Option<u8> {
        match self {
            CriterionScore::Score(g) => Some(g),
            CriterionScore::NotApplicable => None,
        }
    }
}

/// One criterion's figures over a set of referrals. "Not applicable" is counted on its own and
/// left out of everything else: the distribution, the mean, and the share that was weak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionWeakness {
    pub code: String,
    /// Scores of 1 or 2.
    pub weak: usize,
    /// Scores of 1 to 4 (not applicable and anything out of range are not scores).
    pub scored: usize,
    /// Scores of 1, 2, 3 and 4.
    pub counts: [usize; 4],
    /// Mean of the scores; `None` when nothing was scored.
    pub mean: Option<f64>,
    /// Referrals for which the criterion was marked not applicable.
    pub not_applicable: usize,
}

/// Criteria ranked by how often they were weak (share, then count, then code), over
/// (criterion code, score) pairs. Every criterion scored or marked not applicable at least once
/// is listed, the never-weak ones last.
pub fn weakest_criteria(scores: &[(String, CriterionScore)]) -> Vec<CriterionWeakness> {
    let mut by_code: BTreeMap<&str, CriterionWeakness> = BTreeMap::new();
    for (code, score) in scores {
        let e = by_code
            .entry(code.as_str())
            .or_insert_with(|| CriterionWeakness {
                code: code.clone(),
                weak: 0,
                scored: 0,
                counts: [0; 4],
                mean: None,
                not_applicable: 0,
            });
        match score {
            CriterionScore::NotApplicable => e.not_applicable += 1,
            CriterionScore::Score(g) if (1..=4).contains(g) => {
                e.weak += usize::from(is_weak(*g));
                e.scored += 1;
                e.counts[usize::from(*g) - 1] += 1;
            }
            CriterionScore::Score(_) => {}
        }
    }
    let mut out: Vec<CriterionWeakness> = by_code
        .into_values()
        .map(|mut w| {
            let total: usize = w.counts.iter().enumerate().map(|(i, n)| (i + 1) * n).sum();
            w.mean = (w.scored > 0).then(|| total as f64 / w.scored as f64);
            w
        })
        .collect();
    // Compare shares exactly: a/b > c/d  <=>  a*d > c*b. Nothing scored ranks as never weak.
    out.sort_by(|a, b| {
        (b.weak * a.scored)
            .cmp(&(a.weak * b.scored))
            .then(b.weak.cmp(&a.weak))
            .then(a.code.cmp(&b.code))
    });
    out
}

/// The criteria the rubric requires for a grade and which of them are still unanswered: every
/// active criterion needs a score or "not applicable".
pub fn unanswered<'a>(
    active: impl IntoIterator<Item = (i64, &'a str)>,
    answered: &[(i64, CriterionScore)],
) -> Vec<(i64, &'a str)> {
    active
        .into_iter()
        .filter(|(id, _)| !answered.iter().any(|(a, _)| a == id))
        .collect()
}

// ---- Who may see which review ----

/// What a reader is to one review, as the store finds it: the rule below needs nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReviewReader {
    /// Holds the capability to run reviews (trainers, administrators): sees every review.
    pub runs_reviews: bool,
    /// An administrator (records agreed grades on any review).
    pub administrator: bool,
    /// Opened this review.
    pub owner: bool,
    /// Sits on this review's panel.
    pub on_panel: bool,
    /// Has submitted their own grades for this review.
    pub submitted: bool,
}

impl ReviewReader {
    /// The roles' part of the reader; the store adds the relations to one review.
    pub fn of_roles(roles: &[Role]) -> ReviewReader {
        ReviewReader {
            runs_reviews: runs_reviews(roles),
            administrator: roles.contains(&Role::Administrator),
            ..ReviewReader::default()
        }
    }

    /// Those who run reviews see every review; graders see the reviews whose panel they sit on.
    pub fn may_see_review(&self) -> bool {
        self.runs_reviews || self.on_panel
    }

    /// Graders grade blind: the panel's grades, the agreed grades and the result stay hidden
    /// from a grader until they have submitted their own. Those who run reviews see them always.
    pub fn may_see_panel_grades(&self) -> bool {
        self.may_see_review() && (self.runs_reviews || self.submitted)
    }

    /// Only the panel grades, and only while the review takes grades.
    pub fn may_grade(&self, status: Option<ReviewStatus>) -> bool {
        self.on_panel && status.is_some_and(ReviewStatus::accepts_grades)
    }

    /// The review's owner, or an administrator, records the agreed (moderated) grades.
    pub fn may_record_agreed(&self) -> bool {
        self.runs_reviews && (self.owner || self.administrator)
    }
}

/// Whether these roles run reviews (see every review and every grade).
pub fn runs_reviews(roles: &[Role]) -> bool {
    Capability::QualityReviewManage.allows(roles)
}

/// Partner reviewers who hold no force role read referrals pseudonymised.
pub fn reads_pseudonymised(roles: &[Role]) -> bool {
    roles.contains(&Role::PartnerReviewer)
        && !roles.iter().any(|r| {
            matches!(
                r,
                Role::Administrator | Role::MashTrainer | Role::SeniorLeader
            )
        })
}

/// One comment on a sampled referral: a grader's, or the panel's agreed feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThemeComment<'a> {
    /// The referral it is about (its reference).
    pub referral: &'a str,
    pub text: &'a str,
}

/// A theme in graders' comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Theme {
    pub theme: String,
    /// Referrals whose comments mention it (each referral counts once, however many of its
    /// comments mention it).
    pub referrals: usize,
    /// Distinct comments that mention it (each counts once per theme; the same words written
    /// twice about one referral count once).
    pub comments: usize,
    /// Up to three short excerpts, all different, from the first comments that mention it.
    pub examples: Vec<String>,
}

/// The themes and the words and phrases that signal them. `*` stands for up to three words
/// ("what * want" matches "what the family want"). Plurals match their singular. Where a
/// phrase of one theme covers the words that another theme's shorter phrase matched ("unclear
/// ask" against "unclear"), only the longer phrase counts, so a comment on an unclear ask is
/// filed under the ask, not under clarity. Words that graders use about the grading itself
/// ("grade", "agreed") signal nothing.
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
            "child's views",
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
            "their view",
            "person's view",
            "views of the",
            "agreed to",
            "did not agree",
            "capacity",
            "wishes",
            "making safeguarding personal",
        ],
    ),
    (
        "risk",
        &[
            "risk",
            "risk assessment",
            "dash form",
            "dash assessment",
            "dash score",
            "dash result",
            "dara",
            "rationale",
            "threshold",
            "harm",
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
            "unclear ask",
            "ask * unclear",
            "unclear what * want",
            "unclear what * expect",
            "unclear why * shared",
            "not clear what * want",
            "unclear request",
            "request * unclear",
            "clear ask",
            "clear request",
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
            "well ordered",
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

/// Every match of every theme's phrases in `text`: (theme index, first word, word after the
/// last), the longest per theme and starting word, with matches that lie inside a longer
/// match of another theme removed.
fn theme_matches(
    text: &[Word],
    lexicon: &[Vec<Vec<Option<String>>>],
) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    for (t, patterns) in lexicon.iter().enumerate() {
        for at in 0..text.len() {
            if let Some(end) = patterns.iter().filter_map(|p| match_at(text, p, at)).max() {
                found.push((t, at, end));
            }
        }
    }
    found
        .iter()
        .filter(|(t, at, end)| {
            !found
                .iter()
                .any(|(t2, at2, end2)| t2 != t && at2 <= at && end <= end2 && end2 - at2 > end - at)
        })
        .copied()
        .collect()
}

/// Comment text as compared for sameness: words only, lower case.
fn same_words(text: &str) -> String {
    words(text)
        .into_iter()
        .map(|(w, _, _)| w)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Themes from the comments on a review's referrals, by the fixed lexicon above. A comment
/// counts at most once per theme, and the same words written twice about one referral (a
/// grader's comment copied into the agreed feedback) count once; a referral counts once per
/// theme however many of its comments mention it. Excerpts are all different. Ranked by
/// referrals, then comments, then name; themes nobody mentioned are left out. Matching is
/// case-insensitive, on whole words and phrases, with plurals matching their singular.
pub fn themes(comments: &[ThemeComment<'_>]) -> Vec<Theme> {
    let lexicon: Vec<Vec<Vec<Option<String>>>> = THEME_LEXICON
        .iter()
        .map(|(_, phrases)| {
            phrases
                .iter()
                .map(|p| entry(p))
                .filter(|p| p.first().is_some_and(Option::is_some))
                .collect()
        })
        .collect();
    let mut seen: BTreeSet<(&str, String)> = BTreeSet::new();
    let mut referrals: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); THEME_LEXICON.len()];
    let mut counts = vec![0usize; THEME_LEXICON.len()];
    let mut examples: Vec<Vec<String>> = vec![Vec::new(); THEME_LEXICON.len()];
    for c in comments {
        let key = same_words(c.text);
        if key.is_empty() || !seen.insert((c.referral, key)) {
            continue;
        }
        let text = words(c.text);
        let matches = theme_matches(&text, &lexicon);
        for t in 0..THEME_LEXICON.len() {
            let Some(&(_, at, end)) = matches.iter().find(|(m, _, _)| *m == t) else {
                continue;
            };
            counts[t] += 1;
            referrals[t].insert(c.referral);
            let quote = excerpt(c.text, text[at].1, text[end - 1].2);
            if examples[t].len() < 3 && !examples[t].contains(&quote) {
                examples[t].push(quote);
            }
        }
    }
    let mut out: Vec<Theme> = THEME_LEXICON
        .iter()
        .enumerate()
        .filter(|(t, _)| counts[*t] > 0)
        .map(|(t, (theme, _))| Theme {
            theme: theme.to_string(),
            referrals: referrals[t].len(),
            comments: counts[t],
            examples: std::mem::take(&mut examples[t]),
        })
        .collect();
    out.sort_by(|a, b| {
        b.referrals
            .cmp(&a.referrals)
            .then(b.comments.cmp(&a.comments))
            .then(a.theme.cmp(&b.theme))
    });
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
        let s = |code: &str, score: u8| (code.to_string(), CriterionScore::Score(score));
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
    fn not_applicable_is_left_out_of_a_criterion_s_figures() {
        use CriterionScore::{NotApplicable as Na, Score};
        let scores: Vec<(String, CriterionScore)> = vec![
            ("voice".into(), Score(4)),
            ("voice".into(), Score(2)),
            ("voice".into(), Na),
            ("voice".into(), Na),
            ("risk".into(), Na),
        ];
        let w = weakest_criteria(&scores);
        let voice = w.iter().find(|w| w.code == "voice").unwrap();
        assert_eq!((voice.weak, voice.scored, voice.not_applicable), (1, 2, 2));
        assert_eq!(voice.counts, [0, 1, 0, 1]);
        assert_eq!(
            voice.mean,
            Some(3.0),
            "(4 + 2) / 2: the two n/a are not zeros"
        );
        let risk = w.iter().find(|w| w.code == "risk").unwrap();
        assert_eq!((risk.scored, risk.not_applicable, risk.mean), (0, 1, None));
        assert_eq!(w.last().unwrap().code, "risk", "nothing scored ranks last");
    }

    #[test]
    fn criterion_scores_read_and_write() {
        use CriterionScore::{NotApplicable as Na, Score};
        assert_eq!(CriterionScore::parse("3"), Some(Score(3)));
        for na in ["na", "N/A", " not applicable "] {
            assert_eq!(CriterionScore::parse(na), Some(Na), "{na}");
        }
        for bad in ["", "0", "5", "x"] {
            assert_eq!(CriterionScore::parse(bad), None, "{bad}");
        }
        assert_eq!(Na.stored(), None);
        assert_eq!(CriterionScore::from_stored(None), Some(Na));
        assert_eq!(CriterionScore::from_stored(Some(2)), Some(Score(2)));
        assert_eq!(CriterionScore::from_stored(Some(7)), None);
        assert_eq!(Na.words(), "Not applicable");
        assert_eq!(Score(1).words(), "1 (very poor)");
        assert_eq!(Na.short(), "n/a");
        assert_eq!(CriterionScore::parse(&Na.form_value()), Some(Na));
        let active = [(1, "Who"), (2, "Voice"), (3, "Risk")];
        assert_eq!(
            unanswered(active, &[(1, Score(3)), (2, Na)]),
            [(3, "Risk")],
            "not applicable is an answer; a missing one is not"
        );
    }

    #[test]
    fn who_sees_which_review() {
        let trainer = ReviewReader::of_roles(&[Role::MashTrainer]);
        assert!(trainer.may_see_review() && trainer.may_see_panel_grades());
        assert!(!trainer.may_record_agreed(), "not the owner");
        assert!(ReviewReader {
            owner: true,
            ..trainer
        }
        .may_record_agreed());
        let admin = ReviewReader::of_roles(&[Role::Administrator]);
        assert!(admin.may_record_agreed());
        let leader = ReviewReader::of_roles(&[Role::SeniorLeader]);
        assert!(!leader.may_see_review(), "not on the panel");
        let grader = ReviewReader {
            on_panel: true,
            ..leader
        };
        assert!(grader.may_see_review());
        assert!(!grader.may_see_panel_grades(), "blind until submitted");
        assert!(ReviewReader {
            submitted: true,
            ..grader
        }
        .may_see_panel_grades());
        assert!(!grader.may_record_agreed());
        assert!(grader.may_grade(Some(ReviewStatus::Moderation)));
        assert!(!grader.may_grade(Some(ReviewStatus::Closed)));
        assert!(
            !trainer.may_grade(Some(ReviewStatus::Grading)),
            "only the panel"
        );
        assert!(reads_pseudonymised(&[Role::PartnerReviewer]));
        assert!(!reads_pseudonymised(&[
            Role::PartnerReviewer,
            Role::SeniorLeader
        ]));
    }

    fn c<'a>(referral: &'a str, text: &'a str) -> ThemeComment<'a> {
        ThemeComment { referral, text }
    }

    #[test]
    fn themes_count_each_comment_once_and_rank_by_referrals() {
        let comments = [
            c(
                "R1",
                "Risk not graded. The risks to the children were not explained; no DASH form.",
            ),
            c(
                "R2",
                "No record of the child's demeanour or what the child said.",
            ),
            c("R3", "Good account but the risk has no rationale."),
            c("R4", "Unclear what they want the partner to do."),
            c("R5", ""),
        ];
        let t = themes(&comments);
        let summary: Vec<_> = t
            .iter()
            .map(|t| (t.theme.as_str(), t.referrals, t.comments))
            .collect();
        // risk: R1 and R3 (R1 mentions it four times, counted once). facts ("account"), the
        // ask ("unclear what they want": the ask, not clarity) and the voice of the child: one
        // each, in name order.
        assert_eq!(
            summary,
            [
                ("risk", 2, 2),
                ("facts", 1, 1),
                ("the ask", 1, 1),
                ("voice of the child", 1, 1),
            ]
        );
        assert_eq!(t[0].examples.len(), 2);
        assert_eq!(
            t[0].examples[0],
            "Risk not graded. The risks to the children…"
        );
    }

    #[test]
    fn a_comment_copied_into_the_agreed_feedback_counts_once_and_quotes_once() {
        // Eight referrals, each with two graders' comments and the agreed feedback: the same
        // sentence three times on one referral is one comment and one quote.
        let ask = "The ask is unclear: what do we want the partner to do?";
        let refs = ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"];
        let mut comments = vec![
            c("R1", ask),
            c("R1", ask),
            c(
                "R1",
                "The ask is unclear:  what do we WANT the partner to do?",
            ),
        ];
        for r in &refs[1..] {
            comments.push(c(r, "A sound referral."));
            comments.push(c(r, "A sound referral."));
            comments.push(c(r, "Agreed at moderation. A sound referral."));
        }
        comments.push(c("R2", ask));
        let t = themes(&comments);
        assert_eq!(t.len(), 1, "{t:?}: 'agreed' is not consent");
        assert_eq!(
            t[0].theme, "the ask",
            "an unclear ask is about the ask, not clarity"
        );
        assert_eq!((t[0].referrals, t[0].comments), (2, 2));
        assert_eq!(t[0].examples.len(), 1, "{:?}", t[0].examples);
    }

    #[test]
    fn words_about_the_grading_itself_signal_no_theme() {
        let one = |text: &str| -> Vec<String> {
            themes(&[c("R", text)])
                .into_iter()
                .map(|t| t.theme)
                .collect()
        };
        assert_eq!(
            one("Graders were two grades apart (2 and 4); agreed 3 after discussion."),
            Vec::<String>::new()
        );
        assert_eq!(
            one("Unexplained police jargon (NFA, DASH, OIC) gets in the way of clarity"),
            ["clarity"]
        );
        assert_eq!(one("Clear ask of children's services"), ["the ask"]);
        assert_eq!(
            one("Unclear ask, and far too long"),
            ["clarity", "the ask"],
            "'too long' is still clarity"
        );
        assert_eq!(
            one("No wishes and feelings recorded"),
            ["voice of the child"]
        );
        assert_eq!(one("Mother agreed to the referral"), ["consent"]);
    }

    #[test]
    fn lexicon_matches_plurals_case_and_whole_words_only() {
        let one = |text: &str| -> Vec<String> {
            themes(&[c("R", text)])
                .into_iter()
                .map(|t| t.theme)
                .collect()
        };
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
    fn theme_examples_are_short_different_and_at_most_three() {
        let long = format!(
            "{} the officer did not record whether the mother consented to the referral {}",
            "word ".repeat(40),
            "more ".repeat(40)
        );
        let comments = vec![
            c("R1", long.as_str()),
            c("R2", "consent?"),
            c("R3", "consent?"),
            c("R4", "No consent."),
            c("R5", "Consent recorded."),
            c("R6", "consents"),
        ];
        let t = themes(&comments);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].theme, "consent");
        assert_eq!((t[0].referrals, t[0].comments), (6, 6));
        assert_eq!(t[0].examples.len(), 3);
        let first = &t[0].examples[0];
        assert!(first.starts_with('…') && first.ends_with('…'), "{first}");
        assert!(first.contains("consented"), "{first}");
        assert!(first.chars().count() < 2 * EXCERPT_CONTEXT + 15, "{first}");
        assert_eq!(t[0].examples[1], "consent?");
        assert_eq!(
            t[0].examples[2], "No consent.",
            "the second 'consent?' is not quoted again"
        );
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
