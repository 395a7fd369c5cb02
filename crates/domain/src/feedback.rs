//! Session feedback: ratings from 1 to 5 and two comments, and summaries (n, mean and the
//! distribution of each rating) per session, module or trainer.

/// The four ratings on the form, in the order the form asks them.
pub const RATINGS: [(&str, &str); 4] = [
    ("overall", "Overall, how useful was the session?"),
    ("relevance", "How relevant was it to your role?"),
    ("delivery", "How well was it delivered?"),
    (
        "confidence",
        "How confident are you now to recognise a safeguarding concern and submit a good referral?",
    ),
];

pub const MAX_COMMENT: usize = 2000;

/// Reads a rating typed or chosen on the form.
pub fn parse_rating(label: &str, raw: &str) -> Result<i64, String> {
    match raw.trim() {
        "" => Err(format!("Choose a rating from 1 to 5 for \"{label}\"")),
        t => match t.parse::<i64>() {
            Ok(v) if (1..=5).contains(&v) => Ok(v),
            _ => Err(format!(
                "The rating for \"{label}\" must be a whole number from 1 to 5"
            )),
        },
    }
}

/// Checks a comment's length.
pub fn check_comment(label: &str, text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.chars().count() > MAX_COMMENT {
        Err(format!(
            "\"{label}\" must be {MAX_COMMENT} characters or fewer"
        ))
    } else {
        Ok(t.to_string())
    }
}

/// One person's ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratings {
    pub overall: i64,
    pub relevance: i64,
    pub delivery: i64,
    pub confidence: i64,
}

impl Ratings {
    pub fn get(&self, i: usize) -> i64 {
        match i {
            0 => self.overall,
            1 => self.relevance,
            2 => self.delivery,
            _ => self.confidence,
        }
    }
}

/// A summary of one rating: how many, the mean and how many gave each of 1..=5.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RatingSummary {
    pub n: usize,
    pub mean: Option<f64>,
    /// `distribution[0]` is the count of 1s, `distribution[4]` of 5s.
    pub distribution: [usize; 5],
}

impl RatingSummary {
    pub fn mean_text(&self) -> String {
        match self.mean {
            Some(m) => format!("{m:.2}"),
            None => "–".into(),
        }
    }
    /// "1: 0 · 2: 1 · …", for tables and CSV.
    pub fn distribution_text(&self) -> String {
        self.distribution
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}: {c}", i + 1))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// Summarises one rating over many forms; values outside 1..=5 are not counted.
pub fn summarise(values: impl IntoIterator<Item = i64>) -> RatingSummary {
    let mut s = RatingSummary::default();
    let mut sum = 0i64;
    for v in values {
        if (1..=5).contains(&v) {
            s.distribution[(v - 1) as usize] += 1;
            s.n += 1;
            sum += v;
        }
    }
    if s.n > 0 {
        s.mean = Some(sum as f64 / s.n as f64);
    }
    s
}

/// All four ratings summarised over a group of forms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedbackSummary {
    pub n: usize,
    /// In the order of `RATINGS`.
    pub ratings: Vec<RatingSummary>,
}

pub fn summarise_all(forms: &[Ratings]) -> FeedbackSummary {
    FeedbackSummary {
        n: forms.len(),
        ratings: (0..RATINGS.len())
            .map(|i| summarise(forms.iter().map(|f| f.get(i))))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_run_from_one_to_five() {
        assert_eq!(parse_rating("Overall", "5"), Ok(5));
        assert_eq!(parse_rating("Overall", " 1 "), Ok(1));
        assert!(parse_rating("Overall", "0")
            .unwrap_err()
            .contains("from 1 to 5"));
        assert!(parse_rating("Overall", "6").is_err());
        assert!(parse_rating("Overall", "4.5").is_err());
        assert!(parse_rating("Overall", "").unwrap_err().contains("Choose"));
        assert!(check_comment("What went well", &"x".repeat(MAX_COMMENT + 1)).is_err());
        assert_eq!(check_comment("x", "  fine ").unwrap(), "fine");
    }

    #[test]
    fn summaries_give_n_mean_and_distribution() {
        let s = summarise([5, 4, 4, 1, 9]);
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, Some(3.5));
        assert_eq!(s.distribution, [1, 0, 0, 2, 1]);
        assert_eq!(s.mean_text(), "3.50");
        assert_eq!(s.distribution_text(), "1: 1 · 2: 0 · 3: 0 · 4: 2 · 5: 1");
        let none = summarise([]);
        assert_eq!((none.n, none.mean), (0, None));
        let all = summarise_all(&[
            Ratings {
                overall: 5,
                relevance: 4,
                delivery: 3,
                confidence: 2,
            },
            Ratings {
                overall: 3,
                relevance: 4,
                delivery: 5,
                confidence: 4,
            },
        ]);
        assert_eq!(all.n, 2);
        assert_eq!(all.ratings[0].mean, Some(4.0));
        assert_eq!(all.ratings[3].mean, Some(3.0));
        assert_eq!(all.ratings[1].distribution, [0, 0, 0, 2, 0]);
    }
}
