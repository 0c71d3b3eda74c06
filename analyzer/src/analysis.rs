//! One analysis run: load the inputs, group and build every trace graph in parallel, run
//! the checks, compute latency statistics.

use crate::checks::{self, Config, DumpAcc, Finding, HostPairSkew, TraceCx};
use crate::graph::{self, Traces};
use crate::input::{self, LoadOptions, Loaded};
use crate::model::{Dump, SpanId, SpanRef, Sym, TraceId};
use crate::rules::{RuleResult, RuleSet, SuppressionResult, TracePartial};
use crate::stats::{LatencyAcc, OperationLatency};
use rayon::prelude::*;
use std::collections::HashMap;
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

pub use crate::graph::Structure;

/// Everything a report is made from.
#[derive(Debug)]
pub struct Analysis {
    /// In streaming mode the dump holds no spans: only files, strings and resources.
    pub loaded: Loaded,
    /// Spans analysed.
    pub spans: u64,
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

/// Loads and analyses `inputs` as one dump, in memory ([`crate::stream`] analyses dumps
/// larger than memory with the same results).
pub fn analyze(inputs: &[PathBuf], opts: &Options) -> Analysis {
    analyze_inputs(&input::Inputs::resolve(inputs), opts)
}

/// As [`analyze`], for inputs already resolved.
pub fn analyze_inputs(inputs: &input::Inputs, opts: &Options) -> Analysis {
    analyze_loaded(input::load_inputs(inputs, &opts.load), opts)
}

/// Analyses what was loaded.
pub fn analyze_loaded(loaded: Loaded, opts: &Options) -> Analysis {
    let dump = &loaded.dump;
    let traces = graph::group(dump);
    let syms = opts.rules.as_deref().map(|r| r.bind(dump)).unwrap_or_default();
    let gathered = gather(dump, &traces, opts, &syms, &crate::digest::resource_digests(dump));
    let traces_of =
        checks::parent_traces(&gathered.dump_acc.orphans, dump.spans.iter().map(|s| (s.span_id, s.trace_id)));
    let span_at = |i: u32| dump.spans.get(i as usize).map(SpanRef::of);
    let where_holds = |_, f: &Finding, i| {
        opts.rules.as_deref().is_some_and(|r| r.suppression_where_holds(dump, &syms, &traces, f, i))
    };
    let mut settled = settle(&loaded, gathered, opts, &syms, &traces_of, &span_at);
    settled.suppress(opts, &where_holds);
    settled.into_analysis(loaded, opts)
}

/// What the per-trace work over a dump, or over one partition of it, gathers.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    findings: Vec<Finding>,
    structure: Structure,
    pub(crate) dump_acc: DumpAcc,
    partial: TracePartial,
    latency: LatencyAcc,
    /// Per-span digests; streaming mode takes them out per partition ([`Gathered::take_digests`]).
    digests: Vec<[u8; 32]>,
    spans: u64,
}

impl Gathered {
    /// Takes the per-span digests out, so a partition's can go to disk.
    pub(crate) fn take_digests(&mut self) -> Vec<[u8; 32]> {
        std::mem::take(&mut self.digests)
    }

    /// Adds a partition's gathering; `global` maps its span indexes to the whole dump's.
    pub(crate) fn merge(&mut self, mut other: Gathered, global: &[u32]) {
        self.findings.append(&mut other.findings);
        self.structure.add(&other.structure);
        self.dump_acc.merge(other.dump_acc);
        other.partial.globalize(global);
        self.partial.merge(other.partial);
        self.latency.merge(other.latency);
        self.digests.append(&mut other.digests);
        self.spans += other.spans;
    }
}

