//! The library's modules form layers that only point down (CONTRIBUTING.md): data flows
//! input → model → graph → checks / rules / stats → analysis → report. This test reads every
//! source file of the library and fails when a module names a module it may not use. Test
//! code (a `tests.rs` file, or what follows `#[cfg(test)]` at the end of a file) may use
//! any layer to build its data.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may use. Anything not listed may not be used.
const LAYERS: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("finding", &["model"]),
    ("input", &["model"]),
    ("graph", &["model"]),
    ("digest", &["model"]),
    ("stats", &["model", "graph"]),
    ("checks", &["model", "finding", "input", "graph"]),
    ("rules", &["model", "finding", "graph", "stats", "digest"]),
    ("analysis", &["model", "finding", "input", "graph", "digest", "stats", "checks", "rules"]),
    ("stream", &["model", "finding", "input", "graph", "digest", "stats", "checks", "rules", "analysis"]),
    ("diff", &["model", "graph", "stats"]),
    ("replay", &["model"]),
    ("export", &["model", "input"]),
    (
        "report",
        &["model", "finding", "input", "graph", "digest", "stats", "checks", "rules", "analysis", "diff", "replay"],
    ),
];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("directory entry").path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules that `text` (a file `depth` levels below the crate root:
/// `model.rs` and `model/mod.rs` are 1, `model/ids.rs` is 2) names through `crate::` or
/// enough `super::` to reach the crate root. Comments are left out.
fn named_modules(text: &str, depth: usize) -> BTreeSet<String> {
    let root_via_super = "super::".repeat(depth);
    let mut out = BTreeSet::new();
    for line in text.lines().take_while(|l| l.trim() != "#[cfg(test)]") {
        let code = line.split("//").next().unwrap_or("");
        for prefix in ["crate::", root_via_super.as_str()] {
            let mut rest = code;
            while let Some(at) = rest.find(prefix) {
                let after = &rest[at + prefix.len()..];
                let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                // `super::super::x` seen from a shallower prefix is not the root.
                if !name.is_empty()
                    && name != "super"
                    && (prefix == "crate::" || at == 0 || !rest[..at].ends_with("super::"))
                {
                    out.insert(name);
                }
                rest = after;
            }
            // `use crate::{a, b}` names several modules.
            if let Some(at) = code.find(&format!("{prefix}{{")) {
                let group = &code[at + prefix.len() + 1..];
                for part in group.split([',', '}']) {
                    let name: String =
                        part.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_module_names_only_the_layers_below_it() {
    let root = src();
    let mut all = Vec::new();
    files(&root, &mut all);
    let top: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    let mut violations = Vec::new();
    let mut checked = 0;
    for path in &all {
        let rel = path.strip_prefix(&root).expect("under src");
        let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        let module = parts[0].trim_end_matches(".rs").to_owned();
        if matches!(module.as_str(), "lib" | "main" | "cli") || parts.last().is_some_and(|f| f == "tests.rs") {
            continue; // the crate root, the binary and test code may use every module
        }
        let Some((_, allowed)) = LAYERS.iter().find(|(m, _)| *m == module) else {
            violations.push(format!("{}: module {module:?} has no place in LAYERS", rel.display()));
            continue;
        };
        let depth = if parts.len() == 1 || parts.last().is_some_and(|f| f == "mod.rs") { 1 } else { parts.len() - 1 };
        let text = std::fs::read_to_string(path).expect("source is UTF-8");
        for used in named_modules(&text, depth) {
            if used != module && top.contains(used.as_str()) && !allowed.contains(&used.as_str()) {
                violations.push(format!("{}: {module} uses {used}", rel.display()));
            }
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} files checked: is src/ where the test looks?");
    assert!(violations.is_empty(), "layer violations:\n{}", violations.join("\n"));
}

#[test]
fn the_scanner_sees_every_way_of_naming_a_module() {
    let names = |text: &str, depth: usize| -> Vec<String> { named_modules(text, depth).into_iter().collect() };
    assert_eq!(names("use crate::input::Format;", 2), ["input"]);
    assert_eq!(names("pub format: crate::input::Format,", 1), ["input"]);
    assert_eq!(names("use crate::{graph, rules::X};", 3), ["graph", "rules"]);
    assert_eq!(names("use super::super::report::Y;", 2), ["report"]);
    assert_eq!(names("use super::ids::TraceId;", 2), Vec::<String>::new());
    assert_eq!(names("use super::stats;", 1), ["stats"]);
    assert_eq!(names("// see crate::stream", 1), Vec::<String>::new());
    assert_eq!(names("use crate::model::Dump;\n#[cfg(test)]\nmod tests { use crate::input; }", 1), ["model"]);
}

/// Every top-level module of the library is in LAYERS, so a new one must be placed.
#[test]
fn every_module_has_a_layer() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let declared: BTreeSet<&str> =
        lib.lines().filter_map(|l| l.trim().strip_prefix("pub mod ")?.strip_suffix(';')).collect();
    let placed: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    assert_eq!(declared, placed);
}
