//! The one answer to a NUL character (U+0000) in what a request sends.

use super::{ApiError, AppError};
use axum::response::{IntoResponse, Response};

/// The refusal of a query whose parameter holds a NUL character, naming the parameter; `None`
/// when none does (only a query holding `%00` is decoded to look).
pub(super) fn query_nul_refusal(query: &str, api: bool) -> Option<Response> {
    if !query.contains("%00") {
        return None;
    }
    let (name, _) = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))?;
    Some(nul_refusal(&name, NulPlace::QueryParameter, api))
}

/// Where a NUL character (U+0000) was found, for [`nul_refusal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NulPlace {
    /// A field of a URL-encoded form (`csrf::protect`).
    FormField,
    /// A parameter of the query string ([`pages_not_plain_text`](super::pages_not_plain_text)).
    QueryParameter,
    /// A text or key in an API call's JSON body, named by its path (`rows[2].note`;
    /// `csrf::api_body`).
    JsonField,
}

/// The one answer to a NUL character (U+0000) in what a request sends: nothing a person types,
/// and a character PostgreSQL cannot keep or compare in text (SQLite would), so it is refused
/// before any handler runs, the same on both databases, with a 400 naming where it was: the
/// API's JSON `fields` (`api`), or a page in words. NULs in `name` itself are dropped; a name
/// left empty is said as "a" field or parameter ("body" for a JSON body that is one text).
pub fn nul_refusal(name: &str, place: NulPlace, api: bool) -> Response {
    let name = name.replace('\0', "");
    if api {
        let name = match (name.is_empty(), place) {
            (false, _) => name,
            (true, NulPlace::JsonField) => "body".to_string(),
            (true, _) => "a".to_string(),
        };
        return ApiError::fields([(name.as_str(), "must not contain a null character (U+0000)")])
            .into_response();
    }
    let words = name.replace('_', " ");
    let message = match place {
        NulPlace::QueryParameter => format!(
            "The web address's \u{201c}{}\u{201d} holds a null character (U+0000), which cannot be used. Go back and use the page's own links, search boxes and filters.",
            if words.is_empty() { "a" } else { &words }
        ),
        NulPlace::FormField | NulPlace::JsonField => {
            let field = if words.is_empty() {
                "a".to_string()
            } else {
                format!("the \u{201c}{words}\u{201d}")
            };
            format!(
                "The form was not saved: {field} field contains a null character (U+0000), which is not allowed. Remove it, for example by typing the text again instead of pasting it, then send the form again."
            )
        }
    };
    AppError::BadRequest(message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    async fn answer(r: Response) -> (StatusCode, String) {
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    /// Each place keeps its own words on a page, and the API the one `fields` message; a name
    /// that is only NULs is still said ("a" field or parameter, the "body" of a JSON body).
    #[tokio::test]
    async fn a_nul_is_refused_in_the_words_of_where_it_was() {
        let page = |name, place| answer(nul_refusal(name, place, false));
        let (status, html) = page("first_name", NulPlace::FormField).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            html.contains("The form was not saved: the \u{201c}first name\u{201d} field contains a null character (U+0000)"),
            "{html}"
        );
        let (_, html) = page("\0", NulPlace::FormField).await;
        assert!(
            html.contains("The form was not saved: a field contains"),
            "{html}"
        );
        let (status, html) = page("dep\0artment", NulPlace::QueryParameter).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            html.contains(
                "\u{201c}department\u{201d} holds a null character (U+0000), which cannot be used."
            ),
            "{html}"
        );

        for (name, place, field) in [
            ("rows[2].note", NulPlace::JsonField, "rows[2].note"),
            ("", NulPlace::JsonField, "body"),
            ("\0", NulPlace::QueryParameter, "a"),
            ("search", NulPlace::QueryParameter, "search"),
        ] {
            let (status, body) = answer(nul_refusal(name, place, true)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["error"], "bad_request", "{v}");
            assert_eq!(v["fields"][0]["field"], field, "{v}");
            assert_eq!(
                v["fields"][0]["message"], "must not contain a null character (U+0000)",
                "{v}"
            );
        }
    }
}
