use super::{CheckInfo, Code, Finding, Severity};
use crate::model::{Dump, Sym, ValueType};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// A004.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::A004,
    name: "inconsistent-attribute-type",
    severity: Severity::Warning,
    summary: "One attribute key has several value types across spans of one operation",
    doc: "\
What it checks
  Within one operation (service name and span name), each span attribute key always has
  the same OTLP value type. The finding names the key, the types seen with how many spans,
  and one span of each type, the rarest type first.

Why it matters
  Typed queries (`span.http.status_code >= 500`) silently miss the spans where the value is
  a string; aggregations split. It usually means two code paths set the attribute differently.

Example
  traces.json:4: operation \"checkout\" / \"charge\": attribute \"retry.count\" is int in 120
  spans and string in 3 spans

How to fix
  Set the attribute with one type everywhere (numbers as numbers, not formatted strings).
",
};

type Key = (Sym, Sym, Sym);
/// Per value type: number of spans and an example span (see [`earliest`]).
type Seen = BTreeMap<ValueType, (u64, u32)>;

pub fn run(dump: &Dump, out: &mut Vec<Finding>) {
    let merged: HashMap<Key, Seen> = dump
        .spans
        .par_iter()
        .enumerate()
        .fold(HashMap::<Key, Seen>::new, |mut acc, (i, s)| {
            let service = dump.resource(s).service_name.unwrap_or(Sym::EMPTY);
            for a in dump.span_attrs(s) {
                let e = acc
                    .entry((service, s.name, a.key))
                    .or_default()
                    .entry(a.value.value_type())
                    .or_insert((0, i as u32));
                e.0 += 1;
                e.1 = earliest(dump, e.1, i as u32);
            }
            acc
        })
        .reduce(HashMap::new, |mut a, b| {
            for (k, seen) in b {
                let into = a.entry(k).or_default();
                for (t, (n, first)) in seen {
                    let e = into.entry(t).or_insert((0, first));
                    e.0 += n;
                    e.1 = earliest(dump, e.1, first);
                }
            }
            a
        });
    let mut found: Vec<Finding> = merged
        .into_iter()
        .filter(|(_, seen)| seen.len() > 1)
        .map(|((service, name, key), seen)| {
            let kinds: Vec<String> = seen
                .iter()
                .map(|(t, (n, _))| format!("{} in {n} span{}", t.as_str(), if *n == 1 { "" } else { "s" }))
                .collect();
            let msg = format!(
                "operation {:?} / {:?}: attribute {:?} is {}",
                dump.str(service),
                dump.str(name),
                dump.str(key),
                kinds.join(" and ")
            );
            // One span per type, the rarest type first: the odd one out is the likely defect.
            let mut by_rarity: Vec<(u64, u32)> = seen.values().copied().collect();
            by_rarity.sort_by_key(|&(n, _)| n);
            let examples: Vec<&crate::model::Span> = by_rarity.iter().map(|(_, i)| &dump.spans[*i as usize]).collect();
            let mut f = Finding::new(INFO.code, msg);
            f.trace_id = examples.first().map(|s| s.trace_id);
            f.span_ids = examples.iter().map(|s| s.span_id).collect();
            f.loc = examples.first().map(|s| s.loc);
            f
        })
        .collect();
    found.sort_by(|a, b| a.message.cmp(&b.message));
    out.extend(found);
}

/// Of two spans, the one with the lower (trace id, span id, start): a choice that does not
/// depend on the order of the input.
fn earliest(dump: &Dump, a: u32, b: u32) -> u32 {
    let key = |i: u32| {
        let s = &dump.spans[i as usize];
        (s.trace_id, s.span_id, s.start)
    };
    if key(b) < key(a) { b } else { a }
}
