//! What the rules found in some traces (matches, groups, aggregate samples), kept
//! until the whole dump is seen and merged across workers and partitions.

use super::eval::{RegexMemo, Rv};
use crate::finding::Finding;
use crate::model::{SpanKind, StatusCode, Sym, ValueType};
use std::collections::HashMap;

/// A group key part: a field value that can be hashed and ordered.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(super) enum KeyPart {
    Nil,
    Str(Sym),
    Int(i64),
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
            Rv::Nil | Rv::Text(_) => KeyPart::Nil,
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
}

pub(super) type GroupKey = Vec<KeyPart>;

/// Matches of one group: counts and, per aggregate with an argument, its values with the
/// span (dump index) each came from.
#[derive(Debug, Default)]
pub(super) struct GroupAcc {
    pub(super) matched: u64,
    pub(super) errors: u64,
    pub(super) values: Vec<Vec<(f64, u32)>>,
    /// The first value that is not a number, described.
    pub(super) bad: Option<String>,
}

impl GroupAcc {
    pub(super) fn merge(&mut self, other: GroupAcc) {
        self.matched += other.matched;
        self.errors += other.errors;
        if self.values.len() < other.values.len() {
            self.values.resize_with(other.values.len(), Vec::new);
        }
        for (a, b) in self.values.iter_mut().zip(other.values) {
            a.extend(b);
        }
        self.bad = self.bad.take().or(other.bad);
    }
}

/// Per-rule counts from the traces seen so far.
#[derive(Clone, Debug, Default)]
pub(super) struct Tally {
    pub(super) matched: u64,
    /// `any`: matches satisfying every expectation.
    pub(super) satisfied: u64,
    /// Trace-scope aggregates: groups that were inconclusive, with the first reason.
    pub(super) inconclusive: u64,
    pub(super) inconclusive_reason: Option<String>,
    pub(super) error: Option<String>,
}

/// What the rules found in some traces; merged across traces, then settled by
/// [`RuleSet::finish`](super::RuleSet::finish).
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
            a.matched += b.matched;
            a.satisfied += b.satisfied;
            a.inconclusive += b.inconclusive;
            a.inconclusive_reason = a.inconclusive_reason.take().or(b.inconclusive_reason);
            a.error = a.error.take().or(b.error);
        }
        for (k, v) in other.groups {
            self.groups.entry(k).or_default().merge(v);
        }
    }

    /// Rewrites the dump indexes that kept values carry through `global` (index in one
    /// partition → index in the whole dump), before partitions are merged.
    pub fn globalize(&mut self, global: &[u32]) {
        for acc in self.groups.values_mut() {
            for v in acc.values.iter_mut().flatten() {
                v.1 = global[v.1 as usize];
            }
        }
    }
}
