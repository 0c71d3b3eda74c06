use super::{CheckInfo, Code, Finding};
use crate::model::{Dump, SpanRef, Sym, ValueType};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// A004.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::A004,
    name: "inconsistent-attribute-type",
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
  sample-traces/checks/A004-inconsistent-attribute-type.jsonl:4: operation \"payments\" /
  \"Payments/Charge\": attribute \"rpc.system\" is string in 2 spans and int in 1 span

How to fix
  Set the attribute with one type everywhere (numbers as numbers, not formatted strings).
",
};

type Key = (Sym, Sym, Sym);
/// Per value type (indexed by [`ValueType`]): number of spans and the lowest example span
/// ([`SpanRef`] order).
type Seen = [Option<(u64, SpanRef)>; ValueType::ALL.len()];

/// Value types seen per (service, span name, attribute key); merged across parts of a dump.
/// Keys are symbols of one string table, numbered in order of appearance: the input cannot
/// choose them, so a fast fixed hash is safe.
#[derive(Debug, Default)]
pub struct Types(HashMap<Key, Seen, foldhash::fast::FixedState>);

impl Types {
    fn add(&mut self, key: Key, t: ValueType, n: u64, example: SpanRef) {
        let slot = &mut self.0.entry(key).or_insert([None; ValueType::ALL.len()])[t as usize];
        match slot {
            Some((count, ex)) => {
                *count += n;
                *ex = (*ex).min(example);
            }
            None => *slot = Some((n, example)),
        }
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: Types) {
        for (k, seen) in other.0 {
            for (t, (n, ex)) in types_seen(&seen) {
                self.add(k, t, n, ex);
            }
        }
    }
}

/// The types seen, in [`ValueType`] order.
fn types_seen(seen: &Seen) -> impl Iterator<Item = (ValueType, (u64, SpanRef))> + '_ {
    ValueType::ALL.iter().zip(seen).filter_map(|(t, s)| s.map(|s| (*t, s)))
}

/// The value types of the attributes of every span of `dump`.
pub fn tally(dump: &Dump) -> Types {
    dump.spans
        .par_iter()
        .fold(Types::default, |mut acc, s| {
            let service = dump.resource(s).service_name.unwrap_or(Sym::EMPTY);
            for a in dump.span_attrs(s) {
                acc.add((service, s.name, a.key), a.value_type(), 1, SpanRef::of(dump, s));
            }
            acc
        })
        .reduce(Types::default, |mut a, b| {
            a.merge(b);
            a
        })
}

/// The types of one (service, span name, attribute key) in partial results: per type seen,
/// its name, the spans with it, and the lowest of them.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TypeRec {
    pub service: String,
    pub name: String,
    pub key: String,
    pub seen: Vec<(String, u64, SpanRef)>,
}

impl Types {
    /// Each key with its strings spelled out, from `dump`'s string table.
    pub fn named(self, dump: &Dump) -> Vec<TypeRec> {
        self.0
            .into_iter()
            .map(|((service, name, key), seen)| TypeRec {
                service: dump.str(service).to_string(),
                name: dump.str(name).to_string(),
                key: dump.str(key).to_string(),
                seen: types_seen(&seen).map(|(t, (n, ex))| (t.as_str().to_string(), n, ex)).collect(),
            })
            .collect()
    }
}

type Named = BTreeMap<(String, String, String), Seen>;

fn by_key(recs: Vec<TypeRec>) -> Named {
    let mut merged: Named = BTreeMap::new();
    for r in recs {
        let slot = merged.entry((r.service, r.name, r.key)).or_insert([None; ValueType::ALL.len()]);
        for (t, n, ex) in r.seen {
            let Some(t) = ValueType::ALL.iter().position(|x| x.as_str() == t) else { continue };
            slot[t] = Some(match slot[t] {
                Some((m, e)) => (m + n, e.min(ex)),
                None => (n, ex),
            });
        }
    }
    merged
}

/// The records with each key once.
pub fn compact(recs: Vec<TypeRec>) -> Vec<TypeRec> {
    by_key(recs)
        .into_iter()
        .map(|((service, name, key), seen)| TypeRec {
            service,
            name,
            key,
            seen: types_seen(&seen).map(|(t, (n, ex))| (t.as_str().to_string(), n, ex)).collect(),
        })
        .collect()
}

/// Reports every key with more than one type.
pub fn run(recs: Vec<TypeRec>, out: &mut Vec<Finding>) {
    let mut found: Vec<Finding> = by_key(recs)
        .into_iter()
        .filter(|(_, seen)| types_seen(seen).nth(1).is_some())
        .map(|((service, name, key), seen)| {
            let kinds: Vec<String> = types_seen(&seen)
                .map(|(t, (n, _))| format!("{} in {n} span{}", t.as_str(), if n == 1 { "" } else { "s" }))
                .collect();
            let msg = format!("operation {service:?} / {name:?}: attribute {key:?} is {}", kinds.join(" and "));
            // One span per type, the rarest type first: the odd one out is the likely defect.
            let mut by_rarity: Vec<(u64, SpanRef)> = types_seen(&seen).map(|(_, s)| s).collect();
            by_rarity.sort_by_key(|&(n, _)| n);
            let mut f = Finding::new(INFO.code, msg);
            f.trace_id = by_rarity.first().map(|(_, s)| s.trace_id);
            f.span_ids = by_rarity.iter().map(|(_, s)| s.span_id).collect();
            f.loc = by_rarity.first().map(|(_, s)| s.loc);
            f
        })
        .collect();
    found.sort_by(|a, b| a.message.cmp(&b.message));
    out.extend(found);
}
