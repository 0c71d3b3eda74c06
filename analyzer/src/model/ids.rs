//! Binary trace and span ids, and their decoding from the text forms seen in real dumps.

use std::fmt;

/// A 16-byte trace id, ordered by its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id, ordered by its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SpanId(pub [u8; 8]);

// Byte order is the order of the big-endian integer: one compare instead of a `memcmp` call
// (ids are compared in every sort of findings, examples and groups).
macro_rules! int_order {
    ($t:ty, $int:ty) => {
        impl Ord for $t {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                <$int>::from_be_bytes(self.0).cmp(&<$int>::from_be_bytes(other.0))
            }
        }
        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
    };
}
int_order!(TraceId, u128);
int_order!(SpanId, u64);

macro_rules! hex_display {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for b in self.0 {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
        impl $t {
            /// True when every byte is zero (never a valid id in OTLP).
            pub fn is_zero(&self) -> bool {
                self.0.iter().all(|&b| b == 0)
            }
        }
    };
}
hex_display!(TraceId);
hex_display!(SpanId);

// In partial results ids are written as lowercase hex, as reports show them.
macro_rules! hex_serde {
    ($t:ident, $n:expr) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                tracecheck_wire::hex::decode::<$n>(text.as_bytes())
                    .map($t)
                    .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a {}-byte hex id", $n)))
            }
        }
    };
}
hex_serde!(TraceId, 16);
hex_serde!(SpanId, 8);

/// Why an id could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Neither hex nor base64 of the expected byte length.
    #[error("has {0} characters, which is neither hex nor base64 of the expected size")]
    WrongLength(usize),
    /// The right length for hex or base64 but with characters of neither alphabet.
    #[error("is not valid hex or base64")]
    BadCharacters,
    /// Decodes, but all bytes are zero.
    #[error("is all zeros")]
    AllZeros,
}

/// Decodes an id of `N` bytes from lowercase or uppercase hex (`2N` chars) or from
/// standard or URL-safe base64, padded or not (what protobuf's JSON mapping writes).
pub fn decode_id<const N: usize>(text: &str) -> Result<[u8; N], IdError> {
    let b = text.as_bytes();
    let out = if b.len() == 2 * N {
        match tracecheck_wire::hex::decode::<N>(b) {
            Some(o) => o,
            None => decode_base64(b).ok_or(IdError::BadCharacters)?,
        }
    } else {
        decode_base64(b).ok_or_else(|| {
            if b.len() == base64_len(N) || b.len() == base64_len_padded(N) {
                IdError::BadCharacters
            } else {
                IdError::WrongLength(b.len())
            }
        })?
    };
    if out.iter().all(|&x| x == 0) {
        return Err(IdError::AllZeros);
    }
    Ok(out)
}

/// As [`decode_id`], but hex shorter than `2N` digits is left-padded with zeros, as Zipkin and
/// Jaeger write 64-bit trace ids (16 digits) and some tracers drop leading zeros.
pub fn decode_id_padded<const N: usize>(text: &str) -> Result<[u8; N], IdError> {
    let b = text.as_bytes();
    if !b.is_empty() && b.len() < 2 * N && b.iter().all(u8::is_ascii_hexdigit) {
        let mut padded = [b'0'; 64];
        padded[2 * N - b.len()..2 * N].copy_from_slice(b);
        let text = std::str::from_utf8(&padded[..2 * N]).map_err(|_| IdError::BadCharacters)?;
        return decode_id::<N>(text);
    }
    decode_id::<N>(text)
}

const fn base64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

const fn base64_len_padded(n: usize) -> usize {
    n.div_ceil(3) * 4
}

fn decode_base64<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    tracecheck_wire::base64::decode_exact::<N>(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_of_any_case() {
        let lower = decode_id::<8>("9082d67808fc8870").unwrap();
        let upper = decode_id::<8>("9082D67808FC8870").unwrap();
        assert_eq!(lower, upper);
        assert_eq!(SpanId(lower).to_string(), "9082d67808fc8870");
    }

    #[test]
    fn base64_padded_and_unpadded_and_urlsafe() {
        // 0x5b8efff798038103d269b633813fc60c in base64 is W47/95gDgQPSabYzgT/GDA==
        let want = decode_id::<16>("5b8efff798038103d269b633813fc60c").unwrap();
        assert_eq!(decode_id::<16>("W47/95gDgQPSabYzgT/GDA==").unwrap(), want);
        assert_eq!(decode_id::<16>("W47/95gDgQPSabYzgT/GDA").unwrap(), want);
        assert_eq!(decode_id::<16>("W47_95gDgQPSabYzgT_GDA==").unwrap(), want);
        let span = decode_id::<8>("eee19b7ec3c1b174").unwrap();
        assert_eq!(decode_id::<8>("7uGbfsPBsXQ=").unwrap(), span);
    }

    #[test]
    fn padded_hex_for_64_bit_trace_ids() {
        let t = decode_id_padded::<16>("5af7183fb1d4cf5f").unwrap();
        assert_eq!(TraceId(t).to_string(), "00000000000000005af7183fb1d4cf5f");
        assert_eq!(SpanId(decode_id_padded::<8>("abc").unwrap()).to_string(), "0000000000000abc");
        assert_eq!(decode_id_padded::<8>("0"), Err(IdError::AllZeros));
        assert!(decode_id_padded::<8>("xyz").is_err());
    }

    #[test]
    fn every_pair_of_bytes_decodes_as_hex_only_when_both_are_hex_digits() {
        for hi in 0..=255u8 {
            for lo in 0..=255u8 {
                let text = [hi, lo];
                let Ok(text) = std::str::from_utf8(&text) else { continue };
                let want = match u8::from_str_radix(text, 16) {
                    Ok(0) if hi != b'+' => Err(IdError::AllZeros),
                    Ok(v) if hi != b'+' => Ok([v]),
                    _ => decode_base64::<1>(text.as_bytes())
                        .ok_or(IdError::BadCharacters)
                        .and_then(|v| if v == [0] { Err(IdError::AllZeros) } else { Ok(v) }),
                };
                assert_eq!(decode_id::<1>(text), want, "{text:?}");
            }
        }
    }

    #[test]
    fn ids_are_ordered_by_their_bytes() {
        let ids: Vec<[u8; 16]> = [[0u8; 16], [1; 16], [0xff; 16], [0x7f; 16], [0x80; 16]]
            .into_iter()
            .chain((0..16).map(|i| {
                let mut b = [0x40u8; 16];
                b[i] = 0x41;
                b
            }))
            .collect();
        for a in &ids {
            for b in &ids {
                assert_eq!(TraceId(*a).cmp(&TraceId(*b)), a.cmp(b));
                let (a8, b8): ([u8; 8], [u8; 8]) = (a[8..].try_into().unwrap(), b[8..].try_into().unwrap());
                assert_eq!(SpanId(a8).cmp(&SpanId(b8)), a8.cmp(&b8));
            }
        }
    }

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(decode_id::<8>("abc"), Err(IdError::WrongLength(3)));
        assert_eq!(decode_id::<8>("0000000000000000"), Err(IdError::AllZeros));
        assert_eq!(decode_id::<8>("zzzzzzzzzzzzzzzz"), Err(IdError::BadCharacters));
        assert_eq!(decode_id::<16>("!!!!!!!!!!!!!!!!!!!!!!!!"), Err(IdError::BadCharacters));
    }
}
