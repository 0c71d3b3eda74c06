use super::{CheckInfo, Code, Finding, Severity, duplicate_attribute_key, empty_attribute_key};
use crate::model::{Dump, SpanRef, Value};
use std::collections::BTreeMap;

/// A001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::A001,
    name: "missing-service-name",
    severity: Severity::Warning,
    summary: "A resource that has spans lacks a service.name attribute",
    doc: "\
What it checks
  Every resource that carries spans has a non-empty string attribute `service.name`. Identical
  resources (same attributes), as the file exporter repeats them line after line, are
  reported once, with the number of records they appear in.

Why it matters
  The service name is how every backend and every tracecheck report groups operations;
  without it spans from different services mix under one empty name.

Example
  traces.json:1: resource without service.name (host.name=\"web-1\", telemetry.sdk.name=
  \"opentelemetry\"), in 3 records

How to fix
  Set OTEL_SERVICE_NAME, or add `service.name` to the SDK's Resource.
",
};

/// For each resource of `dump`, the lowest of its spans ([`SpanRef`] order), folded into
/// `into` (one entry per resource; spans of one resource may come in several parts).
pub fn examples(dump: &Dump, into: &mut Vec<Option<SpanRef>>) {
    into.resize(dump.resources.len(), None);
    for s in &dump.spans {
        let r = SpanRef::of(s);
        let e = &mut into[s.resource as usize];
        if e.is_none_or(|x| r < x) {
            *e = Some(r);
        }
    }
}

/// Checks every distinct resource that has spans: A001 here, and A002/A003 on its
/// attributes (resources are checked once, not once per record that repeats them).
pub fn run(dump: &Dump, example: &[Option<SpanRef>], out: &mut Vec<Finding>) {
    // Distinct resources by attribute content: (the resource with the lowest example span,
    // number of records).
    let mut distinct: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (i, r) in dump.resources.iter().enumerate() {
        let Some(ex) = example.get(i).copied().flatten() else { continue };
        let mut parts: Vec<String> = dump.attrs[r.attrs.range()]
            .iter()
            .map(|a| format!("{}={}", dump.str(a.key), show(dump, &a.value())))
            .collect();
        parts.sort();
        let e = distinct.entry(parts.join(", ")).or_insert((i, 0));
        if example[e.0].is_none_or(|cur| ex < cur) {
            e.0 = i;
        }
        e.1 += 1;
    }
    for (text, (idx, n)) in distinct {
        let r = &dump.resources[idx];
        let attrs = &dump.attrs[r.attrs.range()];
        let where_ = if n == 1 { String::new() } else { format!(", in {n} records") };
        let at = |mut f: Finding| {
            f.loc = Some(r.loc);
            if let Some(s) = example[idx] {
                f.trace_id = Some(s.trace_id);
                f.span_ids = vec![s.span_id];
            }
            f
        };
        if r.service_name.is_none_or(|s| dump.str(s).is_empty()) {
            let shown = if text.is_empty() { "no attributes".to_string() } else { text.clone() };
            out.push(at(Finding::new(INFO.code, format!("resource without service.name ({shown}){where_}"))));
        }
        let what = || "resource".to_string();
        for mut f in empty_attribute_key::findings(dump, attrs, &what)
            .into_iter()
            .chain(duplicate_attribute_key::findings(dump, attrs, &what))
        {
            f.message.push_str(&where_);
            out.push(at(f));
        }
    }
}

/// A value as short text for messages.
pub fn show(dump: &Dump, v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{:?}", dump.str(*s)),
        Value::Bytes(s) | Value::Array(s) | Value::Map(s) => dump.str(*s).to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Empty => "(empty)".into(),
    }
}
