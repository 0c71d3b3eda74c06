//! The log pass, shared by L001, L002 and L003: each log record that names a trace is
//! looked up among the spans of its trace.

use super::{Finding, log_outside_span, log_span_missing, log_trace_missing};
use crate::graph::Traces;
use crate::model::time::fmt_ns;
use crate::model::{Dump, LogRec, SpanId};

/// The findings about `logs` (of `dump`, whose spans `traces` orders), and how many of them
/// were found with their trace (and span, when they name one). A log whose time is off by
/// at most `tolerance` ns is within its span. A finding's text is written only when
/// `listed` says it may be listed: a dump whose every log misses its trace costs a count per
/// log, not a message.
pub fn run(
    dump: &Dump,
    traces: &Traces,
    logs: &[LogRec],
    tolerance: u64,
    listed: &dyn Fn(&Finding) -> bool,
) -> (Vec<Finding>, u64) {
    let mut out = Vec::new();
    let mut correlated = 0;
    for log in logs {
        let mut at = |code, span: Option<SpanId>, message: &dyn Fn() -> String| {
            let mut f = Finding {
                trace_id: Some(log.trace_id),
                span_ids: span.into_iter().collect(),
                loc: Some(log.loc),
                ..Finding::new(code, String::new())
            };
            if listed(&f) {
                f.message = message();
            }
            out.push(f);
        };
        let what = || describe(dump, log);
        if !traces.has_trace(log.trace_id) {
            at(log_trace_missing::INFO.code, log.span_id, &|| {
                format!("{} names trace {}, which has no span in the dump", what(), log.trace_id)
            });
            continue;
        }
        let Some(span_id) = log.span_id else {
            correlated += 1;
            continue;
        };
        let Some(span) = traces.span(dump, log.trace_id, span_id) else {
            at(log_span_missing::INFO.code, Some(span_id), &|| {
                format!("{} names span {span_id} of trace {}, which is not in it", what(), log.trace_id)
            });
            continue;
        };
        correlated += 1;
        if log.time == 0 || span.start == 0 || span.end < span.start {
            continue;
        }
        let early = span.start.saturating_sub(log.time);
        let late = log.time.saturating_sub(span.end);
        if early > tolerance || late > tolerance {
            at(log_outside_span::INFO.code, Some(span_id), &|| {
                let when = if early > tolerance {
                    format!("{} before the start", fmt_ns(early))
                } else {
                    format!("{} after the start", fmt_ns(log.time - span.start))
                };
                format!(
                    "{} at {when} of span {span_id} {:?}, which lasts {}",
                    what(),
                    dump.str(span.name),
                    fmt_ns(span.end - span.start)
                )
            });
        }
    }
    (out, correlated)
}

/// `log "payment declined"`, or `log` when it has no text.
fn describe(dump: &Dump, log: &LogRec) -> String {
    let text = dump.str(log.excerpt);
    if text.is_empty() { "log".to_string() } else { format!("log {text:?}") }
}
