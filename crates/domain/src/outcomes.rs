//! Partner outcomes: what the partner agency did with a referral, and the rates the force
//! reports from them.
//!
//! Three figures are reported over a set of outcomes (one per referral and partner):
//! - **relevant**: the partner accepted the referral (assessment, s47, s42) or offered early help
//!   or another service;
//! - **no further action**;
//! - **returned for more information**: the referral "caused further work".
//!
//! "Advice or signpost" counts in the total but in none of the three. Every figure keeps its
//! count `x` and its total `n`, so an interval (Wilson) can be put on it later.

use crate::training::UnknownName;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A partner's decision on a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    AcceptedAssessment,
    AcceptedS47,
    AcceptedS42,
    EarlyHelp,
    AdviceSignpost,
    NoFurtherAction,
    ReturnedMoreInformation,
}

/// The reporting group an outcome falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Accepted (assessment, s47, s42) or early help / other service.
    Relevant,
    NoFurtherAction,
    /// Returned for more information: the referral caused further work.
    Returned,
    /// Advice or signpost: counted in the total only.
    Other,
}

impl Outcome {
    /// Every outcome, in the order forms list them.
    pub const ALL: [Outcome; 7] = [
        Outcome::AcceptedAssessment,
        Outcome::AcceptedS47,
        Outcome::AcceptedS42,
        Outcome::EarlyHelp,
        Outcome::AdviceSignpost,
        Outcome::NoFurtherAction,
        Outcome::ReturnedMoreInformation,
    ];

    /// The stable machine name used in the database, the API and imports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::AcceptedAssessment => "accepted_assessment",
            Outcome::AcceptedS47 => "accepted_s47",
            Outcome::AcceptedS42 => "accepted_s42",
            Outcome::EarlyHelp => "early_help",
            Outcome::AdviceSignpost => "advice_signpost",
            Outcome::NoFurtherAction => "no_further_action",
            Outcome::ReturnedMoreInformation => "returned_more_information",
        }
    }

    /// The words a user reads on a page.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::AcceptedAssessment => "Accepted for assessment",
            Outcome::AcceptedS47 => "Accepted: section 47 enquiries",
            Outcome::AcceptedS42 => "Accepted: section 42 enquiry",
            Outcome::EarlyHelp => "Early help or other service",
            Outcome::AdviceSignpost => "Advice or signposting",
            Outcome::NoFurtherAction => "No further action",
            Outcome::ReturnedMoreInformation => "Returned for more information",
        }
    }

    pub fn group(self) -> Group {
        match self {
            Outcome::AcceptedAssessment
            | Outcome::AcceptedS47
            | Outcome::AcceptedS42
            | Outcome::EarlyHelp => Group::Relevant,
            Outcome::NoFurtherAction => Group::NoFurtherAction,
            Outcome::ReturnedMoreInformation => Group::Returned,
            Outcome::AdviceSignpost => Group::Other,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = UnknownName;
    /// Forgiving: case, spaces and hyphens do not matter ("No further action", "NFA" too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        let wanted = match wanted.as_str() {
            "nfa" => "no_further_action",
            "s47" => "accepted_s47",
            "s42" => "accepted_s42",
            "returned" => "returned_more_information",
            other => other,
        };
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == wanted)
            .ok_or_else(|| UnknownName {
                what: "partner outcome",
                value: s.trim().to_string(),
                allowed: Outcome::ALL.map(|o| o.as_str()).join(", "),
            })
    }
}

/// Where an outcome came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Recorded by MASH staff (or the trainer, or an administrator).
    Mash,
    /// Recorded by a partner reviewer for their own agency.
    Partner,
    /// Imported from a records-management export.
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Mash => "mash",
            Source::Partner => "partner",
            Source::Import => "import",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Source::Mash => "Recorded by MASH",
            Source::Partner => "Recorded by the partner",
            Source::Import => "Imported",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        match s.trim() {
            "mash" => Some(Source::Mash),
            "partner" => Some(Source::Partner),
            "import" => Some(Source::Import),
            _ => None,
        }
    }
}

/// `x` out of `n`: a count and its total, with the share when `n > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Proportion {
    pub x: u64,
    pub n: u64,
}

impl Proportion {
    pub fn share(self) -> Option<f64> {
        (self.n > 0).then(|| self.x as f64 / self.n as f64)
    }
    /// The share as a whole-number percentage for pages: `"42%"`, or `"–"` when there is none.
    pub fn percent_text(self) -> String {
        match self.share() {
            // Halves round up (12.5% shows as 13%), as people round by hand.
            Some(s) => format!("{}%", (s * 100.0).round() as i64),
            None => "–".into(),
        }
    }
}

