//! Built-in checks. Each lives in its own file with its documentation; [`REGISTRY`] maps
//! the stable codes to them. Codes are never reused.

mod child_ends_after_parent;
mod child_starts_before_parent;
mod clock_skew;
mod collector;
mod dropped_by_sdk;
mod duplicate_attribute_key;
mod duplicate_span_id;
mod empty_attribute_key;
mod end_before_start;
mod error_without_message;
mod expired_suppression;
mod export_success_rate;
mod exporter_failed_spans;
mod hosts;
mod inconsistent_attribute_type;
mod invalid_field;
mod invalid_id;
mod log_outside_span;
mod log_span_missing;
mod log_trace_missing;
mod logs;
mod malformed_record;
mod missing_root;
mod missing_service_name;
mod missing_timestamp;
mod multiple_roots;
mod not_trace_data;
mod orphan_span;
mod orphans;
mod parent_cycle;
mod parent_in_other_trace;
mod processor_dropped_spans;
mod receiver_refused_spans;
mod record_too_large;
mod resources;
mod self_parent;
mod spans_missing_from_dump;
mod truncated_record;
mod unknown_format;

pub use clock_skew::{HostPairSkew, SkewAcc, SkewRec, SkewSample};
pub use collector::run as collector_findings;
pub use inconsistent_attribute_type::TypeRec;
pub use logs::run as log_findings;
pub use orphans::{Orphan, OrphanRec, parent_traces};
pub use resources::ResourceRec;

pub use crate::finding::{CheckId, Code, Finding, RuleDetail, Severity};

use crate::graph::TraceGraph;
use crate::input::{InputIssue, IssueKind};
use crate::model::{Dump, SpanId, SpanRef};
use petgraph::graph::NodeIndex;

/// The description of a check: what `tracecheck explain` and `rules list` print.
#[derive(Debug)]
pub struct CheckInfo {
    pub code: Code,
    /// Short kebab-case name.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The full page: What it checks / Why it matters / Example / How to fix.
    pub doc: &'static str,
}

impl CheckInfo {
    /// The severity of the check's findings.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

/// Every built-in check, in code order.
pub static REGISTRY: &[&CheckInfo] = &[
    &malformed_record::INFO,
    &truncated_record::INFO,
    &unknown_format::INFO,
    &invalid_id::INFO,
    &not_trace_data::INFO,
    &invalid_field::INFO,
    &record_too_large::INFO,
    &orphan_span::INFO,
    &missing_root::INFO,
    &multiple_roots::INFO,
    &parent_cycle::INFO,
    &duplicate_span_id::INFO,
    &self_parent::INFO,
    &parent_in_other_trace::INFO,
    &end_before_start::INFO,
    &missing_timestamp::INFO,
    &child_starts_before_parent::INFO,
    &child_ends_after_parent::INFO,
    &clock_skew::INFO,
    &missing_service_name::INFO,
    &empty_attribute_key::INFO,
    &duplicate_attribute_key::INFO,
    &inconsistent_attribute_type::INFO,
    &dropped_by_sdk::INFO,
    &error_without_message::INFO,
    &receiver_refused_spans::INFO,
    &processor_dropped_spans::INFO,
    &exporter_failed_spans::INFO,
    &export_success_rate::INFO,
    &spans_missing_from_dump::INFO,
    &log_trace_missing::INFO,
    &log_span_missing::INFO,
    &log_outside_span::INFO,
    &expired_suppression::INFO,
];

/// The description of `code`.
pub fn info(code: Code) -> &'static CheckInfo {
    REGISTRY.iter().copied().find(|i| i.code == code).unwrap_or(&malformed_record::INFO)
}

/// Settings of the built-in checks.
#[derive(Clone, Debug)]
pub struct Config {
    /// How far (ns) a child may start before or end after its parent before it is
    /// reported, and how large an estimated clock offset must be to be reported.
    pub skew_tolerance: u64,
    /// The least share of spans a Collector's exporters must deliver (C004).
    pub min_export_success: f64,
}

/// The default of [`Config::min_export_success`]: 99 %.
pub const MIN_EXPORT_SUCCESS: f64 = 0.99;

impl Default for Config {
    fn default() -> Self {
        Config { skew_tolerance: 1_000_000, min_export_success: MIN_EXPORT_SUCCESS }
    }
}

/// What the per-trace checks see.
#[derive(Debug)]
pub struct TraceCx<'a> {
    pub dump: &'a Dump,
    pub graph: &'a TraceGraph,
    pub config: &'a Config,
}

impl<'a> TraceCx<'a> {
    /// The span of node `n`.
    pub fn span(&self, n: NodeIndex) -> &'a crate::model::Span {
        &self.dump.spans[self.graph.span_index(n)]
    }

    /// Every node.
    pub fn nodes(&self) -> impl Iterator<Item = NodeIndex> + use<> {
        (0..self.graph.len()).map(NodeIndex::new)
    }

    /// Every (parent, child) pair joined by a parent edge.
    pub fn parent_edges(&self) -> impl Iterator<Item = (NodeIndex, NodeIndex)> + '_ {
        self.graph.parent.iter().enumerate().filter_map(|(k, p)| p.map(|p| (p, NodeIndex::new(k))))
    }
}

/// What the checks of one trace produce.
#[derive(Debug, Default)]
pub struct TraceOutcome {
    pub findings: Vec<Finding>,
    /// Spans whose parent is not in their trace, resolved by [`check_dump`] into S001 or
    /// S007.
    pub orphans: Vec<Orphan>,
    pub skew_samples: Vec<SkewSample>,
}

