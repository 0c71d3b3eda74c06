//! Record accounting and input issues: every record read is decoded, skipped with a
//! reason, or counted as another signal, and the report says which.

pub use crate::model::source::Dialect;
use crate::model::{SourceLoc, SpanId, TraceId};
use std::collections::BTreeMap;

/// Why a record or part of one was not (fully) decoded.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueKind {
    /// Not valid JSON (or not valid for the format).
    Malformed,
    /// The input ended inside the record.
    Truncated,
    /// The file is in no format this tool reads.
    UnknownFormat,
    /// A trace, span, parent or link id that does not decode.
    InvalidId,
    /// Valid JSON, but not trace data nor another known signal.
    NotTraces,
    /// A field with a value of the wrong type or out of range; the field is ignored.
    InvalidField,
    /// A record larger than the configured limit, skipped without parsing.
    TooLarge,
}

impl IssueKind {
    /// Whether an issue of this kind makes the whole record skipped.
    pub fn skips_record(self) -> bool {
        matches!(
            self,
            IssueKind::Malformed
                | IssueKind::Truncated
                | IssueKind::UnknownFormat
                | IssueKind::NotTraces
                | IssueKind::TooLarge
        )
    }
}

/// Another telemetry signal found in a trace dump.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    Logs,
    Metrics,
    Profiles,
}

/// A problem found while reading the input, located by file, line and byte offset.
#[derive(Clone, Debug, PartialEq)]
pub struct InputIssue {
    pub kind: IssueKind,
    pub loc: SourceLoc,
    pub message: String,
    pub trace_id: Option<TraceId>,
    pub span_id: Option<SpanId>,
}

/// Counts of what was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Accounting {
    pub bytes: u64,
    pub records_read: u64,
    pub records_decoded: u64,
    pub records_skipped: u64,
    pub records_other_signal: u64,
    /// Decoded records by trace format.
    pub decoded_by_dialect: BTreeMap<Dialect, u64>,
    pub skipped_by_reason: BTreeMap<IssueKind, u64>,
    pub other_signals: BTreeMap<Signal, u64>,
    /// Span objects met in decoded records.
    pub spans_read: u64,
    /// Spans that could not be kept (an undecodable trace or span id); each has an issue.
    pub spans_dropped: u64,
    /// Log records read (in `resourceLogs` records).
    #[serde(default)]
    pub logs_read: u64,
    /// Of those, the ones that name a trace (and are checked against the spans).
    #[serde(default)]
    pub logs_with_trace: u64,
    /// The Collector's own span counters found among the metric records; carried in
    /// partial results beside the accounting, not in the report's counts.
    #[serde(skip)]
    pub telemetry: super::telemetry::Telemetry,
}

impl Accounting {
    /// Adds the counts of `other`.
    pub fn add(&mut self, other: &Accounting) {
        self.bytes += other.bytes;
        self.records_read += other.records_read;
        self.records_decoded += other.records_decoded;
        self.records_skipped += other.records_skipped;
        self.records_other_signal += other.records_other_signal;
        for (k, v) in &other.skipped_by_reason {
            *self.skipped_by_reason.entry(*k).or_default() += v;
        }
        for (k, v) in &other.decoded_by_dialect {
            *self.decoded_by_dialect.entry(*k).or_default() += v;
        }
        for (k, v) in &other.other_signals {
            *self.other_signals.entry(*k).or_default() += v;
        }
        self.spans_read += other.spans_read;
        self.spans_dropped += other.spans_dropped;
        self.logs_read += other.logs_read;
        self.logs_with_trace += other.logs_with_trace;
        self.telemetry.merge(&other.telemetry);
    }

    /// Counts one skipped record.
    pub fn skip(&mut self, kind: IssueKind) {
        self.records_skipped += 1;
        *self.skipped_by_reason.entry(kind).or_default() += 1;
    }
}
