//! The resource pass, shared by A001, A002, A003 and A005: resources are checked once per
//! distinct content, not once per record that repeats them, and each finding points at the
//! lowest span of the resource.

use super::{Finding, duplicate_attribute_key, empty_attribute_key, missing_service_name};
use crate::model::{Dump, SourceLoc, SpanRef};
use std::collections::BTreeMap;

/// For each resource of `dump`, the lowest of its spans ([`SpanRef`] order), folded into
/// `into` (one entry per resource; spans of one resource may come in several parts).
pub fn examples(dump: &Dump, into: &mut Vec<Option<SpanRef>>) {
    into.resize(dump.resources.len(), None);
    for s in &dump.spans {
        let r = SpanRef::of(dump, s);
        let e = &mut into[s.resource as usize];
        if e.is_none_or(|x| r < x) {
            *e = Some(r);
        }
    }
}

/// The resources of one content that have spans, as partial results carry them: what the
/// checks find in the content, and each resource with its lowest span.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ResourceRec {
    /// The attributes, sorted, as `key=value` text.
    pub text: String,
    pub missing_service: bool,
    /// A002 and A003 findings about the attributes (without their record count).
    pub attr_findings: Vec<Finding>,
    /// Each resource with this content and spans: its index, its location and its lowest
    /// span.
    pub used: Vec<(u32, SourceLoc, SpanRef)>,
}

/// The resources of `dump` that have an example span, by content.
pub fn summarize(dump: &Dump, example: &[Option<SpanRef>]) -> Vec<ResourceRec> {
    let mut by_text: BTreeMap<String, ResourceRec> = BTreeMap::new();
    for (i, r) in dump.resources.iter().enumerate() {
        let Some(ex) = example.get(i).copied().flatten() else { continue };
        let attrs = &dump.attrs[r.attrs.range()];
        let mut parts: Vec<String> =
            attrs.iter().map(|a| format!("{}={}", dump.str(a.key), dump.value_text(&a.value()))).collect();
        parts.sort();
        let mut text = parts.join(", ");
        // Resources that lost attributes differ from their complete twins.
        if r.dropped_attrs > 0 {
            text.push_str(&format!(" (and {} attribute(s) dropped by the SDK)", r.dropped_attrs));
        }
        let rec = by_text.entry(text.clone()).or_insert_with(|| {
            let what = || "resource".to_string();
            ResourceRec {
                text,
                missing_service: r.service_name.is_none_or(|s| dump.str(s).is_empty()),
                attr_findings: empty_attribute_key::findings(dump, attrs, &what)
                    .into_iter()
                    .chain(duplicate_attribute_key::findings(dump, attrs, &what))
                    .chain((r.dropped_attrs > 0).then(|| {
                        let service = r.service_name.map_or("(no service.name)", |s| dump.str(s));
                        Finding::new(
                            super::Code::A005,
                            format!("resource of {service:?} lost {} attribute(s) to SDK limits", r.dropped_attrs),
                        )
                    }))
                    .collect(),
                used: Vec::new(),
            }
        });
        rec.used.push((i as u32, r.loc, ex));
    }
    by_text.into_values().collect()
}

type Distinct = BTreeMap<String, (ResourceRec, BTreeMap<u32, (SourceLoc, SpanRef)>)>;

fn distinct(recs: Vec<ResourceRec>) -> Distinct {
    let mut distinct: Distinct = BTreeMap::new();
    for mut r in recs {
        let used = std::mem::take(&mut r.used);
        let e = distinct.entry(r.text.clone()).or_insert_with(|| (r, BTreeMap::new()));
        for (i, loc, ex) in used {
            let slot = e.1.entry(i).or_insert((loc, ex));
            slot.1 = slot.1.min(ex);
        }
    }
    distinct
}

/// The records with each content once, each resource once.
pub fn compact(recs: Vec<ResourceRec>) -> Vec<ResourceRec> {
    distinct(recs)
        .into_values()
        .map(|(mut rec, used)| {
            rec.used = used.into_iter().map(|(i, (loc, ex))| (i, loc, ex)).collect();
            rec
        })
        .collect()
}

/// Checks every distinct resource content that has spans: A001, and A002/A003 on its
/// attributes; each finding points at the lowest span of the content's resources.
pub fn run(recs: Vec<ResourceRec>, out: &mut Vec<Finding>) {
    for (_, (rec, used)) in distinct(recs) {
        let Some((loc, ex)) = used.values().min_by_key(|(_, ex)| *ex).copied() else { continue };
        let n = used.len();
        let where_ = if n == 1 { String::new() } else { format!(", in {n} records") };
        let at = |mut f: Finding| {
            f.loc = Some(loc);
            f.trace_id = Some(ex.trace_id);
            f.span_ids = vec![ex.span_id];
            f
        };
        if rec.missing_service {
            out.push(at(missing_service_name::finding(&rec.text, &where_)));
        }
        for mut f in rec.attr_findings {
            f.message.push_str(&where_);
            out.push(at(f));
        }
    }
}
