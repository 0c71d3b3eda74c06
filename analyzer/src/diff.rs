//! Run-versus-run comparison: operations are matched by service, name and parent path (the
//! names of their ancestors), never by span id; latency percentiles, counts and error rates
//! are compared under relative and absolute tolerances, and the runs' structural defects
//! (orphans, traces without a root, duplicate span ids, cycles) per span.

use crate::graph::Structure;
use crate::graph::{self, TraceGraph};
use crate::model::{Dump, Parent, StatusCode};
use crate::stats::OpAcc;
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, BTreeSet};

/// Ancestors kept in a parent path; deeper ones are summarised as `…`.
pub const MAX_PATH: usize = 16;

/// What identifies an operation across runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct OpKey {
    pub service: String,
    pub name: String,
    /// Ancestor names from the top down (the nearest [`MAX_PATH`] when there are more);
    /// empty for roots. A list, so names holding ` > ` stay unambiguous.
    pub path: Vec<String>,
    /// Where `path` starts: at the trace's root, at a span whose parent is missing, or
    /// below ancestors left out.
    pub path_start: PathStart,
}

/// Where an operation's parent path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathStart {
    /// The first name is the trace's root (or the span is the root: `path` is empty).
    Root,
    /// The first name is a span whose parent is not in the dump.
    MissingParent,
    /// More than [`MAX_PATH`] ancestors: the nearest are kept.
    Truncated,
}

impl OpKey {
    /// The path for people: `a > b > c`, `(missing parent) > b`, `… > c`, or `(root)`.
    pub fn path_text(&self) -> String {
        let lead = match self.path_start {
            PathStart::Root if self.path.is_empty() => return "(root)".to_owned(),
            PathStart::Root => None,
            PathStart::MissingParent => Some("(missing parent)"),
            PathStart::Truncated => Some("…"),
        };
        lead.into_iter().chain(self.path.iter().map(String::as_str)).collect::<Vec<_>>().join(" > ")
    }
}

/// One operation's figures in one run (durations in ns).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OpFigures {
    pub count: u64,
    /// Spans with a usable duration: the percentiles are over these.
    pub timed: u64,
    pub errors: u64,
    pub error_rate: f64,
    #[serde(rename = "p50_ns")]
    pub p50: Option<u64>,
    #[serde(rename = "p90_ns")]
    pub p90: Option<u64>,
    #[serde(rename = "p99_ns")]
    pub p99: Option<u64>,
    #[serde(rename = "max_ns")]
    pub max: Option<u64>,
    /// The durations in logarithmic bins ([`crate::stats::histogram`]), for the HTML page.
    #[serde(skip)]
    pub histogram: Vec<(i32, u64)>,
}

/// A run as `diff` sees it.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    /// Every operation with its figures.
    pub operations: BTreeMap<OpKey, OpFigures>,
    /// Structural totals over all traces.
    pub structure: Structure,
    pub spans: u64,
}

/// One span as an occurrence of its operation: duration (when known) and whether it failed.
type Occurrence = (OpKey, Option<u64>, bool);

/// Every operation of a dump with its figures, and the dump's structure.
pub fn profile(dump: &Dump) -> Profile {
    let traces = graph::group(dump);
    let parts: Vec<(Vec<Occurrence>, Structure)> = traces.map_graphs(dump, |g| {
        let ops = (0..g.len())
            .map(|k| {
                let s = &dump.spans[g.spans[k] as usize];
                let (path, path_start) = parent_path(dump, g, NodeIndex::new(k));
                let key = OpKey {
                    service: dump.resource(s).service_name.map_or("", |x| dump.str(x)).to_owned(),
                    name: dump.str(s.name).to_owned(),
                    path,
                    path_start,
                };
                (key, s.duration(), s.status == StatusCode::Error)
            })
            .collect();
        (ops, Structure::of(g))
    });
    let mut structure = Structure::default();
    let mut acc: BTreeMap<OpKey, OpAcc> = BTreeMap::new();
    for (ops, s) in parts {
        structure.add(&s);
        for (key, d, err) in ops {
            acc.entry(key).or_default().add(d, err);
        }
    }
    let operations = acc
        .into_iter()
        .map(|(k, a)| {
            let f = a.finish();
            let figures = OpFigures {
                count: f.count,
                timed: f.durations.len() as u64,
                errors: f.errors,
                error_rate: f.error_rate(),
                p50: f.percentile(50.0),
                p90: f.percentile(90.0),
                p99: f.percentile(99.0),
                max: f.max(),
                histogram: crate::stats::histogram(&f.durations),
            };
            (k, figures)
        })
        .collect();
    Profile { operations, structure, spans: dump.spans.len() as u64 }
}

