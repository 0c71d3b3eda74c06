//! Reports: one serializable model built from an [`Analysis`], and one writer per format.

pub mod diff;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod replay;
pub mod sarif;
pub mod show;
pub mod stats;
pub mod term;

use crate::analysis::Analysis;
use crate::checks;
use crate::finding::{CheckId, Finding, Severity};
use crate::graph::Structure;
use crate::input::{Accounting, LoadError};
use crate::model::InputFile;
use crate::rules::{RuleOutcome, RuleResult, RuleSet, SuppressionResult};
use crate::stats::OperationLatency;
use std::collections::BTreeMap;

/// The JSON schema identifier; bumped on any incompatible change.
pub const SCHEMA: &str = "tracecheck.report/v3";

/// What the exit code means.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Exit 0: nothing at or above the fail-on severity.
    Pass,
    /// Exit 1: findings at or above the fail-on severity, or rules that failed or were
    /// inconclusive.
    Fail,
    /// Exit 2: a rule could not be evaluated as written.
    RuleError,
    /// Exit 3: unreadable or empty input.
    Unusable,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::RuleError => 2,
            Outcome::Unusable => 3,
        }
    }
}

/// The verdict of a run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    pub exit_code: u8,
    pub fail_on: Severity,
    pub reason: String,
}

/// Counts of records, spans and traces.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// What was read: records by outcome, spans read and dropped.
    #[serde(flatten)]
    pub input: Accounting,
    pub spans: u64,
    pub traces: u64,
    pub resources: u64,
    /// Logs that name a trace and were found with it (and with their span, when they name
    /// one); `logs_read` and `logs_with_trace` count what was read.
    pub logs_correlated: u64,
}

/// One finding as reported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FindingOut {
    /// The built-in check code or the rule id.
    pub code: CheckId,
    /// The check's short name, or the rule's title.
    pub name: String,
    pub severity: Severity,
    pub trace_id: Option<String>,
    pub span_ids: Vec<String>,
    pub message: String,
    /// `file:line` of the record (or span, in multi-line documents) it is about.
    pub source: Option<String>,
    pub offset: Option<u64>,
    /// Rule findings: what the rule expected, what the span showed, and the rule's hint
    /// (null for built-in checks, and for rules without a hint).
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub hint: Option<String>,
    /// Where the finding's record is, as fields: the input file, the line (line-based
    /// formats) or the record number (length-prefixed records), and the byte offset.
    pub location: Option<Location>,
}

/// Where in the input a finding's record is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    /// 1-based line, in line-based formats (JSON lines, JSON documents).
    pub line: Option<u64>,
    /// 1-based record number, in length-prefixed record files.
    pub record: Option<u64>,
    pub offset: u64,
}

impl FindingOut {
    /// `f`, a finding about records of `files`, as reported.
    pub fn of(f: &Finding, files: &[InputFile], rule_set: Option<&RuleSet>) -> FindingOut {
        let location = f.loc.and_then(|l| {
            let file = files.get(l.file as usize)?;
            let (line, record) = match file.format {
                _ if l.line == 0 => (None, None),
                crate::input::Format::Records => (None, Some(l.line)),
                crate::input::Format::Message => (None, None),
                _ => (Some(l.line), None),
            };
            Some(Location { file: file.path.clone(), line, record, offset: l.offset })
        });
        FindingOut {
            code: f.code.clone(),
            name: check_name(&f.code, rule_set),
            severity: f.severity,
            trace_id: f.trace_id.map(|t| t.to_string()),
            span_ids: f.span_ids.iter().map(|s| s.to_string()).collect(),
            message: f.message.clone(),
            source: f.loc.map(|l| crate::model::location(files, l)),
            offset: f.loc.map(|l| l.offset),
            expected: f.detail.as_ref().map(|d| d.expected.clone()),
            actual: f.detail.as_ref().map(|d| d.actual.clone()),
            hint: f.detail.as_ref().and_then(|d| d.hint.clone()),
            location,
        }
    }
}

/// The built-in check's short name, or the rule's title.
pub fn check_name(code: &CheckId, rule_set: Option<&RuleSet>) -> String {
    match code {
        CheckId::Builtin(c) => checks::info(*c).name.to_string(),
        CheckId::Rule(id) => rule_set.and_then(|r| r.rule(id)).map(|r| r.title.clone()).unwrap_or_default(),
    }
}

