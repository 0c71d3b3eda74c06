//! SARIF 2.1.0: one run, one result per listed finding, rule metadata from the same source
//! as `tracecheck explain`, for GitHub code scanning and other SARIF viewers.
//!
//! Every built-in check and every rule of the packs is a `reportingDescriptor` (help text:
//! the `explain` page). A finding's location is its input file with the line (line-based
//! formats) or the byte offset of its record (length-prefixed records); a finding about the
//! whole dump points at the first input file. A rule that failed the run without findings
//! (inconclusive, or in error) is a result located at the rule in its pack file. Findings the
//! report counts but does not list (`--max-findings`) are counted in the run's properties.

use super::{Location, Report};
use crate::checks::{REGISTRY, Severity};
use crate::rules::{RuleOutcome, RuleSet};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a SARIF URI reference: relative paths stay relative (to the repository, for
/// code scanning), absolute ones become `file://` URIs; unsafe bytes are percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `PascalCase` of a kebab-case check name (`orphan-span` → `OrphanSpan`), SARIF's rule name.
fn pascal(name: &str) -> String {
    name.split(['-', '_', '.', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

fn physical(file: &str, region: Option<Value>) -> Value {
    let mut p = json!({ "artifactLocation": { "uri": uri(file) } });
    if let Some(r) = region {
        p["region"] = r;
    }
    json!({ "physicalLocation": p })
}

fn location(l: &Location) -> Value {
    let region = match (l.line, l.record) {
        (Some(line), _) => Some(json!({ "startLine": line })),
        (None, Some(_)) => Some(json!({ "byteOffset": l.offset })),
        (None, None) => None,
    };
    physical(&l.file, region)
}

/// Writes the SARIF log; `rules` (the packs evaluated) gives their help text.
pub fn write(r: &Report, rules: Option<&RuleSet>, out: &mut dyn Write) -> io::Result<()> {
    let mut descriptors = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for info in REGISTRY {
        let severity = r.builtin_severity(info.code);
        index.insert(info.code.as_str().to_string(), descriptors.len());
        descriptors.push(json!({
            "id": info.code.as_str(),
            "name": pascal(info.name),
            "shortDescription": { "text": info.summary },
            "fullDescription": { "text": info.summary },
            "help": { "text": format!("{} {} ({severity})\n{}\n\n{}", info.code, info.name, info.summary, info.doc) },
            "defaultConfiguration": { "level": level(severity) },
            "properties": { "tags": ["tracecheck", "built-in"] },
        }));
    }
    for rule in &r.rules {
        let full = rules.and_then(|set| set.rule(&rule.id));
        let help = match (rules, full) {
            (Some(set), Some(f)) => f.explain(&set.packs()[f.pack].name),
            _ => format!(
                "{} {} ({})\npack {}, defined at {}\n",
                rule.id, rule.title, rule.severity, rule.pack, rule.source
            ),
        };
        let description = full.and_then(|f| f.description.clone()).unwrap_or_else(|| rule.title.clone());
        index.insert(rule.id.to_string(), descriptors.len());
        descriptors.push(json!({
            "id": &*rule.id,
            "name": pascal(&rule.id),
            "shortDescription": { "text": rule.title },
            "fullDescription": { "text": description.trim_end() },
            "help": { "text": help },
            "defaultConfiguration": { "level": level(rule.severity) },
            "properties": { "tags": ["tracecheck", "rule", rule.pack] },
        }));
    }
    let first_input = r.inputs.first().map(|f| f.path.as_str());
    let mut results = Vec::new();
    for f in &r.findings {
        let id = f.code.to_string();
        let mut text = f.message.clone();
        if let Some(h) = &f.hint {
            text.push_str(&format!(" Hint: {h}"));
        }
        let locations: Vec<Value> = match (&f.location, first_input) {
            (Some(l), _) => vec![location(l)],
            (None, Some(file)) => vec![physical(file, None)],
            (None, None) => Vec::new(),
        };
        let mut properties = json!({ "span_ids": f.span_ids });
        if let Some(t) = &f.trace_id {
            properties["trace_id"] = json!(t);
        }
        for (k, v) in [("expected", &f.expected), ("actual", &f.actual)] {
            if let Some(v) = v {
                properties[k] = json!(v);
            }
        }
        let fingerprint = crate::digest::sha256_hex(
            format!("{id}\u{0}{}\u{0}{}\u{0}{}", f.trace_id.as_deref().unwrap_or(""), f.span_ids.join(","), f.message)
                .as_bytes(),
        );
        results.push(json!({
            "ruleId": id,
            "ruleIndex": index.get(&id).copied().unwrap_or(0),
            "level": level(f.severity),
            "message": { "text": text },
            "locations": locations,
            "partialFingerprints": { "tracecheckFinding/v1": &fingerprint[..32] },
            "properties": properties,
        }));
    }
    // Rules that fail the run without a finding to show: at the rule, in its pack.
    for rule in &r.rules {
        let failing = match rule.outcome {
            RuleOutcome::Error => true,
            RuleOutcome::Inconclusive => rule.fails_run(r.verdict.fail_on),
            RuleOutcome::Pass | RuleOutcome::Fail => false,
        };
        if !failing {
            continue;
        }
        let (file, line) = match rule.source.rsplit_once(':') {
            Some((f, l)) => (f, l.parse::<u64>().ok()),
            None => (rule.source.as_str(), None),
        };
        results.push(json!({
            "ruleId": &*rule.id,
            "ruleIndex": index.get(&*rule.id).copied().unwrap_or(0),
            "level": "error",
            "message": { "text": format!("{}: {}", rule.outcome.as_str(), rule.reason) },
            "locations": [physical(file, line.map(|l| json!({ "startLine": l })))],
        }));
    }
    let notifications: Vec<Value> = r
        .input_errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": format!("cannot read {}: {}", e.path, e.message) },
                "locations": [physical(&e.path, None)],
            })
        })
        .collect();
    let artifacts: Vec<Value> =
        r.inputs.iter().map(|f| json!({ "location": { "uri": uri(&f.path) }, "length": f.bytes })).collect();
    let outcome: crate::report::Outcome = r.verdict.outcome;
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "tracecheck",
                "version": r.tool.version,
                "semanticVersion": r.tool.version,
                "rules": descriptors,
            }},
            "invocations": [{
                "executionSuccessful": outcome != crate::report::Outcome::Unusable,
                "exitCode": r.verdict.exit_code,
                "toolExecutionNotifications": notifications,
            }],
            "artifacts": artifacts,
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "verdict": r.verdict.outcome,
                "reason": r.verdict.reason,
                "findings": r.summary.findings,
                "listed": r.summary.listed,
                "omitted": r.summary.omitted,
                "spans_sha256": r.digest.spans,
            },
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("sample-traces/a b.jsonl"), "sample-traces/a%20b.jsonl");
        assert_eq!(uri("/tmp/x#1.json"), "file:///tmp/x%231.json");
        assert_eq!(pascal("orphan-span"), "OrphanSpan");
    }
}
