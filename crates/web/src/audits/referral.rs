//! A referral linked to one of an audit's sampled incidents, as the audit entitles its readers
//! to see it (GET /compliance/audits/{id}/referrals/{referral_ref}). An auditor has no right to
//! browse the register, but to decide whether a form was completed, and on time, they must read
//! the form: its reference, when it was submitted, what it was about, where it went and what the
//! officer wrote. Not the people named in it nor partners' outcomes: the finding does not turn on
//! them. The rule is the domain's (`AuditReader::may_read_linked_referral`); the store checks the
//! referral is linked to an incident of the audit's current sample and records the view, naming
//! the audit it came through.

use super::*;

#[derive(Template)]
#[template(path = "audits/audits_referral.html")]
pub(super) struct ReferralPage {
    chrome: Chrome,
    a: AuditRow,
    r: audits::AuditedReferral,
    submitted: String,
    subject: &'static str,
    narrative_lines: Vec<String>,
    /// The sampled incident's page in this audit.
    incident_href: String,
    /// The full record in the register, for those who may browse it.
    register_href: Option<String>,
}

pub(super) async fn referral_page(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path((id, referral_ref)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let r = audits::linked_referral(
        &state.store,
        &page.user.actor(),
        &viewer(&page.user),
        &a,
        &referral_ref,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let refs = audits::current_sample_refs(&state.store, &a).await?;
    let incident_href = match refs.iter().position(|x| *x == r.incident_ref) {
        Some(p) => format!("/compliance/audits/{}/sample/{}", a.id, p + 1),
        None => format!("/compliance/audits/{}", a.id),
    };
    html(&ReferralPage {
        chrome: Chrome::new(
            &state,
            format!("Referral {} – {}", r.referral_ref, a.title),
            Some(&page.user),
            &page.csrf,
            "/compliance/audits",
        ),
        submitted: when(&r.submitted_at),
        subject: if r.subject_type == "child" {
            "A child"
        } else {
            "An adult"
        },
        narrative_lines: r.narrative.lines().map(str::to_string).collect(),
        incident_href,
        register_href: page
            .user
            .can(Capability::RegisterView)
            .then(|| format!("/register/referrals/{}", path_segment(&r.referral_ref))),
        r,
        a,
    })
}
