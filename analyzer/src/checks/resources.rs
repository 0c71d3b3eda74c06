//! The resource pass, shared by A001, A002 and A003: resources are checked once per
//! distinct content, not once per record that repeats them, and each finding points at the
//! lowest span of the resource.

use super::{Finding, duplicate_attribute_key, empty_attribute_key, missing_service_name};
use crate::model::{Dump, SpanRef};
use std::collections::BTreeMap;

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

/// Checks every distinct resource that has spans: A001, and A002/A003 on its attributes.
pub fn run(dump: &Dump, example: &[Option<SpanRef>], out: &mut Vec<Finding>) {
    // Distinct resources by attribute content: (the resource with the lowest example span,
    // number of records).
    let mut distinct: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (i, r) in dump.resources.iter().enumerate() {
        let Some(ex) = example.get(i).copied().flatten() else { continue };
        let mut parts: Vec<String> = dump.attrs[r.attrs.range()]
            .iter()
            .map(|a| format!("{}={}", dump.str(a.key), dump.value_text(&a.value())))
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
            out.push(at(missing_service_name::finding(&text, &where_)));
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
