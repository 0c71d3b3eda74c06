use super::hosts::{host_of, is_async};
use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::time::fmt_signed_ns;
use crate::model::{Dump, Span, SpanId, Sym, TraceId};
use std::collections::{BTreeMap, HashMap};

/// T005.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::T005,
    name: "clock-skew",
    summary: "Two hosts' clocks disagree: estimated offset per host pair",
    doc: "\
What it checks
  For every pair of hosts (resource `host.name`, else `service.instance.id`, else
  `service.name`) joined by synchronous parent/child spans, tracecheck estimates how far the
  child host's clock is off: for each such pair of spans, the offset that would centre the
  child in its parent, assuming the network took as long both ways; the estimate is the median
  of these. The estimate of every host pair is in the JSON report (`clock_skew`). A finding is
  raised when the estimate exceeds the skew tolerance and at least one child really lies
  outside its parent by more than the tolerance. Timestamps are never changed.

Why it matters
  With skewed clocks, cross-host latencies are wrong and children seem to start before
  their parents, which hides or invents real problems.

Example
  sample-traces/checks/T005-clock-skew.jsonl:5: clock skew: host \"host-d\" is about 50.00ms
  ahead of \"host-a\" (median of 3 parent/child pairs; 3 children outside their parent)

How to fix
  Run NTP or PTP on every host; in containers, check the host clock. Re-run after syncing.
",
};

/// One cross-host synchronous parent/child pair.
#[derive(Clone, Copy, Debug)]
pub struct SkewSample {
    pub parent_host: Sym,
    pub child_host: Sym,
    /// Nanoseconds to add to the child's clock to centre it in the parent.
    pub offset: i64,
    /// How far the child lies outside its parent (0 when inside).
    pub outside: u64,
    pub trace_id: TraceId,
    pub child: SpanId,
    pub loc: crate::model::SourceLoc,
}

/// Collects the samples of one trace.
pub fn samples(cx: &TraceCx<'_>) -> Vec<SkewSample> {
    let mut out = Vec::new();
    for (p, c) in cx.parent_edges() {
        let (ps, cs) = (cx.span(p), cx.span(c));
        let (Some(ph), Some(ch)) = (host_of(cx.dump, ps), host_of(cx.dump, cs)) else {
            continue;
        };
        let (Some(pd), Some(cd)) = (ps.duration(), cs.duration()) else {
            continue;
        };
        if ph == ch || is_async(ps, cs) || cd > pd {
            continue;
        }
        let mid = |s: &Span| (s.start as i128 + s.end as i128) / 2;
        let offset = (mid(ps) - mid(cs)).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        let outside = ps.start.saturating_sub(cs.start).max(cs.end.saturating_sub(ps.end));
        out.push(SkewSample {
            parent_host: ph,
            child_host: ch,
            offset,
            outside,
            trace_id: ps.trace_id,
            child: cs.span_id,
            loc: cx.dump.loc(cs),
        });
    }
    out
}

/// The estimated clock offset between two hosts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HostPairSkew {
    /// The reference host (the lower name of the pair).
    pub host_a: String,
    pub host_b: String,
    /// Estimated nanoseconds by which `host_b`'s clock is ahead of `host_a`'s (median).
    pub offset_ns: i64,
    /// Parent/child pairs the estimate is made from.
    pub samples: usize,
    /// Of those, children that lie outside their parent by more than the tolerance.
    pub outside: usize,
}

/// The samples of one host pair in partial results: every offset (a median needs them
/// all), how many children lie outside their parent by more than the tolerance, and the
/// farthest of them.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SkewRec {
    /// The lower host name of the pair.
    pub host_a: String,
    pub host_b: String,
    /// Nanoseconds by which `host_b` looks ahead of `host_a`, one per sample.
    pub offsets: Vec<i64>,
    pub outside: u64,
    /// (how far outside, trace, child span, location) of the farthest child outside.
    pub worst: Worst,
}

/// The farthest child outside its parent: (how far outside, trace, child span, location).
type Worst = Option<(u64, TraceId, SpanId, crate::model::SourceLoc)>;