fn parent_path(dump: &Dump, g: &TraceGraph, n: NodeIndex) -> (Vec<String>, PathStart) {
    let mut names = Vec::new();
    let mut cur = n;
    let mut start = None;
    while let Some(p) = g.parent[cur.index()] {
        if names.len() == MAX_PATH {
            start = Some(PathStart::Truncated);
            break;
        }
        names.push(dump.str(dump.spans[g.spans[p.index()] as usize].name).to_owned());
        cur = p;
        if p == n {
            break;
        }
    }
    let start = start.unwrap_or_else(|| {
        let top = &dump.spans[g.spans[cur.index()] as usize];
        if matches!(top.parent, Parent::Root) { PathStart::Root } else { PathStart::MissingParent }
    });
    names.reverse();
    (names, start)
}

/// When a change counts.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Tolerance {
    /// A latency change must exceed this fraction of the base value (0.2 = 20 %)…
    pub max_regression: f64,
    /// …and this many nanoseconds.
    pub min_delta_ns: u64,
    /// An error rate may grow by this much (absolute, 0.01 = one percentage point).
    pub max_error_rate_increase: f64,
    /// A span count may change by this fraction of the base count (0.5 = 50 %) before it
    /// regresses…
    pub max_count_change: f64,
    /// …when either run has at least this many spans of the operation.
    pub min_count: u64,
    /// Percentiles are compared only when both runs have at least this many timed spans,
    /// and enough for the percentile to be one: 100 for p99, 10 for p90.
    pub min_samples: u64,
}

impl Tolerance {
    /// Timed spans each run needs for `metric` to be compared.
    pub fn samples_for(&self, metric: Metric) -> u64 {
        let own = match metric {
            Metric::P99 => 100,
            Metric::P90 => 10,
            _ => 2,
        };
        self.min_samples.max(own)
    }
}

/// How an operation changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Slower or more errors beyond the tolerances, or gone from the candidate.
    Regressed,
    Vanished,
    New,
    Improved,
    /// Counts changed beyond the relative tolerance; latency and errors within.
    Changed,
    Unchanged,
}

/// A figure of an operation that `diff` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Serialized as the field it compares, with its unit.
    #[serde(rename = "p50_ns")]
    P50,
    #[serde(rename = "p90_ns")]
    P90,
    #[serde(rename = "p99_ns")]
    P99,
    ErrorRate,
    Count,
}

impl Metric {
    /// The name in reports (`p99`, `error_rate`).
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::P50 => "p50",
            Metric::P90 => "p90",
            Metric::P99 => "p99",
            Metric::ErrorRate => "error_rate",
            Metric::Count => "count",
        }
    }
}

/// A structural defect whose rate `diff` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    Orphans,
    TracesWithoutRoot,
    DuplicateSpanIds,
    Cycles,
}

impl Defect {
    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Defect::Orphans => "orphan spans",
            Defect::TracesWithoutRoot => "traces without a root",
            Defect::DuplicateSpanIds => "duplicate span ids",
            Defect::Cycles => "parent cycles",
        }
    }
}

/// One compared figure.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Change {
    pub metric: Metric,
    pub base: f64,
    pub candidate: f64,
    pub delta: f64,
    /// `delta / base`; absent when the base is 0.
    pub relative: Option<f64>,
    pub regression: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OpDiff {
    #[serde(flatten)]
    pub key: OpKey,
    pub status: Status,
    pub base: Option<OpFigures>,
    pub candidate: Option<OpFigures>,
    /// The figures that moved beyond the tolerances.
    pub changes: Vec<Change>,
    /// Percentiles not compared: a run has too few timed spans for them
    /// ([`Tolerance::samples_for`]).
    pub not_compared: Vec<Metric>,
}

/// Compares every operation of `base` and `candidate`.
pub fn compare(
    base: &BTreeMap<OpKey, OpFigures>,
    candidate: &BTreeMap<OpKey, OpFigures>,
    tol: Tolerance,
) -> Vec<OpDiff> {
    let keys: BTreeSet<&OpKey> = base.keys().chain(candidate.keys()).collect();
    let mut out: Vec<OpDiff> = keys
        .into_iter()
        .map(|k| {
            let (b, c) = (base.get(k), candidate.get(k));
            let (status, changes, not_compared) = match (b, c) {
                (Some(_), None) => (Status::Vanished, Vec::new(), Vec::new()),
                (None, Some(_)) => (Status::New, Vec::new(), Vec::new()),
                (Some(b), Some(c)) => judge(b, c, tol),
                (None, None) => (Status::Unchanged, Vec::new(), Vec::new()),
            };
            OpDiff { key: k.clone(), status, base: b.cloned(), candidate: c.cloned(), changes, not_compared }
        })
        .collect();
    out.sort_by(|a, b| (a.status, &a.key).cmp(&(b.status, &b.key)));
    out
}

