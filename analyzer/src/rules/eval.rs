//! Evaluation of compiled rules on one trace graph.

use super::aggregate::{holds, numeric_rhs};
use super::compile::{Aggregate, AttrScope, Field, Function, Lit, Pred, Selector, SetExpr, Stage, Tables, Value};
use super::lang::{CmpOp, Relation, SetOp};
use super::values::model_value;
pub use super::values::{RegexMemo, Rv};
use crate::graph::TraceGraph;
use crate::model::time::fmt_ns;
use crate::model::{Dump, Span, StatusCode, Sym};
use petgraph::graph::NodeIndex;
use std::cmp::Ordering;

/// Facts about the whole trace some fields need.
#[derive(Clone, Copy, Debug, Default)]
struct TraceFacts {
    root_name: Option<Sym>,
    root_service: Option<Sym>,
    duration: Option<u64>,
    spans: usize,
    errors: usize,
}

/// What evaluation sees: the dump, the bound string slots and, for trace-level fields and
/// structure, the trace graph.
#[derive(Debug)]
pub struct Cx<'a> {
    pub dump: &'a Dump,
    pub tables: &'a Tables,
    /// The dump's symbol for each string slot, if the string occurs in the dump.
    pub syms: &'a [Option<Sym>],
    pub graph: Option<&'a TraceGraph>,
    facts: TraceFacts,
    /// Each node's span name, for selectors that start with `name = "…"`.
    names: Vec<Sym>,
    memo: Option<&'a RegexMemo>,
    /// The trace's critical path, made the first time a rule asks.
    critical: std::cell::OnceCell<Vec<bool>>,
}

