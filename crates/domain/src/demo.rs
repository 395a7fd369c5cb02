//! The "Demo Constabulary": a made-up English police force of about 300 people, and the nine
//! demo accounts that sign in as some of them.
//!
//! Everything is built from fixed lists and arithmetic, so every call on every machine gives the
//! same people with the same staff numbers. Nobody here is a real person.
//!
//! The shape of the force: a command team; Response and Neighbourhood Policing under local
//! policing; CID, Major Crime and Public Protection (including a MASH of about twenty) under crime
//! and safeguarding; Firearms, Roads Policing, the Special Constabulary and the Contact Centre
//! under operational support; Professional Standards; Information Services; and three reviewers
//! from partner agencies. Line management runs from sergeants (or police staff supervisors) up to
//! the chief superintendent, who has no line manager here; partner reviewers have none either.
//! New starters (joined 2024 or later) and MASH staff have mentors from experienced colleagues in
//! their own department.

use crate::people::{PersonInput, StaffNumber};
use crate::roles::Role;
use time::{Date, Month, Weekday};

pub const DEMO_FORCE_NAME: &str = "Demo Constabulary";
pub const DEMO_PASSWORD: &str = "demo-password";
/// The partner agency of the demo's partner reviewer (demo-partner, from the children's social
/// care front door), as the register names it: they see and record that agency's outcomes.
pub const DEMO_PARTNER_AGENCY: &str = "Children's social care";

/// A sign-in for the demo, linked to a person in [`demo_people`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: &'static str,
    pub roles: Vec<Role>,
    pub staff_number: StaffNumber,
    /// One line saying who they are.
    pub description: &'static str,
}

/// The people of the Demo Constabulary, managers before the people they manage.
pub fn demo_people() -> Vec<PersonInput> {
    build().0
}

/// The nine demo accounts, one per role, each linked to a different person.
pub fn demo_accounts() -> Vec<DemoAccount> {
    let (people, keys) = build();
    let number = |i: usize| people[i].staff_number.clone();
    let account = |username, role, person, description| DemoAccount {
        username,
        roles: vec![role],
        staff_number: number(person),
        description,
    };
    vec![
        account(
            "demo-admin",
            Role::Administrator,
            keys.admin,
            "A police staff systems administrator in Information Services",
        ),
        account(
            "demo-trainer",
            Role::MashTrainer,
            keys.trainer,
            "The MASH trainer, a sergeant in Public Protection",
        ),
        account(
            "demo-mash",
            Role::MashStaff,
            keys.mash,
            "A MASH researcher in the domestic abuse triage team, joined in 2025, mentored by demo-mentor and managed by demo-manager",
        ),
        account(
            "demo-mentor",
            Role::Mentor,
            keys.mentor,
            "An experienced MASH researcher who mentors new MASH staff, including demo-mash and demo-officer",
        ),
        account(
            "demo-manager",
            Role::LineManager,
            keys.manager,
            "The sergeant who runs the MASH domestic abuse triage team and line-manages demo-mash and demo-officer",
        ),
        account(
            "demo-officer",
            Role::Frontline,
            keys.officer,
            "A 2024-intake police constable on a placement with the MASH domestic abuse triage team",
        ),
        account(
            "demo-leader",
            Role::SeniorLeader,
            keys.leader,
            "The superintendent for crime and safeguarding",
        ),
        account(
            "demo-partner",
            Role::PartnerReviewer,
            keys.partner,
            "A reviewer from the children's social care front door who grades referrals with the force",
        ),
        account(
            "demo-auditor",
            Role::Auditor,
            keys.auditor,
            "A quality assurance reviewer in Public Protection",
        ),
    ]
}

/// Where the demo accounts' people are in the list.
struct Keys {
    admin: usize,
    trainer: usize,
    mash: usize,
    mentor: usize,
    manager: usize,
    officer: usize,
    leader: usize,
    partner: usize,
    auditor: usize,
}

#[rustfmt::skip]
pub(crate) const FIRST_NAMES: [&str; 80] = [
    "Amara", "Ben", "Chloe", "Dev", "Eilidh", "Farid", "Grace", "Harvey", "Ifeoma", "Jack", "Kasia",
    "Liam", "Maryam", "Niall", "Olu", "Priya", "Quentin", "Rosa", "Sanjay", "Tamsin", "Usman",
    "Vera", "Wojciech", "Yasmin", "Zain", "Aisling", "Bilal", "Catrin", "Darius", "Ellie", "Femi",
    "Gethin", "Hana", "Imran", "Jade", "Kofi", "Leah", "Mohammed", "Nadia", "Owen", "Paige",
    "Rahul", "Siobhan", "Tariq", "Una", "Viktor", "Wren", "Yusuf", "Zara", "Aled", "Bethany",
    "Callum", "Deepa", "Emeka", "Fiona", "Gurpreet", "Hamza", "Isla", "Jamal", "Kirsty", "Lukasz",
    "Megan", "Nikhil", "Orla", "Patrick", "Rhiannon", "Samir", "Tegan", "Uzma", "Vikram", "William",
    "Ayesha", "Connor", "Danielle", "Ewan", "Funmi", "Harpreet", "Ines", "Joel", "Keira",
];

#[rustfmt::skip]
pub(crate) const LAST_NAMES: [&str; 79] = [
    "Abbott", "Achterberg", "Ahmed", "Ainsworth", "Bakshi", "Barker", "Boateng", "Brennan",
    "Carmichael", "Chaudhry", "Chen", "Costa", "Dalton", "Davies", "Dimitrov", "Doherty", "Eze",
    "Fairclough", "Farrell", "Fernandes", "Gallagher", "Gill", "Greenwood", "Haddad", "Hargreaves",
    "Hussain", "Ibrahim", "Iqbal", "Jankowski", "Jenkins", "Joshi", "Kaur", "Kearney", "Kowalski",
    "Lambert", "Lindqvist", "Lloyd", "Mahmood", "McCabe", "Mensah", "Mistry", "Morgan", "Nakamura",
    "Nowak", "Nwosu", "O'Connell", "Okafor", "Osei", "Parekh", "Pearson", "Petrov", "Quinn",
    "Rahman", "Reid", "Rossi", "Sandhu", "Santos", "Shah", "Sheridan", "Sokolov", "Thornton",
    "Tiwari", "Turner", "Underwood", "Varga", "Vaughan", "Walsh", "Whitfield", "Wilkinson", "Xu",
    "Yilmaz", "Youngblood", "Zielinski", "Adeyemi", "Bhatt", "Campbell", "Duffy", "Evans",
    "Forsyth",
];

