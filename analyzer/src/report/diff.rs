//! The `diff` report: two runs compared operation by operation and by structure, with a
//! verdict; written for people or as JSON (schema [`SCHEMA`]).

use super::Tool;
use crate::diff::{self, Metric, OpDiff, Status, StructureChange, Tolerance};
use crate::graph::Structure;
use crate::model::Dump;
use crate::model::time::fmt_ns;
use std::io::{self, Write};

/// The JSON schema identifier of the diff report.
pub const SCHEMA: &str = "tracecheck.diff/v2";

/// One run of a comparison.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Side {
    pub path: String,
    pub spans: usize,
    pub digest: String,
}

/// How many operations ended in each status, and how many structural defects regressed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DiffSummary {
    pub regressed: usize,
    pub vanished: usize,
    pub new: usize,
    pub improved: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub structure_regressed: usize,
}

impl DiffSummary {
    /// The counts in the order the human summary line gives them.
    fn parts(&self) -> [(&'static str, usize); 7] {
        [
            ("regressed", self.regressed),
            ("vanished", self.vanished),
            ("new", self.new),
            ("improved", self.improved),
            ("changed", self.changed),
            ("unchanged", self.unchanged),
            ("structure regressed", self.structure_regressed),
        ]
    }
}

/// Pass or fail, and the exit code it gives.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DiffVerdict {
    pub outcome: &'static str,
    pub exit_code: u8,
}

/// Both runs' structural totals and the defects whose counts changed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StructureDiff {
    pub base: Structure,
    pub candidate: Structure,
    pub changes: Vec<StructureChange>,
}

/// Everything a diff output is written from.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DiffReport {
    pub schema: &'static str,
    pub tool: Tool,
    pub base: Side,
    pub candidate: Side,
    pub tolerance: Tolerance,
    pub summary: DiffSummary,
    pub verdict: DiffVerdict,
    pub structure: StructureDiff,
    /// The operations shown: every one with `all`, else those that changed.
    pub operations: Vec<OpDiff>,
}

impl DiffReport {
    /// Compares `base` with `candidate` (dumps named by their paths); `all` keeps the
    /// unchanged operations in the listing.
    pub fn new(base: (&str, &Dump), candidate: (&str, &Dump), tol: Tolerance, all: bool) -> DiffReport {
        let (b, c) = (diff::profile(base.1), diff::profile(candidate.1));
        let diffs = diff::compare(&b.operations, &c.operations, tol);
        let changes = diff::compare_structure(&b, &c, tol);
        let count = |s: Status| diffs.iter().filter(|d| d.status == s).count();
        let summary = DiffSummary {
            regressed: count(Status::Regressed),
            vanished: count(Status::Vanished),
            new: count(Status::New),
            improved: count(Status::Improved),
            changed: count(Status::Changed),
            unchanged: count(Status::Unchanged),
            structure_regressed: changes.iter().filter(|s| s.regression).count(),
        };
        let failed = diff::fails(&diffs) || summary.structure_regressed > 0;
        let side = |(path, dump): (&str, &Dump)| Side {
            path: path.to_owned(),
            spans: dump.spans.len(),
            digest: crate::digest::spans(dump),
        };
        DiffReport {
            schema: SCHEMA,
            tool: Tool::this(),
            base: side(base),
            candidate: side(candidate),
            tolerance: tol,
            summary,
            verdict: DiffVerdict { outcome: if failed { "fail" } else { "pass" }, exit_code: u8::from(failed) },
            structure: StructureDiff { base: b.structure, candidate: c.structure, changes },
            operations: diffs.into_iter().filter(|d| all || d.status != Status::Unchanged).collect(),
        }
    }

    /// Whether the candidate regressed.
    pub fn failed(&self) -> bool {
        self.verdict.exit_code != 0
    }
}

/// Pretty JSON followed by a newline; keys in name order, as v1 has always written them.
pub fn write_json(report: &DiffReport, out: &mut dyn Write) -> io::Result<()> {
    super::write_sorted_json(report, out)
}

