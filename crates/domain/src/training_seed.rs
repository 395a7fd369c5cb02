//! Demo training content for the Demo Constabulary: the module catalogue, the role programmes
//! and the guidance tags the practice in PRODUCT.md describes.
//!
//! It is fixed data, so every demo database starts with the same catalogue, and review dates are
//! spread around [`SEED_REFERENCE_DATE`] so the review pages have something in every state. The
//! summaries are written for this project; external links point at `learning.example.org`, which
//! is reserved for examples and is not a real learning platform.

use crate::training::{DueRule, ModuleKind, RenewalRule};
use time::macros::date;
use time::{Date, Month};

/// The day the demo review dates were chosen around: a couple of modules are overdue for review
/// on this day, a couple are due soon, and the rest are in date.
pub const SEED_REFERENCE_DATE: Date = date!(2026 - 11 - 26);

/// The staff number of the demo MASH trainer (the person behind `demo-trainer` in
/// [`crate::demo::demo_accounts`]), who owns the force's own modules. A test keeps the two in step.
pub const TRAINER_STAFF_NUMBER: &str = "3620";

/// A module of the demo catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedModule {
    pub code: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub kind: ModuleKind,
    pub external_link: Option<&'static str>,
    pub duration_minutes: u32,
    pub version: &'static str,
    pub last_reviewed_on: Date,
    pub review_by: Date,
    /// Guidance and legislation the module relies on, from [`seed_guidance_tags`]: when one of
    /// them changes, these are the modules to review.
    pub tags: &'static [&'static str],
    /// Who keeps the content current; `None` for national packages the force does not own.
    pub owner_staff_number: Option<&'static str>,
    /// A CPD topic offered through the year rather than part of initial training.
    pub cpd_topic: bool,
}

/// The catalogue as the demo seeded on `today` shows it: every module's review dates moved by
/// the days from [`SEED_REFERENCE_DATE`] to `today`, so the review pages keep something in every
/// state whatever the day.
pub fn seed_modules_as_of(today: Date) -> Vec<SeedModule> {
    let shift = today - SEED_REFERENCE_DATE;
    seed_modules()
        .into_iter()
        .map(|m| SeedModule {
            last_reviewed_on: m.last_reviewed_on + shift,
            review_by: m.review_by + shift,
            ..m
        })
        .collect()
}

/// A role programme: the modules a person in the role must complete, with when and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedProfile {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// (module code, when it is first due, how it is renewed).
    pub items: Vec<(&'static str, DueRule, RenewalRule)>,
}

const CARE_ACT: &str = "Care Act 2014 s42";
const WORKING_TOGETHER: &str = "Working Together 2023";
const DARA: &str = "DARA";
const S47: &str = "Children Act 1989 s47";
const S17: &str = "Children Act 1989 s17";
const DA_ACT: &str = "Domestic Abuse Act 2021";
const CLARE: &str = "Clare's Law (DVDS)";
const SARAH: &str = "Sarah's Law (CSODS)";
const RISK_PRINCIPLES: &str = "College of Policing risk principles";
const NDM: &str = "National Decision Model";
const HOCR: &str = "Home Office Counting Rules / crime data integrity";
const MCA: &str = "Mental Capacity Act 2005";
const ENCOMPASS: &str = "Operation Encompass";
const GOLDEN_RULES: &str = "Information sharing golden rules 2024";
const DPA_PART3: &str = "Data Protection Act 2018 Part 3";
const THRIVE: &str = "THRIVE";
const MSP: &str = "Making Safeguarding Personal";
const RCRP: &str = "Right Care, Right Person";

