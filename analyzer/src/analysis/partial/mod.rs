//! Partial results: everything a report needs from some of a dump's traces, in a form that
//! merges. Strings are spelled out and spans named by id, so partials made by different
//! processes or machines (each with its own string table) meet; every part merges exactly,
//! except latency percentiles read from sketches, which reports then name.
//!
//! One analysis makes one partial for all its traces ([`crate::analysis`]); streaming mode
//! makes one per partition and merges them ([`crate::stream`]); `check --shard K/N
//! --partial-out` writes the partial of the traces whose bucket modulo N is K, and
//! `tracecheck merge` joins such files ([`combine`]). Every path ends in
//! [`Partial::settle`], the one place dump-wide results are settled.

mod combine;
mod masks;

pub use combine::{MergeError, combine, read};
pub use masks::Masks;

use crate::analysis::{Analysis, Funnel, Gathered, Options, TraceScore};
use crate::checks::{self, DumpRecs};
use crate::digest::BucketDigest;
use crate::finding::{Collected, Finding};
use crate::graph::Structure;
use crate::input::{Accounting, LoadError, Loaded};
use crate::model::{Dump, InputFile, SpanId, Sym, TraceId};
use crate::rules::{PackKind, RuleSet, RuleTotals};
use crate::stats::OpRec;
use std::collections::HashMap;

/// The format identifier of partial result files; bumped on any incompatible change.
pub const FORMAT: &str = "tracecheck.partial/v1";

/// The number of trace buckets.
pub const BUCKETS: u32 = 1 << 16;

/// The traces a partial covers: those whose bucket modulo `n` is `k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    /// Every trace.
    pub const ALL: Shard = Shard { k: 0, n: 1 };

    /// Parses `K/N` (0 <= K < N <= 65536).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text.split_once('/').ok_or_else(|| format!("{text:?} is not K/N (e.g. 0/3)"))?;
        let (k, n): (u32, u32) = match (k.trim().parse(), n.trim().parse()) {
            (Ok(k), Ok(n)) => (k, n),
            _ => return Err(format!("{text:?} is not K/N with whole numbers (e.g. 0/3)")),
        };
        if n == 0 || n > BUCKETS {
            return Err(format!("N must be 1 to {BUCKETS} (there are {BUCKETS} trace buckets), not {n}"));
        }
        if k >= n {
            return Err(format!("K must be below N (shards are numbered 0 to {}), not {k}", n - 1));
        }
        Ok(Shard { k, n })
    }

    /// Whether bucket `b` is in the shard.
    pub fn covers(self, b: u16) -> bool {
        u32::from(b) % self.n == self.k
    }
}

/// What settles a run's results and must agree between partials to be merged.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    pub skew_tolerance: u64,
    pub max_record_bytes: u64,
    /// The least share of spans a Collector must export (C004).
    #[serde(default = "default_min_export_success")]
    pub min_export_success: f64,
    /// Each rule pack as read: its path and text.
    pub packs: Vec<(String, String)>,
    /// The `tracecheck.toml` whose suppressions applied: its path and text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<(String, String)>,
}

impl Settings {
    /// The settings of `opts`.
    pub fn of(opts: &Options) -> Settings {
        Settings {
            skew_tolerance: opts.checks.skew_tolerance,
            max_record_bytes: opts.load.max_record_bytes as u64,
            min_export_success: opts.checks.min_export_success,
            packs: of_kind(opts, PackKind::Rules).collect(),
            config: of_kind(opts, PackKind::Config).next(),
        }
    }

    /// The rule packs, compiled again.
    pub fn rules(&self) -> Result<Option<RuleSet>, String> {
        if self.packs.is_empty() && self.config.is_none() {
            return Ok(None);
        }
        let mut set = RuleSet::default();
        for (path, text) in &self.packs {
            set.add(path, text).map_err(|e| format!("its rule pack {path} does not compile: {}", e.message))?;
        }
        if let Some((path, text)) = &self.config {
            set.add_config(path, text).map_err(|e| format!("its config {path} does not compile: {}", e[0].message))?;
        }
        Ok(Some(set))
    }
}