impl<'a> Cx<'a> {
    /// A context over one trace.
    pub fn trace(dump: &'a Dump, tables: &'a Tables, syms: &'a [Option<Sym>], graph: &'a TraceGraph) -> Cx<'a> {
        let spans = || graph.spans.iter().map(|&s| &dump.spans[s as usize]);
        let root = graph.roots.iter().map(|&n| &dump.spans[graph.span_index(n)]).min_by_key(|s| (s.start, s.span_id));
        let root_name = root.map(|s| s.name);
        let root_service = root.and_then(|s| dump.resource(s).service_name);
        let start = spans().filter(|s| s.start != 0).map(|s| s.start).min();
        let end = spans().filter(|s| s.end != 0).map(|s| s.end).max();
        let duration = match (start, end) {
            (Some(a), Some(b)) if b >= a => Some(b - a),
            _ => None,
        };
        let names = spans().map(|s| s.name).collect();
        Cx {
            dump,
            tables,
            syms,
            graph: Some(graph),
            facts: TraceFacts {
                root_name,
                root_service,
                duration,
                spans: graph.len(),
                errors: spans().filter(|s| s.status == crate::model::StatusCode::Error).count(),
            },
            names,
            memo: None,
            critical: std::cell::OnceCell::new(),
        }
    }

    /// Remembers regex outcomes in `memo` (which must belong to this dump's strings).
    pub fn with_memo(mut self, memo: &'a RegexMemo) -> Cx<'a> {
        self.memo = Some(memo);
        self
    }

    /// A context for span-only predicates (no trace graph).
    pub fn span_only(dump: &'a Dump, tables: &'a Tables, syms: &'a [Option<Sym>]) -> Cx<'a> {
        Cx {
            dump,
            tables,
            syms,
            graph: None,
            facts: TraceFacts::default(),
            names: Vec::new(),
            memo: None,
            critical: std::cell::OnceCell::new(),
        }
    }

    fn graph(&self) -> &'a TraceGraph {
        self.graph.expect("trace fields are rejected at compile time where no graph is given")
    }

    /// The span of node `n` of the trace.
    pub fn span(&self, n: usize) -> &'a Span {
        &self.dump.spans[self.graph().span_index(NodeIndex::new(n))]
    }

    /// The value of `field` on `span` (node `node` of the trace, if there is a trace).
    pub fn field(&self, field: &Field, span: &Span, node: Option<usize>) -> Rv {
        let opt_str = |s: Sym| if s == Sym::EMPTY { Rv::Nil } else { Rv::Str(s) };
        let time = |t: u64| if t == 0 { Rv::Nil } else { Rv::Int(t.min(i64::MAX as u64) as i64) };
        match field {
            Field::Name => Rv::Str(span.name),
            Field::Status => Rv::Status(span.status),
            Field::Kind => Rv::Kind(span.kind),
            Field::Duration => span.duration().map_or(Rv::Nil, Rv::Duration),
            Field::Start => time(span.start),
            Field::End => time(span.end),
            Field::StatusMessage => opt_str(span.status_message),
            Field::ParentName => match node.and_then(|n| self.graph().parent[n]) {
                Some(p) => Rv::Str(self.span(p.index()).name),
                None => Rv::Nil,
            },
            Field::ChildCount => node.map_or(Rv::Nil, |n| Rv::Int(i64::from(self.graph().child_count[n]))),
            Field::TraceRootName => self.facts.root_name.map_or(Rv::Nil, Rv::Str),
            Field::TraceDuration => self.facts.duration.map_or(Rv::Nil, Rv::Duration),
            Field::TraceRootService => self.facts.root_service.map_or(Rv::Nil, Rv::Str),
            Field::TraceSpanCount => Rv::Int(self.facts.spans as i64),
            Field::TraceErrorCount => Rv::Int(self.facts.errors as i64),
            Field::Parent(inner) => match node.and_then(|n| self.graph().parent[n]) {
                Some(p) => self.field(inner, self.span(p.index()), Some(p.index())),
                None => Rv::Nil,
            },
            Field::SelfTime => match node {
                Some(n) => {
                    crate::graph::self_time(self.dump, self.graph(), NodeIndex::new(n)).map_or(Rv::Nil, Rv::Duration)
                }
                None => Rv::Nil,
            },
            Field::CriticalPath => match node {
                Some(n) => {
                    let on = self.critical.get_or_init(|| crate::graph::critical_path(self.dump, self.graph()));
                    Rv::Bool(on.get(n).copied().unwrap_or(false))
                }
                None => Rv::Nil,
            },
            Field::SpanId => Rv::SpanId(span.span_id),
            Field::ParentId => match span.parent {
                crate::model::Parent::Span(p) => Rv::SpanId(p),
                _ => Rv::Nil,
            },
            Field::TraceId => Rv::TraceId(span.trace_id),
            Field::ScopeName => opt_str(self.dump.scope(span).name),
            Field::ScopeVersion => opt_str(self.dump.scope(span).version),
            Field::ScopeAttr { slot, .. } => {
                let attrs = &self.dump.attrs[self.dump.scope(span).attrs.range()];
                self.syms[*slot as usize]
                    .and_then(|k| attrs.iter().find(|a| a.key == k))
                    .map_or(Rv::Nil, |a| model_value(a.value()))
            }
            // Event and link fields have many values; a single read sees the first.
            f if f.is_multi() => self.multi_values(field, span).first().copied().unwrap_or(Rv::Nil),
            Field::EventName
            | Field::EventAttr { .. }
            | Field::EventTimeSinceStart
            | Field::LinkTraceId
            | Field::LinkSpanId
            | Field::LinkAttr { .. } => Rv::Nil,
            Field::Attr { scope, slot, .. } => {
                let Some(key) = self.syms[*slot as usize] else { return Rv::Nil };
                let find = |attrs: &[crate::model::Attr]| attrs.iter().find(|a| a.key == key).map(|a| a.value());
                let found = match scope {
                    AttrScope::Span => find(self.dump.span_attrs(span)),
                    AttrScope::Resource => find(&self.dump.attrs[self.dump.resource(span).attrs.range()]),
                    AttrScope::Any => find(self.dump.span_attrs(span))
                        .or_else(|| find(&self.dump.attrs[self.dump.resource(span).attrs.range()])),
                };
                found.map_or(Rv::Nil, model_value)
            }
        }
    }

    /// The values an event or link field takes on each event or link of `span` (`Nil` for
    /// those without the attribute).
    fn multi_values(&self, field: &Field, span: &Span) -> Vec<Rv> {
        let events = self.dump.span_events(span);
        match field {
            Field::EventName => events.iter().map(|e| Rv::Str(e.name)).collect(),
            Field::EventTimeSinceStart => events
                .iter()
                .map(|e| match (span.start, e.time) {
                    (s, t) if s != 0 && t >= s => Rv::Duration(t - s),
                    _ => Rv::Nil,
                })
                .collect(),
            Field::LinkTraceId => self.dump.span_links(span).iter().map(|l| Rv::TraceId(l.trace_id)).collect(),
            Field::LinkSpanId => self.dump.span_links(span).iter().map(|l| Rv::SpanId(l.span_id)).collect(),
            Field::LinkAttr { slot, .. } => {
                let key = self.syms[*slot as usize];
                self.dump
                    .span_links(span)
                    .iter()
                    .map(|l| {
                        let attrs = &self.dump.attrs[l.attrs.range()];
                        key.and_then(|k| attrs.iter().find(|a| a.key == k)).map_or(Rv::Nil, |a| model_value(a.value()))
                    })
                    .collect()
            }
            Field::EventAttr { slot, .. } => {
                let key = self.syms[*slot as usize];
                events
                    .iter()
                    .map(|e| {
                        let attrs = &self.dump.attrs[e.attrs.range()];
                        key.and_then(|k| attrs.iter().find(|a| a.key == k)).map_or(Rv::Nil, |a| model_value(a.value()))
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    fn lit(&self, l: &Lit) -> Rv {
        match l {
            Lit::Str(slot, _) => self.syms[*slot as usize].map_or(Rv::Text(*slot), Rv::Str),
            Lit::Int(n) => Rv::Int(*n),
            Lit::Float(n) => Rv::Float(*n),
            Lit::Bool(b) => Rv::Bool(*b),
            Lit::Duration(d) => Rv::Duration(*d),
            Lit::Status(s) => Rv::Status(*s),
            Lit::Kind(k) => Rv::Kind(*k),
            Lit::Nil => Rv::Nil,
            Lit::TraceId(t) => Rv::TraceId(*t),
            Lit::SpanId(s) => Rv::SpanId(*s),
        }
    }

    /// The value of an operand.
    pub fn value(&self, v: &Value, span: &Span, node: Option<usize>) -> Rv {
        match v {
            Value::Field(f) => self.field(f, span, node),
            Value::Lit(l) => self.lit(l),
            Value::Count(rel, pred, _) => match node {
                Some(n) => Rv::Int(self.count(*rel, pred, n) as i64),
                None => Rv::Nil,
            },
        }
    }

    /// Whether node `n` (or a bare span) satisfies `pred`.
    pub fn test(&self, pred: &Pred, span: &Span, node: Option<usize>) -> bool {
        if let Some(name) = self.name_eq(pred) {
            return name == Some(span.name);
        }
        match pred {
            Pred::True => true,
            Pred::Or(t) => t.iter().any(|p| self.test(p, span, node)),
            Pred::And(t) => t.iter().all(|p| self.test(p, span, node)),
            Pred::Not(p) => !self.test(p, span, node),
            Pred::Cmp(Value::Field(f), op, r) if f.is_multi() => {
                // Existential over events (links): `= nil` holds when none has a value.
                let rhs = self.value(r, span, node);
                let values = self.multi_values(f, span);
                match (op, rhs) {
                    (CmpOp::Eq, Rv::Nil) => values.iter().all(|v| *v == Rv::Nil),
                    _ => values.into_iter().any(|v| self.compare(v, *op, rhs)),
                }
            }
            Pred::Cmp(l, op, r) => {
                let (a, b) = (self.value(l, span, node), self.value(r, span, node));
                // Between two fields, an absent value compares with nothing (only a literal
                // `nil` tests absence).
                if !matches!(r, Value::Lit(_)) && (a == Rv::Nil || b == Rv::Nil) {
                    return false;
                }
                self.compare(a, *op, b)
            }
            Pred::Regex { value: Value::Field(f), regex, negate } if f.is_multi() => {
                self.multi_values(f, span).into_iter().any(|v| self.regex(v, *regex, *negate))
            }
            Pred::Regex { value, regex, negate } => self.regex(self.value(value, span, node), *regex, *negate),
        }
    }

    fn regex(&self, v: Rv, regex: usize, negate: bool) -> bool {
        let Rv::Str(s) = v else { return false };
        let test = || self.tables.regexes[regex].is_match(self.dump.str(s));
        let hit = match self.memo {
            Some(m) => m.get(regex, s, test),
            None => test(),
        };
        hit != negate
    }

    /// The symbol `pred` requires of the span name when it is `name = "…"`: `Some(None)`
    /// when the string occurs nowhere in the dump (nothing matches).
    fn name_eq(&self, pred: &Pred) -> Option<Option<Sym>> {
        match pred {
            Pred::Cmp(Value::Field(Field::Name), CmpOp::Eq, Value::Lit(Lit::Str(slot, _))) => {
                Some(self.syms[*slot as usize])
            }
            _ => None,
        }
    }

    /// Whether node `n` satisfies `pred`.
    pub fn test_node(&self, pred: &Pred, n: usize) -> bool {
        self.test(pred, self.span(n), Some(n))
    }

    fn text(&self, v: Rv) -> Option<&str> {
        match v {
            Rv::Str(s) => Some(self.dump.str(s)),
            Rv::Text(slot) => Some(&self.tables.strings[slot as usize]),
            _ => None,
        }
    }

    /// `a op b`. An absent value satisfies only `= nil`; values of different types never
    /// compare (every operator, `!=` included, is false).
    pub fn compare(&self, a: Rv, op: CmpOp, b: Rv) -> bool {
        let ord = match (a, b) {
            (_, Rv::Nil) => {
                return match op {
                    CmpOp::Eq => a == Rv::Nil,
                    CmpOp::Ne => a != Rv::Nil,
                    _ => false,
                };
            }
            (Rv::Nil, _) => return false,
            (Rv::Str(x), Rv::Str(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                return (x == y) == (op == CmpOp::Eq);
            }
            (Rv::Str(_) | Rv::Text(_), Rv::Str(_) | Rv::Text(_)) => self.text(a).cmp(&self.text(b)),
            (Rv::Int(x), Rv::Int(y)) => x.cmp(&y),
            (Rv::Int(_) | Rv::Float(_), Rv::Int(_) | Rv::Float(_)) => {
                match a.number().unwrap_or(f64::NAN).partial_cmp(&b.number().unwrap_or(f64::NAN)) {
                    Some(o) => o,
                    None => return false,
                }
            }
            (Rv::Duration(x), Rv::Duration(y)) => x.cmp(&y),
            (Rv::Bool(x), Rv::Bool(y)) if !op.is_ordering() => x.cmp(&y),
            (Rv::Status(x), Rv::Status(y)) if !op.is_ordering() => x.cmp(&y),
            (Rv::Kind(x), Rv::Kind(y)) if !op.is_ordering() => x.cmp(&y),
            (Rv::TraceId(x), Rv::TraceId(y)) if !op.is_ordering() => x.0.cmp(&y.0),
            (Rv::SpanId(x), Rv::SpanId(y)) if !op.is_ordering() => x.0.cmp(&y.0),
            _ => return false,
        };
        match op {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
            CmpOp::Match | CmpOp::NotMatch => false,
        }
    }

    /// The nodes related to `n` by `rel` (each once).
    pub fn related(&self, rel: Relation, n: usize) -> Vec<usize> {
        let g = self.graph();
        let children = |k: usize| g.children(NodeIndex::new(k)).map(|c| c.index());
        match rel {
            Relation::Child => children(n).collect(),
            Relation::Sibling => match g.parent[n] {
                Some(p) => children(p.index()).filter(|&c| c != n).collect(),
                None => Vec::new(),
            },
            Relation::Parent => g.parent[n].map(|p| p.index()).into_iter().collect(),
            Relation::Ancestor => {
                // Bounded by the trace size: a parent cycle cannot loop forever.
                let mut out = Vec::new();
                let mut at = g.parent[n];
                while let Some(p) = at {
                    if p.index() == n || out.len() >= g.len() {
                        break;
                    }
                    out.push(p.index());
                    at = g.parent[p.index()];
                }
                out
            }
            Relation::Descendant => {
                let mut seen = vec![false; g.len()];
                seen[n] = true;
                let mut out = Vec::new();
                let mut stack: Vec<usize> = children(n).collect();
                while let Some(k) = stack.pop() {
                    if std::mem::replace(&mut seen[k], true) {
                        continue;
                    }
                    out.push(k);
                    stack.extend(children(k));
                }
                out
            }
        }
    }

    fn count(&self, rel: Relation, pred: &Pred, n: usize) -> usize {
        match rel {
            Relation::Child => {
                self.graph().children(NodeIndex::new(n)).filter(|c| self.test_node(pred, c.index())).count()
            }
            _ => self.related(rel, n).into_iter().filter(|&k| self.test_node(pred, k)).count(),
        }
    }

    /// The nodes of the trace a selector matches, as a mask.
    pub fn select(&self, sel: &Selector) -> Vec<bool> {
        union(self.set(&sel.expr), self.graph().len())
    }

    /// The spansets a set expression yields on this trace (several after `by(…)`).
    fn set(&self, e: &SetExpr) -> Vec<Vec<bool>> {
        let n = self.graph().len();
        match e {
            SetExpr::Filter(pred) => vec![match self.name_eq(pred) {
                // The common first step, tested on the names gathered once per trace.
                Some(name) => self.names.iter().map(|&s| Some(s) == name).collect(),
                None => (0..n).map(|k| self.test_node(pred, k)).collect(),
            }],
            SetExpr::Op { op, lhs, rhs } => {
                let (l, r) = (union(self.set(lhs), n), union(self.set(rhs), n));
                vec![match *op {
                    SetOp::And if l.contains(&true) && r.contains(&true) => or(&l, &r),
                    SetOp::And => vec![false; n],
                    SetOp::Or => or(&l, &r),
                    SetOp::Rel { rel, negated, union } => {
                        let near = self.near(rel, &l);
                        let right: Vec<bool> = (0..n).map(|k| r[k] && near[k] != negated).collect();
                        if union {
                            // The left side's spans standing in the relation to those found.
                            let back = self.near(inverse(rel), &right);
                            (0..n).map(|k| right[k] || l[k] && back[k]).collect()
                        } else {
                            right
                        }
                    }
                }]
            }
            SetExpr::Pipeline { input, stages } => {
                let mut sets = self.set(input);
                for stage in stages {
                    sets = match stage {
                        Stage::Filter(e) => {
                            let keep = union(self.set(e), n);
                            sets.into_iter().map(|s| s.iter().zip(&keep).map(|(a, b)| *a && *b).collect()).collect()
                        }
                        Stage::Scalar(agg) => sets.into_iter().filter(|s| self.scalar_holds(agg, s)).collect(),
                        Stage::By(field) => sets.iter().flat_map(|s| self.split_by(field, s)).collect(),
                        Stage::Coalesce => vec![union(sets, n)],
                    };
                }
                sets
            }
        }
    }

    /// Nodes standing in relation `rel` to some node of `cur`: `{A} > {B}` keeps the B spans
    /// whose parent is in A, so `near(Child, A)` marks the children of A's spans.
    fn near(&self, rel: Relation, cur: &[bool]) -> Vec<bool> {
        let g = self.graph();
        let n = g.len();
        let mut near = vec![false; n];
        match rel {
            Relation::Child => {
                for (k, slot) in near.iter_mut().enumerate() {
                    *slot = g.parent[k].is_some_and(|p| cur[p.index()]);
                }
            }
            Relation::Parent => {
                for k in (0..n).filter(|&k| cur[k]) {
                    if let Some(p) = g.parent[k] {
                        near[p.index()] = true;
                    }
                }
            }
            Relation::Sibling => {
                let mut selected_children = vec![0u32; n];
                for k in (0..n).filter(|&k| cur[k]) {
                    if let Some(p) = g.parent[k] {
                        selected_children[p.index()] += 1;
                    }
                }
                for (k, slot) in near.iter_mut().enumerate() {
                    if let Some(p) = g.parent[k] {
                        *slot = selected_children[p.index()] > u32::from(cur[k]);
                    }
                }
            }
            Relation::Descendant | Relation::Ancestor => {
                let mut stack: Vec<usize> = (0..n).filter(|&k| cur[k]).collect();
                let mut seen = vec![false; n];
                while let Some(k) = stack.pop() {
                    if std::mem::replace(&mut seen[k], true) {
                        continue;
                    }
                    let next: Vec<usize> = if rel == Relation::Descendant {
                        g.children(NodeIndex::new(k)).map(|c| c.index()).collect()
                    } else {
                        g.parent[k].map(|p| p.index()).into_iter().collect()
                    };
                    for m in next {
                        near[m] = true;
                        stack.push(m);
                    }
                }
            }
        }
        near
    }

    /// Whether a pipeline aggregate holds over the spans of one spanset. Values that are
    /// not numbers (or durations) are left out, like absent ones; an aggregate with no
    /// values does not hold.
    fn scalar_holds(&self, agg: &Aggregate, set: &[bool]) -> bool {
        let spans: Vec<usize> = (0..set.len()).filter(|&k| set[k]).collect();
        let rhs = numeric_rhs(&agg.rhs);
        let value = match agg.function {
            Function::Count => Some(spans.len() as f64),
            Function::ErrorRate => (!spans.is_empty()).then(|| {
                spans.iter().filter(|&&k| self.span(k).status == StatusCode::Error).count() as f64 / spans.len() as f64
            }),
            f => {
                let Some(field) = &agg.arg else { return false };
                let mut values: Vec<f64> = spans
                    .iter()
                    .filter_map(|&k| self.field(field, self.span(k), Some(k)).number().filter(|x| x.is_finite()))
                    .collect();
                if values.is_empty() {
                    return false;
                }
                values.sort_by(f64::total_cmp);
                let sum: f64 = values.iter().sum();
                Some(match f {
                    Function::Min => values[0],
                    Function::Max => values[values.len() - 1],
                    Function::Sum => sum,
                    Function::Mean => sum / values.len() as f64,
                    Function::Percentile(p) => crate::stats::nearest_rank(&values, p).unwrap_or(f64::NAN),
                    Function::Count | Function::ErrorRate => return false,
                })
            }
        };
        value.is_some_and(|v| holds(v, agg.op, rhs))
    }

    /// One spanset split by a field's value (spans without it form a group of their own).
    fn split_by(&self, field: &Field, set: &[bool]) -> Vec<Vec<bool>> {
        let mut groups: Vec<(String, Vec<bool>)> = Vec::new();
        for k in (0..set.len()).filter(|&k| set[k]) {
            let key = match self.field(field, self.span(k), Some(k)) {
                Rv::Nil => String::from("\u{0}nil"),
                v => self.show(v),
            };
            match groups.iter_mut().find(|(g, _)| *g == key) {
                Some((_, m)) => m[k] = true,
                None => {
                    let mut m = vec![false; set.len()];
                    m[k] = true;
                    groups.push((key, m));
                }
            }
        }
        groups.into_iter().map(|(_, m)| m).collect()
    }

    pub fn show(&self, v: Rv) -> String {
        match v {
            Rv::Nil => "nil".into(),
            Rv::Str(_) | Rv::Text(_) => format!("{:?}", self.text(v).unwrap_or("")),
            Rv::Int(n) => n.to_string(),
            Rv::Float(n) => n.to_string(),
            Rv::Bool(b) => b.to_string(),
            Rv::Duration(d) => fmt_ns(d),
            Rv::Status(s) => s.as_str().into(),
            Rv::Kind(k) => k.as_str().into(),
            Rv::Other(t) => format!("<{}>", t.as_str()),
            Rv::TraceId(t) => format!("{:?}", t.to_string()),
            Rv::SpanId(s) => format!("{:?}", s.to_string()),
        }
    }

    /// What a predicate saw on a span: each field and count it reads, with its value
    /// (`span.error.type = nil, status = error`).
    pub fn actual(&self, pred: &Pred, span: &Span, node: Option<usize>) -> String {
        let mut seen: Vec<String> = Vec::new();
        self.collect_actual(pred, span, node, &mut seen);
        if seen.is_empty() { "no fields read".into() } else { seen.join(", ") }
    }

    fn collect_actual(&self, pred: &Pred, span: &Span, node: Option<usize>, out: &mut Vec<String>) {
        let mut push = |v: &Value| {
            let (label, shown) = match v {
                Value::Field(f) if f.is_multi() => {
                    let all: Vec<String> = self.multi_values(f, span).into_iter().map(|x| self.show(x)).collect();
                    let none = if matches!(f, Field::LinkTraceId | Field::LinkSpanId | Field::LinkAttr { .. }) {
                        "links"
                    } else {
                        "events"
                    };
                    (
                        f.display(),
                        if all.is_empty() { format!("nil (no {none})") } else { format!("[{}]", all.join(", ")) },
                    )
                }
                Value::Field(f) => (f.display(), self.show(self.value(v, span, node))),
                Value::Count(_, _, label) => (label.clone(), self.show(self.value(v, span, node))),
                Value::Lit(_) => return,
            };
            let entry = format!("{label} = {shown}");
            if !out.contains(&entry) {
                out.push(entry);
            }
        };
        match pred {
            Pred::True => {}
            Pred::Or(t) | Pred::And(t) => t.iter().for_each(|p| self.collect_actual(p, span, node, out)),
            Pred::Not(p) => self.collect_actual(p, span, node, out),
            Pred::Cmp(l, _, r) => {
                push(l);
                push(r);
            }
            Pred::Regex { value, .. } => push(value),
        }
    }
}

/// The spans of every spanset.
fn union(mut sets: Vec<Vec<bool>>, n: usize) -> Vec<bool> {
    if sets.len() == 1 {
        return sets.pop().unwrap_or_default();
    }
    let mut out = vec![false; n];
    for s in sets {
        for (o, v) in out.iter_mut().zip(s) {
            *o |= v;
        }
    }
    out
}

fn or(a: &[bool], b: &[bool]) -> Vec<bool> {
    a.iter().zip(b).map(|(x, y)| *x || *y).collect()
}

/// The relation read the other way: `A > B` (B child of A) is `B < A`.
fn inverse(rel: Relation) -> Relation {
    match rel {
        Relation::Child => Relation::Parent,
        Relation::Parent => Relation::Child,
        Relation::Descendant => Relation::Ancestor,
        Relation::Ancestor => Relation::Descendant,
        Relation::Sibling => Relation::Sibling,
    }
}

#[cfg(test)]
mod tests {
    use super::RegexMemo;
    use crate::model::Sym;
    use std::cell::Cell;

    #[test]
    fn memo_answers_as_the_regex_would_and_runs_it_once_per_string() {
        let memo = RegexMemo::default();
        let truth = |regex: usize, sym: u32| (sym as usize * 7 + regex * 3) % 5 < 2;
        let runs = Cell::new(0);
        // Far more keys than slots: every answer must still be the computed one.
        for round in 0..2 {
            for regex in 0..4 {
                for sym in (0..20_000u32).step_by(1 + round) {
                    let got = memo.get(regex, Sym(sym), || {
                        runs.set(runs.get() + 1);
                        truth(regex, sym)
                    });
                    assert_eq!(got, truth(regex, sym), "regex {regex}, symbol {sym}");
                }
            }
        }
        // A small working set is computed once, then answered from memory.
        runs.set(0);
        for _ in 0..50 {
            for regex in 0..3 {
                for sym in [1u32, 2, 3, 40_000, 1 << 31] {
                    assert_eq!(
                        memo.get(regex, Sym(sym), || {
                            runs.set(runs.get() + 1);
                            truth(regex, sym)
                        }),
                        truth(regex, sym)
                    );
                }
            }
        }
        assert!(runs.get() <= 15, "{} regex runs for 15 distinct (regex, string) pairs", runs.get());
    }
}
