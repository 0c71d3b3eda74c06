//! Hostile input stays bounded: a record larger than the limit is a located I007 finding and
//! is skipped unparsed; the records around it are analysed and everything is accounted for.

mod common;

use tracecheck::analysis::{Options, analyze_loaded};
use tracecheck::input::{LoadOptions, Loaded, load_bytes};

#[test]
fn an_oversized_record_is_reported_where_it_is_and_the_rest_is_analysed() {
    let healthy = String::from_utf8(common::read("sample-traces/scenario/healthy.jsonl")).expect("utf-8");
    let lines: Vec<&str> = healthy.lines().collect();
    // The largest line of the run goes over a limit set just below its size.
    let (big, _) = lines.iter().enumerate().max_by_key(|(_, l)| l.len()).expect("lines");
    let limit = lines[big].len() - 1;
    assert!(lines.iter().filter(|l| l.len() > limit).count() == 1, "exactly one line over the limit");
    let big_spans = lines[big].matches("\"spanId\"").count();
    let all_spans = healthy.matches("\"spanId\"").count();
    // Chunks of 64 bytes cut through the big line (it is found while chunking and never read
    // again); one chunk of 10 MB holds it whole (the parser reports it): same result.
    for chunk_bytes in [64, 1_000, 50_000, 10_000_000] {
        let mut loaded = Loaded::default();
        let opts = LoadOptions { max_record_bytes: limit, chunk_bytes, ..LoadOptions::default() };
        load_bytes(&mut loaded, "run.jsonl", healthy.as_bytes(), &opts);
        let acc = loaded.accounting.clone();
        assert_eq!(acc.records_read, lines.len() as u64);
        assert_eq!(acc.records_decoded + 1, acc.records_read);
        let a = analyze_loaded(loaded, &Options::default());
        let too_large: Vec<_> = a.findings.iter().filter(|f| f.code.as_str() == "I007").collect();
        assert_eq!(too_large.len(), 1);
        let loc = too_large[0].loc.expect("located");
        assert_eq!(loc.line, big as u64 + 1, "the line of the big record");
        let offset: usize = lines[..big].iter().map(|l| l.len() + 1).sum();
        assert_eq!(loc.offset, offset as u64);
        assert!(too_large[0].message.contains(&format!("larger than the limit of {limit} bytes")));
        // The big line's spans are missing; the others are there.
        assert_eq!(a.spans as usize, all_spans - big_spans);
    }

    // With the default limit (1 GiB) the same input loses nothing.
    let whole = common::report_of(&[("run.jsonl", healthy.as_bytes())]);
    assert_eq!(whole.counts.spans as usize, all_spans);
    assert!(whole.findings.iter().all(|f| f.code.as_str() != "I007"));
}

#[test]
fn the_cli_takes_a_size_for_the_limit() {
    let out = assert_cmd::Command::cargo_bin("tracecheck")
        .expect("binary")
        .current_dir(common::root())
        .args(["check", "sample-traces/scenario/healthy.jsonl", "--max-record-size", "1KiB", "--format", "json"])
        .output()
        .expect("runs");
    // Every record is over 1 KiB: nothing decodes, so the input is unusable (exit 3).
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["counts"]["skipped_by_reason"]["too-large"], v["counts"]["records_read"]);
    let bad = assert_cmd::Command::cargo_bin("tracecheck")
        .expect("binary")
        .current_dir(common::root())
        .args(["check", "sample-traces/scenario/healthy.jsonl", "--max-record-size", "lots"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
}