const SENIOR: &str = "Senior Leadership";
const RESPONSE: &str = "Response";
const NEIGHBOURHOOD: &str = "Neighbourhood Policing";
const CID: &str = "Criminal Investigation Department";
const MAJOR_CRIME: &str = "Major Crime";
const PUBLIC_PROTECTION: &str = "Public Protection";
const FIREARMS: &str = "Firearms";
const ROADS: &str = "Roads Policing";
const SPECIALS: &str = "Special Constabulary";
const CONTACT: &str = "Contact Centre";
const PSD: &str = "Professional Standards";
const INFORMATION: &str = "Information Services";

/// Which series a staff number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Series {
    /// Officers and PCSOs: four-digit collar numbers.
    Collar,
    /// Police staff: `S` and five digits.
    Staff,
    /// Special constables: `SC` and three digits.
    Special,
    /// Partner agency reviewers: `PA` and three digits.
    Partner,
}

/// How someone joined: the cohort's name and start date.
#[derive(Debug, Clone, Copy)]
enum Joined {
    /// An intake (1 in February, 2 in September) of a kind such as "PC" or "PCSO".
    Intake(&'static str, i32, u8),
    /// A transferee from another force, who joins in June.
    Transfer(i32),
    /// Not one of ours (partner agencies): no start date or cohort.
    Elsewhere,
}

impl Joined {
    fn start_and_cohort(self) -> (Option<Date>, Option<String>) {
        match self {
            Joined::Intake(kind, year, n) => {
                let month = if n == 1 {
                    Month::February
                } else {
                    Month::September
                };
                (
                    Some(first_monday(year, month)),
                    Some(format!("{year} {kind} intake {n}")),
                )
            }
            Joined::Transfer(year) => (
                Some(first_monday(year, Month::June)),
                Some(format!("{year} transferees")),
            ),
            Joined::Elsewhere => (None, None),
        }
    }

    fn year(self) -> Option<i32> {
        match self {
            Joined::Intake(_, year, _) | Joined::Transfer(year) => Some(year),
            Joined::Elsewhere => None,
        }
    }

    /// Joined in 2024 or later: still in their first two years, so they have a mentor.
    fn is_new(self) -> bool {
        self.year().is_some_and(|y| y >= 2024)
    }

    /// Joined in 2019 or earlier: experienced enough to mentor.
    fn is_experienced(self) -> bool {
        self.year().is_some_and(|y| y <= 2019)
    }
}

fn first_monday(year: i32, month: Month) -> Date {
    let first = Date::from_calendar_date(year, month, 1).expect("the first of a month is a date");
    if first.weekday() == Weekday::Monday {
        first
    } else {
        first.next_occurrence(Weekday::Monday)
    }
}

fn pc(year: i32, n: u8) -> Joined {
    Joined::Intake("PC", year, n)
}

/// One person while the force is being built; references are indexes into the list.
struct Member {
    series: Series,
    rank: &'static str,
    department: &'static str,
    team: String,
    roles: Vec<Role>,
    joined: Joined,
    manager: Option<usize>,
    mentor: Option<usize>,
}

fn member(
    series: Series,
    rank: &'static str,
    department: &'static str,
    team: &str,
    joined: Joined,
    manager: Option<usize>,
) -> Member {
    Member {
        series,
        rank,
        department,
        team: team.to_string(),
        roles: Vec::new(),
        joined,
        manager,
        mentor: None,
    }
}

impl Member {
    fn roles(mut self, roles: &[Role]) -> Member {
        self.roles.extend_from_slice(roles);
        self
    }

    fn mentor(mut self, mentor: usize) -> Member {
        self.mentor = Some(mentor);
        self
    }
}

#[derive(Default)]
struct Force {
    members: Vec<Member>,
}

impl Force {
    fn add(&mut self, member: Member) -> usize {
        if let Some(m) = member.manager {
            assert!(m < self.members.len(), "managers are added first");
        }
        if let Some(m) = member.mentor {
            assert!(m < self.members.len(), "mentors are added first");
        }
        self.members.push(member);
        self.members.len() - 1
    }

    /// Adds a team of people in the same role under one manager, from a list of how each
    /// joined. New starters get a mentor from the team's first two experienced members.
    fn team(&mut self, template: &Member, joined: &[Joined]) -> Vec<usize> {
        let mut added = Vec::new();
        let mut mentors = Vec::new();
        let mut next_mentor = 0;
        for &j in joined {
            let mut m = member(
                template.series,
                template.rank,
                template.department,
                &template.team,
                j,
                template.manager,
            )
            .roles(&template.roles);
            if j.is_new() && !mentors.is_empty() {
                m = m.mentor(mentors[next_mentor % mentors.len()]);
                next_mentor += 1;
            }
            let i = self.add(m);
            if j.is_experienced() && mentors.len() < 2 {
                mentors.push(i);
            }
            added.push(i);
        }
        added
    }

