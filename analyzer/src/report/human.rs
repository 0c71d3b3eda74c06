//! The report for people: counts, findings grouped by code, slowest operations, verdict.

use super::term::{escape, fit};
use super::{Outcome, Report};
use crate::finding::Severity;
use crate::model::time::fmt_ns;
use crate::rules::RuleOutcome;
use std::io::{self, Write};

/// Presentation settings.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    /// Findings shown per code before "and N more".
    pub per_code: usize,
    /// Operations shown in the latency table.
    pub operations: usize,
    /// Only the findings and the verdict (`--quiet`).
    pub quiet: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style { color: false, per_code: 10, operations: 15, quiet: false }
    }
}

struct Paint(bool);

impl Paint {
    fn sev(&self, s: Severity) -> String {
        let text = format!("{:<7}", s.as_str());
        if !self.0 {
            return text;
        }
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "33",
            Severity::Info => "36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    fn rule(&self, o: RuleOutcome) -> String {
        let text = format!("{:<12}", o.as_str().to_uppercase());
        let code = match o {
            RuleOutcome::Pass => "32",
            RuleOutcome::Inconclusive => "33",
            RuleOutcome::Fail | RuleOutcome::Error => "1;31",
        };
        if self.0 { format!("\x1b[{code}m{text}\x1b[0m") } else { text }
    }

    fn bold(&self, s: &str) -> String {
        if self.0 { format!("\x1b[1m{s}\x1b[0m") } else { s.to_string() }
    }

