//! Column mappings, shared by every kind of import: which of a file's columns holds each field.
//!
//! A kind of import (people, training, CPD, each register file, the history files) describes
//! itself by a [`Layout`]: its name and its [`Field`]s. Everything else here is the same for all
//! of them: [`header_key`] (the form of a header we match and save), [`suggest_mapping`] (a guess
//! from the headers), [`Mapping`] (its text form `field=header;field=header`, saved by name in the
//! store's `imports` module), [`resolve_mapping`] (each field's column, checked against a file),
//! and [`check_mapping_name`].

/// The longest name a saved mapping may have, in characters.
pub const MAX_MAPPING_NAME: usize = 60;

/// One thing a row can tell us, and the header names that usually hold it.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    /// The machine name, used in mappings and canonical headers: `staff_number`.
    pub key: &'static str,
    /// The words on forms: "Staff number".
    pub label: &'static str,
    /// What the column may hold, for the mapping form.
    pub hint: &'static str,
    pub required: bool,
    /// Other header names (as [`header_key`] writes them) that mean this field exactly.
    pub exact: &'static [&'static str],
    /// Words which, anywhere in a header, suggest this field (weaker than `exact`).
    pub within: &'static [&'static str],
}

/// What a kind of import is, as far as mappings go.
pub trait Layout: Copy {
    /// The machine name, used in forms, saved mappings and the audit trail: `incidents`.
    fn name(self) -> &'static str;
    /// The fields a file of this kind can fill, in the order forms show them.
    fn fields(self) -> &'static [Field];
    /// An example of the text form, for messages: `staff_number=collar_no;name=full_name`.
    fn example(self) -> String {
        self.fields()
            .iter()
            .take(2)
            .map(|f| format!("{}={}", f.key, f.exact.first().unwrap_or(&f.key)))
            .collect::<Vec<_>>()
            .join(";")
    }
    fn field(self, key: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.key == key)
    }
    /// The canonical header line: `incident_ref,reported_at,…`.
    fn canonical_header(self) -> String {
        self.fields()
            .iter()
            .map(|f| f.key)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The form of a header we match and save: lower case letters and digits, every other run of
/// characters as one `_`. `"Staff No. "` → `staff_no`; `"Sign off Mentor"` → `sign_off_mentor`.
pub fn header_key(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// True when the words of `needle` appear together, in order, among the words of `key`.
fn has_words(key: &str, needle: &str) -> bool {
    let words: Vec<&str> = key.split('_').collect();
    let wanted: Vec<&str> = needle.split('_').collect();
    words.windows(wanted.len()).any(|w| w == wanted.as_slice())
}

/// How well a header suits a field: 4 for its own name, 3 for a known other name, 2 for a
/// telling word, 0 for none.
fn score(field: &Field, key: &str) -> u8 {
    if key.is_empty() {
        0
    } else if field.key == key {
        4
    } else if field.exact.contains(&key) {
        3
    } else if field.within.iter().any(|w| has_words(key, w)) {
        2
    } else {
        0
    }
}

/// Guesses the mapping from the headers: a column named as the field first, then known other
/// names, then telling words ("Sgt sign off" holds the line manager's sign-off). Each column is
/// used for one field at most; among equals the leftmost column and the field listed first win.
pub fn suggest_mapping<L: Layout>(kind: L, headers: &[String]) -> Mapping {
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let mut candidates = Vec::new();
    for (fi, field) in kind.fields().iter().enumerate() {
        for (ci, key) in keys.iter().enumerate() {
            let s = score(field, key);
            if s > 0 {
                candidates.push((s, fi, ci));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(&b.2)).then(a.1.cmp(&b.1)));
    let mut taken_fields = Vec::new();
    let mut taken_columns = Vec::new();
    let mut m = Mapping::default();
    for (_, fi, ci) in candidates {
        if taken_fields.contains(&fi) || taken_columns.contains(&ci) {
            continue;
        }
        taken_fields.push(fi);
        taken_columns.push(ci);
        // The field is one of the kind's own, so this cannot fail.
        let _ = m.set(kind, kind.fields()[fi].key, &keys[ci]);
    }
    m
}

/// Which column of a file holds each field: field key → header key (see [`header_key`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pairs: Vec<(&'static str, String)>,
}

impl Mapping {
    /// The header key mapped to `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, h)| h.as_str())
    }

    /// Maps `field` (one of `kind`'s) to a header; an empty header unmaps it.
    pub fn set<L: Layout>(&mut self, kind: L, field: &str, header: &str) -> Result<(), String> {
        let f = kind.field(field).ok_or_else(|| {
            format!(
                "\"{field}\" is not a column of the {} layout; its columns are {}",
                kind.name(),
                kind.canonical_header()
            )
        })?;
        let header = header_key(header);
        self.pairs.retain(|(k, _)| *k != f.key);
        if !header.is_empty() {
            self.pairs.push((f.key, header));
            let order = |k: &str| kind.fields().iter().position(|x| x.key == k);
            self.pairs.sort_by_key(|(k, _)| order(k));
        }
        Ok(())
    }

    /// Every mapped field, in the kind's field order.
    pub fn pairs(&self) -> &[(&'static str, String)] {
        &self.pairs
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The text form: `field=header;field=header`.
    pub fn encode(&self) -> String {
        self.pairs
            .iter()
            .map(|(f, h)| format!("{f}={h}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Reads the text form back (as saved, or as typed after `--map`); unknown fields and
    /// malformed parts are refused.
    pub fn parse<L: Layout>(kind: L, text: &str) -> Result<Mapping, String> {
        let mut m = Mapping::default();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, header) = part.split_once('=').ok_or_else(|| {
                format!(
                    "\"{part}\" is not field=column; a mapping reads like {}",
                    kind.example()
                )
            })?;
            let field = field.trim();
            if m.get(field).is_some() {
                return Err(format!("The mapping gives {field} twice"));
            }
            if header_key(header).is_empty() {
                return Err(format!("The mapping gives no column for {field}"));
            }
            m.set(kind, field, header)?;
        }
        Ok(m)
    }

    /// Keeps only the parts whose column this file has; says in words what was dropped.
    pub fn fit<L: Layout>(&self, kind: L, headers: &[String]) -> (Mapping, Vec<String>) {
        let mut kept = Mapping::default();
        let mut notes = Vec::new();
        for (field, header) in &self.pairs {
            if headers.iter().any(|h| header_key(h) == *header) {
                kept.pairs.push((field, header.clone()));
            } else {
                let label = kind.field(field).map_or(*field, |f| f.label);
                notes.push(format!(
                    "The saved mapping takes {} from a column \"{header}\", which this file does not have",
                    label.to_lowercase()
                ));
            }
        }
        (kept, notes)
    }

    /// Every field of the kind with the file's header for it, or "(not in this file)".
    pub fn describe<L: Layout>(&self, kind: L, headers: &[String]) -> Vec<(&'static str, String)> {
        kind.fields()
            .iter()
            .map(|f| {
                let column = self
                    .get(f.key)
                    .and_then(|h| headers.iter().find(|x| header_key(x) == h))
                    .cloned()
                    .unwrap_or_else(|| "(not in this file)".into());
                (f.label, column)
            })
            .collect()
    }
}

/// A problem with the mapping as a whole, against one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    pub field: &'static str,
    pub message: String,
}

/// Which column each field comes from, checked against the headers: `columns[i]` is the
/// position of `kind.fields()[i]`, if mapped. Every problem is reported, one per field.
pub fn resolve_mapping<L: Layout>(
    kind: L,
    headers: &[String],
    mapping: &Mapping,
) -> Result<Vec<Option<usize>>, Vec<MappingError>> {
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let mut errors = Vec::new();
    let mut columns: Vec<Option<usize>> = Vec::new();
    for f in kind.fields() {
        let label = f.label.to_lowercase();
        let position = match mapping.get(f.key) {
            None => {
                if f.required {
                    errors.push(MappingError {
                        field: f.key,
                        message: format!("Choose the column that holds the {label}"),
                    });
                }
                None
            }
            Some(key) => match keys.iter().position(|k| !k.is_empty() && k == key) {
                None => {
                    errors.push(MappingError {
                        field: f.key,
                        message: format!(
                            "This file has no column \"{key}\" for the {label}; choose one of its columns"
                        ),
                    });
                    None
                }
                Some(i) => {
                    let other = columns
                        .iter()
                        .zip(kind.fields())
                        .find(|(c, _)| **c == Some(i))
                        .map(|(_, o)| o);
                    if let Some(other) = other {
                        errors.push(MappingError {
                            field: f.key,
                            message: format!(
                                "The column \"{}\" is already used for the {}; choose a different column for the {label}",
                                headers[i],
                                other.label.to_lowercase(),
                            ),
                        });
                        None
                    } else {
                        Some(i)
                    }
                }
            },
        };
        columns.push(position);
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(errors)
    }
}

/// Checks a name for a saved mapping.
pub fn check_mapping_name(raw: &str) -> Result<String, String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("Enter a name for the mapping".into());
    }
    if name.chars().count() > MAX_MAPPING_NAME {
        return Err(format!(
            "The mapping's name must be {MAX_MAPPING_NAME} characters or fewer"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("The mapping's name must be plain text".into());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    struct Two;
    static TWO: [Field; 2] = [
        Field {
            key: "staff_number",
            label: "Staff number",
            hint: "",
            required: true,
            exact: &["collar_no"],
            within: &["collar"],
        },
        Field {
            key: "name",
            label: "Name",
            hint: "",
            required: false,
            exact: &["full_name"],
            within: &[],
        },
    ];
    impl Layout for Two {
        fn name(self) -> &'static str {
            "two"
        }
        fn fields(self) -> &'static [Field] {
            &TWO
        }
    }

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_field_named_as_itself_beats_an_other_name() {
        let m = suggest_mapping(Two, &headers(&["Collar No", "Staff Number", "Full name"]));
        assert_eq!(m.encode(), "staff_number=staff_number;name=full_name");
    }

    #[test]
    fn the_text_form_round_trips_and_refuses_strangers() {
        let m = Mapping::parse(Two, "name = Full Name; staff_number=Collar No.").unwrap();
        assert_eq!(m.encode(), "staff_number=collar_no;name=full_name");
        assert!(Mapping::parse(Two, "rank=x")
            .unwrap_err()
            .contains("staff_number,name"));
        assert!(Mapping::parse(Two, "name")
            .unwrap_err()
            .contains("staff_number=collar_no"));
    }

    #[test]
    fn resolving_names_every_problem() {
        let m = Mapping::parse(Two, "name=missing").unwrap();
        let errors = resolve_mapping(Two, &headers(&["a"]), &m).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].message,
            "Choose the column that holds the staff number"
        );
        let m = Mapping::parse(Two, "name=a;staff_number=a").unwrap();
        let errors = resolve_mapping(Two, &headers(&["A"]), &m).unwrap_err();
        assert!(errors[0]
            .message
            .contains("already used for the staff number"));
    }
}
