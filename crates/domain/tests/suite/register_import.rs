//! Reading messy register exports (`tests/fixtures/register`, made by
//! `make_register_fixtures.py`): byte-order marks, Windows-1252, CRLF, semicolons and tabs,
//! quoted line breaks, UK and ISO dates, repeated references and unknown outcome words.

use crate::common::fixture;
use mashboard_domain::imports::RowError;
use mashboard_domain::register::{
    PartnerOutcome, Record, RegisterKind, RegisterMapping, RegisterReader, SubjectType,
};

fn read(kind: RegisterKind, name: &str) -> (Vec<(usize, Record)>, Vec<RowError>, String) {
    let bytes = fixture(&format!("register/{name}"));
    let mut reader = RegisterReader::new(kind, &bytes[..]).unwrap();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for row in reader.by_ref() {
        match row.result {
            Ok(r) => good.push((row.row, r)),
            Err(mut e) => bad.append(&mut e),
        }
    }
    (good, bad, reader.encoding().to_string())
}

#[test]
fn incidents_with_a_bom_crlf_semicolons_and_mixed_dates_read_cleanly() {
    let (good, bad, encoding) = read(RegisterKind::Incidents, "incidents-messy.csv");
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(encoding, "UTF-8 with BOM");
    // Row 4 is blank: the last two incidents are rows 5 and 6, as a spreadsheet shows them.
    assert_eq!(
        good.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        vec![2, 3, 5, 6]
    );
    let Record::Incident(third) = &good[2].1 else {
        panic!()
    };
    assert_eq!(third.category, "Assault; common");
    assert_eq!(third.reported_at, "2024-01-05T00:00:00");
    assert!(third.children_involved && !third.adult_at_risk && third.domestic_abuse);
    let Record::Incident(second) = &good[1].1 else {
        panic!()
    };
    assert_eq!(second.reported_at, "2024-01-04T09:30:00");
    assert_eq!(
        second.officer_staff_number.as_ref().unwrap().as_str(),
        "S200"
    );
    assert!(!second.children_involved && second.adult_at_risk);
    let Record::Incident(fourth) = &good[3].1 else {
        panic!()
    };
    assert_eq!(fourth.reported_at, "2024-01-06T14:05:00");
    assert!(fourth.officer_staff_number.is_none());
}