    fn finish(self) -> Vec<PersonInput> {
        let mut counters = [0u32; 4];
        let numbers: Vec<StaffNumber> = self
            .members
            .iter()
            .map(|m| {
                let slot = m.series as usize;
                let k = counters[slot];
                counters[slot] += 1;
                staff_number(m.series, k)
            })
            .collect();
        let manages: Vec<bool> = (0..self.members.len())
            .map(|i| self.members.iter().any(|m| m.manager == Some(i)))
            .collect();
        let mentors: Vec<bool> = (0..self.members.len())
            .map(|i| self.members.iter().any(|m| m.mentor == Some(i)))
            .collect();
        let mut taken = std::collections::HashSet::new();
        self.members
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let mut roles = m.roles;
                if manages[i] {
                    roles.push(Role::LineManager);
                }
                if mentors[i] {
                    roles.push(Role::Mentor);
                }
                roles.sort();
                roles.dedup();
                let (start_date, cohort) = m.joined.start_and_cohort();
                PersonInput {
                    staff_number: numbers[i].clone(),
                    name: name(i),
                    rank: Some(m.rank.to_string()),
                    department: Some(m.department.to_string()),
                    team: Some(m.team),
                    roles,
                    start_date,
                    cohort,
                    line_manager: m.manager.map(|j| numbers[j].clone()),
                    mentor: m.mentor.map(|j| numbers[j].clone()),
                    email: Some(demo_email(&name(i), &numbers[i], &mut taken)),
                }
            })
            .collect()
    }
}

/// The `k`th number of a series. Each formula steps through its range by a number with no
/// common factor with the range's size, so no number repeats within a series.
fn staff_number(series: Series, k: u32) -> StaffNumber {
    let raw = match series {
        Series::Collar => format!("{}", 1000 + (k * 2713 + 3123) % 9000),
        Series::Staff => format!("S{}", 20000 + (k * 7919 + 417) % 70000),
        Series::Special => format!("SC{}", 100 + (k * 389 + 211) % 900),
        Series::Partner => format!("PA{}", 101 + k),
    };
    StaffNumber::parse(&raw).expect("demo staff numbers are well formed")
}

/// The domain of every demo address. `.example` is reserved (RFC 2606): no mail to it can ever
/// reach anyone.
pub const DEMO_EMAIL_DOMAIN: &str = "demo-constabulary.example";

