//! What the domain tests share: reading the fixture files.

use std::path::Path;

/// The bytes of `tests/fixtures/PATH` (e.g. `people-good.csv`, `register/incidents-bad.csv`).
pub fn fixture(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