/// Guidance and legislation that modules are tagged with, and what each is, in a line.
pub fn seed_guidance_tags() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            CARE_ACT,
            "The council's duty to make enquiries about an adult with care and support needs who is at risk of abuse or neglect and cannot protect themselves.",
        ),
        (
            WORKING_TOGETHER,
            "The statutory guidance on how agencies work together to safeguard children, including the one-working-day decision on a referral.",
        ),
        (
            DARA,
            "Domestic Abuse Risk Assessment: the College of Policing's risk tool for domestic abuse, replacing DASH, with more weight on coercive control.",
        ),
        (
            S47,
            "The council's duty to make enquiries when there is reasonable cause to suspect a child is suffering, or likely to suffer, significant harm.",
        ),
        (
            S17,
            "Services for children in need: the threshold below child protection where the council must still support the child.",
        ),
        (
            DA_ACT,
            "Makes children who see, hear or experience domestic abuse victims in their own right, and put the disclosure scheme guidance on a statutory footing.",
        ),
        (
            CLARE,
            "The Domestic Violence Disclosure Scheme: the right to ask and the right to know about a partner's history of abuse.",
        ),
        (
            SARAH,
            "The Child Sex Offender Disclosure Scheme: disclosure to the person best placed to protect a child.",
        ),
        (
            RISK_PRINCIPLES,
            "The ten principles of the College of Policing's risk guidance: decisions are judged on their quality, not their outcome.",
        ),
        (
            NDM,
            "The five-stage model, with the Code of Ethics at its centre, used to make, record and review decisions.",
        ),
        (
            HOCR,
            "The national rules for recording crime (now the Crime Recording Rules), including crimes disclosed through safeguarding routes.",
        ),
        (
            MCA,
            "The framework for deciding whether a person can make a decision and, if not, acting in their best interests.",
        ),
        (
            ENCOMPASS,
            "The duty on police to tell a child's school after a domestic abuse incident the child was exposed to.",
        ),
        (
            GOLDEN_RULES,
            "The government's 2024 advice for practitioners on sharing information to safeguard children.",
        ),
        (
            DPA_PART3,
            "Law-enforcement processing: the six principles, sensitive processing and logging of who viewed or shared data.",
        ),
        (
            THRIVE,
            "Threat, harm, risk, investigation, vulnerability, engagement: the structured way to judge vulnerability and the response.",
        ),
        (
            MSP,
            "The person-centred approach to adult safeguarding: ask the person what outcome they want, and seek their consent.",
        ),
        (
            RCRP,
            "The model for deciding when police, rather than health or social care, should respond to a welfare concern.",
        ),
    ]
}

