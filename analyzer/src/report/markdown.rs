//! A Markdown summary for people reading CI results (`$GITHUB_STEP_SUMMARY`): verdict,
//! counts, rule outcomes and the first findings.

use super::{Outcome, Report};
use crate::finding::CheckId;
use crate::model::time::fmt_ns;
use crate::rules::RuleOutcome;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Findings listed in the summary.
const LISTED: usize = 20;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Writes the summary.
pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut m = String::new();
    let mark = match r.verdict.outcome {
        Outcome::Pass => "✅ PASS",
        Outcome::Fail => "❌ FAIL",
        Outcome::RuleError => "❌ RULE ERROR",
        Outcome::Unusable => "❌ UNUSABLE INPUT",
    };
    let _ = writeln!(m, "## tracecheck: {mark}\n");
    let _ = writeln!(m, "{} (fail-on {}, exit {})\n", cell(&r.verdict.reason), r.verdict.fail_on, r.verdict.exit_code);
    let c = &r.counts;
    let _ = writeln!(m, "| inputs | records read | spans | traces | findings | suppressed |");
    let _ = writeln!(m, "|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        m,
        "| {} | {} | {} | {} | {} | {} |\n",
        r.inputs.len(),
        c.input.records_read,
        c.spans,
        c.traces,
        r.summary.findings,
        r.summary.suppressed
    );
    let _ = writeln!(
        m,
        "tracecheck {}, spans sha256 `{}`{}\n",
        r.tool.version,
        r.digest.spans,
        r.digest.rules.as_ref().map_or(String::new(), |d| format!(", rules sha256 `{d}`"))
    );
    if !r.rules.is_empty() {
        let _ = writeln!(m, "### Rules\n");
        let _ = writeln!(m, "| outcome | rule | title | matched | findings | why |");
        let _ = writeln!(m, "|---|---|---|---:|---:|---|");
        for rule in &r.rules {
            let icon = match rule.outcome {
                RuleOutcome::Pass => "✅ pass",
                RuleOutcome::Inconclusive if !rule.fails_run(r.verdict.fail_on) => "⚪ inconclusive (allowed)",
                RuleOutcome::Inconclusive => "⚠️ inconclusive",
                RuleOutcome::Fail => "❌ fail",
                RuleOutcome::Error => "💥 error",
            };
            let _ = writeln!(
                m,
                "| {icon} | `{}` | {} | {} | {} | {} |",
                rule.id,
                cell(&rule.title),
                rule.matched,
                rule.findings,
                cell(&rule.reason)
            );
        }
        m.push('\n');
    }
    if !r.summary.by_code.is_empty() {
        let _ = writeln!(m, "### Findings by check\n");
        let _ = writeln!(m, "| code | name | count |");
        let _ = writeln!(m, "|---|---|---:|");
        for (code, n) in &r.summary.by_code {
            let name = match code {
                CheckId::Rule(id) => r.rules.iter().find(|x| &x.id == id).map(|x| x.title.clone()).unwrap_or_default(),
                CheckId::Builtin(_) => super::check_name(code, None),
            };
            let _ = writeln!(m, "| `{code}` | {} | {n} |", cell(&name));
        }
        m.push('\n');
        let _ = writeln!(m, "<details><summary>First {} finding(s)</summary>\n", r.findings.len().min(LISTED));
        for f in r.findings.iter().take(LISTED) {
            let src = f.source.as_deref().unwrap_or("-");
            let _ = writeln!(m, "- **{}** {} `{src}`: {}", f.code, f.severity, cell(&f.message));
        }
        let _ = writeln!(m, "\n</details>\n");
    }
    let slow: Vec<_> = {
        let mut ops: Vec<_> = r.latency.operations.iter().filter(|o| o.p99.is_some()).collect();
        ops.sort_by(|a, b| b.p99.cmp(&a.p99).then_with(|| (&a.service, &a.name).cmp(&(&b.service, &b.name))));
        ops.into_iter().take(5).collect()
    };
    if !slow.is_empty() {
        let _ = writeln!(m, "### Slowest operations by p99 (exact, nearest-rank)\n");
        let _ = writeln!(m, "| service | operation | count | p50 | p99 | max |");
        let _ = writeln!(m, "|---|---|---:|---:|---:|---:|");
        let d = |v: Option<u64>| v.map_or("-".to_string(), fmt_ns);
        for o in slow {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&o.service),
                cell(&o.name),
                o.count,
                d(o.p50),
                d(o.p99),
                d(o.max)
            );
        }
        m.push('\n');
    }
    out.write_all(m.as_bytes())
}
