//! What the rules found in some traces (matches, groups, aggregate samples), kept
//! until the whole dump is seen and merged across workers and partitions.

use super::eval::{RegexMemo, Rv};
use crate::finding::Finding;
use crate::model::time::fmt_ns;
use crate::model::{Dump, SpanKind, SpanRef, StatusCode, Sym, TraceId, ValueType};
use std::collections::{BTreeMap, HashMap};

/// A group key part: a field value that can be hashed and ordered. `S` is a symbol while a
/// string table is at hand, the string itself in partial results ([`KeyVal`]), so that
/// groups of different runs (with different string tables) meet.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyPart<S = Sym> {
    Nil,
    Str(S),
    Int(i64),
    /// The bits of an `f64`.
    Float(u64),
    Bool(bool),
    Duration(u64),
    Status(StatusCode),
    Kind(SpanKind),
    Other(ValueType),
}

impl KeyPart {
    pub(super) fn of(v: Rv) -> KeyPart {
        match v {
            // Ids are refused as group keys when the pack is loaded.
            Rv::Nil | Rv::Text(_) | Rv::TraceId(_) | Rv::SpanId(_) => KeyPart::Nil,
            Rv::Str(s) => KeyPart::Str(s),
            Rv::Int(n) => KeyPart::Int(n),
            Rv::Float(f) => KeyPart::Float(f.to_bits()),
            Rv::Bool(b) => KeyPart::Bool(b),
            Rv::Duration(d) => KeyPart::Duration(d),
            Rv::Status(s) => KeyPart::Status(s),
            Rv::Kind(k) => KeyPart::Kind(k),
            Rv::Other(t) => KeyPart::Other(t),
        }
    }

    pub(super) fn value(self) -> Rv {
        match self {
            KeyPart::Nil => Rv::Nil,
            KeyPart::Str(s) => Rv::Str(s),
            KeyPart::Int(n) => Rv::Int(n),
            KeyPart::Float(b) => Rv::Float(f64::from_bits(b)),
            KeyPart::Bool(b) => Rv::Bool(b),
            KeyPart::Duration(d) => Rv::Duration(d),
            KeyPart::Status(s) => Rv::Status(s),
            KeyPart::Kind(k) => Rv::Kind(k),
            KeyPart::Other(t) => Rv::Other(t),
        }
    }

    /// The part with its string spelled out from `dump`'s table.
    fn spelled(self, dump: &Dump) -> KeyVal {
        self.map_str(|s| dump.str(s).to_string())
    }
}

impl<S> KeyPart<S> {
    /// The same part with its string (if any) mapped by `f`.
    fn map_str<T>(self, f: impl FnOnce(S) -> T) -> KeyPart<T> {
        match self {
            KeyPart::Str(s) => KeyPart::Str(f(s)),
            KeyPart::Nil => KeyPart::Nil,
            KeyPart::Int(n) => KeyPart::Int(n),
            KeyPart::Float(b) => KeyPart::Float(b),
            KeyPart::Bool(b) => KeyPart::Bool(b),
            KeyPart::Duration(d) => KeyPart::Duration(d),
            KeyPart::Status(s) => KeyPart::Status(s),
            KeyPart::Kind(k) => KeyPart::Kind(k),
            KeyPart::Other(t) => KeyPart::Other(t),
        }
    }
}

pub(super) type GroupKey = Vec<KeyPart>;

/// A group key part with its string spelled out.
pub type KeyVal = KeyPart<String>;

impl KeyVal {
    /// The value as rule messages show it (as [`super::eval::Cx::show`] does).
    pub(super) fn show(&self) -> String {
        match self {
            KeyVal::Nil => "nil".into(),
            KeyVal::Str(s) => format!("{s:?}"),
            KeyVal::Int(n) => n.to_string(),
            KeyVal::Float(b) => f64::from_bits(*b).to_string(),
            KeyVal::Bool(b) => b.to_string(),
            KeyVal::Duration(d) => fmt_ns(*d),
            KeyVal::Status(s) => s.as_str().into(),
            KeyVal::Kind(k) => k.as_str().into(),
            KeyVal::Other(t) => format!("<{}>", t.as_str()),
        }
    }
}

/// Keeps the first of two "first" notes: the one of the lower trace, as one pass over the
/// traces in id order would.
pub(super) fn first_of<T: Ord>(a: Option<(T, String)>, b: Option<(T, String)>) -> Option<(T, String)> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.0 < x.0 { y } else { x }),
        (x, y) => x.or(y),
    }
}

/// Matches of one group: counts and, per aggregate with an argument, its values with the
/// span each came from (`S`: an index while a trace or partition is at hand, a
/// [`SpanRef`] in partial results).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct GroupAcc<S = u32> {
    pub(super) matched: u64,
    pub(super) errors: u64,
    pub(super) values: Vec<Vec<(f64, S)>>,
    /// The first value that is not a number, described, with its trace.
    pub(super) bad: Option<(TraceId, String)>,
}