/// The demo module catalogue: MASH initial training, frontline training, national e-learning
/// and the CPD topics offered through the year.
///
/// Review dates are as chosen around [`SEED_REFERENCE_DATE`]; [`seed_modules_as_of`] moves them
/// to another day.
pub fn seed_modules() -> Vec<SeedModule> {
    let own = Some(TRAINER_STAFF_NUMBER);
    let m = |code: &'static str,
             title: &'static str,
             summary: &'static str,
             kind: ModuleKind,
             duration_minutes: u32,
             version: &'static str,
             (last_reviewed_on, review_by): (Date, Date),
             tags: &'static [&'static str]| SeedModule {
        code,
        title,
        summary,
        kind,
        external_link: None,
        duration_minutes,
        version,
        last_reviewed_on,
        review_by,
        tags,
        owner_staff_number: own,
        cpd_topic: false,
    };
    let national = |link| SeedModule {
        external_link: Some(link),
        owner_staff_number: None,
        ..m(
            "",
            "",
            "",
            ModuleKind::ELearning,
            0,
            "",
            (SEED_REFERENCE_DATE, SEED_REFERENCE_DATE),
            &[],
        )
    };
    vec![
        // --- MASH initial training --------------------------------------------------------
        m(
            "MASH-IND",
            "MASH induction: history and role of the hub",
            "Why multi-agency safeguarding hubs exist, how ours works day to day, who sits in it and what each partner brings. Covers the journey of a referral from the officer's notice through police triage to the partner's decision, and where MASH staff fit.",
            ModuleKind::FaceToFace,
            180,
            "3.1",
            (date!(2026 - 05 - 12), date!(2027 - 05 - 12)),
            &[WORKING_TOGETHER, GOLDEN_RULES],
        ),
        m(
            "MASH-PPN-Q",
            "What a quality information-sharing form needs",
            "What partners need to act on a referral: identity and household, facts kept apart from opinion, the child's presentation and voice, household risk factors, consent and capacity for adults, the officer's grade with a reason, and a clear ask of the partner. Uses graded real-world style examples.",
            ModuleKind::FaceToFace,
            120,
            "2.4",
            (date!(2026 - 06 - 03), date!(2027 - 06 - 03)),
            &[GOLDEN_RULES, WORKING_TOGETHER, MCA],
        ),
        m(
            "MASH-CYP",
            "Children at risk: thresholds and strategy discussions",
            "The children's thresholds partners apply: children in need, significant harm and section 47 enquiries, and when a strategy discussion is held. Why consent is not needed to share when a child may be at risk, and how to describe a child's lived experience.",
            ModuleKind::FaceToFace,
            120,
            "2.0",
            (date!(2025 - 12 - 15), date!(2026 - 12 - 15)),
            &[S17, S47, WORKING_TOGETHER, GOLDEN_RULES],
        ),
        m(
            "MASH-AAR",
            "Adults at risk: section 42, consent and capacity",
            "The three-part test for an adult safeguarding enquiry, seeking consent in the spirit of Making Safeguarding Personal, when consent may be overridden and how to record why, and when a person's capacity should be assessed.",
            ModuleKind::FaceToFace,
            120,
            "1.3",
            (date!(2026 - 02 - 20), date!(2027 - 02 - 20)),
            &[CARE_ACT, MCA, MSP],
        ),
        m(
            "MASH-DA",
            "Domestic abuse, Clare's Law and Sarah's Law",
            "Domestic abuse in MASH work: coercive control, children as victims in their own right, risk assessment with DARA, and the two disclosure schemes: the right to ask and right to know under Clare's Law, and child sex offender disclosure under Sarah's Law.",
            ModuleKind::FaceToFace,
            180,
            "4.0",
            (date!(2026 - 04 - 08), date!(2027 - 04 - 08)),
            &[DA_ACT, DARA, CLARE, SARAH],
        ),
        m(
            "MASH-CDI",
            "Crime data integrity in the MASH",
            "Crimes disclosed in a referral must still be recorded. How the national recording rules apply to what MASH staff read, how to check that a notice describing an offence has a linked crime record, and what to do when it does not.",
            ModuleKind::VirtualSession,
            90,
            "1.2",
            (date!(2025 - 09 - 30), date!(2026 - 09 - 30)),
            &[HOCR],
        ),
        m(
            "MASH-RISK",
            "Risk: the ten risk principles and the National Decision Model",
            "Making and recording defensible decisions under uncertainty. Works through the College of Policing's ten risk principles and the five stages of the National Decision Model with MASH cases, including when to raise or lower a grade and how to write the rationale.",
            ModuleKind::FaceToFace,
            180,
            "2.2",
            (date!(2026 - 03 - 02), date!(2027 - 03 - 02)),
            &[RISK_PRINCIPLES, NDM, THRIVE],
        ),
        m(
            "MASH-NEG",
            "Child neglect",
            "Recognising neglect from what officers see and record: the state of the home, the child's presentation and who is caring for them. How patterns build across repeated low-level notices, and what children's services need to know to act.",
            ModuleKind::FaceToFace,
            120,
            "1.1",
            (date!(2026 - 01 - 10), date!(2027 - 01 - 10)),
            &[S17, S47, WORKING_TOGETHER],
        ),
        m(
            "MASH-MENTOR",
            "Mentored practice and sign-off",
            "A period of supervised casework with an experienced colleague, ending in sign-off by the mentor and then the line manager that the new member of staff can research and decide referrals on their own.",
            ModuleKind::Mentoring,
            1200,
            "1.0",
            (date!(2026 - 07 - 01), date!(2027 - 07 - 01)),
            &[],
        ),
        m(
            "DA-REFRESH",
            "Domestic abuse annual refresher",
            "A yearly update for staff who triage domestic abuse notices: changes to law and guidance, recent learning from reviews, and a refresher on DARA and the disclosure schemes. Run each spring so that everyone is current before the summer peak.",
            ModuleKind::VirtualSession,
            90,
            "2026.1",
            (date!(2026 - 03 - 16), date!(2027 - 03 - 16)),
            &[DA_ACT, DARA, CLARE, ENCOMPASS],
        ),
        // --- Frontline -----------------------------------------------------------------------
        m(
            "FL-PPN",
            "Frontline referral (PPN) input",
            "The three-hour input in initial training for new constables, PCSOs and police staff investigators: when a public protection notice is needed, what a good one contains, and what partners do with it. Delivered by the MASH trainer with MASH subject-matter experts.",
            ModuleKind::FaceToFace,
            180,
            "3.0",
            (date!(2026 - 08 - 19), date!(2027 - 08 - 19)),
            &[WORKING_TOGETHER, CARE_ACT, GOLDEN_RULES, ENCOMPASS],
        ),
        m(
            "FL-PPN-VID",
            "Frontline referral input: transferee recording",
            "A recording of the frontline referral input for officers and staff who transfer in from another force and missed it in their initial training. Watch it in full and record the completion.",
            ModuleKind::RecordedVideo,
            180,
            "3.0",
            (date!(2026 - 08 - 19), date!(2027 - 08 - 19)),
            &[WORKING_TOGETHER, CARE_ACT, GOLDEN_RULES, ENCOMPASS],
        ),
        m(
            "FL-ATTACH",
            "Second-year MASH attachment day",
            "A day in the MASH for officers in their second year. Includes a paper-feed exercise on a fictitious neglect case of two children, released piece by piece, and a mock strategy meeting with partners.",
            ModuleKind::Exercise,
            420,
            "1.4",
            (date!(2025 - 11 - 05), date!(2027 - 05 - 05)),
            &[S47, WORKING_TOGETHER, NDM],
        ),
        // --- National e-learning ---------------------------------------------------------------
        SeedModule {
            code: "EL-VULN",
            title: "Vulnerability and THRIVE (national e-learning)",
            summary: "The national package on recognising vulnerability and using THRIVE to judge the right response, with short scenarios. Records completion on the national platform; upload the certificate as evidence.",
            duration_minutes: 60,
            version: "2.0",
            last_reviewed_on: date!(2026 - 04 - 30),
            review_by: date!(2027 - 04 - 30),
            tags: &[THRIVE, RCRP],
            ..national("https://learning.example.org/courses/vulnerability-thrive")
        },
        SeedModule {
            code: "EL-DARA",
            title: "Domestic abuse risk assessment (national e-learning)",
            summary: "The national package introducing the DARA questions, how coercive control is explored, and how the officer's judgement sits alongside the tool.",
            duration_minutes: 90,
            version: "1.2",
            last_reviewed_on: date!(2026 - 01 - 20),
            review_by: date!(2027 - 07 - 20),
            tags: &[DARA, DA_ACT],
            ..national("https://learning.example.org/courses/dara-risk-assessment")
        },
        SeedModule {
            code: "EL-ENC",
            title: "Operation Encompass duty (national e-learning)",
            summary: "The statutory duty to notify a child's school after a domestic abuse incident: who is covered, what to send, and by when.",
            duration_minutes: 30,
            version: "1.0",
            last_reviewed_on: date!(2025 - 10 - 15),
            review_by: date!(2026 - 10 - 15),
            tags: &[ENCOMPASS, DA_ACT],
            ..national("https://learning.example.org/courses/operation-encompass")
        },
        SeedModule {
            code: "EL-INFO",
            title: "Sharing information to safeguard (national e-learning)",
            summary: "Lawful, necessary and proportionate sharing: the golden rules for practitioners, the law-enforcement data protection principles and recording the reasons for sharing or not sharing.",
            duration_minutes: 45,
            version: "3.1",
            last_reviewed_on: date!(2026 - 06 - 25),
            review_by: date!(2027 - 06 - 25),
            tags: &[GOLDEN_RULES, DPA_PART3],
            ..national("https://learning.example.org/courses/information-sharing")
        },
        SeedModule {
            code: "EL-CRS",
            title: "Crime recording standards (national e-learning)",
            summary: "The national package on the crime recording rules: the victim-focused approach, when a crime must be recorded and how it is classified.",
            duration_minutes: 60,
            version: "2.1",
            last_reviewed_on: date!(2026 - 09 - 01),
            review_by: date!(2027 - 09 - 01),
            tags: &[HOCR],
            ..national("https://learning.example.org/courses/crime-recording-standards")
        },
        // --- CPD topics ------------------------------------------------------------------------
        SeedModule {
            cpd_topic: true,
            ..m(
                "CPD-FIRE",
                "CPD: referrals to the fire service",
                "When and how to refer a person to the fire and rescue service for a home safety visit, with the signs of fire risk officers meet in safeguarding work: hoarding, smoking with oxygen, and people who cannot get out unaided.",
                ModuleKind::VirtualSession,
                60,
                "1.0",
                (date!(2026 - 02 - 05), date!(2027 - 02 - 05)),
                &[CARE_ACT],
            )
        },
        SeedModule {
            cpd_topic: true,
            ..m(
                "CPD-SUIC",
                "CPD: suicidal ideation",
                "Talking with a person who has thoughts of suicide, what to record, and which services to involve, including when a referral to partners is the right response and when it is not.",
                ModuleKind::FaceToFace,
                90,
                "1.1",
                (date!(2026 - 05 - 21), date!(2027 - 05 - 21)),
                &[MCA, RCRP],
            )
        },
        SeedModule {
            cpd_topic: true,
            ..m(
                "CPD-DA",
                "CPD: domestic abuse update",
                "An update on domestic abuse practice for MASH staff: recent changes to law and guidance, and learning from local reviews.",
                ModuleKind::VirtualSession,
                60,
                "2.0",
                (date!(2025 - 12 - 18), date!(2026 - 12 - 18)),
                &[DA_ACT, DARA],
            )
        },
        SeedModule {
            cpd_topic: true,
            ..m(
                "CPD-RISK",
                "CPD: risk assessment in practice",
                "Case discussions on grading risk: where our grades and partners' differ, how to write a rationale that stands up to review, and the risk principles in action.",
                ModuleKind::FaceToFace,
                90,
                "1.0",
                (date!(2026 - 07 - 14), date!(2027 - 07 - 14)),
                &[RISK_PRINCIPLES, NDM],
            )
        },
        SeedModule {
            cpd_topic: true,
            ..m(
                "CPD-STALK",
                "CPD: stalking",
                "Recognising stalking behind reports of harassment or nuisance contact, the risk it signals, and what partners need to know when it appears alongside domestic abuse.",
                ModuleKind::VirtualSession,
                60,
                "1.0",
                (date!(2026 - 09 - 09), date!(2027 - 09 - 09)),
                &[DA_ACT, DARA],
            )
        },
        SeedModule {
            cpd_topic: true,
            ..m(
                "CPD-MH",
                "CPD: mental health",
                "Mental health in safeguarding referrals: when capacity is in doubt, which services respond to what, and how to describe a person's presentation without guessing at a diagnosis.",
                ModuleKind::Reading,
                45,
                "1.2",
                (date!(2026 - 10 - 01), date!(2027 - 10 - 01)),
                &[MCA, RCRP, MSP],
            )
        },
    ]
}

