//! A mergeable latency sketch with a relative error bound, for results merged from shards:
//! durations are counted in logarithmic bins whose width keeps any value within
//! [`RELATIVE_ERROR`] of the value it stands for (the DDSketch construction). Two sketches
//! of disjoint sets of durations add bin by bin into the sketch of their union, so a merge
//! of shards gives the same figures whatever the split.

use std::collections::BTreeMap;

/// The largest relative error of a percentile read from a sketch.
pub const RELATIVE_ERROR: f64 = 0.005;

/// How the percentiles of merged partial results are computed, stated in their reports.
pub const METHOD: &str = "nearest-rank on a mergeable log-binned sketch (DDSketch construction, relative accuracy 0.005): each percentile is within 0.5 % of the exact nearest-rank value; min and max are exact";

/// log(γ), with γ = (1 + α) / (1 − α).
fn ln_gamma() -> f64 {
    ((1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR)).ln()
}

/// Durations (ns) counted in logarithmic bins: bin `i` holds the values in (γ^(i−1), γ^i].
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sketch {
    /// Durations of 0 ns.
    pub zeros: u64,
    /// Count per bin index.
    pub bins: BTreeMap<i32, u64>,
    pub min: Option<u64>,
    pub max: Option<u64>,
}

impl Sketch {
    /// The bin of a positive duration.
    fn bin(x: u64) -> i32 {
        ((x as f64).ln() / ln_gamma()).ceil() as i32
    }

    /// The value bin `i` stands for: within the relative error of every value in it.
    fn value(i: i32) -> f64 {
        let g = (1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR);
        2.0 * (f64::from(i) * ln_gamma()).exp() / (g + 1.0)
    }

    /// Counts one duration.
    pub fn add(&mut self, x: u64) {
        if x == 0 {
            self.zeros += 1;
        } else {
            *self.bins.entry(Self::bin(x)).or_default() += 1;
        }
        self.min = Some(self.min.map_or(x, |m| m.min(x)));
        self.max = Some(self.max.map_or(x, |m| m.max(x)));
    }

    /// Adds the durations counted by `other`.
    pub fn merge(&mut self, other: &Sketch) {
        self.zeros += other.zeros;
        for (&i, &n) in &other.bins {
            *self.bins.entry(i).or_default() += n;
        }
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = self.max.max(other.max);
    }

    /// The durations as a histogram ([`crate::stats::histogram`]), each bin counted at the
    /// value it stands for.
    pub fn histogram(&self) -> Vec<(i32, u64)> {
        let mut bins: BTreeMap<i32, u64> = BTreeMap::new();
        if self.zeros > 0 {
            bins.insert(crate::stats::histogram_bin(0.0), self.zeros);
        }
        for (&i, &n) in &self.bins {
            *bins.entry(crate::stats::histogram_bin(Self::value(i))).or_default() += n;
        }
        bins.into_iter().collect()
    }

    /// Durations counted.
    pub fn count(&self) -> u64 {
        self.zeros + self.bins.values().sum::<u64>()
    }

    /// The `p`-th percentile by nearest rank, within [`RELATIVE_ERROR`] of the exact one
    /// (and never outside the exact min and max). `None` for no durations.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let permille = (p * 10.0).round() as u128;
        let rank = (permille * u128::from(n)).div_ceil(1000).clamp(1, u128::from(n)) as u64;
        if rank <= self.zeros {
            return Some(0);
        }
        let mut seen = self.zeros;
        for (&i, &c) in &self.bins {
            seen += c;
            if seen >= rank {
                let v = Self::value(i).round() as u64;
                return Some(v.clamp(self.min.unwrap_or(0), self.max.unwrap_or(u64::MAX)));
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::nearest_rank;
    use proptest::prelude::*;

    fn within(estimate: u64, exact: u64) -> bool {
        (estimate as f64 - exact as f64).abs() <= RELATIVE_ERROR * exact as f64 + 1.0
    }

    proptest! {
        #[test]
        fn percentiles_are_within_the_bound(mut v in proptest::collection::vec(0u64..10_000_000_000, 1..400), p in 1u32..=100, split in 0usize..400) {
            let mut a = Sketch::default();
            let mut b = Sketch::default();
            for (k, &x) in v.iter().enumerate() {
                if k < split { a.add(x) } else { b.add(x) }
            }
            a.merge(&b);
            v.sort_unstable();
            let exact = nearest_rank(&v, p as f64).unwrap();
            let est = a.percentile(p as f64).unwrap();
            prop_assert!(within(est, exact), "p{p}: {est} vs exact {exact}");
            prop_assert_eq!(a.count(), v.len() as u64);
            prop_assert_eq!(a.min, v.first().copied());
            prop_assert_eq!(a.max, v.last().copied());
        }
    }

    #[test]
    fn merge_is_independent_of_the_split() {
        let values: Vec<u64> = (1..5000u64).map(|k| k * k * 7 % 1_000_003).collect();
        let mut whole = Sketch::default();
        values.iter().for_each(|&x| whole.add(x));
        let mut parts = [Sketch::default(), Sketch::default(), Sketch::default()];
        for (k, &x) in values.iter().enumerate() {
            parts[k % 3].add(x);
        }
        let mut merged = Sketch::default();
        for p in &parts {
            merged.merge(p);
        }
        assert_eq!(merged, whole);
        assert_eq!(Sketch::default().percentile(50.0), None);
    }
}
