//! One analysis run: load the inputs, group and build every trace graph in parallel, run
//! the checks, compute latency statistics.

use crate::checks::{self, Config, DumpAcc, Finding, HostPairSkew, TraceCx};
use crate::finding::{Collected, DEFAULT_MAX_FINDINGS, FindingCounts, FindingsOut};
use crate::graph::{self, TraceGraph, Traces};
use crate::input::{self, LoadOptions, Loaded};
use crate::model::{Dump, Span, SpanId, SpanRef, Sym, TraceId};
use crate::rules::{RuleResult, RuleSet, SuppressionResult, TracePartial};
use crate::stats::{LatencyAcc, OperationLatency};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Options of a run.
#[derive(Clone, Debug)]
pub struct Options {
    pub load: LoadOptions,
    pub checks: Config,
    /// Rule packs evaluated besides the built-in checks.
    pub rules: Option<Arc<RuleSet>>,
    /// Findings listed per check code or rule (all are counted).
    pub max_findings: usize,
    /// Where every reported finding is written as it is found (`--findings-out`).
    pub findings_out: Option<Arc<FindingsOut>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            load: LoadOptions::default(),
            checks: Config::default(),
            rules: None,
            max_findings: DEFAULT_MAX_FINDINGS,
            findings_out: None,
        }
    }
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
    /// The listed findings (at most [`Options::max_findings`] per code or rule), sorted by
    /// [`Finding::sort_key`].
    pub findings: Vec<Finding>,
    /// Exact counts of every reported finding.
    pub finding_counts: FindingCounts,
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
    settled.suppress(dump, opts, &where_holds);
    settled.into_analysis(loaded, opts)
}

/// Where each finding goes once found: suppressions first, then the exact counts and the
/// listed examples, and `--findings-out`.
#[derive(Clone, Copy)]
pub(crate) struct Funnel<'a> {
    rules: Option<&'a RuleSet>,
    out: Option<&'a FindingsOut>,
}

impl<'a> Funnel<'a> {
    pub(crate) fn of(opts: &'a Options) -> Funnel<'a> {
        Funnel { rules: opts.rules.as_deref(), out: opts.findings_out.as_deref() }
    }

    /// Whether every finding is written out (so every one needs its text).
    pub(crate) fn writes_all(self) -> bool {
        self.out.is_some()
    }

    /// Takes `findings` about spans of `dump`; `where_holds(k, f, i)` tells whether the
    /// `where` of suppression `i` holds for `f`, which is `findings[k]`.
    pub(crate) fn take(
        self,
        dump: &Dump,
        mut findings: Vec<Finding>,
        where_holds: &dyn Fn(usize, &Finding, usize) -> bool,
        into: &mut Collected,
    ) {
        if let Some(set) = self.rules {
            let mut k = 0;
            findings.retain(|f| {
                let hit = set.suppressed_by(f, &|i| where_holds(k, f, i));
                k += 1;
                if let Some(i) = hit {
                    into.silence(&f.code, i);
                }
                hit.is_none()
            });
        }
        if let Some(out) = self.out {
            out.write(dump, &findings);
        }
        for f in findings {
            into.add(f);
        }
    }
}

/// The span of `g` that `f` is about (its first span id).
fn span_in<'d>(dump: &'d Dump, g: &TraceGraph, f: &Finding) -> Option<&'d Span> {
    let id = *f.span_ids.first()?;
    g.spans.iter().map(|&i| &dump.spans[i as usize]).find(|s| s.span_id == id && Some(s.trace_id) == f.trace_id)
}

/// What the per-trace work over a dump, or over one partition of it, gathers.
#[derive(Debug)]
pub(crate) struct Gathered {
    collected: Collected,
    structure: Structure,
    pub(crate) dump_acc: DumpAcc,
    partial: TracePartial,
    latency: LatencyAcc,
    /// Per-span digests; streaming mode takes them out per partition ([`Gathered::take_digests`]).
    digests: Vec<crate::digest::Keyed>,
    spans: u64,
}

