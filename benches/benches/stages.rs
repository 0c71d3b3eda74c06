//! One criterion bench per stage of `tracecheck check`, on a 20k-span synth dump held in
//! memory: decoding (JSON lines, protobuf frames), grouping by trace, building the trace
//! graphs, the built-in checks and the p2p rule pack on those graphs, percentiles and the span
//! digest. `RAYON_NUM_THREADS=1` gives one thread; figures are in benches/README.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use tracecheck::checks::{self, TraceCx};
use tracecheck::graph::{self, TraceGraph};
use tracecheck::rules::{RuleSet, TracePartial};
use tracecheck_benches::{load, proto_frames, synth_json};

const SPANS: u64 = 20_000;

fn stages(c: &mut Criterion) {
    let json = synth_json(SPANS);
    let loaded = load("synth.jsonl", &json);
    let proto = proto_frames(&loaded);
    let dump = &loaded.dump;
    let traces = graph::group(dump);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf();
    let rules = Arc::new(RuleSet::load(&[root.join("rules/p2p-marketplace.toml")]).expect("pack"));
    let syms = rules.bind(dump);
    let config = checks::Config::default();

    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("json_lines", |b| b.iter(|| load("synth.jsonl", black_box(&json))));
    g.throughput(Throughput::Bytes(proto.len() as u64));
    g.bench_function("proto_frames", |b| b.iter(|| load("synth.pb", black_box(&proto))));
    g.finish();

    let mut g = c.benchmark_group("analyse");
    g.throughput(Throughput::Elements(dump.spans.len() as u64));
    g.bench_function("group_by_trace", |b| b.iter(|| graph::group(black_box(dump))));
    let build = || -> Vec<TraceGraph> {
        traces.ranges.iter().map(|(id, range)| TraceGraph::build(dump, *id, &traces.order[range.clone()])).collect()
    };
    g.bench_function("build_graphs", |b| b.iter(build));
    let graphs = build();
    g.bench_function("builtin_checks", |b| {
        b.iter(|| {
            graphs
                .iter()
                .map(|tg| checks::check_trace(&TraceCx { dump, graph: tg, config: &config }).findings.len())
                .sum::<usize>()
        })
    });
    g.bench_function("p2p_rules", |b| {
        b.iter(|| {
            let mut partial = TracePartial::default();
            for tg in &graphs {
                rules.eval_trace(dump, &syms, tg, &mut partial, &|_| true);
            }
            let found = std::mem::take(&mut partial.findings).len();
            found + rules.finish(partial.totals(dump)).0.len()
        })
    });
    g.bench_function("percentiles", |b| b.iter(|| tracecheck::stats::latency(black_box(dump))));
    g.bench_function("span_digest", |b| b.iter(|| tracecheck::digest::spans(black_box(dump))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = stages
}
criterion_main!(benches);
