//! Type checking and compilation of parsed selectors, expectations and aggregates into
//! the form evaluation runs on. Strings the evaluator compares (attribute keys and string
//! literals) become slots, bound to the dump's interned symbols once per run.

pub use super::compiled::*;
use super::lang::{self, CmpOp, Expr, FieldName, Literal, Operand, SyntaxError};
use crate::model::{SpanKind, StatusCode};
use regex::Regex;

/// Compiles parsed text. Errors carry byte offsets into that text.
#[derive(Debug)]
pub struct Compiler<'t> {
    pub tables: &'t mut Tables,
    pub context: Context,
    /// The text being compiled (positions in errors and labels refer to it).
    pub text: &'t str,
    /// Regexes match the whole value, as in TraceQL (else any part of it: schema 1 packs).
    pub anchored: bool,
}

impl Compiler<'_> {
    pub fn selector(&mut self, s: &lang::Selector) -> Result<Selector, SyntaxError> {
        if self.context == Context::SpanOnly && s.single().is_none() {
            return Err(SyntaxError {
                pos: s.expr.pos(),
                message: "spanset operators and pipelines need the trace; here only one spanset is allowed".into(),
            });
        }
        Ok(Selector { expr: self.set_expr(&s.expr)? })
    }

    fn set_expr(&mut self, e: &lang::SetExpr) -> Result<SetExpr, SyntaxError> {
        Ok(match e {
            lang::SetExpr::Spanset(s) => SetExpr::Filter(self.spanset(s)?),
            lang::SetExpr::Op { op, lhs, rhs, .. } => {
                SetExpr::Op { op: *op, lhs: Box::new(self.set_expr(lhs)?), rhs: Box::new(self.set_expr(rhs)?) }
            }
            lang::SetExpr::Pipeline { input, stages } => SetExpr::Pipeline {
                input: Box::new(self.set_expr(input)?),
                stages: stages
                    .iter()
                    .map(|st| {
                        Ok(match st {
                            lang::Stage::Filter(e) => Stage::Filter(self.set_expr(e)?),
                            lang::Stage::Scalar(a) => Stage::Scalar(self.aggregate(a)?),
                            lang::Stage::By(f) => Stage::By(self.field(f)?),
                            lang::Stage::Coalesce => Stage::Coalesce,
                        })
                    })
                    .collect::<Result<_, SyntaxError>>()?,
            },
        })
    }

    pub fn spanset(&mut self, s: &lang::Spanset) -> Result<Pred, SyntaxError> {
        match &s.expr {
            None => Ok(Pred::True),
            Some(e) => self.expr(e),
        }
    }

    pub fn expr(&mut self, e: &Expr) -> Result<Pred, SyntaxError> {
        Ok(match e {
            Expr::Bool(true) => Pred::True,
            Expr::Bool(false) => Pred::Not(Box::new(Pred::True)),
            Expr::Or(t) => Pred::Or(t.iter().map(|x| self.expr(x)).collect::<Result<_, _>>()?),
            Expr::And(t) => Pred::And(t.iter().map(|x| self.expr(x)).collect::<Result<_, _>>()?),
            Expr::Not(x) => Pred::Not(Box::new(self.expr(x)?)),
            Expr::Cmp { lhs, op, rhs, pos } => self.comparison(lhs, *op, rhs, *pos)?,
        })
    }

    fn comparison(&mut self, lhs: &Operand, op: CmpOp, rhs: &Operand, pos: usize) -> Result<Pred, SyntaxError> {
        if matches!(lhs, Operand::Literal(..)) && !matches!(rhs, Operand::Literal(..)) {
            return Err(SyntaxError {
                pos,
                message: "write the field first: `duration > 5ms`, not `5ms < duration`".into(),
            });
        }
        let l = self.operand(lhs, None)?;
        let lt = value_ty(&l);
        if let (Ty::Status | Ty::Kind, Operand::Field(f)) = (lt, rhs)
            && !f.text.contains('.')
        {
            let (what, valid) = if lt == Ty::Status {
                ("a status", "ok, error or unset")
            } else {
                ("a span kind", "server, client, producer, consumer, internal or unspecified")
            };
            return Err(SyntaxError { pos: f.pos, message: format!("`{}` is not {what} (use {valid})", f.text) });
        }
        if matches!(op, CmpOp::Match | CmpOp::NotMatch) && !matches!(lt, Ty::Str | Ty::Dynamic) {
            let ids = if matches!(lt, Ty::TraceId | Ty::SpanId) { "; compare ids with = or !=" } else { "" };
            return Err(SyntaxError {
                pos: lhs.pos(),
                message: format!("`{op}` matches strings, but this is {}{ids}", lt.name()),
            });
        }
        let r = self.operand(rhs, Some(lt))?;
        let rt = value_ty(&r);
        if matches!(op, CmpOp::Match | CmpOp::NotMatch) {
            let Value::Lit(Lit::Str(_, text)) = &r else {
                return Err(SyntaxError {
                    pos: rhs.pos(),
                    message: format!("`{op}` needs a regular expression in a string, such as \"^dht\\\\.\""),
                });
            };
            if !matches!(lt, Ty::Str | Ty::Dynamic) {
                return Err(SyntaxError {
                    pos: lhs.pos(),
                    message: format!("`{op}` matches strings, but this is {}", lt.name()),
                });
            }
            let pattern = if self.anchored { format!("^(?:{text})$") } else { text.clone() };
            // The user's pattern is checked alone, so errors point into what they wrote.
            Regex::new(text).map_err(|e| SyntaxError {
                pos: rhs.pos(),
                message: format!("invalid regular expression: {}", one_line(&e.to_string())),
            })?;
            let regex = Regex::new(&pattern).map_err(|e| SyntaxError {
                pos: rhs.pos(),
                message: format!("invalid regular expression: {}", one_line(&e.to_string())),
            })?;
            self.tables.regexes.push(regex);
            return Ok(Pred::Regex { value: l, regex: self.tables.regexes.len() - 1, negate: op == CmpOp::NotMatch });
        }
        check_types(lt, op, rt).map_err(|message| SyntaxError { pos: rhs.pos(), message })?;
        Ok(Pred::Cmp(l, op, r))
    }

    fn operand(&mut self, o: &Operand, other: Option<Ty>) -> Result<Value, SyntaxError> {
        Ok(match o {
            Operand::Field(f) => Value::Field(self.field(f)?),
            Operand::Literal(l, pos) => Value::Lit(self.literal(l, *pos, other)?),
            Operand::Count(rel, set, pos, end) => {
                if self.context == Context::SpanOnly {
                    return Err(SyntaxError {
                        pos: *pos,
                        message: "count(…) needs the trace and is not allowed here".into(),
                    });
                }
                let label = self.text.get(*pos..*end).unwrap_or("count(…)").to_string();
                Value::Count(*rel, Box::new(self.spanset(set)?), label)
            }
        })
    }

    pub fn field(&mut self, f: &FieldName) -> Result<Field, SyntaxError> {
        let t = f.text.as_str();
        let attr = |scope, key: &str, tables: &mut Tables| {
            if key.is_empty() {
                return Err(SyntaxError { pos: f.pos, message: format!("`{t}` names no attribute") });
            }
            Ok(Field::Attr { scope, slot: tables.slot(key), key: key.to_string() })
        };
        let field = match intrinsic(t) {
            Some(f) => f,
            // `parent.X`: X as written of the span itself, read on its parent.
            None if t.starts_with("parent.") && t.len() > "parent.".len() => {
                let inner = FieldName { text: t["parent.".len()..].to_string(), pos: f.pos };
                let inner = self.field(&inner)?;
                if inner.is_multi() || matches!(inner, Field::Parent(_)) || !inner.of_one_span() {
                    return Err(SyntaxError {
                        pos: f.pos,
                        message: format!(
                            "`{t}`: parent fields are the parent span's own (name, status, kind, duration, start, end, statusMessage, selfTime, span.KEY, resource.KEY)"
                        ),
                    });
                }
                Field::Parent(Box::new(inner))
            }
            None => {
                if let Some(k) = t.strip_prefix("span.") {
                    attr(AttrScope::Span, k, self.tables)?
                } else if let Some(k) = t.strip_prefix("resource.") {
                    attr(AttrScope::Resource, k, self.tables)?
                } else if let Some(k) = t.strip_prefix("event.") {
                    Field::EventAttr { slot: self.tables.slot(k), key: k.to_string() }
                } else if let Some(k) = t.strip_prefix("link.").filter(|k| !k.is_empty()) {
                    Field::LinkAttr { slot: self.tables.slot(k), key: k.to_string() }
                } else if let Some(k) = t.strip_prefix("instrumentation.").filter(|k| !k.is_empty()) {
                    Field::ScopeAttr { slot: self.tables.slot(k), key: k.to_string() }
                } else if let Some(k) = t.strip_prefix('.') {
                    attr(AttrScope::Any, k, self.tables)?
                } else {
                    return Err(SyntaxError { pos: f.pos, message: unknown_field(t) });
                }
            }
        };
        if self.context == Context::SpanOnly && field.needs_trace() {
            return Err(SyntaxError { pos: f.pos, message: format!("`{t}` needs the trace and is not allowed here") });
        }
        Ok(field)
    }

    fn literal(&mut self, l: &Literal, pos: usize, other: Option<Ty>) -> Result<Lit, SyntaxError> {
        Ok(match l {
            // Ids are written in hex, as TraceQL does (leading zeros may be left out).
            Literal::Str(s) if other == Some(Ty::TraceId) => {
                Lit::TraceId(crate::model::TraceId(crate::model::decode_id_padded::<16>(s).map_err(|_| {
                    SyntaxError { pos, message: format!("{s:?} is not a trace id (up to 32 hex digits)") }
                })?))
            }
            Literal::Str(s) if other == Some(Ty::SpanId) => {
                Lit::SpanId(crate::model::SpanId(crate::model::decode_id_padded::<8>(s).map_err(|_| SyntaxError {
                    pos,
                    message: format!("{s:?} is not a span id (up to 16 hex digits)"),
                })?))
            }
            Literal::Str(s) => Lit::Str(self.tables.slot(s), s.clone()),
            Literal::Int(n) => Lit::Int(*n),
            Literal::Float(n) => Lit::Float(*n),
            Literal::Percent(n) => Lit::Float(*n),
            Literal::Bool(b) => Lit::Bool(*b),
            Literal::Duration(d) => Lit::Duration(*d),
            Literal::Nil => Lit::Nil,
            Literal::Word(w) => match other {
                Some(Ty::Kind) => Lit::Kind(SpanKind::from_name(w).ok_or_else(|| bad_word(w, pos, "a span kind"))?),
                Some(Ty::Status) => Lit::Status(StatusCode::from_name(w).ok_or_else(|| bad_word(w, pos, "a status"))?),
                _ => {
                    return Err(SyntaxError {
                        pos,
                        message: format!(
                            "`{w}` is a status or span kind; compare it with `status` or `kind`, or quote it as a string"
                        ),
                    });
                }
            },
        })
    }

    /// Compiles an aggregate condition.
    pub fn aggregate(&mut self, a: &lang::Aggregate) -> Result<Aggregate, SyntaxError> {
        let function = match a.function.as_str() {
            "count" => Function::Count,
            "error_rate" => Function::ErrorRate,
            "min" => Function::Min,
            "max" => Function::Max,
            "mean" | "avg" => Function::Mean,
            "sum" => Function::Sum,
            "quantile" => match a.quantile {
                Some((q, _)) if q > 0.0 && q <= 1.0 => Function::Percentile(q * 100.0),
                Some((q, pos)) => {
                    return Err(SyntaxError {
                        pos,
                        message: format!("a quantile is above 0 and at most 1 (0.99), not {q}"),
                    });
                }
                None => {
                    return Err(SyntaxError {
                        pos: a.function_pos,
                        message: "quantile takes a field and a quantile: `quantile(duration, 0.99)`".into(),
                    });
                }
            },
            f => match percentile_name(f) {
                Some(p) => Function::Percentile(p),
                None => {
                    return Err(SyntaxError {
                        pos: a.function_pos,
                        message: format!(
                            "unknown aggregate `{f}` (use count, error_rate, min, max, avg (or mean), sum, p1 … p100, p999, p9999, or quantile(F, q))"
                        ),
                    });
                }
            },
        };
        if let (Some((_, pos)), false) = (a.quantile, a.function == "quantile") {
            return Err(SyntaxError { pos, message: format!("`{}` takes one argument", a.function) });
        }
        let arg = match (&a.arg, function) {
            (None, Function::Count | Function::ErrorRate) => None,
            (Some(f), Function::Count | Function::ErrorRate) => {
                return Err(SyntaxError { pos: f.pos, message: format!("`{}()` takes no argument", a.function) });
            }
            (None, _) => {
                return Err(SyntaxError {
                    pos: a.function_pos,
                    message: format!("`{}` needs a field, such as `{}(duration)`", a.function, a.function),
                });
            }
            (Some(f), _) => {
                let field = self.field(f)?;
                if field.is_multi() || !matches!(field.ty(), Ty::Num | Ty::Duration | Ty::Dynamic | Ty::Time) {
                    return Err(SyntaxError {
                        pos: f.pos,
                        message: format!(
                            "`{}` aggregates numbers, but `{}` is {}",
                            a.function,
                            f.text,
                            field.ty().name()
                        ),
                    });
                }
                Some(field)
            }
        };
        let arg_ty = match (&arg, function) {
            (_, Function::Count) => Ty::Num,
            (_, Function::ErrorRate) => Ty::Num,
            (Some(f), _) => f.ty(),
            (None, _) => Ty::Num,
        };
        let rhs = match &a.rhs {
            Operand::Literal(l, pos) => {
                let lit = self.literal(l, *pos, Some(arg_ty))?;
                let rt = lit_ty(&lit);
                let ok = match arg_ty {
                    Ty::Duration => rt == Ty::Duration,
                    Ty::Time => rt == Ty::Num,
                    _ => rt == Ty::Num,
                };
                if !ok || a.op.is_ordering() && rt == Ty::Nil {
                    let want = if arg_ty == Ty::Duration { "a duration such as 500ms" } else { "a number" };
                    return Err(SyntaxError {
                        pos: *pos,
                        message: format!("`{}` is compared with {want}, not {}", a.function, rt.name()),
                    });
                }
                lit
            }
            other => {
                return Err(SyntaxError {
                    pos: other.pos(),
                    message: "an aggregate is compared with a literal value".into(),
                });
            }
        };
        if matches!(a.op, CmpOp::Match | CmpOp::NotMatch) {
            return Err(SyntaxError {
                pos: a.rhs.pos(),
                message: "aggregates are compared with =, !=, <, <=, > or >=".into(),
            });
        }
        Ok(Aggregate { function, arg, op: a.op, rhs })
    }
}

