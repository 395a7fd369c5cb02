//! Reminder digests: at most one message per person, gathering everything that waits for them,
//! never one message per item.
//!
//! Who gets what:
//! - everyone: their own required training that is overdue, expired or due soon;
//! - a line manager: the same for the people they line-manage, and the CPD those people have
//!   submitted for verification;
//! - a mentor or line manager: completions waiting for their signature (by the sign-off rules of
//!   [`crate::signoff`], so a record they cannot sign is never listed);
//! - a MASH trainer: force-wide counts only, with a link to the matrix.
//!
//! A digest holds no more personal data than the reader needs: names of their own people, module
//! titles and dates, never notes, learning narratives or staff numbers. The same digest is what
//! the e-mail says and what the home page shows, so people without an address still see it.
//! Everything here is pure: the store gathers the [`Inputs`], the command line sends.

use crate::people::format_date_long;
use crate::signoff::{self, Capacity, SignOffFacts};
use crate::training::ItemStatus;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use time::{Date, PrimitiveDateTime, Time};

/// The most item lines one section of a digest lists; the rest are counted.
pub const MAX_LINES: usize = 40;

/// A person in the directory, as far as reminders are concerned (active people only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    /// For the audit trail and the operator's dry run; never in a message.
    pub staff_number: String,
    pub name: String,
    pub email: Option<String>,
    pub line_manager_id: Option<i64>,
    pub mentor_id: Option<i64>,
    /// Gets the force-wide summary (holds the MASH trainer role).
    pub is_trainer: bool,
}

/// One required training item of one person, with its status as of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueItem {
    pub person_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub status: ItemStatus,
    /// When it is (next) due, or the day its sign-off runs out.
    pub due_on: Option<Date>,
}

impl DueItem {
    fn out_of_date(&self) -> bool {
        matches!(self.status, ItemStatus::Overdue | ItemStatus::Expired)
    }
    fn reminds(&self) -> bool {
        self.out_of_date() || self.status == ItemStatus::DueSoon
    }
}

/// A completion that is not signed off yet, with the live (not cleared) signatures it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCompletion {
    pub person_id: i64,
    pub module_title: String,
    pub completed_on: Date,
    pub signed: Vec<(Capacity, Option<i64>)>,
}

/// Everything digests are built from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub people: Vec<Person>,
    /// Plan items of active people (any status; only due soon and out of date are used).
    pub items: Vec<DueItem>,
    pub pending: Vec<PendingCompletion>,
    /// CPD submitted and not yet verified: each person who logged some, with how many entries
    /// (counted, not listed, so a person with thousands of entries costs one line).
    pub submitted_cpd: Vec<(i64, usize)>,
}

/// A line about one training item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemLine {
    pub module_code: String,
    pub module_title: String,
    pub status: ItemStatus,
    pub due_on: Option<Date>,
}

impl ItemLine {
    pub fn out_of_date(&self) -> bool {
        matches!(self.status, ItemStatus::Overdue | ItemStatus::Expired)
    }

    /// "Overdue: Child exploitation (CE-01), was due 1 February 2025".
    pub fn sentence(&self) -> String {
        let when = match (self.status, self.due_on) {
            (ItemStatus::Expired, Some(d)) => format!(", ran out on {}", format_date_long(d)),
            (ItemStatus::Overdue, Some(d)) => format!(", was due {}", format_date_long(d)),
            (_, Some(d)) => format!(", due by {}", format_date_long(d)),
            (_, None) => String::new(),
        };
        format!(
            "{}: {} ({}){when}",
            self.status.label(),
            self.module_title,
            self.module_code
        )
    }
}

/// The items one of a line manager's people owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamMember {
    pub name: String,
    pub items: Vec<ItemLine>,
}

/// A completion waiting for the recipient's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignOffLine {
    pub person_name: String,
    pub module_title: String,
    pub completed_on: Date,
    pub capacity: Capacity,
}

/// CPD one of a line manager's people has submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpdLine {
    pub person_name: String,
    pub entries: usize,
}

