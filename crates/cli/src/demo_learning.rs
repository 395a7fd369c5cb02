//! Demo learning content: the frontline referral input's knowledge check (for the transferee
//! recording, and the same questions for sessions of the face-to-face input), the recording's
//! link on the force's video host, and the demo force's transferees who watched it, took the
//! check and had their completion recorded. Deterministic: the same database gives the same
//! result, and running it twice adds nothing.

use anyhow::Result;
use mashboard_domain::checks::{OptionDraft, Phase, QuestionDraft, QuestionKind};
use mashboard_store::audit_trail::Actor;
use mashboard_store::learning::checks::{self, CheckInput, NewAttempt};
use mashboard_store::learning::videos::{self, Source};
use mashboard_store::people;
use mashboard_store::training::catalogue;
use mashboard_store::training::completions::{self, NewCompletion};
use mashboard_store::Store;
use std::collections::{BTreeMap, BTreeSet};

/// The recording's (made-up) address on the force's video host.
pub const DEMO_VIDEO_URL: &str =
    "https://video.example.police.uk/safeguarding/frontline-referral-input-v3";

fn q(text: &str, kind: QuestionKind, options: &[(&str, bool)], explanation: &str) -> QuestionDraft {
    QuestionDraft {
        text: text.into(),
        kind,
        explanation: explanation.into(),
        options: options
            .iter()
            .map(|(t, c)| OptionDraft {
                text: (*t).into(),
                correct: *c,
            })
            .collect(),
    }
}

/// The frontline referral input's questions, written from the domain brief.
pub fn frontline_questions() -> Vec<QuestionDraft> {
    use QuestionKind::{Multiple, Single};
    vec![
        q(
            "At a domestic incident you find two children living in the house. What do you do about the children?",
            Single,
            &[
                ("Submit a PPN for each child, with your initial grade (high, medium or low) and the reason for it", true),
                ("Nothing, unless one of the children was hurt", false),
                ("Tell the parents that social care will be in touch, and leave it to them", false),
                ("Mention the children in the crime report only", false),
            ],
            "Children living with domestic abuse are at risk of harm, so each child needs a PPN. Your initial grade, and why you gave it, helps the safeguarding team decide how quickly to act.",
        ),
        q(
            "Which of these belong in a good PPN? Select all that apply.",
            Multiple,
            &[
                ("A factual account that says what you saw and what you were told", true),
                ("The child's own words, and how they looked and behaved", true),
                ("Household risk factors such as domestic abuse, mental ill health or substance misuse", true),
                ("Your opinion of the family, written as if it were fact", false),
            ],
            "Partners need facts kept apart from opinion, the voice of the child, and the risks in the household. Opinion written as fact misleads the people deciding what happens next.",
        ),
        q(
            "Do you need a parent's consent to share information when you think a child is at risk of harm?",
            Single,
            &[
                ("No: protecting the child comes first. Tell the family you are referring unless that would increase the risk", true),
                ("Yes, always: without consent you cannot share", false),
                ("Only if the child is under 13", false),
            ],
            "Consent is not needed to share information where a child is, or may be, at risk of harm. Tell the family before referring, but not where doing so would put the child at greater risk.",
        ),
        q(
            "An adult with care and support needs does not want you to refer them. What is the starting point?",
            Single,
            &[
                ("Seek their consent and respect their wishes; if you go ahead without it, record why and tell adult social care that consent was not given", true),
                ("Refer anyway and do not mention that they refused", false),
                ("Never refer an adult who refuses, whatever the risk", false),
            ],
            "Making Safeguarding Personal means seeking consent by default. Explore why they refuse (fear, coercion, distrust). If the risk means you must override it, record the reasons and say so in the referral.",
        ),
        q(
            "You doubt that an adult can understand the decision about a referral. What applies?",
            Single,
            &[
                ("Assess their capacity under the Mental Capacity Act 2005; if they lack capacity, act in their best interests", true),
                ("Ask a neighbour to decide for them", false),
                ("Assume they lack capacity because of their age", false),
            ],
            "Capacity is decision-specific and must be assessed, not assumed. Where a person lacks capacity for the decision, a best-interests decision is made.",
        ),
        q(
            "In the MASH, who makes the final decision on the response to a referral about a child?",
            Single,
            &[
                ("Children's social care", true),
                ("The officer who submitted the PPN", false),
                ("The child's school", false),
            ],
            "Police research and share information, and partners add theirs, but children's social care decides the response. Your job is a referral good enough for them to decide well.",
        ),
        q(
            "What should your referral tell the partner agency? Select all that apply.",
            Multiple,
            &[
                ("What you are asking them to do, and why you are sharing", true),
                ("Your risk grade and the reason for it, including the DASH or DARA result for domestic abuse", true),
                ("References to the crime record and body-worn video", true),
                ("Only the incident number: they can look up the rest", false),
            ],
            "Inspectors found that understanding why information is shared is critical to joint working. Partners cannot see police systems, so the referral must carry the grade, its reason, and the links.",
        ),
        q(
            "Your PPN describes an offence against the child. What about the crime?",
            Single,
            &[
                ("Record the crime as well, and link it to the PPN: a referral never replaces a crime record", true),
                ("The PPN is enough; no crime record is needed", false),
                ("Wait to see whether social care wants a crime recorded", false),
            ],
            "Crimes disclosed through safeguarding routes must still be recorded under the national rules. Quality audits check that a PPN describing an offence has a linked crime record.",
        ),
        q(
            "Which risk assessment did the College of Policing introduce in November 2022 to replace the DASH questionnaire?",
            Single,
            &[
                ("DARA (Domestic Abuse Risk Assessment)", true),
                ("MARAC", false),
                ("The National Decision Model", false),
            ],
            "DARA puts more weight on coercive control. MARAC is the multi-agency conference for high-risk cases, and the National Decision Model is how decisions are made and recorded.",
        ),
    ]
}

