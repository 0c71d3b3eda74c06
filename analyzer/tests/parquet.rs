//! Spans as Parquet in the Collector's `otel_traces` layout: `tracecheck export` then
//! reading the file back gives the report reading the dump gave (counts, span findings,
//! rule outcomes, percentiles, digest), on every sample and real dump, on a synthetic dump
//! of services, and files of others (string maps only, other column sets) are read or
//! refused with the reason.

mod common;

use serde_json::Value;
use std::path::Path;
use tracecheck::analysis::analyze_loaded;
use tracecheck::checks::Severity;
use tracecheck::input::{LoadOptions, Loaded, load, load_bytes};
use tracecheck::report::{Report, VerdictOptions};

fn report(loaded: Loaded) -> Report {
    let a = analyze_loaded(loaded, &common::dumps::options());
    Report::new(&a, VerdictOptions { fail_on: Severity::Error, allow_empty: false })
}

fn export(loaded: &Loaded) -> Vec<u8> {
    let mut out = Vec::new();
    tracecheck::export::write_parquet(&loaded.dump, None, &mut out).expect("export");
    out
}

fn reread(name: &str, parquet: &[u8]) -> Loaded {
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, name, parquet, &LoadOptions::default());
    loaded
}

/// Codes about the input records, logs and the Collector's telemetry: what the
/// `otel_traces` layout does not carry (malformed records are not exported at all).
fn about_spans(code: &str) -> bool {
    !code.starts_with(['I', 'L', 'C'])
}

/// What must survive the round trip, as JSON.
fn span_facts(r: &Report) -> Value {
    let v = serde_json::to_value(r).expect("json");
    let findings: Vec<Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| about_spans(f["code"].as_str().unwrap_or("")))
        .map(|f| {
            serde_json::json!([
                f["code"],
                f["severity"],
                f["trace_id"],
                f["span_ids"],
                f["message"],
                f["expected"],
                f["actual"]
            ])
        })
        .collect();
    let by_code: serde_json::Map<String, Value> = v["summary"]["by_code"]
        .as_object()
        .expect("by_code")
        .iter()
        .filter(|(c, _)| about_spans(c))
        .map(|(c, n)| (c.clone(), n.clone()))
        .collect();
    serde_json::json!({
        "spans": v["counts"]["spans"],
        "traces": v["counts"]["traces"],
        "resources": v["counts"]["resources"],
        "digest": v["digest"],
        "structure": v["structure"],
        "latency": v["latency"],
        "clock_skew": v["clock_skew"],
        "rules": v["rules"],
        "by_code": by_code,
        "findings": findings,
    })
}

/// Resources that some span uses (a row per span cannot carry a resource without spans,
/// such as a Jaeger process no span names).
fn used_resources(loaded: &Loaded) -> usize {
    loaded.dump.spans.iter().map(|s| s.resource).collect::<std::collections::BTreeSet<_>>().len()
}

fn round_trip(path: &Path) -> Option<(Value, Value)> {
    let loaded = load(&[path.to_path_buf()], &LoadOptions::default());
    if loaded.dump.spans.is_empty() {
        return None;
    }
    let parquet = export(&loaded);
    assert!(parquet.starts_with(b"PAR1"), "{}", path.display());
    let again = reread("exported.parquet", &parquet);
    assert!(again.issues.iter().all(|i| !i.message.contains("row group")), "{:?}", again.issues);
    let used = used_resources(&loaded);
    assert_eq!(used_resources(&again), again.dump.resources.len(), "every resource read has spans");
    let all_used = used == loaded.dump.resources.len();
    let (mut want, mut got) = (span_facts(&report(loaded)), span_facts(&report(again)));
    if !all_used {
        // Then the export holds exactly the resources with spans.
        assert_eq!(got["resources"], used, "{}", path.display());
        want["resources"] = Value::Null;
        got["resources"] = Value::Null;
    }
    Some((want, got))
}

#[test]
fn every_sample_and_real_dump_survives_the_round_trip() {
    let mut compared = 0;
    for path in common::dumps::all_dumps() {
        if let Some((want, got)) = round_trip(&path) {
            if want != got {
                for key in want.as_object().expect("object").keys() {
                    assert_eq!(want[key], got[key], "{}: {key}", path.display());
                }
            }
            compared += 1;
        }
    }
    assert!(compared >= 60, "only {compared} dumps had spans");
}