/// Counts across the force, for the MASH trainer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ForceSummary {
    pub out_of_date_items: usize,
    pub people_out_of_date: usize,
    pub due_soon_items: usize,
    pub awaiting_sign_off: usize,
    pub cpd_awaiting: usize,
}

impl ForceSummary {
    fn is_empty(&self) -> bool {
        *self == ForceSummary::default()
    }
}

/// Who a digest is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub email: Option<String>,
}

/// Everything that waits for one person. Never empty when built by [`build_digests`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub recipient: Recipient,
    pub own: Vec<ItemLine>,
    pub team: Vec<TeamMember>,
    pub sign_offs: Vec<SignOffLine>,
    pub cpd: Vec<CpdLine>,
    pub force: Option<ForceSummary>,
}

/// What a digest holds, in numbers: what the audit trail and a dry run show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DigestCounts {
    pub own_out_of_date: usize,
    pub own_due_soon: usize,
    pub team_people: usize,
    pub team_out_of_date: usize,
    pub team_due_soon: usize,
    pub sign_offs: usize,
    pub cpd_to_verify: usize,
    /// Force-wide items out of date (trainers only).
    pub force_out_of_date: Option<usize>,
}

impl DigestCounts {
    /// "2 of your own overdue or expired, 1 to sign off, ..." (parts that are zero left out).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut push = |n: usize, what: &str| {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        };
        push(self.own_out_of_date, "of your own overdue or expired");
        push(self.own_due_soon, "of your own due soon");
        push(self.team_out_of_date, "overdue or expired in your team");
        push(self.team_due_soon, "due soon in your team");
        push(self.sign_offs, "to sign off");
        push(self.cpd_to_verify, "CPD to verify");
        if let Some(n) = self.force_out_of_date {
            parts.push(format!("force summary ({n} overdue or expired)"));
        }
        parts.join(", ")
    }
}

