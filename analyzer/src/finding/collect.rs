//! Findings counted exactly and listed within a bound: a rule that fails on every span
//! costs a counter, not memory.
//!
//! Each check code or rule keeps at most `max` examples: the first ones in report order
//! ([`Finding::sort_key`], then the source location), so the examples are the same however
//! the dump is split into files, partitions or workers, and whatever order they ran in.

use super::{CheckId, Finding, Severity};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// How many examples each check code or rule lists by default.
pub const DEFAULT_MAX_FINDINGS: usize = 100;

/// The findings of one check code or rule: the exact count and the examples kept.
#[derive(Clone, Debug, Default)]
struct PerCode {
    count: u64,
    suppressed: u64,
    /// The `max` first examples in report order; the top of the heap is the last of them.
    examples: BinaryHeap<Ranked>,
}

/// A finding ordered as reports list them, with its location as the last tie-break so the
/// order is total.
#[derive(Clone, Debug)]
struct Ranked(Finding);

impl Ranked {
    fn cmp_key(&self, other: &Finding) -> Ordering {
        let a = &self.0;
        a.sort_key().cmp(&other.sort_key()).then_with(|| a.loc.cmp(&other.loc))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_key(&other.0)
    }
}

/// Exact counts of findings per code and rule and per severity, with the first `max`
/// findings of each code or rule in report order. Collections merge: a merged collection
/// is the one a single pass over all the findings would have made.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(into = "Wire", from = "Wire")]
pub struct Collected {
    max: usize,
    codes: HashMap<CheckId, PerCode>,
    by_severity: BTreeMap<Severity, u64>,
    /// Findings each suppression silenced, by suppression index.
    silenced: Vec<u64>,
}

impl Collected {
    /// An empty collection keeping at most `max` examples per code or rule.
    pub fn new(max: usize) -> Collected {
        Collected { max, codes: HashMap::new(), by_severity: BTreeMap::new(), silenced: Vec::new() }
    }

    /// Counts `f` and keeps it if it is among the first `max` of its code.
    pub fn add(&mut self, f: Finding) {
        *self.by_severity.entry(f.severity).or_default() += 1;
        let slot = self.codes.entry(f.code.clone()).or_default();
        slot.count += 1;
        keep(&mut slot.examples, self.max, f);
    }

    /// Whether `f` could be listed, judged on what comes before its message in report
    /// order (severity, code, trace, spans): false when `max` findings of its code that
    /// come strictly before it are kept already, so its text need not be made. A finding
    /// added without its text must be one this said false of.
    pub fn would_list(&self, f: &Finding) -> bool {
        let Some(slot) = self.codes.get(&f.code) else { return self.max > 0 };
        if slot.examples.len() < self.max {
            return true;
        }
        slot.examples.peek().is_some_and(|last| head(f) <= head(&last.0))
    }

    /// Counts a finding that suppression `i` silenced.
    pub fn silence(&mut self, code: &CheckId, i: usize) {
        if self.silenced.len() <= i {
            self.silenced.resize(i + 1, 0);
        }
        self.silenced[i] += 1;
        self.codes.entry(code.clone()).or_default().suppressed += 1;
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: Collected) {
        for (s, n) in other.by_severity {
            *self.by_severity.entry(s).or_default() += n;
        }
        if self.silenced.len() < other.silenced.len() {
            self.silenced.resize(other.silenced.len(), 0);
        }
        for (a, b) in self.silenced.iter_mut().zip(other.silenced) {
            *a += b;
        }
        for (code, theirs) in other.codes {
            let ours = self.codes.entry(code).or_default();
            ours.count += theirs.count;
            ours.suppressed += theirs.suppressed;
            for r in theirs.examples {
                keep(&mut ours.examples, self.max, r.0);
            }
        }
    }

    /// The bound on examples per code or rule.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The same findings with at most `max` examples per code or rule (no more than kept).
    pub fn relist(mut self, max: usize) -> Collected {
        for c in self.codes.values_mut() {
            while c.examples.len() > max {
                c.examples.pop();
            }
        }
        self.max = max.min(self.max);
        self
    }

    /// Findings reported (not suppressed).
    pub fn total(&self) -> u64 {
        self.by_severity.values().sum()
    }

    /// Findings of `code` reported (not suppressed).
    pub fn count(&self, code: &CheckId) -> u64 {
        self.codes.get(code).map_or(0, |c| c.count)
    }

    /// Findings of `code` that suppressions silenced.
    pub fn suppressed(&self, code: &CheckId) -> u64 {
        self.codes.get(code).map_or(0, |c| c.suppressed)
    }

    /// Findings silenced by suppression `i`.
    pub fn silenced_by(&self, i: usize) -> u64 {
        self.silenced.get(i).copied().unwrap_or(0)
    }

    /// Reported findings per severity.
    pub fn by_severity(&self) -> &BTreeMap<Severity, u64> {
        &self.by_severity
    }

    /// The exact counts, and the listed findings of every code in report order.
    pub fn finish(self) -> (FindingCounts, Vec<Finding>) {
        let mut by_code = BTreeMap::new();
        let mut all: Vec<Ranked> = Vec::new();
        for (code, c) in self.codes {
            if c.count > 0 {
                let listed = c.examples.len() as u64;
                by_code.insert(code, CodeCount { count: c.count, omitted: c.count - listed });
            }
            all.extend(c.examples.into_vec());
        }
        all.sort_unstable();
        let counts = FindingCounts { max_per_code: self.max, by_code, by_severity: self.by_severity };
        (counts, all.into_iter().map(|r| r.0).collect())
    }
}

