use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::{Attr, Dump, Sym};

/// A003.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::A003,
    name: "duplicate-attribute-key",
    summary: "A span or resource has the same attribute key more than once",
    doc: "\
What it checks
  Within one span (or one resource), each attribute key appears once.

Why it matters
  With duplicate keys it is undefined which value a backend keeps; queries and rules may
  see either. It usually means two layers set the same attribute.

Example
  sample-traces/checks/A003-duplicate-attribute-key.jsonl:4: span 00f067aa0ba90014 \"job\" has
  attribute \"k\" 2 times

How to fix
  Set each attribute in one place; when enriching, overwrite instead of appending.
",
};

/// Findings for the attributes of one span or resource (`what` names it in the message;
/// called only when there is a finding).
pub fn findings(dump: &Dump, attrs: &[Attr], what: &dyn Fn() -> String) -> Vec<Finding> {
    // Most spans have a handful of attributes and no repeated key: check without allocating.
    let repeated = if attrs.len() <= 32 {
        attrs.iter().enumerate().any(|(i, a)| attrs[i + 1..].iter().any(|b| b.key == a.key))
    } else {
        true
    };
    if attrs.len() < 2 || !repeated {
        return Vec::new();
    }
    let what = what();
    let mut keys: Vec<Sym> = attrs.iter().map(|a| a.key).collect();
    keys.sort_unstable();
    let mut out = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let j = i + keys[i..].iter().take_while(|&&k| k == keys[i]).count();
        if j - i > 1 && keys[i] != Sym::EMPTY {
            out.push(Finding::new(INFO.code, format!("{what} has attribute {:?} {} times", dump.str(keys[i]), j - i)));
        }
        i = j;
    }
    out.sort_by(|a, b| a.message.cmp(&b.message));
    out
}

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for n in cx.nodes() {
        let s = cx.span(n);
        let attrs = cx.dump.span_attrs(s);
        if attrs.len() < 2 {
            continue;
        }
        let what = || format!("span {} {:?}", s.span_id, cx.dump.str(s.name));
        for f in findings(cx.dump, attrs, &what) {
            out.push(Finding { trace_id: Some(s.trace_id), span_ids: vec![s.span_id], loc: Some(cx.dump.loc(s)), ..f });
        }
    }
}
