//! The values fields and literals take while rules are evaluated, and the memo of regex
//! outcomes on interned strings.

use crate::model::{SpanKind, StatusCode, Sym, ValueType};

/// The value of a field or literal while evaluating.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Rv {
    Nil,
    Str(Sym),
    /// A string literal that occurs nowhere in the dump (its slot).
    Text(u32),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(u64),
    Status(StatusCode),
    Kind(SpanKind),
    /// An array, map, bytes or empty value: present, but not comparable.
    Other(ValueType),
    TraceId(crate::model::TraceId),
    SpanId(crate::model::SpanId),
}

impl Rv {
    /// The value as a number, for aggregates.
    pub fn number(self) -> Option<f64> {
        match self {
            Rv::Int(n) => Some(n as f64),
            Rv::Float(n) => Some(n),
            Rv::Duration(n) => Some(n as f64),
            _ => None,
        }
    }

    /// A name for the value's type, in messages.
    pub fn type_name(self) -> &'static str {
        match self {
            Rv::Nil => "absent",
            Rv::Str(_) | Rv::Text(_) => "a string",
            Rv::Int(_) | Rv::Float(_) => "a number",
            Rv::Bool(_) => "a boolean",
            Rv::Duration(_) => "a duration",
            Rv::Status(_) => "a status",
            Rv::Kind(_) => "a span kind",
            Rv::Other(t) => t.as_str(),
            Rv::TraceId(_) => "a trace id",
            Rv::SpanId(_) => "a span id",
        }
    }
}

pub(super) fn model_value(v: crate::model::Value) -> Rv {
    match v {
        crate::model::Value::Str(s) => Rv::Str(s),
        crate::model::Value::Int(n) => Rv::Int(n),
        crate::model::Value::Double(n) => Rv::Float(n),
        crate::model::Value::Bool(b) => Rv::Bool(b),
        v => Rv::Other(v.value_type()),
    }
}

/// Remembered regex outcomes on interned strings, so a pattern tested on the same string
/// in trace after trace (span names, a resource's peer id) runs once. Direct-mapped and of
/// fixed size: strings seen once (ids, URLs) evict each other instead of growing it. Valid
/// for one string table: keep one per dump (or per set of partitions sharing strings).
#[derive(Debug)]
pub struct RegexMemo(std::cell::RefCell<Vec<u64>>);

impl Default for RegexMemo {
    fn default() -> Self {
        RegexMemo(std::cell::RefCell::new(vec![u64::MAX; RegexMemo::SLOTS]))
    }
}

impl RegexMemo {
    const SLOTS: usize = 4096;

    /// Whether regex `regex` matches the string of `sym`, computed by `test` on a miss.
    pub(super) fn get(&self, regex: usize, sym: Sym, test: impl FnOnce() -> bool) -> bool {
        // Key: symbol in the high half, regex index above the outcome bit; u64::MAX is empty.
        let key = (u64::from(sym.0) << 32) | ((regex as u64 & 0x7fff_ffff) << 1);
        let slot = ((u64::from(sym.0).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize ^ regex) % Self::SLOTS;
        let mut slots = self.0.borrow_mut();
        let held = slots[slot];
        if held != u64::MAX && held & !1 == key {
            return held & 1 == 1;
        }
        let hit = test();
        slots[slot] = key | u64::from(hit);
        hit
    }
}