/// [`Collected`] as partial results write it: codes in order, examples in report order.
#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    max: usize,
    codes: Vec<WireCode>,
    by_severity: BTreeMap<Severity, u64>,
    silenced: Vec<u64>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct WireCode {
    code: CheckId,
    count: u64,
    suppressed: u64,
    examples: Vec<Finding>,
}

impl From<Collected> for Wire {
    fn from(c: Collected) -> Wire {
        let mut codes: Vec<WireCode> = c
            .codes
            .into_iter()
            .map(|(code, p)| WireCode {
                code,
                count: p.count,
                suppressed: p.suppressed,
                examples: p.examples.into_sorted_vec().into_iter().map(|r| r.0).collect(),
            })
            .collect();
        codes.sort_by(|a, b| a.code.cmp(&b.code));
        Wire { max: c.max, codes, by_severity: c.by_severity, silenced: c.silenced }
    }
}

impl From<Wire> for Collected {
    fn from(w: Wire) -> Collected {
        let codes = w
            .codes
            .into_iter()
            .map(|c| {
                let mut examples = BinaryHeap::new();
                for f in c.examples {
                    keep(&mut examples, w.max, f);
                }
                (c.code, PerCode { count: c.count, suppressed: c.suppressed, examples })
            })
            .collect();
        Collected { max: w.max, codes, by_severity: w.by_severity, silenced: w.silenced }
    }
}

/// The reported findings of one code or rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeCount {
    pub count: u64,
    /// Findings counted but not listed (beyond `--max-findings`).
    pub omitted: u64,
}

/// Exact counts of the reported findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingCounts {
    /// The bound on listed findings per code or rule.
    pub max_per_code: usize,
    /// Codes and rules with at least one finding.
    pub by_code: BTreeMap<CheckId, CodeCount>,
    pub by_severity: BTreeMap<Severity, u64>,
}

impl FindingCounts {
    /// Every reported finding.
    pub fn total(&self) -> u64 {
        self.by_severity.values().sum()
    }

    /// Findings counted but not listed.
    pub fn omitted(&self) -> u64 {
        self.by_code.values().map(|c| c.omitted).sum()
    }
}

/// What comes before the message in report order, within one code.
fn head(f: &Finding) -> (std::cmp::Reverse<Severity>, Option<crate::model::TraceId>, &[crate::model::SpanId]) {
    (std::cmp::Reverse(f.severity), f.trace_id, &f.span_ids)
}

/// Keeps `f` in `heap` if it is among the first `max`.
fn keep(heap: &mut BinaryHeap<Ranked>, max: usize, f: Finding) {
    if heap.len() < max {
        heap.push(Ranked(f));
    } else if let Some(mut last) = heap.peek_mut()
        && last.cmp_key(&f) == Ordering::Greater
    {
        *last = Ranked(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;
    use crate::model::TraceId;

    fn finding(code: Code, trace: u8) -> Finding {
        let mut t = [0u8; 16];
        t[15] = trace;
        Finding { trace_id: Some(TraceId(t)), ..Finding::new(code, format!("trace {trace}")) }
    }

    fn collect(max: usize, fs: impl IntoIterator<Item = Finding>) -> Collected {
        let mut c = Collected::new(max);
        for f in fs {
            c.add(f);
        }
        c
    }

    #[test]
    fn counts_are_exact_and_examples_are_the_first_in_report_order_whatever_the_split() {
        let all: Vec<Finding> =
            (0..50u8).rev().map(|t| finding(Code::S001, t)).chain([finding(Code::T001, 9)]).collect();
        let whole = collect(3, all.clone());
        let mut parts = collect(3, all[..20].iter().cloned());
        parts.merge(collect(3, all[20..35].iter().cloned()));
        parts.merge(collect(3, all[35..].iter().cloned()));
        let expected = ["trace 9", "trace 0", "trace 1", "trace 2"];
        for c in [whole, parts] {
            assert_eq!(c.total(), 51);
            let (counts, listed) = c.finish();
            let s001 = counts.by_code[&CheckId::Builtin(Code::S001)];
            assert_eq!((s001.count, s001.omitted), (50, 47));
            assert_eq!((counts.total(), counts.omitted()), (51, 47));
            // T001 (an error) sorts before S001 (a warning); then trace order.
            assert_eq!(listed.into_iter().map(|f| f.message).collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn only_findings_that_come_after_every_kept_one_are_judged_unlistable() {
        let c = collect(2, [finding(Code::S001, 1), finding(Code::S001, 3)]);
        let with = |trace, message: &str| Finding { message: message.into(), ..finding(Code::S001, trace) };
        // Same trace as the last kept one: its message decides, so it may be listed.
        assert!(c.would_list(&with(3, "a")));
        assert!(c.would_list(&with(2, "")));
        assert!(!c.would_list(&with(4, "")));
        // Another code has room of its own.
        assert!(c.would_list(&finding(Code::T001, 9)));
        assert!(!collect(0, []).would_list(&finding(Code::T001, 9)));
    }

    #[test]
    fn zero_lists_nothing_but_still_counts() {
        let c = collect(0, (0..5).map(|t| finding(Code::S001, t)));
        assert_eq!(c.count(&CheckId::Builtin(Code::S001)), 5);
        assert!(c.finish().1.is_empty());
    }

    #[test]
    fn silenced_findings_are_counted_apart() {
        let mut c = collect(10, [finding(Code::S001, 1)]);
        let mut other = Collected::new(10);
        other.silence(&CheckId::Builtin(Code::S001), 2);
        c.merge(other);
        assert_eq!((c.total(), c.suppressed(&CheckId::Builtin(Code::S001))), (1, 1));
        assert_eq!((c.silenced_by(2), c.silenced_by(0)), (1, 0));
    }
}
