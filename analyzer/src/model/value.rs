//! Typed attribute values, and attributes in 16 bytes.

use super::Sym;

/// A typed attribute value, as in OTLP's `AnyValue`. Arrays and maps keep their type and
/// are stored as canonical JSON text.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Value {
    Str(Sym),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Sym),
    Array(Sym),
    Map(Sym),
    /// An `AnyValue` with no value set (`{}`).
    Empty,
}

/// The OTLP type of a [`Value`], used to compare types across spans.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    Str,
    Bool,
    Int,
    Double,
    Bytes,
    Array,
    Map,
    Empty,
}

impl ValueType {
    /// Every type, in order (`ValueType::ALL[t as usize] == t`).
    pub const ALL: [ValueType; 8] = [
        ValueType::Str,
        ValueType::Bool,
        ValueType::Int,
        ValueType::Double,
        ValueType::Bytes,
        ValueType::Array,
        ValueType::Map,
        ValueType::Empty,
    ];
}

impl Value {
    /// The OTLP type of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Str(_) => ValueType::Str,
            Value::Bool(_) => ValueType::Bool,
            Value::Int(_) => ValueType::Int,
            Value::Double(_) => ValueType::Double,
            Value::Bytes(_) => ValueType::Bytes,
            Value::Array(_) => ValueType::Array,
            Value::Map(_) => ValueType::Map,
            Value::Empty => ValueType::Empty,
        }
    }
}

impl ValueType {
    /// The OTLP JSON name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Str => "string",
            ValueType::Bool => "bool",
            ValueType::Int => "int",
            ValueType::Double => "double",
            ValueType::Bytes => "bytes",
            ValueType::Array => "array",
            ValueType::Map => "kvlist",
            ValueType::Empty => "empty",
        }
    }
}

/// One attribute, in 16 bytes: the value's type and its 8 payload bytes are kept apart
/// (a [`Value`] alone takes 16), so the largest arena of a dump is a third smaller.
#[derive(Clone, Copy)]
pub struct Attr {
    pub key: Sym,
    ty: ValueType,
    /// The symbol in `payload[0]`, or the 8 bytes of an int, a double's bits or a bool.
    payload: [u32; 2],
}

const _: () = assert!(std::mem::size_of::<Attr>() == 16);

impl Attr {
    /// An attribute of `key` set to `value`.
    pub fn new(key: Sym, value: Value) -> Attr {
        let (ty, payload) = match value {
            Value::Str(s) | Value::Bytes(s) | Value::Array(s) | Value::Map(s) => (value.value_type(), u64::from(s.0)),
            Value::Bool(b) => (ValueType::Bool, u64::from(b)),
            Value::Int(i) => (ValueType::Int, i as u64),
            Value::Double(d) => (ValueType::Double, d.to_bits()),
            Value::Empty => (ValueType::Empty, 0),
        };
        Attr::from_raw(key, ty, payload)
    }

    /// The attribute's value.
    pub fn value(&self) -> Value {
        let (ty, wide) = self.raw();
        let sym = Sym(wide as u32);
        match ty {
            ValueType::Str => Value::Str(sym),
            ValueType::Bool => Value::Bool(wide != 0),
            ValueType::Int => Value::Int(wide as i64),
            ValueType::Double => Value::Double(f64::from_bits(wide)),
            ValueType::Bytes => Value::Bytes(sym),
            ValueType::Array => Value::Array(sym),
            ValueType::Map => Value::Map(sym),
            ValueType::Empty => Value::Empty,
        }
    }

    /// The type of its value.
    pub fn value_type(&self) -> ValueType {
        self.ty
    }

    /// The value as stored: its type and 8 payload bytes (a symbol, an int, a double's bits,
    /// 0 or 1), for compact encodings such as streaming mode's partition files.
    pub fn raw(&self) -> (ValueType, u64) {
        (self.ty, u64::from(self.payload[0]) | (u64::from(self.payload[1]) << 32))
    }

    /// The attribute [`Attr::raw`] gave these parts of.
    pub fn from_raw(key: Sym, ty: ValueType, payload: u64) -> Attr {
        Attr { key, ty, payload: [payload as u32, (payload >> 32) as u32] }
    }

    /// Rewrites the key and a symbol value through `map` (used when merging string tables).
    pub fn remap(&mut self, map: &[Sym]) {
        self.key = map[self.key.0 as usize];
        if matches!(self.ty, ValueType::Str | ValueType::Bytes | ValueType::Array | ValueType::Map) {
            self.payload[0] = map[self.payload[0] as usize].0;
        }
    }
}

impl std::fmt::Debug for Attr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attr").field("key", &self.key).field("value", &self.value()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attribute_gives_back_the_value_it_was_made_with() {
        let values = [
            Value::Str(Sym(7)),
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(-1),
            Value::Int(i64::MIN),
            Value::Int(0x1234_5678_9abc_def0),
            Value::Double(-0.0),
            Value::Double(f64::MAX),
            Value::Double(1.5e-300),
            Value::Bytes(Sym(u32::MAX)),
            Value::Array(Sym(1)),
            Value::Map(Sym(2)),
            Value::Empty,
        ];
        for v in values {
            let a = Attr::new(Sym(3), v);
            assert_eq!(a.key, Sym(3));
            assert_eq!(a.value_type(), v.value_type());
            let (ty, payload) = a.raw();
            let back = Attr::from_raw(a.key, ty, payload);
            assert_eq!((back.key, back.raw()), (a.key, a.raw()));
            match (a.value(), v) {
                (Value::Double(x), Value::Double(y)) => assert_eq!(x.to_bits(), y.to_bits()),
                (x, y) => assert_eq!(x, y),
            }
        }
        let nan = Attr::new(Sym(0), Value::Double(f64::NAN)).value();
        assert!(matches!(nan, Value::Double(d) if d.is_nan()));
        // Remapping rewrites the key and symbol values, never a number that looks like one.
        let map = [Sym(10), Sym(11), Sym(12), Sym(13)];
        let mut s = Attr::new(Sym(1), Value::Str(Sym(2)));
        s.remap(&map);
        assert_eq!((s.key, s.value()), (Sym(11), Value::Str(Sym(12))));
        let mut i = Attr::new(Sym(3), Value::Int(2));
        i.remap(&map);
        assert_eq!((i.key, i.value()), (Sym(13), Value::Int(2)));
    }

    #[test]
    fn every_value_type_sits_at_its_own_index_in_order() {
        for (i, t) in ValueType::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i, "{t:?}");
        }
        assert!(ValueType::ALL.windows(2).all(|w| w[0] < w[1]));
    }
}
