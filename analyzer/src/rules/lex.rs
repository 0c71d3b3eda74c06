//! The tokens of the selector language and the lexer that cuts text into them, with
//! byte offsets for error messages.

use super::lang::{CmpOp, SyntaxError};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
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
    /// `|`: a pipeline stage follows.
    Pipe,
    /// `&` before a structural operator (`&>>`: both sides).
    Amp,
    /// `,` between the arguments of `quantile(duration, 0.99)`.
    Comma,
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
    pub(super) fn describe(&self) -> String {
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
            Tok::Pipe => "`|`".into(),
            Tok::Amp => "`&`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Int(n) => format!("number {n}"),
            Tok::Float(n) => format!("number {n}"),
            Tok::Duration(_) | Tok::Percent(_) => "a literal".into(),
            Tok::End => "the end of the text".into(),
        }
    }
}

pub(super) fn lex(src: &str) -> Result<Vec<(Tok, usize)>, SyntaxError> {
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
            b'|' => (Tok::Pipe, 1),
            b'&' => (Tok::Amp, 1),
            b',' => (Tok::Comma, 1),
            b'*' | b'+' | b'/' | b'%' | b'^' => {
                return Err(SyntaxError::new(
                    i,
                    format!(
                        "arithmetic (`{}`) is not supported; write the value itself, such as `10485760` for `10 * 1024 * 1024`",
                        c as char
                    ),
                ));
            }
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
                // `span:name`, `trace:duration`: a scoped intrinsic.
                if b.get(j) == Some(&b':')
                    && b.get(j + 1).is_some_and(u8::is_ascii_alphabetic)
                    && !src[i..j].contains('.')
                {
                    j += 1;
                    while j < b.len() && b[j].is_ascii_alphanumeric() {
                        j += 1;
                    }
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
pub(super) fn lex_string(src: &str, at: usize) -> Result<(String, usize), SyntaxError> {
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

pub(super) fn lex_number(src: &str, at: usize) -> Result<(Tok, usize), SyntaxError> {
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
