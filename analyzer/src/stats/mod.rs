//! Latency statistics per operation, with exact percentiles.

pub mod frame;
pub mod sketch;

use crate::model::{Dump, StatusCode, Sym};
use rayon::prelude::*;
use std::collections::HashMap;

/// How the percentiles are computed, stated in every report.
pub const PERCENTILE_METHOD: &str = "nearest-rank on exact durations: the smallest duration with at least p% of durations at or below it (no interpolation, no sketch)";

/// The `p`-th percentile (0 < p <= 100) of `sorted` by the nearest-rank method: the value at
/// rank ceil(p/100 × n). `None` for no samples.
pub fn nearest_rank<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // Integer arithmetic on thousandths of a percent, so 0.9 × 10 is exactly 9, not
    // 9.000000000000002, and p99.99 keeps its last digit.
    let milli = (p * 1000.0).round() as u128;
    let rank = (milli * n as u128).div_ceil(100_000).clamp(1, n as u128) as usize;
    Some(sorted[rank - 1])
}

/// Count, errors and durations of one operation or group of spans, added span by span and
/// merged part by part: the one aggregation behind `check`'s latency table, `stats` and
/// `diff`.
#[derive(Clone, Debug, Default)]
pub struct OpAcc {
    count: u64,
    errors: u64,
    durations: Vec<u64>,
}

impl OpAcc {
    /// Adds one span: its duration when usable, and whether its status is ERROR.
    pub fn add(&mut self, duration: Option<u64>, error: bool) {
        self.count += 1;
        self.errors += u64::from(error);
        self.durations.extend(duration);
    }

    /// Adds the spans of `other`.
    pub fn merge(&mut self, other: OpAcc) {
        self.count += other.count;
        self.errors += other.errors;
        self.durations.extend(other.durations);
    }

    /// The figures, with the durations sorted.
    pub fn finish(mut self) -> OpSummary {
        self.durations.sort_unstable();
        OpSummary { count: self.count, errors: self.errors, durations: self.durations }
    }
}

/// The figures of one operation or group: counts, and its durations sorted for exact
/// percentiles.
#[derive(Clone, Debug)]
pub struct OpSummary {
    pub count: u64,
    pub errors: u64,
    /// Usable durations (ns), sorted.
    pub durations: Vec<u64>,
}

impl OpSummary {
    /// Errors over spans (0 for none).
    pub fn error_rate(&self) -> f64 {
        self.errors as f64 / self.count.max(1) as f64
    }

    /// The `p`-th percentile by nearest rank ([`nearest_rank`]).
    pub fn percentile(&self, p: f64) -> Option<u64> {
        nearest_rank(&self.durations, p)
    }

    pub fn min(&self) -> Option<u64> {
        self.durations.first().copied()
    }

    pub fn max(&self) -> Option<u64> {
        self.durations.last().copied()
    }

    /// The arithmetic mean of the durations.
    pub fn mean(&self) -> Option<f64> {
        let d = &self.durations;
        (!d.is_empty()).then(|| d.iter().map(|&x| x as f64).sum::<f64>() / d.len() as f64)
    }
}

/// Latency of one operation (service, span name), in nanoseconds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OperationLatency {
    pub service: String,
    pub name: String,
    /// Spans of the operation.
    pub count: u64,
    /// Spans with status ERROR.
    pub errors: u64,
    /// Spans with a usable duration (both times present, end not before start); the
    /// figures below are over these.
    pub timed: u64,
    #[serde(rename = "min_ns")]
    pub min: Option<u64>,
    #[serde(rename = "p50_ns")]
    pub p50: Option<u64>,
    #[serde(rename = "p90_ns")]
    pub p90: Option<u64>,
    #[serde(rename = "p99_ns")]
    pub p99: Option<u64>,
    #[serde(rename = "max_ns")]
    pub max: Option<u64>,
}

/// Counts and durations per operation, gathered from a dump in one piece or part by part
/// (parts must share their string table).
#[derive(Debug, Default)]
pub struct LatencyAcc(HashMap<(Sym, Sym), OpAcc, foldhash::fast::FixedState>);

impl LatencyAcc {
    /// Adds every span of `dump`.
    pub fn add_spans(&mut self, dump: &Dump) {
        let part = dump
            .spans
            .par_iter()
            .fold(LatencyAcc::default, |mut m, s| {
                let service = dump.resource(s).service_name.unwrap_or(Sym::EMPTY);
                m.0.entry((service, s.name)).or_default().add(s.duration(), s.status == StatusCode::Error);
                m
            })
            .reduce(LatencyAcc::default, |mut a, b| {
                a.merge(b);
                a
            });
        self.merge(part);
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: LatencyAcc) {
        for (k, v) in other.0 {
            self.0.entry(k).or_default().merge(v);
        }
    }

    /// Per-operation latency, sorted by service then name; `dump` resolves the symbols.
    pub fn finish(self, dump: &Dump) -> Vec<OperationLatency> {
        finish_ops(self.named(dump)).0
    }
}

/// Counts and durations of one operation in partial results: exact durations while one
/// process holds them all, a [`sketch::Sketch`] in results written to be merged elsewhere.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct OpRec {
    pub service: String,
    pub name: String,
    pub count: u64,
    pub errors: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub durations: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<sketch::Sketch>,
}

impl OpRec {
    /// Replaces the exact durations by a sketch of them.
    pub fn sketch(&mut self) {
        let s = self.sketch.get_or_insert_with(Default::default);
        for d in std::mem::take(&mut self.durations) {
            s.add(d);
        }
    }
}