/// Runs every per-trace check on one trace.
pub fn check_trace(cx: &TraceCx<'_>) -> TraceOutcome {
    let mut out = TraceOutcome::default();
    let f = &mut out.findings;
    missing_root::run(cx, f);
    multiple_roots::run(cx, f);
    parent_cycle::run(cx, f);
    duplicate_span_id::run(cx, f);
    self_parent::run(cx, f);
    end_before_start::run(cx, f);
    missing_timestamp::run(cx, f);
    child_starts_before_parent::run(cx, f);
    child_ends_after_parent::run(cx, f);
    empty_attribute_key::run(cx, f);
    duplicate_attribute_key::run(cx, f);
    error_without_message::run(cx, f);
    dropped_by_sdk::run(cx, f);
    out.orphans = orphans::collect(cx);
    out.skew_samples = clock_skew::samples(cx);
    out
}

/// What the dump-wide checks produce besides findings.
#[derive(Debug, Default)]
pub struct DumpOutcome {
    pub findings: Vec<Finding>,
    pub clock_skew: Vec<HostPairSkew>,
}

/// What the dump-wide checks gather, from the whole dump at once or part by part (the
/// streaming mode analyses one partition of traces at a time; resources and strings are
/// shared by all parts).
#[derive(Debug, Default)]
pub struct DumpAcc {
    pub orphans: Vec<Orphan>,
    pub skew: SkewAcc,
    examples: Vec<Option<SpanRef>>,
    types: inconsistent_attribute_type::Types,
}

impl DumpAcc {
    /// Adds what the dump-wide checks need from the spans of `dump`.
    pub fn add_spans(&mut self, dump: &Dump) {
        resources::examples(dump, &mut self.examples);
        self.types.merge(inconsistent_attribute_type::tally(dump));
    }
}

/// What the dump-wide checks gathered, with strings spelled out and spans named, so that
/// the results of partitions, shards and machines merge: by concatenation, since each
/// check combines its records by key when it runs.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct DumpRecs {
    pub orphans: Vec<OrphanRec>,
    pub resources: Vec<ResourceRec>,
    pub types: Vec<TypeRec>,
    pub skew: Vec<SkewRec>,
}

impl DumpRecs {
    /// What `acc` gathered from spans of `dump`.
    pub fn of(acc: DumpAcc, dump: &Dump) -> DumpRecs {
        DumpRecs {
            orphans: acc.orphans.iter().map(|o| OrphanRec::of(o, dump)).collect(),
            resources: resources::summarize(dump, &acc.examples),
            types: acc.types.named(dump),
            skew: acc.skew.recs(dump),
        }
    }

    /// Adds `other` into `self`, each key once.
    pub fn merge(&mut self, mut other: DumpRecs) {
        self.orphans.append(&mut other.orphans);
        self.resources.append(&mut other.resources);
        self.resources = resources::compact(std::mem::take(&mut self.resources));
        self.types.append(&mut other.types);
        self.types = inconsistent_attribute_type::compact(std::mem::take(&mut self.types));
        self.skew.append(&mut other.skew);
        self.skew = clock_skew::compact(std::mem::take(&mut self.skew));
    }
}

/// Runs the checks that need the whole dump: orphans (resolved beforehand,
/// [`OrphanRec::resolve`]), resources, attribute types across an operation, and clock skew
/// per host pair.
pub fn check_dump(config: &Config, recs: DumpRecs) -> DumpOutcome {
    let mut findings = Vec::new();
    orphans::resolve(&recs.orphans, &mut findings);
    resources::run(recs.resources, &mut findings);
    inconsistent_attribute_type::run(recs.types, &mut findings);
    let clock_skew = clock_skew::estimate(config, recs.skew, &mut findings);
    DumpOutcome { findings, clock_skew }
}

/// The finding for an input issue.
pub fn from_input_issue(issue: &InputIssue) -> Finding {
    let code = match issue.kind {
        IssueKind::Malformed => malformed_record::INFO.code,
        IssueKind::Truncated => truncated_record::INFO.code,
        IssueKind::UnknownFormat => unknown_format::INFO.code,
        IssueKind::InvalidId => invalid_id::INFO.code,
        IssueKind::NotTraces => not_trace_data::INFO.code,
        IssueKind::InvalidField => invalid_field::INFO.code,
        IssueKind::TooLarge => record_too_large::INFO.code,
    };
    Finding {
        trace_id: issue.trace_id,
        span_ids: issue.span_id.into_iter().collect(),
        loc: Some(issue.loc),
        ..Finding::new(code, issue.message.clone())
    }
}

/// A finding about one span of a trace graph.
pub fn on_span(code: Code, cx: &TraceCx<'_>, node: NodeIndex, message: String) -> Finding {
    let span = cx.span(node);
    Finding {
        trace_id: Some(span.trace_id),
        span_ids: vec![span.span_id],
        loc: Some(cx.dump.loc(span)),
        ..Finding::new(code, message)
    }
}

/// Names of the nodes' span ids.
pub fn span_ids(cx: &TraceCx<'_>, nodes: &[NodeIndex]) -> Vec<SpanId> {
    nodes.iter().map(|&n| cx.span(n).span_id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_complete_ordered_and_documented() {
        let codes: Vec<Code> = REGISTRY.iter().map(|i| i.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted, "registry must list each code once, in order");
        assert_eq!(codes.len(), 34);
        for i in REGISTRY {
            for section in ["What it checks", "Why it matters", "Example", "How to fix"] {
                assert!(i.doc.contains(section), "{} lacks section {section}", i.code);
            }
            assert_eq!(Code::parse(i.code.as_str()), Some(i.code));
        }
    }
}
