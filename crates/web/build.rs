//! Builds the front-end assets that `src/assets.rs` embeds in the binary.
//!
//! 1. Makes sure `node_modules/` at the workspace root matches `package-lock.json`:
//!    runs `npm ci` when `node_modules/govuk-frontend` is missing or the install is
//!    older than the lockfile.
//! 2. Compiles `assets/src/app.scss` with the pinned dart-sass (`node_modules/sass`).
//! 3. Rewrites the stylesheet's `url(/assets/images/...)` references to content-hashed
//!    asset URLs and embeds those images. GOV.UK-branded files (crown, crest, GDS
//!    Transport font) are never shipped: references to them become `none`.
//! 4. Copies GOV.UK Frontend's and MOJ Frontend's ES-module bundles and rewrites the
//!    bare imports in `assets/src/app.js` to their hashed URLs.
//! 5. Writes every file to `OUT_DIR/assets/` and a table to `OUT_DIR/assets_gen.rs`.
//!
//! Nothing built here is committed.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// Public URL prefix under which the router serves the assets.
const PREFIX: &str = "/assets/";
/// Where the compiled CSS expects images and fonts (`$govuk-assets-path` = "/assets/").
const CSS_REFS: &[&str] = &["/assets/images/", "/assets/fonts/"];

const GOVUK_JS: &str = "node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js";
const MOJ_JS: &str = "node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.js";
/// Directories searched, in order, for files the stylesheet references.
const CSS_FILE_DIRS: &[&str] = &[
    "node_modules/@ministryofjustice/frontend/moj/assets/images",
    "node_modules/govuk-frontend/dist/govuk/assets/images",
];

/// GOV.UK-branded files: never embedded; CSS references to them become `none`.
fn is_excluded(file_name: &str) -> bool {
    let f = file_name.to_ascii_lowercase();
    f.contains("crown")
        || f.contains("crest")
        || f.starts_with("govuk-")
        || f.ends_with(".woff")
        || f.ends_with(".woff2")
}

struct Built {
    /// Logical name, e.g. "app.css".
    logical: String,
    /// Public file name (the part after "/assets/"), e.g. "app-3f2a9c0b1d.css".
    public: String,
    bytes: Vec<u8>,
}

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("../..");
    let root = root.canonicalize().unwrap_or(root);
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));

    for p in ["package.json", "package-lock.json", "assets/src"] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=NPM");
    println!("cargo:rerun-if-env-changed=NODE");

    ensure_node_modules(&root);

    let mut built: Vec<Built> = Vec::new();

    // JavaScript: the two ES-module bundles, then our entry module importing them.
    let govuk = add(
        &mut built,
        "govuk-frontend.js",
        strip_source_map(read(&root.join(GOVUK_JS))),
    );
    let moj = add(
        &mut built,
        "moj-frontend.js",
        strip_source_map(read(&root.join(MOJ_JS))),
    );
    let app_js = rewrite_js_imports(
        &read_string(&root.join("assets/src/app.js")),
        &[
            ("govuk-frontend", govuk.as_str()),
            ("@ministryofjustice/frontend", moj.as_str()),
        ],
    );
    add(&mut built, "app.js", app_js.into_bytes());

    // Stylesheet, with its images.
    let css = compile_sass(&root, &out_dir);
    let css = rewrite_css_urls(&root, &css, &mut built);
    add(&mut built, "app.css", css.into_bytes());

    // Our own static files.
    add(
        &mut built,
        "favicon.svg",
        read(&root.join("assets/src/favicon.svg")),
    );

    write_out(&out_dir, &built);
}

/// Adds a file under its content-hashed public name; returns its public URL.
fn add(built: &mut Vec<Built>, logical: &str, bytes: Vec<u8>) -> String {
    if let Some(b) = built.iter().find(|b| b.logical == logical) {
        return format!("{PREFIX}{}", b.public);
    }
    let hash = hex_prefix(&Sha256::digest(&bytes), 10);
    let (stem, ext) = match logical.rfind('.') {
        Some(i) => (&logical[..i], &logical[i..]),
        None => (logical, ""),
    };
    let public = format!("{stem}-{hash}{ext}");
    let url = format!("{PREFIX}{public}");
    built.push(Built {
        logical: logical.to_string(),
        public,
        bytes,
    });
    url
}

fn hex_prefix(digest: &[u8], n: usize) -> String {
    let mut s = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(s, "{byte:02x}");
    }
    s.truncate(n);
    s
}

fn read(p: &Path) -> Vec<u8> {
    fs::read(p).unwrap_or_else(|e| panic!("mashboard-web build: cannot read {}: {e}", p.display()))
}