/// The report for people: the tolerances, the structure line and its changes, one block per
/// operation shown, and the verdict with the summary.
pub fn write_human(r: &DiffReport, out: &mut dyn Write) -> io::Result<()> {
    let tol = &r.tolerance;
    writeln!(
        out,
        "diff {} ({} spans) → {} ({} spans); latency beyond +{:.0}% and {} (percentiles over {}+ spans), error rate beyond {:.1} points, counts beyond ±{:.0}% (operations of {}+ spans)",
        super::term::escape(&r.base.path),
        r.base.spans,
        super::term::escape(&r.candidate.path),
        r.candidate.spans,
        tol.max_regression * 100.0,
        fmt_ns(tol.min_delta_ns),
        tol.min_samples,
        tol.max_error_rate_increase * 100.0,
        tol.max_count_change * 100.0,
        tol.min_count
    )?;
    let (bs, cs) = (&r.structure.base, &r.structure.candidate);
    writeln!(
        out,
        "structure: {} → {} traces, {} → {} roots, max depth {} → {}",
        bs.traces, cs.traces, bs.roots, cs.roots, bs.max_depth, cs.max_depth
    )?;
    for s in &r.structure.changes {
        writeln!(
            out,
            "{:<9} {} {} → {} ({:.1} → {:.1} per 1,000 spans)",
            if s.regression { "REGRESSED" } else { "CHANGED" },
            s.metric.label(),
            s.base,
            s.candidate,
            s.base_per_1k_spans,
            s.candidate_per_1k_spans
        )?;
    }
    for d in &r.operations {
        let label = match d.status {
            Status::Regressed => "REGRESSED",
            Status::Vanished => "VANISHED",
            Status::New => "NEW",
            Status::Improved => "IMPROVED",
            Status::Changed => "CHANGED",
            Status::Unchanged => "unchanged",
        };
        let path = d.key.path_text();
        let esc = super::term::escape;
        writeln!(out, "{label:<9} {} \"{}\" under {}", esc(&d.key.service), esc(&d.key.name), esc(&path))?;
        for c in &d.changes {
            let rel = c.relative.map_or(String::new(), |r| format!(", {:+.0}%", r * 100.0));
            let line = match c.metric {
                Metric::ErrorRate => format!(
                    "error rate {:.1}% → {:.1}% ({:+.1} points)",
                    c.base * 100.0,
                    c.candidate * 100.0,
                    c.delta * 100.0
                ),
                Metric::Count => format!("count {} → {} ({:+}{rel})", c.base, c.candidate, c.delta),
                m @ (Metric::P50 | Metric::P90 | Metric::P99) => format!(
                    "{} {} → {} ({}{}{rel})",
                    m.as_str(),
                    fmt_ns(c.base as u64),
                    fmt_ns(c.candidate as u64),
                    if c.delta >= 0.0 { "+" } else { "-" },
                    fmt_ns(c.delta.abs() as u64)
                ),
            };
            // A count beyond the tolerance fails unless the operation is too rare to judge.
            let rare = matches!(c.metric, Metric::Count) && !c.regression;
            writeln!(out, "          {line}{}", if rare { " (too few spans to judge)" } else { "" })?;
        }
        if !d.not_compared.is_empty() && d.status != Status::Unchanged {
            let names: Vec<&str> = d.not_compared.iter().map(|m| m.as_str()).collect();
            let n = d.base.as_ref().map_or(0, |f| f.timed).min(d.candidate.as_ref().map_or(0, |f| f.timed));
            writeln!(out, "          not compared: {} (over {n} timed span(s): too few)", names.join(", "))?;
        }
        if matches!(d.status, Status::Vanished | Status::New)
            && let Some(f) = d.base.as_ref().or(d.candidate.as_ref())
        {
            writeln!(out, "          {} span(s), p99 {}", f.count, f.p99.map_or("-".into(), fmt_ns))?;
        }
    }
    let parts: Vec<String> = r.summary.parts().iter().map(|(k, v)| format!("{v} {k}")).collect();
    writeln!(out, "\n{}: {}", if r.failed() { "FAIL" } else { "PASS" }, parts.join(", "))
}