/// The three reported rates over one set of outcomes, and the count of each outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Rates {
    /// Outcomes counted.
    pub n: u64,
    pub relevant: Proportion,
    pub no_further_action: Proportion,
    pub returned: Proportion,
    /// How many of each outcome, in the order of [`Outcome::ALL`].
    pub counts: [u64; 7],
}

impl Rates {
    /// The count of one outcome.
    pub fn count(&self, o: Outcome) -> u64 {
        self.counts[Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0)]
    }
}

/// The rates over outcomes given as `(outcome, how many)` pairs (so a database can count).
pub fn rates_from_counts(counts: impl IntoIterator<Item = (Outcome, u64)>) -> Rates {
    let mut r = Rates::default();
    for (o, k) in counts {
        let i = Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0);
        r.counts[i] += k;
        r.n += k;
        match o.group() {
            Group::Relevant => r.relevant.x += k,
            Group::NoFurtherAction => r.no_further_action.x += k,
            Group::Returned => r.returned.x += k,
            Group::Other => {}
        }
    }
    r.relevant.n = r.n;
    r.no_further_action.n = r.n;
    r.returned.n = r.n;
    r
}

/// The rates over a list of outcomes.
pub fn rates(outcomes: &[Outcome]) -> Rates {
    rates_from_counts(outcomes.iter().map(|o| (*o, 1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error as DeError, StrDeserializer};
    use serde::de::IntoDeserializer;

    fn de<'a, T: Deserialize<'a>>(s: &'a str) -> T {
        let d: StrDeserializer<'a, DeError> = s.into_deserializer();
        T::deserialize(d).unwrap()
    }

    #[test]
    fn names_round_trip_and_serde_agrees() {
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), o);
            assert_eq!(de::<Outcome>(o.as_str()), o);
            assert!(!o.label().is_empty());
        }
        assert_eq!(
            "No further action".parse::<Outcome>().unwrap(),
            Outcome::NoFurtherAction
        );
        assert_eq!("NFA".parse::<Outcome>().unwrap(), Outcome::NoFurtherAction);
        let e = "accepted".parse::<Outcome>().unwrap_err().to_string();
        assert!(e.contains("\"accepted\" is not a partner outcome"), "{e}");
        assert!(e.contains("early_help"), "{e}");
    }

    #[test]
    fn accepted_and_early_help_are_relevant_and_advice_is_in_no_group() {
        use Group::*;
        let groups: Vec<Group> = Outcome::ALL.iter().map(|o| o.group()).collect();
        assert_eq!(
            groups,
            [
                Relevant,
                Relevant,
                Relevant,
                Relevant,
                Other,
                NoFurtherAction,
                Returned
            ]
        );
    }

    #[test]
    fn rates_count_every_outcome_once_and_keep_x_and_n() {
        use Outcome::*;
        let r = rates(&[
            AcceptedS47,
            EarlyHelp,
            AdviceSignpost,
            NoFurtherAction,
            NoFurtherAction,
            ReturnedMoreInformation,
            AcceptedAssessment,
            AcceptedS42,
        ]);
        assert_eq!(r.n, 8);
        assert_eq!(r.relevant, Proportion { x: 4, n: 8 });
        assert_eq!(r.no_further_action, Proportion { x: 2, n: 8 });
        assert_eq!(r.returned, Proportion { x: 1, n: 8 });
        assert_eq!(r.count(NoFurtherAction), 2);
        assert_eq!(r.count(AdviceSignpost), 1);
        assert_eq!(r.relevant.share(), Some(0.5));
        assert_eq!(r.returned.percent_text(), "13%");
    }

    #[test]
    fn no_outcomes_have_no_shares() {
        let r = rates(&[]);
        assert_eq!(r.n, 0);
        assert_eq!(r.relevant.share(), None);
        assert_eq!(r.relevant.percent_text(), "–");
    }

    #[test]
    fn counts_from_a_database_add_up_like_a_list() {
        use Outcome::*;
        let a = rates_from_counts([(EarlyHelp, 3), (NoFurtherAction, 2), (EarlyHelp, 1)]);
        let b = rates(&[
            EarlyHelp,
            EarlyHelp,
            EarlyHelp,
            EarlyHelp,
            NoFurtherAction,
            NoFurtherAction,
        ]);
        assert_eq!(a, b);
    }

    #[test]
    fn sources_parse() {
        for s in [Source::Mash, Source::Partner, Source::Import] {
            assert_eq!(Source::parse(s.as_str()), Some(s));
        }
        assert_eq!(Source::parse("email"), None);
    }
}
