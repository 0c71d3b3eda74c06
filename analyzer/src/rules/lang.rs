//! The selector language: tokens and a recursive-descent parser into an untyped syntax
//! tree. Positions are byte offsets into the text being parsed, so errors can be mapped
//! back to a line and column of the rule file.
//!
//! ```text
//! selector   = spanset { relation spanset }
//! relation   = ">" | ">>" | "<" | "<<" | "~"
//! spanset    = "{" [ expr ] "}"
//! expr       = and { "||" and }
//! and        = unary { "&&" unary }
//! unary      = "!" unary | "(" expr ")" | "true" | "false" | comparison
//! comparison = operand cmp operand
//! operand    = field | literal | "count" "(" relation spanset ")"
//! aggregate  = function "(" [ field ] ")" cmp operand
//! ```

use std::fmt;

/// A syntax error at a byte offset of the parsed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: usize,
    pub message: String,
}

impl SyntaxError {
    fn new(pos: usize, message: impl Into<String>) -> SyntaxError {
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

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LBrace,
    RBrace,
    LParen,
    RParen,
    Cmp(CmpOp),
    /// `>>`
    Desc,
    /// `<<`
    Anc,
    Tilde,
    And,
    Or,
    Not,
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    /// Nanoseconds.
    Duration(u64),
    /// A fraction (`5%` is 0.05).
    Percent(f64),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::LBrace => "`{`".into(),
            Tok::RBrace => "`}`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Cmp(op) => format!("`{op}`"),
            Tok::Desc => "`>>`".into(),
            Tok::Anc => "`<<`".into(),
            Tok::Tilde => "`~`".into(),
            Tok::And => "`&&`".into(),
            Tok::Or => "`||`".into(),
            Tok::Not => "`!`".into(),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Int(n) => format!("number {n}"),
            Tok::Float(n) => format!("number {n}"),
            Tok::Duration(_) | Tok::Percent(_) => "a literal".into(),
            Tok::End => "the end of the text".into(),
        }
    }
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, SyntaxError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let two = |s: &[u8]| b[i..].starts_with(s);
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'{' => (Tok::LBrace, 1),
            b'}' => (Tok::RBrace, 1),
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'~' => (Tok::Tilde, 1),
            _ if two(b"&&") => (Tok::And, 2),
            _ if two(b"||") => (Tok::Or, 2),
            _ if two(b"=~") => (Tok::Cmp(CmpOp::Match), 2),
            _ if two(b"!~") => (Tok::Cmp(CmpOp::NotMatch), 2),
            _ if two(b"!=") => (Tok::Cmp(CmpOp::Ne), 2),
            _ if two(b">>") => (Tok::Desc, 2),
            _ if two(b"<<") => (Tok::Anc, 2),
            _ if two(b">=") => (Tok::Cmp(CmpOp::Ge), 2),
            _ if two(b"<=") => (Tok::Cmp(CmpOp::Le), 2),
            _ if two(b"==") => return Err(SyntaxError::new(i, "use `=` for equality, not `==`")),
            b'=' => (Tok::Cmp(CmpOp::Eq), 1),
            b'>' => (Tok::Cmp(CmpOp::Gt), 1),
            b'<' => (Tok::Cmp(CmpOp::Lt), 1),
            b'!' => (Tok::Not, 1),
            b'"' | b'`' => {
                let (s, len) = lex_string(src, i)?;
                (Tok::Str(s), len)
            }
            b'0'..=b'9' => lex_number(src, i)?,
            b'-' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => lex_number(src, i)?,
            b'.' | b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'_' | b'.' | b'-' | b'/')) {
                    j += 1;
                }
                let mut name = src[i..j].to_string();
                // `span."key with spaces"`: a quoted attribute name.
                if name.ends_with('.') && b.get(j) == Some(&b'"') {
                    let (key, len) = lex_string(src, j)?;
                    name.push_str(&key);
                    j += len;
                }
                (Tok::Ident(name), j - i)
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(SyntaxError::new(i, format!("unexpected character {ch:?}")));
            }
        };
        out.push((tok.0, start));
        i += tok.1;
    }
    out.push((Tok::End, src.len()));
    Ok(out)
}

/// A string starting at `at` (`"…"` with escapes, or `` `…` `` raw). Returns the value and
/// the length consumed.
fn lex_string(src: &str, at: usize) -> Result<(String, usize), SyntaxError> {
    let quote = src.as_bytes()[at];
    let mut out = String::new();
    let mut chars = src[at + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            _ if c as u32 == u32::from(quote) => return Ok((out, k + 2)),
            '\\' if quote == b'"' => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((e, other)) => {
                    return Err(SyntaxError::new(
                        at + 1 + e,
                        format!("unknown escape `\\{other}` (use \\\\, \\\", \\n or \\t; `…` strings take no escapes)"),
                    ));
                }
                None => break,
            },
            _ => out.push(c),
        }
    }
    Err(SyntaxError::new(at, "string is not closed"))
}

