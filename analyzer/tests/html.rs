//! The HTML report: drawn by a real headless browser (Debian's chromium through Selenium)
//! without console errors or network requests, filters working; the dump's text stays text.

mod common;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn tracecheck() -> Command {
    Command::cargo_bin("tracecheck").expect("binary built")
}

/// Writes the HTML report of `inputs` (relative to the workspace root) to `out`.
fn html(inputs: &[&str], extra: &[&str], out: &Path) -> String {
    let run = tracecheck()
        .arg("check")
        .args(inputs)
        .args(extra)
        .args(["--format", "html", "-o"])
        .arg(out)
        .current_dir(common::root())
        .output()
        .expect("run");
    assert!(matches!(run.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&run.stderr));
    std::fs::read_to_string(out).expect("html written")
}

/// Whether the browser, its driver and Selenium are here; says why not otherwise.
fn browser_ready() -> bool {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let selenium =
        std::process::Command::new("python3").args(["-c", "import selenium"]).status().is_ok_and(|s| s.success());
    if Path::new(&chromium).exists() && Path::new(&driver).exists() && selenium {
        return true;
    }
    common::cannot_run("the HTML report's browser test needs chromium, chromedriver and Python's selenium");
    false
}

/// Opens `page` in the browser; the screenshots go beside `shot`.
fn open_in_browser(page: &Path, shot: &Path, extra: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg(common::root().join("analyzer/tests/browser/check_html.py"))
        .arg(page)
        .arg("--screenshot")
        .arg(shot)
        .args(extra)
        .output()
        .expect("python3");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser check failed:\n{text}");
    text
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&dir).expect("artifact dir");
    dir
}

#[test]
fn the_html_report_draws_itself_in_a_real_browser() {
    let dir = artifacts();
    let page = dir.join("p2p.html");
    let inputs = [
        "sample-traces/p2p/wrong-order.jsonl",
        "sample-traces/p2p/slow-p99.jsonl",
        "sample-traces/checks/S001-orphan-span.jsonl",
        "sample-traces/checks/T005-clock-skew.jsonl",
        "sample-traces/checks/A004-inconsistent-attribute-type.jsonl",
    ];
    let text = html(&inputs, &["--rules", "rules/p2p-marketplace.toml"], &page);
    assert!(text.len() < 4 << 20, "{} bytes", text.len());
    assert!(text.contains("default-src 'none'"), "the page forbids itself any network access");
    if !browser_ready() {
        return;
    }
    let shot = dir.join("p2p.png");
    let said = open_in_browser(&page, &shot, &[]);
    assert!(shot.exists() && dir.join("p2p-latency.png").exists() && dir.join("p2p-waterfall.png").exists());
    eprintln!("screenshots in {}: {said}", dir.display());
}

/// Span and service names that are markup, and an attribute that closes the script
/// element: no script runs, the names show as text.
#[test]
fn names_that_are_markup_stay_text() {
    let name = r#"<script>window.__pwned=1</script>"q'"#;
    let service = r#"<img src=x onerror="window.__pwned=2">"#;
    let attr = r#"</script><script>window.__pwned=3</script>"#;
    let span = |id: &str, parent: &str, span_name: &str| {
        serde_json::json!({"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": id, "parentSpanId": parent,
            "name": span_name, "kind": 2, "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000500000000",
            "attributes": [{"key": "note", "value": {"stringValue": attr}}], "status": {"code": 2}})
    };
    let line = serde_json::json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": [span("00f067aa0ba902b7", "", name), span("00f067aa0ba902b8", "00f067aa0ba902b7", name)]}]}]});
    let dir = artifacts();
    let dump = dir.join("hostile.jsonl");
    std::fs::write(&dump, format!("{line}\n")).expect("dump");
    let page = dir.join("hostile.html");
    let text = html(&[dump.to_str().expect("utf-8 path")], &[], &page);
    for raw in ["<script>window", "<img src=x", "</script><script>"] {
        assert!(!text.contains(raw), "{raw} reached the page as markup");
    }
    assert!(text.contains(r"\u003cscript\u003ewindow.__pwned=1"), "the name is in the data, escaped");
    if !browser_ready() {
        return;
    }
    open_in_browser(&page, &dir.join("hostile.png"), &["--hostile", name]);
}

/// Without the spans (merged partials), the page lists no waterfall and says why.
#[test]
fn a_merged_report_says_why_it_draws_no_waterfall() {
    let dir = tempfile::tempdir().expect("tmp");
    let part = dir.path().join("all.json");
    let run = tracecheck()
        .args(["check", "sample-traces/checks/S001-orphan-span.jsonl", "--shard", "0/1", "--partial-out"])
        .arg(&part)
        .current_dir(common::root())
        .output()
        .expect("run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let page = dir.path().join("merged.html");
    let run = tracecheck().arg("merge").arg(&part).args(["--format", "html", "-o"]).arg(&page).output().expect("merge");
    assert!(matches!(run.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&page).expect("page");
    assert!(text.contains("the spans were not kept in memory"));
    assert!(text.contains("\"waterfalls\":[]"));
}

/// `diff --format html`: each changed operation with its two distributions, drawn.
#[test]
fn the_diff_page_draws_both_distributions() {
    let dir = artifacts();
    let page = dir.join("diff.html");
    let run = tracecheck()
        .args(["diff", "sample-traces/p2p/healthy.jsonl", "sample-traces/p2p/slow-p99.jsonl", "--min-samples", "10"])
        .args(["--format", "html", "-o"])
        .arg(&page)
        .current_dir(common::root())
        .output()
        .expect("diff");
    assert_eq!(run.status.code(), Some(1), "slow-p99 regresses: {}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&page).expect("page");
    assert!(text.contains("\"dht.put\"") && text.contains("default-src 'none'"));
    if !browser_ready() {
        return;
    }
    let said = open_in_browser(&page, &dir.join("diff.png"), &["--min-waterfalls", "0"]);
    // Two histograms per regressed operation.
    let hists: u64 = said
        .split("\"hists\": ")
        .nth(1)
        .and_then(|t| t.split([',', '}']).next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(hists >= 10, "{said}");
}
