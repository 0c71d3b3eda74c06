use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::{Attr, Dump, Sym};

/// A002.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::A002,
    name: "empty-attribute-key",
    summary: "An attribute has an empty key",
    doc: "\
What it checks
  Attribute keys of spans and resources are non-empty (the OpenTelemetry specification
  requires it).

Why it matters
  An attribute without a key cannot be queried, and backends drop or rename it differently;
  it usually comes from building keys out of variables that were empty.

Example
  sample-traces/checks/A002-empty-attribute-key.jsonl:4: span 00f067aa0ba90014 \"job\" has an
  attribute with an empty key (value \"x\")

How to fix
  Find where the key is computed and make sure it is never empty; use the semantic
  conventions' fixed names.
",
};

/// Findings for the attributes of one span or resource (`what` names it in the message;
/// called only when there is a finding).
pub fn findings(dump: &Dump, attrs: &[Attr], what: &dyn Fn() -> String) -> Vec<Finding> {
    attrs
        .iter()
        // The empty string is always symbol 0: no string lookup per attribute.
        .filter(|a| a.key == Sym::EMPTY)
        .map(|a| {
            let v = dump.value_text(&a.value());
            Finding::new(INFO.code, format!("{} has an attribute with an empty key (value {v})", what()))
        })
        .collect()
}

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for n in cx.nodes() {
        let s = cx.span(n);
        let what = || format!("span {} {:?}", s.span_id, cx.dump.str(s.name));
        for f in findings(cx.dump, cx.dump.span_attrs(s), &what) {
            out.push(Finding { trace_id: Some(s.trace_id), span_ids: vec![s.span_id], loc: Some(cx.dump.loc(s)), ..f });
        }
    }
}
