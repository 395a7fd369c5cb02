//! The pseudonymised view of a referral that partner reviewers grade in the quarterly quality
//! review: the people named in the referral's structured fields become labels ("Child A",
//! "Adult B"), dates of birth become ages, addresses become areas, and the narrative is rewritten
//! to match.
//!
//! The rules, and the choices made where the safe answer is not obvious (over-redaction is
//! always preferred to a leak):
//!
//! - **Labels.** Children are lettered A, B, C… in the order given, adults separately in the same
//!   way; after Z come AA, AB….
//! - **Names.** Each person's full name, their first and last name together, their name in
//!   "SURNAME First" order, and each name part (words, hyphenated parts and their pieces, the
//!   part after an apostrophe as in O'Neill, the part written without its apostrophe or hyphen
//!   as in ONeill) are replaced as whole words, case-insensitively and ignoring accents
//!   (Zoë = Zoe = ZOË), so "Ann" never changes "Annual". A possessive keeps its ending
//!   ("Jayden's" → "Child A's"), and a part followed by a plural "s" ("the Smiths") is replaced
//!   too. Longer matches win over shorter ones, and a replaced stretch is never rewritten again.
//! - **Short parts.** A name part of one or two letters ("Jo", the "O" of O'Neill) is replaced
//!   only as part of a longer pattern (the full name), because alone it is too often an ordinary
//!   word.
//! - **Names that are also words.** "Hope", "Will", "Rose" are replaced wherever they appear
//!   as whole words, capitalised or not: a grader reading "there is little Child A" is a
//!   nuisance; a name left in is a leak.
//! - **Shared names.** A name part that belongs to more than one person (siblings' surname, a
//!   parent and child with the same first name) is replaced by "[family name]" when it is a
//!   surname of any of them and by "[name]" otherwise, because no single label is right. Each
//!   person's full name still becomes their own label.
//! - **Addresses.** Each person's full address, its first line (with the following line too
//!   when the first is only a flat number, which then also counts alone), that line without its
//!   house number ("Acacia Avenue", even when the street is mentioned on its own), and that line
//!   followed by the postcode, become "an address in {area}" (or "an address" when the area is
//!   blank). Punctuation and line breaks between the words of an address do not matter.
//! - **Postcodes.** Anything shaped like a UK postcode that is left becomes
//!   "[postcode in {area}]" when it is a named person's postcode, and "[postcode]" otherwise.
//! - **Dates of birth.** A date written in the narrative (dd/mm/yyyy, dd-mm-yy, yyyy-mm-dd,
//!   "3 March 2015", "3rd of Mar 2015", "March 3, 2015"; day and month read either way round)
//!   that equals any person's date of birth becomes "[date of birth]", and so does any date
//!   written straight after "DOB", "D.O.B.", "born" or "date of birth", whoever it belongs to.
//!   Other dates (the incident's) stay.
//! - **Ages** are whole years on the given date: a birthday on 29 February is reached on
//!   1 March in other years, as in English law; a date of birth after the date gives 0.
//!
//! Not covered, so graders are told the view is pseudonymised, not anonymised: nicknames and
//! misspellings of names, people named in the narrative but not in the structured fields, and
//! other identifying details (schools, workplaces, vehicle registrations).

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonRole {
    Child,
    Adult,
}

