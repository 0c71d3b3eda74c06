//! The selector language: tokens and a recursive-descent parser into an untyped syntax
//! tree. Positions are byte offsets into the text being parsed, so errors can be mapped
//! back to a line and column of the rule file.
//!
//! ```text
//! selector   = pipeline
//! pipeline   = setexpr { "|" stage } | aggregate-cmp { "|" stage }
//! setexpr    = structural { ("&&" | "||") structural }      (left to right)
//! structural = primary { relop primary }                     (left to right, binds tighter)
//! primary    = spanset | "(" pipeline ")"
//! relop      = [ "!" | "&" ] (">" | ">>" | "<" | "<<" | "~")
//! stage      = aggregate-cmp | "by" "(" field ")" | "coalesce" "(" ")" | setexpr
//! spanset    = "{" [ expr ] "}"
//! expr       = and { "||" and }
//! and        = unary { "&&" unary }
//! unary      = "!" unary | "(" expr ")" | "true" | "false" | comparison | attribute
//! comparison = operand cmp operand
//! operand    = field | literal | "count" "(" relation spanset ")"
//! aggregate-cmp = function "(" [ field [ "," quantile ] ] ")" cmp operand
//! ```

use super::lex::{Tok, lex};
use std::fmt;

/// A syntax error at a byte offset of the parsed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: usize,
    pub message: String,
}

impl SyntaxError {
    pub(super) fn new(pos: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError { pos, message: message.into() }
    }
}

/// A structural relation between spans of one trace.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Relation {
    /// `>`: child of.
    Child,
    /// `>>`: descendant of.
    Descendant,
    /// `~`: sibling of (same parent, not itself).
    Sibling,
    /// `<`: parent of.
    Parent,
    /// `<<`: ancestor of.
    Ancestor,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Child => ">",
            Relation::Descendant => ">>",
            Relation::Sibling => "~",
            Relation::Parent => "<",
            Relation::Ancestor => "<<",
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Match => "=~",
            CmpOp::NotMatch => "!~",
        }
    }

    /// Whether the operator orders its operands (`<`, `<=`, `>`, `>=`).
    pub fn is_ordering(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field as written: an intrinsic or a scoped attribute name.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldName {
    pub text: String,
    pub pos: usize,
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(u64),
    Percent(f64),
    Nil,
    /// A bare word such as `error` or `client`: a status or kind, resolved by type.
    Word(String),
}

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Field(FieldName),
    Literal(Literal, usize),
    /// `count(> { … })`: how many spans in that relation to the current span match. The
    /// positions are where `count` starts and just after its `)`.
    Count(Relation, Box<Spanset>, usize, usize),
}

impl Operand {
    pub fn pos(&self) -> usize {
        match self {
            Operand::Field(f) => f.pos,
            Operand::Literal(_, p) | Operand::Count(_, _, p, _) => *p,
        }
    }
}

/// A boolean expression over one span.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Bool(bool),
    Cmp { lhs: Operand, op: CmpOp, rhs: Operand, pos: usize },
}

/// `{ expr }`; an empty spanset matches every span.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanset {
    pub expr: Option<Expr>,
    pub pos: usize,
}

/// A spanset operator between two spanset expressions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SetOp {
    /// `{a} && {b}`: both found matches in the trace; the spans of both.
    And,
    /// `{a} || {b}`: the spans of either.
    Or,
    /// `{a} > {b}` and the other structural operators: the right side's spans in that
    /// relation to a span of the left side; `!>` those not in it; `&>` the spans of both
    /// sides that stand in it.
    Rel { rel: Relation, negated: bool, union: bool },
}

impl SetOp {
    pub fn as_str(self) -> String {
        match self {
            SetOp::And => "&&".into(),
            SetOp::Or => "||".into(),
            SetOp::Rel { rel, negated, union } => {
                format!(
                    "{}{}",
                    if negated {
                        "!"
                    } else if union {
                        "&"
                    } else {
                        ""
                    },
                    rel.as_str()
                )
            }
        }
    }
}

