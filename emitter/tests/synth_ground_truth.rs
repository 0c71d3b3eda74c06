//! The analyzer finds exactly the anomalies `synth` injected, and nothing else.

use std::collections::BTreeMap;
use tracecheck::analysis::{Options, analyze_loaded};
use tracecheck::input::{LoadOptions, Loaded, load_bytes};
use tracecheck_emitter::synth::{Config, Shape, write};

/// Every shape: the analyzer finds exactly the injected anomalies, counted (not only
/// listed), and nothing else.
#[test]
fn analyzer_finds_exactly_the_injected_anomalies() {
    for shape in [Shape::P2p, Shape::Services] {
        let cfg = Config { spans: 30_000, seed: 42, anomaly_rate: 0.15, nodes: 4, shape };
        let mut dump = Vec::new();
        let truth = write(&cfg, &mut dump).expect("write");
        let mut loaded = Loaded::default();
        load_bytes(&mut loaded, "synth.jsonl", &dump, &LoadOptions::default());
        let a = analyze_loaded(loaded, &Options { max_findings: 3, ..Options::default() });
        assert_eq!(a.spans, truth.spans, "{shape:?}");
        assert_eq!(a.structure.traces, truth.traces, "{shape:?}");
        let found: BTreeMap<&str, u64> =
            a.finding_counts.by_code.iter().map(|(code, n)| (code.as_str(), n.count)).collect();
        let want: BTreeMap<&str, u64> = truth.anomalies.iter().map(|(k, n)| (k.code(), *n)).collect();
        assert!(want.len() == 5 && want.values().all(|&n| n > 10), "every kind injected: {want:?}");
        assert_eq!(found, want, "{shape:?}");
        assert_eq!(a.findings.len(), 15, "three listed per code");
    }
}

/// The services shape looks like SDK output: about 1 KB a span, 18 resource attributes,
/// HTTP, gRPC and database spans over six services; the P2P pack fails on it.
#[test]
fn the_services_shape_is_shaped_like_sdk_output() {
    use std::sync::Arc;
    use tracecheck::rules::{RuleOutcome, RuleSet};
    let cfg = Config { spans: 20_000, seed: 9, anomaly_rate: 0.0, nodes: 4, shape: Shape::Services };
    let mut dump = Vec::new();
    let truth = write(&cfg, &mut dump).expect("write");
    let per_span = truth.bytes / truth.spans;
    assert!((700..1400).contains(&per_span), "{per_span} bytes a span");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root").to_path_buf();
    let rules = RuleSet::load(&[root.join("rules/p2p-marketplace.toml")]).expect("pack");
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, "synth.jsonl", &dump, &LoadOptions::default());
    let a = tracecheck::analysis::analyze_ref(&loaded, &Options { rules: Some(Arc::new(rules)), ..Options::default() });
    let dump = &loaded.dump;
    let distinct: std::collections::BTreeSet<[u8; 32]> =
        tracecheck::digest::resource_digests(dump).into_iter().collect();
    assert_eq!(distinct.len(), 6, "six services");
    assert!(dump.resources.iter().all(|r| r.attrs.range().len() == 18));
    let names: std::collections::BTreeSet<&str> = dump.spans.iter().map(|s| dump.str(s.name)).collect();
    for n in ["POST /api/checkout", "oteldemo.PaymentService/Charge", "SELECT shop.products", "HGETALL"] {
        assert!(names.contains(n), "{n} in {names:?}");
    }
    let builtin = a.finding_counts.by_code.keys().filter(|c| matches!(c, tracecheck::checks::CheckId::Builtin(_)));
    assert_eq!(builtin.count(), 0, "no built-in finding on a healthy dump: {:?}", a.finding_counts.by_code);
    let failed: u64 = a.rules.iter().filter(|r| r.outcome == RuleOutcome::Fail).map(|r| r.findings).sum();
    assert!(failed > truth.spans / 2, "the P2P pack fails on most spans: {failed}");
}

#[test]
fn healthy_synth_dump_has_no_findings() {
    let cfg = Config { spans: 10_000, seed: 3, anomaly_rate: 0.0, nodes: 3, shape: Shape::P2p };
    let mut dump = Vec::new();
    write(&cfg, &mut dump).expect("write");
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, "synth.jsonl", &dump, &LoadOptions { chunk_bytes: 100_000, ..LoadOptions::default() });
    let a = analyze_loaded(loaded, &Options::default());
    assert!(a.findings.is_empty(), "{:?}", &a.findings[..a.findings.len().min(5)]);
}

