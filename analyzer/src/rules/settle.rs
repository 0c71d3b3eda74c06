//! The dump-wide settlement of each rule: `any` and `each` without matches, dump-scope
//! aggregates, and the rule's outcome.

use super::RuleSet;
use super::aggregate::judge_group;
use super::outcome::{RuleOutcome, RuleResult};
use super::pack::{Quantifier, Scope};
use super::partial::{KeyVal, RuleTotals, Tally};
use super::trace_eval::{expected_any, key_label, rule_finding};
use crate::finding::Finding;

/// A dump-scope group: the rule's index and the group's key.
type GroupId = (u32, Vec<KeyVal>);

impl RuleSet {
    /// Settles every rule over the dump: `any` and `each` with no matches, dump-scope
    /// aggregates. Returns per-rule results (outcomes settled by
    /// [`RuleSet::settle_suppressed`]) and the findings of all rules.
    pub fn finish(&self, mut merged: RuleTotals) -> (Vec<RuleResult>, Vec<Finding>) {
        let rules = self.rules();
        merged.tallies.resize(rules.len(), Tally::default());
        let tallies = std::mem::take(&mut merged.tallies);
        let mut groups = merged.grouped();
        let mut findings = Vec::new();
        let mut results = Vec::with_capacity(rules.len());
        for (ri, rule) in rules.iter().enumerate() {
            let t = &tallies[ri];
            let mut inconclusive = t.inconclusive_reason.clone().map(|(_, r)| {
                if t.inconclusive > 1 { format!("{r} (and {} more trace group(s))", t.inconclusive - 1) } else { r }
            });
            let mut error = t.error.clone().map(|(_, e)| e);
            if rule.quantifier == Quantifier::Each && t.matched == 0 {
                inconclusive = Some(format!("no span matched {}", rule.selector.text));
            }
            if rule.quantifier == Quantifier::Any && rule.scope == Scope::Dump && t.satisfied == 0 {
                let actual = if t.matched == 0 {
                    "no span in the dump matched the selector".to_string()
                } else {
                    format!("{} span(s) matched the selector, none satisfied the expectations", t.matched)
                };
                findings.push(rule_finding(rule, None, expected_any(rule), actual));
            }
            let mut aggregates = Vec::new();
            if rule.scope == Scope::Dump && !rule.aggregates.is_empty() {
                // Groups in the order of their printed values: symbols follow input order.
                let mut keys: Vec<(Option<String>, GroupId)> = groups
                    .range((ri as u32, Vec::new())..)
                    .take_while(|(k, _)| k.0 == ri as u32)
                    .map(|(k, _)| (key_label(rule, &k.1), k.clone()))
                    .collect();
                keys.sort();
                if keys.is_empty() && inconclusive.is_none() {
                    inconclusive = Some(format!("no span matched {}", rule.selector.text));
                }
                for (label, key) in keys {
                    let Some(acc) = groups.get_mut(&key) else { continue };
                    for a in judge_group(&|s| Some(s), rule, acc, label, None, "the dump", &mut findings) {
                        match a.outcome {
                            RuleOutcome::Inconclusive if inconclusive.is_none() => inconclusive = Some(a.why()),
                            RuleOutcome::Error if error.is_none() => error = a.reason.clone(),
                            _ => {}
                        }
                        aggregates.push(a);
                    }
                }
            }
            results.push(RuleResult {
                id: rule.id.clone(),
                pack: self.packs()[rule.pack].name.clone(),
                title: rule.title.clone(),
                severity: rule.severity,
                quantifier: rule.quantifier,
                outcome: RuleOutcome::Pass,
                matched: t.matched,
                findings: 0,
                suppressed: 0,
                allow_inconclusive: rule.allow_inconclusive,
                reason: String::new(),
                aggregates,
                source: rule.source.clone(),
                inconclusive,
                error,
            });
        }
        findings.extend(self.expired_findings());
        (results, findings)
    }
}