/// A set of spans of one trace: a spanset, spanset operators, or a pipeline.
#[derive(Clone, Debug, PartialEq)]
pub enum SetExpr {
    Spanset(Spanset),
    Op { op: SetOp, lhs: Box<SetExpr>, rhs: Box<SetExpr>, pos: usize },
    Pipeline { input: Box<SetExpr>, stages: Vec<Stage> },
}

/// One stage after `|`.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// `| { … }`: keeps the spans that also match.
    Filter(SetExpr),
    /// `| count() > 3`: keeps the spansets whose aggregate holds.
    Scalar(Aggregate),
    /// `| by(field)`: splits each spanset by the field's value.
    By(FieldName),
    /// `| coalesce()`: joins the spansets again.
    Coalesce,
}

/// A selector: spanset expressions and pipelines, TraceQL's span-selecting forms. `{A} > {B}`
/// selects the spans matching B whose parent matches A.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    pub expr: SetExpr,
}

impl Selector {
    /// The spanset when the selector is a single one.
    pub fn single(&self) -> Option<&Spanset> {
        match &self.expr {
            SetExpr::Spanset(s) => Some(s),
            _ => None,
        }
    }
}

impl SetExpr {
    /// Where the expression starts.
    pub fn pos(&self) -> usize {
        match self {
            SetExpr::Spanset(s) => s.pos,
            SetExpr::Op { lhs, .. } => lhs.pos(),
            SetExpr::Pipeline { input, .. } => input.pos(),
        }
    }
}

/// `p99(duration) < 500ms`, `quantile(duration, 0.99) > 1s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    pub function: String,
    pub function_pos: usize,
    pub arg: Option<FieldName>,
    /// The second argument of `quantile(field, q)`.
    pub quantile: Option<(f64, usize)>,
    pub op: CmpOp,
    pub rhs: Operand,
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
}

impl Parser {
    pub(super) fn new(src: &str) -> Result<Parser, SyntaxError> {
        Ok(Parser { toks: lex(src)?, at: 0 })
    }

