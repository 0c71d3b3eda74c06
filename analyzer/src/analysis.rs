//! One analysis run: load the inputs, group and build every trace graph in parallel, run
//! the checks, compute latency statistics.

use crate::checks::{self, Config, Finding, HostPairSkew, TraceCx};
use crate::graph::{self, TraceGraph};
use crate::input::{self, LoadOptions, Loaded};
use crate::rules::{RuleResult, RuleSet, SuppressionResult, TracePartial};
use crate::stats::{self, OperationLatency};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

/// Options of a run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub load: LoadOptions,
    pub checks: Config,
    /// Rule packs evaluated besides the built-in checks.
    pub rules: Option<Arc<RuleSet>>,
}

/// Structural totals over all traces.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Structure {
    pub traces: u64,
    pub roots: u64,
    pub orphans: u64,
    pub traces_without_root: u64,
    pub duplicate_span_ids: u64,
    pub cycles: u64,
    pub max_depth: u32,
    pub largest_trace: u64,
}

/// Everything a report is made from.
#[derive(Debug)]
pub struct Analysis {
    pub loaded: Loaded,
    pub structure: Structure,
    /// Sorted by [`Finding::sort_key`].
    pub findings: Vec<Finding>,
    pub latency: Vec<OperationLatency>,
    pub clock_skew: Vec<HostPairSkew>,
    /// One result per rule, in load order.
    pub rules: Vec<RuleResult>,
    pub suppressions: Vec<SuppressionResult>,
    /// The rule packs evaluated.
    pub rule_set: Option<Arc<RuleSet>>,
    /// Canonical sha256 of the analysed spans ([`crate::digest::spans`]).
    pub spans_digest: String,
}

/// Loads and analyses `inputs` as one dump.
pub fn analyze(inputs: &[PathBuf], opts: &Options) -> Analysis {
    analyze_loaded(input::load(inputs, &opts.load), opts)
}

/// Analyses what was loaded.
pub fn analyze_loaded(loaded: Loaded, opts: &Options) -> Analysis {
    let dump = &loaded.dump;
    let traces = graph::group(dump);
    let rule_set = opts.rules.as_deref();
    let syms = rule_set.map(|r| r.bind(dump)).unwrap_or_default();
    // Per-trace check outcomes are kept in trace order; rule results are accumulated as
    // they come (one partial per worker), not stored per trace.
    let (outcomes, partial) = traces
        .ranges
        .par_iter()
        .fold(
            || (Vec::new(), TracePartial::default()),
            |(mut outcomes, mut partial): (Vec<(checks::TraceOutcome, Structure)>, TracePartial), (trace_id, range)| {
                let g = TraceGraph::build(dump, *trace_id, &traces.order[range.clone()]);
                let cx = TraceCx { dump, graph: &g, config: &opts.checks };
                let outcome = checks::check_trace(&cx);
                if let Some(r) = rule_set {
                    r.eval_trace(dump, &syms, &g, &mut partial);
                }
                let s = Structure {
                    traces: 1,
                    roots: g.roots.len() as u64,
                    orphans: g.orphans.len() as u64,
                    traces_without_root: u64::from(g.roots.is_empty()),
                    duplicate_span_ids: g.duplicates.len() as u64,
                    cycles: g.cycles.len() as u64,
                    max_depth: g.max_depth(),
                    largest_trace: g.len() as u64,
                };
                outcomes.push((outcome, s));
                (outcomes, partial)
            },
        )
        .reduce(
            || (Vec::new(), TracePartial::default()),
            |(mut a, mut pa), (b, pb)| {
                a.extend(b);
                pa.merge(pb);
                (a, pa)
            },
        );
    let mut findings: Vec<Finding> = loaded.issues.iter().map(checks::from_input_issue).collect();
    let mut structure = Structure::default();
    let mut orphans = Vec::new();
    let mut samples = Vec::new();
    for (o, s) in outcomes {
        findings.extend(o.findings);
        orphans.extend(o.orphans);
        samples.extend(o.skew_samples);
        structure.traces += s.traces;
        structure.roots += s.roots;
        structure.orphans += s.orphans;
        structure.traces_without_root += s.traces_without_root;
        structure.duplicate_span_ids += s.duplicate_span_ids;
        structure.cycles += s.cycles;
        structure.max_depth = structure.max_depth.max(s.max_depth);
        structure.largest_trace = structure.largest_trace.max(s.largest_trace);
    }
    let dump_outcome = checks::check_dump(dump, &opts.checks, &orphans, samples);
    findings.extend(dump_outcome.findings);
    let (mut rules, mut suppressions) = (Vec::new(), Vec::new());
    if let Some(set) = rule_set {
        let (results, rule_findings) = set.finish(dump, &syms, partial);
        rules = results;
        findings.extend(rule_findings);
        suppressions = set.suppress(dump, &syms, &traces, &mut findings, &mut rules);
    }
    findings.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let latency = stats::latency(dump);
    let spans_digest = crate::digest::spans(dump);
    Analysis {
        spans_digest,
        structure,
        findings,
        latency,
        clock_skew: dump_outcome.clock_skew,
        loaded,
        rules,
        suppressions,
        rule_set: opts.rules.clone(),
    }
}