fn default_min_export_success() -> f64 {
    checks::MIN_EXPORT_SUCCESS
}

/// The path and text of each loaded file of `kind`.
fn of_kind(opts: &Options, kind: PackKind) -> impl Iterator<Item = (String, String)> + '_ {
    opts.rules
        .as_deref()
        .into_iter()
        .flat_map(|r| r.packs())
        .filter(move |p| p.kind == kind)
        .map(|p| (p.path.clone(), p.text.clone()))
}

/// What was read: the same for every shard of one run, since every shard reads every input
/// (or, for pre-split inputs, each shard's own part, added up by `merge`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InputsRec {
    pub files: Vec<InputFile>,
    pub errors: Vec<LoadError>,
    pub accounting: Accounting,
    pub resources: u64,
    /// The Collector's own counters: from the dump's metric records and from
    /// `--collector-metrics` files.
    #[serde(default)]
    pub telemetry: crate::input::telemetry::Telemetry,
}

impl InputsRec {
    /// Adds what another part of the inputs read.
    pub fn add(&mut self, other: InputsRec) {
        self.files.extend(other.files);
        self.errors.extend(other.errors);
        self.accounting.add(&other.accounting);
        self.resources += other.resources;
        self.telemetry.merge(&other.telemetry);
    }

    /// What `loaded` read, with the Collector counters `opts` brings from elsewhere.
    pub fn of(loaded: &Loaded, opts: &Options) -> InputsRec {
        let mut telemetry = loaded.accounting.telemetry.clone();
        telemetry.merge(&opts.collector_metrics);
        InputsRec {
            files: loaded.dump.files.clone(),
            errors: loaded.errors.clone(),
            accounting: loaded.accounting.clone(),
            resources: loaded.dump.resources.len() as u64,
            telemetry,
        }
    }
}

/// Why pre-split inputs of `shard` are refused: they hold `foreign` spans of other shards'
/// traces.
pub fn not_presplit(foreign: u64, shard: Shard) -> String {
    format!(
        "the inputs hold {foreign} span(s) of traces outside shard {}/{}: they were not split by trace bucket (bucket modulo {} = {})",
        shard.k, shard.n, shard.n, shard.k
    )
}

/// The findings about the input itself (unreadable records, bad ids…) of `loaded`.
pub fn input_findings(loaded: &Loaded) -> Vec<Finding> {
    loaded.issues.iter().map(checks::from_input_issue).collect()
}

/// The mergeable result of analysing some traces of a dump.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Partial {
    pub format: String,
    /// The tracecheck version that made it.
    pub tool: String,
    pub settings: Settings,
    /// The shards it covers (several once partials are merged).
    pub shards: Vec<Shard>,
    /// Set once every input was read.
    pub inputs: Option<InputsRec>,
    /// Made from inputs that held only its shard's traces (`check --presplit`): `merge`
    /// adds up the inputs of such partials instead of requiring the same inputs.
    #[serde(default)]
    pub presplit: bool,
    pub spans: u64,
    /// Logs found with their trace (and span).
    #[serde(default)]
    pub logs_correlated: u64,
    pub structure: Structure,
    /// The per-trace findings, through the suppressions: exact counts, first examples.
    pub findings: Collected,
    pub latency: Vec<OpRec>,
    pub dump: DumpRecs,
    pub rules: RuleTotals,
    /// The digest of each bucket holding spans.
    pub buckets: Vec<BucketDigest>,
    /// Which suppressions' `where` holds on the spans dump-wide findings may name.
    pub masks: Masks,
    /// The worst traces (at most `worst_kept`).
    pub worst: Vec<TraceScore>,
    pub worst_kept: usize,
}