/// `firstname.lastname@demo-constabulary.example`, letters only; a second person of the same
/// name gets their staff number added so that no two people share an address.
fn demo_email(
    name: &str,
    number: &StaffNumber,
    taken: &mut std::collections::HashSet<String>,
) -> String {
    let local: Vec<String> = name
        .split_whitespace()
        .map(|part| {
            part.chars()
                .filter(char::is_ascii_alphabetic)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .collect();
    let mut local = local.join(".");
    if !taken.insert(local.clone()) {
        local = format!("{local}.{}", number.as_str().to_ascii_lowercase());
        taken.insert(local.clone());
    }
    format!("{local}@{DEMO_EMAIL_DOMAIN}")
}

/// The `i`th person's name. 80 first names and 79 (a prime) surnames, paired so that no pair
/// repeats within the first few hundred people.
fn name(i: usize) -> String {
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let last = LAST_NAMES[(i * 31 + i / FIRST_NAMES.len() * 7) % LAST_NAMES.len()];
    format!("{first} {last}")
}

fn build() -> (Vec<PersonInput>, Keys) {
    use Role::{Administrator, Auditor, Frontline, MashStaff, MashTrainer, PartnerReviewer};
    use Series::{Collar, Partner, Special, Staff};
    let leader = Role::SeniorLeader;
    let mut f = Force::default();

    // Command team.
    let chief_supt = f
        .add(member(Collar, "Ch Supt", SENIOR, "Command Team", pc(2005, 1), None).roles(&[leader]));
    let supt_local = f.add(
        member(
            Collar,
            "Supt",
            SENIOR,
            "Command Team",
            pc(2006, 1),
            Some(chief_supt),
        )
        .roles(&[leader]),
    );
    let supt_crime = f.add(
        member(
            Collar,
            "Supt",
            SENIOR,
            "Command Team",
            pc(2007, 2),
            Some(chief_supt),
        )
        .roles(&[leader]),
    );
    let supt_ops = f.add(
        member(
            Collar,
            "Supt",
            SENIOR,
            "Command Team",
            pc(2006, 2),
            Some(chief_supt),
        )
        .roles(&[leader]),
    );

    // Response: four shifts across two areas, each an inspector, two sergeants and 15 PCs.
    let response_ci = f.add(
        member(
            Collar,
            "Ch Insp",
            RESPONSE,
            "Response Command",
            pc(2008, 1),
            Some(supt_local),
        )
        .roles(&[leader]),
    );
    let shifts = [
        "Response North - A Shift",
        "Response North - B Shift",
        "Response South - A Shift",
        "Response South - B Shift",
    ];
    for (t, team) in shifts.iter().enumerate() {
        let t32 = t as i32;
        let n = (t % 2) as u8 + 1;
        let insp = f.add(
            member(
                Collar,
                "Insp",
                RESPONSE,
                team,
                pc(2009 + t32, 1),
                Some(response_ci),
            )
            .roles(&[Frontline]),
        );
        let sergeants = [
            f.add(
                member(Collar, "Sgt", RESPONSE, team, pc(2012 + t32, 2), Some(insp))
                    .roles(&[Frontline]),
            ),
            f.add(
                member(
                    Collar,
                    "Sgt",
                    RESPONSE,
                    team,
                    pc(2015 + t32 % 2, 1),
                    Some(insp),
                )
                .roles(&[Frontline]),
            ),
        ];
        let pcs = [
            pc(2006 + t32, n),
            pc(2010, 3 - n),
            pc(2013, n),
            pc(2016 + t32 % 2, 1),
            pc(2018, 2),
            pc(2019, n),
            Joined::Transfer(2019 + t32),
            pc(2020, 1),
            pc(2021, 3 - n),
            pc(2022, 1),
            pc(2022, 2),
            pc(2023, n),
            pc(2024, n),
            pc(2025, 3 - n),
            pc(2026, 1),
        ];
        // The PCs split between the two sergeants.
        for (half, &sergeant) in sergeants.iter().enumerate() {
            let joined: Vec<Joined> = pcs.iter().copied().skip(half).step_by(2).collect();
            let template = member(
                Collar,
                "PC",
                RESPONSE,
                team,
                Joined::Elsewhere,
                Some(sergeant),
            )
            .roles(&[Frontline]);
            f.team(&template, &joined);
        }
    }

    // Neighbourhood Policing: four areas, each a sergeant, two PCs and six PCSOs.
    let neighbourhood_ci = f.add(
        member(
            Collar,
            "Ch Insp",
            NEIGHBOURHOOD,
            "Neighbourhood Command",
            pc(2007, 1),
            Some(supt_local),
        )
        .roles(&[leader]),
    );
    let areas = ["Northtown", "Southvale", "Eastbridge", "Westmoor"];
    let mut area_insp = 0;
    for (t, area) in areas.iter().enumerate() {
        let t32 = t as i32;
        let team = format!("Neighbourhood - {area}");
        if t % 2 == 0 {
            area_insp = f.add(
                member(
                    Collar,
                    "Insp",
                    NEIGHBOURHOOD,
                    &team,
                    pc(2010 + t32, 2),
                    Some(neighbourhood_ci),
                )
                .roles(&[Frontline]),
            );
        }
        let sgt = f.add(
            member(
                Collar,
                "Sgt",
                NEIGHBOURHOOD,
                &team,
                pc(2014 + t32, 1),
                Some(area_insp),
            )
            .roles(&[Frontline]),
        );
        let officers = member(
            Collar,
            "PC",
            NEIGHBOURHOOD,
            &team,
            Joined::Elsewhere,
            Some(sgt),
        )
        .roles(&[Frontline]);
        f.team(&officers, &[pc(2011 + t32, 2), pc(2022, 1 + (t % 2) as u8)]);
        let pcsos = member(
            Collar,
            "PCSO",
            NEIGHBOURHOOD,
            &team,
            Joined::Elsewhere,
            Some(sgt),
        )
        .roles(&[Frontline]);
        let pcso = |year, n| Joined::Intake("PCSO", year, n);
        f.team(
            &pcsos,
            &[
                pcso(2008 + t32, 1),
                pcso(2013, 2),
                pcso(2018, 1),
                pcso(2021, 2),
                pcso(2023, 2),
                pcso(2025 - (t32 % 2), 1),
            ],
        );
    }

    // CID: two area teams and the police staff investigators.
    let crime_ci = f.add(
        member(
            Collar,
            "Ch Insp",
            CID,
            "CID Command",
            pc(2008, 2),
            Some(supt_crime),
        )
        .roles(&[leader]),
    );
    for (t, area) in ["North", "South"].iter().enumerate() {
        let t32 = t as i32;
        let team = format!("CID {area}");
        let di = f.add(
            member(Collar, "DI", CID, &team, pc(2010 + t32, 1), Some(crime_ci)).roles(&[Frontline]),
        );
        for s in 0..2 {
            let ds = f.add(
                member(Collar, "DS", CID, &team, pc(2013 + s + t32, 2), Some(di))
                    .roles(&[Frontline]),
            );
            let dcs =
                member(Collar, "DC", CID, &team, Joined::Elsewhere, Some(ds)).roles(&[Frontline]);
            let intake = Joined::Intake("detective entry", 2024 - s, 1);
            f.team(
                &dcs,
                &[pc(2009 + s + t32, 1), pc(2016, 2), pc(2021, 1), intake],
            );
        }
    }
    let psi_ds = f.add(
        member(
            Collar,
            "DS",
            CID,
            "Police Staff Investigators",
            pc(2012, 1),
            Some(crime_ci),
        )
        .roles(&[Frontline]),
    );
    let psis = member(
        Staff,
        "Police Staff (Band D)",
        CID,
        "Police Staff Investigators",
        Joined::Elsewhere,
        Some(psi_ds),
    )
    .roles(&[Frontline]);
    let psi = |year, n| Joined::Intake("PSI", year, n);
    f.team(
        &psis,
        &[
            psi(2018, 1),
            psi(2019, 2),
            psi(2023, 1),
            psi(2023, 2),
            psi(2024, 1),
            psi(2024, 1),
            psi(2025, 2),
        ],
    );

    // Major Crime: a senior investigating officer and two teams.
    let mc_di = f.add(
        member(
            Collar,
            "DI",
            MAJOR_CRIME,
            "Major Crime - Command",
            pc(2009, 2),
            Some(crime_ci),
        )
        .roles(&[Frontline]),
    );
    for t in 1..=2 {
        let team = format!("Major Crime Team {t}");
        let ds = f.add(
            member(
                Collar,
                "DS",
                MAJOR_CRIME,
                &team,
                pc(2011 + t, 1),
                Some(mc_di),
            )
            .roles(&[Frontline]),
        );
        let dcs = member(
            Collar,
            "DC",
            MAJOR_CRIME,
            &team,
            Joined::Elsewhere,
            Some(ds),
        )
        .roles(&[Frontline]);
        f.team(
            &dcs,
            &[
                pc(2010 + t, 2),
                pc(2014, t as u8),
                pc(2017, 1),
                pc(2019, 2),
                pc(2020, 1),
                pc(2022, t as u8),
            ],
        );
    }
    let indexers = member(
        Staff,
        "Police Staff (Band C)",
        MAJOR_CRIME,
        "Major Crime - HOLMES Indexing",
        Joined::Elsewhere,
        Some(mc_di),
    )
    .roles(&[Frontline]);
    let staff = |year, n| Joined::Intake("police staff", year, n);
    f.team(&indexers, &[staff(2012, 1), staff(2020, 2)]);

    // Public Protection, with the MASH.
    let pp_ci = f.add(
        member(
            Collar,
            "Ch Insp",
            PUBLIC_PROTECTION,
            "Public Protection Command",
            pc(2007, 1),
            Some(supt_crime),
        )
        .roles(&[leader]),
    );
    let pp_di = f.add(
        member(
            Collar,
            "DI",
            PUBLIC_PROTECTION,
            "Public Protection - Investigations",
            pc(2010, 2),
            Some(pp_ci),
        )
        .roles(&[Frontline]),
    );
    for (team, years) in [
        (
            "Child Abuse Investigation Unit",
            &[
                pc(2011, 1),
                pc(2015, 2),
                pc(2018, 1),
                pc(2021, 2),
                pc(2023, 1),
            ][..],
        ),
        (
            "Domestic Abuse Investigation Unit",
            &[pc(2012, 2), pc(2017, 1), pc(2020, 2), pc(2022, 1)][..],
        ),
    ] {
        let ds = f.add(
            member(
                Collar,
                "DS",
                PUBLIC_PROTECTION,
                team,
                pc(2011, 1),
                Some(pp_di),
            )
            .roles(&[Frontline]),
        );
        let dcs = member(
            Collar,
            "DC",
            PUBLIC_PROTECTION,
            team,
            Joined::Elsewhere,
            Some(ds),
        )
        .roles(&[Frontline]);
        f.team(&dcs, years);
    }
    let qa_team = "Public Protection - Quality Assurance";
    let auditor = f.add(
        member(
            Staff,
            "Police Staff (Band E)",
            PUBLIC_PROTECTION,
            qa_team,
            staff(2013, 2),
            Some(pp_ci),
        )
        .roles(&[Auditor]),
    );
    f.add(
        member(
            Staff,
            "Police Staff (Band E)",
            PUBLIC_PROTECTION,
            qa_team,
            staff(2019, 1),
            Some(pp_ci),
        )
        .roles(&[Auditor]),
    );

    let mash = |year, n| Joined::Intake("MASH", year, n);
    let band_c = "Police Staff (Band C)";
    let mash_di = f.add(
        member(
            Collar,
            "DI",
            PUBLIC_PROTECTION,
            "MASH - Leadership",
            pc(2009, 1),
            Some(pp_ci),
        )
        .roles(&[MashStaff]),
    );
    let trainer = f.add(
        member(
            Collar,
            "Sgt",
            PUBLIC_PROTECTION,
            "MASH - Training",
            pc(2011, 2),
            Some(mash_di),
        )
        .roles(&[MashTrainer]),
    );
    // Decision makers: a detective sergeant and three police staff, the longest-serving of whom
    // mentors the other two.
    let dm_team = "MASH - Decision Makers";
    let dm_ds = f.add(
        member(
            Collar,
            "DS",
            PUBLIC_PROTECTION,
            dm_team,
            pc(2012, 1),
            Some(mash_di),
        )
        .roles(&[MashStaff]),
    );
    let band_e = "Police Staff (Band E)";
    let dm_mentor = f.add(
        member(
            Staff,
            band_e,
            PUBLIC_PROTECTION,
            dm_team,
            mash(2011, 1),
            Some(dm_ds),
        )
        .roles(&[MashStaff]),
    );
    for joined in [mash(2021, 2), mash(2023, 1)] {
        f.add(
            member(
                Staff,
                band_e,
                PUBLIC_PROTECTION,
                dm_team,
                joined,
                Some(dm_ds),
            )
            .roles(&[MashStaff])
            .mentor(dm_mentor),
        );
    }
    // Research: a supervisor and six researchers; two experienced researchers mentor the rest.
    let research = "MASH - Research";
    let supervisor = f.add(
        member(
            Staff,
            "Police Staff (Band D)",
            PUBLIC_PROTECTION,
            research,
            mash(2010, 2),
            Some(mash_di),
        )
        .roles(&[MashStaff]),
    );
    let mentor = f.add(
        member(
            Staff,
            band_c,
            PUBLIC_PROTECTION,
            research,
            mash(2012, 1),
            Some(supervisor),
        )
        .roles(&[MashStaff]),
    );
    let second_mentor = f.add(
        member(
            Staff,
            band_c,
            PUBLIC_PROTECTION,
            research,
            mash(2015, 2),
            Some(supervisor),
        )
        .roles(&[MashStaff]),
    );
    for (k, joined) in [mash(2020, 1), mash(2022, 2), mash(2024, 1), mash(2025, 2)]
        .into_iter()
        .enumerate()
    {
        let by = if k % 2 == 0 { mentor } else { second_mentor };
        f.add(
            member(
                Staff,
                band_c,
                PUBLIC_PROTECTION,
                research,
                joined,
                Some(supervisor),
            )
            .roles(&[MashStaff])
            .mentor(by),
        );
    }
    // Domestic abuse triage: a sergeant, four researchers and a student officer on placement.
    let triage = "MASH - Domestic Abuse Triage";
    let manager = f.add(
        member(
            Collar,
            "Sgt",
            PUBLIC_PROTECTION,
            triage,
            pc(2013, 1),
            Some(mash_di),
        )
        .roles(&[MashStaff]),
    );
    let triage_mentor = f.add(
        member(
            Staff,
            band_c,
            PUBLIC_PROTECTION,
            triage,
            mash(2014, 1),
            Some(manager),
        )
        .roles(&[MashStaff]),
    );
    f.add(
        member(
            Staff,
            band_c,
            PUBLIC_PROTECTION,
            triage,
            mash(2022, 1),
            Some(manager),
        )
        .roles(&[MashStaff])
        .mentor(triage_mentor),
    );
    let mash_member = f.add(
        member(
            Staff,
            band_c,
            PUBLIC_PROTECTION,
            triage,
            mash(2025, 1),
            Some(manager),
        )
        .roles(&[MashStaff])
        .mentor(mentor),
    );
    f.add(
        member(
            Staff,
            band_c,
            PUBLIC_PROTECTION,
            triage,
            mash(2023, 2),
            Some(manager),
        )
        .roles(&[MashStaff])
        .mentor(triage_mentor),
    );
    let officer = f.add(
        member(
            Collar,
            "PC",
            PUBLIC_PROTECTION,
            triage,
            pc(2024, 1),
            Some(manager),
        )
        .roles(&[Frontline])
        .mentor(mentor),
    );

    // Operational support: firearms, roads policing and the specials.
    let ops_ci = f.add(
        member(
            Collar,
            "Ch Insp",
            FIREARMS,
            "Operations Command",
            pc(2007, 2),
            Some(supt_ops),
        )
        .roles(&[leader]),
    );
    let firearms_insp = f.add(
        member(
            Collar,
            "Insp",
            FIREARMS,
            "Firearms - Command",
            pc(2009, 1),
            Some(ops_ci),
        )
        .roles(&[Frontline]),
    );
    for (t, team) in ["Firearms - Red Team", "Firearms - Blue Team"]
        .iter()
        .enumerate()
    {
        let t32 = t as i32;
        let sgt = f.add(
            member(
                Collar,
                "Sgt",
                FIREARMS,
                team,
                pc(2012 + t32, 2),
                Some(firearms_insp),
            )
            .roles(&[Frontline]),
        );
        let pcs =
            member(Collar, "PC", FIREARMS, team, Joined::Elsewhere, Some(sgt)).roles(&[Frontline]);
        f.team(
            &pcs,
            &[
                pc(2008 + t32, 1),
                pc(2011, 2),
                pc(2013, 1),
                pc(2015, 2),
                Joined::Transfer(2017 + t32),
                pc(2019, 1),
                pc(2021, 2),
            ],
        );
    }
    let roads_sgt = f.add(
        member(
            Collar,
            "Sgt",
            ROADS,
            "Roads Policing Unit",
            pc(2011, 1),
            Some(ops_ci),
        )
        .roles(&[Frontline]),
    );
    let roads = member(
        Collar,
        "PC",
        ROADS,
        "Roads Policing Unit",
        Joined::Elsewhere,
        Some(roads_sgt),
    )
    .roles(&[Frontline]);
    f.team(
        &roads,
        &[
            pc(2009, 2),
            pc(2012, 1),
            pc(2016, 2),
            pc(2018, 1),
            pc(2020, 2),
            Joined::Transfer(2022),
        ],
    );
    for (t, area) in ["North", "South"].iter().enumerate() {
        let t32 = t as i32;
        let team = format!("Specials - {area}");
        let sgt = f.add(
            member(
                Collar,
                "Sgt",
                SPECIALS,
                &team,
                pc(2014 + t32, 1),
                Some(ops_ci),
            )
            .roles(&[Frontline]),
        );
        let specials = member(
            Special,
            "Special Constable",
            SPECIALS,
            &team,
            Joined::Elsewhere,
            Some(sgt),
        )
        .roles(&[Frontline]);
        let sc = |year, n| Joined::Intake("Specials", year, n);
        f.team(
            &specials,
            &[
                sc(2012 + t32, 1),
                sc(2015, 2),
                sc(2017, 1),
                sc(2020, 2),
                sc(2022, 1),
                sc(2023, 2),
                sc(2024, 1),
                sc(2024, 2),
                sc(2025, 1),
            ],
        );
    }

    // The Contact Centre: police staff who take the calls and dispatch.
    let cc_head = f.add(member(
        Staff,
        "Police Staff (Band H)",
        CONTACT,
        "Contact Centre - Management",
        staff(2006, 1),
        Some(supt_ops),
    ));
    let cc = |year, n| Joined::Intake("Contact Centre", year, n);
    for (t, team) in [
        "Contact Centre - Call Handling 1",
        "Contact Centre - Call Handling 2",
        "Contact Centre - Call Handling 3",
        "Contact Centre - Dispatch",
    ]
    .iter()
    .enumerate()
    {
        let t32 = t as i32;
        let supervisor = f.add(
            member(
                Staff,
                "Police Staff (Band D)",
                CONTACT,
                team,
                cc(2010 + t32, 1),
                Some(cc_head),
            )
            .roles(&[Frontline]),
        );
        let grade = if t == 3 {
            "Police Staff (Band C)"
        } else {
            "Police Staff (Band B)"
        };
        let handlers = member(
            Staff,
            grade,
            CONTACT,
            team,
            Joined::Elsewhere,
            Some(supervisor),
        )
        .roles(&[Frontline]);
        f.team(
            &handlers,
            &[
                cc(2007 + t32, 2),
                cc(2011, 1),
                cc(2015, 2),
                cc(2018, 1),
                cc(2021, 2),
                cc(2023, 1),
                cc(2024, 2),
                cc(2025, 1 + (t % 2) as u8),
                cc(2026, 1),
            ],
        );
    }

    // Professional Standards.
    let psd_ci = f.add(
        member(
            Collar,
            "Ch Insp",
            PSD,
            "Professional Standards - Command",
            pc(2006, 2),
            Some(chief_supt),
        )
        .roles(&[leader]),
    );
    let psd_di = f.add(member(
        Collar,
        "DI",
        PSD,
        "Professional Standards - Investigations",
        pc(2008, 1),
        Some(psd_ci),
    ));
    for (team, dcs, staff_investigators) in [
        (
            "Professional Standards - Investigations",
            &[pc(2010, 1), pc(2014, 2)][..],
            &[staff(2016, 1)][..],
        ),
        (
            "Counter Corruption Unit",
            &[pc(2012, 2)][..],
            &[staff(2018, 2)][..],
        ),
    ] {
        let ds = f.add(member(Collar, "DS", PSD, team, pc(2011, 2), Some(psd_di)));
        f.team(
            &member(Collar, "DC", PSD, team, Joined::Elsewhere, Some(ds)),
            dcs,
        );
        f.team(
            &member(
                Staff,
                "Police Staff (Band E)",
                PSD,
                team,
                Joined::Elsewhere,
                Some(ds),
            ),
            staff_investigators,
        );
    }

    // Information Services.
    let is_head = f.add(member(
        Staff,
        "Police Staff (Band H)",
        INFORMATION,
        "Information Services - Management",
        staff(2008, 1),
        Some(chief_supt),
    ));
    let sysadmins = "Systems Administration";
    let admin = f.add(
        member(
            Staff,
            "Police Staff (Band E)",
            INFORMATION,
            sysadmins,
            staff(2016, 2),
            Some(is_head),
        )
        .roles(&[Administrator]),
    );
    f.add(
        member(
            Staff,
            "Police Staff (Band E)",
            INFORMATION,
            sysadmins,
            staff(2020, 1),
            Some(is_head),
        )
        .roles(&[Administrator]),
    );
    f.add(member(
        Staff,
        "Police Staff (Band D)",
        INFORMATION,
        "Performance and Analysis",
        staff(2017, 2),
        Some(is_head),
    ));

    // Reviewers from partner agencies, who grade referrals with the force.
    let partner = f.add(
        member(
            Partner,
            "Partner reviewer",
            "Partner agency: Children's Social Care",
            "Children's Services Front Door",
            Joined::Elsewhere,
            None,
        )
        .roles(&[PartnerReviewer]),
    );
    f.add(
        member(
            Partner,
            "Partner reviewer",
            "Partner agency: Adult Social Care",
            "Adult Safeguarding Team",
            Joined::Elsewhere,
            None,
        )
        .roles(&[PartnerReviewer]),
    );
    f.add(
        member(
            Partner,
            "Partner reviewer",
            "Partner agency: Health",
            "Safeguarding Named Nurses",
            Joined::Elsewhere,
            None,
        )
        .roles(&[PartnerReviewer]),
    );

    let keys = Keys {
        admin,
        trainer,
        mash: mash_member,
        mentor,
        manager,
        officer,
        leader: supt_crime,
        partner,
        auditor,
    };
    (f.finish(), keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn by_number(people: &[PersonInput]) -> HashMap<&StaffNumber, &PersonInput> {
        people.iter().map(|p| (&p.staff_number, p)).collect()
    }

    fn person<'a>(people: &'a [PersonInput], account: &str) -> &'a PersonInput {
        let number = demo_accounts()
            .into_iter()
            .find(|a| a.username == account)
            .unwrap()
            .staff_number;
        people.iter().find(|p| p.staff_number == number).unwrap()
    }

    #[test]
    fn every_demo_person_has_their_own_address_on_the_reserved_domain() {
        let people = demo_people();
        let mut seen = HashSet::new();
        for p in &people {
            let email = p
                .email
                .as_deref()
                .expect("every demo person has an address");
            assert!(email.ends_with("@demo-constabulary.example"), "{email}");
            assert_eq!(crate::people::parse_email(email).as_deref(), Ok(email));
            assert!(seen.insert(email), "{email} is used twice");
        }
        let first = &people[0];
        let expected = first.name.to_ascii_lowercase().replace(' ', ".");
        assert_eq!(
            first.email.as_deref(),
            Some(format!("{expected}@demo-constabulary.example").as_str())
        );
    }

    #[test]
    fn the_force_has_about_three_hundred_people() {
        let n = demo_people().len();
        assert!((290..=320).contains(&n), "{n} people");
    }

    #[test]
    fn staff_numbers_and_names_are_unique() {
        let people = demo_people();
        let numbers: HashSet<_> = people.iter().map(|p| &p.staff_number).collect();
        assert_eq!(numbers.len(), people.len());
        let names: HashSet<_> = people.iter().map(|p| &p.name).collect();
        assert_eq!(names.len(), people.len());
    }

    #[test]
    fn every_manager_and_mentor_is_in_the_list_and_nobody_manages_themself() {
        let people = demo_people();
        let index = by_number(&people);
        for p in &people {
            for reference in [&p.line_manager, &p.mentor].into_iter().flatten() {
                assert!(index.contains_key(reference), "{} -> {reference}", p.name);
                assert_ne!(reference, &p.staff_number);
            }
        }
    }

    #[test]
    fn line_management_has_no_cycles_and_reaches_the_top() {
        let people = demo_people();
        let index = by_number(&people);
        for p in &people {
            let mut seen = HashSet::new();
            let mut current: &PersonInput = p;
            while let Some(manager) = &current.line_manager {
                assert!(seen.insert(manager), "cycle through {}", p.name);
                current = index[manager];
            }
            let top_is_expected = current.rank.as_deref() == Some("Ch Supt")
                || current.rank.as_deref() == Some("Partner reviewer");
            assert!(top_is_expected, "{} ends at {}", p.name, current.name);
        }
        // Nearly everyone has a line manager.
        let without = people.iter().filter(|p| p.line_manager.is_none()).count();
        assert_eq!(without, 4);
    }

    #[test]
    fn managers_and_mentors_carry_their_roles_and_fit_the_people_they_support() {
        let people = demo_people();
        let index = by_number(&people);
        for p in &people {
            if let Some(m) = &p.line_manager {
                assert!(
                    index[m].roles.contains(&Role::LineManager),
                    "{}",
                    index[m].name
                );
            }
            if let Some(m) = &p.mentor {
                let mentor = index[m];
                assert!(mentor.roles.contains(&Role::Mentor));
                assert_eq!(mentor.department, p.department, "{}", p.name);
                assert!(mentor.start_date < p.start_date, "{}", p.name);
            }
        }
        for p in people.iter().filter(|p| p.roles.contains(&Role::Mentor)) {
            assert!(people
                .iter()
                .any(|q| q.mentor.as_ref() == Some(&p.staff_number)));
        }
    }

    #[test]
    fn new_starters_and_mash_staff_have_mentors() {
        let people = demo_people();
        let new_starters = people
            .iter()
            .filter(|p| p.start_date.is_some_and(|d| d.year() >= 2024));
        for p in new_starters {
            assert!(p.mentor.is_some(), "{} has no mentor", p.name);
        }
        let mentored_mash = people
            .iter()
            .filter(|p| p.roles == [Role::MashStaff] && p.mentor.is_some())
            .count();
        assert!(mentored_mash >= 8, "{mentored_mash}");
    }

    #[test]
    fn the_mash_has_about_twenty_staff() {
        let people = demo_people();
        let mash: Vec<_> = people
            .iter()
            .filter(|p| p.team.as_deref().is_some_and(|t| t.contains("MASH")))
            .collect();
        assert!((15..=25).contains(&mash.len()), "{}", mash.len());
        assert!(mash
            .iter()
            .all(|p| p.department.as_deref() == Some(PUBLIC_PROTECTION)));
        let trainers: Vec<_> = people
            .iter()
            .filter(|p| p.roles.contains(&Role::MashTrainer))
            .collect();
        assert_eq!(trainers.len(), 1);
        assert_eq!(trainers[0].rank.as_deref(), Some("Sgt"));
    }

    #[test]
    fn ranks_roles_and_cohorts_are_consistent() {
        let people = demo_people();
        for p in &people {
            let rank = p.rank.as_deref().unwrap();
            let senior = matches!(rank, "Ch Insp" | "Supt" | "Ch Supt");
            assert_eq!(p.roles.contains(&Role::SeniorLeader), senior, "{}", p.name);
            if let (Some(cohort), Some(start)) = (&p.cohort, p.start_date) {
                assert!(cohort.starts_with(&start.year().to_string()), "{cohort}");
                assert!((2005..=2026).contains(&start.year()));
            }
            if rank == "PCSO" {
                assert!(p.cohort.as_deref().unwrap().contains("PCSO intake"));
            }
        }
        let cohorts: HashSet<_> = people.iter().filter_map(|p| p.cohort.as_deref()).collect();
        for expected in [
            "2022 PC intake 1",
            "2023 PCSO intake 2",
            "2024 PSI intake 1",
            "2021 transferees",
        ] {
            assert!(cohorts.contains(expected), "{expected}");
        }
        let ranks: HashSet<_> = people.iter().filter_map(|p| p.rank.as_deref()).collect();
        for expected in [
            "PC",
            "DC",
            "Sgt",
            "DS",
            "Insp",
            "DI",
            "Ch Insp",
            "Supt",
            "Ch Supt",
            "PCSO",
            "Police Staff (Band C)",
            "Special Constable",
        ] {
            assert!(ranks.contains(expected), "{expected}");
        }
    }

    #[test]
    fn the_nine_accounts_are_distinct_people_who_fit_their_roles() {
        let people = demo_people();
        let accounts = demo_accounts();
        assert_eq!(accounts.len(), 9);
        let numbers: HashSet<_> = accounts.iter().map(|a| &a.staff_number).collect();
        assert_eq!(numbers.len(), 9);
        let roles: HashSet<_> = accounts.iter().flat_map(|a| a.roles.clone()).collect();
        assert_eq!(roles.len(), Role::ALL.len());
        for a in &accounts {
            assert!(a.username.starts_with("demo-"));
            assert!(!a.description.is_empty());
            let p = person(&people, a.username);
            for role in &a.roles {
                assert!(p.roles.contains(role), "{} lacks {role}", a.username);
            }
        }

        let mash = person(&people, "demo-mash");
        let mentor = person(&people, "demo-mentor");
        let manager = person(&people, "demo-manager");
        let officer = person(&people, "demo-officer");
        assert_eq!(mash.mentor.as_ref(), Some(&mentor.staff_number));
        assert_eq!(mash.line_manager.as_ref(), Some(&manager.staff_number));
        assert!(mash.team.as_deref().unwrap().contains("MASH"));
        assert_eq!(mash.roles, vec![Role::MashStaff]);
        assert_eq!(officer.line_manager.as_ref(), Some(&manager.staff_number));
        assert_eq!(officer.rank.as_deref(), Some("PC"));
        assert!(officer
            .cohort
            .as_deref()
            .unwrap()
            .starts_with("2024 PC intake"));
        let managed = people
            .iter()
            .filter(|p| p.line_manager.as_ref() == Some(&manager.staff_number))
            .count();
        assert!(managed >= 4, "{managed}");

        let trainer = person(&people, "demo-trainer");
        assert_eq!(trainer.rank.as_deref(), Some("Sgt"));
        assert_eq!(trainer.team.as_deref(), Some("MASH - Training"));
        assert_eq!(person(&people, "demo-leader").rank.as_deref(), Some("Supt"));
        let partner = person(&people, "demo-partner");
        assert_eq!(
            partner.department.as_deref(),
            Some("Partner agency: Children's Social Care")
        );
        assert_eq!(partner.rank.as_deref(), Some("Partner reviewer"));
        assert_eq!(partner.line_manager, None);
        let auditor = person(&people, "demo-auditor");
        assert_eq!(auditor.department.as_deref(), Some(PUBLIC_PROTECTION));
        let admin = person(&people, "demo-admin");
        assert!(admin.rank.as_deref().unwrap().starts_with("Police Staff"));
    }

    #[test]
    fn the_force_is_the_same_on_every_call() {
        assert_eq!(demo_people(), demo_people());
        assert_eq!(demo_accounts(), demo_accounts());
        // Pinned so that a change to the lists or the arithmetic is noticed.
        let people = demo_people();
        assert_eq!(people[0].rank.as_deref(), Some("Ch Supt"));
        assert_eq!(people[0].staff_number.as_str(), "4123");
    }

    #[test]
    fn every_record_passes_the_same_checks_as_a_form_and_round_trips() {
        for p in demo_people() {
            assert_eq!(p.to_draft().validate().as_ref(), Ok(&p), "{}", p.name);
        }
    }
}
