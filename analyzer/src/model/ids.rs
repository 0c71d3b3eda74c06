//! Binary trace and span ids, and their decoding from the text forms seen in real dumps.

use std::fmt;

/// A 16-byte trace id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SpanId(pub [u8; 8]);

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

/// Why an id could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Neither hex nor base64 of the expected byte length.
    WrongLength(usize),
    /// The right length for hex or base64 but with characters of neither alphabet.
    BadCharacters,
    /// Decodes, but all bytes are zero.
    AllZeros,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::WrongLength(n) => {
                write!(f, "has {n} characters, which is neither hex nor base64 of the expected size")
            }
            IdError::BadCharacters => f.write_str("is not valid hex or base64"),
            IdError::AllZeros => f.write_str("is all zeros"),
        }
    }
}

/// Decodes an id of `N` bytes from lowercase or uppercase hex (`2N` chars) or from
/// standard or URL-safe base64, padded or not (what protobuf's JSON mapping writes).
pub fn decode_id<const N: usize>(text: &str) -> Result<[u8; N], IdError> {
    let b = text.as_bytes();
    let mut out = [0u8; N];
    if b.len() == 2 * N {
        for (i, pair) in b.chunks_exact(2).enumerate() {
            match (hex_val(pair[0]), hex_val(pair[1])) {
                (Some(h), Some(l)) => out[i] = (h << 4) | l,
                _ => return decode_base64(b).ok_or(IdError::BadCharacters),
            }
        }
    } else {
        out = decode_base64(b).ok_or_else(|| {
            if b.len() == base64_len(N) || b.len() == base64_len_padded(N) {
                IdError::BadCharacters
            } else {
                IdError::WrongLength(b.len())
            }
        })?;
    }
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

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn b64_val(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a') as u32 + 26),
        b'0'..=b'9' => Some((c - b'0') as u32 + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

fn decode_base64<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let trimmed = match text {
        [rest @ .., b'=', b'='] | [rest @ .., b'='] => rest,
        _ => text,
    };
    if trimmed.len() != base64_len(N) || (text.len() != trimmed.len() && text.len() != base64_len_padded(N)) {
        return None;
    }
    let mut out = [0u8; N];
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut pos = 0;
    for &c in trimmed {
        acc = (acc << 6) | b64_val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if pos == N {
                return None;
            }
            out[pos] = (acc >> bits) as u8;
            acc &= (1 << bits) - 1;
            pos += 1;
        }
    }
    // Leftover bits must be zero for a canonical encoding; tolerate them anyway.
    (pos == N).then_some(out)
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
    fn rejects_bad_ids() {
        assert_eq!(decode_id::<8>("abc"), Err(IdError::WrongLength(3)));
        assert_eq!(decode_id::<8>("0000000000000000"), Err(IdError::AllZeros));
        assert_eq!(decode_id::<8>("zzzzzzzzzzzzzzzz"), Err(IdError::BadCharacters));
        assert_eq!(decode_id::<16>("!!!!!!!!!!!!!!!!!!!!!!!!"), Err(IdError::BadCharacters));
    }
}