impl Gathered {
    /// Nothing gathered yet.
    pub(crate) fn empty(opts: &Options) -> Gathered {
        Gathered {
            collected: Collected::new(opts.max_findings),
            structure: Structure::default(),
            dump_acc: DumpAcc::default(),
            partial: TracePartial::default(),
            latency: LatencyAcc::default(),
            digests: Vec::new(),
            spans: 0,
        }
    }

    /// Takes the per-span digests out, so a partition's can go to disk.
    pub(crate) fn take_digests(&mut self) -> Vec<crate::digest::Keyed> {
        std::mem::take(&mut self.digests)
    }

    /// Adds a partition's gathering; `global` maps its span indexes to the whole dump's.
    pub(crate) fn merge(&mut self, mut other: Gathered, global: &[u32]) {
        self.collected.merge(other.collected);
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
    let funnel = Funnel::of(opts);
    // Per-trace check outcomes are kept in trace order; findings go to the funnel and rule
    // results are accumulated as they come (one partial per worker), not stored per trace.
    type Acc = (Vec<(checks::TraceOutcome, Structure)>, TracePartial, Collected);
    let (outcomes, partial, collected) = traces.fold_graphs(
        dump,
        || (Vec::new(), TracePartial::default(), Collected::new(opts.max_findings)),
        |(mut outcomes, mut partial, mut collected): Acc, g| {
            let cx = TraceCx { dump, graph: &g, config: &opts.checks };
            let mut outcome = checks::check_trace(&cx);
            if let Some(r) = rule_set {
                let listed = |f: &Finding| funnel.writes_all() || collected.would_list(f);
                r.eval_trace(dump, syms, &g, &mut partial, &listed);
            }
            let mut found = std::mem::take(&mut outcome.findings);
            found.append(&mut partial.findings);
            if !found.is_empty() {
                let where_holds = |_, f: &Finding, i| {
                    rule_set.is_some_and(|r| span_in(dump, &g, f).is_some_and(|s| r.where_holds_on(dump, syms, s, i)))
                };
                funnel.take(dump, found, &where_holds, &mut collected);
            }
            outcomes.push((outcome, Structure::of(&g)));
            (outcomes, partial, collected)
        },
        |(mut a, mut pa, mut ca), (b, pb, cb)| {
            a.extend(b);
            pa.merge(pb);
            ca.merge(cb);
            (a, pa, ca)
        },
    );
    let mut out = Gathered { partial, collected, spans: dump.spans.len() as u64, ..Gathered::empty(opts) };
    for (o, s) in outcomes {
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
    /// The findings of the dump-wide work, not yet through the funnel until
    /// [`Settled::suppress`].
    pub(crate) findings: Vec<Finding>,
    collected: Collected,
    latency: Vec<OperationLatency>,
    clock_skew: Vec<HostPairSkew>,
    rules: Vec<RuleResult>,
    suppressions: Vec<SuppressionResult>,
    /// Streaming mode sets it from the digests it kept on disk.
    pub(crate) spans_digest: String,
    spans: u64,
}

impl Settled {
    /// Puts the dump-wide findings through the suppressions and the counts, and settles
    /// each rule; `where_holds(k, f, i)` tells whether suppression `i`'s `where` holds for
    /// `f`, which is `self.findings[k]`.
    pub(crate) fn suppress(
        &mut self,
        dump: &Dump,
        opts: &Options,
        where_holds: &dyn Fn(usize, &Finding, usize) -> bool,
    ) {
        let findings = std::mem::take(&mut self.findings);
        Funnel::of(opts).take(dump, findings, where_holds, &mut self.collected);
        if let Some(set) = opts.rules.as_deref() {
            self.suppressions = set.settle_suppressed(&mut self.rules, &self.collected);
        }
    }

    pub(crate) fn into_analysis(self, loaded: Loaded, opts: &Options) -> Analysis {
        let (finding_counts, findings) = self.collected.finish();
        Analysis {
            loaded,
            spans: self.spans,
            structure: self.structure,
            findings,
            finding_counts,
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
        collected: g.collected,
        latency: g.latency.finish(dump),
        clock_skew: dump_outcome.clock_skew,
        rules,
        suppressions: Vec::new(),
        spans_digest: crate::digest::combine(&mut g.digests),
        spans: g.spans,
    }
}