#[test]
fn windows_1252_referrals_keep_their_accents_and_multi_line_narratives() {
    let (good, bad, encoding) = read(RegisterKind::Referrals, "referrals-1252.csv");
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(encoding, "Windows-1252");
    // A narrative over two lines is one row: the next referral is row 3.
    assert_eq!(
        good.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    let Record::Referral(first) = &good[0].1 else {
        panic!()
    };
    assert_eq!(
        first.narrative,
        "Two children present at the café flat.\nMother said \"it happens every week\"."
    );
    assert_eq!(first.subject_type, SubjectType::Child);
    assert_eq!(first.submitted_at, "2024-01-04T08:00:00");
    let Record::Referral(second) = &good[1].1 else {
        panic!()
    };
    assert_eq!(second.narrative, "Zoë lives alone; no heating.");
    assert_eq!(second.subject_type, SubjectType::Adult);
    let Record::Referral(third) = &good[2].1 else {
        panic!()
    };
    assert_eq!(third.narrative, "School to be told.\n\nConsent not given.");
}

#[test]
fn partner_outcomes_in_friendly_words_map_to_the_outcome_list() {
    let (good, bad, _) = read(RegisterKind::Outcomes, "outcomes-friendly.tsv");
    assert!(bad.is_empty(), "{bad:?}");
    let outcomes: Vec<PartnerOutcome> = good
        .iter()
        .map(|(_, r)| match r {
            Record::Outcome(o) => o.outcome,
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            PartnerOutcome::AcceptedS47,
            PartnerOutcome::NoFurtherAction,
            PartnerOutcome::ReturnedMoreInformation,
            PartnerOutcome::EarlyHelp
        ]
    );
}

#[test]
fn people_named_in_referrals_are_read_with_addresses_on_one_line() {
    let (good, bad, _) = read(RegisterKind::ReferralPeople, "referral-people.csv");
    assert!(bad.is_empty(), "{bad:?}");
    let Record::Person(amy) = &good[0].1 else {
        panic!()
    };
    assert_eq!(amy.date_of_birth.as_deref(), Some("2015-05-12"));
    assert_eq!(amy.address, "1 Mill Lane, Northtown");
    let Record::Person(cara) = &good[2].1 else {
        panic!()
    };
    assert_eq!(cara.role, SubjectType::Adult);
    assert_eq!(cara.date_of_birth, None);
}

#[test]
fn a_bad_file_names_every_problem_by_row_and_column() {
    let (good, bad, _) = read(RegisterKind::Incidents, "incidents-bad.csv");
    let at: Vec<(usize, Option<&str>)> = bad.iter().map(|e| (e.row, e.column.as_deref())).collect();
    assert_eq!(
        at,
        vec![
            (3, Some("reported_at")),
            (3, Some("children_involved")),
            (5, Some("incident_ref")),
        ]
    );
    assert!(
        bad[0].reason.contains("not a real date"),
        "{}",
        bad[0].reason
    );
    assert!(bad[2].reason.contains("row 2"), "{}", bad[2].reason);
    assert_eq!(good.len(), 2);
}

#[test]
fn another_layout_is_read_through_a_mapping() {
    let bytes = fixture("register/incidents-other-layout.csv");
    let mut reader = RegisterReader::new(RegisterKind::Incidents, &bytes[..]).unwrap();
    assert!(!reader.is_canonical());
    // The headers suggest everything but "Kids Present", which a person maps by hand.
    assert_eq!(reader.mapping().get("children_involved"), None);
    assert_eq!(reader.mapping().get("area"), Some("beat"));
    let mut mapping = reader.mapping().clone();
    mapping
        .set(RegisterKind::Incidents, "children_involved", "Kids Present")
        .unwrap();
    let saved = RegisterMapping::parse(RegisterKind::Incidents, &mapping.encode()).unwrap();
    reader.set_mapping(&saved).unwrap();
    assert_eq!(reader.ignored_columns(), vec!["Notes".to_string()]);
    let rows: Vec<_> = reader.collect();
    let Ok(Record::Incident(first)) = &rows[0].result else {
        panic!("{:?}", rows[0])
    };
    assert_eq!(first.incident_ref, "OC/24/100");
    assert!(first.children_involved);
    assert_eq!(first.area, "Beat 4");
}

#[test]
fn an_unknown_outcome_word_is_refused_naming_the_words_to_use() {
    let text = "referral_ref,partner,outcome,reason,decided_at\nPPN-1,Health,Sorted,,01/01/2024\n";
    let rows: Vec<_> = RegisterReader::new(RegisterKind::Outcomes, text.as_bytes())
        .unwrap()
        .collect();
    let errors = rows[0].result.clone().unwrap_err();
    assert_eq!(errors[0].row, 2);
    assert_eq!(errors[0].column.as_deref(), Some("outcome"));
    assert!(errors[0].reason.contains("no_further_action"));
}

/// The reader remembers every reference it has met (compactly, for files of millions of rows):
/// across many rows, each repeat names the row the reference was first on, and only repeats do.
#[test]
fn every_repeated_reference_among_many_names_its_first_row() {
    let mut csv = String::from(
        "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\n",
    );
    let n = 30_000;
    let mut expected = Vec::new();
    for i in 0..n {
        // Every 1,000th row repeats the reference of 500 rows before (the header is row 1);
        // "INC-1" and "INC-10" share a prefix.
        let (reference, first) = if i > 0 && i % 1000 == 0 {
            (i - 500, Some(i - 500 + 2))
        } else {
            (i, None)
        };
        csv.push_str(&format!(
            "INC-{reference},01/03/2024 09:00,Domestic,North,Y,N,N,,Response\n"
        ));
        if let Some(first) = first {
            expected.push(format!(
                "row {}: Incident INC-{reference} is also on row {first}",
                i + 2
            ));
        }
    }
    // However long the reader is told the file is (it makes room for the keys from that):
    // the same rows refused.
    for expect in [
        None,
        Some(csv.len()),
        Some(csv.len() / 4),
        Some(10 * csv.len()),
    ] {
        let mut reader = RegisterReader::new(RegisterKind::Incidents, csv.as_bytes()).unwrap();
        if let Some(len) = expect {
            reader.set_file_len(len as u64);
        }
        let mut good = 0;
        let mut repeats = Vec::new();
        for row in reader.by_ref() {
            match row.result {
                Ok(_) => good += 1,
                Err(errors) => {
                    for e in errors {
                        let words = e.reason.split(';').next().unwrap().to_string();
                        repeats.push(format!("row {}: {words}", e.row));
                    }
                }
            }
        }
        assert_eq!(repeats, expected, "told the file has {expect:?} bytes");
        assert_eq!(
            good,
            n - expected.len(),
            "told the file has {expect:?} bytes"
        );
    }
}
