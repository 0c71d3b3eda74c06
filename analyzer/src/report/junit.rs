//! JUnit XML: one testsuite for the built-in checks (one testcase per check) and one per
//! rule pack (one testcase per rule), so CI systems show each expectation as a test.
//!
//! Valid for the Jenkins xUnit plugin's `junit-10.xsd` (tested) and read by the common JUnit
//! readers. The checks of a run are evaluated together, in one pass: `time` on
//! `<testsuites>` and on each `<testsuite>` is the run's wall time; testcases carry none.
//! When no input could be read, every check and rule is `<skipped>`, never passed.

use super::{Outcome, Report};
use crate::checks::{CheckId, REGISTRY};
use crate::rules::{RuleOutcome, RuleResult};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Findings listed inside one testcase before "and N more".
const LISTED: usize = 100;

/// Escapes text for XML 1.0 attributes and content; characters XML cannot carry become
/// U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

enum Verdict {
    Passed,
    Failed { kind: &'static str, message: String },
    Errored(String),
    Skipped(String),
}

struct Case {
    class: String,
    name: String,
    verdict: Verdict,
    /// Findings or notes, one per line.
    text: String,
}

fn finding_lines(r: &Report, code: &CheckId) -> (u64, String) {
    let mut text = String::new();
    let n = r.summary.by_code.get(code).copied().unwrap_or(0);
    for f in r.findings.iter().filter(|f| &f.code == code).take(LISTED) {
        let src = f.source.as_deref().unwrap_or("-");
        let trace = f.trace_id.as_deref().unwrap_or("-");
        let _ = writeln!(text, "{src} trace {trace} span {}: {}", f.span_ids.join(","), f.message);
        if let Some(h) = &f.hint {
            let _ = writeln!(text, "  hint: {h}");
        }
    }
    let shown = r.findings.iter().filter(|f| &f.code == code).take(LISTED).count() as u64;
    if n > shown {
        let _ = writeln!(text, "… and {} more ({})", n - shown, super::human::where_all(r));
    }
    (n, text)
}

fn rule_case(r: &Report, rule: &RuleResult) -> Case {
    let (_, text) = finding_lines(r, &CheckId::Rule(rule.id.clone()));
    let fail_on = r.verdict.fail_on;
    let verdict = match rule.outcome {
        RuleOutcome::Pass => Verdict::Passed,
        RuleOutcome::Error => Verdict::Errored(rule.reason.clone()),
        RuleOutcome::Inconclusive if rule.fails_run(fail_on) => {
            Verdict::Failed { kind: "inconclusive", message: format!("inconclusive: {}", rule.reason) }
        }
        RuleOutcome::Inconclusive => Verdict::Skipped(format!("inconclusive (allowed): {}", rule.reason)),
        // The reason counts the findings already ("12 finding(s) on 12 matched span(s)").
        RuleOutcome::Fail if rule.fails_run(fail_on) => {
            Verdict::Failed { kind: rule.severity.as_str(), message: rule.reason.clone() }
        }
        RuleOutcome::Fail => Verdict::Passed,
    };
    let mut notes = format!("{} ({}): {}\n", rule.outcome.as_str(), rule.source, rule.reason);
    for a in &rule.aggregates {
        let group = a.group.as_deref().map(|g| format!(" for {g}")).unwrap_or_default();
        let value = a.value.as_deref().unwrap_or("-");
        let _ = writeln!(notes, "{}{group}: {value} over {} sample(s): {}", a.aggregate, a.samples, a.outcome.as_str());
    }
    notes.push_str(&text);
    Case {
        class: format!("tracecheck.rules.{}", rule.pack),
        name: format!("{} {}", rule.id, rule.title),
        verdict,
        text: notes,
    }
}

/// Writes the JUnit XML report; `seconds` is the run's wall time, when known.
pub fn write(r: &Report, seconds: Option<f64>, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    // Checks that ran on nothing neither passed nor failed.
    let nothing_read = r.inputs.is_empty() && r.counts.spans == 0;
    if r.verdict.outcome == Outcome::Unusable {
        let case = Case {
            class: "tracecheck.input".into(),
            name: "input is readable and holds spans".into(),
            verdict: Verdict::Errored(r.verdict.reason.clone()),
            text: String::new(),
        };
        suites.push(("input".into(), vec![case]));
    }
    let builtin = REGISTRY
        .iter()
        .map(|info| {
            let (n, text) = finding_lines(r, &CheckId::Builtin(info.code));
            // A check fails the suite when its worst finding is at or above --fail-on.
            let worst = (n > 0).then(|| r.builtin_severity(info.code));
            let verdict = match worst {
                Some(w) if w >= r.verdict.fail_on => {
                    Verdict::Failed { kind: w.as_str(), message: format!("{n} finding(s): {}", info.summary) }
                }
                _ => Verdict::Passed,
            };
            Case { class: "tracecheck.builtin".into(), name: format!("{} {}", info.code, info.name), verdict, text }
        })
        .collect();
    suites.push(("built-in checks".into(), builtin));
    for pack in &r.rule_packs {
        let cases = r.rules.iter().filter(|x| x.pack == pack.name).map(|x| rule_case(r, x)).collect();
        suites.push((pack.name.clone(), cases));
    }
    if nothing_read {
        let why = format!("not run: no input was read ({})", r.verdict.reason);
        for (name, cases) in &mut suites {
            if name != "input" {
                for c in cases.iter_mut() {
                    c.verdict = Verdict::Skipped(why.clone());
                }
            }
        }
    }
    let time = seconds.map(|t| format!(" time=\"{t:.3}\"")).unwrap_or_default();

    let count = |cases: &[Case], f: fn(&Verdict) -> bool| cases.iter().filter(|c| f(&c.verdict)).count();
    let failed = |v: &Verdict| matches!(v, Verdict::Failed { .. });
    let errored = |v: &Verdict| matches!(v, Verdict::Errored(_));
    let skipped = |v: &Verdict| matches!(v, Verdict::Skipped(_));
    let all: Vec<&Case> = suites.iter().flat_map(|(_, c)| c).collect();
    let totals = |f: fn(&Verdict) -> bool| all.iter().filter(|c| f(&c.verdict)).count();
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"tracecheck\" tests=\"{}\" failures=\"{}\" errors=\"{}\"{time}>",
        all.len(),
        totals(failed),
        totals(errored),
    );
    for (name, cases) in &suites {
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"{time}>",
            escape(name),
            cases.len(),
            count(cases, failed),
            count(cases, errored),
            count(cases, skipped)
        );
        // What the result can be re-checked against.
        x.push_str("    <properties>\n");
        let mut props =
            vec![("tracecheck.version", r.tool.version.to_owned()), ("spans.sha256", r.digest.spans.clone())];
        if let Some(rules) = &r.digest.rules {
            props.push(("rules.sha256", rules.clone()));
        }
        for (k, v) in props {
            let _ = writeln!(x, "      <property name=\"{k}\" value=\"{}\"/>", escape(&v));
        }
        x.push_str("    </properties>\n");
        for c in cases {
            let _ = write!(x, "    <testcase classname=\"{}\" name=\"{}\"", escape(&c.class), escape(&c.name));
            match &c.verdict {
                Verdict::Passed if c.text.is_empty() => x.push_str("/>\n"),
                Verdict::Passed => {
                    let _ = writeln!(x, ">\n      <system-out>{}</system-out>\n    </testcase>", escape(&c.text));
                }
                Verdict::Failed { kind, message } => {
                    let _ = writeln!(
                        x,
                        ">\n      <failure type=\"{kind}\" message=\"{}\">{}</failure>\n    </testcase>",
                        escape(message),
                        escape(&c.text)
                    );
                }
                Verdict::Errored(message) => {
                    let _ = writeln!(
                        x,
                        ">\n      <error type=\"error\" message=\"{}\">{}</error>\n    </testcase>",
                        escape(message),
                        escape(&c.text)
                    );
                }
                Verdict::Skipped(message) => {
                    let _ = writeln!(x, ">\n      <skipped message=\"{}\"/>\n    </testcase>", escape(message));
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    out.write_all(x.as_bytes())
}
