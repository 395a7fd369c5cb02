//! Who may sign off a training record. Sign-off needs both the person's named mentor and their
//! named line manager, as the directory records them at the moment of signing; nobody signs
//! their own record, and one person never provides both signatures.

use serde::Serialize;

/// The capacity a signature is given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    Mentor,
    LineManager,
}

impl Capacity {
    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::Mentor => "mentor",
            Capacity::LineManager => "line_manager",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Capacity::Mentor => "Mentor",
            Capacity::LineManager => "Line manager",
        }
    }
    pub fn parse(s: &str) -> Option<Capacity> {
        match s {
            "mentor" => Some(Capacity::Mentor),
            "line_manager" => Some(Capacity::LineManager),
            _ => None,
        }
    }
}

/// What the directory and the record say at the moment of signing.
#[derive(Debug, Clone, Default)]
pub struct SignOffFacts {
    pub subject_person_id: i64,
    pub mentor_id: Option<i64>,
    pub line_manager_id: Option<i64>,
    /// Capacities already signed (and not cleared), with who signed.
    pub signed: Vec<(Capacity, Option<i64>)>,
    pub locked: bool,
}

/// Why a signature is refused, in words for the signer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("You cannot sign off your own training record")]
    OwnRecord,
    #[error("Only this person's named mentor or named line manager can sign off their training")]
    NotNamed,
    #[error("This record is already signed off. Reopen it first if it needs to change")]
    Locked,
    #[error("This record already has a {0} signature")]
    AlreadySigned(&'static str),
    #[error(
        "You have already signed this record; the other signature must come from someone else"
    )]
    SameSigner,
}

/// The capacities a signer may sign in now, or why not. A person named as both mentor and line
/// manager may sign once; the second signature must come from someone else.
pub fn capacity_for(signer_person_id: Option<i64>, f: &SignOffFacts) -> Result<Capacity, Refusal> {
    let Some(signer) = signer_person_id else {
        return Err(Refusal::NotNamed);
    };
    if signer == f.subject_person_id {
        return Err(Refusal::OwnRecord);
    }
    if f.locked {
        return Err(Refusal::Locked);
    }
    let is_mentor = f.mentor_id == Some(signer);
    let is_manager = f.line_manager_id == Some(signer);
    if !is_mentor && !is_manager {
        return Err(Refusal::NotNamed);
    }
    if f.signed.iter().any(|(_, by)| *by == Some(signer)) {
        return Err(Refusal::SameSigner);
    }
    let signed = |c: Capacity| f.signed.iter().any(|(cap, _)| *cap == c);
    if is_mentor && !signed(Capacity::Mentor) {
        return Ok(Capacity::Mentor);
    }
    if is_manager && !signed(Capacity::LineManager) {
        return Ok(Capacity::LineManager);
    }
    Err(Refusal::AlreadySigned(if is_mentor {
        "mentor"
    } else {
        "line manager"
    }))
}

/// A record is signed off once both capacities have signed.
pub fn fully_signed(signed: &[(Capacity, Option<i64>)]) -> bool {
    [Capacity::Mentor, Capacity::LineManager]
        .iter()
        .all(|c| signed.iter().any(|(s, _)| s == c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SignOffFacts {
        SignOffFacts {
            subject_person_id: 1,
            mentor_id: Some(2),
            line_manager_id: Some(3),
            signed: vec![],
            locked: false,
        }
    }

    #[test]
    fn the_named_mentor_and_manager_sign_in_their_own_capacities() {
        assert_eq!(capacity_for(Some(2), &facts()), Ok(Capacity::Mentor));
        assert_eq!(capacity_for(Some(3), &facts()), Ok(Capacity::LineManager));
    }

    #[test]
    fn nobody_else_signs_and_nobody_signs_their_own() {
        assert_eq!(capacity_for(Some(4), &facts()), Err(Refusal::NotNamed));
        assert_eq!(capacity_for(None, &facts()), Err(Refusal::NotNamed));
        let mut f = facts();
        f.mentor_id = Some(1);
        assert_eq!(capacity_for(Some(1), &f), Err(Refusal::OwnRecord));
    }

    #[test]
    fn a_second_signature_in_the_same_capacity_is_refused() {
        let mut f = facts();
        f.signed.push((Capacity::Mentor, Some(9)));
        assert_eq!(
            capacity_for(Some(2), &f),
            Err(Refusal::AlreadySigned("mentor"))
        );
    }

    #[test]
    fn one_person_named_twice_signs_once() {
        let mut f = facts();
        f.line_manager_id = Some(2);
        assert_eq!(capacity_for(Some(2), &f), Ok(Capacity::Mentor));
        f.signed.push((Capacity::Mentor, Some(2)));
        assert_eq!(capacity_for(Some(2), &f), Err(Refusal::SameSigner));
        assert!(!fully_signed(&f.signed));
    }

    #[test]
    fn a_locked_record_takes_no_signatures_and_both_capacities_complete_it() {
        let mut f = facts();
        f.locked = true;
        assert_eq!(capacity_for(Some(2), &f), Err(Refusal::Locked));
        assert!(fully_signed(&[
            (Capacity::LineManager, Some(3)),
            (Capacity::Mentor, Some(2))
        ]));
    }
}
