use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::Dropped;

/// A005.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::A005,
    name: "dropped-by-sdk",
    summary: "An SDK dropped attributes, events or links of a span, its scope or its resource to stay within its limits",
    doc: "\
What it checks
  OTLP says what an SDK left out to stay within its limits: droppedAttributesCount on spans,
  events, links, instrumentation scopes and resources, droppedEventsCount and
  droppedLinksCount on spans (JSON and protobuf). Each span with a count above zero is
  reported with what it lost (its scope's losses with it), and each resource once.

Why it matters
  A rule about an attribute passes or fails on what the SDK kept: an `http.route` cut by
  the attribute count limit looks like a missing attribute, an exception event dropped by
  the event limit looks like an error without a reason. Findings of rules on such spans
  say so; this check says where the data was cut.

Example
  sample-traces/checks/A005-dropped-by-sdk.jsonl:4: span 00f067aa0ba90015 \"charge\" lost
  data to SDK limits: 12 attribute(s), 3 event(s), 2 link(s), 1 attribute(s) of its events
  and links

How to fix
  Raise the SDK's span limits (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, OTEL_SPAN_EVENT_COUNT_LIMIT,
  OTEL_SPAN_LINK_COUNT_LIMIT, OTEL_ATTRIBUTE_COUNT_LIMIT), or record less on the span: a
  loop that adds an event per item belongs in a metric or a child span.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for n in cx.nodes() {
        let s = cx.span(n);
        let scope = cx.dump.scopes.get(s.scope as usize).map_or(0, |sc| sc.dropped_attrs);
        if s.dropped.is_empty() && scope == 0 {
            continue;
        }
        let mut lost = what_was_lost(s.dropped);
        if scope > 0 {
            lost.push(format!("{scope} attribute(s) of its instrumentation scope"));
        }
        let msg = format!("span {} {:?} lost data to SDK limits: {}", s.span_id, cx.dump.str(s.name), lost.join(", "));
        out.push(super::on_span(INFO.code, cx, n, msg));
    }
}

/// A count as said: saturated counts are "65535 or more".
fn said(n: u16) -> String {
    if n == Dropped::MAX { format!("{n} or more") } else { n.to_string() }
}

/// What a span's counts say was dropped, in words.
fn what_was_lost(d: Dropped) -> Vec<String> {
    [
        (d.attrs, "attribute(s)"),
        (d.events, "event(s)"),
        (d.links, "link(s)"),
        (d.nested_attrs, "attribute(s) of its events and links"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{} {what}", said(n)))
    .collect()
}
