//! Lower-case hex, as OTLP JSON writes trace and span ids, and a decoder of either case.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The flag [`VALUE`] gives a byte that is not a hex digit.
pub const NOT_HEX: u8 = 0x80;

/// The value of each hex digit (either case), [`NOT_HEX`] for any other byte.
pub static VALUE: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut c = 0;
    while c < 10 {
        t[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        t[b'a' as usize + c] = 10 + c as u8;
        t[b'A' as usize + c] = 10 + c as u8;
        c += 1;
    }
    t
};

/// Appends `bytes` as lower-case hex.
#[inline]
pub fn push(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
}

/// `bytes` as lower-case hex.
#[inline]
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push(&mut s, bytes);
    s
}

/// Decodes exactly `2 × N` hex digits of either case; `None` for any other length or a
/// byte that is not a hex digit.
pub fn decode<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let (hi, lo) = (VALUE[pair[0] as usize], VALUE[pair[1] as usize]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 15);
    }
    (bad & NOT_HEX == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_either_case() {
        let id = [0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6];
        assert_eq!(encode(&id), "4bf92f3577b34da6");
        assert_eq!(decode::<8>(b"4bf92f3577b34da6"), Some(id));
        assert_eq!(decode::<8>(b"4BF92F3577B34DA6"), Some(id));
        assert_eq!(decode::<8>(b"4bf92f3577b34da"), None);
        assert_eq!(decode::<8>(b"4bf92f3577b34dag"), None);
        assert_eq!(decode::<2>(b"0x12"), None);
    }

    #[test]
    fn every_pair_of_bytes_decodes_only_when_both_are_hex_digits() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let ok = a.is_ascii_hexdigit() && b.is_ascii_hexdigit();
                assert_eq!(decode::<1>(&[a, b]).is_some(), ok, "{a:#x} {b:#x}");
            }
        }
    }
}