/// A person named in a referral's structured fields.
#[derive(Debug, Clone)]
pub struct NamedPerson {
    pub role: PersonRole,
    pub name: String,
    pub date_of_birth: Option<Date>,
    pub address: String,
    pub area: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PseudonymisedPerson {
    /// "Child A", "Adult B".
    pub label: String,
    /// Whole years on the date of the view; `None` when the date of birth is not known.
    pub age: Option<u32>,
    pub area: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pseudonymised {
    pub people: Vec<PseudonymisedPerson>,
    pub narrative: String,
}

/// What replaces a date of birth in the narrative.
pub const DATE_OF_BIRTH: &str = "[date of birth]";
/// What replaces a surname shared by several people.
pub const FAMILY_NAME: &str = "[family name]";
/// What replaces another name part shared by several people.
pub const SHARED_NAME: &str = "[name]";

/// Whole years from `date_of_birth` to `on`. Someone born on 29 February turns a year older on
/// 1 March in years without one. A date of birth after `on` gives 0.
pub fn age_on(date_of_birth: Date, on: Date) -> u32 {
    if on <= date_of_birth {
        return 0;
    }
    let mut years = on.year() - date_of_birth.year();
    let before_birthday =
        (on.month() as u8, on.day()) < (date_of_birth.month() as u8, date_of_birth.day());
    if before_birthday {
        years -= 1;
    }
    years.max(0) as u32
}

/// "A", "B", … "Z", "AA", "AB", … for 0, 1, … 25, 26, 27, ….
fn letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        out.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// The labels for `people`, in order: children and adults lettered separately.
fn labels(people: &[NamedPerson]) -> Vec<String> {
    let (mut children, mut adults) = (0, 0);
    people
        .iter()
        .map(|p| match p.role {
            PersonRole::Child => {
                children += 1;
                format!("Child {}", letters(children - 1))
            }
            PersonRole::Adult => {
                adults += 1;
                format!("Adult {}", letters(adults - 1))
            }
        })
        .collect()
}

/// Rewrite `narrative` and describe `people` without their names, dates of birth or addresses.
/// See the module documentation for the rules.
pub fn pseudonymise(people: &[NamedPerson], narrative: &str, as_of: Date) -> Pseudonymised {
    let labels = labels(people);
    let out_people = people
        .iter()
        .zip(&labels)
        .map(|(p, label)| PseudonymisedPerson {
            label: label.clone(),
            age: p.date_of_birth.map(|d| age_on(d, as_of)),
            area: p.area.clone(),
        })
        .collect();
    Pseudonymised {
        people: out_people,
        narrative: rewrite(people, &labels, narrative),
    }
}

// --- Tokens -------------------------------------------------------------------------------------

/// A word of the text: a maximal run of letters and digits (with any combining accents), folded
/// to lower case without accents, and where it sits in the original text.
#[derive(Debug, Clone)]
struct Token {
    folded: String,
    start: usize,
    end: usize,
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}'
    )
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}'
    )
}

/// Lower case, accents removed, for the letters of the Latin alphabets names are written in.
fn fold_into(c: char, out: &mut String) {
    for l in c.to_lowercase() {
        if is_combining(l) {
            continue;
        }
        let s = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
            'ĥ' | 'ħ' => "h",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
            'ĵ' => "j",
            'ķ' => "k",
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
            'ñ' | 'ń' | 'ņ' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
            'œ' => "oe",
            'ŕ' | 'ŗ' | 'ř' => "r",
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
            'ß' => "ss",
            'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
            'ŵ' => "w",
            'ý' | 'ÿ' | 'ŷ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            _ => {
                out.push(l);
                continue;
            }
        };
        out.push_str(s);
    }
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    for (i, c) in text.char_indices() {
        let in_word = c.is_alphanumeric() || (is_combining(c) && current.is_some());
        if in_word {
            let t = current.get_or_insert_with(|| Token {
                folded: String::new(),
                start: i,
                end: i,
            });
            fold_into(c, &mut t.folded);
            t.end = i + c.len_utf8();
        } else if let Some(t) = current.take() {
            tokens.push(t);
        }
    }
    tokens.extend(current);
    tokens.retain(|t| !t.folded.is_empty());
    tokens
}

fn words(text: &str) -> Vec<String> {
    tokenize(text).into_iter().map(|t| t.folded).collect()
}

// --- Patterns -----------------------------------------------------------------------------------

/// What may stand between the words of a match in the narrative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    /// Spaces, line breaks, hyphens and apostrophes: "Jones-Smith", "Jones Smith", "O'Neill".
    Name,
    /// Those, and commas, full stops and slashes: "12, Acacia Ave." matches "12 Acacia Ave".
    Address,
}

impl Gap {
    fn allows(self, between: &str) -> bool {
        !between.is_empty()
            && between.chars().all(|c| {
                c.is_whitespace()
                    || is_hyphen(c)
                    || is_apostrophe(c)
                    || (self == Gap::Address && matches!(c, ',' | '.' | '/'))
            })
    }
}

#[derive(Debug, Clone)]
struct Pattern {
    words: Vec<String>,
    gap: Gap,
    replacement: String,
}

impl Pattern {
    fn weight(&self) -> (usize, usize) {
        let chars: usize = self.words.iter().map(|w| w.chars().count()).sum();
        (chars + self.words.len().saturating_sub(1), self.words.len())
    }
}

/// A name pattern found for one person: its words, whether it is a surname (or part of one).
struct NameKey {
    words: Vec<String>,
    surname: bool,
}

