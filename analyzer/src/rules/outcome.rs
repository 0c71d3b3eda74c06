//! What became of each rule and suppression: the results reports show.

use super::pack::Quantifier;
use crate::finding::Severity;
use std::sync::Arc;

/// The outcome of a rule (or of one aggregate group).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleOutcome {
    Pass,
    /// Nothing to judge: no span matched, or too few samples.
    Inconclusive,
    Fail,
    /// The rule cannot be evaluated as written (for example a non-numeric aggregate).
    Error,
}

impl RuleOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOutcome::Pass => "pass",
            RuleOutcome::Inconclusive => "inconclusive",
            RuleOutcome::Fail => "fail",
            RuleOutcome::Error => "error",
        }
    }
}

/// One aggregate over one group of matches (dump scope).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AggregateResult {
    pub aggregate: String,
    /// `name = "dht.put"` for rules with `group_by`.
    pub group: Option<String>,
    pub samples: u64,
    /// The aggregate's value as text (`612.00ms`, `0.25`).
    pub value: Option<String>,
    pub outcome: RuleOutcome,
    /// Why it is inconclusive or an error (null otherwise).
    pub reason: Option<String>,
}

/// What became of one rule.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RuleResult {
    pub id: Arc<str>,
    pub pack: String,
    pub title: String,
    pub severity: Severity,
    pub quantifier: Quantifier,
    pub outcome: RuleOutcome,
    /// Spans the selector matched.
    pub matched: u64,
    /// Findings reported (after suppressions).
    pub findings: u64,
    pub suppressed: u64,
    pub allow_inconclusive: bool,
    /// One line on why the outcome is what it is.
    pub reason: String,
    pub aggregates: Vec<AggregateResult>,
    /// `file:line` of the rule.
    pub source: String,
    #[serde(skip)]
    pub(super) inconclusive: Option<String>,
    #[serde(skip)]
    pub(super) error: Option<String>,
}

impl RuleResult {
    /// Whether this result fails a run that fails on `fail_on`.
    pub fn fails_run(&self, fail_on: Severity) -> bool {
        match self.outcome {
            RuleOutcome::Fail => self.severity >= fail_on,
            RuleOutcome::Inconclusive => !self.allow_inconclusive && self.severity >= fail_on,
            RuleOutcome::Error => true,
            RuleOutcome::Pass => false,
        }
    }

    pub(super) fn settle(&mut self) {
        let (outcome, reason) = if let Some(e) = &self.error {
            (RuleOutcome::Error, e.clone())
        } else if self.findings > 0 {
            (RuleOutcome::Fail, format!("{} finding(s) on {} matched span(s)", self.findings, self.matched))
        } else if let Some(why) = &self.inconclusive {
            (RuleOutcome::Inconclusive, why.clone())
        } else if self.suppressed > 0 {
            (RuleOutcome::Pass, format!("{} matched span(s); {} finding(s) suppressed", self.matched, self.suppressed))
        } else {
            (RuleOutcome::Pass, format!("{} matched span(s), all as expected", self.matched))
        };
        self.outcome = outcome;
        self.reason = reason;
    }
}

/// How many findings a suppression silenced.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SuppressionResult {
    pub rule: String,
    pub reason: String,
    pub suppressed: u64,
    pub source: String,
    /// The day (`YYYY-MM-DD`, UTC) from which it no longer applies.
    pub expires: Option<String>,
    /// Whether that day has come: it silenced nothing (and is an R001 finding).
    pub expired: bool,
}
