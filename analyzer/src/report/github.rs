//! GitHub Actions workflow commands: one annotation per finding (`::error file=…,line=…::`),
//! pointing at the dump line, plus annotations for rules that failed without a span.

use super::Report;
use crate::finding::Severity;
use crate::rules::RuleOutcome;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Escapes the message part of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Writes the annotations, at most `per_code` per check or rule.
pub fn write(r: &Report, per_code: usize, out: &mut dyn Write) -> io::Result<()> {
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &r.findings {
        let n = shown.entry(f.code.as_str()).or_default();
        *n += 1;
        if *n > per_code {
            continue;
        }
        let mut props = Vec::new();
        if let Some(super::Location { file, line, .. }) = &f.location {
            props.push(format!("file={}", property(file)));
            if let Some(l) = line {
                props.push(format!("line={l}"));
            }
        }
        props.push(format!("title={}", property(&format!("{} {}", f.code, f.name))));
        let mut msg = f.message.clone();
        if let Some(t) = &f.trace_id {
            msg.push_str(&format!("\ntrace {t} span {}", f.span_ids.join(", ")));
        }
        if let Some(h) = &f.hint {
            msg.push_str(&format!("\nhint: {h}"));
        }
        writeln!(out, "::{} {}::{}", level(f.severity), props.join(","), data(&msg))?;
    }
    for (code, &count) in &r.summary.by_code {
        let annotated = shown.get(code.as_str()).map_or(0, |&n| n.min(per_code)) as u64;
        if count > annotated {
            let code = code.as_str();
            writeln!(
                out,
                "::notice title={}::{}",
                property(code),
                data(&format!("{} more {code} finding(s) not annotated; see the JSON report", count - annotated))
            )?;
        }
    }
    for rule in &r.rules {
        let what = match rule.outcome {
            RuleOutcome::Inconclusive => "inconclusive",
            RuleOutcome::Error => "cannot be evaluated",
            RuleOutcome::Fail if rule.findings == 0 => "failed",
            _ => continue,
        };
        let lvl = if rule.fails_run(r.verdict.fail_on) { "error" } else { "warning" };
        let title = property(&format!("{} {}", rule.id, rule.title));
        writeln!(out, "::{lvl} title={title}::{}", data(&format!("rule {} {what}: {}", rule.id, rule.reason)))?;
    }
    let lvl = if r.verdict.exit_code == 0 { "notice" } else { "error" };
    writeln!(out, "::{lvl} title=tracecheck::{}", data(&r.verdict.reason))
}