fn instant(day: &str, time: &str) -> String {
    format!("{day}T{time}.000000Z")
}

/// Answers to a check: all right, or the first `wrong` questions answered wrongly.
fn answers_for(check: &checks::Check, wrong: usize) -> BTreeMap<i64, BTreeSet<i64>> {
    check
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let chosen: BTreeSet<i64> = if i < wrong {
                q.options
                    .iter()
                    .find(|o| !o.correct)
                    .map(|o| o.id)
                    .into_iter()
                    .collect()
            } else {
                q.options
                    .iter()
                    .filter(|o| o.correct)
                    .map(|o| o.id)
                    .collect()
            };
            (q.id, chosen)
        })
        .collect()
}

/// Records one demo attempt at a given instant.
#[allow(clippy::too_many_arguments)]
pub async fn demo_attempt(
    store: &Store,
    check: &checks::Check,
    person_id: i64,
    session_id: Option<i64>,
    phase: Phase,
    wrong: usize,
    started_at: &str,
    submitted_at: &str,
) -> Result<checks::AttemptResult> {
    Ok(checks::submit_attempt(
        store,
        &Actor::system(),
        &NewAttempt {
            check_id: check.summary.id,
            person_id,
            session_id,
            phase,
            started_at: started_at.into(),
            answers: answers_for(check, wrong),
            submitted_at: Some(submitted_at.into()),
        },
    )
    .await?)
}