impl<S> Default for GroupAcc<S> {
    fn default() -> Self {
        GroupAcc { matched: 0, errors: 0, values: Vec::new(), bad: None }
    }
}

impl<S> GroupAcc<S> {
    pub(super) fn merge(&mut self, other: GroupAcc<S>) {
        self.matched += other.matched;
        self.errors += other.errors;
        if self.values.len() < other.values.len() {
            self.values.resize_with(other.values.len(), Vec::new);
        }
        for (a, b) in self.values.iter_mut().zip(other.values) {
            a.extend(b);
        }
        self.bad = first_of(self.bad.take(), other.bad);
    }
}

/// Per-rule counts from the traces seen so far.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    pub(super) matched: u64,
    /// `any`: matches satisfying every expectation.
    pub(super) satisfied: u64,
    /// Trace-scope aggregates: groups that were inconclusive, with the first reason (and
    /// its trace).
    pub(super) inconclusive: u64,
    pub(super) inconclusive_reason: Option<(TraceId, String)>,
    pub(super) error: Option<(TraceId, String)>,
}

impl Tally {
    fn merge(&mut self, b: Tally) {
        self.matched += b.matched;
        self.satisfied += b.satisfied;
        self.inconclusive += b.inconclusive;
        self.inconclusive_reason = first_of(self.inconclusive_reason.take(), b.inconclusive_reason);
        self.error = first_of(self.error.take(), b.error);
    }
}

/// One group of a dump-scope aggregate rule in partial results.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct GroupRec {
    pub(super) rule: u32,
    pub(super) key: Vec<KeyVal>,
    #[serde(flatten)]
    pub(super) acc: GroupAcc<SpanRef>,
}

/// What the rules gathered that only the whole dump settles, with strings spelled out and
/// spans named: per-rule tallies, and the groups of dump-scope aggregates with every value.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RuleTotals {
    pub(super) tallies: Vec<Tally>,
    pub(super) groups: Vec<GroupRec>,
}

impl RuleTotals {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: RuleTotals) {
        if self.tallies.len() < other.tallies.len() {
            self.tallies.resize(other.tallies.len(), Tally::default());
        }
        for (a, b) in self.tallies.iter_mut().zip(other.tallies) {
            a.merge(b);
        }
        self.groups.extend(other.groups);
    }

    /// Spans that kept values of `rule`'s groups.
    pub fn value_spans(&self, rule: usize) -> impl Iterator<Item = &SpanRef> {
        self.groups
            .iter()
            .filter(move |g| g.rule as usize == rule)
            .flat_map(|g| g.acc.values.iter().flatten().map(|v| &v.1))
    }

    /// The groups, each key once, in key order.
    pub(super) fn grouped(self) -> BTreeMap<(u32, Vec<KeyVal>), GroupAcc<SpanRef>> {
        let mut out: BTreeMap<(u32, Vec<KeyVal>), GroupAcc<SpanRef>> = BTreeMap::new();
        for g in self.groups {
            out.entry((g.rule, g.key)).or_default().merge(g.acc);
        }
        out
    }
}

/// What the rules found in some traces; merged across traces, then spelled out
/// ([`TracePartial::totals`]) and settled by [`RuleSet::finish`](super::RuleSet::finish).
#[derive(Debug, Default)]
pub struct TracePartial {
    pub findings: Vec<Finding>,
    pub(super) tallies: Vec<Tally>,
    pub(super) groups: HashMap<(u32, GroupKey), GroupAcc>,
    /// Regex outcomes of the worker filling this partial (not merged: only a cache).
    pub(super) memo: RegexMemo,
}

impl TracePartial {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: TracePartial) {
        self.findings.extend(other.findings);
        if self.tallies.len() < other.tallies.len() {
            self.tallies.resize(other.tallies.len(), Tally::default());
        }
        for (a, b) in self.tallies.iter_mut().zip(other.tallies) {
            a.merge(b);
        }
        for (k, v) in other.groups {
            self.groups.entry(k).or_default().merge(v);
        }
    }

    /// The tallies and groups with their strings spelled out and each value's span named,
    /// from the spans of `dump` the values' indexes point at.
    pub fn totals(self, dump: &Dump) -> RuleTotals {
        let groups = self
            .groups
            .into_iter()
            .map(|((rule, key), acc)| GroupRec {
                rule,
                key: key.into_iter().map(|k| k.spelled(dump)).collect(),
                acc: GroupAcc {
                    matched: acc.matched,
                    errors: acc.errors,
                    values: acc
                        .values
                        .into_iter()
                        .map(|vs| {
                            vs.into_iter().map(|(x, i)| (x, SpanRef::of(dump, &dump.spans[i as usize]))).collect()
                        })
                        .collect(),
                    bad: acc.bad,
                },
            })
            .collect();
        RuleTotals { tallies: self.tallies, groups }
    }
}
