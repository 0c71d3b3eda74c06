//! The compiled forms of selectors, expectations and aggregates that evaluation runs on,
//! and the string and regex tables they share.

use super::lang::{CmpOp, Relation, SetOp};
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
    /// `event:timeSinceStart`: each event's time after the span's start.
    EventTimeSinceStart,
    /// `span:id`, `span:parentID` (nil for a root), `trace:id`: compared with hex strings.
    SpanId,
    ParentId,
    TraceId,
    /// `trace:rootService`: the service of the trace's earliest root.
    TraceRootService,
    /// `instrumentation:name`, `instrumentation:version`, `instrumentation.KEY`: the
    /// instrumentation scope's name, version and attributes.
    ScopeName,
    ScopeVersion,
    ScopeAttr {
        slot: u32,
        key: String,
    },
    /// `link.KEY`: an attribute of the span's links, compared like `event.KEY`.
    LinkAttr {
        slot: u32,
        key: String,
    },
    /// `link:traceID`, `link:spanID`: the span's links (true when any link satisfies the
    /// comparison, like events).
    LinkTraceId,
    LinkSpanId,
    /// `parent.FIELD`: a field of the span's parent (nil for a root or an orphan), such as
    /// `parent.status` or `parent.resource.service.instance.id`.
    Parent(Box<Field>),
    /// `selfTime`: the duration minus what the children cover.
    SelfTime,
    /// `criticalPath`: whether the span is on its trace's critical path.
    CriticalPath,
    /// `trace.spanCount`, `trace.errorCount`: spans, and spans with status ERROR, of the trace.
    TraceSpanCount,
    TraceErrorCount,
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
    /// Trace and span ids, written as hex strings.
    TraceId,
    SpanId,
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
            Ty::TraceId => "a trace id",
            Ty::SpanId => "a span id",
        }
    }
}

impl Field {
    pub fn ty(&self) -> Ty {
        match self {
            Field::Name
            | Field::StatusMessage
            | Field::ParentName
            | Field::TraceRootName
            | Field::TraceRootService
            | Field::ScopeName
            | Field::ScopeVersion => Ty::Str,
            Field::ScopeAttr { .. } | Field::LinkAttr { .. } => Ty::Dynamic,
            Field::SpanId | Field::ParentId | Field::LinkSpanId => Ty::SpanId,
            Field::TraceId | Field::LinkTraceId => Ty::TraceId,
            Field::EventTimeSinceStart => Ty::Duration,
            Field::Status => Ty::Status,
            Field::Kind => Ty::Kind,
            Field::Duration | Field::TraceDuration => Ty::Duration,
            Field::Start | Field::End => Ty::Time,
            Field::ChildCount => Ty::Num,
            Field::Attr { .. } | Field::EventAttr { .. } => Ty::Dynamic,
            Field::EventName => Ty::Str,
            Field::Parent(inner) => inner.ty(),
            Field::SelfTime => Ty::Duration,
            Field::CriticalPath => Ty::Bool,
            Field::TraceSpanCount | Field::TraceErrorCount => Ty::Num,
        }
    }

    /// Whether evaluating the field needs the trace graph (not just the span).
    pub fn needs_trace(&self) -> bool {
        matches!(
            self,
            Field::ParentName
                | Field::ChildCount
                | Field::TraceRootName
                | Field::TraceDuration
                | Field::TraceRootService
                | Field::ParentId
                | Field::Parent(_)
                | Field::SelfTime
                | Field::CriticalPath
                | Field::TraceSpanCount
                | Field::TraceErrorCount
        )
    }

    /// Whether the field is a fact of the span alone (its own intrinsics and attributes,
    /// its resource's and scope's), so it can be read on another span (`parent.X`).
    pub fn of_one_span(&self) -> bool {
        matches!(
            self,
            Field::Name
                | Field::Status
                | Field::Kind
                | Field::Duration
                | Field::Start
                | Field::End
                | Field::StatusMessage
                | Field::SelfTime
                | Field::ChildCount
                | Field::Attr { .. }
                | Field::SpanId
                | Field::ScopeName
                | Field::ScopeVersion
                | Field::ScopeAttr { .. }
        )
    }

    /// Whether the field has one value per event or link, any of which may satisfy a
    /// comparison.
    pub fn is_multi(&self) -> bool {
        matches!(
            self,
            Field::EventName
                | Field::EventAttr { .. }
                | Field::EventTimeSinceStart
                | Field::LinkTraceId
                | Field::LinkSpanId
                | Field::LinkAttr { .. }
        )
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
            Field::EventTimeSinceStart => "event:timeSinceStart".into(),
            Field::SpanId => "span:id".into(),
            Field::ParentId => "span:parentID".into(),
            Field::TraceId => "trace:id".into(),
            Field::TraceRootService => "trace:rootService".into(),
            Field::ScopeName => "instrumentation:name".into(),
            Field::ScopeVersion => "instrumentation:version".into(),
            Field::ScopeAttr { key, .. } => format!("instrumentation.{key}"),
            Field::LinkAttr { key, .. } => format!("link.{key}"),
            Field::LinkTraceId => "link:traceID".into(),
            Field::LinkSpanId => "link:spanID".into(),
            Field::Parent(inner) => format!("parent.{}", inner.display()),
            Field::SelfTime => "selfTime".into(),
            Field::CriticalPath => "criticalPath".into(),
            Field::TraceSpanCount => "trace.spanCount".into(),
            Field::TraceErrorCount => "trace.errorCount".into(),
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
    TraceId(crate::model::TraceId),
    SpanId(crate::model::SpanId),
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

/// A compiled set of spans of one trace.
#[derive(Clone, Debug)]
pub enum SetExpr {
    Filter(Pred),
    Op { op: SetOp, lhs: Box<SetExpr>, rhs: Box<SetExpr> },
    Pipeline { input: Box<SetExpr>, stages: Vec<Stage> },
}

/// A compiled pipeline stage.
#[derive(Clone, Debug)]
pub enum Stage {
    Filter(SetExpr),
    Scalar(Aggregate),
    By(Field),
    Coalesce,
}

/// A compiled selector.
#[derive(Clone, Debug)]
pub struct Selector {
    pub expr: SetExpr,
}

impl Selector {
    /// The spanset whose spans the selector returns last (the right side of structural
    /// operators), to describe a match.
    pub fn last_filter(&self) -> &Pred {
        fn last(e: &SetExpr) -> &Pred {
            match e {
                SetExpr::Filter(p) => p,
                SetExpr::Op { rhs, .. } => last(rhs),
                SetExpr::Pipeline { input, .. } => last(input),
            }
        }
        last(&self.expr)
    }

    /// The predicate when the selector is one spanset.
    pub fn single(&self) -> Option<&Pred> {
        match &self.expr {
            SetExpr::Filter(p) => Some(p),
            _ => None,
        }
    }
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
