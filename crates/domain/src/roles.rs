//! The roles of PRODUCT.md. One word per role, the same in the CLI, the API, the database and the UI.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role an account (or a person in the directory) can hold. A person may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    MashTrainer,
    MashStaff,
    Mentor,
    LineManager,
    Frontline,
    SeniorLeader,
    PartnerReviewer,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Administrator,
        Role::MashTrainer,
        Role::MashStaff,
        Role::Mentor,
        Role::LineManager,
        Role::Frontline,
        Role::SeniorLeader,
        Role::PartnerReviewer,
        Role::Auditor,
    ];

    /// The stable machine name (`mash_trainer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::MashTrainer => "mash_trainer",
            Role::MashStaff => "mash_staff",
            Role::Mentor => "mentor",
            Role::LineManager => "line_manager",
            Role::Frontline => "frontline",
            Role::SeniorLeader => "senior_leader",
            Role::PartnerReviewer => "partner_reviewer",
            Role::Auditor => "auditor",
        }
    }

    /// The words a user reads on a page.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::MashTrainer => "MASH trainer",
            Role::MashStaff => "MASH staff",
            Role::Mentor => "Mentor",
            Role::LineManager => "Line manager",
            Role::Frontline => "Frontline officer or staff",
            Role::SeniorLeader => "Senior leader",
            Role::PartnerReviewer => "Partner reviewer",
            Role::Auditor => "Auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a role; use one of: administrator, mash_trainer, mash_staff, mentor, line_manager, frontline, senior_leader, partner_reviewer, auditor")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| UnknownRole(s.trim().to_string()))
    }
}

/// Parses a list such as `mash_staff;mentor` (separated by `;`, `,` or `|`), dropping repeats.
pub fn parse_role_list(s: &str) -> Result<Vec<Role>, UnknownRole> {
    let mut roles = Vec::new();
    for part in s.split([';', ',', '|']) {
        if part.trim().is_empty() {
            continue;
        }
        let role: Role = part.parse()?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles.sort();
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
    }

    #[test]
    fn role_names_are_forgiving_about_case_and_separators() {
        assert_eq!("MASH Trainer".parse::<Role>().unwrap(), Role::MashTrainer);
        assert_eq!("line-manager".parse::<Role>().unwrap(), Role::LineManager);
    }

    #[test]
    fn an_unknown_role_names_itself_in_the_error() {
        let err = "sheriff".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("\"sheriff\" is not a role"));
    }

    #[test]
    fn role_lists_split_on_semicolons_and_drop_repeats() {
        assert_eq!(
            parse_role_list("mentor; mash_staff;mentor;").unwrap(),
            vec![Role::MashStaff, Role::Mentor]
        );
        assert!(parse_role_list("").unwrap().is_empty());
        assert!(parse_role_list("mentor;boss").is_err());
    }
}
