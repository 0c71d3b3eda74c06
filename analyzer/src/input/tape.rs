//! Helpers for walking a simd-json tape: iteration over members and elements, and the
//! number and string conversions every JSON dialect needs.

use simd_json::{Node, StaticNode};

/// An index into the tape.
pub type Idx = usize;

/// The index after the value at `i`.
pub fn skip(nodes: &[Node<'_>], i: Idx) -> Idx {
    match nodes[i] {
        Node::Object { count, .. } | Node::Array { count, .. } => i + count + 1,
        _ => i + 1,
    }
}

/// Calls `f(key, value_index)` for each member if `nodes[i]` is an object.
pub fn members<'d>(nodes: &[Node<'d>], i: Idx, mut f: impl FnMut(&'d str, Idx)) -> bool {
    let Node::Object { len, .. } = nodes[i] else {
        return false;
    };
    let mut j = i + 1;
    for _ in 0..len {
        let Node::String(key) = nodes[j] else {
            return false;
        };
        f(key, j + 1);
        j = skip(nodes, j + 1);
    }
    true
}

/// Calls `f(element_index)` for each element if `nodes[i]` is an array.
pub fn elements(nodes: &[Node<'_>], i: Idx, mut f: impl FnMut(Idx)) -> bool {
    let Node::Array { len, .. } = nodes[i] else {
        return false;
    };
    let mut j = i + 1;
    for _ in 0..len {
        f(j);
        j = skip(nodes, j);
    }
    true
}

/// What kind of JSON value a node is, for messages.
pub fn describe(node: &Node<'_>) -> &'static str {
    match node {
        Node::String(_) => "a string",
        Node::Object { .. } => "an object",
        Node::Array { .. } => "an array",
        Node::Static(StaticNode::Null) => "null",
        Node::Static(StaticNode::Bool(_)) => "a boolean",
        Node::Static(_) => "a number",
    }
}

/// Fields of a span gathered before it is validated and stored.
/// An enum given as a number or a name.
pub fn enum_value<T>(node: &Node<'_>, from_int: fn(i64) -> Option<T>, from_name: fn(&str) -> Option<T>) -> Option<T> {
    match node {
        Node::String(s) => from_name(s).or_else(|| s.parse().ok().and_then(from_int)),
        n => i64_value(n).and_then(from_int),
    }
}

/// A 64-bit unsigned integer written as a JSON number or a decimal string; `null` is 0.
pub fn u64_value(node: &Node<'_>) -> Option<u64> {
    match *node {
        Node::Static(StaticNode::U64(n)) => Some(n),
        Node::Static(StaticNode::I64(n)) => u64::try_from(n).ok(),
        Node::Static(StaticNode::F64(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1.8446744073709552e19 => Some(f as u64),
        Node::Static(StaticNode::Null) => Some(0),
        Node::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A signed 64-bit integer written as a number or a decimal string.
pub fn i64_value(node: &Node<'_>) -> Option<i64> {
    match *node {
        Node::Static(StaticNode::I64(n)) => Some(n),
        Node::Static(StaticNode::U64(n)) => i64::try_from(n).ok(),
        Node::Static(StaticNode::F64(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
        Node::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A double written as a number or a string (`"NaN"`, `"Infinity"`, `"-Infinity"`).
pub fn f64_value(node: &Node<'_>) -> Option<f64> {
    match *node {
        Node::Static(StaticNode::F64(f)) => Some(f),
        Node::Static(StaticNode::I64(n)) => Some(n as f64),
        Node::Static(StaticNode::U64(n)) => Some(n as f64),
        Node::String(s) => match s {
            "NaN" => Some(f64::NAN),
            "Infinity" | "+Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => s.trim().parse().ok(),
        },
        _ => None,
    }
}

/// Appends a scalar node as JSON text.
pub fn render_scalar(n: &Node<'_>, out: &mut String) {
    use std::fmt::Write;
    match n {
        Node::String(s) => push_json_str(out, s),
        Node::Static(StaticNode::Bool(b)) => {
            let _ = write!(out, "{b}");
        }
        Node::Static(StaticNode::I64(x)) => {
            let _ = write!(out, "{x}");
        }
        Node::Static(StaticNode::U64(x)) => {
            let _ = write!(out, "{x}");
        }
        Node::Static(StaticNode::F64(x)) => {
            let _ = write!(out, "{x}");
        }
        _ => out.push_str("null"),
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a double as JSON text; NaN and infinities as the strings OTLP JSON uses.
pub fn push_json_f64(out: &mut String, f: f64) {
    use std::fmt::Write;
    if f.is_finite() {
        let _ = write!(out, "{f}");
    } else if f.is_nan() {
        out.push_str("\"NaN\"");
    } else if f > 0.0 {
        out.push_str("\"Infinity\"");
    } else {
        out.push_str("\"-Infinity\"");
    }
}
