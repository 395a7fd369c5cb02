//! iCalendar invitations (RFC 5545) that Outlook accepts: one VEVENT per calendar, a stable UID,
//! a SEQUENCE that rises on every change of time or place, times in UTC, CRLF line ends and
//! lines folded at 75 octets without splitting a UTF-8 character.
//!
//! A calendar for one person's e-mail lists only that person as ATTENDEE, so no address is ever
//! visible to another.

use crate::sessions::Instant as Timestamp;

/// REQUEST (an invitation or an update) or CANCEL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// A name and an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub email: String,
}

/// Everything an invitation says.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub method: Method,
    pub uid: String,
    pub sequence: i64,
    /// When this calendar was made.
    pub stamp: Timestamp,
    pub starts: Timestamp,
    pub ends: Timestamp,
    pub summary: String,
    /// Venue and room, or "Microsoft Teams".
    pub location: String,
    pub description: String,
    /// The Teams join link or the session's page.
    pub url: Option<String>,
    pub organizer: Option<Party>,
    pub attendees: Vec<Party>,
}

/// `20250715T080000Z`.
pub fn utc_stamp(ts: Timestamp) -> String {
    let z = ts.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        z.year(),
        z.month() as u8,
        z.day(),
        z.hour(),
        z.minute(),
        z.second()
    )
}

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (such as CN): quoted when it holds `:`, `;` or `,`; double quotes and
/// control characters, which a parameter cannot carry, are dropped.
fn param_value(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// An address for `mailto:`, without anything that could break the line.
fn mailto(email: &str) -> String {
    let clean: String = email
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && *c != '"')
        .collect();
    format!("mailto:{clean}")
}

