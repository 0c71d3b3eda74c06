//! The log pass, shared by L001, L002 and L003: each log record that names a trace is
//! looked up among the spans of its trace.

use super::{Finding, log_outside_span, log_span_missing, log_trace_missing};
use crate::graph::Traces;
use crate::model::time::fmt_ns;
use crate::model::{Dump, LogRec, SpanId, TraceId};

/// The findings about the logs of `dump`, whose spans `traces` orders, and how many logs
/// were found with their trace (and span, when they name one). A log whose time is off by
/// at most `tolerance` ns is within its span.
pub fn run(dump: &Dump, traces: &Traces, tolerance: u64) -> (Vec<Finding>, u64) {
    let mut out = Vec::new();
    let mut correlated = 0;
    let find = |t: TraceId, s: SpanId| {
        traces.order.partition_point(|&i| {
            let x = &dump.spans[i as usize];
            (x.trace_id, x.span_id) < (t, s)
        })
    };
    for log in &dump.logs {
        let first = find(log.trace_id, SpanId([0; 8]));
        let trace_here = traces.order.get(first).is_some_and(|&i| dump.spans[i as usize].trace_id == log.trace_id);
        let what = describe(dump, log);
        let at = |code, message: String, span: Option<SpanId>| Finding {
            trace_id: Some(log.trace_id),
            span_ids: span.into_iter().collect(),
            loc: Some(log.loc),
            ..Finding::new(code, message)
        };
        if !trace_here {
            let msg = format!("{what} names trace {}, which has no span in the dump", log.trace_id);
            out.push(at(log_trace_missing::INFO.code, msg, log.span_id));
            continue;
        }
        let Some(span_id) = log.span_id else {
            correlated += 1;
            continue;
        };
        let k = find(log.trace_id, span_id);
        let span = traces
            .order
            .get(k)
            .map(|&i| &dump.spans[i as usize])
            .filter(|s| s.trace_id == log.trace_id && s.span_id == span_id);
        let Some(span) = span else {
            let msg = format!("{what} names span {span_id} of trace {}, which is not in it", log.trace_id);
            out.push(at(log_span_missing::INFO.code, msg, Some(span_id)));
            continue;
        };
        correlated += 1;
        if log.time == 0 || span.start == 0 || span.end < span.start {
            continue;
        }
        let early = span.start.saturating_sub(log.time);
        let late = log.time.saturating_sub(span.end);
        if early > tolerance || late > tolerance {
            let when = if early > tolerance {
                format!("{} before the start", fmt_ns(early))
            } else {
                format!("{} after the start", fmt_ns(log.time - span.start))
            };
            let msg = format!(
                "{what} at {when} of span {span_id} {:?}, which lasts {}",
                dump.str(span.name),
                fmt_ns(span.end - span.start)
            );
            out.push(at(log_outside_span::INFO.code, msg, Some(span_id)));
        }
    }
    (out, correlated)
}

/// `log "payment declined"`, or `log` when it has no text.
fn describe(dump: &Dump, log: &LogRec) -> String {
    let text = dump.str(log.excerpt);
    if text.is_empty() { "log".to_string() } else { format!("log {text:?}") }
}
