//! The rule that keeps the web layer a house of rooms rather than one room: a capability (a
//! folder of `src/`) reaches another capability only through what that capability's `mod.rs`
//! offers (`crate::sessions::my_bookings`), never into its files (`crate::sessions::pages::…`),
//! and capabilities never import each other in a circle. Shared infrastructure (the files at
//! `src/`) imports no capability at all, except the composition root (`lib.rs`, `routes.rs`,
//! `openapi.rs`), which wires them together. The compiler already refuses a reach into another
//! capability's files (its modules are private); this test reads the `use` lines and paths to
//! keep the other two halves of the rule.

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    const ROOT: &[&str] = &["lib.rs", "routes.rs", "openapi.rs", "boundaries.rs"];
    /// Folders of shared infrastructure (not capabilities).
    const INFRA_DIRS: &[&str] = &["error", "export", "imports"];

    fn src() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    fn capabilities() -> BTreeSet<String> {
        std::fs::read_dir(src())
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !INFRA_DIRS.contains(&name.as_str()))
            .collect()
    }

    /// Every `crate::NAME` path in a file, by NAME.
    fn crate_paths(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            // `use crate::{a, b::c}` names several at once.
            if let Some(inner) = rest.strip_prefix('{') {
                let group = inner.split('}').next().unwrap_or_default();
                for part in group.split(',') {
                    let n: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !n.is_empty() {
                        out.insert(n);
                    }
                }
            }
        }
        out
    }

    fn rs_files(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(rs_files(&p));
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
        out
    }

    /// Which capabilities each capability uses.
    fn capability_graph() -> BTreeMap<String, BTreeSet<String>> {
        let caps = capabilities();
        let mut graph = BTreeMap::new();
        for cap in &caps {
            let mut uses = BTreeSet::new();
            for f in rs_files(&src().join(cap)) {
                let text = std::fs::read_to_string(&f).unwrap();
                for name in crate_paths(&text) {
                    if caps.contains(&name) && &name != cap {
                        uses.insert(name);
                    }
                }
            }
            graph.insert(cap.clone(), uses);
        }
        graph
    }

    #[test]
    fn shared_infrastructure_imports_no_capability() {
        let caps = capabilities();
        let mut wrong = Vec::new();
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for e in std::fs::read_dir(src()).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if INFRA_DIRS.contains(&name.as_str()) {
                files.extend(rs_files(&p));
            } else if !p.is_dir() && !ROOT.contains(&name.as_str()) {
                files.push(p);
            }
        }
        for p in files {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            for used in crate_paths(&text) {
                if caps.contains(&used) {
                    wrong.push(format!("{name} uses the capability {used}"));
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn capabilities_never_import_each_other_in_a_circle() {
        let graph = capability_graph();
        // Depth-first search for a cycle, reporting its path.
        fn visit(
            n: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(i) = path.iter().position(|p| p == n) {
                let mut cycle = path[i..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            if done.contains(n) {
                return None;
            }
            path.push(n.to_string());
            for m in graph.get(n).into_iter().flatten() {
                if let Some(c) = visit(m, graph, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(n.to_string());
            None
        }
        let mut done = BTreeSet::new();
        for n in graph.keys() {
            if let Some(cycle) = visit(n, &graph, &mut Vec::new(), &mut done) {
                panic!(
                    "capabilities import each other in a circle: {}",
                    cycle.join(" → ")
                );
            }
        }
    }

    #[test]
    fn a_capability_reaches_another_only_through_its_mod_rs() {
        let caps = capabilities();
        let mut wrong = Vec::new();
        for cap in &caps {
            for f in rs_files(&src().join(cap)) {
                let text = std::fs::read_to_string(&f).unwrap();
                for other in caps.iter().filter(|o| *o != cap) {
                    let prefix = format!("crate::{other}::");
                    for (i, _) in text.match_indices(&prefix) {
                        let rest = &text[i + prefix.len()..];
                        let item: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        let is_file = src().join(other).join(format!("{item}.rs")).exists()
                            || src().join(other).join(&item).is_dir();
                        if is_file && rest[item.len()..].starts_with("::") {
                            wrong.push(format!("{}: crate::{other}::{item}::…", f.display()));
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn the_rule_sees_a_circle_and_a_reach_inside() {
        // The readers above must notice what they are there to notice.
        let paths =
            crate_paths("use crate::{auth::cap, sessions::x};\nlet a = crate::matrix::pages::f();");
        assert!(paths.contains("auth") && paths.contains("sessions") && paths.contains("matrix"));
    }
}
