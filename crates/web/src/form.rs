//! Reading submitted forms and paths: the small helpers every page module uses.
//!
//! Forms arrive as `Vec<(String, String)>` pairs (so a name may repeat, as checkboxes do).

use crate::error::AppError;

/// The first value of a form field as typed (empty when absent): for text whose spaces
/// matter, such as passwords, answers and comments.
pub(crate) fn raw_field(pairs: &[(String, String)], name: &str) -> String {
    value(pairs, name).unwrap_or_default().to_string()
}

/// The first value of a form field without surrounding spaces (empty when absent).
/// The pairs of a query string (`a=1&b=2`), none when it cannot be read.
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

pub(crate) fn field(pairs: &[(String, String)], name: &str) -> String {
    field_str(pairs, name).to_string()
}

/// [`field`] borrowed from the form.
pub(crate) fn field_str<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    value(pairs, name).map(str::trim).unwrap_or("")
}

/// The first value of a form field as typed, if the field was sent at all.
pub(crate) fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a repeated field, each split on commas, semicolons and white space (for
/// checkboxes and for lists typed into one box, such as staff numbers).
pub(crate) fn fields(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| {
            v.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A form read into a struct of text fields, taking the first value of a field sent more than
/// once, as [`value`] does (axum's `Form<T>` refuses a repeated field with a plain-text 422);
/// a body that cannot be read at all is answered with a page, never plain text.
pub(crate) struct FirstValues<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for FirstValues<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|e| {
                AppError::BadRequest(format!(
                    "The form could not be read ({}). Go back, reload the page and send it again.",
                    e.body_text()
                ))
            })?;
        let mut seen = std::collections::HashSet::new();
        let first = pairs.into_iter().filter(|(k, _)| seen.insert(k.clone()));
        T::deserialize(serde::de::value::MapDeserializer::<
            _,
            serde::de::value::Error,
        >::new(first))
        .map(FirstValues)
        .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))
    }
}

/// A record id from the path; anything else is "page not found", never a 500.
pub(crate) fn path_id(raw: &str) -> Result<i64, AppError> {
    raw.trim().parse::<i64>().map_err(|_| AppError::NotFound)
}

/// One value of a raw query string (`?a=1&b=2`), decoded.
pub(crate) fn query_value(raw: Option<&str>, key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = raw
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A JSON value as the text a parse function reads: a string as sent, a number in digits, null
/// or absent as `None` (anything else as its JSON text, which the parser then refuses).
pub fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fields_are_trimmed_unless_asked_as_typed() {
        let f = form(&[
            ("name", "  Ann Lee "),
            ("password", " secret "),
            ("name", "second"),
        ]);
        assert_eq!(field(&f, "name"), "Ann Lee");
        assert_eq!(raw_field(&f, "password"), " secret ");
        assert_eq!(field(&f, "missing"), "");
        assert_eq!(value(&f, "missing"), None);
    }

    #[test]
    fn lists_split_on_commas_and_spaces_across_repeats() {
        let f = form(&[("who", "A1, B2;C3"), ("who", " D4\nE5 "), ("other", "x")]);
        assert_eq!(fields(&f, "who"), ["A1", "B2", "C3", "D4", "E5"]);
    }

    #[test]
    fn ids_and_queries_are_read_or_refused() {
        assert_eq!(path_id(" 42").ok(), Some(42));
        assert!(matches!(path_id("4x"), Err(AppError::NotFound)));
        assert_eq!(
            query_value(Some("a=1&team=Red%20team"), "team").as_deref(),
            Some("Red team")
        );
        assert_eq!(query_value(None, "team"), None);
    }
}
