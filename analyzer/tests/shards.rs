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