/// The demo role programmes.
pub fn seed_profiles() -> Vec<SeedProfile> {
    use DueRule::{ByDate, WithinDays};
    const NONE: RenewalRule = RenewalRule::None;
    const YEARLY: RenewalRule = RenewalRule::Rolling { months: 12 };
    const TWO_YEARS: RenewalRule = RenewalRule::Rolling { months: 24 };
    const THREE_YEARS: RenewalRule = RenewalRule::Rolling { months: 36 };
    /// Every April to June, before the summer rise in domestic abuse.
    const SPRING: RenewalRule = RenewalRule::AnnualWindow {
        from: (Month::April, 1),
        to: (Month::June, 30),
    };
    /// Force-wide push after the statutory Operation Encompass guidance.
    const ENCOMPASS_BY: DueRule = ByDate(date!(2026 - 03 - 31));

    // The MASH core every MASH role starts with.
    let mash_core = || {
        vec![
            ("MASH-IND", WithinDays(30), NONE),
            ("MASH-PPN-Q", WithinDays(30), THREE_YEARS),
            ("EL-INFO", WithinDays(30), YEARLY),
            ("MASH-CYP", WithinDays(60), THREE_YEARS),
            ("MASH-AAR", WithinDays(60), THREE_YEARS),
            ("MASH-DA", WithinDays(60), TWO_YEARS),
            ("MASH-RISK", WithinDays(90), TWO_YEARS),
            ("MASH-CDI", WithinDays(90), TWO_YEARS),
            ("MASH-NEG", WithinDays(90), THREE_YEARS),
            ("MASH-MENTOR", WithinDays(180), NONE),
        ]
    };
    let with = |mut items: Vec<_>, more: &[(&'static str, DueRule, RenewalRule)]| {
        items.extend_from_slice(more);
        items
    };

    vec![
        SeedProfile {
            code: "MASH-RES",
            name: "MASH researcher",
            description: "Researches referrals across police systems and adds what partners need to decide. Completes the full MASH programme and is signed off by a mentor and line manager.",
            items: with(mash_core(), &[("EL-VULN", WithinDays(60), NONE)]),
        },
        SeedProfile {
            code: "MASH-DM",
            name: "MASH decision maker",
            description: "Confirms or changes the officer's grade, decides whether to share and with whom, and records the rationale. Needs the MASH programme with a stronger emphasis on risk.",
            items: with(
                mash_core(),
                &[
                    ("EL-VULN", WithinDays(60), NONE),
                    ("EL-DARA", WithinDays(90), THREE_YEARS),
                ],
            ),
        },
        SeedProfile {
            code: "MASH-SGT",
            name: "MASH sergeant",
            description: "Supervises the hub's police staff, signs off their training and is the escalation point for risk decisions and crime recording questions.",
            items: with(
                mash_core(),
                &[
                    ("EL-DARA", WithinDays(90), THREE_YEARS),
                    ("EL-CRS", WithinDays(90), TWO_YEARS),
                ],
            ),
        },
        SeedProfile {
            code: "DA-TRIAGE",
            name: "Domestic abuse triage",
            description: "Triages domestic abuse notices each morning and decides which partners to share with. Refreshes domestic abuse training every spring.",
            items: vec![
                ("MASH-IND", WithinDays(30), NONE),
                ("EL-INFO", WithinDays(30), YEARLY),
                ("MASH-DA", WithinDays(30), TWO_YEARS),
                ("EL-DARA", WithinDays(30), THREE_YEARS),
                ("MASH-RISK", WithinDays(90), TWO_YEARS),
                ("EL-ENC", WithinDays(30), THREE_YEARS),
                ("DA-REFRESH", WithinDays(120), SPRING),
                ("MASH-MENTOR", WithinDays(180), NONE),
            ],
        },
        SeedProfile {
            code: "FL-PC",
            name: "Frontline police constable",
            description: "A police constable in initial training or on response and neighbourhood teams: the referral input, the national packages and the second-year MASH attachment day.",
            items: vec![
                ("FL-PPN", WithinDays(180), NONE),
                ("EL-VULN", WithinDays(90), NONE),
                ("EL-DARA", WithinDays(180), THREE_YEARS),
                ("EL-ENC", ENCOMPASS_BY, THREE_YEARS),
                ("FL-ATTACH", WithinDays(730), NONE),
            ],
        },
        SeedProfile {
            code: "FL-PCSO",
            name: "Police community support officer",
            description: "A PCSO, who meets vulnerable people on patrol and must know when and how to refer them.",
            items: vec![
                ("FL-PPN", WithinDays(180), NONE),
                ("EL-VULN", WithinDays(90), NONE),
                ("EL-ENC", ENCOMPASS_BY, THREE_YEARS),
            ],
        },
        SeedProfile {
            code: "FL-PSI",
            name: "Police staff investigator",
            description: "A police staff investigator, who takes on crimes where safeguarding concerns often surface during the investigation.",
            items: vec![
                ("FL-PPN", WithinDays(180), NONE),
                ("EL-VULN", WithinDays(90), NONE),
                ("EL-CRS", WithinDays(90), TWO_YEARS),
                ("EL-DARA", WithinDays(180), THREE_YEARS),
            ],
        },
        SeedProfile {
            code: "TRANSFEREE",
            name: "Transferee",
            description: "An officer or member of staff who joined from another force and did not have the force's referral input in initial training: they watch the recording instead.",
            items: vec![
                ("FL-PPN-VID", WithinDays(90), NONE),
                ("EL-VULN", WithinDays(90), NONE),
                ("EL-DARA", WithinDays(90), THREE_YEARS),
                ("EL-ENC", WithinDays(90), THREE_YEARS),
            ],
        },
    ]
}

/// A module as the starter catalogue offers it to a new force: the demo's content at version
/// 1.0, with no owner (the force names one), no external link (the demo's point at an example
/// domain) and a first review due a year after the day it is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterModule {
    pub code: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub kind: ModuleKind,
    pub duration_minutes: u32,
    pub review_by: Date,
    pub tags: &'static [&'static str],
    pub cpd_topic: bool,
}

