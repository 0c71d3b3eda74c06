//! What a CI user meets first: thread counts that are refused with a reason, a byte-order
//! mark that costs nothing, and JSON errors said in words.

mod common;

use assert_cmd::Command;

fn tracecheck(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(args)
        .current_dir(common::root())
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn absurd_thread_counts_are_refused_with_the_limit() {
    let (code, out, err) = tracecheck(&["-j", "100000", "check", "sample-traces/healthy/checkout.jsonl"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(err.starts_with("tracecheck: -j 100000: at most ") && err.contains(" per core"), "{err}");
    let (code, _, err) = tracecheck(&["-j", "2", "check", "sample-traces/healthy/checkout.jsonl"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_byte_order_mark_loses_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let plain = common::read("sample-traces/healthy/checkout.jsonl");
    let with_bom = tmp.path().join("bom.jsonl");
    std::fs::write(&with_bom, [b"\xEF\xBB\xBF".as_slice(), &plain].concat()).expect("write");
    let a = common::report_of(&[("plain.jsonl", &plain)]);
    let b = common::report_of(&[("bom.jsonl", &std::fs::read(&with_bom).expect("read"))]);
    assert!(b.findings.iter().all(|f| f.code.as_str() != "I001"), "{:?}", b.findings);
    assert_eq!((b.counts.spans, b.counts.input.records_decoded), (a.counts.spans, a.counts.input.records_decoded));
    assert_eq!(b.digest.spans, a.digest.spans);
}

#[test]
fn json_errors_are_said_in_words_with_their_place() {
    let lines = [
        r#"{"resourceSpans":[{"scopeSpans":[]}],}"#,
        r#"{"resourceSpans": [ "#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a" "kind":1}]}]}]}"#,
        r#"{"resourceSpans":[1,,2]}"#,
    ];
    let text = lines.join("\n") + "\n";
    let r = common::report_of(&[("bad.jsonl", text.as_bytes())]);
    let mut messages: Vec<(String, &str)> = r
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "I001")
        .map(|f| (f.source.clone().unwrap_or_default(), f.message.as_str()))
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            ("bad.jsonl:1".to_string(), "invalid JSON at column 38: key must be a string"),
            ("bad.jsonl:2".to_string(), "invalid JSON at column 20: EOF while parsing a list"),
            ("bad.jsonl:3".to_string(), "invalid JSON at column 56: expected `,` or `}`"),
            ("bad.jsonl:4".to_string(), "invalid JSON at column 21: expected value"),
        ],
    );
    // A record spread over lines (a JSON document) is located inside the record.
    let r = common::report_of(&[("doc.json", b"{\"resourceSpans\":\n  [1,,2]\n}\n")]);
    let m: Vec<&str> = r.findings.iter().filter(|f| f.code.as_str() == "I001").map(|f| f.message.as_str()).collect();
    assert_eq!(m, ["invalid JSON at line +1, column 6 of the record: expected value"]);
}
