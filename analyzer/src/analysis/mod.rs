//! One analysis run: load the inputs, group and build every trace graph in parallel, run
//! the checks, compute latency statistics.

pub mod partial;

use crate::checks::{self, Config, DumpAcc, Finding, HostPairSkew, TraceCx};
use crate::finding::{Collected, DEFAULT_MAX_FINDINGS, FindingCounts, FindingsOut};
use crate::graph::{self, TraceGraph, Traces};
use crate::input::{self, Accounting, LoadError, LoadOptions, Loaded};
use crate::model::{Dump, InputFile, Span, Sym};
use crate::rules::{RuleResult, RuleSet, SuppressionResult, TracePartial};
use crate::stats::{LatencyAcc, OperationLatency};
use partial::{InputsRec, Partial, Shard};
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
    /// How many of the worst traces ([`TraceScore`]) are kept.
    pub worst: usize,
    /// The Collector's own counters from files beside the dump (`--collector-metrics`).
    pub collector_metrics: crate::input::telemetry::Telemetry,
}

/// How broken one trace is: its findings from the per-trace checks and rules (after
/// suppressions) by severity, and its duration. The worst trace has the most errors, then
/// the most other findings, then the longest duration (then the lowest id): the order of
/// `show --worst` and of the HTML report's waterfalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TraceScore {
    pub trace_id: crate::model::TraceId,
    pub errors: u64,
    pub warnings: u64,
    /// From the earliest start to the latest end, in ns.
    pub duration: u64,
}

impl TraceScore {
    fn rank(&self) -> (std::cmp::Reverse<(u64, u64, u64)>, crate::model::TraceId) {
        (std::cmp::Reverse((self.errors, self.warnings, self.duration)), self.trace_id)
    }

    /// The `keep` worst of `scores`, worst first.
    pub fn worst(mut scores: Vec<TraceScore>, keep: usize) -> Vec<TraceScore> {
        scores.sort_unstable_by_key(|s| s.rank());
        scores.dedup_by_key(|s| s.trace_id);
        scores.truncate(keep);
        scores
    }

    /// Adds `s` to `top`, which holds at most `keep` scores (not kept in order).
    fn offer(top: &mut Vec<TraceScore>, s: TraceScore, keep: usize) {
        if keep == 0 {
            return;
        }
        if top.len() < keep {
            top.push(s);
        } else if let Some(last) = top.iter_mut().max_by_key(|t| t.rank())
            && s.rank() < last.rank()
        {
            *last = s;
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            load: LoadOptions::default(),
            checks: Config::default(),
            rules: None,
            max_findings: DEFAULT_MAX_FINDINGS,
            findings_out: None,
            worst: DEFAULT_WORST,
            collector_metrics: Default::default(),
        }
    }
}

pub use crate::graph::Structure;

/// How many of the worst traces a run keeps by default.
pub const DEFAULT_WORST: usize = 10;

/// Everything a report is made from.
#[derive(Debug)]
pub struct Analysis {
    /// The input files, as read.
    pub files: Vec<InputFile>,
    /// Inputs that could not be read at all.
    pub errors: Vec<LoadError>,
    pub accounting: Accounting,
    /// Resources read.
    pub resources: u64,
    /// Spans analysed.
    pub spans: u64,
    /// Logs found with their trace (and span, when they name one).
    pub logs_correlated: u64,
    pub structure: Structure,
    /// The listed findings (at most [`Options::max_findings`] per code or rule), sorted by
    /// [`Finding::sort_key`].
    pub findings: Vec<Finding>,
    /// Exact counts of every reported finding.
    pub finding_counts: FindingCounts,
    pub latency: Vec<OperationLatency>,
    /// How the percentiles were computed: exact, or from mergeable sketches.
    pub latency_method: &'static str,
    pub clock_skew: Vec<HostPairSkew>,
    /// One result per rule, in load order.
    pub rules: Vec<RuleResult>,
    pub suppressions: Vec<SuppressionResult>,
    /// The rule packs evaluated.
    pub rule_set: Option<Arc<RuleSet>>,
    /// Canonical sha256 of the analysed spans ([`crate::digest::spans`]).
    pub spans_digest: String,
    /// The worst traces, worst first (at most [`Options::worst`]).
    pub worst: Vec<TraceScore>,
    /// Per operation, in the order of `latency`: durations counted in logarithmic bins
    /// ([`crate::stats::histogram`]).
    pub latency_histograms: Vec<Vec<(i32, u64)>>,
    /// Trace buckets no merged partial covered (`None` but for `merge`).
    pub missing_buckets: Option<crate::analysis::partial::Missing>,
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
    analyze_ref(&loaded, opts)
}