/// What `mashboard catalogue starter` (and the button on an empty catalogue) adds on `today`:
/// the demo's modules, its role programmes and the guidance tags they use.
///
/// A programme item due by a fixed date that has already passed would make everyone overdue on
/// the first day, so such items become "within 90 days of starting the role" instead.
pub fn starter_catalogue(today: Date) -> StarterCatalogue {
    let modules = seed_modules()
        .into_iter()
        .map(|m| StarterModule {
            code: m.code,
            title: m.title,
            summary: m.summary,
            kind: m.kind,
            duration_minutes: m.duration_minutes,
            review_by: crate::training::add_months(today, 12),
            tags: m.tags,
            cpd_topic: m.cpd_topic,
        })
        .collect();
    let profiles = seed_profiles()
        .into_iter()
        .map(|p| SeedProfile {
            items: p
                .items
                .into_iter()
                .map(|(code, due, renewal)| {
                    let due = match due {
                        DueRule::ByDate(d) if d < today => DueRule::WithinDays(STARTER_LATE_DAYS),
                        other => other,
                    };
                    (code, due, renewal)
                })
                .collect(),
            ..p
        })
        .collect();
    StarterCatalogue {
        tags: seed_guidance_tags(),
        modules,
        profiles,
    }
}

/// The days a starter programme gives for an item whose demo date has passed.
pub const STARTER_LATE_DAYS: u32 = 90;

