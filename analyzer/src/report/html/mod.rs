//! One self-contained HTML file: the verdict, inputs and digests, rule outcomes, findings
//! filterable by severity, code, service and text, a latency histogram per operation, and the
//! worst traces as waterfalls. Everything is inline (no network access when opened: a
//! Content-Security-Policy forbids it), and every string from the dump reaches the page as
//! JSON data that the page's script puts into the document as text, never as markup.

use super::Report;
use crate::analysis::TraceScore;
use crate::graph::{self, TraceGraph, children_by_start, critical_path, tops};
use crate::model::{Dump, SpanId, StatusCode, TraceId};
use std::io::{self, Write};

/// Bounds that keep the page a few MB whatever the dump.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Worst traces drawn as waterfalls.
    pub traces: usize,
    /// Spans drawn per trace.
    pub spans_per_trace: usize,
    /// Operations with a histogram.
    pub operations: usize,
    /// Attributes and events shown per span.
    pub details_per_span: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { traces: 5, spans_per_trace: 300, operations: 300, details_per_span: 20 }
    }
}

/// What the page shows besides the report: histograms, waterfalls, the service of each
/// listed finding.
#[derive(Debug, Default, serde::Serialize)]
pub struct Extra {
    /// Per operation of the report (the first [`Limits::operations`]): (bin, count), bin `i`
    /// holding durations in [10^(i/8), 10^((i+1)/8)) ns.
    pub histograms: Vec<Vec<(i32, u64)>>,
    pub operations_left_out: usize,
    pub waterfalls: Vec<Waterfall>,
    /// Why fewer waterfalls than worst traces are drawn, if so.
    pub waterfall_note: Option<String>,
    /// The service of each listed finding's span, when the spans are at hand.
    pub finding_services: Vec<Option<String>>,
}

/// One trace drawn as a waterfall.
#[derive(Debug, serde::Serialize)]
pub struct Waterfall {
    pub trace_id: String,
    pub errors: u64,
    pub warnings: u64,
    pub duration: u64,
    /// Spans in tree order (depth first, children by start).
    pub spans: Vec<WaterfallSpan>,
    /// Spans of the trace not drawn (beyond [`Limits::spans_per_trace`]).
    pub left_out: usize,
}

/// One bar of a waterfall.
#[derive(Debug, serde::Serialize)]
pub struct WaterfallSpan {
    pub span_id: String,
    pub depth: usize,
    pub name: String,
    pub service: String,
    /// Start, from the trace's first start, and duration, in ns.
    pub start: u64,
    pub duration: u64,
    pub error: bool,
    pub critical: bool,
    pub status_message: String,
    pub attributes: Vec<(String, String)>,
    /// (name, offset from the trace's start in ns).
    pub events: Vec<(String, u64)>,
    /// Indexes of the report's listed findings about this span.
    pub findings: Vec<usize>,
}

impl Extra {
    /// The page's data: `histograms` as the analysis made them (in the report's operation
    /// order), and, when `dump` holds the spans, the `worst` traces drawn.
    pub fn new(
        report: &Report,
        histograms: &[Vec<(i32, u64)>],
        worst: &[TraceScore],
        dump: Option<&Dump>,
        limits: Limits,
    ) -> Extra {
        let mut extra = Extra {
            histograms: histograms.iter().take(limits.operations).cloned().collect(),
            operations_left_out: report.latency.operations.len().saturating_sub(limits.operations),
            ..Extra::default()
        };
        let Some(dump) = dump else {
            if !worst.is_empty() {
                extra.waterfall_note = Some(
                    "the spans were not kept in memory (streaming mode, or partials merged), so the worst traces are listed but not drawn"
                        .into(),
                );
            }
            extra.finding_services = vec![None; report.findings.len()];
            return extra;
        };
        let traces = graph::group(dump);
        let service_of = |trace: &str, span: &str| -> Option<String> {
            let trace = TraceId(tracecheck_wire::hex::decode::<16>(trace.as_bytes())?);
            let span = SpanId(tracecheck_wire::hex::decode::<8>(span.as_bytes())?);
            let t = traces.ranges.binary_search_by(|(id, _)| id.cmp(&trace)).ok()?;
            traces.order[traces.ranges[t].1.clone()]
                .iter()
                .map(|&i| &dump.spans[i as usize])
                .find(|s| s.span_id == span)
                .and_then(|s| dump.resource(s).service_name)
                .map(|n| dump.str(n).to_string())
        };
        extra.finding_services = report
            .findings
            .iter()
            .map(|f| match (&f.trace_id, f.span_ids.first()) {
                (Some(t), Some(s)) => service_of(t, s),
                _ => None,
            })
            .collect();
        for w in worst.iter().take(limits.traces) {
            let Ok(i) = traces.ranges.binary_search_by(|(id, _)| id.cmp(&w.trace_id)) else { continue };
            let g = traces.graph(dump, i);
            extra.waterfalls.push(waterfall(dump, &g, w, report, limits));
        }
        extra
    }
}

