use super::hosts::{host_of, is_async};
use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::time::fmt_signed_ns;
use crate::model::{Dump, Span, SpanId, Sym, TraceId};
use std::collections::BTreeMap;

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
            loc: cs.loc,
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

/// Estimates the offset of every host pair and reports those beyond the tolerance.
pub fn estimate(
    dump: &Dump,
    config: &super::Config,
    samples: Vec<SkewSample>,
    out: &mut Vec<Finding>,
) -> Vec<HostPairSkew> {
    let tol = config.skew_tolerance;
    // Key by host names so the order does not depend on symbol numbering.
    let mut pairs: BTreeMap<(&str, &str), Vec<&SkewSample>> = BTreeMap::new();
    let mut offsets: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    for s in &samples {
        let (a, b) = (dump.str(s.parent_host), dump.str(s.child_host));
        // Normalise so that host_a < host_b; the offset is how far b is ahead of a.
        let (key, ahead) = if a < b { ((a, b), -s.offset) } else { ((b, a), s.offset) };
        pairs.entry(key).or_default().push(s);
        offsets.entry(key).or_default().push(ahead);
    }
    let mut result = Vec::new();
    for ((a, b), mut offs) in offsets {
        offs.sort_unstable();
        let median = offs[(offs.len() - 1) / 2];
        let members = &pairs[&(a, b)];
        let outside: Vec<&&SkewSample> = members.iter().filter(|s| s.outside > tol).collect();
        if median.unsigned_abs() > tol && !outside.is_empty() {
            let worst = outside.iter().max_by_key(|s| (s.outside, s.trace_id, s.child)).copied();
            let msg = format!(
                "clock skew: host {b:?} is about {} ahead of {a:?} (median of {} parent/child pairs; {} children outside their parent)",
                fmt_signed_ns(median),
                offs.len(),
                outside.len()
            );
            let mut f = Finding::new(INFO.code, msg);
            if let Some(w) = worst {
                f.trace_id = Some(w.trace_id);
                f.span_ids = vec![w.child];
                f.loc = Some(w.loc);
            }
            out.push(f);
        }
        result.push(HostPairSkew {
            host_a: a.to_string(),
            host_b: b.to_string(),
            offset_ns: median,
            samples: offs.len(),
            outside: outside.len(),
        });
    }
    result
}