impl Digest {
    pub fn counts(&self) -> DigestCounts {
        let team_items = self.team.iter().flat_map(|m| &m.items);
        DigestCounts {
            own_out_of_date: self.own.iter().filter(|l| l.out_of_date()).count(),
            own_due_soon: self.own.iter().filter(|l| !l.out_of_date()).count(),
            team_people: self.team.len(),
            team_out_of_date: team_items.clone().filter(|l| l.out_of_date()).count(),
            team_due_soon: team_items.filter(|l| !l.out_of_date()).count(),
            sign_offs: self.sign_offs.len(),
            cpd_to_verify: self.cpd.iter().map(|c| c.entries).sum(),
            force_out_of_date: self.force.map(|f| f.out_of_date_items),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.own.is_empty()
            && self.team.is_empty()
            && self.sign_offs.is_empty()
            && self.cpd.is_empty()
            && self.force.is_none()
    }
}

fn by_urgency(a: &ItemLine, b: &ItemLine) -> std::cmp::Ordering {
    (!a.out_of_date(), a.due_on, &a.module_title).cmp(&(
        !b.out_of_date(),
        b.due_on,
        &b.module_title,
    ))
}

fn line_of(i: &DueItem) -> ItemLine {
    ItemLine {
        module_code: i.module_code.clone(),
        module_title: i.module_title.clone(),
        status: i.status,
        due_on: i.due_on,
    }
}

/// Builds every digest: one per person with anything waiting for them, ordered by name. People
/// with nothing to act on get none.
pub fn build_digests(inputs: &Inputs) -> Vec<Digest> {
    let people: HashMap<i64, &Person> = inputs.people.iter().map(|p| (p.id, p)).collect();
    let reminding: Vec<&DueItem> = inputs
        .items
        .iter()
        .filter(|i| i.reminds() && people.contains_key(&i.person_id))
        .collect();

    let mut own: HashMap<i64, Vec<ItemLine>> = HashMap::new();
    for i in &reminding {
        own.entry(i.person_id).or_default().push(line_of(i));
    }
    for lines in own.values_mut() {
        lines.sort_by(by_urgency);
    }

    // Sign-offs: each pending completion, offered to its person's mentor and line manager if
    // the sign-off rules would let them sign it now.
    let mut sign_offs: HashMap<i64, Vec<SignOffLine>> = HashMap::new();
    let mut awaiting_sign_off = 0;
    for c in &inputs.pending {
        let Some(subject) = people.get(&c.person_id) else {
            continue;
        };
        awaiting_sign_off += 1;
        let facts = SignOffFacts {
            subject_person_id: subject.id,
            mentor_id: subject.mentor_id,
            line_manager_id: subject.line_manager_id,
            signed: c.signed.clone(),
            locked: false,
        };
        let mut signers = vec![subject.mentor_id, subject.line_manager_id];
        signers.dedup();
        for signer in signers.into_iter().flatten() {
            if !people.contains_key(&signer) {
                continue;
            }
            if let Ok(capacity) = signoff::capacity_for(Some(signer), &facts) {
                sign_offs.entry(signer).or_default().push(SignOffLine {
                    person_name: subject.name.clone(),
                    module_title: c.module_title.clone(),
                    completed_on: c.completed_on,
                    capacity,
                });
            }
        }
    }
    for lines in sign_offs.values_mut() {
        lines.sort_by(|a, b| {
            (a.completed_on, &a.person_name, &a.module_title).cmp(&(
                b.completed_on,
                &b.person_name,
                &b.module_title,
            ))
        });
    }

    let mut cpd: HashMap<i64, BTreeMap<(String, i64), usize>> = HashMap::new();
    let mut cpd_awaiting = 0;
    for &(person_id, entries) in &inputs.submitted_cpd {
        let Some(p) = people.get(&person_id) else {
            continue;
        };
        cpd_awaiting += entries;
        if let Some(manager) = p.line_manager_id.filter(|m| people.contains_key(m)) {
            *cpd.entry(manager)
                .or_default()
                .entry((p.name.clone(), p.id))
                .or_default() += entries;
        }
    }

    let force = ForceSummary {
        out_of_date_items: reminding.iter().filter(|i| i.out_of_date()).count(),
        people_out_of_date: reminding
            .iter()
            .filter(|i| i.out_of_date())
            .map(|i| i.person_id)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        due_soon_items: reminding.iter().filter(|i| !i.out_of_date()).count(),
        awaiting_sign_off,
        cpd_awaiting,
    };

    let mut team: HashMap<i64, Vec<TeamMember>> = HashMap::new();
    for p in &inputs.people {
        let (Some(manager), Some(lines)) = (p.line_manager_id, own.get(&p.id)) else {
            continue;
        };
        if manager != p.id && people.contains_key(&manager) {
            team.entry(manager).or_default().push(TeamMember {
                name: p.name.clone(),
                items: lines.clone(),
            });
        }
    }
    for members in team.values_mut() {
        members.sort_by(|a, b| a.name.cmp(&b.name));
    }

    let mut digests: Vec<Digest> = inputs
        .people
        .iter()
        .map(|p| Digest {
            recipient: Recipient {
                person_id: p.id,
                staff_number: p.staff_number.clone(),
                name: p.name.clone(),
                email: p.email.clone(),
            },
            own: own.remove(&p.id).unwrap_or_default(),
            team: team.remove(&p.id).unwrap_or_default(),
            sign_offs: sign_offs.remove(&p.id).unwrap_or_default(),
            cpd: cpd
                .remove(&p.id)
                .unwrap_or_default()
                .into_iter()
                .map(|((person_name, _), entries)| CpdLine {
                    person_name,
                    entries,
                })
                .collect(),
            force: (p.is_trainer && !force.is_empty()).then_some(force),
        })
        .filter(|d| !d.is_empty())
        .collect();
    digests.sort_by(|a, b| {
        (&a.recipient.name, a.recipient.person_id).cmp(&(&b.recipient.name, b.recipient.person_id))
    });
    digests
}

/// The digest of one person (for the home page), if anything waits for them.
pub fn digest_for(inputs: &Inputs, person_id: i64) -> Option<Digest> {
    build_digests(inputs)
        .into_iter()
        .find(|d| d.recipient.person_id == person_id)
}

/// Digests split into those that can be e-mailed and those whose recipient has no address (they
/// still see theirs on the home page; a run reports them so the directory can be completed).
pub fn split_by_address(digests: Vec<Digest>) -> (Vec<Digest>, Vec<Digest>) {
    digests
        .into_iter()
        .partition(|d| d.recipient.email.is_some())
}

// ---------------------------------------------------------------------------------------------
// The message

/// What a message needs besides the digest.
#[derive(Debug, Clone)]
pub struct MessageContext {
    /// Where users reach mashboard, without a trailing slash (`https://mashboard.force.example`).
    pub base_url: String,
    /// The force's name, or empty when none is configured.
    pub force_name: String,
    pub today: Date,
    pub due_soon_days: i64,
}

impl MessageContext {
    /// "mashboard (Demo Constabulary)", or "mashboard" without a force name.
    fn sender(&self) -> String {
        if self.force_name.trim().is_empty() {
            "mashboard".into()
        } else {
            format!("mashboard ({})", self.force_name.trim())
        }
    }

    fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }
}

/// What a section of a digest is about, and so where its link goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SectionKind {
    Own,
    Team,
    SignOffs,
    Cpd,
    Force,
}

impl SectionKind {
    /// The page that deals with the section, relative to the app's address.
    pub fn path(self) -> &'static str {
        match self {
            SectionKind::Own => "/my/training",
            SectionKind::Team => "/training/reminders",
            SectionKind::SignOffs => "/sign-offs",
            SectionKind::Cpd => "/cpd/review",
            SectionKind::Force => "/training/matrix?status=out_of_date",
        }
    }

    pub fn link_text(self) -> &'static str {
        match self {
            SectionKind::Own => "See your training plan",
            SectionKind::Team => "See the reminders",
            SectionKind::SignOffs => "Sign them off",
            SectionKind::Cpd => "Verify CPD",
            SectionKind::Force => "See the compliance matrix",
        }
    }
}

/// One section of a digest as words: what the e-mail and the home page both show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub kind: SectionKind,
    pub heading: String,
    pub lines: Vec<String>,
}

fn capped(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > MAX_LINES {
        let more = lines.len() - MAX_LINES;
        lines.truncate(MAX_LINES);
        lines.push(format!("... and {more} more"));
    }
    lines
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The digest in words, section by section. `due_soon_days` is the "due soon" window.
pub fn sections(d: &Digest, due_soon_days: i64) -> Vec<Section> {
    let mut out = Vec::new();
    if !d.own.is_empty() {
        out.push(Section {
            heading: "Your own training".into(),
            lines: capped(d.own.iter().map(ItemLine::sentence).collect()),
            kind: SectionKind::Own,
        });
    }
    if !d.team.is_empty() {
        let mut lines = Vec::new();
        for m in &d.team {
            for l in &m.items {
                lines.push(format!("{}: {}", m.name, l.sentence()));
            }
        }
        out.push(Section {
            heading: "Training of the people you line-manage".into(),
            lines: capped(lines),
            kind: SectionKind::Team,
        });
    }
    if !d.sign_offs.is_empty() {
        out.push(Section {
            heading: "Training records waiting for your sign-off".into(),
            lines: capped(
                d.sign_offs
                    .iter()
                    .map(|s| {
                        format!(
                            "{}: {}, completed {} (you sign as {})",
                            s.person_name,
                            s.module_title,
                            format_date_long(s.completed_on),
                            s.capacity.label().to_lowercase()
                        )
                    })
                    .collect(),
            ),
            kind: SectionKind::SignOffs,
        });
    }
    if !d.cpd.is_empty() {
        out.push(Section {
            heading: "CPD waiting for you to verify".into(),
            lines: capped(
                d.cpd
                    .iter()
                    .map(|c| {
                        format!(
                            "{}: {}",
                            c.person_name,
                            plural(c.entries, "entry", "entries")
                        )
                    })
                    .collect(),
            ),
            kind: SectionKind::Cpd,
        });
    }
    if let Some(f) = d.force {
        out.push(Section {
            heading: "Across the force".into(),
            lines: vec![
                format!(
                    "{} overdue or expired, for {}",
                    plural(
                        f.out_of_date_items,
                        "training item is",
                        "training items are"
                    ),
                    plural(f.people_out_of_date, "person", "people")
                ),
                format!(
                    "{} due within {} days",
                    plural(f.due_soon_items, "item is", "items are"),
                    due_soon_days
                ),
                format!(
                    "{} waiting for sign-off",
                    plural(f.awaiting_sign_off, "completion is", "completions are")
                ),
                format!(
                    "{} waiting to be verified",
                    plural(f.cpd_awaiting, "CPD entry is", "CPD entries are")
                ),
            ],
            kind: SectionKind::Force,
        });
    }
    out
}

/// The subject line: what waits, in numbers.
pub fn subject(d: &Digest, ctx: &MessageContext) -> String {
    let c = d.counts();
    let mut parts = Vec::new();
    let out_of_date = c.own_out_of_date + c.team_out_of_date;
    let due_soon = c.own_due_soon + c.team_due_soon;
    if out_of_date > 0 {
        parts.push(format!("{out_of_date} overdue"));
    }
    if due_soon > 0 {
        parts.push(format!("{due_soon} due soon"));
    }
    if c.sign_offs > 0 {
        parts.push(format!("{} to sign off", c.sign_offs));
    }
    if c.cpd_to_verify > 0 {
        parts.push(format!("{} CPD to verify", c.cpd_to_verify));
    }
    if parts.is_empty() {
        parts.push("force summary".into());
    }
    if ctx.force_name.trim().is_empty() {
        format!("Training reminders: {}", parts.join(", "))
    } else {
        format!(
            "Training reminders, {}: {}",
            ctx.force_name.trim(),
            parts.join(", ")
        )
    }
}

const FOOTER: &str =
    "You receive this because you have training to do, or look after people who do. \
The same reminders are on your home page in mashboard. Please do not reply to this e-mail.";

/// The plain-text body.
pub fn text_body(d: &Digest, ctx: &MessageContext) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Hello {},", d.recipient.name);
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "These are your training reminders from {} on {}.",
        ctx.sender(),
        format_date_long(ctx.today)
    );
    for sec in sections(d, ctx.due_soon_days) {
        let _ = writeln!(s);
        let _ = writeln!(s, "{}", sec.heading.to_uppercase());
        for l in &sec.lines {
            let _ = writeln!(s, "- {l}");
        }
        let _ = writeln!(s, "{}: {}", sec.kind.link_text(), ctx.link(sec.kind.path()));
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "{FOOTER}");
    s
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML body: the same words as [`text_body`], with headings, lists and real links.
pub fn html_body(d: &Digest, ctx: &MessageContext) -> String {
    let mut s = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Training reminders</title></head>\
         <body style=\"font-family: Arial, sans-serif; font-size: 16px; line-height: 1.4\">",
    );
    let _ = write!(s, "<p>Hello {},</p>", esc(&d.recipient.name));
    let _ = write!(
        s,
        "<p>These are your training reminders from {} on {}.</p>",
        esc(&ctx.sender()),
        format_date_long(ctx.today)
    );
    for sec in sections(d, ctx.due_soon_days) {
        let _ = write!(
            s,
            "<h2 style=\"font-size: 19px\">{}</h2><ul>",
            esc(&sec.heading)
        );
        for l in &sec.lines {
            let _ = write!(s, "<li>{}</li>", esc(l));
        }
        let _ = write!(
            s,
            "</ul><p><a href=\"{}\">{}</a></p>",
            esc(&ctx.link(sec.kind.path())),
            esc(sec.kind.link_text())
        );
    }
    let _ = write!(
        s,
        "<p style=\"color: #505a5f\">{}</p></body></html>",
        esc(FOOTER)
    );
    s
}