/// Analyses what was loaded, leaving it to the caller (`show` draws its traces).
pub fn analyze_ref(loaded: &Loaded, opts: &Options) -> Analysis {
    partial_of_loaded(loaded, opts).settle(opts)
}

/// The partial result of what was loaded: every bucket, exact latency.
pub fn partial_of_loaded(loaded: &Loaded, opts: &Options) -> Partial {
    let dump = &loaded.dump;
    let traces = graph::group(dump);
    let syms = opts.rules.as_deref().map(|r| r.bind(dump)).unwrap_or_default();
    let inputs = InputsRec::of(loaded, opts);
    let input_findings = partial::input_findings(loaded);
    let gathered = gather(dump, &traces, opts, &syms, &crate::digest::resource_digests(dump));
    let mut part = Partial::gathered(dump, gathered, opts, &syms, &input_findings);
    part.take_input_findings(input_findings, Shard::ALL, opts, &dump.files);
    let traces_of = checks::parent_traces(&part.dump.orphans, dump.spans.iter().map(|s| (s.span_id, s.trace_id)));
    part.resolve_orphans(&traces_of);
    part.inputs = Some(inputs);
    part.shards = vec![Shard::ALL];
    part
}

/// The partial result of shard `shard` from what was loaded, which must hold only that
/// shard's traces (a Spark partition): `check --shard K/N --presplit`, in memory. Spans of
/// another shard's trace are an error, as there.
pub fn presplit_partial_of_loaded(loaded: &Loaded, opts: &Options, shard: Shard) -> Result<Partial, String> {
    let foreign = loaded.dump.spans.iter().filter(|s| !shard.covers(crate::digest::bucket(s.trace_id))).count();
    if foreign > 0 {
        return Err(partial::not_presplit(foreign as u64, shard));
    }
    let mut p = partial_of_loaded(loaded, opts);
    p.shards = vec![shard];
    p.presplit = true;
    Ok(p)
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

    /// Takes `findings` about records of `files`; `where_holds(k, f, i)` tells whether the
    /// `where` of suppression `i` holds for `f`, which is `findings[k]`.
    pub(crate) fn take(
        self,
        files: &[InputFile],
        mut findings: Vec<Finding>,
        where_holds: &dyn Fn(usize, &Finding, usize) -> bool,
        into: &mut Collected,
    ) -> (u64, u64) {
        if let Some(set) = self.rules {
            // A pack may raise or lower a built-in check's severity.
            if set.has_severity_overrides() {
                for f in &mut findings {
                    if let crate::finding::CheckId::Builtin(code) = f.code
                        && let Some(s) = set.severity_of(code)
                    {
                        f.severity = s;
                    }
                }
            }
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
            out.write(files, &findings);
        }
        let errors = findings.iter().filter(|f| f.severity == crate::finding::Severity::Error).count() as u64;
        let kept = findings.len() as u64;
        for f in findings {
            into.add(f);
        }
        (errors, kept - errors)
    }
}

/// The span of `g` that `f` is about (its first span id).
fn span_in<'d>(dump: &'d Dump, g: &TraceGraph, f: &Finding) -> Option<&'d Span> {
    let id = *f.span_ids.first()?;
    g.spans.iter().map(|&i| &dump.spans[i as usize]).find(|s| s.span_id == id && Some(s.trace_id) == f.trace_id)
}

/// What the per-trace work over a dump, or over one partition of it, gathers, before it is
/// spelled out as a [`Partial`].
#[derive(Debug)]
pub(crate) struct Gathered {
    pub(crate) collected: Collected,
    pub(crate) structure: Structure,
    pub(crate) dump_acc: DumpAcc,
    pub(crate) partial: TracePartial,
    pub(crate) latency: LatencyAcc,
    /// The digest of each bucket that holds spans, in bucket order.
    pub(crate) buckets: Vec<crate::digest::BucketDigest>,
    pub(crate) spans: u64,
    pub(crate) worst: Vec<TraceScore>,
    /// Logs found with their trace (and span).
    pub(crate) logs_correlated: u64,
}

