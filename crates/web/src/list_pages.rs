//! The paging of long lists read a page at a time (keyset pages, `store::keyset`): where a page
//! starts, read from its query, and its "Previous" and "Next" links.

/// Where a list read a page at a time starts, from `after=REF` (the next page) or `before=REF`
/// (the previous one). Anything else, an old `page=N` link included, is the first page.
pub fn page_start(pairs: &[(String, String)]) -> mashboard_store::keyset::PageStart {
    use mashboard_store::keyset::PageStart;
    // A reference never holds a control character (PostgreSQL refuses a NUL in text).
    let get = |k: &str| {
        crate::form::field(pairs, k)
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    };
    match (get("after"), get("before")) {
        (a, _) if !a.is_empty() => PageStart::After(a),
        (_, b) if !b.is_empty() => PageStart::Before(b),
        _ => PageStart::First,
    }
}

/// The "Previous" and "Next" links of a list read a page at a time (keyset pages): each names
/// the reference of the row it continues from, and keeps the filters (`templates/list_pages.html`).
#[derive(Debug, Clone, Default)]
pub struct PageLinks {
    pub previous: Option<String>,
    pub next: Option<String>,
    /// The link followed named a row that is not there any more: the first page is shown.
    pub restarted: bool,
}

impl PageLinks {
    /// The links of `page` at `path` with the filters `base_query`; `reference` is a row's key.
    pub fn of<T>(
        path: &str,
        base_query: &str,
        page: &mashboard_store::keyset::Page<T>,
        reference: impl Fn(&T) -> &str,
    ) -> PageLinks {
        let href = |k: &str, row: &T| {
            let start = serde_urlencoded::to_string([(k, reference(row))]).unwrap_or_default();
            if base_query.is_empty() {
                format!("{path}?{start}")
            } else {
                format!("{path}?{base_query}&{start}")
            }
        };
        PageLinks {
            previous: match (page.has_previous, page.rows.first()) {
                (true, Some(r)) => Some(href("before", r)),
                _ => None,
            },
            next: match (page.has_next, page.rows.last()) {
                (true, Some(r)) => Some(href("after", r)),
                _ => None,
            },
            restarted: page.start_unknown,
        }
    }
}