fn lex_number(src: &str, at: usize) -> Result<(Tok, usize), SyntaxError> {
    let b = src.as_bytes();
    let mut j = at + 1;
    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.' || b[j] == b'_') {
        j += 1;
    }
    let digits: String = src[at..j].chars().filter(|&c| c != '_').collect();
    let mut k = j;
    while k < b.len() && (b[k].is_ascii_alphabetic() || b[k] == b'%' || src[k..].starts_with('µ')) {
        k += src[k..].chars().next().map_or(1, char::len_utf8);
    }
    let unit = &src[j..k];
    let bad = |what: &str| SyntaxError::new(at, format!("`{}` is not {what}", &src[at..k]));
    let tok = match unit {
        "" if digits.contains('.') => Tok::Float(digits.parse().map_err(|_| bad("a number"))?),
        "" => Tok::Int(digits.parse().map_err(|_| bad("an integer in range"))?),
        "%" => Tok::Percent(digits.parse::<f64>().map_err(|_| bad("a percentage"))? / 100.0),
        _ => {
            if digits.starts_with('-') {
                return Err(bad("a duration (durations are not negative)"));
            }
            let ns = crate::model::time::parse_duration(&src[at..k]).map_err(|e| SyntaxError::new(at, e))?;
            Tok::Duration(ns)
        }
    };
    Ok((tok, k - at))
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

/// Spansets joined by structural relations, read left to right: `{A} > {B}` selects the
/// spans matching B whose parent matches A.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    pub first: Spanset,
    pub rest: Vec<(Relation, Spanset)>,
}

/// `p99(duration) < 500ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    pub function: String,
    pub function_pos: usize,
    pub arg: Option<FieldName>,
    pub op: CmpOp,
    pub rhs: Operand,
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
}

impl Parser {
    fn new(src: &str) -> Result<Parser, SyntaxError> {
        Ok(Parser { toks: lex(src)?, at: 0 })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }

    fn pos(&self) -> usize {
        self.toks[self.at].1
    }

    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<usize, SyntaxError> {
        if self.peek() == want {
            Ok(self.bump().1)
        } else {
            Err(SyntaxError::new(self.pos(), format!("expected {what}, found {}", self.peek().describe())))
        }
    }

    fn end(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            Tok::End => Ok(()),
            t => Err(SyntaxError::new(
                self.pos(),
                format!("unexpected {} after the end of the expression", t.describe()),
            )),
        }
    }

    fn relation(&mut self) -> Option<Relation> {
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

    fn selector(&mut self) -> Result<Selector, SyntaxError> {
        let first = self.spanset()?;
        let mut rest = Vec::new();
        while let Some(r) = self.relation() {
            rest.push((r, self.spanset()?));
        }
        Ok(Selector { first, rest })
    }

    fn spanset(&mut self) -> Result<Spanset, SyntaxError> {
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

    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut terms = vec![self.and()?];
        while self.peek() == &Tok::Or {
            self.bump();
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::Or(terms) })
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut terms = vec![self.unary()?];
        while self.peek() == &Tok::And {
            self.bump();
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::And(terms) })
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
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

    fn next_is_cmp(&self) -> bool {
        matches!(self.toks.get(self.at + 1), Some((Tok::Cmp(_), _)))
    }

    fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.pos();
        let lhs = self.operand()?;
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

    fn operand(&mut self) -> Result<Operand, SyntaxError> {
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

    fn aggregate(&mut self) -> Result<Aggregate, SyntaxError> {
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
        self.expect(&Tok::RParen, "`)`")?;
        let op = match self.bump() {
            (Tok::Cmp(op), _) => op,
            (t, p) => return Err(SyntaxError::new(p, format!("expected a comparison, found {}", t.describe()))),
        };
        let rhs = self.operand()?;
        Ok(Aggregate { function, function_pos, arg, op, rhs })
    }
}

/// Bare words read as literals: status codes and span kinds.
fn is_word_literal(w: &str) -> bool {
    matches!(w, "ok" | "error" | "unset" | "server" | "client" | "producer" | "consumer" | "internal" | "unspecified")
}

/// Parses a selector.
pub fn parse_selector(src: &str) -> Result<Selector, SyntaxError> {
    let mut p = Parser::new(src)?;
    let s = p.selector()?;
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
    fn parses_structural_selectors() {
        let s = parse_selector(r#"{ name = "a" } > { kind = client && duration > 2ms } >> {}"#).unwrap();
        assert_eq!(s.rest.len(), 2);
        assert_eq!(s.rest[0].0, Relation::Child);
        assert_eq!(s.rest[1].0, Relation::Descendant);
        assert_eq!(s.rest[1].1.expr, None);
        let Some(Expr::And(terms)) = &s.rest[0].1.expr else { panic!("expected and") };
        assert!(matches!(&terms[1], Expr::Cmp { rhs: Operand::Literal(Literal::Duration(2_000_000), _), .. }));
    }

    #[test]
    fn precedence_and_count() {
        let e = parse_expr(r#"!a = 1 || b = 2 && count(> { name = "x" }) >= span.n"#).unwrap();
        let Expr::Or(t) = e else { panic!("or at the top") };
        assert!(matches!(t[0], Expr::Not(_)));
        let Expr::And(a) = &t[1] else { panic!("and binds tighter") };
        assert!(matches!(&a[1], Expr::Cmp { lhs: Operand::Count(Relation::Child, ..), op: CmpOp::Ge, .. }));
    }

    #[test]
    fn strings_and_quoted_keys() {
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
    fn errors_point_at_the_problem() {
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