impl Partial {
    /// Nothing analysed yet.
    pub fn empty(opts: &Options, shard: Shard) -> Partial {
        Partial {
            format: FORMAT.to_string(),
            tool: env!("CARGO_PKG_VERSION").to_string(),
            settings: Settings::of(opts),
            shards: vec![shard],
            inputs: None,
            presplit: false,
            spans: 0,
            logs_correlated: 0,
            structure: Structure::default(),
            findings: Collected::new(opts.max_findings),
            latency: Vec::new(),
            dump: DumpRecs::default(),
            rules: RuleTotals::default(),
            buckets: Vec::new(),
            masks: Masks::default(),
            worst: Vec::new(),
            worst_kept: opts.worst,
        }
    }

    /// What [`crate::analysis::gather`] gathered from the spans of `dump`, spelled out;
    /// `input_findings` are the input's findings, whose spans may be in `dump`.
    pub(crate) fn gathered(
        dump: &Dump,
        g: Gathered,
        opts: &Options,
        syms: &[Option<Sym>],
        input_findings: &[Finding],
    ) -> Partial {
        let mut p = Partial::empty(opts, Shard::ALL);
        p.shards.clear();
        p.spans = g.spans;
        p.logs_correlated = g.logs_correlated;
        p.structure = g.structure;
        p.findings = g.collected;
        p.latency = g.latency.named(dump);
        p.dump = DumpRecs::of(g.dump_acc, dump);
        p.rules = g.partial.totals(dump);
        p.worst = TraceScore::worst(g.worst, opts.worst);
        p.buckets = g.buckets;
        if let Some(set) = opts.rules.as_deref() {
            p.masks = Masks::of(set, dump, syms, &p, input_findings);
        }
        p
    }

    /// Resolves the orphans against `traces_of` (from [`checks::parent_traces`] over every
    /// span of the dump, in every shard).
    pub fn resolve_orphans(&mut self, traces_of: &HashMap<SpanId, Vec<TraceId>>) {
        for o in &mut self.dump.orphans {
            o.resolve(traces_of);
        }
    }

    /// Takes the input's findings that belong to `shard` (by their trace's bucket; those
    /// without a trace belong to the shard of bucket 0, so every one is counted once among
    /// the shards) through the suppressions into the counts, once [`Partial::masks`] covers
    /// their spans.
    pub fn take_input_findings(&mut self, findings: Vec<Finding>, shard: Shard, opts: &Options, files: &[InputFile]) {
        let owned: Vec<Finding> =
            findings.into_iter().filter(|f| shard.covers(f.trace_id.map_or(0, crate::digest::bucket))).collect();
        let masks = &self.masks;
        Funnel::of(opts).take(files, owned, &|_, f: &Finding, i| masks.holds(f, i), &mut self.findings);
    }

    /// Adds `other`, which covers other traces of the same inputs, into `self`.
    pub fn merge(&mut self, other: Partial) {
        self.shards.extend(other.shards);
        self.inputs = match (self.inputs.take(), other.inputs) {
            (Some(mut mine), Some(theirs)) if self.presplit && other.presplit => {
                mine.add(theirs);
                Some(mine)
            }
            (mine, theirs) => mine.or(theirs),
        };
        self.spans += other.spans;
        self.logs_correlated += other.logs_correlated;
        self.structure.add(&other.structure);
        self.findings.merge(other.findings);
        self.latency.extend(other.latency);
        self.dump.merge(other.dump);
        self.rules.merge(other.rules);
        self.buckets.extend(other.buckets);
        self.masks.merge(other.masks);
        self.worst_kept = self.worst_kept.max(other.worst_kept);
        self.worst.extend(other.worst);
        self.worst = TraceScore::worst(std::mem::take(&mut self.worst), self.worst_kept);
    }

    /// Replaces exact durations by sketches, so the partial stays small whatever the
    /// number of spans.
    pub fn sketch_latency(&mut self) {
        for op in &mut self.latency {
            op.sketch();
        }
    }