/// The samples gathered so far, by host pair: each pair's offsets (in the order the traces
/// were checked), how many children lie outside their parent by more than the tolerance,
/// and the farthest of them. Eight bytes a sample, where the samples themselves take 72.
#[derive(Debug, Default)]
pub struct SkewAcc(HashMap<(Sym, Sym), PairAcc>);

#[derive(Debug, Default)]
struct PairAcc {
    offsets: Vec<i64>,
    outside: u64,
    worst: Worst,
}

impl SkewAcc {
    /// Adds the samples of one trace; `tol` is the skew tolerance.
    pub fn add(&mut self, dump: &Dump, tol: u64, samples: &[SkewSample]) {
        for s in samples {
            let (p, c) = (s.parent_host, s.child_host);
            // Normalise so that the first host has the lower name; the offset is how far the
            // second is ahead of the first.
            let (key, ahead) = if dump.str(p) < dump.str(c) { ((p, c), -s.offset) } else { ((c, p), s.offset) };
            let r = self.0.entry(key).or_default();
            r.offsets.push(ahead);
            if s.outside > tol {
                r.outside += 1;
                r.worst = r.worst.max(Some((s.outside, s.trace_id, s.child, s.loc)));
            }
        }
    }

    /// Adds `later`, gathered from traces checked after those of `self`.
    pub fn merge(&mut self, later: SkewAcc) {
        for (key, b) in later.0 {
            let a = self.0.entry(key).or_default();
            a.offsets.extend(b.offsets);
            a.outside += b.outside;
            a.worst = a.worst.max(b.worst);
        }
    }

    /// The records by host pair, with host names spelled out, in order of the names.
    pub fn recs(self, dump: &Dump) -> Vec<SkewRec> {
        let mut recs: Vec<SkewRec> = self
            .0
            .into_iter()
            .map(|((a, b), r)| SkewRec {
                host_a: dump.str(a).to_string(),
                host_b: dump.str(b).to_string(),
                offsets: r.offsets,
                outside: r.outside,
                worst: r.worst,
            })
            .collect();
        recs.sort_unstable_by(|x, y| (&x.host_a, &x.host_b).cmp(&(&y.host_a, &y.host_b)));
        recs
    }
}

/// The records with each host pair once.
pub fn compact(recs: Vec<SkewRec>) -> Vec<SkewRec> {
    by_pair(recs).into_values().collect()
}

fn by_pair(recs: Vec<SkewRec>) -> BTreeMap<(String, String), SkewRec> {
    let mut pairs: BTreeMap<(String, String), SkewRec> = BTreeMap::new();
    for r in recs {
        match pairs.entry((r.host_a.clone(), r.host_b.clone())) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(r);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let o = o.get_mut();
                o.offsets.extend(r.offsets);
                o.outside += r.outside;
                o.worst = o.worst.max(r.worst);
            }
        }
    }
    pairs
}

/// Estimates the offset of every host pair and reports those beyond the tolerance.
pub fn estimate(config: &super::Config, recs: Vec<SkewRec>, out: &mut Vec<Finding>) -> Vec<HostPairSkew> {
    let tol = config.skew_tolerance;
    let mut result = Vec::new();
    for ((a, b), mut r) in by_pair(recs) {
        if r.offsets.is_empty() {
            continue;
        }
        r.offsets.sort_unstable();
        let median = r.offsets[(r.offsets.len() - 1) / 2];
        if median.unsigned_abs() > tol && r.outside > 0 {
            let msg = format!(
                "clock skew: host {b:?} is about {} ahead of {a:?} (median of {} parent/child pairs; {} children outside their parent)",
                fmt_signed_ns(median),
                r.offsets.len(),
                r.outside
            );
            let mut f = Finding::new(INFO.code, msg);
            if let Some((_, trace, child, loc)) = r.worst {
                f.trace_id = Some(trace);
                f.span_ids = vec![child];
                f.loc = Some(loc);
            }
            out.push(f);
        }
        result.push(HostPairSkew {
            host_a: a,
            host_b: b,
            offset_ns: median,
            samples: r.offsets.len(),
            outside: r.outside as usize,
        });
    }
    result
}