    pub(super) fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }

    pub(super) fn pos(&self) -> usize {
        self.toks[self.at].1
    }

    pub(super) fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    pub(super) fn expect(&mut self, want: &Tok, what: &str) -> Result<usize, SyntaxError> {
        if self.peek() == want {
            Ok(self.bump().1)
        } else {
            Err(SyntaxError::new(self.pos(), format!("expected {what}, found {}", self.peek().describe())))
        }
    }

    pub(super) fn end(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            Tok::End => Ok(()),
            t => Err(SyntaxError::new(
                self.pos(),
                format!("unexpected {} after the end of the expression", t.describe()),
            )),
        }
    }

    pub(super) fn relation(&mut self) -> Option<Relation> {
        let r = match self.peek() {
            Tok::Cmp(CmpOp::Gt) => Relation::Child,
            Tok::Desc => Relation::Descendant,
            Tok::Tilde => Relation::Sibling,
            Tok::Cmp(CmpOp::Lt) => Relation::Parent,
            Tok::Anc => Relation::Ancestor,
            _ => return None,
        };
        self.bump();
        Some(r)
    }

    pub(super) fn selector(&mut self) -> Result<Selector, SyntaxError> {
        Ok(Selector { expr: self.pipeline()? })
    }

    /// `setexpr { "|" stage }`; a selector that starts with an aggregate (`count() > 3`)
    /// reads as `{ } | count() > 3`, as in TraceQL.
    fn pipeline(&mut self) -> Result<SetExpr, SyntaxError> {
        let input = if self.at_aggregate() {
            SetExpr::Spanset(Spanset { expr: None, pos: self.pos() })
        } else {
            let e = self.set_expr()?;
            if self.peek() != &Tok::Pipe {
                return Ok(e);
            }
            self.bump();
            e
        };
        let mut stages = vec![self.stage()?];
        while self.peek() == &Tok::Pipe {
            self.bump();
            stages.push(self.stage()?);
        }
        Ok(SetExpr::Pipeline { input: Box::new(input), stages })
    }

    /// Whether an aggregate function call starts here (`count(`, `avg(`, …).
    fn at_aggregate(&self) -> bool {
        matches!(self.peek(), Tok::Ident(w) if is_aggregate_name(w))
            && matches!(self.toks.get(self.at + 1), Some((Tok::LParen, _)))
    }

    fn stage(&mut self) -> Result<Stage, SyntaxError> {
        let pos = self.pos();
        if let Tok::Ident(w) = self.peek().clone()
            && matches!(self.toks.get(self.at + 1), Some((Tok::LParen, _)))
        {
            match w.as_str() {
                "by" => {
                    self.bump();
                    self.bump();
                    let field = match self.bump() {
                        (Tok::Ident(text), p) => FieldName { text, pos: p },
                        (t, p) => {
                            return Err(SyntaxError::new(p, format!("by(…) takes a field, found {}", t.describe())));
                        }
                    };
                    if self.peek() == &Tok::Comma {
                        return Err(SyntaxError::new(
                            self.pos(),
                            "by(…) takes one field here; group by several with several stages: `| by(a) | by(b)`",
                        ));
                    }
                    self.expect(&Tok::RParen, "`)` closing by(…)")?;
                    return Ok(Stage::By(field));
                }
                "coalesce" => {
                    self.bump();
                    self.bump();
                    self.expect(&Tok::RParen, "`)`: coalesce() takes no argument")?;
                    return Ok(Stage::Coalesce);
                }
                "select" => {
                    return Err(SyntaxError::new(
                        pos,
                        "select(…) chooses which fields Tempo returns with each span; a finding always shows its span, so drop `| select(…)`",
                    ));
                }
                _ if is_metrics_function(&w) => {
                    return Err(SyntaxError::new(
                        pos,
                        format!(
                            "`{w}()` is a TraceQL metrics function (series over time from a live Tempo); it does not apply to a dump: use `tracecheck stats` for latency per operation, or a rule's `aggregate` such as `p99(duration) < 500ms`"
                        ),
                    ));
                }
                _ if is_aggregate_name(&w) => return Ok(Stage::Scalar(self.aggregate()?)),
                _ => {
                    return Err(SyntaxError::new(
                        pos,
                        format!(
                            "unknown pipeline stage `{w}(…)` (use count(), avg(F), min(F), max(F), sum(F), quantile(F, q), pNN(F), error_rate() compared with a value; by(F); coalesce(); or a spanset)"
                        ),
                    ));
                }
            }
        }
        match self.peek() {
            Tok::LBrace | Tok::LParen => Ok(Stage::Filter(self.set_expr()?)),
            t => Err(SyntaxError::new(
                pos,
                format!(
                    "expected a pipeline stage (an aggregate such as `count() > 3`, `by(F)`, or a spanset) after `|`, found {}",
                    t.describe()
                ),
            )),
        }
    }

    /// `structural { ("&&" | "||") structural }`, left to right (TraceQL gives `&&` and `||`
    /// between spansets the same precedence).
    fn set_expr(&mut self) -> Result<SetExpr, SyntaxError> {
        let mut e = self.structural()?;
        loop {
            let op = match self.peek() {
                Tok::And => SetOp::And,
                Tok::Or => SetOp::Or,
                _ => return Ok(e),
            };
            let pos = self.bump().1;
            let rhs = self.structural()?;
            e = SetExpr::Op { op, lhs: Box::new(e), rhs: Box::new(rhs), pos };
        }
    }

    /// `primary { relop primary }`, left to right.
    fn structural(&mut self) -> Result<SetExpr, SyntaxError> {
        let mut e = self.primary()?;
        while let Some((op, pos)) = self.set_relation()? {
            let rhs = self.primary()?;
            e = SetExpr::Op { op, lhs: Box::new(e), rhs: Box::new(rhs), pos };
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<SetExpr, SyntaxError> {
        match self.peek() {
            Tok::LParen => {
                self.bump();
                let e = self.pipeline()?;
                self.expect(&Tok::RParen, "`)`")?;
                Ok(e)
            }
            _ => Ok(SetExpr::Spanset(self.spanset()?)),
        }
    }

    /// A structural operator between spansets, with its `!` or `&` prefix.
    fn set_relation(&mut self) -> Result<Option<(SetOp, usize)>, SyntaxError> {
        let pos = self.pos();
        let (negated, union) = match self.peek() {
            // `!~` is lexed as the regex operator; between spansets it is "not sibling".
            Tok::Cmp(CmpOp::NotMatch) => {
                self.bump();
                return Ok(Some((SetOp::Rel { rel: Relation::Sibling, negated: true, union: false }, pos)));
            }
            Tok::Not => (true, false),
            Tok::Amp => (false, true),
            _ => return Ok(self.relation().map(|rel| (SetOp::Rel { rel, negated: false, union: false }, pos))),
        };
        self.bump();
        match self.relation() {
            Some(rel) => Ok(Some((SetOp::Rel { rel, negated, union }, pos))),
            None => Err(SyntaxError::new(
                self.pos(),
                format!(
                    "expected a structural operator after `{}` (>, >>, <, <<, ~), found {}",
                    if negated { "!" } else { "&" },
                    self.peek().describe()
                ),
            )),
        }
    }

    pub(super) fn spanset(&mut self) -> Result<Spanset, SyntaxError> {
        let pos = self.pos();
        if self.peek() != &Tok::LBrace {
            return Err(SyntaxError::new(
                pos,
                format!("expected a spanset such as `{{ name = \"x\" }}`, found {}", self.peek().describe()),
            ));
        }
        self.bump();
        if self.peek() == &Tok::RBrace {
            self.bump();
            return Ok(Spanset { expr: None, pos });
        }
        let expr = self.expr()?;
        self.expect(&Tok::RBrace, "`}` closing the spanset")?;
        Ok(Spanset { expr: Some(expr), pos })
    }

    pub(super) fn expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut terms = vec![self.and()?];
        while self.peek() == &Tok::Or {
            self.bump();
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::Or(terms) })
    }

    pub(super) fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut terms = vec![self.unary()?];
        while self.peek() == &Tok::And {
            self.bump();
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::And(terms) })
    }

    pub(super) fn unary(&mut self) -> Result<Expr, SyntaxError> {
        match self.peek() {
            Tok::Not => {
                self.bump();
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Tok::LParen => {
                self.bump();
                let e = self.expr()?;
                self.expect(&Tok::RParen, "`)`")?;
                Ok(e)
            }
            Tok::Ident(w) if (w == "true" || w == "false") && !self.next_is_cmp() => {
                let v = w == "true";
                self.bump();
                Ok(Expr::Bool(v))
            }
            _ => self.comparison(),
        }
    }

    pub(super) fn next_is_cmp(&self) -> bool {
        matches!(self.toks.get(self.at + 1), Some((Tok::Cmp(_), _)))
    }

    pub(super) fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.pos();
        let lhs = self.operand()?;
        if let Operand::Field(f) = &lhs
            && matches!(self.peek(), Tok::RBrace | Tok::And | Tok::Or | Tok::RParen | Tok::End)
        {
            // `{ span.cache.hit }`: an attribute alone means `= true`, as in TraceQL; so do
            // the boolean intrinsic `criticalPath` and a parent's attribute.
            if is_attribute(&f.text)
                || is_attribute(f.text.strip_prefix("parent.").unwrap_or(""))
                || matches!(f.text.as_str(), "criticalPath" | "span:criticalPath")
            {
                return Ok(Expr::Cmp { lhs, op: CmpOp::Eq, rhs: Operand::Literal(Literal::Bool(true), pos), pos });
            }
            return Err(SyntaxError::new(
                self.pos(),
                format!(
                    "`{}` alone is not a condition: compare it (`{} = …`); only attributes and `criticalPath` stand alone, meaning `= true`",
                    f.text, f.text
                ),
            ));
        }
        let op = match self.peek() {
            Tok::Cmp(op) => *op,
            t => {
                return Err(SyntaxError::new(
                    self.pos(),
                    format!("expected a comparison (=, !=, <, <=, >, >=, =~, !~), found {}", t.describe()),
                ));
            }
        };
        self.bump();
        let rhs = self.operand()?;
        Ok(Expr::Cmp { lhs, op, rhs, pos })
    }

    pub(super) fn operand(&mut self) -> Result<Operand, SyntaxError> {
        let (tok, pos) = self.bump();
        Ok(match tok {
            Tok::Str(s) => Operand::Literal(Literal::Str(s), pos),
            Tok::Int(n) => Operand::Literal(Literal::Int(n), pos),
            Tok::Float(n) => Operand::Literal(Literal::Float(n), pos),
            Tok::Duration(n) => Operand::Literal(Literal::Duration(n), pos),
            Tok::Percent(n) => Operand::Literal(Literal::Percent(n), pos),
            Tok::Ident(w) if w == "count" && self.peek() == &Tok::LParen => {
                self.bump();
                let rel = self.relation().ok_or_else(|| {
                    SyntaxError::new(
                        self.pos(),
                        "count(…) takes a relation and a spanset, such as `count(> { name = \"x\" })`",
                    )
                })?;
                let set = self.spanset()?;
                let close = self.expect(&Tok::RParen, "`)` closing count(…)")?;
                Operand::Count(rel, Box::new(set), pos, close + 1)
            }
            Tok::Ident(w) => match w.as_str() {
                "true" => Operand::Literal(Literal::Bool(true), pos),
                "false" => Operand::Literal(Literal::Bool(false), pos),
                "nil" => Operand::Literal(Literal::Nil, pos),
                _ if !w.contains('.') && is_word_literal(&w) => Operand::Literal(Literal::Word(w), pos),
                _ => Operand::Field(FieldName { text: w, pos }),
            },
            t => {
                return Err(SyntaxError::new(pos, format!("expected a field or a value, found {}", t.describe())));
            }
        })
    }

    pub(super) fn aggregate(&mut self) -> Result<Aggregate, SyntaxError> {
        let (tok, function_pos) = self.bump();
        let Tok::Ident(function) = tok else {
            return Err(SyntaxError::new(
                function_pos,
                format!("expected an aggregate such as `p99(duration) < 500ms`, found {}", tok.describe()),
            ));
        };
        self.expect(&Tok::LParen, &format!("`(` after `{function}`"))?;
        let arg = match self.peek().clone() {
            Tok::RParen => None,
            Tok::Ident(text) => {
                let pos = self.bump().1;
                Some(FieldName { text, pos })
            }
            t => return Err(SyntaxError::new(self.pos(), format!("expected a field, found {}", t.describe()))),
        };
        let quantile = if self.peek() == &Tok::Comma {
            self.bump();
            match self.bump() {
                (Tok::Float(q), p) => Some((q, p)),
                (Tok::Int(q), p) => Some((q as f64, p)),
                (t, p) => {
                    return Err(SyntaxError::new(
                        p,
                        format!("expected a quantile such as 0.99, found {}", t.describe()),
                    ));
                }
            }
        } else {
            None
        };
        self.expect(&Tok::RParen, "`)`")?;
        let op = match self.bump() {
            (Tok::Cmp(op), _) => op,
            (t, p) => return Err(SyntaxError::new(p, format!("expected a comparison, found {}", t.describe()))),
        };
        let rhs = self.operand()?;
        Ok(Aggregate { function, function_pos, arg, quantile, op, rhs })
    }
}

