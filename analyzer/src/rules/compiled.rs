//! The compiled forms of selectors, expectations and aggregates that evaluation runs on,
//! and the string and regex tables they share.

use super::lang::{CmpOp, Relation};
use crate::model::{SpanKind, StatusCode};
use regex::Regex;

/// Where an attribute is looked up.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AttrScope {
    Span,
    Resource,
    /// `.key`: the span's attribute, else the resource's.
    Any,
}

/// A field of a span.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Name,
    Status,
    Kind,
    Duration,
    Start,
    End,
    StatusMessage,
    ParentName,
    ChildCount,
    TraceRootName,
    TraceDuration,
    Attr {
        scope: AttrScope,
        slot: u32,
        key: String,
    },
    /// `event.name`: the names of the span's events (true when any event satisfies the
    /// comparison; `= nil` when there is none).
    EventName,
    /// `event.<key>`: an attribute of the span's events, compared like `event.name`.
    EventAttr {
        slot: u32,
        key: String,
    },
}

/// The static type of a field or literal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ty {
    Str,
    /// Integers and floating-point numbers.
    Num,
    Bool,
    Duration,
    /// Nanoseconds since the Unix epoch.
    Time,
    Status,
    Kind,
    /// An attribute: its type is the value's, known only at evaluation.
    Dynamic,
    Nil,
}

impl Ty {
    pub(super) fn name(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Num => "a number",
            Ty::Bool => "a boolean",
            Ty::Duration => "a duration",
            Ty::Time => "a timestamp",
            Ty::Status => "a status",
            Ty::Kind => "a span kind",
            Ty::Dynamic => "an attribute",
            Ty::Nil => "nil",
        }
    }
}

impl Field {
    pub fn ty(&self) -> Ty {
        match self {
            Field::Name | Field::StatusMessage | Field::ParentName | Field::TraceRootName => Ty::Str,
            Field::Status => Ty::Status,
            Field::Kind => Ty::Kind,
            Field::Duration | Field::TraceDuration => Ty::Duration,
            Field::Start | Field::End => Ty::Time,
            Field::ChildCount => Ty::Num,
            Field::Attr { .. } | Field::EventAttr { .. } => Ty::Dynamic,
            Field::EventName => Ty::Str,
        }
    }

    /// Whether evaluating the field needs the trace graph (not just the span).
    pub fn needs_trace(&self) -> bool {
        matches!(self, Field::ParentName | Field::ChildCount | Field::TraceRootName | Field::TraceDuration)
    }

    /// The field as written in rules.
    pub fn display(&self) -> String {
        match self {
            Field::Name => "name".into(),
            Field::Status => "status".into(),
            Field::Kind => "kind".into(),
            Field::Duration => "duration".into(),
            Field::Start => "start".into(),
            Field::End => "end".into(),
            Field::StatusMessage => "statusMessage".into(),
            Field::ParentName => "parent.name".into(),
            Field::ChildCount => "childCount".into(),
            Field::TraceRootName => "trace.rootName".into(),
            Field::TraceDuration => "trace.duration".into(),
            Field::Attr { scope: AttrScope::Span, key, .. } => format!("span.{key}"),
            Field::Attr { scope: AttrScope::Resource, key, .. } => format!("resource.{key}"),
            Field::Attr { scope: AttrScope::Any, key, .. } => format!(".{key}"),
            Field::EventName => "event.name".into(),
            Field::EventAttr { key, .. } => format!("event.{key}"),
        }
    }
}

/// A compiled literal.
#[derive(Clone, Debug)]
pub enum Lit {
    /// A string literal: its slot and text.
    Str(u32, String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(u64),
    Status(StatusCode),
    Kind(SpanKind),
    Nil,
}

/// A compiled operand.
#[derive(Clone, Debug)]
pub enum Value {
    Field(Field),
    Lit(Lit),
    /// How many related spans match; with the text as written, for messages.
    Count(Relation, Box<Pred>, String),
}

/// A compiled boolean expression over one span.
#[derive(Clone, Debug)]
pub enum Pred {
    True,
    Or(Vec<Pred>),
    And(Vec<Pred>),
    Not(Box<Pred>),
    Cmp(Value, CmpOp, Value),
    /// `=~` / `!~` with the index of the compiled regex.
    Regex {
        value: Value,
        regex: usize,
        negate: bool,
    },
}

/// A compiled selector.
#[derive(Clone, Debug)]
pub struct Selector {
    pub first: Pred,
    pub rest: Vec<(Relation, Pred)>,
}

/// Aggregate functions.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Function {
    Count,
    ErrorRate,
    Min,
    Max,
    Mean,
    Sum,
    /// A percentile, 0 < p <= 100.
    Percentile(f64),
}

/// A compiled aggregate condition.
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub function: Function,
    /// The field aggregated; `None` for `count()` and `error_rate()`.
    pub arg: Option<Field>,
    pub op: CmpOp,
    pub rhs: Lit,
}

/// The shared tables of compiled rules: string slots and regexes.
#[derive(Debug, Default)]
pub struct Tables {
    pub strings: Vec<String>,
    pub regexes: Vec<Regex>,
}

impl Tables {
    pub(super) fn slot(&mut self, s: &str) -> u32 {
        if let Some(i) = self.strings.iter().position(|x| x == s) {
            return i as u32;
        }
        self.strings.push(s.to_string());
        (self.strings.len() - 1) as u32
    }
}

/// What a compiled expression may use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Context {
    /// Anything: selectors and expectations.
    Trace,
    /// Only the span itself (suppressions are applied without the trace graph).
    SpanOnly,
}