    fn outcome(&self, o: Outcome) -> String {
        let (text, code) = match o {
            Outcome::Pass => ("PASS", "1;32"),
            Outcome::Fail => ("FAIL", "1;31"),
            Outcome::RuleError => ("RULE ERROR", "1;31"),
            Outcome::Unusable => ("UNUSABLE INPUT", "1;31"),
        };
        if self.0 { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
}

/// Writes the human report.
pub fn write(r: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint(style.color);
    let c = &r.counts;
    let files = r.inputs.len();
    // Nothing could be read: the command said why on stderr; the report is the verdict.
    if files == 0 && !r.input_errors.is_empty() {
        return verdict(r, &p, out);
    }
    if style.quiet {
        findings(r, style, &p, out)?;
        return verdict(r, &p, out);
    }
    writeln!(
        out,
        "{} {} — {} input{}, {} bytes",
        p.bold("tracecheck"),
        r.tool.version,
        files,
        plural(files as u64),
        c.input.bytes
    )?;
    for e in &r.input_errors {
        writeln!(out, "  cannot read {}: {}", escape(&e.path), escape(&e.message))?;
    }
    // What a console format leaves out, once per format.
    let mut notes: Vec<&str> = r.inputs.iter().flat_map(|f| f.notes.iter().map(String::as_str)).collect();
    notes.sort_unstable();
    notes.dedup();
    for n in notes {
        writeln!(out, "  note: {}", escape(n))?;
    }
    let mut other: Vec<String> = c.input.other_signals.iter().map(|(s, n)| format!("{n} {}", json_name(s))).collect();
    if other.is_empty() {
        other.push("none".into());
    }
    writeln!(
        out,
        "records: {} read, {} decoded, {} skipped, {} other signal ({})",
        c.input.records_read,
        c.input.records_decoded,
        c.input.records_skipped,
        c.input.records_other_signal,
        other.join(", ")
    )?;
    for (reason, n) in &c.input.skipped_by_reason {
        writeln!(out, "  skipped as {}: {n}", json_name(reason))?;
    }
    writeln!(out, "spans:   {} in {} traces ({} dropped for invalid ids)", c.spans, c.traces, c.input.spans_dropped)?;
    let s = &r.structure;
    writeln!(
        out,
        "structure: {} roots, {} orphans, {} traces without root, max depth {}, largest trace {} spans",
        s.roots, s.orphans, s.traces_without_root, s.max_depth, s.largest_trace
    )?;
    match &r.digest.rules {
        Some(rules) => writeln!(out, "digest:  spans sha256:{} rules sha256:{rules}", r.digest.spans)?,
        None => writeln!(out, "digest:  spans sha256:{}", r.digest.spans)?,
    }

    if r.summary.findings > 0 {
        writeln!(out)?;
        findings(r, style, &p, out)?;
    }

    let ops = &r.latency.operations;
    if !ops.is_empty() {
        writeln!(out)?;
        let mut by_p99: Vec<_> = ops.iter().collect();
        by_p99.sort_by(|a, b| b.p99.cmp(&a.p99).then_with(|| (&a.service, &a.name).cmp(&(&b.service, &b.name))));
        let shown = by_p99.len().min(style.operations);
        writeln!(
            out,
            "{}",
            p.bold(&format!("latency: {} operations, {shown} slowest by p99 (exact, nearest-rank)", ops.len()))
        )?;
        writeln!(
            out,
            "  {:<24} {:<32} {:>7} {:>6} {:>10} {:>10} {:>10} {:>10}",
            "service", "operation", "count", "errors", "p50", "p90", "p99", "max"
        )?;
        let d = |v: Option<u64>| v.map_or("-".to_string(), fmt_ns);
        for o in &by_p99[..shown] {
            writeln!(
                out,
                "  {} {} {:>7} {:>6} {:>10} {:>10} {:>10} {:>10}",
                fit(&o.service, 24),
                fit(&o.name, 32),
                o.count,
                o.errors,
                d(o.p50),
                d(o.p90),
                d(o.p99),
                d(o.max)
            )?;
        }
    }

    if !r.rules.is_empty() {
        writeln!(out)?;
        let packs: Vec<&str> = r.rule_packs.iter().map(|p| p.name.as_str()).collect();
        writeln!(out, "{}", p.bold(&format!("rules: {} from {}", r.rules.len(), escape(&packs.join(", ")))))?;
        for rule in &r.rules {
            let allowed =
                if rule.outcome == RuleOutcome::Inconclusive && rule.allow_inconclusive { " (allowed)" } else { "" };
            writeln!(out, "  {} {:<8} {}{allowed}", p.rule(rule.outcome), rule.id, escape(&rule.title))?;
            if rule.outcome != RuleOutcome::Pass {
                writeln!(out, "               {}", escape(&rule.reason))?;
            }
        }
    }
    if !r.suppressions.is_empty() {
        for s in &r.suppressions {
            let until = match (&s.expires, s.expired) {
                (Some(day), true) => format!(" [expired on {day}: silences nothing]"),
                (Some(day), false) => format!(" [until {day}]"),
                (None, _) => String::new(),
            };
            writeln!(
                out,
                "  suppressed {} finding(s) of {} ({}): {}{until}",
                s.suppressed,
                s.rule,
                escape(&s.source),
                escape(&s.reason)
            )?;
        }
    }

    writeln!(out)?;
    verdict(r, &p, out)
}

/// The findings, grouped by code, at most `style.per_code` of each.
fn findings(r: &Report, style: Style, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    if r.summary.findings == 0 {
        return Ok(());
    }
    writeln!(out, "{}", p.bold(&format!("findings ({})", r.summary.findings)))?;
    let mut shown_per_code = std::collections::BTreeMap::new();
    for f in &r.findings {
        let n = shown_per_code.entry(f.code.clone()).or_insert(0usize);
        *n += 1;
        if *n > style.per_code {
            continue;
        }
        let src = escape(f.source.as_deref().unwrap_or("-"));
        let trace = f.trace_id.as_deref().map(|t| format!("  trace {t}")).unwrap_or_default();
        writeln!(out, "{} {} {:<28} {src}{trace}", p.sev(f.severity), f.code, f.name)?;
        match (&f.expected, &f.actual) {
            (Some(e), Some(a)) => {
                writeln!(out, "        expected: {}", escape(e))?;
                writeln!(out, "        found:    {}", escape(a))?;
                if !f.span_ids.is_empty() {
                    let label = if f.span_ids.len() > 1 { "spans:" } else { "span:" };
                    writeln!(out, "        {label:<10}{}", f.span_ids.join(", "))?;
                }
                if let Some(h) = &f.hint {
                    writeln!(out, "        hint:     {}", escape(h))?;
                }
            }
            _ => writeln!(out, "        {}", escape(&f.message))?,
        }
    }
    for (code, &count) in &r.summary.by_code {
        let shown = shown_per_code.get(code).map_or(0, |&n: &usize| n.min(style.per_code)) as u64;
        if count > shown {
            writeln!(out, "        … and {} more {code} findings ({})", count - shown, where_all(r))?;
        }
    }
    Ok(())
}

fn verdict(r: &Report, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let by: Vec<String> = r.summary.by_severity.iter().rev().map(|(s, n)| format!("{n} {s}{}", plural(*n))).collect();
    let by = if by.is_empty() { "no findings".to_string() } else { by.join(", ") };
    writeln!(
        out,
        "{}: {} ({by}; fail-on {})",
        p.outcome(r.verdict.outcome),
        escape(&r.verdict.reason),
        r.verdict.fail_on
    )
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Where a reader finds the findings a report does not list.
pub(crate) fn where_all(r: &Report) -> &'static str {
    if r.summary.omitted.is_empty() {
        "all are in --format json"
    } else {
        "counted exactly; --findings-out FILE lists every one"
    }
}