/// The percentile a name such as `p99` stands for: `p1` to `p100` (whole percents, no
/// leading zero), `p999` (99.9) and `p9999` (99.99).
pub(super) fn percentile_name(f: &str) -> Option<f64> {
    let digits = f.strip_prefix('p')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits {
        "999" => Some(99.9),
        "9999" => Some(99.99),
        _ => digits.parse::<u8>().ok().filter(|&p| (1..=100).contains(&p)).map(f64::from),
    }
}

fn bad_word(w: &str, pos: usize, what: &str) -> SyntaxError {
    SyntaxError { pos, message: format!("`{w}` is not {what}") }
}

/// The regex crate's multi-line message reduced to its `error:` line.
fn one_line(s: &str) -> String {
    let error = s.lines().find_map(|l| l.trim().strip_prefix("error:")).map(str::trim);
    error.map_or_else(
        || s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "),
        str::to_string,
    )
}

/// The intrinsic fields, by every name they are written with: this language's, TraceQL's
/// scoped names (`span:name`) and TraceQL's older unscoped ones (`rootServiceName`).
/// Makes the field of one intrinsic name.
type MakeField = fn() -> Field;

const INTRINSICS: &[(&str, MakeField)] = &[
    ("name", || Field::Name),
    ("span:name", || Field::Name),
    ("status", || Field::Status),
    ("span:status", || Field::Status),
    ("kind", || Field::Kind),
    ("span:kind", || Field::Kind),
    ("duration", || Field::Duration),
    ("span:duration", || Field::Duration),
    ("start", || Field::Start),
    ("end", || Field::End),
    ("statusMessage", || Field::StatusMessage),
    ("span:statusMessage", || Field::StatusMessage),
    ("childCount", || Field::ChildCount),
    ("span:childCount", || Field::ChildCount),
    ("span:id", || Field::SpanId),
    ("span:parentID", || Field::ParentId),
    ("parent.name", || Field::ParentName),
    ("trace.rootName", || Field::TraceRootName),
    ("trace:rootName", || Field::TraceRootName),
    ("rootName", || Field::TraceRootName),
    ("trace.duration", || Field::TraceDuration),
    ("trace:duration", || Field::TraceDuration),
    ("traceDuration", || Field::TraceDuration),
    ("trace:rootService", || Field::TraceRootService),
    ("rootServiceName", || Field::TraceRootService),
    ("trace:id", || Field::TraceId),
    ("event.name", || Field::EventName),
    ("event:name", || Field::EventName),
    ("event:timeSinceStart", || Field::EventTimeSinceStart),
    ("link:traceID", || Field::LinkTraceId),
    ("link:spanID", || Field::LinkSpanId),
    ("instrumentation:name", || Field::ScopeName),
    ("instrumentation:version", || Field::ScopeVersion),
    ("selfTime", || Field::SelfTime),
    ("span:selfTime", || Field::SelfTime),
    ("criticalPath", || Field::CriticalPath),
    ("span:criticalPath", || Field::CriticalPath),
    ("trace.spanCount", || Field::TraceSpanCount),
    ("trace:spanCount", || Field::TraceSpanCount),
    ("trace.errorCount", || Field::TraceErrorCount),
    ("trace:errorCount", || Field::TraceErrorCount),
];

