//! Rule pack files: the TOML schema (strict: unknown keys are errors), validation, and
//! compilation into [`Rule`]s. Every error names the file, line and column.

use super::compile::{Aggregate, Field, Pred, Selector};
use crate::finding::{Code, Severity};
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use toml::Spanned;

/// An error in a rule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    /// 1-based; 0 when the error concerns the whole file.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for RuleError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PackFile {
    pub(super) schema: Spanned<i64>,
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) settings: Option<SettingsFile>,
    #[serde(default)]
    pub(super) rule: Vec<Spanned<RuleFile>>,
    #[serde(default)]
    pub(super) suppress: Vec<Spanned<SuppressFile>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct SettingsFile {
    pub(super) clock_skew: Option<Spanned<String>>,
    pub(super) min_samples: Option<Spanned<i64>>,
    /// Built-in codes with the severity this pack gives them (`{ S001 = "error" }`).
    pub(super) severity: Option<Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleFile {
    pub(super) id: Spanned<String>,
    pub(super) title: String,
    #[serde(default)]
    pub(super) severity: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) hint: Option<String>,
    #[serde(default)]
    pub(super) each: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) any: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) none: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) expect: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) children_in_order: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) within_parent: Option<bool>,
    #[serde(default)]
    pub(super) aggregate: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) group_by: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) scope: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) min_samples: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) allow_inconclusive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SuppressFile {
    pub(super) rule: Spanned<String>,
    pub(super) reason: Spanned<String>,
    #[serde(default)]
    pub(super) trace_id: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) span_id: Option<Spanned<String>>,
    #[serde(default, rename = "where")]
    pub(super) where_: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) expires: Option<Spanned<toml::Value>>,
}

/// How a rule quantifies over the spans its selector matches.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantifier {
    /// Every match must satisfy the expectations; no match is inconclusive.
    Each,
    /// At least one match (satisfying the expectations) must exist.
    Any,
    /// No span may match.
    None,
}

impl Quantifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Quantifier::Each => "each",
            Quantifier::Any => "any",
            Quantifier::None => "none",
        }
    }
}

/// Where `any` and aggregates are evaluated.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Once per trace.
    Trace,
    /// Once over the whole dump.
    Dump,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Trace => "trace",
            Scope::Dump => "dump",
        }
    }
}

/// Compiled text with its source, for messages.
#[derive(Clone, Debug)]
pub struct Sourced<T> {
    pub compiled: T,
    pub text: String,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: Arc<str>,
    /// Index of its pack in [`RuleSet::packs`](super::RuleSet::packs).
    pub pack: usize,
    pub title: String,
    pub severity: Severity,
    pub description: Option<String>,
    pub hint: Option<String>,
    pub quantifier: Quantifier,
    pub selector: Sourced<Selector>,
    pub expect: Vec<Sourced<Pred>>,
    pub children_in_order: Vec<Sourced<Pred>>,
    pub within_parent: bool,
    pub aggregates: Vec<Sourced<Aggregate>>,
    pub group_by: Vec<Field>,
    pub scope: Scope,
    pub min_samples: usize,
    pub allow_inconclusive: bool,
    /// Tolerance (ns) for order and containment in time.
    pub tolerance: u64,
    /// `file:line` of the rule's table.
    pub source: String,
}

/// Which findings a suppression silences.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Builtin(Code),
    Rule(Arc<str>),
}

/// A compiled suppression.
#[derive(Debug)]
pub struct Suppression {
    pub target: Target,
    pub reason: String,
    pub trace_id: Option<crate::model::TraceId>,
    pub span_id: Option<crate::model::SpanId>,
    pub where_: Option<Sourced<Pred>>,
    pub source: String,
    /// The day (`YYYY-MM-DD`, UTC) from which the suppression no longer applies.
    pub expires: Option<String>,
    /// Whether that day had come when the suppression was loaded: it then silences nothing
    /// and is itself a finding (R001).
    pub expired: bool,
}

/// What a loaded file is: a rule pack, or a repository's `tracecheck.toml`, whose
/// suppressions apply after every pack's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackKind {
    Rules,
    Config,
}

/// A loaded pack.
#[derive(Debug)]
pub struct Pack {
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub rules: usize,
    /// sha256 of the pack file's bytes.
    pub sha256: String,
    /// sha256 of the pack's canonical form (comments, layout and order left out), which
    /// the rules digest is made of.
    pub canonical: String,
    /// The pack file as read, so partial results can carry the rules they were made with.
    pub text: String,
    /// The pack's `schema`: 1 matches regexes anywhere in a value, 2 (TraceQL) the whole value.
    pub schema: i64,
    pub kind: PackKind,
}

impl Rule {
    /// The rule in words, as `tracecheck explain ID` prints it (and SARIF carries it).
    pub fn explain(&self, pack: &str) -> String {
        let r = self;
        let mut s = format!("{} {} ({})\n", r.id, r.title, r.severity);
        s.push_str(&format!("pack {pack}, defined at {}\n\n", r.source));
        if let Some(d) = &r.description {
            s.push_str(d.trim_end());
            s.push_str("\n\n");
        }
        let q = match r.quantifier {
            Quantifier::Each => "Every span matching",
            Quantifier::Any => "At least one span matching",
            Quantifier::None => "No span may match",
        };
        s.push_str(&format!("{q}\n    {}\n", r.selector.text));
        if !r.expect.is_empty() {
            s.push_str("must satisfy\n");
            for e in &r.expect {
                s.push_str(&format!("    {}\n", e.text));
            }
        }
        if !r.children_in_order.is_empty() {
            let order: Vec<&str> = r.children_in_order.iter().map(|p| p.text.as_str()).collect();
            s.push_str(&format!("must have children in this order\n    {}\n", order.join("\n    ")));
        }
        if r.within_parent {
            s.push_str("must lie within its parent's time span\n");
        }
        if !r.aggregates.is_empty() {
            let groups: Vec<String> = r.group_by.iter().map(|f| f.display()).collect();
            let per = if groups.is_empty() { String::new() } else { format!(" per {}", groups.join(", ")) };
            s.push_str(&format!(
                "and over all matches ({} scope{per}, min_samples {})\n",
                r.scope.as_str(),
                r.min_samples
            ));
            for a in &r.aggregates {
                s.push_str(&format!("    {}\n", a.text));
            }
        }
        if r.allow_inconclusive {
            s.push_str("An inconclusive outcome does not fail the run.\n");
        }
        if let Some(h) = &r.hint {
            s.push_str(&format!("\nHow to fix: {h}\n"));
        }
        s
    }
}