fn read_string(p: &Path) -> String {
    String::from_utf8(read(p))
        .unwrap_or_else(|_| panic!("mashboard-web build: {} is not UTF-8", p.display()))
}

// ---------------------------------------------------------------------------------------
// npm ci
// ---------------------------------------------------------------------------------------

fn mtime(p: &Path) -> Option<SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// True when node_modules must be (re)installed from package-lock.json.
fn install_needed(root: &Path) -> bool {
    let nm = root.join("node_modules");
    if !nm.join("govuk-frontend/package.json").is_file() || !nm.join("sass/sass.js").is_file() {
        return true;
    }
    // npm writes node_modules/.package-lock.json at the end of every install.
    match (
        mtime(&nm.join(".package-lock.json")),
        mtime(&root.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    }
}

fn ensure_node_modules(root: &Path) {
    if !install_needed(root) {
        return;
    }
    // Two builds (e.g. different CARGO_TARGET_DIRs) must not run `npm ci` at once:
    // it deletes node_modules first.
    let _lock = InstallLock::acquire(root);
    if !install_needed(root) {
        return; // another build installed it while we waited
    }
    let npm = env::var("NPM").unwrap_or_else(|_| "npm".to_string());
    println!("cargo:warning=mashboard-web: running `{npm} ci` in {} (node_modules missing or older than package-lock.json)", root.display());
    let output = Command::new(&npm)
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(root)
        .output();
    match output {
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "\n\nmashboard-web build: `{npm}` was not found.\n\
             The web crate embeds GOV.UK Frontend / MOJ Frontend assets, installed from the\n\
             pinned package-lock.json with npm. Install Node.js 20.19 or later with npm\n\
             (nodejs.org or your distribution; Debian 12's own `nodejs` is too old),\n\
             then build again.\n\
             Set NPM=/path/to/npm if npm is installed somewhere not on PATH.\n\n"
        ),
        Err(e) => panic!("mashboard-web build: could not run `{npm} ci`: {e}"),
        Ok(o) if !o.status.success() => panic!(
            "\n\nmashboard-web build: `{npm} ci --no-audit --no-fund` failed in {} ({}).\n\
             --- stdout ---\n{}\n--- stderr ---\n{}\n\
             Check that the npm registry is reachable and that package.json and\n\
             package-lock.json agree (run `npm install` to update the lockfile).\n\n",
            root.display(),
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(_) => {}
    }
    if !root
        .join("node_modules/govuk-frontend/package.json")
        .is_file()
    {
        panic!(
            "mashboard-web build: `{npm} ci` succeeded but node_modules/govuk-frontend is missing"
        );
    }
}

/// A lock file in the system temp dir, keyed by the workspace path.
struct InstallLock(PathBuf);

impl InstallLock {
    fn acquire(root: &Path) -> InstallLock {
        let key = hex_prefix(&Sha256::digest(root.to_string_lossy().as_bytes()), 12);
        let path = env::temp_dir().join(format!("mashboard-npm-ci-{key}.lock"));
        let start = SystemTime::now();
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return InstallLock(path),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    // A lock older than 10 minutes was left by a killed build.
                    let stale = mtime(&path)
                        .and_then(|t| SystemTime::now().duration_since(t).ok())
                        .is_some_and(|age| age > Duration::from_secs(600));
                    let waited = SystemTime::now().duration_since(start).unwrap_or_default();
                    if stale || waited > Duration::from_secs(900) {
                        let _ = fs::remove_file(&path);
                    } else {
                        std::thread::sleep(Duration::from_millis(500));
                    }
                }
                Err(e) => panic!("mashboard-web build: cannot create {}: {e}", path.display()),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

// ---------------------------------------------------------------------------------------
// Sass
// ---------------------------------------------------------------------------------------

fn compile_sass(root: &Path, out_dir: &Path) -> String {
    let node = env::var("NODE").unwrap_or_else(|_| "node".to_string());
    let out_css = out_dir.join("app.compiled.css");
    let output = Command::new(&node)
        .arg(root.join("node_modules/sass/sass.js"))
        .args([
            "--style=compressed",
            "--no-source-map",
            "--quiet-deps",
            "--no-unicode",
        ])
        .arg(format!("--load-path={}", root.display()))
        .arg(root.join("assets/src/app.scss"))
        .arg(&out_css)
        .current_dir(root)
        .output();
    match output {
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "\n\nmashboard-web build: `{node}` was not found. Install Node.js 20.19 or later\n\
             with npm, then build again (set NODE=/path/to/node if it is not on PATH).\n\n"
        ),
        Err(e) => panic!("mashboard-web build: could not run `{node}`: {e}"),
        Ok(o) if !o.status.success() => panic!(
            "\n\nmashboard-web build: compiling assets/src/app.scss failed ({}).\n{}\n{}\n\
             (dart-sass needs Node.js 20.19 or later: `node --version`.)\n",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(o) => {
            // Anything sass says about our own SCSS is worth seeing.
            for line in String::from_utf8_lossy(&o.stderr)
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                println!("cargo:warning=sass: {line}");
            }
        }
    }
    let css = read_string(&out_css);
    let _ = fs::remove_file(&out_css);
    if css.contains("GDS Transport") {
        panic!("mashboard-web build: the compiled CSS mentions \"GDS Transport\"; set $govuk-font-family in assets/src/app.scss");
    }
    css
}

/// Rewrites `url(/assets/images/NAME)` (quoted or not) to hashed asset URLs, adding the
/// files; GOV.UK-branded files become `none`. Any other unresolvable reference fails.
fn rewrite_css_urls(root: &Path, css: &str, built: &mut Vec<Built>) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(i) = rest.find("url(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let end = after
            .find(')')
            .unwrap_or_else(|| panic!("mashboard-web build: unterminated url( in compiled CSS"));
        let raw = after[..end].trim();
        let target = raw.trim_matches(|c| c == '"' || c == '\'');
        rest = &after[end + 1..];

        let Some(prefix) = CSS_REFS.iter().find(|p| target.starts_with(**p)) else {
            if target.starts_with("data:") || target.starts_with('#') {
                out.push_str("url(");
                out.push_str(raw);
                out.push(')');
                continue;
            }
            panic!("mashboard-web build: compiled CSS references {target:?}, which build.rs does not know how to embed");
        };
        let file_name = &target[prefix.len()..];
        if file_name.contains('/') || file_name.contains("..") {
            panic!("mashboard-web build: unexpected CSS reference {target}");
        }
        if is_excluded(file_name) {
            out.push_str("none");
            continue;
        }
        let found = CSS_FILE_DIRS
            .iter()
            .map(|d| root.join(d).join(file_name))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("mashboard-web build: compiled CSS references {target}, not found in {CSS_FILE_DIRS:?}"));
        let url = add(built, file_name, read(&found));
        out.push_str("url(");
        out.push_str(&url);
        out.push(')');
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------
// JavaScript
// ---------------------------------------------------------------------------------------

/// Drops a trailing `//# sourceMappingURL=...` comment: we do not ship source maps.
fn strip_source_map(bytes: Vec<u8>) -> Vec<u8> {
    let mut text = String::from_utf8(bytes).expect("JS bundle is UTF-8");
    if let Some(i) = text.rfind("//# sourceMappingURL=") {
        if !text[i..].trim_end().contains('\n') {
            text.truncate(i);
        }
    }
    let mut text = text.trim_end().to_string();
    text.push('\n');
    text.into_bytes()
}

/// Replaces `from "<bare>"` / `from '<bare>'` with the hashed URL of the bundle.
fn rewrite_js_imports(src: &str, map: &[(&str, &str)]) -> String {
    let mut out = src.to_string();
    for (bare, url) in map {
        for q in ['"', '\''] {
            out = out.replace(&format!("from {q}{bare}{q}"), &format!("from \"{url}\""));
        }
    }
    for line in out.lines() {
        let l = line.trim_start();
        if l.starts_with("import ") && !l.contains(PREFIX) {
            panic!("mashboard-web build: assets/src/app.js has an import build.rs cannot resolve: {line}");
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        other => panic!("mashboard-web build: no content type for .{other}"),
    }
}

fn write_out(out_dir: &Path, built: &[Built]) {
    let dir = out_dir.join("assets");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create OUT_DIR/assets");

    let mut gen = String::new();
    gen.push_str("// @generated by crates/web/build.rs: do not edit.\n");
    gen.push_str("pub(crate) static ASSETS: &[Asset] = &[\n");
    for b in built {
        let file = dir.join(&b.public);
        fs::write(&file, &b.bytes).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
        let _ = writeln!(
            gen,
            "    Asset {{ path: {:?}, bytes: include_bytes!({:?}), content_type: {:?} }}, // {}",
            format!("{PREFIX}{}", b.public),
            file.display().to_string(),
            content_type(&b.public),
            b.logical
        );
    }
    gen.push_str("];\n");
    for (konst, logical) in [
        ("STYLESHEET", "app.css"),
        ("SCRIPT", "app.js"),
        ("FAVICON", "favicon.svg"),
    ] {
        let b = built
            .iter()
            .find(|b| b.logical == logical)
            .expect("built asset");
        let _ = writeln!(
            gen,
            "pub(crate) const {konst}: &str = {:?};",
            format!("{PREFIX}{}", b.public)
        );
    }
    fs::write(out_dir.join("assets_gen.rs"), gen).expect("write assets_gen.rs");
}