fn judge(b: &OpFigures, c: &OpFigures, tol: Tolerance) -> (Status, Vec<Change>, Vec<Metric>) {
    let mut changes = Vec::new();
    let mut not_compared = Vec::new();
    let (mut worse, mut better) = (false, false);
    for (metric, x, y) in [(Metric::P50, b.p50, c.p50), (Metric::P90, b.p90, c.p90), (Metric::P99, b.p99, c.p99)] {
        let (Some(x), Some(y)) = (x, y) else { continue };
        if b.timed.min(c.timed) < tol.samples_for(metric) {
            not_compared.push(metric);
            continue;
        }
        let delta = y as f64 - x as f64;
        let relative = (x > 0).then(|| delta / x as f64);
        let beyond = delta.abs() > tol.min_delta_ns as f64 && relative.is_none_or(|r| r.abs() > tol.max_regression);
        if beyond {
            worse |= delta > 0.0;
            better |= delta < 0.0;
            changes.push(Change {
                metric,
                base: x as f64,
                candidate: y as f64,
                delta,
                relative,
                regression: delta > 0.0,
            });
        }
    }
    let rate_delta = c.error_rate - b.error_rate;
    if rate_delta.abs() > tol.max_error_rate_increase {
        worse |= rate_delta > 0.0;
        better |= rate_delta < 0.0;
        changes.push(Change {
            metric: Metric::ErrorRate,
            base: b.error_rate,
            candidate: c.error_rate,
            delta: rate_delta,
            relative: (b.error_rate > 0.0).then(|| rate_delta / b.error_rate),
            regression: rate_delta > 0.0,
        });
    }
    // Spans lost or duplicated: a count that moves beyond the tolerance regresses, once the
    // operation is common enough for its count to mean something.
    let count_delta = c.count as f64 - b.count as f64;
    let count_relative = count_delta / b.count.max(1) as f64;
    let count_changed = count_relative.abs() > tol.max_count_change;
    if count_changed {
        let regression = b.count.max(c.count) >= tol.min_count;
        worse |= regression;
        changes.push(Change {
            metric: Metric::Count,
            base: b.count as f64,
            candidate: c.count as f64,
            delta: count_delta,
            relative: Some(count_relative),
            regression,
        });
    }
    let status = if worse {
        Status::Regressed
    } else if better {
        Status::Improved
    } else if count_changed {
        Status::Changed
    } else {
        Status::Unchanged
    };
    (status, changes, not_compared)
}

/// True when the comparison should fail a CI run: a regression or a vanished operation.
pub fn fails(diffs: &[OpDiff]) -> bool {
    diffs.iter().any(|d| matches!(d.status, Status::Regressed | Status::Vanished))
}

/// A structural defect whose count differs between the runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StructureChange {
    pub metric: Defect,
    pub base: u64,
    pub candidate: u64,
    /// Per 1,000 spans of each run, so that runs of different sizes compare.
    pub base_per_1k_spans: f64,
    pub candidate_per_1k_spans: f64,
    /// The candidate has the defect and its rate grew beyond the relative tolerance (any
    /// occurrence is a regression when the base had none).
    pub regression: bool,
}

/// The structural defects whose counts differ between `base` and `candidate`.
pub fn compare_structure(base: &Profile, candidate: &Profile, tol: Tolerance) -> Vec<StructureChange> {
    let (b, c) = (&base.structure, &candidate.structure);
    let per_1k = |n: u64, spans: u64| n as f64 * 1000.0 / spans.max(1) as f64;
    [
        (Defect::Orphans, b.orphans, c.orphans),
        (Defect::TracesWithoutRoot, b.traces_without_root, c.traces_without_root),
        (Defect::DuplicateSpanIds, b.duplicate_span_ids, c.duplicate_span_ids),
        (Defect::Cycles, b.cycles, c.cycles),
    ]
    .into_iter()
    .filter(|(_, x, y)| x != y)
    .map(|(metric, x, y)| {
        let (rx, ry) = (per_1k(x, base.spans), per_1k(y, candidate.spans));
        StructureChange {
            metric,
            base: x,
            candidate: y,
            base_per_1k_spans: rx,
            candidate_per_1k_spans: ry,
            regression: y > 0 && ry > rx * (1.0 + tol.max_regression),
        }
    })
    .collect()
}