/// The name of every built-in check and the title of every rule of `rule_set`.
pub fn check_names(rule_set: Option<&RuleSet>) -> std::collections::HashMap<CheckId, String> {
    let builtin = checks::REGISTRY.iter().map(|i| (CheckId::Builtin(i.code), i.name.to_string()));
    let rules = rule_set.into_iter().flat_map(|r| r.rules()).map(|r| (CheckId::Rule(r.id.clone()), r.title.clone()));
    builtin.chain(rules).collect()
}

/// Latency section.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Latency {
    pub method: &'static str,
    pub operations: Vec<OperationLatency>,
}

/// Finding totals.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Every reported finding, counted exactly.
    pub findings: u64,
    pub by_severity: BTreeMap<Severity, u64>,
    pub by_code: BTreeMap<CheckId, u64>,
    /// Findings listed under `findings`: the first `max_findings_per_code` of each code or
    /// rule in report order (`--max-findings`).
    pub listed: u64,
    pub max_findings_per_code: u64,
    /// Per code or rule, the findings counted but not listed.
    pub omitted: BTreeMap<CheckId, u64>,
    /// Findings silenced by suppressions (listed under `suppressions`).
    pub suppressed: u64,
}

/// A rule pack that was evaluated.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PackOut {
    pub name: String,
    pub path: String,
    /// `rules` for a rule pack, `config` for a tracecheck.toml (suppressions only).
    pub kind: crate::rules::PackKind,
    pub rules: usize,
    /// sha256 of the pack file's bytes.
    pub sha256: String,
    /// sha256 of the pack's canonical form, which the rules digest is made of.
    pub canonical_sha256: String,
}

/// What a forensic result can be re-checked against: canonical digests of the analysed spans
/// and of the rule packs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Digests {
    pub spans: String,
    pub spans_method: &'static str,
    /// Null when no rule pack was evaluated.
    pub rules: Option<String>,
    pub rules_method: Option<&'static str>,
}

/// Tool identification.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    /// This build of tracecheck.
    pub fn this() -> Tool {
        Tool { name: "tracecheck", version: env!("CARGO_PKG_VERSION") }
    }
}

/// Writes `value` as pretty JSON with the keys of every object in name order, followed by
/// a newline: the form the `stats`, `diff` and `replay` schemas have always had.
pub fn write_sorted_json(value: &impl serde::Serialize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let v = serde_json::to_value(value)?;
    serde_json::to_writer_pretty(&mut *out, &v)?;
    out.write_all(b"\n")
}

/// The report every output format is written from.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: Tool,
    pub digest: Digests,
    pub verdict: Verdict,
    pub inputs: Vec<InputFile>,
    pub input_errors: Vec<LoadError>,
    pub counts: Counts,
    pub structure: Structure,
    pub summary: Summary,
    pub latency: Latency,
    pub clock_skew: Vec<checks::HostPairSkew>,
    pub rule_packs: Vec<PackOut>,
    /// One entry per rule, in load order.
    pub rules: Vec<RuleResult>,
    pub suppressions: Vec<SuppressionResult>,
    pub findings: Vec<FindingOut>,
    /// Trace buckets that no merged partial covered: the report of a `merge` that lacks
    /// shards. Null when every bucket was analysed.
    pub missing_buckets: Option<crate::analysis::partial::Missing>,
    /// Built-in checks whose severity a rule pack sets (`[settings] severity`); JUnit and
    /// SARIF judge and describe those checks with it. Not in the JSON report (the findings
    /// carry their severity).
    #[serde(skip)]
    pub severity_overrides: BTreeMap<crate::finding::Code, Severity>,
}

impl Report {
    /// The severity findings of built-in check `code` have in this run.
    pub fn builtin_severity(&self, code: crate::finding::Code) -> Severity {
        self.severity_overrides.get(&code).copied().unwrap_or(code.severity())
    }
}

/// Options that shape the verdict.
#[derive(Clone, Copy, Debug)]
pub struct VerdictOptions {
    pub fail_on: Severity,
    pub allow_empty: bool,
}

/// Which checks and rules a report shows and judges (`--select`, `--ignore`): a pattern
/// matches a code or rule id that starts with it (`S` is every S code, `MKT01` MKT010 to
/// MKT019); with `select` empty, everything not ignored.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    pub fn keeps(&self, id: &str) -> bool {
        let hit = |p: &Vec<String>| p.iter().any(|x| id.starts_with(x.as_str()));
        (self.select.is_empty() || hit(&self.select)) && !hit(&self.ignore)
    }

    /// The patterns that match none of `ids` (most likely typos).
    pub fn unmatched<'a>(&'a self, ids: &[String]) -> Vec<&'a str> {
        self.select
            .iter()
            .chain(&self.ignore)
            .filter(|p| !ids.iter().any(|id| id.starts_with(p.as_str())))
            .map(String::as_str)
            .collect()
    }
}