/// Whether a field name is an attribute (not an intrinsic).
fn is_attribute(t: &str) -> bool {
    ["span.", "resource.", "event.", "link.", "instrumentation.", "."].iter().any(|p| t.starts_with(p))
        && t != "event.name"
}

/// Names that start an aggregate: TraceQL's and this language's.
fn is_aggregate_name(w: &str) -> bool {
    matches!(w, "count" | "avg" | "mean" | "min" | "max" | "sum" | "error_rate" | "quantile")
        || w.strip_prefix('p').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// TraceQL metrics functions: series over time, meaningless for a dump.
fn is_metrics_function(w: &str) -> bool {
    matches!(
        w,
        "rate"
            | "count_over_time"
            | "sum_over_time"
            | "avg_over_time"
            | "min_over_time"
            | "max_over_time"
            | "quantile_over_time"
            | "histogram_over_time"
            | "compare"
            | "topk"
            | "bottomk"
    )
}

/// Bare words read as literals: status codes and span kinds.
fn is_word_literal(w: &str) -> bool {
    matches!(w, "ok" | "error" | "unset" | "server" | "client" | "producer" | "consumer" | "internal" | "unspecified")
}

/// Parses a selector.
pub fn parse_selector(src: &str) -> Result<Selector, SyntaxError> {
    let mut p = Parser::new(src)?;
    let s = p.selector()?;
    if let Tok::Ident(w) = p.peek()
        && w == "with"
    {
        return Err(SyntaxError::new(
            p.pos(),
            "query hints (`with (…)`) steer a Tempo search; they do not apply to a dump: drop them",
        ));
    }
    p.end()?;
    Ok(s)
}

/// Parses an expectation: a boolean expression over the matched span.
pub fn parse_expr(src: &str) -> Result<Expr, SyntaxError> {
    let mut p = Parser::new(src)?;
    if p.peek() == &Tok::End {
        return Err(SyntaxError::new(0, "empty expectation"));
    }
    let e = p.expr()?;
    p.end()?;
    Ok(e)
}

/// Parses an aggregate condition.
pub fn parse_aggregate(src: &str) -> Result<Aggregate, SyntaxError> {
    let mut p = Parser::new(src)?;
    let a = p.aggregate()?;
    p.end()?;
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn parses_structural_selectors() {
        let s = parse_selector(r#"{ name = "a" } > { kind = client && duration > 2ms } >> {}"#).unwrap();
        // Left to right: ({a} > {b}) >> {}.
        let SetExpr::Op { op: SetOp::Rel { rel: Relation::Descendant, .. }, lhs, rhs, .. } = &s.expr else {
            panic!("descendant at the top: {s:?}")
        };
        assert!(matches!(&**rhs, SetExpr::Spanset(Spanset { expr: None, .. })));
        let SetExpr::Op { op: SetOp::Rel { rel: Relation::Child, .. }, rhs: b, .. } = &**lhs else { panic!("child") };
        let SetExpr::Spanset(Spanset { expr: Some(Expr::And(terms)), .. }) = &**b else { panic!("expected and") };
        assert!(matches!(&terms[1], Expr::Cmp { rhs: Operand::Literal(Literal::Duration(2_000_000), _), .. }));
    }

    #[test]
    pub(super) fn precedence_and_count() {
        let e = parse_expr(r#"!a = 1 || b = 2 && count(> { name = "x" }) >= span.n"#).unwrap();
        let Expr::Or(t) = e else { panic!("or at the top") };
        assert!(matches!(t[0], Expr::Not(_)));
        let Expr::And(a) = &t[1] else { panic!("and binds tighter") };
        assert!(matches!(&a[1], Expr::Cmp { lhs: Operand::Count(Relation::Child, ..), op: CmpOp::Ge, .. }));
    }

    #[test]
    pub(super) fn strings_and_quoted_keys() {
        let e = parse_expr(r#"span."a b" =~ `^x\.y$` && name = "q\"\\""#).unwrap();
        let Expr::And(t) = e else { panic!() };
        let Expr::Cmp { lhs: Operand::Field(f), rhs: Operand::Literal(Literal::Str(re), _), .. } = &t[0] else {
            panic!()
        };
        assert_eq!(f.text, "span.a b");
        assert_eq!(re, r"^x\.y$");
        assert!(matches!(&t[1], Expr::Cmp { rhs: Operand::Literal(Literal::Str(s), _), .. } if s == "q\"\\"));
    }

    #[test]
    pub(super) fn errors_point_at_the_problem() {
        let e = parse_selector(r#"{ name = "a" "#).unwrap_err();
        assert_eq!(e.pos, 13);
        let e = parse_expr("duration > 5parsecs").unwrap_err();
        assert_eq!(e.pos, 11);
        let e = parse_expr("name == 1").unwrap_err();
        assert_eq!(e.pos, 5);
        assert!(parse_aggregate("p99(duration) < 500ms").is_ok());
        assert_eq!(parse_aggregate("p99(duration) 500ms").unwrap_err().pos, 14);
        assert!(parse_expr("error_rate < 5%").is_ok());
    }
}