/// Folds one content line at 75 octets (continuations start with a space), never inside a
/// UTF-8 character, and ends every physical line with CRLF.
pub fn fold(line: &str, out: &mut String) {
    let mut budget = 75;
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > budget {
            out.push_str("\r\n ");
            budget = 74;
            used = 0;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

/// The whole calendar, ready to send as `text/calendar; method=…`.
pub fn render(inv: &Invitation) -> String {
    let cancelled = inv.method == Method::Cancel;
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "PRODID:-//mashboard//Safeguarding training sessions//EN".into(),
        "VERSION:2.0".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", inv.method.as_str()),
        "BEGIN:VEVENT".into(),
        format!("UID:{}", escape_text(&inv.uid)),
        format!("SEQUENCE:{}", inv.sequence.max(0)),
        format!("DTSTAMP:{}", utc_stamp(inv.stamp)),
        format!("DTSTART:{}", utc_stamp(inv.starts)),
        format!("DTEND:{}", utc_stamp(inv.ends)),
        format!("SUMMARY:{}", escape_text(&inv.summary)),
    ];
    if !inv.location.trim().is_empty() {
        lines.push(format!("LOCATION:{}", escape_text(&inv.location)));
    }
    if !inv.description.trim().is_empty() {
        lines.push(format!("DESCRIPTION:{}", escape_text(&inv.description)));
    }
    if let Some(url) = inv.url.as_deref().filter(|u| !u.trim().is_empty()) {
        let clean: String = url.chars().filter(|c| !c.is_control()).collect();
        lines.push(format!("URL:{clean}"));
    }
    if let Some(o) = &inv.organizer {
        lines.push(format!(
            "ORGANIZER;CN={}:{}",
            param_value(&o.name),
            mailto(&o.email)
        ));
    }
    for a in &inv.attendees {
        lines.push(format!(
            "ATTENDEE;CN={};CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:{}",
            param_value(&a.name),
            mailto(&a.email)
        ));
    }
    lines.push(format!(
        "STATUS:{}",
        if cancelled { "CANCELLED" } else { "CONFIRMED" }
    ));
    lines.push("TRANSP:OPAQUE".into());
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::{Calendar, Component, EventLike};

    fn inv(method: Method) -> Invitation {
        Invitation {
            method,
            uid: "session-42-7f3a@mashboard".into(),
            sequence: 2,
            stamp: crate::sessions::from_store("2025-07-01T12:00:00Z").unwrap(),
            starts: crate::sessions::from_store("2025-07-15T08:00:00Z").unwrap(),
            ends: crate::sessions::from_store("2025-07-15T11:00:00Z").unwrap(),
            summary: "Frontline safeguarding input; MASH, referrals".into(),
            location: "Microsoft Teams".into(),
            description: "Join on Teams: https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc\nBring your questions.".into(),
            url: Some("https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc".into()),
            organizer: Some(Party {
                name: "Sgt Zoë Ellis-Ó Briain, MASH".into(),
                email: "zoe.ellis@example.police.uk".into(),
            }),
            attendees: vec![Party {
                name: "PC Ana Müller".into(),
                email: "ana.muller@example.police.uk".into(),
            }],
        }
    }

    #[test]
    fn lines_are_crlf_and_at_most_75_octets() {
        let mut long = inv(Method::Request);
        long.description = "é".repeat(200) + &"x".repeat(100);
        let text = render(&long);
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        // Unfolding restores the text exactly.
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!(
            "DESCRIPTION:{}{}",
            "é".repeat(200),
            "x".repeat(100)
        )));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a;b,c\\d\ne\r\nf"), "a\\;b\\,c\\\\d\\ne\\nf");
    }

    #[test]
    fn a_standard_parser_reads_the_request() {
        let text = render(&inv(Method::Request));
        assert!(text.contains("METHOD:REQUEST\r\n"));
        assert!(text.contains("DTSTART:20250715T080000Z\r\n"));
        assert!(text.contains("STATUS:CONFIRMED\r\n"));
        let cal: Calendar = text.parse().expect("icalendar parses our output");
        assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
        let events: Vec<_> = cal.components.iter().filter_map(|c| c.as_event()).collect();
        assert_eq!(events.len(), 1);
        let e = events[0];
        assert_eq!(e.get_uid(), Some("session-42-7f3a@mashboard"));
        assert_eq!(e.property_value("SEQUENCE"), Some("2"));
        assert_eq!(
            e.get_summary(),
            Some("Frontline safeguarding input; MASH, referrals")
        );
        assert_eq!(e.get_location(), Some("Microsoft Teams"));
        assert!(e
            .get_description()
            .unwrap()
            .contains("https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc\nBring"));
        let org = e.properties().get("ORGANIZER").unwrap();
        assert_eq!(org.value(), "mailto:zoe.ellis@example.police.uk");
        assert_eq!(
            org.params().get("CN").unwrap().value(),
            "Sgt Zoë Ellis-Ó Briain, MASH"
        );
        let att = e.multi_properties().get("ATTENDEE").unwrap();
        assert_eq!(att.len(), 1);
        assert_eq!(att[0].value(), "mailto:ana.muller@example.police.uk");
        assert_eq!(att[0].params().get("RSVP").unwrap().value(), "TRUE");
        assert_eq!(
            att[0].params().get("PARTSTAT").unwrap().value(),
            "NEEDS-ACTION"
        );
        assert_eq!(
            att[0].params().get("ROLE").unwrap().value(),
            "REQ-PARTICIPANT"
        );
    }

    #[test]
    fn a_cancellation_keeps_the_uid() {
        let mut c = inv(Method::Cancel);
        c.sequence = 3;
        let text = render(&c);
        let cal: Calendar = text.parse().unwrap();
        assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
        let e = cal.components.iter().find_map(|c| c.as_event()).unwrap();
        assert_eq!(e.get_uid(), Some("session-42-7f3a@mashboard"));
        assert_eq!(e.property_value("SEQUENCE"), Some("3"));
        assert_eq!(e.property_value("STATUS"), Some("CANCELLED"));
    }
}