impl LatencyAcc {
    /// The operations with their names spelled out and their exact durations.
    pub fn named(self, dump: &Dump) -> Vec<OpRec> {
        self.0
            .into_iter()
            .map(|((service, name), a)| OpRec {
                service: dump.str(service).to_string(),
                name: dump.str(name).to_string(),
                count: a.count,
                errors: a.errors,
                durations: a.durations,
                sketch: None,
            })
            .collect()
    }
}

/// Bins per power of ten in latency histograms.
pub const HISTOGRAM_BINS_PER_DECADE: f64 = 8.0;

/// The histogram bin of a duration: bin `i` holds durations in [10^(i/8), 10^((i+1)/8)) ns;
/// 0 ns falls in bin -1.
pub fn histogram_bin(ns: f64) -> i32 {
    if ns < 1.0 { -1 } else { (ns.log10() * HISTOGRAM_BINS_PER_DECADE).floor() as i32 }
}

/// Durations counted in logarithmic bins ([`histogram_bin`]): (bin, count) in bin order.
pub type Histogram = Vec<(i32, u64)>;

/// The [`Histogram`] of `durations`.
pub fn histogram(durations: &[u64]) -> Histogram {
    let mut bins: std::collections::BTreeMap<i32, u64> = std::collections::BTreeMap::new();
    for &d in durations {
        *bins.entry(histogram_bin(d as f64)).or_default() += 1;
    }
    bins.into_iter().collect()
}

/// Per-operation latency from records of parts of a dump, sorted by service then name, with
/// each operation's histogram ([`histogram`]; from a sketch, each sketch bin counted at its
/// value), and whether any percentile came from a sketch (then all of that operation's did).
pub fn finish_ops(recs: Vec<OpRec>) -> (Vec<OperationLatency>, Vec<Histogram>, bool) {
    let mut by_op: std::collections::BTreeMap<(String, String), OpRec> = std::collections::BTreeMap::new();
    for mut r in recs {
        let key = (std::mem::take(&mut r.service), std::mem::take(&mut r.name));
        match by_op.entry(key) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(r);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let o = o.get_mut();
                o.count += r.count;
                o.errors += r.errors;
                if o.sketch.is_some() || r.sketch.is_some() {
                    o.sketch();
                    r.sketch();
                    if let (Some(a), Some(b)) = (o.sketch.as_mut(), r.sketch.as_ref()) {
                        a.merge(b);
                    }
                } else {
                    o.durations.append(&mut r.durations);
                }
            }
        }
    }
    let sketched = by_op.values().any(|r| r.sketch.is_some());
    let out = by_op
        .into_par_iter()
        .map(|((service, name), r)| match r.sketch {
            Some(s) => {
                let op = OperationLatency {
                    service,
                    name,
                    count: r.count,
                    errors: r.errors,
                    timed: s.count(),
                    min: s.min,
                    p50: s.percentile(50.0),
                    p90: s.percentile(90.0),
                    p99: s.percentile(99.0),
                    max: s.max,
                };
                (op, s.histogram())
            }
            None => {
                let f = OpAcc { count: r.count, errors: r.errors, durations: r.durations }.finish();
                let op = OperationLatency {
                    service,
                    name,
                    count: f.count,
                    errors: f.errors,
                    timed: f.durations.len() as u64,
                    min: f.min(),
                    p50: f.percentile(50.0),
                    p90: f.percentile(90.0),
                    p99: f.percentile(99.0),
                    max: f.max(),
                };
                (op, histogram(&f.durations))
            }
        })
        .collect::<Vec<_>>();
    let mut out = out;
    out.sort_by(|a, b| (&a.0.service, &a.0.name).cmp(&(&b.0.service, &b.0.name)));
    let (ops, histograms) = out.into_iter().unzip();
    (ops, histograms, sketched)
}

/// Per-operation latency over every span of `dump`, sorted by service then name.
pub fn latency(dump: &Dump) -> Vec<OperationLatency> {
    let mut acc = LatencyAcc::default();
    acc.add_spans(dump);
    acc.finish(dump)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nearest_rank_edge_cases() {
        assert_eq!(nearest_rank::<u64>(&[], 50.0), None);
        assert_eq!(nearest_rank(&[7], 50.0), Some(7));
        assert_eq!(nearest_rank(&[7], 99.0), Some(7));
        // Even count: p50 of 4 values is the 2nd (rank ceil(2.0) = 2).
        assert_eq!(nearest_rank(&[10, 20, 30, 40], 50.0), Some(20));
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 90.0), Some(9));
        assert_eq!(nearest_rank(&v, 99.0), Some(10));
        let hundred: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 99.0), Some(99));
        assert_eq!(nearest_rank(&hundred, 100.0), Some(100));
    }

    proptest! {
        #[test]
        fn percentile_is_an_order_statistic(mut v in proptest::collection::vec(0u64..1_000_000, 1..200), p in 1u32..=100) {
            v.sort_unstable();
            let x = nearest_rank(&v, p as f64).unwrap();
            let at_or_below = v.iter().filter(|&&d| d <= x).count();
            let below = v.iter().filter(|&&d| d < x).count();
            // At least p% are <= x, and fewer than p% are < x.
            prop_assert!(at_or_below as f64 >= p as f64 / 100.0 * v.len() as f64 - 1e-9);
            prop_assert!((below as f64) < p as f64 / 100.0 * v.len() as f64 + 1e-9);
        }
    }
}
