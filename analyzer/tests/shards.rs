//! Shards, partials and merge: `check --shard K/N --partial-out` for every K, then `merge`,
//! gives the report one `check` over all the inputs gives (latency percentiles aside, which
//! come from sketches within their stated bound), with the same exit code; `merge` refuses
//! what would give a wrong report.

mod common;

use assert_cmd::Command;
use common::dumps::{CROSS_PARTITION_PACK, all_dumps, options};
use std::path::{Path, PathBuf};
use tracecheck::analysis::{self, Options};
use tracecheck::checks::Severity;
use tracecheck::input::Inputs;
use tracecheck::partial::{self, Shard};
use tracecheck::report::{Report, VerdictOptions, agrees_within_sketch};
use tracecheck::stream::{self, StreamOptions};

fn report(a: &analysis::Analysis) -> Report {
    Report::new(a, VerdictOptions { fail_on: Severity::Error, allow_empty: false })
}

/// The report of `inputs` made as `n` shards, each written to a file, read back and merged.
fn merged(inputs: &[PathBuf], opts: &Options, n: u32, dir: &Path) -> Report {
    let s = StreamOptions { budget: 1 << 20, temp_dir: dir.to_path_buf(), partitions: None };
    let mut parts = Vec::new();
    for k in 0..n {
        let (mut p, _) = stream::partial(&Inputs::resolve(inputs), opts, &s, Shard { k, n }).expect("shard");
        p.sketch_latency();
        let path = dir.join(format!("part-{k}-of-{n}.json"));
        std::fs::write(&path, serde_json::to_vec(&p).expect("serialise")).expect("write");
        parts.push((path.display().to_string(), partial::read(&path).expect("read back")));
    }
    let merged = partial::combine(parts, opts.max_findings).expect("combine");
    report(&merged.settle(opts))
}

#[test]
fn shards_merge_into_the_single_check_report_on_every_bundled_and_real_dump() {
    let inputs = all_dumps();
    let opts = options();
    let whole = report(&analysis::analyze(&inputs, &opts));
    // What makes the comparison worth something: dump-wide findings whose parts sit in
    // different shards, aggregates over the whole dump, suppressions decided by `where`.
    for code in ["S001", "S007", "A001", "A004", "T005", "ST1", "ST2", "ST4", "MKT014", "I001", "I004"] {
        assert!(whole.findings.iter().any(|f| f.code.as_str() == code), "no {code} finding to compare");
    }
    assert!(whole.suppressions.iter().all(|s| s.suppressed > 0), "{:?}", whole.suppressions);
    let tmp = tempfile::tempdir().expect("tmp");
    for n in [1, 3, 7] {
        let m = merged(&inputs, &opts, n, tmp.path());
        if let Err(e) = agrees_within_sketch(&whole, &m) {
            panic!("{n} shards: {e}");
        }
        assert_eq!(m.digest.spans, whole.digest.spans, "{n} shards");
        assert_eq!(m.verdict, whole.verdict);
    }
}

#[test]
fn a_shard_keeps_only_its_buckets_and_says_which_are_missing() {
    let inputs = all_dumps();
    let opts = options();
    let tmp = tempfile::tempdir().expect("tmp");
    let s = StreamOptions { budget: 1 << 20, temp_dir: tmp.path().to_path_buf(), partitions: None };
    let shard = Shard { k: 2, n: 5 };
    let (p, _) = stream::partial(&Inputs::resolve(&inputs), &opts, &s, shard).expect("shard");
    assert!(!p.buckets.is_empty());
    assert!(p.buckets.iter().all(|b| b.bucket % 5 == 2), "a span outside the shard was kept");
    let a = p.settle(&opts);
    let missing = a.missing_buckets.as_ref().expect("4 shards of 5 are missing");
    assert_eq!(missing.buckets, 65536 - 13107);
    assert_eq!(missing.shards, ["0/5", "1/5", "3/5", "4/5"]);
    let r = report(&a);
    assert_eq!(r.verdict.exit_code, 1, "{}", r.verdict.reason);
    assert!(r.verdict.reason.contains("0/5, 1/5, 3/5, 4/5"), "{}", r.verdict.reason);
}

fn tracecheck() -> Command {
    Command::cargo_bin("tracecheck").expect("binary built")
}

/// Runs `check --shard k/n --partial-out` through the command line, with `extra` arguments.
fn shard_cli_with(inputs: &[PathBuf], pack: &Path, k: u32, n: u32, out: &Path, extra: &[&std::ffi::OsStr]) {
    let run = tracecheck()
        .arg("check")
        .args(extra)
        .args(inputs)
        .args(["--rules", "rules/p2p-marketplace.toml", "--rules"])
        .arg(pack)
        .arg("--shard")
        .arg(format!("{k}/{n}"))
        .arg("--partial-out")
        .arg(out)
        .current_dir(common::root())
        .output()
        .expect("run");
    assert!(run.status.success(), "shard {k}/{n}: {}", String::from_utf8_lossy(&run.stderr));
}