/// The name patterns for one person's name.
fn name_keys(name: &str) -> Vec<NameKey> {
    // Words of the name as written: split on spaces and commas ("SMITH, Jayden").
    let name_words: Vec<Vec<String>> = name
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(words)
        .filter(|w| !w.is_empty())
        .collect();
    let mut keys = Vec::new();
    if name_words.is_empty() {
        return keys;
    }
    let last = name_words.len() - 1;
    let full: Vec<String> = name_words.concat();
    keys.push(NameKey {
        words: full,
        surname: false,
    });
    if last >= 1 {
        // "Jayden Smith" for "Jayden Lee Smith"; "SMITH Jayden" for either.
        let first_last = [name_words[0].clone(), name_words[last].clone()].concat();
        let last_first = [name_words[last].clone(), name_words[0].clone()].concat();
        for w in [first_last, last_first] {
            keys.push(NameKey {
                words: w,
                surname: false,
            });
        }
    }
    let long = |w: &str| w.chars().count() >= 3;
    for (i, word) in name_words.iter().enumerate() {
        let surname = i > 0;
        let joined: String = word.concat();
        if !long(&joined) {
            continue;
        }
        // The word as written ("o'neill", "jones-smith") and run together ("oneill").
        keys.push(NameKey {
            words: word.clone(),
            surname,
        });
        let mut singles: Vec<String> = vec![joined];
        // Its pieces: "jones" and "smith" of "Jones-Smith", "neill" of "O'Neill".
        if word.len() > 1 {
            singles.extend(word.iter().filter(|p| long(p)).cloned());
        }
        for single in singles {
            keys.push(NameKey {
                words: vec![format!("{single}s")],
                surname,
            });
            keys.push(NameKey {
                words: vec![single],
                surname,
            });
        }
    }
    keys
}

/// True when `first` is only a flat or unit number ("Flat 3", "Apartment 2B").
fn only_a_flat(first: &[String]) -> bool {
    const UNITS: [&str; 8] = [
        "flat",
        "apartment",
        "apt",
        "unit",
        "room",
        "floor",
        "basement",
        "maisonette",
    ];
    first.iter().any(|w| UNITS.contains(&w.as_str()))
        && first.iter().all(|w| {
            UNITS.contains(&w.as_str()) || w.chars().any(|c| c.is_ascii_digit()) || w.len() <= 2
        })
}

/// The address patterns for one address: the whole, the first line (with the next when the
/// first is only a flat), that line without its house number, and that line with the postcode.
fn address_keys(address: &str) -> Vec<Vec<String>> {
    let lines: Vec<Vec<String>> = address
        .split([',', '\n', '\r', ';'])
        .map(words)
        .filter(|w| !w.is_empty())
        .collect();
    let mut keys = Vec::new();
    if lines.is_empty() {
        return keys;
    }
    keys.push(lines.concat());
    let mut first = lines[0].clone();
    if only_a_flat(&first) && lines.len() > 1 {
        // "Flat 3, 40 High Street": the building's line identifies the home on its own.
        keys.push(lines[1].clone());
        first.extend(lines[1].iter().cloned());
    }
    keys.push(first.clone());
    for pc in postcodes_in(address) {
        let mut with = first.clone();
        with.extend(words(&pc));
        keys.push(with);
    }
    // "Acacia Avenue" of "12 Acacia Avenue" (or of "Flat 3, 12 Acacia Avenue").
    let street: Vec<String> = first
        .iter()
        .skip_while(|w| {
            w.chars().any(|c| c.is_ascii_digit()) || only_a_flat(std::slice::from_ref(w))
        })
        .cloned()
        .collect();
    if street.len() >= 2 && street.len() < first.len() {
        keys.push(street);
    }
    keys
}

// --- Postcodes ----------------------------------------------------------------------------------

fn is_outward(w: &str) -> bool {
    let b = w.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=2).contains(&letters) || b.len() <= letters || !b[letters].is_ascii_digit() {
        return false;
    }
    match &b[letters + 1..] {
        [] => true,
        [c] => c.is_ascii_alphanumeric(),
        _ => false,
    }
}

fn is_inward(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() == 3
        && b[0].is_ascii_digit()
        && b[1].is_ascii_alphabetic()
        && b[2].is_ascii_alphabetic()
}

