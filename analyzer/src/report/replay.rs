//! The `replay` report: what was sent where, and what the endpoint did with it.

use crate::replay::Outcome;
use std::io::{self, Write};

/// Everything a replay output is written from.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReplayReport {
    /// The traces URL the spans were sent to.
    pub endpoint: String,
    /// Nanoseconds added to every timestamp (`--rebase-time`), else 0.
    pub shift_ns: i64,
    pub outcome: Outcome,
}

impl ReplayReport {
    /// Whether every span sent was accepted.
    pub fn complete(&self) -> bool {
        self.outcome.accepted == self.outcome.spans
    }
}

/// The schema of [`write_json`]'s output.
pub const SCHEMA: &str = "tracecheck.replay/v1";

/// Pretty JSON followed by a newline, keys in name order: `schema` and `tool` as every
/// report has them, then the replay's fields.
pub fn write_json(r: &ReplayReport, out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Json<'a> {
        schema: &'static str,
        tool: super::Tool,
        #[serde(flatten)]
        report: &'a ReplayReport,
    }
    super::write_sorted_json(&Json { schema: SCHEMA, tool: super::Tool::this(), report: r }, out)
}

/// One line for people; the errors of failed batches go to `errors` (stderr).
pub fn write_human(r: &ReplayReport, out: &mut dyn Write, errors: &mut dyn Write) -> io::Result<()> {
    let o = &r.outcome;
    writeln!(
        out,
        "replayed {} spans in {} request(s) to {}: {} accepted, {} rejected, {} failed ({} retries){}",
        o.spans,
        o.batches,
        r.endpoint,
        o.accepted,
        o.rejected,
        o.failed,
        o.retries,
        if r.shift_ns != 0 { format!("; times shifted by {} ns", r.shift_ns) } else { String::new() }
    )?;
    for e in &o.errors {
        writeln!(errors, "tracecheck: {}", super::term::escape(e))?;
    }
    Ok(())
}