/// From the earliest start (of spans that have one) to the latest end of `g`'s spans.
pub fn trace_duration(dump: &Dump, g: &TraceGraph) -> u64 {
    let spans = g.spans.iter().map(|&i| &dump.spans[i as usize]);
    let start = spans.clone().map(|s| s.start).filter(|&t| t > 0).min();
    let end = spans.map(|s| s.end).max();
    match (start, end) {
        (Some(s), Some(e)) => e.saturating_sub(s),
        _ => 0,
    }
}

/// Logs checked against the spans between two passes through the funnel.
const LOG_CHUNK: usize = 4096;

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
    // Orphans and each host pair's skew samples are kept in trace order (rayon's fold and
    // reduce keep the order of the traces), structure is summed, findings go to the funnel
    // and rule results are accumulated as they come (one partial per worker): nothing is
    // stored per trace.
    type Acc = (DumpAcc, Structure, TracePartial, Collected, Vec<TraceScore>);
    let (dump_acc, structure, partial, collected, worst) = traces.fold_graphs(
        dump,
        || {
            (
                DumpAcc::default(),
                Structure::default(),
                TracePartial::default(),
                Collected::new(opts.max_findings),
                Vec::new(),
            )
        },
        |(mut acc, mut structure, mut partial, mut collected, mut worst): Acc, g| {
            let cx = TraceCx { dump, graph: &g, config: &opts.checks };
            let mut outcome = checks::check_trace(&cx);
            if let Some(r) = rule_set {
                let listed = |f: &Finding| funnel.writes_all() || collected.would_list(f);
                r.eval_trace(dump, syms, &g, &mut partial, &listed);
            }
            let mut found = std::mem::take(&mut outcome.findings);
            found.append(&mut partial.findings);
            let (mut errors, mut warnings) = (0, 0);
            if !found.is_empty() {
                let where_holds = |_, f: &Finding, i| {
                    rule_set.is_some_and(|r| span_in(dump, &g, f).is_some_and(|s| r.where_holds_on(dump, syms, s, i)))
                };
                (errors, warnings) = funnel.take(&dump.files, found, &where_holds, &mut collected);
            }
            let score = TraceScore { trace_id: g.trace_id, errors, warnings, duration: trace_duration(dump, &g) };
            TraceScore::offer(&mut worst, score, opts.worst);
            acc.orphans.append(&mut outcome.orphans);
            acc.skew.add(dump, opts.checks.skew_tolerance, &outcome.skew_samples);
            structure.add(&Structure::of(&g));
            (acc, structure, partial, collected, worst)
        },
        |(mut a, mut sa, mut pa, mut ca, mut wa), (b, sb, pb, cb, wb)| {
            a.orphans.extend(b.orphans);
            a.skew.merge(b.skew);
            sa.add(&sb);
            pa.merge(pb);
            ca.merge(cb);
            for s in wb {
                TraceScore::offer(&mut wa, s, opts.worst);
            }
            (a, sa, pa, ca, wa)
        },
    );
    let mut out = Gathered {
        partial,
        collected,
        worst,
        spans: dump.spans.len() as u64,
        structure,
        dump_acc,
        latency: LatencyAcc::default(),
        buckets: Vec::new(),
        logs_correlated: 0,
    };
    // Logs that name a trace, against the spans (nothing to do for a dump without logs).
    // A chunk at a time, so the findings in hand stay few whatever the number of logs.
    for logs in dump.logs.chunks(LOG_CHUNK) {
        let listed = |f: &Finding| funnel.writes_all() || out.collected.would_list(f);
        let (found, correlated) = checks::log_findings(dump, traces, logs, opts.checks.skew_tolerance, &listed);
        out.logs_correlated += correlated;
        funnel.take(&dump.files, found, &|_, _: &Finding, _| false, &mut out.collected);
    }
    out.dump_acc.add_spans(dump);
    out.latency.add_spans(dump);
    out.buckets = crate::digest::dump_buckets(dump, resource_digests);
    out
}