/// The spans of `parquet` handed over as Arrow batches of at most `rows` rows (as Spark's
/// `mapInArrow` hands a partition to the Python package's kernel).
fn as_arrow_batches(parquet: &[u8], rows: usize) -> Loaded {
    use tracecheck::input::arrow::ArrowInput;
    let file = tracecheck::input::otel_traces::read::SpanFile::open(parquet).expect("open");
    let mut loaded = Loaded::default();
    let mut input = ArrowInput::new(&mut loaded, "batches");
    for g in 0..file.row_groups() {
        let columns = file.arrays(g).expect("arrays");
        let len = columns[0].1.len();
        for start in (0..len).step_by(rows) {
            let n = rows.min(len - start);
            let slice: Vec<_> = columns.iter().map(|(name, a)| (name.clone(), a.sliced(start, n))).collect();
            input.add(&mut loaded, &slice, 0).expect("a batch in the layout");
        }
    }
    input.finish(&mut loaded);
    loaded
}

/// Finding locations as `row N` (the file's name aside).
fn rows_of(r: &Report) -> Vec<(String, Option<u64>)> {
    r.findings.iter().map(|f| (f.code.to_string(), f.location.as_ref().and_then(|l| l.line))).collect()
}

/// Arrow batches (the Spark kernel's input) are read as the Parquet file they came from:
/// the same report, and findings at the same rows, on every sample and real dump, in
/// batches of 7 rows so that every dump spans several.
#[test]
fn arrow_batches_read_as_the_parquet_file_they_came_from() {
    let mut compared = 0;
    for path in common::dumps::all_dumps() {
        let loaded = load(std::slice::from_ref(&path), &LoadOptions::default());
        if loaded.dump.spans.is_empty() {
            continue;
        }
        let parquet = export(&loaded);
        let (file, batches) = (reread("exported.parquet", &parquet), as_arrow_batches(&parquet, 7));
        assert_eq!(batches.dump.files[0].format, tracecheck::input::Format::Arrow);
        assert_eq!(batches.accounting.spans_read, file.accounting.spans_read, "{}", path.display());
        let (want, got) = (report(file), report(batches));
        let (w, g) = (span_facts(&want), span_facts(&got));
        for key in w.as_object().expect("object").keys() {
            assert_eq!(g[key], w[key], "{}: {key}", path.display());
        }
        assert_eq!(rows_of(&got), rows_of(&want), "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 60, "only {compared} dumps had spans");
    // Another tool's file: string maps only, types inferred, and the input says so.
    let theirs = std::fs::read(common::root().join("sample-traces/parquet/checkout-table-columns-only.parquet"))
        .expect("fixture");
    let batches = as_arrow_batches(&theirs, 5);
    let note = &batches.dump.files[0].notes;
    assert!(note.iter().any(|n| n.contains("attribute types inferred")), "{note:?}");
    assert_eq!(span_facts(&report(batches)), span_facts(&report(reread("theirs.parquet", &theirs))));
}

/// Rows of separate exports mixed in one batch (a Spark partition after the shuffle, a
/// table filled from many files) share resource indices (each export counts from 0): the
/// content tells the resources apart, so every span keeps its own.
#[test]
fn rows_of_several_exports_in_one_batch_keep_their_own_resources() {
    use polars_arrow::compute::concatenate::concatenate;
    use tracecheck::input::arrow::ArrowInput;
    let dumps = ["sample-traces/healthy/checkout.jsonl", "sample-traces/scenario/kill-node.jsonl"]
        .map(|p| common::root().join(p));
    let exports: Vec<Vec<u8>> =
        dumps.iter().map(|d| export(&load(std::slice::from_ref(d), &LoadOptions::default()))).collect();
    let files: Vec<_> =
        exports.iter().map(|e| tracecheck::input::otel_traces::read::SpanFile::open(e).expect("open")).collect();
    let (a, b) = (files[0].arrays(0).expect("arrays"), files[1].arrays(0).expect("arrays"));
    let columns: Vec<_> = a
        .iter()
        .zip(&b)
        .map(|((name, x), (other, y))| {
            assert_eq!(name, other);
            (name.clone(), concatenate(&[x.as_ref(), y.as_ref()]).expect("same types"))
        })
        .collect();
    let mut loaded = Loaded::default();
    let mut input = ArrowInput::new(&mut loaded, "mixed");
    input.add(&mut loaded, &columns, 0).expect("batch");
    input.finish(&mut loaded);
    let want = report(load(&dumps, &LoadOptions::default()));
    let got = report(loaded);
    assert_eq!(got.digest, want.digest, "each span with its own resource");
    assert_eq!(got.counts.resources, want.counts.resources);
}

/// A batch without the layout's columns is an error naming them; nothing of it is read.
#[test]
fn an_arrow_batch_of_another_layout_names_the_missing_columns() {
    use tracecheck::input::arrow::ArrowInput;
    let parquet = std::fs::read(common::root().join("sample-traces/parquet/checkout.parquet")).expect("fixture");
    let file = tracecheck::input::otel_traces::read::SpanFile::open(&parquet).expect("open");
    let columns: Vec<_> = file.arrays(0).expect("arrays").into_iter().filter(|(n, _)| n != "TraceId").collect();
    let mut loaded = Loaded::default();
    let mut input = ArrowInput::new(&mut loaded, "batches");
    let e = input.add(&mut loaded, &columns, 0).expect_err("no TraceId");
    assert!(e.contains("missing TraceId (they have Timestamp, SpanId, ParentSpanId"), "{e}");
    input.finish(&mut loaded);
    assert!(loaded.dump.spans.is_empty());
    assert_eq!(loaded.accounting.records_read, 0);
}

/// A synthetic dump of services (semantic-convention attributes of every type, errors,
/// events, anomalies) of about 200 k spans: the same report through Parquet, and more than
/// one row group.
#[test]
fn a_large_dump_of_services_survives_the_round_trip() {
    let dir = tempfile::tempdir().expect("tmp");
    let dump = dir.path().join("services.jsonl");
    // Built beside this test's binary by `cargo test --workspace`.
    let emit = Path::new(env!("CARGO_BIN_EXE_tracecheck")).with_file_name("tracecheck-emit");
    if !emit.exists() {
        common::cannot_run("tracecheck-emit is not built (cargo test --workspace builds it)");
        return;
    }
    let run = std::process::Command::new(&emit)
        .args(["synth", "--shape", "services", "--spans", "200000", "--anomalies", "0.02", "--seed", "7", "--out"])
        .arg(&dump)
        .output()
        .expect("synth");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (want, got) = round_trip(&dump).expect("spans");
    assert!(want["spans"].as_u64().is_some_and(|n| n >= 200_000), "{}", want["spans"]);
    assert!(!want["findings"].as_array().expect("findings").is_empty(), "anomalies give findings");
    for key in want.as_object().expect("object").keys() {
        assert_eq!(want[key], got[key], "{key}");
    }
    let loaded = load(&[dump], &LoadOptions::default());
    let parquet = export(&loaded);
    let meta = tracecheck::input::otel_traces::read::SpanFile::open(&parquet).expect("open");
    assert!(meta.row_groups() >= 3, "{} row groups", meta.row_groups());
}

/// What a file of another tool loses: exact start times below the microsecond, attribute
/// types (inferred back from the text), scope attributes, drop counters. What it keeps is
/// read: the same spans, traces, structure, names, kinds and statuses, and typed attributes
/// where the text says the type.
#[test]
fn a_file_with_only_the_tables_columns_is_read_with_inferred_types() {
    // `checkout.jsonl` as another tool writes the table (sample-traces/make_parquet_fixtures.sh):
    // its columns only, string maps, nanosecond `Timestamp` one nanosecond after each start,
    // unsigned `Duration`, `SPAN_KIND_*` and `STATUS_CODE_*`.
    let theirs = common::root().join("sample-traces/parquet/checkout-table-columns-only.parquet");
    let loaded = load(&[common::root().join("sample-traces/healthy/checkout.jsonl")], &LoadOptions::default());
    let again = load(std::slice::from_ref(&theirs), &LoadOptions::default());
    assert!(again.issues.is_empty(), "{:?}", again.issues);
    let note = &again.dump.files[0].notes;
    assert!(note.iter().any(|n| n.contains("attribute types inferred")), "{note:?}");
    let want = report(loaded);
    let got = report(again);
    assert_eq!(got.counts.spans, want.counts.spans);
    assert_eq!(got.counts.traces, want.counts.traces);
    assert_eq!(got.structure, want.structure);
    let latency = |r: &Report| serde_json::to_value(&r.latency).expect("json");
    assert_eq!(latency(&got), latency(&want), "the nanosecond added to every start moves no duration");
    // An integer attribute written as text is an integer again (the `show` of a span).
    let loaded = load(&[theirs], &LoadOptions::default());
    let d = &loaded.dump;
    let status = d
        .spans
        .iter()
        .flat_map(|s| d.span_attrs(s))
        .find(|a| d.str(a.key) == "http.response.status_code")
        .map(|a| a.value());
    assert!(matches!(status, Some(tracecheck::model::Value::Int(_))), "{status:?}");
    assert!(d.spans.iter().any(|s| s.kind == tracecheck::model::SpanKind::Server));
    assert!(d.spans.iter().all(|s| s.start % 1000 == 1), "the nanoseconds of Timestamp are read");
}

/// A Parquet file of something else is refused, naming the columns it lacks; the other
/// inputs are still read.
#[test]
fn a_parquet_file_of_another_layout_names_the_missing_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    let stats = dir.path().join("stats.parquet");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tracecheck"))
        .args(["--no-config", "stats", "--format", "parquet", "-o"])
        .arg(&stats)
        .arg(common::root().join("sample-traces/healthy/checkout.jsonl"))
        .output()
        .expect("stats");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (code, r, stderr) = common::json_report(&[
        "check",
        stats.to_str().expect("utf-8"),
        common::root().join("sample-traces/healthy/checkout.jsonl").to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(1), "an input that cannot be read fails the run: {stderr}");
    assert_eq!(r["counts"]["spans"], 21, "the other input is read");
    let message = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "I003")
        .map(|f| f["message"].as_str().unwrap_or("").to_owned())
        .expect("an I003 finding");
    assert!(
        message.contains("without the columns of the otel_traces layout: missing Timestamp, TraceId, SpanId, ParentSpanId, SpanName, Duration"),
        "{message}"
    );
}

/// `tracecheck export` from the command line: the file, what it could not export, and the
/// selector; `check` of the file gives the dump's verdict.
#[test]
fn export_on_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("spans.parquet");
    let dump = common::root().join("sample-traces/logs/spans-and-logs.jsonl");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tracecheck"))
        .args(["--no-config", "export", "-o"])
        .arg(&out)
        .arg(&dump)
        .output()
        .expect("export");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("wrote 21 span(s) to"), "{stderr}");
    assert!(stderr.contains("not exported: 11 log record(s)"), "{stderr}");
    let (code, r, _) = common::json_report(&["check", out.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0));
    assert_eq!(r["counts"]["spans"], 21);
    assert_eq!(r["inputs"][0]["format"], "parquet");
    assert_eq!(r["inputs"][0]["dialects"][0], "otel-traces");
    // Streaming mode and shards read the file as memory mode does.
    let path = out.to_str().expect("utf-8");
    let (_, streamed, _) = common::json_report(&["check", path, "--max-memory", "1KB"]);
    assert_eq!(streamed["digest"], r["digest"]);
    assert_eq!(streamed["counts"], r["counts"]);
    let parts = common::shard_partials(path, 3, dir.path());
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let (_, merged, _) = common::json_report(&[&["merge"][..], &parts].concat());
    assert_eq!(merged["digest"], r["digest"]);
    assert_eq!(merged["counts"]["spans"], 21);
    // Only the spans a selector matches.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tracecheck"))
        .args(["--no-config", "export", "--where", "{ kind = server }", "-o"])
        .arg(&out)
        .arg(&dump)
        .output()
        .expect("export");
    assert!(run.status.success());
    let loaded = load(std::slice::from_ref(&out), &LoadOptions::default());
    assert!(!loaded.dump.spans.is_empty());
    assert!(loaded.dump.spans.iter().all(|s| s.kind == tracecheck::model::SpanKind::Server));
    // An output that cannot be written: exit 4, the path named, nothing left behind.
    let bad = dir.path().join("no/such/dir/x.parquet");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tracecheck"))
        .args(["--no-config", "export", "-o"])
        .arg(&bad)
        .arg(&dump)
        .output()
        .expect("export");
    assert_eq!(run.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&run.stderr).contains("no/such/dir/x.parquet"));
}

