//! Times parsing and matching a 300-participant Microsoft Teams attendance report, in both
//! layouts, as Teams writes it (UTF-16 LE with a byte-order mark, tab-separated).
//!
//! Run: `cargo run --release -p mashboard-domain --example bench_teams_report`
//! Target: under 50 ms for parse + match of one report.

use mashboard_domain::attendance::{match_report, Candidate, DEFAULT_SHARE_PCT};
use mashboard_domain::teams_report::{parse, utf16le_with_bom};
use std::fmt::Write;
use std::time::Instant;

const PEOPLE: usize = 300;

fn name(i: usize) -> String {
    const FIRST: [&str; 8] = [
        "Zoë", "Tomás", "Ann", "Priya", "Seán", "Chloé", "Marek", "Aoife",
    ];
    const LAST: [&str; 8] = [
        "Ní Bhriain",
        "O'Brien",
        "Lee",
        "Shah",
        "Ó Briain",
        "Dubois",
        "Nowak",
        "Kelly",
    ];
    format!("{} {} {i}", FIRST[i % 8], LAST[(i / 8) % 8])
}

fn clock(secs: usize) -> String {
    format!(
        "15/07/25, {:02}:{:02}:{:02}",
        9 + secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

fn sectioned() -> String {
    let mut s = String::from("1. Summary\nMeeting title\tFrontline input\nStart time\t15/07/25, 09:00:00\nEnd time\t15/07/25, 12:00:00\n\n2. Participants\nName\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n");
    for i in 0..PEOPLE {
        let secs = 7000 + (i * 37) % 3800;
        let email = format!("person{i}@force.police.uk");
        let _ = writeln!(
            s,
            "{}\t{}\t{}\t{}h {}m {}s\t{email}\t{email}\tAttendee",
            name(i),
            clock(0),
            clock(secs),
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        );
    }
    s.push_str("\n3. In-Meeting Activities\nName\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n");
    for i in 0..PEOPLE {
        let email = format!("person{i}@force.police.uk");
        let joins = if i % 5 == 0 { 2 } else { 1 };
        for j in 0..joins {
            let _ = writeln!(
                s,
                "{}\t{}\t{}\t1h 0m 0s\t{email}\tAttendee",
                name(i),
                clock(j * 4000),
                clock(j * 4000 + 3600)
            );
        }
    }
    s
}

fn legacy() -> String {
    let mut s = String::from("Meeting Summary\nTotal Number of Participants\t300\nMeeting Title\tFrontline input\nMeeting Start Time\t15/07/25, 09:00:00\nMeeting End Time\t15/07/25, 12:00:00\n\nFull Name\tUser Action\tTimestamp\n");
    for i in 0..PEOPLE {
        let _ = writeln!(s, "{}\tJoined\t{}", name(i), clock(i % 600));
        if i % 5 == 0 {
            let _ = writeln!(s, "{}\tLeft\t{}", name(i), clock(3600));
            let _ = writeln!(s, "{}\tJoined\t{}", name(i), clock(4000));
        }
        let _ = writeln!(s, "{}\tLeft\t{}", name(i), clock(10000 + i));
    }
    s
}

fn candidates() -> Vec<Candidate> {
    (0..PEOPLE)
        .map(|i| Candidate {
            person_id: i as i64,
            staff_number: format!("S{i:05}"),
            name: name(i),
            // Every other person has an address; the others match by name.
            email: (i % 2 == 0).then(|| format!("Person{i}@force.police.uk")),
            enrolled: true,
        })
        .collect()
}

fn bench(label: &str, bytes: &[u8], cands: &[Candidate]) {
    let runs = 50;
    let mut times = Vec::with_capacity(runs);
    let mut matched = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let report = parse(bytes).expect("the generated report parses");
        let m = match_report(&report, cands, 3 * 3600, DEFAULT_SHARE_PCT);
        times.push(t.elapsed());
        matched = m.matched.len();
    }
    times.sort();
    println!(
        "{label}: {} bytes, {matched} of {PEOPLE} matched; parse + match median {:.2} ms, worst {:.2} ms over {runs} runs",
        bytes.len(),
        times[runs / 2].as_secs_f64() * 1000.0,
        times[runs - 1].as_secs_f64() * 1000.0
    );
}

fn main() {
    let cands = candidates();
    bench(
        "current layout (UTF-16 LE, tab)",
        &utf16le_with_bom(&sectioned()),
        &cands,
    );
    bench(
        "older layout (UTF-16 LE, tab)",
        &utf16le_with_bom(&legacy()),
        &cands,
    );
}
