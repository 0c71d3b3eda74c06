//! Streaming mode gives the in-memory report, byte for byte.

mod common;

use common::dumps::{all_dumps, json, options, walk};
use std::path::PathBuf;
use std::process::Command;
use tracecheck::analysis;
use tracecheck::stream::{self, StreamOptions};

#[test]
fn streaming_report_is_byte_identical_on_every_bundled_and_real_dump() {
    let inputs = all_dumps();
    assert!(inputs.len() > 40, "{} inputs", inputs.len());
    let opts = options();
    let whole = analysis::analyze(&inputs, &opts);
    let expected = json(&whole);
    // What makes the comparison worth something: findings of the dump-wide checks, of
    // aggregates pointing at spans, and suppressions decided by `where`.
    for code in ["S001", "S007", "A001", "A004", "T005", "ST1", "ST2", "ST4", "MKT014"] {
        assert!(whole.findings.iter().any(|f| f.code.as_str() == code), "no {code} finding to compare");
    }
    assert!(whole.suppressions.iter().all(|s| s.suppressed > 0), "{:?}", whole.suppressions);
    let tmp = tempfile::tempdir().expect("tmp");
    for partitions in [1, 7, 64] {
        let s = StreamOptions { budget: 1 << 20, temp_dir: tmp.path().to_path_buf(), partitions: Some(partitions) };
        let (a, stats) = stream::analyze(&tracecheck::input::Inputs::resolve(&inputs), &opts, &s).expect("stream");
        assert_eq!(stats.partitions, partitions);
        if partitions > 1 {
            assert!(stats.largest_partition < whole.spans, "one partition holds everything");
        }
        let got = json(&a);
        if got != expected {
            let line = got.lines().zip(expected.lines()).position(|(a, b)| a != b).unwrap_or(0);
            panic!(
                "{partitions} partitions: report differs at line {}:\n  stream:    {}\n  in memory: {}",
                line + 1,
                got.lines().nth(line).unwrap_or(""),
                expected.lines().nth(line).unwrap_or("")
            );
        }
        assert_eq!(std::fs::read_dir(tmp.path()).expect("tmp").count(), 0, "temporary files left behind");
    }
}

fn tracecheck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tracecheck")).current_dir(common::root()).args(args).output().expect("run")
}

#[test]
fn a_small_memory_budget_switches_the_cli_to_streaming_with_the_same_report() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().to_str().expect("path");
    let args = ["check", "sample-traces/scenario", "-r", "rules/p2p-marketplace.toml", "--format", "json"];
    let whole = tracecheck(&args);
    let streamed = tracecheck(&[&args[..], &["--max-memory", "64KiB", "--temp-dir", dir]].concat());
    let note = String::from_utf8_lossy(&streamed.stderr);
    assert!(note.contains("streaming mode") && note.contains("partitions"), "{note}");
    assert_eq!(streamed.status.code(), whole.status.code());
    assert_eq!(String::from_utf8_lossy(&streamed.stdout), String::from_utf8_lossy(&whole.stdout));
    assert!(!whole.stdout.is_empty());
    assert_eq!(std::fs::read_dir(tmp.path()).expect("tmp").count(), 0, "temporary files left behind");
    // A budget above the need stays in memory.
    let roomy = tracecheck(&[&args[..], &["--max-memory", "1GiB"]].concat());
    assert!(!String::from_utf8_lossy(&roomy.stderr).contains("streaming"));
    assert_eq!(roomy.stdout, whole.stdout);
}

#[test]
fn an_unusable_temporary_directory_is_a_clear_error() {
    let out = tracecheck(&[
        "check",
        "sample-traces/scenario/healthy.jsonl",
        "--max-memory",
        "1KB",
        "--temp-dir",
        "/nonexistent/tracecheck-tmp",
    ]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/tracecheck-tmp") && err.contains("streaming"), "{err}");
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut e, b).expect("gzip");
    e.finish().expect("gzip")
}

fn zstd(b: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(b, 1).expect("zstd")
}

/// The scenario dumps, concatenated: JSON lines with findings of several kinds.
fn scenario_lines() -> Vec<u8> {
    let dir = common::root().join("sample-traces/scenario");
    let mut out = Vec::new();
    for p in walk(&dir) {
        out.extend(std::fs::read(p).expect("read"));
    }
    out
}