/// The starter catalogue: guidance tags, modules and role programmes.
#[derive(Debug, Clone)]
pub struct StarterCatalogue {
    pub tags: Vec<(&'static str, &'static str)>,
    pub modules: Vec<StarterModule>,
    pub profiles: Vec<SeedProfile>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::{parse_version, review_state, ReviewState, DEFAULT_REVIEW_WARN_DAYS};
    use std::collections::HashSet;

    #[test]
    fn the_owner_is_the_demo_trainer() {
        let trainer = crate::demo::demo_accounts()
            .into_iter()
            .find(|a| a.username == "demo-trainer")
            .unwrap();
        assert_eq!(trainer.staff_number.as_str(), TRAINER_STAFF_NUMBER);
        for m in seed_modules() {
            if let Some(owner) = m.owner_staff_number {
                assert_eq!(owner, TRAINER_STAFF_NUMBER, "{}", m.code);
            }
        }
    }

    #[test]
    fn module_codes_are_unique_and_fields_are_sensible() {
        let modules = seed_modules();
        let codes: HashSet<_> = modules.iter().map(|m| m.code).collect();
        assert_eq!(codes.len(), modules.len());
        for m in &modules {
            assert!(!m.code.is_empty() && !m.title.is_empty(), "{m:?}");
            assert!(!m.summary.trim().is_empty(), "{}", m.code);
            assert!(m.summary.chars().count() < 600, "{}", m.code);
            assert!(m.duration_minutes > 0, "{}", m.code);
            parse_version(m.version).unwrap_or_else(|e| panic!("{}: {e}", m.code));
            assert!(m.last_reviewed_on < m.review_by, "{}", m.code);
            assert!(m.last_reviewed_on <= SEED_REFERENCE_DATE, "{}", m.code);
            match m.kind {
                ModuleKind::ELearning => {
                    let link = m.external_link.unwrap_or_else(|| panic!("{}", m.code));
                    assert!(
                        link.starts_with("https://learning.example.org/"),
                        "{}",
                        m.code
                    );
                    assert_eq!(m.owner_staff_number, None, "{}", m.code);
                }
                _ => assert_eq!(m.external_link, None, "{}", m.code),
            }
        }
        let find = |code| modules.iter().find(|m| m.code == code).unwrap();
        assert_eq!(find("FL-PPN").duration_minutes, 180);
        assert_eq!(find("FL-PPN-VID").kind, ModuleKind::RecordedVideo);
        assert_eq!(find("FL-ATTACH").kind, ModuleKind::Exercise);
        assert_eq!(find("MASH-MENTOR").kind, ModuleKind::Mentoring);
    }

