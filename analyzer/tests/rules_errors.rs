//! Broken rule packs: each kind of mistake is an error naming the file, line and column,
//! snapshot-tested; nothing from a broken pack is evaluated.

mod common;

use tracecheck::rules::RuleSet;

#[test]
fn broken_packs_are_reported_with_line_and_column() {
    let dir = common::root().join("analyzer/tests/data/rules-broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("fixture dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(files.len() >= 10, "at least ten kinds of broken pack");
    let mut out = String::new();
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        let text = std::fs::read_to_string(f).expect("readable");
        match RuleSet::parse(&name, &text) {
            Ok(_) => panic!("{name} must be rejected"),
            Err(e) => {
                assert!(e.line > 0 && e.column > 0, "{name}: no position in {e}");
                out.push_str(&format!("{e}\n"));
            }
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn the_bundled_packs_are_valid() {
    let set = RuleSet::load(&[common::root().join("rules")]).unwrap_or_else(|e| panic!("{e:?}"));
    let names: Vec<&str> = set.packs().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["otel-basics", "p2p-marketplace"]);
}

#[test]
fn load_reports_every_broken_file_not_only_the_first() {
    let dir = common::root().join("analyzer/tests/data/rules-broken");
    let two = [dir.join("02-unknown-key.toml"), dir.join("06-unknown-field.toml")];
    let errors = RuleSet::load(&two).expect_err("both broken");
    assert_eq!(errors.len(), 2);
}

/// A naive pack with seven mistakes gets all seven in one run, in file order, with the key
/// meant for misspelled keys and fields, and the rest of the pack still checked.
#[test]
fn every_error_of_a_pack_comes_in_one_run() {
    let path = common::root().join("analyzer/tests/data/rules-many-errors/naive.toml");
    let errors = RuleSet::load(&[path]).expect_err("broken");
    let got: Vec<String> = errors.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect();
    let want = [
        "3:1 unknown key `descripton` in the pack; did you mean `description`?",
        "9:1 unknown key `expcet` in a [[rule]]; did you mean `expect`?",
        "14:11 unknown field `nmae`; did you mean `name`?",
        "20:38 unknown aggregate `median` (use count, error_rate, min, max, avg (or mean), sum, p1 … p100, p999, p9999, or quantile(F, q))",
        "21:1 unknown key `severty` in a [[rule]]; did you mean `severity`?",
        "26:22 cannot compare a duration with a number (write a unit: 5ms, 250us, 1s)",
        "29:8 suppression names \"R9\", which is neither a built-in code nor a rule loaded before it",
    ];
    assert_eq!(got, want);
}