#[test]
fn compressed_inputs_are_inflated_to_disk_with_the_same_report() {
    let text = scenario_lines();
    let tmp = tempfile::tempdir().expect("tmp");
    let (gz, zst) = (gzip(&text), zstd(&text));
    // Streams cut short: what was decompressed before the cut is analysed, and said so.
    let files = [
        ("whole.jsonl.gz", gz.clone()),
        ("whole.jsonl.zst", zst.clone()),
        ("cut.jsonl.gz", gz[..gz.len() * 2 / 3].to_vec()),
        ("cut.jsonl.zst", zst[..zst.len() * 2 / 3].to_vec()),
    ];
    let inputs: Vec<PathBuf> = files
        .iter()
        .map(|(name, bytes)| {
            let p = tmp.path().join(name);
            std::fs::write(&p, bytes).expect("write");
            p
        })
        .collect();
    let opts = options();
    let whole = analysis::analyze(&inputs, &opts);
    let stops = whole.findings.iter().filter(|f| f.message.contains("stream stops after")).count();
    assert_eq!(stops, 2, "one truncation finding per cut stream");
    assert!(whole.spans > 0);
    let spill = tempfile::tempdir().expect("tmp");
    let s = StreamOptions { budget: 1 << 20, temp_dir: spill.path().to_path_buf(), partitions: Some(5) };
    let (a, stats) = stream::analyze(&tracecheck::input::Inputs::resolve(&inputs), &opts, &s).expect("stream");
    assert!(stats.spilled > 0);
    // Decompressed to disk, not in memory: two whole copies of the text and two partial ones.
    assert!(stats.spooled > 2 * text.len() as u64 && stats.spooled < 4 * text.len() as u64, "{stats:?}");
    assert_eq!(json(&a), json(&whole));
    assert_eq!(std::fs::read_dir(spill.path()).expect("tmp").count(), 0, "temporary files left behind");
}

/// Runs the CLI with `stdin` as its standard input.
fn tracecheck_with_stdin(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracecheck"))
        .current_dir(common::root())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&bytes));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer").expect("write stdin");
    out
}

#[test]
fn stdin_with_a_budget_is_spooled_to_disk_and_streamed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().to_str().expect("path");
    let input = gzip(&scenario_lines());
    let args = ["check", "-", "-r", "rules/p2p-marketplace.toml", "--format", "json"];
    let whole = tracecheck_with_stdin(&args, &input);
    assert!(!String::from_utf8_lossy(&whole.stderr).contains("streaming"), "no budget: stdin stays in memory");
    let streamed = tracecheck_with_stdin(&[&args[..], &["--max-memory", "256MiB", "--temp-dir", dir]].concat(), &input);
    let note = String::from_utf8_lossy(&streamed.stderr);
    assert!(note.contains("streaming mode") && note.contains("of input copied or decompressed"), "{note}");
    assert_eq!(streamed.status.code(), whole.status.code());
    assert_eq!(String::from_utf8_lossy(&streamed.stdout), String::from_utf8_lossy(&whole.stdout));
    assert!(String::from_utf8_lossy(&whole.stdout).contains("\"spans\""));
    assert_eq!(std::fs::read_dir(tmp.path()).expect("tmp").count(), 0, "temporary files left behind");
}

#[cfg(unix)]
#[test]
fn an_interrupted_streaming_run_removes_its_temporary_files() {
    use std::io::Write;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().to_str().expect("path");
    // Streaming from stdin that stays open: the run waits in pass 1 with its files created.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracecheck"))
        .args(["check", "-", "--max-memory", "1MiB", "--temp-dir", dir])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&scenario_lines()).expect("write");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let spooled = || {
        std::fs::read_dir(tmp.path())
            .expect("tmp")
            .filter_map(Result::ok)
            .any(|run| std::fs::read_dir(run.path()).is_ok_and(|files| files.count() > 0))
    };
    while !spooled() {
        assert!(std::time::Instant::now() < deadline, "no temporary files appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(kill.success());
    let status = child.wait().expect("wait");
    drop(stdin);
    assert_eq!(status.code(), Some(130), "{status:?}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).expect("tmp").filter_map(Result::ok).map(|e| e.path()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
