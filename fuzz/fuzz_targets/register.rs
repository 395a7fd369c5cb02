//! The register imports (incidents, referrals, outcomes, referral people): the streaming
//! `register::RegisterReader`, read to the end. The first byte picks the kind.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mashboard_domain::register::RegisterKind;
use mashboard_fuzz::read_register;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let kinds = [
        RegisterKind::Incidents,
        RegisterKind::Referrals,
        RegisterKind::Outcomes,
        RegisterKind::ReferralPeople,
    ];
    read_register(kinds[usize::from(pick) % kinds.len()], bytes);
});