/// A postcode starting at token `i`: how many tokens it takes and its canonical form ("B312AB").
fn postcode_at(text: &str, tokens: &[Token], i: usize) -> Option<(usize, String)> {
    let w = &tokens[i].folded;
    if w.len() >= 5 && w.is_ascii() {
        let (out, inw) = w.split_at(w.len() - 3);
        if is_outward(out) && is_inward(inw) {
            return Some((1, w.to_ascii_uppercase()));
        }
    }
    let next = tokens.get(i + 1)?;
    let between = &text[tokens[i].end..next.start];
    if is_outward(w) && is_inward(&next.folded) && between.chars().all(char::is_whitespace) {
        return Some((2, format!("{w}{}", next.folded).to_ascii_uppercase()));
    }
    None
}

/// The postcodes written in `text`, as written.
fn postcodes_in(text: &str) -> Vec<String> {
    let tokens = tokenize(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some((n, _)) = postcode_at(text, &tokens, i) {
            out.push(text[tokens[i].start..tokens[i + n - 1].end].to_string());
            i += n;
        } else {
            i += 1;
        }
    }
    out
}

// --- Dates --------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Year {
    Full(i32),
    /// Two digits: matches any year ending in them.
    Short(i32),
}

#[derive(Debug, Clone, Copy)]
struct WrittenDate {
    day: u8,
    month: u8,
    year: Year,
}

impl WrittenDate {
    fn is(&self, d: Date) -> bool {
        let year = match self.year {
            Year::Full(y) => y == d.year(),
            Year::Short(y) => y == d.year().rem_euclid(100),
        };
        year && self.day == d.day() && self.month == d.month() as u8
    }
}

fn digits(w: &str, lens: &[usize]) -> Option<i32> {
    (lens.contains(&w.len()) && w.bytes().all(|b| b.is_ascii_digit()))
        .then(|| w.parse().ok())
        .flatten()
}

fn day_word(w: &str) -> Option<u8> {
    let num = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[num.len()..];
    if !["", "st", "nd", "rd", "th"].contains(&suffix) {
        return None;
    }
    let d = digits(num, &[1, 2])?;
    (1..=31).contains(&d).then_some(d as u8)
}

fn month_word(w: &str) -> Option<u8> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if w == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| w == *m || (w.len() == 3 && m.starts_with(w)))
        .map(|i| i as u8 + 1)
}

fn year_word(w: &str) -> Option<Year> {
    match w.len() {
        4 => digits(w, &[4]).map(Year::Full),
        2 => digits(w, &[2]).map(Year::Short),
        _ => None,
    }
}

/// Dates written from token `i`: how many tokens they take and the readings (day and month
/// either way round for numeric dates).
fn date_at(text: &str, tokens: &[Token], i: usize) -> Option<(usize, Vec<WrittenDate>)> {
    let sep = |a: usize| -> Option<&str> {
        let (x, y) = (tokens.get(a)?, tokens.get(a + 1)?);
        Some(text[x.end..y.start].trim())
    };
    let w = |a: usize| tokens.get(a).map(|t| t.folded.as_str());
    let valid = |d: i32, m: i32| (1..=31).contains(&d) && (1..=12).contains(&m);
    let (t0, t1) = (w(i)?, w(i + 1)?);
    // Numeric: 12/03/2015, 12-3-15, 2015-03-12.
    if let (Some(s0), Some(s1), Some(t2)) = (sep(i), sep(i + 1), w(i + 2)) {
        if s0 == s1 && ["/", "-", "."].contains(&s0) {
            let mut out = Vec::new();
            if let (Some(y), Some(m), Some(d)) =
                (digits(t0, &[4]), digits(t1, &[1, 2]), digits(t2, &[1, 2]))
            {
                if valid(d, m) {
                    out.push(WrittenDate {
                        day: d as u8,
                        month: m as u8,
                        year: Year::Full(y),
                    });
                }
            } else if let (Some(a), Some(b), Some(y)) =
                (digits(t0, &[1, 2]), digits(t1, &[1, 2]), year_word(t2))
            {
                for (d, m) in [(a, b), (b, a)] {
                    if valid(d, m) {
                        out.push(WrittenDate {
                            day: d as u8,
                            month: m as u8,
                            year: y,
                        });
                    }
                }
            }
            if !out.is_empty() {
                return Some((3, out));
            }
        }
    }
    let loose = |a: usize| sep(a).is_some_and(|s| ["", "-", "/", ".", ","].contains(&s));
    // 3 March 2015, 3rd of Mar 2015, 3-Mar-15.
    if let Some(day) = day_word(t0) {
        let of = usize::from(t1 == "of");
        if let (Some(month), Some(year)) = (
            w(i + 1 + of).and_then(month_word),
            w(i + 2 + of).and_then(year_word),
        ) {
            if (0..2 + of).all(|k| loose(i + k)) {
                return Some((3 + of, vec![WrittenDate { day, month, year }]));
            }
        }
    }
    // March 3, 2015.
    if let (Some(month), Some(day), Some(year)) =
        (month_word(t0), day_word(t1), w(i + 2).and_then(year_word))
    {
        if loose(i) && loose(i + 1) {
            return Some((3, vec![WrittenDate { day, month, year }]));
        }
    }
    None
}