/// The ids of the two demo checks: (for the transferee recording, for the face-to-face input).
pub async fn seed(store: &Store, today: time::Date) -> Result<Option<(i64, i64)>> {
    if !checks::list(store).await?.is_empty() {
        return Ok(None);
    }
    let (Some(video), Some(input)) = (
        catalogue::module_by_code(store, "FL-PPN-VID").await?,
        catalogue::module_by_code(store, "FL-PPN").await?,
    ) else {
        return Ok(None);
    };
    let actor = Actor::system();
    let questions = frontline_questions();
    let vid_check = checks::create(
        store,
        &actor,
        &CheckInput {
            module_id: Some(video.id),
            title: "Frontline referral input: knowledge check".into(),
            description:
                "Nine questions on the recording. Pass with 80% to complete the transferee module."
                    .into(),
            pass_mark_pct: 80,
            active: true,
        },
        &questions,
    )
    .await?;
    let input_check = checks::create(
        store,
        &actor,
        &CheckInput {
            module_id: Some(input.id),
            title: "Frontline referral input: before and after".into(),
            description: "The same nine questions, set at the start and the end of each session to show what people learned.".into(),
            pass_mark_pct: 80,
            active: true,
        },
        &questions,
    )
    .await?;
    videos::set(
        store,
        &actor,
        video.id,
        &Source::External {
            url: DEMO_VIDEO_URL.into(),
        },
    )
    .await?;

    let check = checks::get(store, vid_check)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo check vanished"))?;
    let mut transferees: Vec<_> = people::all(store)
        .await?
        .into_iter()
        .filter(|p| {
            p.cohort
                .as_deref()
                .is_some_and(|c| c.ends_with("transferees"))
        })
        .collect();
    transferees.sort_by_key(|p| p.id);
    for (i, p) in transferees.iter().enumerate() {
        let done = videos::completion_of(store, video.id, p.id).await?;
        match done {
            Some((_, day)) => {
                // Watched and passed on the day the completion says; one in four failed first.
                videos::confirm_watch_at(
                    store,
                    &actor,
                    video.id,
                    p.id,
                    Some(&instant(&day, "10:05:00")),
                )
                .await?;
                if i % 4 == 0 {
                    demo_attempt(
                        store,
                        &check,
                        p.id,
                        None,
                        Phase::Standalone,
                        3,
                        &instant(&day, "10:08:00"),
                        &instant(&day, "10:19:00"),
                    )
                    .await?;
                }
                demo_attempt(
                    store,
                    &check,
                    p.id,
                    None,
                    Phase::Standalone,
                    i % 2,
                    &instant(&day, "10:21:00"),
                    &instant(&day, "10:33:00"),
                )
                .await?;
            }
            None => {
                let day = (today - time::Duration::days(3 + (i as i64 % 20))).to_string();
                match i % 3 {
                    // Watched, passed, completion recorded (awaiting sign-off).
                    0 => {
                        videos::confirm_watch_at(
                            store,
                            &actor,
                            video.id,
                            p.id,
                            Some(&instant(&day, "14:00:00")),
                        )
                        .await?;
                        demo_attempt(
                            store,
                            &check,
                            p.id,
                            None,
                            Phase::Standalone,
                            0,
                            &instant(&day, "14:02:00"),
                            &instant(&day, "14:15:00"),
                        )
                        .await?;
                        completions::record(
                            store,
                            &actor,
                            &NewCompletion {
                                person_id: p.id,
                                module_id: video.id,
                                module_version: None,
                                completed_on: day.clone(),
                                mode: "recording".into(),
                                trainer: String::new(),
                                notes: format!(
                                    "Watched the recording and passed the knowledge check \"{}\".",
                                    check.summary.title
                                ),
                                evidence_url: String::new(),
                            },
                        )
                        .await?;
                    }
                    // Watched, but not yet passed.
                    1 => {
                        videos::confirm_watch_at(
                            store,
                            &actor,
                            video.id,
                            p.id,
                            Some(&instant(&day, "14:00:00")),
                        )
                        .await?;
                        demo_attempt(
                            store,
                            &check,
                            p.id,
                            None,
                            Phase::Standalone,
                            4,
                            &instant(&day, "14:02:00"),
                            &instant(&day, "14:12:00"),
                        )
                        .await?;
                    }
                    // Not started.
                    _ => {}
                }
            }
        }
    }
    Ok(Some((vid_check, input_check)))
}
