//! Front-end assets embedded in the binary.
//!
//! `scripts/build-assets` (Node.js, the pinned npm packages) compiles
//! `assets/src/app.scss` (GOV.UK Frontend + MOJ Frontend, force branded), copies the two
//! frameworks' ES-module bundles, builds `app.js` (which imports and initialises both)
//! and names every file by a content hash, into the committed `crates/web/assets-dist/`
//! with a `manifest.tsv`. `build.rs` embeds those committed files (no Node.js needed to
//! build), so each URL is served with a one-year immutable cache lifetime.
//!
//! Layout:
//! ```html
//! <link rel="stylesheet" href="{{ assets::stylesheet() }}">
//! <script type="module" src="{{ assets::script() }}"></script>
//! ```
//! Router: `.route("/assets/{*name}", get(assets::serve))`.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Public URL, e.g. "/assets/app-3f2a9c0b1d.css".
    pub path: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets_gen.rs"));

const PREFIX: &str = "/assets/";

/// Public URL of the compiled stylesheet.
pub fn stylesheet() -> &'static str {
    STYLESHEET
}

/// Public URL of the entry ES module (`<script type="module">`); it initialises
/// GOV.UK Frontend and MOJ Frontend components.
pub fn script() -> &'static str {
    SCRIPT
}

/// Public URL of the favicon (SVG): `<link rel="icon" href="..." type="image/svg+xml">`.
pub fn favicon() -> &'static str {
    FAVICON
}

/// Every embedded asset.
pub fn all() -> &'static [Asset] {
    ASSETS
}

/// Looks up an asset by the part of its URL after "/assets/" (hashed names only).
pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS
        .iter()
        .find(|a| a.path.strip_prefix(PREFIX) == Some(name))
}

/// axum handler for `GET /assets/{*name}`: the asset with its Content-Type,
/// `Cache-Control: public, max-age=31536000, immutable` and
/// `X-Content-Type-Options: nosniff`; 404 for any other name.
pub async fn serve(Path(name): Path<String>) -> Response {
    match find(&name) {
        Some(asset) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            asset.bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            "Not found\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(url: &str) -> &'static str {
        let name = url.strip_prefix(PREFIX).expect("asset URL under /assets/");
        let asset = find(name).unwrap_or_else(|| panic!("{url} is not embedded"));
        std::str::from_utf8(asset.bytes).expect("UTF-8")
    }

    #[test]
    fn stylesheet_is_embedded_and_unbranded() {
        let url = stylesheet();
        assert!(
            url.starts_with("/assets/app-") && url.ends_with(".css"),
            "{url}"
        );
        let css = text(url);
        assert!(css.len() > 10_000, "stylesheet is suspiciously small");
        assert!(
            css.contains(".govuk-header"),
            "GOV.UK Frontend styles missing"
        );
        assert!(css.contains(".moj-"), "MOJ Frontend styles missing");
        assert!(css.contains("#1d3b6b"), "force branding missing");
        assert!(
            !css.contains("GDS Transport"),
            "GOV.UK font must not be referenced"
        );
        assert!(!css.contains("@font-face"), "no web fonts are shipped");
        for branded in [
            "govuk-crest",
            "govuk-logotype-crown",
            "/assets/images/",
            "/assets/fonts/",
        ] {
            assert!(
                !css.contains(branded),
                "the stylesheet must not reference {branded}"
            );
        }
        assert_eq!(
            find(url.strip_prefix(PREFIX).unwrap())
                .unwrap()
                .content_type,
            "text/css; charset=utf-8"
        );
    }

    #[test]
    fn every_url_in_the_stylesheet_is_embedded() {
        let css = text(stylesheet());
        for part in css.split("url(").skip(1) {
            let target = part[..part.find(')').unwrap()].trim_matches(|c| c == '"' || c == '\'');
            if target.starts_with("data:") {
                continue;
            }
            assert!(
                target.starts_with(PREFIX) && find(&target[PREFIX.len()..]).is_some(),
                "dangling url({target})"
            );
        }
    }

    #[test]
    fn script_imports_hashed_bundles_that_exist() {
        let js = text(script());
        assert!(js.contains("initGovukFrontend()") && js.contains("initMojFrontend()"));
        let mut imports = 0;
        for line in js.lines().filter(|l| l.trim_start().starts_with("import ")) {
            let url = line.split('"').nth(1).expect("quoted import");
            let bundle = text(url);
            assert!(bundle.contains("initAll"), "{url} does not export initAll");
            assert!(
                !bundle.contains("sourceMappingURL"),
                "{url} points at a source map we do not ship"
            );
            imports += 1;
        }
        assert_eq!(imports, 2);
        assert_eq!(
            find(script().strip_prefix(PREFIX).unwrap())
                .unwrap()
                .content_type,
            "text/javascript; charset=utf-8"
        );
    }

    #[test]
    fn names_are_hashed_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in all() {
            assert!(a.path.starts_with(PREFIX), "{}", a.path);
            assert!(!a.bytes.is_empty(), "{} is empty", a.path);
            assert!(seen.insert(a.path), "{} twice", a.path);
            let name = &a.path[PREFIX.len()..];
            assert!(!name.contains('/') && !name.contains(".."), "{name}");
            let stem = &name[..name.rfind('.').unwrap()];
            let hash = &stem[stem.rfind('-').unwrap() + 1..];
            assert!(
                hash.len() == 10 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
                "{name}"
            );
        }
        assert!(favicon().ends_with(".svg") && find(&favicon()[PREFIX.len()..]).is_some());
    }

    #[test]
    fn unknown_names_are_not_found() {
        assert!(find("nope.css").is_none());
        assert!(find("app.css").is_none(), "only hashed names are served");
        assert!(find("").is_none());
        assert!(
            find(stylesheet()).is_none(),
            "find takes the name after /assets/"
        );
        assert!(find("../Cargo.toml").is_none());
    }

    #[tokio::test]
    async fn serve_sets_headers_and_404s() {
        let name = stylesheet().strip_prefix(PREFIX).unwrap().to_string();
        let res = serve(Path(name)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers();
        assert_eq!(h[header::CONTENT_TYPE], "text/css; charset=utf-8");
        assert_eq!(
            h[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

        let res = serve(Path("missing-0123456789.css".to_string())).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.headers().get(header::CACHE_CONTROL).is_none());
    }
}