fn intrinsic(t: &str) -> Option<Field> {
    INTRINSICS.iter().find(|(n, _)| *n == t).map(|(_, f)| f())
}

fn unknown_field(t: &str) -> String {
    if t.starts_with("scope.") || t.starts_with("scope:") {
        return format!(
            "unknown field `{t}`: the instrumentation scope is `instrumentation:name` and `instrumentation:version`, its attributes `instrumentation.KEY`"
        );
    }
    let near = INTRINSICS.iter().map(|(n, _)| *n).find(|k| k.eq_ignore_ascii_case(t) || edit_distance(k, t) <= 2);
    let hint = match (near, t.split_once(':')) {
        (Some(k), _) => format!("; did you mean `{k}`?"),
        (None, Some(_)) => {
            let scoped: Vec<&str> = INTRINSICS.iter().map(|(n, _)| *n).filter(|n| n.contains(':')).collect();
            format!("; the scoped intrinsics are {}", scoped.join(", "))
        }
        (None, None) => format!("; attributes are written `span.{t}` or `resource.{t}`"),
    };
    format!("unknown field `{t}`{hint}")
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn lit_ty(l: &Lit) -> Ty {
    match l {
        Lit::Str(..) => Ty::Str,
        Lit::Int(_) | Lit::Float(_) => Ty::Num,
        Lit::Bool(_) => Ty::Bool,
        Lit::Duration(_) => Ty::Duration,
        Lit::Status(_) => Ty::Status,
        Lit::Kind(_) => Ty::Kind,
        Lit::Nil => Ty::Nil,
        Lit::TraceId(_) => Ty::TraceId,
        Lit::SpanId(_) => Ty::SpanId,
    }
}

fn value_ty(v: &Value) -> Ty {
    match v {
        Value::Field(f) => f.ty(),
        Value::Lit(l) => lit_ty(l),
        Value::Count(..) => Ty::Num,
    }
}

/// Whether `lhs op rhs` makes sense; the message says why not.
fn check_types(lhs: Ty, op: CmpOp, rhs: Ty) -> Result<(), String> {
    let ordering = op.is_ordering();
    if rhs == Ty::Nil {
        return if ordering { Err("nil can only be compared with = or !=".into()) } else { Ok(()) };
    }
    if matches!(lhs, Ty::Status | Ty::Kind | Ty::Bool) && ordering {
        return Err(format!("{} cannot be ordered; use = or !=", lhs.name()));
    }
    if matches!(rhs, Ty::Bool) && ordering {
        return Err("a boolean cannot be ordered; use = or !=".into());
    }
    let compatible = match (lhs, rhs) {
        (Ty::Dynamic, Ty::Duration | Ty::Status | Ty::Kind | Ty::Time) => false,
        (Ty::Dynamic, _) | (_, Ty::Dynamic) => true,
        (Ty::Time, Ty::Num) => true,
        (a, b) => a == b,
    };
    if compatible {
        Ok(())
    } else {
        let hint = match (lhs, rhs) {
            (Ty::Duration, Ty::Num) => " (write a unit: 5ms, 250us, 1s)",
            (Ty::Dynamic, Ty::Duration) => " (attributes hold plain numbers; compare with a number)",
            _ => "",
        };
        Err(format!("cannot compare {} with {}{hint}", lhs.name(), rhs.name()))
    }
}