// ---------------------------------------------------------------------------------------------
// When the server sends

/// Reads the daily send time, `HH:MM` on a 24-hour clock (`07:00`), in UTC.
pub fn parse_send_time(raw: &str) -> Result<Time, String> {
    let s = raw.trim();
    let bad = || {
        format!(
            "\"{s}\" is not a time of day; write it as HH:MM on a 24-hour clock, for example 07:00"
        )
    };
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u8 = h.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    Time::from_hms(h, m, 0).map_err(|_| bad())
}

/// Whether the daily digests are due: the send time has passed today (UTC) and no run has been
/// made today. A server started after the send time sends that day's digests straight away;
/// one that was down all day does not send yesterday's.
pub fn run_due(now: PrimitiveDateTime, send_at: Time, last_run_on: Option<Date>) -> bool {
    now.time() >= send_at && last_run_on.is_none_or(|last| last < now.date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    fn person(id: i64, name: &str, manager: Option<i64>, mentor: Option<i64>) -> Person {
        Person {
            id,
            staff_number: format!("N{id}"),
            name: name.into(),
            email: Some(format!(
                "{}@force.example",
                name.to_lowercase().replace(' ', ".")
            )),
            line_manager_id: manager,
            mentor_id: mentor,
            is_trainer: false,
        }
    }

    fn item(person_id: i64, code: &str, status: ItemStatus, due_on: Date) -> DueItem {
        DueItem {
            person_id,
            module_code: code.into(),
            module_title: format!("Module {code}"),
            status,
            due_on: Some(due_on),
        }
    }

    /// A small force: Mo (1) manages Ann (2) and Bo (3); Cy (4) mentors Ann and Bo; Tess (5) is
    /// the trainer; Di (6) manages nobody and has nothing due.
    fn force() -> Inputs {
        let mut tess = person(5, "Tess Trainer", None, None);
        tess.is_trainer = true;
        Inputs {
            people: vec![
                person(1, "Mo Manager", None, None),
                person(2, "Ann Officer", Some(1), Some(4)),
                person(3, "Bo Officer", Some(1), Some(4)),
                person(4, "Cy Mentor", Some(1), None),
                tess,
                person(6, "Di Quiet", None, None),
            ],
            items: vec![
                item(2, "CE", ItemStatus::Overdue, date!(2025 - 02 - 01)),
                item(2, "DA", ItemStatus::DueSoon, date!(2025 - 03 - 20)),
                item(2, "VU", ItemStatus::SignedOff, date!(2026 - 01 - 01)),
                item(3, "CE", ItemStatus::Expired, date!(2025 - 01 - 10)),
                item(6, "CE", ItemStatus::NotStarted, date!(2025 - 06 - 01)),
            ],
            pending: vec![PendingCompletion {
                person_id: 3,
                module_title: "Module DA".into(),
                completed_on: date!(2025 - 03 - 01),
                signed: vec![],
            }],
            submitted_cpd: vec![(2, 2), (3, 1)],
        }
    }

    fn ctx() -> MessageContext {
        MessageContext {
            base_url: "https://mashboard.force.example/".into(),
            force_name: "Demo Constabulary".into(),
            today: date!(2025 - 03 - 03),
            due_soon_days: 30,
        }
    }

    fn names(ds: &[Digest]) -> Vec<&str> {
        ds.iter().map(|d| d.recipient.name.as_str()).collect()
    }

    #[test]
    fn each_person_gets_what_waits_for_them_and_nobody_gets_an_empty_digest() {
        let ds = build_digests(&force());
        assert_eq!(
            names(&ds),
            vec![
                "Ann Officer",
                "Bo Officer",
                "Cy Mentor",
                "Mo Manager",
                "Tess Trainer"
            ]
        );
        assert!(ds.iter().all(|d| !d.is_empty()));

        let mo = &ds[3];
        assert!(mo.own.is_empty());
        assert_eq!(
            mo.team.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            vec!["Ann Officer", "Bo Officer"]
        );
        // Ann's signed-off item is not a reminder; her overdue item comes before the due-soon one.
        let ann: Vec<_> = mo.team[0].items.iter().map(|l| l.status).collect();
        assert_eq!(ann, vec![ItemStatus::Overdue, ItemStatus::DueSoon]);
        assert_eq!(mo.sign_offs.len(), 1);
        assert_eq!(mo.sign_offs[0].capacity, Capacity::LineManager);
        assert_eq!(
            mo.cpd,
            vec![
                CpdLine {
                    person_name: "Ann Officer".into(),
                    entries: 2
                },
                CpdLine {
                    person_name: "Bo Officer".into(),
                    entries: 1
                },
            ]
        );
        assert_eq!(mo.force, None);
        let c = mo.counts();
        assert_eq!(
            (
                c.team_people,
                c.team_out_of_date,
                c.team_due_soon,
                c.sign_offs,
                c.cpd_to_verify
            ),
            (2, 2, 1, 1, 3)
        );

        let cy = &ds[2];
        assert_eq!(cy.sign_offs.len(), 1);
        assert_eq!(cy.sign_offs[0].capacity, Capacity::Mentor);
        assert!(cy.team.is_empty() && cy.cpd.is_empty() && cy.own.is_empty());

        let ann = &ds[0];
        assert_eq!(ann.own.len(), 2);
        assert!(ann.team.is_empty() && ann.sign_offs.is_empty());

        let tess = &ds[4];
        assert_eq!(
            tess.force,
            Some(ForceSummary {
                out_of_date_items: 2,
                people_out_of_date: 2,
                due_soon_items: 1,
                awaiting_sign_off: 1,
                cpd_awaiting: 3,
            })
        );
        assert!(tess.own.is_empty() && tess.team.is_empty());
    }

    #[test]
    fn a_signature_already_given_takes_that_signer_off_the_list() {
        let mut f = force();
        f.pending[0].signed = vec![(Capacity::Mentor, Some(4))];
        let ds = build_digests(&f);
        assert!(!names(&ds).contains(&"Cy Mentor"));
        let mo = ds.iter().find(|d| d.recipient.person_id == 1).unwrap();
        assert_eq!(mo.sign_offs.len(), 1);
    }

    #[test]
    fn one_digest_per_recipient_however_many_items() {
        let mut f = force();
        for p in 100..160 {
            f.people
                .push(person(p, &format!("Extra {p}"), Some(1), Some(4)));
            for m in 0..5 {
                f.items.push(item(
                    p,
                    &format!("M{m}"),
                    ItemStatus::Overdue,
                    date!(2025 - 01 - 01),
                ));
            }
            f.pending.push(PendingCompletion {
                person_id: p,
                module_title: "Module M0".into(),
                completed_on: date!(2025 - 02 - 01),
                signed: vec![],
            });
        }
        let ds = build_digests(&f);
        let mut ids: Vec<i64> = ds.iter().map(|d| d.recipient.person_id).collect();
        let before = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), before, "a recipient appears twice");
        let mo = ds.iter().find(|d| d.recipient.person_id == 1).unwrap();
        assert_eq!(mo.team.len(), 62);
        assert_eq!(mo.counts().team_out_of_date, 2 + 300);
        // The message lists the first lines and counts the rest.
        let body = text_body(mo, &ctx());
        assert!(body.contains("... and "), "{body}");
        assert!(
            body.lines().count() < 4 * MAX_LINES,
            "{}",
            body.lines().count()
        );
    }

    #[test]
    fn people_without_an_address_are_set_aside_not_dropped() {
        let mut f = force();
        f.people[0].email = None; // Mo
        let (with, without) = split_by_address(build_digests(&f));
        assert_eq!(names(&without), vec!["Mo Manager"]);
        assert!(!names(&with).contains(&"Mo Manager"));
        assert_eq!(with.len(), 4);
        // Mo still has a digest for the home page.
        assert!(digest_for(&f, 1).is_some());
        assert!(digest_for(&f, 6).is_none());
    }

    #[test]
    fn people_who_left_are_neither_reminded_nor_listed() {
        let mut f = force();
        f.people.retain(|p| p.id != 3); // Bo has left
        let ds = build_digests(&f);
        assert!(!names(&ds).contains(&"Bo Officer"));
        let mo = ds.iter().find(|d| d.recipient.person_id == 1).unwrap();
        assert_eq!(mo.team.len(), 1);
        assert!(mo.sign_offs.is_empty());
        assert_eq!(mo.cpd.len(), 1);
    }

    #[test]
    fn the_message_has_a_line_per_item_links_and_no_narrative() {
        let ds = build_digests(&force());
        let mo = ds.iter().find(|d| d.recipient.person_id == 1).unwrap();
        let body = text_body(mo, &ctx());
        assert!(body.starts_with("Hello Mo Manager,\n"), "{body}");
        assert!(body.contains(
            "These are your training reminders from mashboard (Demo Constabulary) on 3 March 2025."
        ));
        assert!(body.contains("- Ann Officer: Overdue: Module CE (CE), was due 1 February 2025"));
        assert!(body.contains("- Ann Officer: Due soon: Module DA (DA), due by 20 March 2025"));
        assert!(body.contains("- Bo Officer: Expired: Module CE (CE), ran out on 10 January 2025"));
        assert!(body.contains(
            "- Bo Officer: Module DA, completed 1 March 2025 (you sign as line manager)"
        ));
        assert!(body.contains("- Ann Officer: 2 entries"));
        assert!(
            body.contains("See the reminders: https://mashboard.force.example/training/reminders")
        );
        assert!(body.contains("Sign them off: https://mashboard.force.example/sign-offs"));
        assert!(body.contains("Verify CPD: https://mashboard.force.example/cpd/review"));
        assert!(!body.contains("@"), "no addresses in the body");
        assert_eq!(
            subject(mo, &ctx()),
            "Training reminders, Demo Constabulary: 2 overdue, 1 due soon, 1 to sign off, 3 CPD to verify"
        );
        let html = html_body(mo, &ctx());
        assert!(html
            .contains("<a href=\"https://mashboard.force.example/sign-offs\">Sign them off</a>"));
        assert!(html.contains("<li>Ann Officer: 2 entries</li>"));

        let tess = ds.iter().find(|d| d.recipient.person_id == 5).unwrap();
        let body = text_body(tess, &ctx());
        assert!(body.contains("- 2 training items are overdue or expired, for 2 people"));
        assert!(body.contains("- 1 item is due within 30 days"));
        assert!(body.contains("https://mashboard.force.example/training/matrix?status=out_of_date"));
        assert!(!body.contains("Ann"), "the force summary names nobody");
        assert_eq!(
            subject(tess, &ctx()),
            "Training reminders, Demo Constabulary: force summary"
        );
        let unnamed = MessageContext {
            force_name: String::new(),
            ..ctx()
        };
        assert_eq!(subject(tess, &unnamed), "Training reminders: force summary");
        assert!(text_body(tess, &unnamed).contains("reminders from mashboard on 3 March 2025."));
    }

    #[test]
    fn html_escapes_names() {
        let mut f = force();
        f.people[1].name = "Ann <b>O'Brien</b> & co".into();
        let ds = build_digests(&f);
        let mo = ds.iter().find(|d| d.recipient.person_id == 1).unwrap();
        let html = html_body(mo, &ctx());
        assert!(html.contains("Ann &lt;b&gt;O&#39;Brien&lt;/b&gt; &amp; co"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn counts_describe_themselves_for_a_dry_run() {
        let ds = build_digests(&force());
        let mo = ds.iter().find(|d| d.recipient.person_id == 1).unwrap();
        assert_eq!(
            mo.counts().describe(),
            "2 overdue or expired in your team, 1 due soon in your team, 1 to sign off, 3 CPD to verify"
        );
    }

    #[test]
    fn send_times_are_read_as_hh_mm() {
        assert_eq!(parse_send_time("07:00"), Ok(time!(07:00)));
        assert_eq!(parse_send_time(" 7:30 "), Ok(time!(07:30)));
        assert_eq!(parse_send_time("23:59"), Ok(time!(23:59)));
        for bad in ["24:00", "7", "07:0", "seven", "07:60", "", "07:00:00"] {
            assert!(parse_send_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_daily_run_is_due_once_after_the_send_time() {
        let at = time!(07:00);
        let today = date!(2025 - 03 - 03);
        assert!(!run_due(datetime!(2025-03-03 06:59), at, None));
        assert!(run_due(datetime!(2025-03-03 07:00), at, None));
        assert!(run_due(
            datetime!(2025-03-03 07:01),
            at,
            Some(date!(2025 - 03 - 02))
        ));
        assert!(!run_due(datetime!(2025-03-03 07:01), at, Some(today)));
        assert!(!run_due(datetime!(2025-03-03 23:59), at, Some(today)));
        assert!(run_due(datetime!(2025-03-04 07:00), at, Some(today)));
        assert!(!run_due(datetime!(2025-03-04 06:00), at, Some(today)));
    }
}