/// True when the words before token `i` announce a date of birth: "DOB", "D.O.B.", "born",
/// "date of birth", optionally followed by "on", "is" or "was".
fn after_birth_words(tokens: &[Token], i: usize) -> bool {
    let w = |back: usize| {
        i.checked_sub(back)
            .map(|j| tokens[j].folded.as_str())
            .unwrap_or("")
    };
    let skip = usize::from(["on", "is", "was", "of"].contains(&w(1)));
    let b = |k: usize| w(k + skip);
    matches!(b(1), "dob" | "born" | "birth") || (b(1) == "b" && b(2) == "o" && b(3) == "d")
}

// --- Rewriting ----------------------------------------------------------------------------------

fn rewrite(people: &[NamedPerson], labels: &[String], narrative: &str) -> String {
    let tokens = tokenize(narrative);
    let mut claimed = vec![false; tokens.len()];
    // (first token, last token, replacement)
    let mut spans: Vec<(usize, usize, String)> = Vec::new();
    let mut claim = |from: usize, n: usize, claimed: &mut Vec<bool>, with: String| -> bool {
        if claimed[from..from + n].iter().any(|c| *c) {
            return false;
        }
        claimed[from..from + n].iter_mut().for_each(|c| *c = true);
        spans.push((from, from + n - 1, with));
        true
    };

    // 1. Dates of birth.
    let births: Vec<Date> = people.iter().filter_map(|p| p.date_of_birth).collect();
    let mut i = 0;
    while i < tokens.len() {
        if let Some((n, readings)) = date_at(narrative, &tokens, i) {
            let is_birth = after_birth_words(&tokens, i)
                || readings.iter().any(|r| births.iter().any(|b| r.is(*b)));
            if is_birth && claim(i, n, &mut claimed, DATE_OF_BIRTH.to_string()) {
                i += n;
                continue;
            }
        }
        i += 1;
    }

    // 2. Names and addresses, longest first.
    let mut by_name: BTreeMap<Vec<String>, (BTreeSet<usize>, bool)> = BTreeMap::new();
    for (who, p) in people.iter().enumerate() {
        for key in name_keys(&p.name) {
            let e = by_name.entry(key.words).or_default();
            e.0.insert(who);
            e.1 |= key.surname;
        }
    }
    let mut patterns: Vec<Pattern> = by_name
        .iter()
        .map(|(words, (who, surname))| Pattern {
            words: words.clone(),
            gap: Gap::Name,
            replacement: match (who.len(), surname) {
                (1, _) => labels[*who.iter().next().expect("one person")].clone(),
                (_, true) => FAMILY_NAME.to_string(),
                (_, false) => SHARED_NAME.to_string(),
            },
        })
        .collect();
    let mut seen: HashSet<Vec<String>> = by_name.keys().cloned().collect();
    for p in people {
        let with = if p.area.trim().is_empty() {
            "an address".to_string()
        } else {
            format!("an address in {}", p.area.trim())
        };
        for words in address_keys(&p.address) {
            if seen.insert(words.clone()) {
                patterns.push(Pattern {
                    words,
                    gap: Gap::Address,
                    replacement: with.clone(),
                });
            }
        }
    }
    // Longest first; the sort is stable, so equal weights keep names before addresses.
    patterns.sort_by_key(|p| std::cmp::Reverse(p.weight()));
    for pattern in &patterns {
        let n = pattern.words.len();
        if n == 0 || n > tokens.len() {
            continue;
        }
        for i in 0..=tokens.len() - n {
            let fits = (0..n).all(|k| tokens[i + k].folded == pattern.words[k])
                && (1..n).all(|k| {
                    pattern
                        .gap
                        .allows(&narrative[tokens[i + k - 1].end..tokens[i + k].start])
                });
            if fits {
                claim(i, n, &mut claimed, pattern.replacement.clone());
            }
        }
    }

    // 3. Postcodes left over.
    let known: Vec<(String, &str)> = people
        .iter()
        .flat_map(|p| {
            postcodes_in(&p.address)
                .into_iter()
                .map(move |pc| (canonical_postcode(&pc), p.area.trim()))
        })
        .collect();
    let mut i = 0;
    while i < tokens.len() {
        if let Some((n, pc)) = postcode_at(narrative, &tokens, i) {
            let with = match known.iter().find(|(k, _)| *k == pc) {
                Some((_, area)) if !area.is_empty() => format!("[postcode in {area}]"),
                _ => "[postcode]".to_string(),
            };
            claim(i, n, &mut claimed, with);
            i += n;
        } else {
            i += 1;
        }
    }

    spans.sort_by_key(|s| s.0);
    let mut out = String::with_capacity(narrative.len());
    let mut at = 0;
    for (first, last, with) in spans {
        out.push_str(&narrative[at..tokens[first].start]);
        out.push_str(&with);
        at = tokens[last].end;
    }
    out.push_str(&narrative[at..]);
    out
}