/// Builds every trace graph of `dump` and runs the per-trace checks and rules on it, in
/// parallel; gathers what the dump-wide work needs.
pub(crate) fn gather(
    dump: &Dump,
    traces: &Traces,
    opts: &Options,
    syms: &[Option<Sym>],
    resource_digests: &[[u8; 32]],
) -> Gathered {
    let rule_set = opts.rules.as_deref();
    // Per-trace check outcomes are kept in trace order; rule results are accumulated as
    // they come (one partial per worker), not stored per trace.
    let (outcomes, partial) = traces.fold_graphs(
        dump,
        || (Vec::new(), TracePartial::default()),
        |(mut outcomes, mut partial): (Vec<(checks::TraceOutcome, Structure)>, TracePartial), g| {
            let cx = TraceCx { dump, graph: &g, config: &opts.checks };
            let outcome = checks::check_trace(&cx);
            if let Some(r) = rule_set {
                r.eval_trace(dump, syms, &g, &mut partial);
            }
            outcomes.push((outcome, Structure::of(&g)));
            (outcomes, partial)
        },
        |(mut a, mut pa), (b, pb)| {
            a.extend(b);
            pa.merge(pb);
            (a, pa)
        },
    );
    let mut out = Gathered { partial, spans: dump.spans.len() as u64, ..Gathered::default() };
    for (o, s) in outcomes {
        out.findings.extend(o.findings);
        out.dump_acc.orphans.extend(o.orphans);
        out.dump_acc.samples.extend(o.skew_samples);
        out.structure.add(&s);
    }
    out.dump_acc.add_spans(dump);
    out.latency.add_spans(dump);
    out.digests = crate::digest::span_digests(dump, resource_digests);
    out
}

/// The dump-wide results, before they are joined with what was loaded.
pub(crate) struct Settled {
    structure: Structure,
    /// Not yet suppressed nor sorted until [`Settled::suppress`].
    pub(crate) findings: Vec<Finding>,
    latency: Vec<OperationLatency>,
    clock_skew: Vec<HostPairSkew>,
    rules: Vec<RuleResult>,
    suppressions: Vec<SuppressionResult>,
    /// Streaming mode sets it from the digests it kept on disk.
    pub(crate) spans_digest: String,
    spans: u64,
}

impl Settled {
    /// Applies the suppressions and sorts the findings; `where_holds(k, f, i)` tells whether
    /// suppression `i`'s `where` holds for `f`, which is `self.findings[k]`.
    pub(crate) fn suppress(&mut self, opts: &Options, where_holds: &dyn Fn(usize, &Finding, usize) -> bool) {
        if let Some(set) = opts.rules.as_deref() {
            self.suppressions = set.suppress(&mut self.findings, &mut self.rules, where_holds);
        }
        self.findings.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    pub(crate) fn into_analysis(self, loaded: Loaded, opts: &Options) -> Analysis {
        Analysis {
            loaded,
            spans: self.spans,
            structure: self.structure,
            findings: self.findings,
            latency: self.latency,
            clock_skew: self.clock_skew,
            rules: self.rules,
            suppressions: self.suppressions,
            rule_set: opts.rules.clone(),
            spans_digest: self.spans_digest,
        }
    }
}

/// The dump-wide part of an analysis: input findings, dump-wide checks, rule settlement,
/// latency and the span digest (suppressions follow: [`Settled::suppress`]). The loaded dump
/// holds at least the files, strings and resources; `span_at` names a span by its index in
/// the whole dump.
pub(crate) fn settle(
    loaded: &Loaded,
    mut g: Gathered,
    opts: &Options,
    syms: &[Option<Sym>],
    traces_of: &HashMap<SpanId, Vec<TraceId>>,
    span_at: &dyn Fn(u32) -> Option<SpanRef>,
) -> Settled {
    let dump = &loaded.dump;
    let mut findings: Vec<Finding> = loaded.issues.iter().map(checks::from_input_issue).collect();
    findings.append(&mut g.findings);
    let dump_outcome = checks::check_dump(dump, &opts.checks, g.dump_acc, traces_of);
    findings.extend(dump_outcome.findings);
    let mut rules = Vec::new();
    if let Some(set) = opts.rules.as_deref() {
        let (results, rule_findings) = set.finish(dump, syms, g.partial, span_at);
        rules = results;
        findings.extend(rule_findings);
    }
    Settled {
        structure: g.structure,
        findings,
        latency: g.latency.finish(dump),
        clock_skew: dump_outcome.clock_skew,
        rules,
        suppressions: Vec::new(),
        spans_digest: crate::digest::combine(&mut g.digests),
        spans: g.spans,
    }
}