    #[test]
    fn the_six_cpd_topics_are_there() {
        let cpd: Vec<_> = seed_modules()
            .into_iter()
            .filter(|m| m.cpd_topic)
            .map(|m| m.code)
            .collect();
        assert_eq!(
            cpd,
            [
                "CPD-FIRE",
                "CPD-SUIC",
                "CPD-DA",
                "CPD-RISK",
                "CPD-STALK",
                "CPD-MH"
            ]
        );
    }

    #[test]
    fn review_dates_are_spread_across_every_state() {
        for today in [
            SEED_REFERENCE_DATE,
            date!(2026 - 12 - 06),
            date!(2027 - 05 - 15),
        ] {
            review_dates_are_spread_on(today);
        }
    }

    fn review_dates_are_spread_on(today: Date) {
        let modules = seed_modules_as_of(today);
        assert!(modules.iter().all(|m| m.last_reviewed_on <= today));
        let count = |want| {
            modules
                .iter()
                .filter(|m| {
                    review_state(Some(m.review_by), today, DEFAULT_REVIEW_WARN_DAYS) == want
                })
                .count()
        };
        let (overdue, soon, in_date) = (
            count(ReviewState::Overdue),
            count(ReviewState::DueSoon),
            count(ReviewState::InDate),
        );
        assert!(overdue >= 2, "{overdue}");
        assert!(soon >= 2, "{soon}");
        assert!(
            in_date * 2 > modules.len(),
            "{in_date} of {}",
            modules.len()
        );
    }

