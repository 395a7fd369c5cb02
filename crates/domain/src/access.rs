//! Who may do what: the deny-by-default access policy.
//!
//! Every route in the web layer names exactly one [`Capability`]; this table is the only place
//! that says which roles hold it. A role not listed is denied.

use crate::roles::Role;
use serde::Serialize;

/// Declares [`Capability`], the list of them all ([`Capability::ALL`]) and a marker type for
/// each in [`cap`], from the one list below, so that a capability is named once.
macro_rules! capabilities {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Something a signed-in user may be allowed to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Capability {
            $($(#[$doc])* $name,)*
        }

        impl Capability {
            /// Every capability, in the order declared.
            pub const ALL: [Capability; [$(Capability::$name),*].len()] = [$(Capability::$name),*];
        }

        /// One type per capability, so that a web handler's signature says who may call it
        /// (`Page<cap::PeopleBrowse>`).
        pub mod cap {
            $(
                #[doc = concat!("The `", stringify!($name), "` capability.")]
                pub struct $name;
                impl super::Cap for $name {
                    const CAP: super::Capability = super::Capability::$name;
                }
            )*
        }
    };
}

/// A capability as a type (see [`cap`]).
pub trait Cap: Send + Sync + 'static {
    const CAP: Capability;
}

capabilities! {
    /// Any signed-in account: home page, own account, own record.
    SignedIn,
    /// Browse and view people in the directory (scoped: see [`PeopleScope`]).
    PeopleBrowse,
    /// Create and edit people.
    PeopleEdit,
    /// Import an HR export into the directory.
    PeopleImport,
    /// Manage accounts, roles and API tokens.
    AccountsManage,
    /// Read and export the audit trail.
    AuditRead,
    /// Read the module catalogue (not personal data; every internal role).
    CatalogueView,
    /// Run training: catalogue, programmes, assignments, completions for anyone, reopening,
    /// guidance changes, imports.
    TrainingManage,
    /// The compliance matrix and people's training records (scoped like the directory).
    TrainingRecords,
    /// Own plan, own completions and own CPD.
    OwnTraining,
    /// Sign off the training of people one mentors or line-manages.
    SignOff,
    /// Verify or return the CPD of people one line-manages.
    CpdReview,
    /// Force-wide training figures without names (senior leaders).
    TrainingSummary,
    /// Read the incident and referral register (personal data: MASH roles only).
    RegisterView,
    /// Import records-management exports of incidents, referrals and outcomes.
    RegisterImport,
    /// Record partner outcomes of referrals (partner reviewers: their own agency only).
    OutcomesRecord,
    /// See quality reviews (scoped: a grader sees only the reviews whose panel they sit on).
    QualityReviews,
    /// Open quality reviews, draw samples, choose panels, moderate, close, feed back.
    QualityReviewManage,
    /// Open incident compliance audits and record findings (scoped to assigned audits).
    ComplianceAudits,
    /// Compliance roll-ups and year-on-year comparisons (figures, no names).
    ComplianceSummary,
    /// Work the missing-referral queue.
    MissingReferrals,
    /// Feedback on one's own referrals from quality reviews.
    OwnFeedback,
    /// See scheduled training sessions and attachment days, and book oneself.
    SessionsBrowse,
    /// Schedule sessions and series, enrol anyone, take attendance, upload Teams reports, run
    /// attachment days.
    SessionsManage,
    /// Book or withdraw one's own team (line managers; scoped to their reports).
    TeamBooking,
    /// Coverage of delivery requirements (scoped: a line manager sees their own team; senior
    /// leaders see figures).
    CoverageView,
    /// Session feedback, learning gain, trainer results and the partner exchange summary.
    DeliveryReports,
    /// Create and facilitate live exercise runs.
    ExercisesFacilitate,
    /// Take part in an exercise run (scoped: only runs one's team is part of).
    ExercisesTake,
    /// Partner organisations, their contacts and partner-provided training.
    PartnersManage,
    /// Impact: the dashboard of figures (scoped: see [`impact_scope`]; a line manager sees their
    /// own team's) and statistical process control charts of one's own data (figures, no names;
    /// partners and officers see no impact).
    Impact,
    /// Force-wide impact: the evaluation reports (Kirkpatrick levels 1 to 4), which are always
    /// about the whole force.
    EvaluationReports,
}