/// Damaged files (bytes changed in the pages or the footer) never panic: a row group that
/// cannot be read is named with its rows, every row counted as skipped, and the accounting
/// holds; the rest is read.
#[test]
fn damaged_parquet_is_an_input_error_not_a_panic() {
    let good = common::read("sample-traces/parquet/checkout.parquet");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut refused = 0;
    for round in 0..120 {
        let mut bad = good.clone();
        for _ in 0..1 + next() % 5 {
            let at = 4 + (next() as usize) % (bad.len() - 8);
            bad[at] = next() as u8;
        }
        let mut loaded = Loaded::default();
        load_bytes(&mut loaded, "damaged.parquet", &bad, &LoadOptions::default());
        let c = &loaded.accounting;
        assert_eq!(c.records_read, c.records_decoded + c.records_skipped + c.records_other_signal, "round {round}");
        assert_eq!(c.spans_read, loaded.dump.spans.len() as u64 + c.spans_dropped, "round {round}");
        refused += usize::from(!loaded.issues.is_empty());
    }
    assert!(refused > 20, "damage is noticed: {refused} of 120");
}

/// The README's ClickHouse recipe, run in chdb (ClickHouse in-process, from PyPI): spans
/// written to one file per bucket partition with the documented bucket expression, each
/// checked as a pre-split shard, merged: the report of one check over all the spans.
#[test]
fn clickhouse_partitions_by_bucket_into_presplit_shards() {
    const RECIPE: &str = r#"
import sys, chdb
src, out = sys.argv[1], sys.argv[2]
bucket = "reinterpretAsUInt16(reverse(unhex(right(TraceId, 4))))"
chdb.query(f"INSERT INTO FUNCTION file('{out}/part-{{_partition_id}}.parquet', Parquet) "
           f"PARTITION BY {bucket} % 3 SELECT * FROM file('{src}', Parquet)")
"#;
    let dir = tempfile::tempdir().expect("tmp");
    let spans = dir.path().join("spans.parquet");
    let dump = common::root().join("sample-traces/scenario/kill-node.jsonl");
    let loaded = load(&[dump], &LoadOptions::default());
    std::fs::write(&spans, export(&loaded)).expect("write");
    let run = std::process::Command::new("python3").arg("-c").arg(RECIPE).arg(&spans).arg(dir.path()).output();
    match run {
        Ok(o) if o.status.success() => {}
        Ok(o) if String::from_utf8_lossy(&o.stderr).contains("No module named 'chdb'") => {
            common::cannot_run("chdb is not installed (pip install chdb): the ClickHouse recipe is untested");
            return;
        }
        Ok(o) => panic!("chdb: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            common::cannot_run(&format!("python3 cannot run: {e}"));
            return;
        }
    }
    let mut partials = Vec::new();
    for k in 0..3 {
        let part = dir.path().join(format!("part-{k}.parquet"));
        let partial = dir.path().join(format!("p{k}.json"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracecheck"))
            .args(["--no-config", "check", "--rules"])
            .arg(common::root().join("rules/p2p-marketplace.toml"))
            .arg(&part)
            .args(["--shard", &format!("{k}/3"), "--presplit", "--partial-out"])
            .arg(&partial)
            .output()
            .expect("check");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        partials.push(partial.display().to_string());
    }
    let args: Vec<&str> = ["merge"].into_iter().chain(partials.iter().map(String::as_str)).collect();
    let (code, merged, _) = common::json_report(&args);
    let pack = common::root().join("rules/p2p-marketplace.toml").display().to_string();
    let (whole_code, whole, _) = common::json_report(&["check", "--rules", &pack, spans.to_str().expect("utf-8")]);
    assert_eq!(code, whole_code);
    assert_eq!(merged["digest"], whole["digest"]);
    assert_eq!(merged["counts"]["spans"], whole["counts"]["spans"]);
    assert_eq!(merged["summary"]["by_code"], whole["summary"]["by_code"]);
    assert_eq!(merged["rules"], whole["rules"]);
}