    /// Settles the dump-wide results (input findings, orphans, resources, attribute types,
    /// clock skew, rules, suppressions, latency, digest) into the analysis a report is made
    /// of. `opts` must be the options the partial was made with, but for
    /// [`Options::max_findings`], which may be lower.
    pub fn settle(self, opts: &Options) -> Analysis {
        let inputs = self.inputs.unwrap_or_default();
        let dump_outcome = checks::check_dump(&opts.checks, self.dump);
        let mut findings = dump_outcome.findings;
        checks::collector_findings(&inputs.telemetry, self.spans, opts.checks.min_export_success, &mut findings);
        let mut rules = Vec::new();
        if let Some(set) = opts.rules.as_deref() {
            let (results, rule_findings) = set.finish(self.rules);
            rules = results;
            findings.extend(rule_findings);
        }
        let mut collected = self.findings.relist(opts.max_findings);
        let masks = self.masks;
        let where_holds = |_, f: &Finding, i| masks.holds(f, i);
        Funnel::of(opts).take(&inputs.files, findings, &where_holds, &mut collected);
        let suppressions =
            opts.rules.as_deref().map(|set| set.settle_suppressed(&mut rules, &collected)).unwrap_or_default();
        let (latency, latency_histograms, sketched) = crate::stats::finish_ops(self.latency);
        let mut buckets = self.buckets;
        buckets.sort_by_key(|b| b.bucket);
        let (finding_counts, listed) = collected.finish();
        Analysis {
            files: inputs.files,
            errors: inputs.errors,
            accounting: inputs.accounting,
            resources: inputs.resources,
            spans: self.spans,
            logs_correlated: self.logs_correlated,
            structure: self.structure,
            findings: listed,
            finding_counts,
            latency,
            latency_method: if sketched { crate::stats::sketch::METHOD } else { crate::stats::PERCENTILE_METHOD },
            clock_skew: dump_outcome.clock_skew,
            rules,
            suppressions,
            rule_set: opts.rules.clone(),
            spans_digest: crate::digest::combine_buckets(&buckets),
            missing_buckets: missing(&self.shards),
            worst: TraceScore::worst(self.worst, opts.worst),
            latency_histograms,
        }
    }
}

/// Trace buckets no merged partial covered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    /// How many of the 65536 buckets.
    pub buckets: u32,
    /// When every partial was made with the same N: the shards `K/N` not given (else
    /// empty).
    pub shards: Vec<String>,
    /// The first missing buckets, as inclusive ranges (at most [`MISSING_RANGES`]).
    pub ranges: Vec<(u16, u16)>,
}

/// Ranges of missing buckets a report lists.
pub const MISSING_RANGES: usize = 20;

/// The buckets no shard of `shards` covers; `None` when every bucket is covered.
pub fn missing(shards: &[Shard]) -> Option<Missing> {
    if shards.contains(&Shard::ALL) {
        return None;
    }
    let mut m = Missing { buckets: 0, shards: Vec::new(), ranges: Vec::new() };
    let mut open: Option<(u16, u16)> = None;
    for b in 0..=u16::MAX {
        if shards.iter().any(|s| s.covers(b)) {
            continue;
        }
        m.buckets += 1;
        match &mut open {
            Some(r) if u32::from(r.1) + 1 == u32::from(b) => r.1 = b,
            _ => {
                if let Some(r) = open.replace((b, b))
                    && m.ranges.len() < MISSING_RANGES
                {
                    m.ranges.push(r);
                }
            }
        }
    }
    if let Some(r) = open
        && m.ranges.len() < MISSING_RANGES
    {
        m.ranges.push(r);
    }
    if m.buckets == 0 {
        return None;
    }
    if let Some(n) = shards.first().map(|s| s.n)
        && shards.iter().all(|s| s.n == n)
    {
        m.shards = (0..n).filter(|&k| !shards.iter().any(|s| s.k == k)).map(|k| format!("{k}/{n}")).collect();
    }
    Some(m)
}