impl Capability {
    /// The roles that hold this capability. Everything else is denied.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        /// Every role inside the force: all but partner reviewers (taken from `Role::ALL`, so
        /// a role added there is inside unless said otherwise).
        const INTERNAL: [Role; Role::ALL.len() - 1] = {
            let mut out = [Administrator; Role::ALL.len() - 1];
            let (mut i, mut j) = (0, 0);
            while i < Role::ALL.len() {
                if !matches!(Role::ALL[i], PartnerReviewer) {
                    out[j] = Role::ALL[i];
                    j += 1;
                }
                i += 1;
            }
            out
        };
        match self {
            Capability::SignedIn => &Role::ALL,
            Capability::PeopleBrowse => &[Administrator, MashTrainer, Mentor, LineManager],
            Capability::PeopleEdit => &[Administrator],
            Capability::PeopleImport => &[Administrator],
            Capability::AccountsManage => &[Administrator],
            Capability::AuditRead => &[Administrator],
            Capability::CatalogueView => &INTERNAL,
            Capability::TrainingManage => &[Administrator, MashTrainer],
            Capability::TrainingRecords => &[Administrator, MashTrainer, Mentor, LineManager],
            Capability::OwnTraining => &INTERNAL,
            Capability::SignOff => &[Mentor, LineManager],
            Capability::CpdReview => &[LineManager],
            Capability::TrainingSummary => &[Administrator, MashTrainer, SeniorLeader],
            Capability::RegisterView => &[Administrator, MashTrainer, MashStaff],
            Capability::RegisterImport => &[Administrator, MashTrainer],
            Capability::OutcomesRecord => &[Administrator, MashTrainer, MashStaff, PartnerReviewer],
            Capability::QualityReviews => {
                &[Administrator, MashTrainer, SeniorLeader, PartnerReviewer]
            }
            Capability::QualityReviewManage => &[Administrator, MashTrainer],
            Capability::ComplianceAudits => &[Administrator, MashTrainer, Auditor],
            Capability::ComplianceSummary => &[Administrator, MashTrainer, SeniorLeader, Auditor],
            Capability::MissingReferrals => &[Administrator, MashTrainer, MashStaff],
            Capability::OwnFeedback => &INTERNAL,
            Capability::SessionsBrowse => &INTERNAL,
            Capability::SessionsManage => &[Administrator, MashTrainer],
            Capability::TeamBooking => &[LineManager],
            Capability::CoverageView => &[Administrator, MashTrainer, LineManager, SeniorLeader],
            Capability::DeliveryReports => &[Administrator, MashTrainer, SeniorLeader],
            Capability::ExercisesFacilitate => &[Administrator, MashTrainer, MashStaff],
            Capability::ExercisesTake => &Role::ALL,
            Capability::PartnersManage => &[Administrator, MashTrainer],
            Capability::Impact => &[
                Administrator,
                MashTrainer,
                SeniorLeader,
                Auditor,
                LineManager,
            ],
            Capability::EvaluationReports => &[Administrator, MashTrainer, SeniorLeader, Auditor],
        }
    }

    pub fn allows(self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.roles().contains(r))
    }
}

/// Which people a user may see in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleScope {
    /// Everyone (administrators and the training lead).
    All,
    /// Only the people this person line-manages or mentors (and themself).
    TheirPeople { person_id: i64 },
    /// Nobody.
    Nobody,
}

/// The directory scope for a user with these roles, linked (or not) to a person.
pub fn people_scope(roles: &[Role], person_id: Option<i64>) -> PeopleScope {
    if roles
        .iter()
        .any(|r| matches!(r, Role::Administrator | Role::MashTrainer))
    {
        return PeopleScope::All;
    }
    if roles
        .iter()
        .any(|r| matches!(r, Role::Mentor | Role::LineManager))
    {
        if let Some(person_id) = person_id {
            return PeopleScope::TheirPeople { person_id };
        }
    }
    PeopleScope::Nobody
}

/// Whose figures the impact dashboard shows a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpactScope {
    /// The force's, or any one department's (those who may read the evaluation reports).
    Force,
    /// Only the team of the person this account belongs to: the people whose line manager they
    /// are. The department and force choices are not theirs.
    Team { manager_person_id: i64 },
    /// None (a line manager's account linked to no person has no team; other roles no impact).
    Nobody,
}

/// The impact scope for a user with these roles, linked (or not) to a person. A force-wide role
/// wins over line management: a senior leader who also manages a team sees the force.
pub fn impact_scope(roles: &[Role], person_id: Option<i64>) -> ImpactScope {
    if Capability::EvaluationReports.allows(roles) {
        return ImpactScope::Force;
    }
    match person_id {
        Some(id) if roles.contains(&Role::LineManager) => ImpactScope::Team {
            manager_person_id: id,
        },
        _ => ImpactScope::Nobody,
    }
}

