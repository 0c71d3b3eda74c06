//! The vocabulary shared by checks, rules and reports: what a finding is, how bad it is,
//! and the stable code or rule id that produced it.

pub mod collect;
pub mod out;

pub use collect::{CodeCount, Collected, DEFAULT_MAX_FINDINGS, FindingCounts};
pub use out::FindingsOut;

use crate::model::{SourceLoc, SpanId, TraceId};
use std::fmt;

/// How bad a finding is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($($code:ident: $severity:ident),* $(,)?) => {
        /// Stable check codes. The letter is the family: I input, S structure, T time,
        /// A attributes, E errors, C the Collector's own telemetry, L logs, R rules and configuration.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub enum Code { $($code),* }

        impl Code {
            /// The code as text (`S001`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code)),* }
            }

            /// The severity of the code's findings.
            pub fn severity(self) -> Severity {
                match self { $(Code::$code => Severity::$severity),* }
            }

            /// Parses a code, any case.
            pub fn parse(s: &str) -> Option<Code> {
                match s.to_ascii_uppercase().as_str() {
                    $(stringify!($code) => Some(Code::$code),)*
                    _ => None,
                }
            }
        }
    };
}
codes!(
    I001: Error,
    I002: Error,
    I003: Error,
    I004: Error,
    I005: Warning,
    I006: Warning,
    I007: Error,
    S001: Warning,
    S002: Warning,
    S003: Warning,
    S004: Error,
    S005: Error,
    S006: Error,
    S007: Error,
    T001: Error,
    T002: Error,
    T003: Warning,
    T004: Warning,
    T005: Warning,
    A001: Warning,
    A002: Warning,
    A003: Warning,
    A004: Warning,
    A005: Warning,
    E001: Warning,
    C001: Error,
    C002: Error,
    C003: Error,
    C004: Error,
    C005: Error,
    L001: Warning,
    L002: Warning,
    L003: Warning,
    R001: Warning,
);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What produced a finding: a built-in check or a rule of a rule pack. Built-in codes sort
/// first, in code order, then rule ids.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CheckId {
    Builtin(Code),
    Rule(std::sync::Arc<str>),
}

impl CheckId {
    /// The code or rule id as text.
    pub fn as_str(&self) -> &str {
        match self {
            CheckId::Builtin(c) => c.as_str(),
            CheckId::Rule(id) => id,
        }
    }
}

impl From<Code> for CheckId {
    fn from(c: Code) -> CheckId {
        CheckId::Builtin(c)
    }
}

impl PartialEq<Code> for CheckId {
    fn eq(&self, other: &Code) -> bool {
        *self == CheckId::Builtin(*other)
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A built-in code when the text is one, else a rule id.
impl<'de> serde::Deserialize<'de> for CheckId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CheckId, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(match Code::parse(&text) {
            Some(c) => CheckId::Builtin(c),
            None => CheckId::Rule(text.as_ref().into()),
        })
    }
}

/// What a rule expected and found, with the rule's hint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleDetail {
    pub expected: String,
    pub actual: String,
    pub hint: Option<String>,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub code: CheckId,
    pub severity: Severity,
    pub trace_id: Option<TraceId>,
    pub span_ids: Vec<SpanId>,
    pub message: String,
    pub loc: Option<SourceLoc>,
    /// Set for findings of rules.
    pub detail: Option<Box<RuleDetail>>,
}

impl Finding {
    /// A finding with the default severity of `code`.
    pub fn new(code: Code, message: String) -> Finding {
        Finding {
            code: CheckId::Builtin(code),
            severity: code.severity(),
            trace_id: None,
            span_ids: Vec::new(),
            message,
            loc: None,
            detail: None,
        }
    }

    /// Adds more span ids.
    pub fn with_spans(mut self, ids: impl IntoIterator<Item = SpanId>) -> Finding {
        self.span_ids.extend(ids);
        self
    }

    /// The ordering key of reports: severity (worst first), code, trace, spans, message.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (std::cmp::Reverse(self.severity), &self.code, self.trace_id, &self.span_ids, &self.message)
    }
}