fn canonical_postcode(pc: &str) -> String {
    pc.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 06 - 30);

    fn person(role: PersonRole, name: &str) -> NamedPerson {
        NamedPerson {
            role,
            name: name.to_string(),
            date_of_birth: None,
            address: String::new(),
            area: String::new(),
        }
    }
    fn child(name: &str) -> NamedPerson {
        person(PersonRole::Child, name)
    }
    fn adult(name: &str) -> NamedPerson {
        person(PersonRole::Adult, name)
    }
    fn narrative(people: &[NamedPerson], text: &str) -> String {
        pseudonymise(people, text, TODAY).narrative
    }

    #[test]
    fn children_and_adults_are_lettered_separately_in_order() {
        let people = [
            adult("Karen Smith"),
            child("Jayden Smith"),
            child("Mia Smith"),
            adult("Dean Walker"),
        ];
        let p = pseudonymise(&people, "", TODAY);
        let labels: Vec<_> = p.people.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["Adult A", "Child A", "Child B", "Adult B"]);
    }

    #[test]
    fn letters_go_past_z() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
        assert_eq!(letters(51), "AZ");
        assert_eq!(letters(52), "BA");
        assert_eq!(letters(26 + 26 * 26), "AAA");
        let people: Vec<_> = (0..28).map(|i| child(&format!("Kid{i}"))).collect();
        let p = pseudonymise(&people, "", TODAY);
        assert_eq!(p.people[26].label, "Child AA");
        assert_eq!(p.people[27].label, "Child AB");
    }

    #[test]
    fn full_names_parts_and_possessives_become_labels() {
        let people = [child("Jayden Smith"), adult("Karen Walker")];
        assert_eq!(
            narrative(
                &people,
                "Jayden Smith (7) lives with his mother Karen Walker. Jayden's school is near; \
                 Ms WALKER said Jayden was asleep. Smith's bedroom was bare."
            ),
            "Child A (7) lives with his mother Adult A. Child A's school is near; \
             Ms Adult A said Child A was asleep. Child A's bedroom was bare."
        );
    }

    #[test]
    fn names_at_the_edges_and_next_to_punctuation() {
        let people = [child("Jayden Smith")];
        assert_eq!(narrative(&people, "Jayden"), "Child A");
        assert_eq!(
            narrative(&people, "Jayden, then \"Smith\"; (Jayden)! Was it Jayden?"),
            "Child A, then \"Child A\"; (Child A)! Was it Child A?"
        );
        assert_eq!(
            narrative(&people, "seen:Jayden.\nSmith"),
            "seen:Child A.\nChild A"
        );
        // Curly apostrophe possessive, and the name split over a line.
        assert_eq!(
            narrative(&people, "Jayden\u{2019}s coat; Jayden\nSmith"),
            "Child A\u{2019}s coat; Child A"
        );
    }

    #[test]
    fn never_inside_other_words() {
        let people = [adult("Ann Lee"), child("Will Rose")];
        assert_eq!(
            narrative(
                &people,
                "Annual review. Ann said Annie's brother Willow was fine. Leeds."
            ),
            "Annual review. Adult A said Annie's brother Willow was fine. Leeds."
        );
    }

    #[test]
    fn a_name_that_is_also_a_word_is_replaced_even_in_lower_case() {
        // Safe by default: over-redaction rather than a leak.
        let people = [child("Hope Brown"), adult("Will Brown")];
        assert_eq!(
            narrative(
                &people,
                "There is hope. Hope said her father will return; Will Brown denied it."
            ),
            "There is Child A. Child A said her father Adult A return; Adult A denied it."
        );
    }

    #[test]
    fn siblings_sharing_a_surname_never_leak_it() {
        let people = [
            child("Jayden Smith"),
            child("Mia Smith"),
            adult("Karen Smith"),
            adult("Dean Walker"),
        ];
        assert_eq!(
            narrative(
                &people,
                "Jayden Smith and Mia Smith live with Mrs Smith and Dean Walker. \
                 The Smiths' home was cold. SMITH Mia was crying. Mia told Walker."
            ),
            "Child A and Child B live with Mrs [family name] and Adult B. \
             The [family name]' home was cold. Child B was crying. Child B told Adult B."
        );
    }

    #[test]
    fn a_shared_first_name_becomes_name() {
        let people = [adult("Chris Jones"), child("Chris Patel")];
        assert_eq!(
            narrative(&people, "Chris Jones hit Chris Patel. Chris cried."),
            "Adult A hit Child A. [name] cried."
        );
    }

    #[test]
    fn accented_names_match_with_or_without_accents() {
        let people = [child("Zoë Ní Bhriain"), adult("José Núñez")];
        assert_eq!(
            narrative(
                &people,
                "Zoë and zoe and ZOË and Zoe\u{0308} were named; Bhriain; Jose Nunez; JOSÉ."
            ),
            "Child A and Child A and Child A and Child A were named; Child A; Adult A; Adult A."
        );
        // Short parts are only replaced within the full name.
        assert_eq!(narrative(&people, "Ní dhéanfaidh"), "Ní dhéanfaidh");
        assert_eq!(narrative(&people, "Zoë Ní Bhriain."), "Child A.");
    }

    #[test]
    fn hyphenated_and_apostrophe_surnames_and_their_parts() {
        let people = [child("Lily Jones-Smith"), adult("Sean O'Neill")];
        assert_eq!(
            narrative(
                &people,
                "Lily Jones-Smith, Lily Jones Smith, Jones-Smith, Jones, SMITH; \
                 Sean O\u{2019}Neill, O'Neill's car, ONeill, O Neill."
            ),
            "Child A, Child A, Child A, Child A, Child A; \
             Adult A, Adult A's car, Adult A, Adult A."
        );
    }

    #[test]
    fn short_name_parts_only_within_the_full_name() {
        let people = [child("Jo Li")];
        assert_eq!(
            narrative(&people, "Jo Li is 4. Jo went to Li's house."),
            "Child A is 4. Jo went to Li's house."
        );
    }

    #[test]
    fn middle_names_and_surname_first_order() {
        let people = [child("Jayden Lee Smith")];
        assert_eq!(
            narrative(
                &people,
                "Jayden Lee Smith, Jayden Smith, SMITH Jayden, Lee."
            ),
            "Child A, Child A, Child A, Child A."
        );
    }

    #[test]
    fn addresses_and_postcodes_become_areas() {
        let people = [
            NamedPerson {
                address: "12 Acacia Avenue, Northfield, Birmingham, B31 2AB".into(),
                area: "Northfield".into(),
                ..child("Jayden Smith")
            },
            NamedPerson {
                address: "Flat 3, 40 High Street\nKings Heath B14 7SL".into(),
                area: "Kings Heath".into(),
                ..adult("Dean Walker")
            },
        ];
        assert_eq!(
            narrative(
                &people,
                "Officers attended 12 Acacia Avenue, Northfield, Birmingham, B31 2AB. \
                 Later at 12, Acacia Avenue b31 2ab and Acacia Avenue; postcode B312AB. \
                 Dean lives at Flat 3, 40 High Street (B14 7SL), not 40 High Street. \
                 The school is at B30 1AA."
            ),
            "Officers attended an address in Northfield. \
             Later at an address in Northfield and an address in Northfield; \
             postcode [postcode in Northfield]. \
             Adult A lives at an address in Kings Heath ([postcode in Kings Heath]), \
             not an address in Kings Heath. \
             The school is at [postcode]."
        );
    }

    #[test]
    fn an_address_without_area_and_postcode_shapes() {
        let people = [NamedPerson {
            address: "Rose Cottage".into(),
            ..adult("Pat Green")
        }];
        assert_eq!(
            narrative(
                &people,
                "At Rose Cottage: EC1A 1BB, M1 1AE, W1 and A11 are not."
            ),
            "At an address: [postcode], [postcode], W1 and A11 are not."
        );
    }

    #[test]
    fn dates_of_birth_in_any_common_form() {
        let people = [
            NamedPerson {
                date_of_birth: Some(date!(2015 - 03 - 12)),
                ..child("Jayden Smith")
            },
            adult("Karen Smith"),
        ];
        assert_eq!(
            narrative(
                &people,
                "Born 12/03/2015; 12-03-15, 2015-03-12, 12 March 2015, 12th of Mar 2015, \
                 March 12, 2015, 03/12/2015. Incident on 14/06/2025 at 10:00. \
                 Karen DOB: 01/02/1990, D.O.B. 1 Feb 1990, date of birth 2 Feb 1990."
            ),
            "Born [date of birth]; [date of birth], [date of birth], [date of birth], \
             [date of birth], [date of birth], [date of birth]. Incident on 14/06/2025 at 10:00. \
             Adult A DOB: [date of birth], D.O.B. [date of birth], \
             date of birth [date of birth]."
        );
    }

    #[test]
    fn other_dates_and_numbers_stay() {
        let people = [NamedPerson {
            date_of_birth: Some(date!(2015 - 03 - 12)),
            ..child("Jayden Smith")
        }];
        let text = "On 13/03/2015 and 12/04/2015 and 12 March 2016, 12 officers; 2015.";
        assert_eq!(narrative(&people, text), text);
    }

    #[test]
    fn ages_in_whole_years() {
        let dob = date!(2015 - 03 - 12);
        assert_eq!(
            age_on(dob, date!(2025 - 03 - 11)),
            9,
            "the day before the birthday"
        );
        assert_eq!(age_on(dob, date!(2025 - 03 - 12)), 10, "on the birthday");
        assert_eq!(age_on(dob, date!(2015 - 03 - 12)), 0);
        assert_eq!(age_on(dob, date!(2010 - 01 - 01)), 0, "not yet born");
        let leap = date!(2016 - 02 - 29);
        assert_eq!(age_on(leap, date!(2025 - 02 - 28)), 8);
        assert_eq!(
            age_on(leap, date!(2025 - 03 - 01)),
            9,
            "1 March in other years"
        );
        assert_eq!(age_on(leap, date!(2024 - 02 - 28)), 7);
        assert_eq!(age_on(leap, date!(2024 - 02 - 29)), 8);
        assert_eq!(age_on(date!(1990 - 12 - 31), date!(2025 - 12 - 30)), 34);
    }

    #[test]
    fn people_show_age_and_area_and_no_dob_gives_none() {
        let people = [
            NamedPerson {
                date_of_birth: Some(date!(2016 - 02 - 29)),
                area: "Northfield".into(),
                ..child("Jayden Smith")
            },
            adult("Karen Smith"),
        ];
        let p = pseudonymise(&people, "", date!(2025 - 02 - 28));
        assert_eq!(
            p.people,
            vec![
                PseudonymisedPerson {
                    label: "Child A".into(),
                    age: Some(8),
                    area: "Northfield".into()
                },
                PseudonymisedPerson {
                    label: "Adult A".into(),
                    age: None,
                    area: "".into()
                },
            ]
        );
    }

    #[test]
    fn nothing_named_leaves_the_text_alone() {
        let text = "No names here: Annual check, 10:00, £20.";
        assert_eq!(narrative(&[], text), text);
        assert_eq!(narrative(&[adult("")], text), text);
        assert_eq!(narrative(&[child("Jayden Smith")], ""), "");
    }

    #[test]
    fn no_name_part_survives_in_a_long_narrative() {
        let people = [
            NamedPerson {
                date_of_birth: Some(date!(2012 - 07 - 01)),
                address: "7 Mill Lane, Selly Oak, B29 6AA".into(),
                area: "Selly Oak".into(),
                ..child("Amélie-Rose O'Connor")
            },
            adult("Siobhán O'Connor"),
        ];
        let out = narrative(
            &people,
            "AMÉLIE-ROSE O'CONNOR (DOB 01/07/2012) of 7 Mill Lane, Selly Oak B29 6AA. Amelie \
             told PC 1234 that Rose is her middle name and mum Siobhan O'Connor's partner \
             shouted. OConnor family known. Connor? Amélie's words: 'I'm scared'.",
        );
        for leak in [
            "amelie",
            "amélie",
            "rose",
            "connor",
            "siobh",
            "mill lane",
            "b29",
            "01/07",
        ] {
            assert!(!out.to_lowercase().contains(leak), "{leak} leaked: {out}");
        }
        assert!(out.contains("PC 1234"), "{out}");
        assert!(out.contains("[date of birth]"), "{out}");
    }
}