/// Which exercise runs a user may facilitate (open the console, projector, debrief and exports,
/// release stages, read answers). Deny by default: a run is facilitated by the account that
/// created it and the co-facilitators it names. Administrators and the MASH trainer (the
/// training lead, who may see training data force-wide) reach every run; other facilitators
/// (MASH staff volunteering as co-trainers) only the runs they facilitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunScope {
    /// Every run.
    Every,
    /// Only the runs this account created or was named a co-facilitator of.
    Facilitating { user_id: i64 },
    /// No run (the account cannot facilitate exercises at all).
    Nobody,
}

/// The exercise runs an account with these roles may facilitate.
pub fn exercise_run_scope(roles: &[Role], user_id: i64) -> RunScope {
    if roles
        .iter()
        .any(|r| matches!(r, Role::Administrator | Role::MashTrainer))
    {
        RunScope::Every
    } else if Capability::ExercisesFacilitate.allows(roles) {
        RunScope::Facilitating { user_id }
    } else {
        RunScope::Nobody
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_roles_means_no_capabilities() {
        for cap in Capability::ALL {
            assert!(!cap.allows(&[]), "{cap:?} allowed with no roles");
        }
    }

    #[test]
    fn partner_reviewers_see_no_training_records() {
        for cap in [
            Capability::CatalogueView,
            Capability::TrainingRecords,
            Capability::OwnTraining,
            Capability::SignOff,
            Capability::TrainingSummary,
        ] {
            assert!(!cap.allows(&[Role::PartnerReviewer]), "{cap:?}");
        }
    }

    #[test]
    fn everyone_inside_the_force_sees_the_catalogue_their_training_feedback_and_sessions() {
        // Every role but the partner reviewer, including any role added later.
        for role in Role::ALL
            .into_iter()
            .filter(|r| *r != Role::PartnerReviewer)
        {
            for cap in [
                Capability::CatalogueView,
                Capability::OwnTraining,
                Capability::OwnFeedback,
                Capability::SessionsBrowse,
            ] {
                assert!(cap.allows(&[role]), "{role:?} lacks {cap:?}");
            }
        }
    }

    #[test]
    fn partner_reviewers_cannot_browse_people() {
        assert!(!Capability::PeopleBrowse.allows(&[Role::PartnerReviewer]));
        assert_eq!(
            people_scope(&[Role::PartnerReviewer], Some(7)),
            PeopleScope::Nobody
        );
    }

    #[test]
    fn a_manager_sees_only_their_people_and_an_unlinked_manager_sees_nobody() {
        assert_eq!(
            people_scope(&[Role::LineManager], Some(7)),
            PeopleScope::TheirPeople { person_id: 7 }
        );
        assert_eq!(people_scope(&[Role::Mentor], None), PeopleScope::Nobody);
    }

    #[test]
    fn only_administrators_and_the_trainer_reach_every_exercise_run() {
        assert_eq!(
            exercise_run_scope(&[Role::Administrator], 3),
            RunScope::Every
        );
        assert_eq!(exercise_run_scope(&[Role::MashTrainer], 3), RunScope::Every);
        assert_eq!(
            exercise_run_scope(&[Role::MashStaff], 3),
            RunScope::Facilitating { user_id: 3 }
        );
        assert_eq!(
            exercise_run_scope(&[Role::Frontline, Role::PartnerReviewer], 3),
            RunScope::Nobody
        );
    }

    #[test]
    fn a_line_manager_sees_their_team_and_force_wide_roles_the_force() {
        assert_eq!(
            impact_scope(&[Role::LineManager], Some(7)),
            ImpactScope::Team {
                manager_person_id: 7
            }
        );
        assert_eq!(
            impact_scope(&[Role::LineManager], None),
            ImpactScope::Nobody
        );
        for role in [
            Role::Administrator,
            Role::MashTrainer,
            Role::SeniorLeader,
            Role::Auditor,
        ] {
            assert_eq!(
                impact_scope(&[role, Role::LineManager], Some(7)),
                ImpactScope::Force,
                "{role:?}"
            );
        }
        for role in [
            Role::Frontline,
            Role::PartnerReviewer,
            Role::Mentor,
            Role::MashStaff,
        ] {
            assert_eq!(
                impact_scope(&[role], Some(7)),
                ImpactScope::Nobody,
                "{role:?}"
            );
            assert!(!Capability::Impact.allows(&[role]), "{role:?}");
        }
        assert!(!Capability::EvaluationReports.allows(&[Role::LineManager]));
    }

    #[test]
    fn one_role_that_holds_a_capability_is_enough() {
        assert!(Capability::AuditRead.allows(&[Role::Frontline, Role::Administrator]));
        assert!(!Capability::AuditRead.allows(&[Role::Frontline, Role::MashTrainer]));
    }
}