    #[test]
    fn profiles_name_existing_modules_and_have_enough_items() {
        let modules: HashSet<_> = seed_modules().into_iter().map(|m| m.code).collect();
        let profiles = seed_profiles();
        let codes: HashSet<_> = profiles.iter().map(|p| p.code).collect();
        assert_eq!(codes.len(), profiles.len());
        assert_eq!(profiles.len(), 8);
        for p in &profiles {
            assert!(p.items.len() >= 3, "{}", p.code);
            assert!(!p.name.is_empty(), "{}", p.code);
            assert!(!p.description.trim().is_empty(), "{}", p.code);
            assert!(p.description.chars().count() < 600, "{}", p.code);
            let mut seen = HashSet::new();
            for (module, due, renewal) in &p.items {
                assert!(modules.contains(module), "{}: {module}", p.code);
                assert!(seen.insert(*module), "{}: {module} twice", p.code);
                assert_eq!(DueRule::parse(&due.encode()).as_ref(), Ok(due));
                assert_eq!(RenewalRule::parse(&renewal.encode()).as_ref(), Ok(renewal));
            }
        }
    }

    #[test]
    fn the_programmes_carry_the_rules_the_practice_describes() {
        let profiles = seed_profiles();
        let item = |profile: &str, module: &str| {
            let p = profiles.iter().find(|p| p.code == profile).unwrap();
            let (_, due, renewal) = p.items.iter().find(|(m, _, _)| *m == module).unwrap();
            (*due, *renewal)
        };
        assert_eq!(item("MASH-RES", "MASH-IND").0, DueRule::WithinDays(30));
        assert_eq!(item("MASH-DM", "MASH-RISK").0, DueRule::WithinDays(90));
        assert_eq!(item("FL-PC", "FL-PPN").0, DueRule::WithinDays(180));
        assert_eq!(
            item("DA-TRIAGE", "DA-REFRESH").1.describe(),
            "every year between 1 April and 30 June"
        );
        assert!(matches!(item("FL-PC", "EL-ENC").0, DueRule::ByDate(_)));
        assert_eq!(item("TRANSFEREE", "FL-PPN-VID").1, RenewalRule::None);
        for p in &profiles {
            let mash = p.code.starts_with("MASH-") || p.code == "DA-TRIAGE";
            let signs_off = p.items.iter().any(|(m, _, _)| *m == "MASH-MENTOR");
            assert_eq!(mash, signs_off, "{}", p.code);
        }
    }

    #[test]
    fn tags_used_by_modules_are_known_and_described() {
        let tags = seed_guidance_tags();
        let names: HashSet<_> = tags.iter().map(|(t, _)| *t).collect();
        assert_eq!(names.len(), tags.len());
        for (tag, description) in &tags {
            assert!(!tag.trim().is_empty());
            assert!(!description.trim().is_empty(), "{tag}");
            assert!(description.chars().count() < 600, "{tag}");
        }
        let mut used = HashSet::new();
        for m in seed_modules() {
            for tag in m.tags {
                assert!(names.contains(tag), "{}: unknown tag {tag}", m.code);
                used.insert(*tag);
            }
        }
        for required in [
            CARE_ACT,
            WORKING_TOGETHER,
            DARA,
            S47,
            CLARE,
            SARAH,
            NDM,
            HOCR,
        ] {
            assert!(used.contains(required), "{required} tags no module");
        }
    }

    #[test]
    fn starter_catalogue_has_the_frontline_module_and_no_past_fixed_dates() {
        let today = date!(2027 - 06 - 01);
        let s = starter_catalogue(today);
        assert!(s.modules.iter().any(|m| m.code == "FL-PPN"));
        assert_eq!(s.modules.len(), seed_modules().len());
        assert!(s
            .modules
            .iter()
            .all(|m| m.review_by == date!(2028 - 06 - 01)));
        let codes: HashSet<_> = s.modules.iter().map(|m| m.code).collect();
        for p in &s.profiles {
            for (code, due, _) in &p.items {
                assert!(
                    codes.contains(code),
                    "{}: {code} is not in the starter",
                    p.code
                );
                if let DueRule::ByDate(d) = due {
                    assert!(*d >= today, "{}: {code} due by {d}, already past", p.code);
                }
            }
        }
        // The Operation Encompass push (by 31 March 2026) becomes 90 days from starting.
        let early = starter_catalogue(date!(2026 - 01 - 01));
        assert!(early
            .profiles
            .iter()
            .flat_map(|p| &p.items)
            .any(|(_, due, _)| matches!(due, DueRule::ByDate(_))));
        assert!(s
            .profiles
            .iter()
            .flat_map(|p| &p.items)
            .any(|(_, due, _)| *due == DueRule::WithinDays(STARTER_LATE_DAYS)));
    }
}