fn waterfall(dump: &Dump, g: &TraceGraph, w: &TraceScore, report: &Report, limits: Limits) -> Waterfall {
    let critical = critical_path(dump, g);
    let span = |n: petgraph::graph::NodeIndex| &dump.spans[g.span_index(n)];
    let t0 = (0..g.len()).map(|k| span(petgraph::graph::NodeIndex::new(k)).start).filter(|&t| t > 0).min().unwrap_or(0);
    let trace_id = g.trace_id.to_string();
    let mut spans = Vec::new();
    let mut seen = vec![false; g.len()];
    let mut stack: Vec<(petgraph::graph::NodeIndex, usize)> = tops(dump, g).into_iter().rev().map(|n| (n, 0)).collect();
    // Spans reachable from no root or orphan (parent cycles) come last, as their own trees.
    let mut unreached = (0..g.len()).map(petgraph::graph::NodeIndex::new);
    while let Some((n, depth)) = stack.pop().or_else(|| unreached.find(|k| !seen[k.index()]).map(|k| (k, 0))) {
        if std::mem::replace(&mut seen[n.index()], true) {
            continue;
        }
        if spans.len() < limits.spans_per_trace {
            let s = span(n);
            let id = s.span_id.to_string();
            let attributes = dump
                .span_attrs(s)
                .iter()
                .take(limits.details_per_span)
                .map(|a| (dump.str(a.key).to_string(), clip(&dump.value_text(&a.value()))))
                .collect();
            let events = dump.events[s.events.range()]
                .iter()
                .take(limits.details_per_span)
                .map(|e| (dump.str(e.name).to_string(), e.time.saturating_sub(t0)))
                .collect();
            spans.push(WaterfallSpan {
                depth,
                name: dump.str(s.name).to_string(),
                service: dump.resource(s).service_name.map(|n| dump.str(n).to_string()).unwrap_or_default(),
                start: if s.start > 0 { s.start.saturating_sub(t0) } else { 0 },
                duration: s.duration().unwrap_or(0),
                error: s.status == StatusCode::Error,
                critical: critical[n.index()],
                status_message: clip(dump.str(s.status_message)),
                attributes,
                events,
                findings: report
                    .findings
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.trace_id.as_deref() == Some(&trace_id) && f.span_ids.first() == Some(&id))
                    .map(|(k, _)| k)
                    .collect(),
                span_id: id,
            });
        }
        for c in children_by_start(dump, g, n).into_iter().rev() {
            stack.push((c, depth + 1));
        }
    }
    Waterfall {
        left_out: g.len() - spans.len(),
        trace_id,
        errors: w.errors,
        warnings: w.warnings,
        duration: w.duration,
        spans,
    }
}

/// At most 160 characters of an attribute value.
fn clip(s: &str) -> String {
    match s.char_indices().nth(160) {
        Some((k, _)) => format!("{}…", &s[..k]),
        None => s.to_string(),
    }
}

const STYLE: &str = include_str!("style.css");
const COMMON_JS: &str = include_str!("common.js");
const CHECK_JS: &str = include_str!("check.js");
const DIFF_JS: &str = include_str!("diff.js");

/// Writes one page: `data` as JSON that `script` draws (after the shared helpers).
fn page(title: &str, data: &impl serde::Serialize, script: &str, out: &mut dyn Write) -> io::Result<()> {
    let json = serde_json::to_string(data)?;
    // Inside a <script> element only `</` could end it early; escaping `<`, `>` and `&` as
    // JSON escapes keeps the data inert and the JSON the same.
    let json = json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <main id=\"app\"><noscript>This report draws itself with the script it carries; enable scripts to see it.</noscript></main>\n\
         <script type=\"application/json\" id=\"data\">{json}</script>\n<script>\n{COMMON_JS}\n{script}</script>\n</body>\n</html>\n"
    )
}

/// Writes the page of `report` with `extra`.
pub fn write(report: &Report, extra: &Extra, out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Data<'a> {
        report: &'a Report,
        extra: &'a Extra,
    }
    page("tracecheck report", &Data { report, extra }, CHECK_JS, out)
}

/// Writes the page of a `diff`: the verdict, the structure, and each operation shown with
/// its two distributions side by side.
pub fn write_diff(report: &crate::report::diff::DiffReport, out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Data<'a> {
        report: &'a crate::report::diff::DiffReport,
        /// Per operation shown: the base's and the candidate's histograms.
        histograms: Vec<[&'a [(i32, u64)]; 2]>,
    }
    let empty: &[(i32, u64)] = &[];
    let histograms = report
        .operations
        .iter()
        .map(|o| {
            [
                o.base.as_ref().map_or(empty, |f| f.histogram.as_slice()),
                o.candidate.as_ref().map_or(empty, |f| f.histogram.as_slice()),
            ]
        })
        .collect();
    page("tracecheck diff", &Data { report, histograms }, DIFF_JS, out)
}
