//! Dump text never reaches a terminal raw: escape sequences in span and service names are
//! written out in every human output, and tables keep their columns for names with newlines
//! and double-width characters.

mod common;

use assert_cmd::Command;
use tracecheck::report::term::width;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn line(service: &str, span: &str, parent: &str, name: &str, start: u64, dur: u64) -> String {
    let parent = if parent.is_empty() { String::new() } else { format!(r#""parentSpanId":"{parent}","#) };
    let t0 = 1_700_000_000_000_000_000u64;
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":{}}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"{TRACE}","spanId":"{span}",{parent}"name":{},"kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","status":{{"code":2,"message":"m"}}}}]}}]}}]}}"#,
        serde_json::to_string(service).expect("json"),
        serde_json::to_string(name).expect("json"),
        t0 + start,
        t0 + start + dur
    ) + "\n"
}

fn dump() -> String {
    line("evil\u{1b}]0;pwned\u{7}\u{1b}[2J", "00f067aa0ba902b7", "", "GET /a\u{1b}[31m\nrouted", 0, 9_000_000)
        + &line("注文サービス", "00f067aa0ba902b8", "00f067aa0ba902b7", "注文を確定する", 1_000_000, 5_000_000)
        + &line("plain", "00f067aa0ba902b9", "00f067aa0ba902b7", "db.query", 2_000_000, 1_000_000)
        + &line("\u{202e}reversed", "00f067aa0ba902ba", "00f067aa0ba902b7", "x\u{9b}31m", 3_000_000, 1_000_000)
}

fn run(args: &[&str], file: &std::path::Path) -> String {
    let out = Command::cargo_bin("tracecheck").expect("binary").args(args).arg(file).output().expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    for (what, t) in [("stdout", &text), ("stderr", &stderr)] {
        let raw: Vec<char> =
            t.chars().filter(|&c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)).collect();
        assert!(raw.is_empty(), "{args:?} {what} carries raw control characters {raw:?}:\n{t}");
    }
    text
}

#[test]
fn escape_sequences_are_written_out_in_every_human_output() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("evil.jsonl");
    std::fs::write(&file, dump()).expect("write");
    let check = run(&["check"], &file);
    assert!(check.contains(r"evil\u{1b}]0;pwned\u{7}"), "{check}");
    let stats = run(&["stats"], &file);
    assert!(stats.contains(r"GET /a\u{1b}[31m\nrouted"), "{stats}");
    let show = run(&["show", "--trace", TRACE], &file);
    assert!(show.contains(r"\u{202e}reversed") && show.contains(r"x\u{9b}31m"), "{show}");
    let file_b = tmp.path().join("evil-b.jsonl");
    std::fs::write(&file_b, dump()).expect("write");
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(["diff", "--all"])
        .arg(&file)
        .arg(&file_b)
        .output()
        .expect("diff");
    let diff = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!diff.chars().any(|c| c.is_control() && c != '\n'), "{diff}");
}

#[test]
fn tables_keep_their_columns_with_newlines_and_wide_characters() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("evil.jsonl");
    std::fs::write(&file, dump()).expect("write");
    let stats = run(&["stats"], &file);
    // Every row of the table (header included) is as wide on screen as the others.
    let rows: Vec<&str> = stats.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 5, "{stats}");
    let widths: Vec<usize> = rows.iter().map(|l| width(l)).collect();
    assert!(widths.iter().all(|&w| w == widths[0]), "{widths:?}\n{stats}");
    // The `count` column starts at the same screen column on every row.
    let count_col = |l: &str| width(&l[..l.find("  1  ").unwrap_or(l.len())]);
    let cols: Vec<usize> = rows[1..].iter().map(|l| count_col(l)).collect();
    assert!(cols.iter().all(|&c| c == cols[0]), "{cols:?}\n{stats}");
    // The latency table of `check` likewise.
    let check = run(&["check"], &file);
    let table: Vec<&str> =
        check.lines().skip_while(|l| !l.starts_with("latency:")).skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(table.len(), 5, "{check}");
    let widths: Vec<usize> = table.iter().map(|l| width(l)).collect();
    assert!(widths.iter().all(|&w| w == widths[0]), "{widths:?}\n{check}");
}