fn shard_cli(inputs: &[PathBuf], pack: &Path, k: u32, n: u32, out: &Path) {
    shard_cli_with(inputs, pack, k, n, out, &[]);
}

#[test]
fn merge_on_the_command_line_gives_check_s_report_and_exit_code_and_refuses_what_does_not_fit() {
    let root = common::root();
    let inputs: Vec<PathBuf> =
        all_dumps().into_iter().map(|p| p.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(p)).collect();
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = tmp.path().join("cross.toml");
    std::fs::write(&pack, CROSS_PARTITION_PACK).expect("pack");
    let whole = tracecheck()
        .arg("check")
        .args(&inputs)
        .args(["--rules", "rules/p2p-marketplace.toml", "--rules"])
        .arg(&pack)
        .args(["--format", "json"])
        .current_dir(&root)
        .output()
        .expect("check");
    let parts: Vec<PathBuf> = (0..3).map(|k| tmp.path().join(format!("p{k}.json"))).collect();
    // Each shard writes its findings, and merge the dump-wide ones: every finding once.
    let found: Vec<PathBuf> = (0..4).map(|k| tmp.path().join(format!("found-{k}.jsonl"))).collect();
    for (k, p) in parts.iter().enumerate() {
        shard_cli_with(&inputs, &pack, k as u32, 3, p, &["--findings-out".as_ref(), found[k].as_os_str()]);
    }
    let merge =
        |files: &[&Path]| tracecheck().arg("merge").args(files).args(["--format", "json"]).output().expect("merge");
    let m = tracecheck()
        .arg("merge")
        .args(&parts)
        .args(["--format", "json", "--findings-out"])
        .arg(&found[3])
        .output()
        .expect("merge");
    assert_eq!(m.status.code(), whole.status.code(), "{}", String::from_utf8_lossy(&m.stderr));
    assert_eq!(whole.status.code(), Some(1), "the dumps hold errors");
    let value = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).expect("json report");
    let (mut w, mut g) = (value(&whole.stdout), value(&m.stdout));
    assert_eq!(g["latency"]["method"], tracecheck::stats::sketch::METHOD);
    w["latency"] = serde_json::Value::Null;
    g["latency"] = serde_json::Value::Null;
    assert_eq!(g, w);
    let lines: usize = found.iter().map(|f| std::fs::read_to_string(f).expect("findings file").lines().count()).sum();
    assert_eq!(Some(lines as u64), w["summary"]["findings"].as_u64(), "findings written by the shards and merge");
    let merge_only = std::fs::read_to_string(&found[3]).expect("merge's findings");
    assert!(merge_only.contains("\"S007\"") && merge_only.contains("\"T005\""), "dump-wide findings come from merge");

    // Refusals, each with exit 2 and the file named.
    let refused = |files: &[&Path], file: &Path, why: &str| {
        let out = merge(files);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&file.display().to_string()) && err.contains(why), "{err}");
    };
    // Overlapping buckets: shard 0/3 and shard 0/7 share bucket 0.
    let other = tmp.path().join("p0-of-7.json");
    shard_cli(&inputs, &pack, 0, 7, &other);
    refused(&[&parts[0], &other], &other, "covers trace buckets that");
    refused(&[&parts[1], &parts[1]], &parts[1], "covers trace buckets that");
    // Another rule pack.
    let plain = tmp.path().join("plain.json");
    let run = tracecheck()
        .arg("check")
        .args(&inputs)
        .args(["--rules", "rules/p2p-marketplace.toml", "--shard", "1/3", "--partial-out"])
        .arg(&plain)
        .current_dir(&root)
        .output()
        .expect("run");
    assert!(run.status.success());
    refused(&[&parts[0], &plain, &parts[2]], &plain, "other rule packs");
    // Truncated, and not a partial at all.
    let bytes = std::fs::read(&parts[2]).expect("read");
    let cut = tmp.path().join("cut.json");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    refused(&[&parts[0], &parts[1], &cut], &cut, "corrupt or truncated");
    let report_file = tmp.path().join("report.json");
    std::fs::write(&report_file, &whole.stdout).expect("write");
    refused(&[&report_file], &report_file, "not a partial result");
    // More listed findings than the partials kept.
    let out = tracecheck().arg("merge").args(&parts).args(["--max-findings", "500"]).output().expect("merge");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("lists at most 100 findings per code"), "{err}");
    // Fewer is fine: the first ones in report order.
    let out = tracecheck()
        .arg("merge")
        .args(&parts)
        .args(["--max-findings", "3", "--format", "json"])
        .output()
        .expect("merge");
    let r = value(&out.stdout);
    assert_eq!(r["summary"]["findings"], w["summary"]["findings"]);
    assert_eq!(r["summary"]["max_findings_per_code"], 3);
}

