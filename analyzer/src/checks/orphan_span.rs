use super::orphans::OrphanRec;
use super::{CheckInfo, Code, Finding};

/// S001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S001,
    name: "orphan-span",
    summary: "A span's parent id is not in the dump",
    doc: "\
What it checks
  Every span that names a parent must find that parent, with the same trace id, somewhere in
  the analysed input (all files together). A parent found under another trace id is reported
  as S007 instead.

Why it matters
  A missing parent means spans were lost: dropped by a sampler, an exporter queue that
  overflowed, a process that died before flushing, or a dump that starts mid-trace. Latency and
  structure of the trace cannot be trusted.

Example
  sample-traces/checks/S001-orphan-span.jsonl:4: span 00f067aa0ba90015 \"lost child\" names
  parent 00f067aa0ba90063, which is not in the dump

How to fix
  Flush the tracer provider on shutdown, make sure every service exports to the same place,
  sample by trace (parent-based) rather than per span, and analyse all rotated files together.
",
};

/// The S001 finding for an orphan whose parent id is nowhere in the dump (found by the
/// orphan pass, [`super::orphans`]).
pub fn finding(o: &OrphanRec) -> Finding {
    let name = &o.name;
    Finding::new(
        INFO.code,
        format!("span {} {name:?} names parent {}, which is not in the dump", o.span.span_id, o.parent),
    )
}
