//! Clock domains, shared by T003, T004 and T005: which host a span's clock belongs to,
//! which parent/child pairs are asynchronous, and how much skew a pair is allowed.

use super::TraceCx;
use crate::model::{Dump, Span, SpanFlags, SpanKind, Sym};

/// The clock domain of a span.
pub fn host_of(dump: &Dump, s: &Span) -> Option<Sym> {
    dump.resource(s).host
}

/// Whether a parent/child relation is asynchronous, so the child may outlive the parent:
/// messaging (PRODUCER/CONSUMER) or a Jaeger `FOLLOWS_FROM` reference.
pub fn is_async(parent: &Span, child: &Span) -> bool {
    parent.kind == SpanKind::Producer
        || matches!(child.kind, SpanKind::Producer | SpanKind::Consumer)
        || child.flags.has(SpanFlags::FOLLOWS_FROM)
}

/// The tolerance for a parent/child pair: none within one host (one clock), the configured
/// skew tolerance across hosts or when a host is unknown.
pub fn tolerance(cx: &TraceCx<'_>, parent: &Span, child: &Span) -> u64 {
    if cx.dump.same_clock(parent, child) { 0 } else { cx.config.skew_tolerance }
}

/// ` (different hosts: a -> b)` when parent and child come from different hosts.
pub fn host_note(dump: &Dump, parent: &Span, child: &Span) -> String {
    match (host_of(dump, parent), host_of(dump, child)) {
        (Some(a), Some(b)) if a != b => {
            format!(" (different hosts: {} -> {})", dump.str(a), dump.str(b))
        }
        _ => String::new(),
    }
}