/// `file` (OTLP JSON lines) split by trace bucket modulo `n` into `n` files, as ClickHouse's
/// `PARTITION BY` or Spark's repartition by bucket would: part `k` holds the traces of shard
/// `k`, each line keeping its resource and scope.
fn split_by_bucket(file: &Path, n: u32, dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(file).expect("dump");
    let mut parts: Vec<String> = vec![String::new(); n as usize];
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let Some(rss) = v["resourceSpans"].as_array() else { continue };
        for (k, part) in parts.iter_mut().enumerate() {
            let mut kept_rs = Vec::new();
            for rs in rss {
                let mut kept_ss = Vec::new();
                for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                    let spans: Vec<&serde_json::Value> = ss["spans"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|s| {
                            let id = s["traceId"].as_str().expect("trace id");
                            u32::from_str_radix(&id[id.len() - 4..], 16).expect("hex") % n == k as u32
                        })
                        .collect();
                    if !spans.is_empty() {
                        let mut ss = ss.clone();
                        ss["spans"] = serde_json::json!(spans);
                        kept_ss.push(ss);
                    }
                }
                if !kept_ss.is_empty() {
                    let mut rs = rs.clone();
                    rs["scopeSpans"] = serde_json::json!(kept_ss);
                    kept_rs.push(rs);
                }
            }
            if !kept_rs.is_empty() {
                part.push_str(&serde_json::json!({ "resourceSpans": kept_rs }).to_string());
                part.push('\n');
            }
        }
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(k, text)| {
            let path = dir.join(format!("split-{k}-of-{n}.jsonl"));
            std::fs::write(&path, text).expect("write");
            path
        })
        .collect()
}

/// What a pre-split run must agree on with one check of the whole dump (the resource
/// records and input counts are those of the parts).
fn span_verdicts(r: &Report) -> serde_json::Value {
    let findings: Vec<String> =
        r.findings.iter().map(|f| format!("{} {:?} {:?} {}", f.code, f.trace_id, f.span_ids, f.message)).collect();
    serde_json::json!({
        "spans": r.counts.spans, "traces": r.counts.traces, "digest": r.digest.spans,
        "verdict": r.verdict, "structure": r.structure, "rules": r.rules, "findings": findings,
        "by_code": r.summary.by_code,
    })
}

/// Inputs split by bucket beforehand: each shard reads only its part (`--presplit`), `merge`
/// adds the parts' inputs up, and the report says what one check of the whole dump says
/// (orphans and a missing root among the findings; rule outcomes; digest), for 1, 3 and 7
/// parts. A part holding another shard's traces, and a mix of pre-split and ordinary
/// partials, are refused.
#[test]
fn presplit_inputs_merge_into_the_whole_dumps_report() {
    let dump = common::root().join("sample-traces/scenario/kill-node.jsonl");
    let mut opts = options();
    opts.max_findings = 1000;
    let whole = report(&analysis::analyze(std::slice::from_ref(&dump), &opts));
    assert!(whole.findings.iter().any(|f| f.code.as_str() == "S001"), "orphans to compare");
    let tmp = tempfile::tempdir().expect("tmp");
    let s = StreamOptions { budget: 1 << 20, temp_dir: tmp.path().to_path_buf(), partitions: None };
    for n in [1, 3, 7] {
        let files = split_by_bucket(&dump, n, tmp.path());
        let mut parts = Vec::new();
        for (k, file) in files.iter().enumerate() {
            let shard = Shard { k: k as u32, n };
            let (mut p, _) =
                stream::presplit_partial(&Inputs::resolve(std::slice::from_ref(file)), &opts, &s, shard).expect("part");
            p.sketch_latency();
            let path = tmp.path().join(format!("presplit-{k}-of-{n}.json"));
            std::fs::write(&path, serde_json::to_vec(&p).expect("serialise")).expect("write");
            parts.push((path.display().to_string(), partial::read(&path).expect("read back")));
        }
        let merged = report(&partial::combine(parts, opts.max_findings).expect("combine").settle(&opts));
        assert_eq!(span_verdicts(&merged), span_verdicts(&whole), "{n} parts");
        assert_eq!(merged.counts.input.spans_read, whole.counts.input.spans_read, "{n} parts: the parts add up");
        assert_eq!(merged.inputs.len(), n as usize);
    }
    // Part 0 of 3 given as shard 1/3: its spans are of another shard.
    let files = split_by_bucket(&dump, 3, tmp.path());
    let err = stream::presplit_partial(&Inputs::resolve(&files[..1]), &opts, &s, Shard { k: 1, n: 3 })
        .expect_err("not its traces");
    assert!(err.to_string().contains("of traces outside shard 1/3: they were not split by trace bucket"), "{err}");
    // A pre-split partial and an ordinary one do not merge.
    let (a, _) =
        stream::presplit_partial(&Inputs::resolve(&files[..1]), &opts, &s, Shard { k: 0, n: 3 }).expect("part");
    let (b, _) =
        stream::partial(&Inputs::resolve(std::slice::from_ref(&dump)), &opts, &s, Shard { k: 1, n: 3 }).expect("shard");
    let err = partial::combine(vec![("a.json".into(), a), ("b.json".into(), b)], opts.max_findings).expect_err("mixed");
    assert!(err.to_string().contains("mixes pre-split inputs with shards that read every input"), "{err}");
}