#[test]
fn healthy_synth_dump_passes_the_p2p_pack() {
    use std::sync::Arc;
    use tracecheck::checks::Severity;
    use tracecheck::report::{Outcome, Report, VerdictOptions};
    use tracecheck::rules::{RuleOutcome, RuleSet};
    let cfg = Config { spans: 20_000, seed: 11, anomaly_rate: 0.0, nodes: 4, shape: Shape::P2p };
    let mut dump = Vec::new();
    write(&cfg, &mut dump).expect("write");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root").to_path_buf();
    let rules = RuleSet::load(&[root.join("rules/p2p-marketplace.toml")]).expect("pack");
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, "synth.jsonl", &dump, &LoadOptions::default());
    let a = analyze_loaded(loaded, &Options { rules: Some(Arc::new(rules)), ..Options::default() });
    let r = Report::new(&a, VerdictOptions { fail_on: Severity::Error, allow_empty: false });
    let not_passing: Vec<(&str, RuleOutcome)> =
        r.rules.iter().filter(|x| x.outcome != RuleOutcome::Pass).map(|x| (&*x.id, x.outcome)).collect();
    assert!(not_passing.is_empty(), "{not_passing:?}");
    assert_eq!(r.verdict.outcome, Outcome::Pass);
}

#[test]
fn streaming_mode_reports_a_synth_dump_byte_for_byte_as_in_memory() {
    use std::sync::Arc;
    use tracecheck::checks::Severity;
    use tracecheck::report::{Report, VerdictOptions, json};
    use tracecheck::rules::RuleSet;
    use tracecheck::stream::{StreamOptions, analyze};
    let cfg = Config { spans: 20_000, seed: 5, anomaly_rate: 0.1, nodes: 4, shape: Shape::P2p };
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("synth.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    write(&cfg, &mut out).expect("write");
    drop(out);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root").to_path_buf();
    let rules = RuleSet::load(&[root.join("rules/p2p-marketplace.toml")]).expect("pack");
    let opts = Options { rules: Some(Arc::new(rules)), ..Options::default() };
    let report = |a: &tracecheck::analysis::Analysis| {
        let mut buf = Vec::new();
        json::write(&Report::new(a, VerdictOptions { fail_on: Severity::Error, allow_empty: false }), &mut buf)
            .expect("json");
        buf
    };
    let whole = tracecheck::analysis::analyze(std::slice::from_ref(&path), &opts);
    assert!(whole.finding_counts.total() > 100, "anomalies give findings");
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).expect("spill dir");
    let s = StreamOptions { budget: 1 << 20, temp_dir: spill, partitions: Some(5) };
    let (streamed, stats) = analyze(&tracecheck::input::Inputs::resolve(&[path]), &opts, &s).expect("stream");
    assert_eq!(stats.partitions, 5);
    assert!(stats.largest_partition < 10_000, "partitions too uneven: {stats:?}");
    assert!(report(&streamed) == report(&whole), "streaming and in-memory reports differ");
}

/// Shards of a synth dump with anomalies, each written as a partial and merged, give the
/// single run's report (percentiles within the sketch's bound), on both shapes.
#[test]
fn shards_of_a_synth_dump_merge_into_its_report() {
    use std::sync::Arc;
    use tracecheck::checks::Severity;
    use tracecheck::partial::{self, Shard};
    use tracecheck::report::{Report, VerdictOptions, agrees_within_sketch};
    use tracecheck::rules::RuleSet;
    use tracecheck::stream::{StreamOptions, partial};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root").to_path_buf();
    let dir = tempfile::tempdir().expect("tmp");
    for (shape, pack) in [(Shape::Services, "rules/otel-basics.toml"), (Shape::P2p, "rules/p2p-marketplace.toml")] {
        let cfg = Config { spans: 20_000, seed: 17, anomaly_rate: 0.1, nodes: 4, shape };
        let path = dir.path().join("synth.jsonl");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        write(&cfg, &mut out).expect("write");
        drop(out);
        let rules = RuleSet::load(&[root.join(pack)]).expect("pack");
        let opts = Options { rules: Some(Arc::new(rules)), ..Options::default() };
        let verdict = VerdictOptions { fail_on: Severity::Error, allow_empty: false };
        let whole = Report::new(&tracecheck::analysis::analyze(std::slice::from_ref(&path), &opts), verdict);
        assert!(whole.summary.findings > 100, "anomalies give findings");
        let s = StreamOptions { budget: 1 << 20, temp_dir: dir.path().to_path_buf(), partitions: None };
        let inputs = tracecheck::input::Inputs::resolve(std::slice::from_ref(&path));
        for n in [3, 7] {
            let mut parts = Vec::new();
            for k in 0..n {
                let (mut p, _) = partial(&inputs, &opts, &s, Shard { k, n }).expect("shard");
                p.sketch_latency();
                let file = dir.path().join(format!("{k}.json"));
                std::fs::write(&file, serde_json::to_vec(&p).expect("json")).expect("write");
                parts.push((file.display().to_string(), partial::read(&file).expect("read")));
            }
            let merged = partial::combine(parts, opts.max_findings).expect("combine").settle(&opts);
            if let Err(e) = agrees_within_sketch(&whole, &Report::new(&merged, verdict)) {
                panic!("{shape:?}, {n} shards: {e}");
            }
        }
    }
}
