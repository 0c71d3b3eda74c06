use super::{CheckInfo, Code};

/// R001, raised by the rule set when it settles ([`crate::rules::RuleSet::expired_findings`]).
pub const INFO: CheckInfo = CheckInfo {
    code: Code::R001,
    name: "expired-suppression",
    summary: "A suppression in a rule pack or tracecheck.toml has passed its expiry date",
    doc: "\
What it checks
  A suppression may say until when it is acceptable (`expires = 2027-01-31`, in a rule pack
  or in tracecheck.toml). From that day on (UTC) it silences nothing, and each expired
  suppression is reported once, with where it is written, what it suppressed and why.

Why it matters
  A suppression is a promise to come back: a clock known to lag, a service still being
  fixed. Without a date it outlives the reason and hides the next real failure of the same
  check; with one, CI says when the promise is due.

Example
  sample-traces/checks/R001-expired-suppression.toml:4: the suppression of T004 (\"batch jobs
  end after their caller; INFRA-231\") expired on 2025-06-30: it no longer silences
  findings; fix the cause, or renew it with a later date

How to fix
  Fix what the suppressed check reports and delete the suppression, or, when it is still
  acceptable, write a later `expires` with the reason brought up to date.
",
};
