use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::StatusCode;

/// E001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::E001,
    name: "error-without-message",
    summary: "A span with ERROR status has no status message and no exception or error event",
    doc: "\
What it checks
  A span whose status is ERROR (code 2) says what went wrong: a non-empty status message,
  or an event named `exception` (as `record_exception` writes) or `error` (as Jaeger clients
  log errors).

Why it matters
  During an incident an error span without a reason forces people to find and read logs
  for every failure; with the reason in the span the trace alone tells the story.

Example
  sample-traces/checks/E001-error-without-message.jsonl:4: span 00f067aa0ba90014 \"job\" has
  status ERROR but no status message and no exception event

How to fix
  Set the status with a description (`Status::error(\"quorum failed\")`) or record the
  exception on the span before ending it.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for n in cx.nodes() {
        let s = cx.span(n);
        if s.status != StatusCode::Error || !cx.dump.str(s.status_message).is_empty() {
            continue;
        }
        if cx.dump.span_events(s).iter().any(|e| matches!(cx.dump.str(e.name), "exception" | "error")) {
            continue;
        }
        let msg = format!(
            "span {} {:?} has status ERROR but no status message and no exception event",
            s.span_id,
            cx.dump.str(s.name)
        );
        out.push(super::on_span(INFO.code, cx, n, msg));
    }
}