impl Report {
    /// Builds the report of `a`.
    pub fn new(a: &Analysis, opts: VerdictOptions) -> Report {
        Report::selected(a, opts, &Selection::default())
    }

    /// Builds the report of `a` over the checks and rules `sel` keeps: the others' findings
    /// are neither listed nor counted, and their rules neither shown nor judged.
    pub fn selected(a: &Analysis, opts: VerdictOptions, sel: &Selection) -> Report {
        let counts = Counts {
            input: a.accounting.clone(),
            spans: a.spans,
            traces: a.structure.traces,
            resources: a.resources,
            logs_correlated: a.logs_correlated,
        };
        let fc = &a.finding_counts;
        let rules: Vec<RuleResult> = a.rules.iter().filter(|r| sel.keeps(&r.id)).cloned().collect();
        let severity_overrides: BTreeMap<crate::finding::Code, Severity> =
            a.rule_set.as_deref().map(|r| r.severity_overrides().map(|(c, s, _)| (c, s)).collect()).unwrap_or_default();
        let severity_of = |c: &CheckId| match c {
            CheckId::Builtin(code) => Some(severity_overrides.get(code).copied().unwrap_or(code.severity())),
            CheckId::Rule(id) => a.rules.iter().find(|r| &r.id == id).map(|r| r.severity),
        };
        let kept_codes: Vec<(&CheckId, &crate::finding::CodeCount)> =
            fc.by_code.iter().filter(|(c, _)| sel.keeps(c.as_str())).collect();
        let by_severity = if sel.select.is_empty() && sel.ignore.is_empty() {
            fc.by_severity.clone()
        } else {
            let mut m = BTreeMap::new();
            for (c, n) in &kept_codes {
                if let Some(s) = severity_of(c) {
                    *m.entry(s).or_insert(0) += n.count;
                }
            }
            m
        };
        let listed: Vec<&Finding> = a.findings.iter().filter(|f| sel.keeps(f.code.as_str())).collect();
        let summary = Summary {
            findings: by_severity.values().sum(),
            by_severity,
            by_code: kept_codes.iter().map(|(c, n)| ((*c).clone(), n.count)).collect(),
            listed: listed.len() as u64,
            max_findings_per_code: fc.max_per_code as u64,
            omitted: kept_codes.iter().filter(|(_, n)| n.omitted > 0).map(|(c, n)| ((*c).clone(), n.omitted)).collect(),
            suppressed: a.suppressions.iter().map(|s| s.suppressed).sum(),
        };
        let rule_set = a.rule_set.as_deref();
        let findings = listed.into_iter().map(|f| FindingOut::of(f, &a.files, rule_set)).collect();
        let verdict = verdict(a, &rules, &summary, &counts, opts);
        Report {
            schema: SCHEMA,
            tool: Tool::this(),
            digest: Digests {
                spans: a.spans_digest.clone(),
                spans_method: crate::digest::SPANS_METHOD,
                rules: rule_set.map(|r| crate::digest::rules(r.packs().iter().map(|p| p.canonical.as_str()))),
                rules_method: rule_set.map(|_| crate::digest::RULES_METHOD),
            },
            verdict,
            inputs: a.files.clone(),
            input_errors: a.errors.clone(),
            counts,
            structure: a.structure.clone(),
            summary,
            latency: Latency { method: a.latency_method, operations: a.latency.clone() },
            clock_skew: a.clock_skew.clone(),
            rule_packs: rule_set
                .map(|r| {
                    r.packs()
                        .iter()
                        .map(|p| PackOut {
                            name: p.name.clone(),
                            path: p.path.clone(),
                            kind: p.kind,
                            rules: p.rules,
                            sha256: p.sha256.clone(),
                            canonical_sha256: p.canonical.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            rules,
            suppressions: a.suppressions.clone(),
            findings,
            missing_buckets: a.missing_buckets.clone(),
            severity_overrides,
        }
    }
}

fn verdict(a: &Analysis, rules: &[RuleResult], summary: &Summary, counts: &Counts, opts: VerdictOptions) -> Verdict {
    let (outcome, reason) = if let Some(e) = a.errors.first() {
        let more = a.errors.len() - 1;
        let more = if more > 0 { format!(" (and {more} more)") } else { String::new() };
        (Outcome::Unusable, format!("cannot read {}: {}{more}", e.path, e.message))
    } else if counts.spans == 0 && !opts.allow_empty {
        let why = if counts.input.records_read == 0 {
            "the input is empty".to_string()
        } else {
            format!("no spans could be decoded from {} record(s)", counts.input.records_read)
        };
        (Outcome::Unusable, format!("{why} (pass --allow-empty to accept a dump without spans)"))
    } else if let Some(r) = rules.iter().find(|r| r.outcome == RuleOutcome::Error) {
        (Outcome::RuleError, format!("rule {} cannot be evaluated: {}", r.id, r.reason))
    } else if let Some(m) = &a.missing_buckets {
        let which = if m.shards.is_empty() {
            let (lo, hi) = m.ranges.first().copied().unwrap_or_default();
            if lo == hi { format!("the first is bucket {lo}") } else { format!("the first are buckets {lo}-{hi}") }
        } else {
            format!("shard(s) {} not merged", m.shards.join(", "))
        };
        (Outcome::Fail, format!("{} of 65536 trace buckets were not analysed ({which})", m.buckets))
    } else {
        let at_or_above: u64 = summary.by_severity.range(opts.fail_on..).map(|(_, n)| n).sum();
        let inconclusive: Vec<&RuleResult> =
            rules.iter().filter(|r| r.outcome == RuleOutcome::Inconclusive && r.fails_run(opts.fail_on)).collect();
        let mut why = Vec::new();
        if at_or_above > 0 {
            why.push(format!("{at_or_above} finding(s) at or above {}", opts.fail_on));
        }
        if !inconclusive.is_empty() {
            let ids: Vec<&str> = inconclusive.iter().map(|r| &*r.id).collect();
            why.push(format!("{} rule(s) inconclusive ({})", ids.len(), ids.join(", ")));
        }
        if why.is_empty() {
            (Outcome::Pass, format!("no findings at or above {}", opts.fail_on))
        } else {
            (Outcome::Fail, why.join("; "))
        }
    };
    Verdict { outcome, exit_code: outcome.exit_code(), fail_on: opts.fail_on, reason }
}

/// Checks that `sketched`, a report whose percentiles come from mergeable sketches (a
/// `merge` of partials), is `exact`'s report but for that: every section identical, every
/// operation's counts, min and max identical, and each percentile within the sketch's
/// stated bound of the exact one. Says what differs first.
pub fn agrees_within_sketch(exact: &Report, sketched: &Report) -> Result<(), String> {
    use crate::stats::sketch::{METHOD, RELATIVE_ERROR};
    if sketched.latency.method != METHOD {
        return Err(format!("the latency method is {:?}, not the sketch's", sketched.latency.method));
    }
    let (a, b) = (&exact.latency.operations, &sketched.latency.operations);
    if a.len() != b.len() {
        return Err(format!("{} operations, not {}", b.len(), a.len()));
    }
    for (x, y) in a.iter().zip(b) {
        let same = (&x.service, &x.name, x.count, x.errors, x.timed, x.min, x.max)
            == (&y.service, &y.name, y.count, y.errors, y.timed, y.min, y.max);
        if !same {
            return Err(format!("operation {:?}/{:?}: {y:?} instead of {x:?}", x.service, x.name));
        }
        for (p, e, s) in [("p50", x.p50, y.p50), ("p90", x.p90, y.p90), ("p99", x.p99, y.p99)] {
            let within = match (e, s) {
                (Some(e), Some(s)) => (s as f64 - e as f64).abs() <= RELATIVE_ERROR * e as f64 + 1.0,
                (e, s) => e == s,
            };
            if !within {
                return Err(format!(
                    "operation {:?}/{:?}: {p} {s:?} is not within the bound of {e:?}",
                    x.service, x.name
                ));
            }
        }
    }
    let mut rest = sketched.clone();
    rest.latency = exact.latency.clone();
    let (want, got) = (serde_json::to_value(exact), serde_json::to_value(&rest));
    let (Ok(serde_json::Value::Object(want)), Ok(serde_json::Value::Object(got))) = (want, got) else {
        return Err("a report does not serialise".into());
    };
    match want.iter().find(|(k, v)| got.get(*k) != Some(*v)) {
        Some((k, v)) => Err(format!(
            "section {k:?} differs:\n  exact:  {v}\n  merged: {}",
            got.get(k).unwrap_or(&serde_json::Value::Null)
        )),
        None if want.len() != got.len() => Err("the merged report has sections the exact one lacks".into()),
        None => Ok(()),
    }
}
