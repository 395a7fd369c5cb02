//! The shipped MASH attachment-day scenario: a fictitious neglect case of two children, written
//! for this project from the practice described in the domain brief. Every name, address and
//! place in it is invented (the town of "Eastbrook" does not exist).

/// A scenario as shipped: stages ("injects") in order, numbered from 1.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub code: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub stages: &'static [Stage],
}

#[derive(Debug, Clone, Copy)]
pub struct Stage {
    pub title: &'static str,
    /// What the teams are told.
    pub briefing: &'static str,
    pub attachments: &'static [Attachment],
    pub questions: &'static [Question],
    /// For the facilitator only.
    pub facilitator_notes: &'static str,
    /// The mock strategy meeting (the last stage).
    pub strategy_meeting: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Attachment {
    pub title: &'static str,
    pub body: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct Question {
    pub text: &'static str,
    /// The facilitator's model answer.
    pub model_answer: &'static str,
}

/// The shipped scenarios (one today).
pub fn shipped() -> &'static [Scenario] {
    &[ATTACHMENT_DAY]
}

/// The attachment-day paper-feed exercise.
pub const ATTACHMENT_DAY: Scenario = Scenario {
    code: "attachment-day-neglect-v1",
    title: "Attachment day: the Harlow Close children (neglect)",
    summary: "A fictitious paper-feed exercise for the MASH attachment day. Teams follow concerns about two children, Kai (7) and Poppy (3) Marston, from a late-night call to the mock strategy meeting. All names and places are invented.",
    stages: &[
        Stage {
            title: "The call to Harlow Close",
            briefing: "Saturday, 23:40. Officers attend 14 Harlow Close, Eastbrook, after a neighbour reports two young children crying for over an hour and no adult answering the door. Read the incident log. You are the attending officers' supervisor reviewing it before the end of the shift.",
            attachments: &[Attachment {
                title: "Mock incident log EB-1187 (extract)",
                body: "23:41 Call from neighbour at 12 Harlow Close: children crying next door for over an hour, lights off, no answer.\n23:58 PC 4471 and PC 5023 attend. Front door unlocked. Kai MARSTON (7) opens inner door; Poppy MARSTON (3) on sofa in a wet nappy, no other adult present.\n00:05 House cold; no food in the fridge except a part-used carton of milk past its date; dog faeces on kitchen floor; mattress on bedroom floor with no bedding.\n00:12 Kai says Mum 'went to see her friend' at teatime and told him to look after Poppy. Says this 'happens on Saturdays'. Kai has not eaten since school dinner on Friday, he says.\n00:31 Mother Danielle MARSTON (29) returns, smells of alcohol, says she was only gone 'twenty minutes'. Becomes upset; says the children's father is 'not around'.\n00:40 Officers remain until maternal grandmother Carol PIKE arrives. Children checked: no visible injuries. PPN to be submitted.",
            }],
            questions: &[
                Question {
                    text: "What do you know about the children's lived experience tonight? Separate what officers saw from what they were told.",
                    model_answer: "Seen: two children alone at night, Poppy (3) in a wet nappy, cold house, no food, dog faeces, a mattress without bedding. Told: Kai says Mum left at teatime, that this happens on Saturdays and that he has not eaten since Friday lunch. Mother says she was out for twenty minutes, which conflicts with the neighbour's hour of crying. Kai, aged 7, is acting as carer for a 3-year-old.",
                },
                Question {
                    text: "What risk grade would you give the PPN, and why?",
                    model_answer: "Red/high (or amber at minimum, with reasons): children under 8 left alone at night, a pattern described by the child, signs of chronic neglect in the home (not a one-off), and a parent under the influence on return. Immediate safety was secured by the grandmother, but the pattern needs children's services today, not a routine share.",
                },
                Question {
                    text: "What immediate actions should the officers have taken or recorded before leaving?",
                    model_answer: "Check the children for injury and record their presentation and what they said in their own words; ensure a safe adult stays (grandmother) and record her details; consider police protection powers if no safe adult; research household members on police systems; record the state of the home with body-worn video; submit the PPN before the end of the shift; consider a crime of child neglect/cruelty (s1 Children and Young Persons Act 1933).",
                },
            ],
            facilitator_notes: "Look for teams who separate fact from opinion and who use the child's words. Push teams who stop at 'no injuries': neglect rarely shows as injury. Ask: what would Poppy tell us if she could?",
            strategy_meeting: false,
        },
        Stage {
            title: "The MASH research",
            briefing: "Monday, 08:30. The PPN has reached the MASH. You are the police researcher. Your checks on police systems return the previous referral summary below.",
            attachments: &[Attachment {
                title: "Previous referral summary (police systems)",
                body: "March last year: PPN (green) after a verbal argument between Danielle MARSTON and partner Lee GRAVES at 14 Harlow Close; children present; no offences. Shared with the children's front door; closed with advice.\nAugust last year: PPN (amber) after a report that Kai, then 6, was found alone in the local park at 20:30. Mother said he had 'run off'. Shared; closed after a single visit.\nOctober last year: Lee GRAVES arrested for possession of class A drugs at an address in Eastbrook; recorded address 14 Harlow Close.\nNo current child protection plan. No record of the children's father.",
            }],
            questions: &[
                Question {
                    text: "Which earlier information changes your view of Saturday's incident, and why?",
                    model_answer: "Saturday is the third concern in 18 months about the children's supervision, with an escalating pattern (green, amber, now red). Lee Graves, a partner with a recent class A drugs arrest, is linked to the address; his current role in the household is unknown. Each earlier incident was closed on its own: together they show cumulative neglect.",
                },
                Question {
                    text: "What further checks would you ask for, and from whom?",
                    model_answer: "Children's services (previous assessments, any open episode); health (health visitor for Poppy, GP registration, missed appointments); education (Kai's attendance, presentation, concerns); probation or custody records for Lee Graves; housing (tenancy, complaints). Check whether Lee Graves still lives there or visits.",
                },
                Question {
                    text: "Is this a child in need (section 17) matter or do you suspect significant harm (section 47)? Give reasons.",
                    model_answer: "Reasonable cause to suspect significant harm through neglect: repeated lack of supervision of very young children, a home that does not meet basic needs, parental alcohol use and a link to class A drugs. That meets the threshold for a strategy discussion under section 47, not advice alone.",
                },
            ],
            facilitator_notes: "The learning point is cumulative harm: three 'low' incidents closed one at a time. Ask the teams who would have joined the dots if the MASH had not.",
            strategy_meeting: false,
        },
        Stage {
            title: "The school's concern note",
            briefing: "Monday, 10:15. The MASH education officer shares the note below from the Designated Safeguarding Lead at Kai's school.",
            attachments: &[Attachment {
                title: "Eastbrook Meadow Primary: concern note (DSL)",
                body: "Pupil: Kai MARSTON, Year 3.\nAttendance this term 84% (persistent absence threshold 90%). Often late on Mondays.\nKai regularly arrives hungry and asks for extra toast at breakfast club; staff have given him spare uniform twice because his was soiled.\nOn Friday Kai told his teacher he 'has to be the grown-up at the weekend'. He was anxious at home time.\nMother has not attended two parents' evenings. School has not raised these concerns with children's services before; they were logged internally.",
            }],
            questions: &[
                Question {
                    text: "What does the school's information add to the picture of the children's daily life?",
                    model_answer: "It shows the neglect is ongoing, not a single night: hunger, soiled uniform, falling attendance, Monday lateness (after the weekends Kai describes) and his own words about being 'the grown-up'. It corroborates what Kai told officers.",
                },
                Question {
                    text: "What should the MASH share back with the school, and what should the school not do?",
                    model_answer: "Share only what the school needs to support Kai (that police attended a concern for his welfare at the weekend and that the MASH is assessing), on a need-to-know basis and recorded with the reason. The school should not approach the mother about the police information or question Kai; it should keep recording and pass on any new concern at once.",
                },
            ],
            facilitator_notes: "Draw out that the school held concerns internally. Discuss Operation Encompass as a model of timely notification, and why partners should not confront parents with police information.",
            strategy_meeting: false,
        },
        Stage {
            title: "The health visitor's note",
            briefing: "Monday, 11:00. The MASH health practitioner adds the health visitor's record for Poppy.",
            attachments: &[Attachment {
                title: "Health visiting record (summary): Poppy MARSTON",
                body: "2-year review: not brought to two appointments; seen at third attempt at home.\nAt home visit: Poppy's speech delayed for her age; weight dropped from the 50th to the 9th centile over 12 months; nappy rash. Home cluttered, a strong smell of cannabis.\nMother said she 'struggles with her nerves' and has stopped taking prescribed medication.\nReferral to speech and language therapy made; family not brought to the appointment.\nGP registered; no attendance for 10 months. Immunisations incomplete.",
            }],
            questions: &[
                Question {
                    text: "Which parental factors affecting care can you now identify?",
                    model_answer: "Possible maternal mental ill health with medication stopped; alcohol use (Saturday) and cannabis in the home; a link to class A drugs via Lee Graves; isolation (father absent, grandmother's role unclear). These are the household risk factors partners ask police to name.",
                },
                Question {
                    text: "What does 'was not brought' tell you about Poppy's needs being met?",
                    model_answer: "Poppy cannot bring herself: missed appointments, incomplete immunisations, faltering weight and delayed speech show her health and developmental needs are not being met by her carer. Record it as the child not being brought, which keeps the focus on the child.",
                },
                Question {
                    text: "Does anything here need action before a strategy meeting can be held?",
                    model_answer: "Consider whether the children are safe today: who is caring for them, whether the grandmother can stay, and whether a paediatric assessment of Poppy's weight loss is needed. If the children are at immediate risk, a strategy discussion should happen the same day and police protection remains an option.",
                },
            ],
            facilitator_notes: "Check teams understand 'was not brought' language and faltering growth as a neglect indicator. Ask who in the room would speak for Poppy at the meeting.",
            strategy_meeting: false,
        },
        Stage {
            title: "The mother's account",
            briefing: "Monday, 14:00. A social worker and a police officer visited 14 Harlow Close together. Their short update follows.",
            attachments: &[Attachment {
                title: "Joint visit update",
                body: "Danielle MARSTON accepts she left the children 'for a bit longer than she said'. She says Lee GRAVES moved out in the summer but 'pops round'. She is tearful, says she is not coping and would accept help.\nThe fridge now holds food bought by the grandmother. Poppy is quiet and watchful and did not approach her mother. Kai asked the officer whether 'Mum will get in trouble'.\nCarol PIKE (grandmother) is willing to have the children stay with her for a few nights but works nights at the weekend.",
            }],
            questions: &[
                Question {
                    text: "How do you weigh the mother's wish to accept help against the risk to the children?",
                    model_answer: "Her engagement is a strength to build on, but the pattern is long-standing and earlier offers of support did not change the children's daily life. Judge by what changes for Kai and Poppy, not by what is promised; plan with her, with clear expectations and review points.",
                },
                Question {
                    text: "What do Kai's and Poppy's reactions tell you, and how would you record them?",
                    model_answer: "Poppy's watchfulness and not seeking comfort from her mother, and Kai's worry about Mum being in trouble (a child carrying adult responsibility), are part of the voice of the child. Record exactly what was seen and said, in the children's words, with the time and who was present.",
                },
            ],
            facilitator_notes: "Avoid teams swinging to either extreme (removal or 'she is engaging, close it'). Ask about the weekend gap in the grandmother's offer.",
            strategy_meeting: false,
        },
        Stage {
            title: "The mock strategy meeting",
            briefing: "Monday, 16:00. The strategy meeting for Kai and Poppy Marston. Chair: the children's services team manager. Present: police (MASH), health (MASH health practitioner and health visitor), education (the school's DSL), and the social worker. Each team plays one agency's part, then the room agrees the decisions and actions with named owners.",
            attachments: &[Attachment {
                title: "Meeting agenda",
                body: "1. Purpose and confidentiality.\n2. Information from each agency (facts first, then analysis).\n3. The children's lived experience and voice.\n4. Decision: section 47 enquiry? Single or joint agency? Criminal investigation?\n5. Immediate safety plan, including weekends.\n6. Actions, owners and dates.\n7. What to tell the family, and when.",
            }],
            questions: &[
                Question {
                    text: "Which agencies are present, and what does each bring to the meeting?",
                    model_answer: "Police: the incident, the history (three concerns, Lee Graves's arrest), the children's words. Children's services: any previous assessments and the joint visit. Health: Poppy's faltering growth, missed appointments, mother's mental health. Education: Kai's attendance, hunger, soiled uniform and his words at school.",
                },
                Question {
                    text: "What decisions should the meeting reach?",
                    model_answer: "A section 47 enquiry is needed (threshold of suspected significant harm met through neglect). A single-agency (children's services) assessment led by the social worker, with a police investigation of possible child neglect running alongside and coordinated. An immediate safety plan covering the weekends. Consider an initial child protection conference.",
                },
                Question {
                    text: "List the actions, each with an owner and a date.",
                    model_answer: "Social worker: section 47 enquiry and safety plan with mother and grandmother, within 24 hours. Police: investigate possible neglect, check Lee Graves's contact with the children, within 5 days. Health visitor: paediatric review of Poppy's weight, within a week. School DSL: daily check-in with Kai and report absences the same day. Chair: consider an initial child protection conference within 15 working days.",
                },
                Question {
                    text: "What will the family be told, and by whom?",
                    model_answer: "The social worker tells the mother (and grandmother) about the section 47 enquiry and the safety plan, unless telling them would put the children at risk or prejudice the police investigation; police agree the timing if a criminal investigation is under way. Kai is spoken to in a way that suits his age.",
                },
            ],
            facilitator_notes: "Record the meeting on the console: agencies present, information shared, decisions and actions with owners. Debrief on whether every action has an owner and a date, and whether anyone spoke for Poppy.",
            strategy_meeting: true,
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_scenario_is_well_formed() {
        for s in shipped() {
            assert!((5..=6).contains(&s.stages.len()), "{}", s.code);
            let last = s.stages.last().unwrap();
            assert!(
                last.strategy_meeting,
                "the last stage is the strategy meeting"
            );
            assert_eq!(
                s.stages.iter().filter(|st| st.strategy_meeting).count(),
                1,
                "exactly one strategy meeting"
            );
            for st in s.stages {
                assert!((2..=4).contains(&st.questions.len()), "{}", st.title);
                assert!(!st.attachments.is_empty(), "{}", st.title);
                assert!(st.questions.iter().all(|q| !q.model_answer.is_empty()));
            }
        }
    }
}
