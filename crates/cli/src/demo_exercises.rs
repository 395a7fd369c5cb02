//! Demo exercise runs: the shipped attachment-day scenario and two completed runs (one in 2024,
//! one in 2025) with teams of demo officers and partner participants, answers, observer notes and
//! the strategy-meeting record, so the debriefs have something to show. Running it again adds
//! nothing.

use anyhow::{Context, Result};
use mashboard_store::audit_trail::Actor;
use mashboard_store::exercises::{self as ex, NewPartner, NewRun, NewTeam};
use mashboard_store::Store;

struct DemoRun {
    title: &'static str,
    day: &'static str,
    /// Partner participants of the first and second team.
    partners: [(&'static str, &'static str); 2],
    partner_account: Option<&'static str>,
}

const RUNS: [DemoRun; 2] = [
    DemoRun {
        title: "Attachment day, March 2024",
        day: "2024-03-14",
        partners: [
            ("Priya Natt", "Eastbrook children's services"),
            ("Tom Okafor", "Eastbrook community health"),
        ],
        partner_account: None,
    },
    DemoRun {
        title: "Attachment day, May 2025",
        day: "2025-05-21",
        partners: [
            ("Grace Alder", "Eastbrook Meadow Primary (DSL)"),
            ("Owen Pryce", "Eastbrook children's services"),
        ],
        partner_account: Some("demo-partner"),
    },
];

/// The first sentence of a model answer: what a good team writes in a hurry.
fn first_sentence(s: &str) -> String {
    match s.find(". ") {
        Some(i) => s[..=i].to_string(),
        None => s.to_string(),
    }
}

const SECOND_TEAM: [&str; 6] = [
    "Two young children left alone at night, no food and a cold house. Kai says it happens every Saturday.",
    "This is the third time: park in August, argument last March. Mum's ex-partner linked to drugs.",
    "Kai is hungry at school and late on Mondays: it fits what he told officers.",
    "Poppy's weight has dropped and she was not brought to appointments.",
    "Mum wants help but has not changed before; write down exactly what the children said.",
    "Section 47 enquiry with a police investigation alongside; safety plan covering weekends.",
];

fn rand_source() -> ex::OsRandom {
    ex::OsRandom
}

pub async fn seed(store: &Store) -> Result<()> {
    ex::ensure_scenarios(store).await?;
    let Some(scenario) = ex::list_scenarios(store).await?.into_iter().next() else {
        return Ok(());
    };
    let sc = ex::scenario(store, scenario.id)
        .await?
        .context("the shipped scenario")?;
    let existing: Vec<String> = ex::list_runs(store)
        .await?
        .into_iter()
        .map(|r| r.title)
        .collect();
    let officers = ex::demo_officers(store).await?;
    let trainer = mashboard_store::accounts::by_username(store, "demo-trainer").await?;
    let actor = match &trainer {
        Some(a) => Actor::user(a.id, &a.username),
        None => Actor::system(),
    };
    for (n, plan) in RUNS.iter().enumerate() {
        if existing.iter().any(|t| t == plan.title) {
            continue;
        }
        let pick = |k: usize| -> Vec<String> {
            officers
                .iter()
                .skip(n * 6 + k * 3)
                .take(3)
                .cloned()
                .collect()
        };
        let partner_user = match plan.partner_account {
            Some(u)
                if mashboard_store::accounts::by_username(store, u)
                    .await?
                    .is_some() =>
            {
                vec![u.to_string()]
            }
            _ => Vec::new(),
        };
        let attachment_day = ex::attachment_day_on(store, plan.day).await?;
        let start = format!("{}T09:30:00.000000Z", plan.day);
        let new = NewRun {
            scenario_id: sc.id,
            title: plan.title.into(),
            attachment_day_id: attachment_day,
            started_at: Some(start.clone()),
            co_facilitators: Vec::new(),
            teams: vec![
                NewTeam {
                    name: "Team Oak".into(),
                    members: pick(0),
                    partners: vec![NewPartner {
                        name: plan.partners[0].0.into(),
                        organisation: plan.partners[0].1.into(),
                    }],
                    usernames: Vec::new(),
                },
                NewTeam {
                    name: "Team Birch".into(),
                    members: pick(1),
                    partners: vec![NewPartner {
                        name: plan.partners[1].0.into(),
                        organisation: plan.partners[1].1.into(),
                    }],
                    usernames: partner_user,
                },
            ],
        };
        let (run_id, teams) = ex::create_run(store, &actor, &new, &mut rand_source())
            .await
            .with_context(|| format!("demo exercise run {}", plan.title))?;
        for st in &sc.stages {
            ex::release(store, &actor, run_id, st.stage, None).await?;
            for (qi, q) in st.questions.iter().enumerate() {
                let a = first_sentence(&q.model_answer);
                ex::save_answer(store, &actor, run_id, teams[0].id, q.id, &a).await?;
                if qi == 0 {
                    let b = SECOND_TEAM[(st.stage as usize - 1).min(5)];
                    ex::save_answer(store, &actor, run_id, teams[1].id, q.id, b).await?;
                }
            }
        }
        ex::add_note(
            store,
            &actor,
            run_id,
            Some(1),
            Some(teams[0].id),
            "Used Kai's own words and separated what was seen from what was said.",
        )
        .await?;
        ex::add_note(store, &actor, run_id, Some(2), Some(teams[1].id), "Spotted the pattern of three concerns quickly; needed prompting about Lee Graves's role.").await?;
        ex::add_note(store, &actor, run_id, Some(4), None, "Both teams slow to name Poppy's faltering weight as neglect: revisit 'was not brought'.").await?;
        ex::save_meeting(
            store,
            &actor,
            run_id,
            "Police (MASH), children's services (chair and social worker), health (MASH health practitioner, health visitor), education (school DSL)",
            "Three police concerns in 18 months; Kai's hunger, soiled uniform and 84% attendance; Poppy's weight from 50th to 9th centile and missed appointments; mother's mental health and alcohol; ex-partner's class A arrest.",
            "Threshold for section 47 met. Single-agency assessment by children's services with a police neglect investigation alongside. Safety plan with grandmother covering weekends. Consider an initial child protection conference.",
        )
        .await?;
        for (a, owner, due) in [
            (
                "Section 47 enquiry and safety plan with mother and grandmother",
                "Social worker",
                "within 24 hours",
            ),
            (
                "Investigate possible child neglect; check Lee Graves's contact with the children",
                "Police MASH sergeant",
                "within 5 days",
            ),
            (
                "Paediatric review of Poppy's weight",
                "Health visitor",
                "within a week",
            ),
            (
                "Daily check-in with Kai; report any absence the same day",
                "School DSL",
                "from tomorrow",
            ),
        ] {
            ex::add_action(store, &actor, run_id, a, owner, due).await?;
        }
        ex::end_run(store, &actor, run_id).await?;
        ex::backdate_demo_run(store, run_id, plan.day).await?;
    }
    Ok(())
}
