//! Base64 as the protobuf JSON mapping writes `bytes` (standard alphabet, padded), read in
//! either alphabet (standard or URL-safe), padded or not.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends `bytes` in standard base64 with padding.
pub fn push(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &x)| acc | (u32::from(x) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// `bytes` in standard base64 with padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::new();
    push(&mut s, bytes);
    s
}

/// The value of a base64 digit of either alphabet.
fn digit(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes base64 of either alphabet, with or without padding; `None` for a character
/// outside the alphabets or a length no encoding has (one digit past a group of four).
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let digits = strip_padding(text);
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    decode_digits(digits, |b| {
        out.push(b);
        true
    })?;
    Some(out)
}

/// Decodes exactly `N` bytes: `ceil(4N/3)` digits unpadded, or `4 × ceil(N/3)` with
/// padding; `None` for any other length or character. Nothing is allocated (ids are
/// decoded with it, span after span).
pub fn decode_exact<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let digits = strip_padding(text);
    let padded = text.len() != digits.len();
    if digits.len() != (N * 4).div_ceil(3) || (padded && text.len() != N.div_ceil(3) * 4) {
        return None;
    }
    let mut out = [0u8; N];
    let mut n = 0;
    decode_digits(digits, |b| {
        let slot = out.get_mut(n);
        n += 1;
        slot.map(|s| *s = b).is_some()
    })?;
    (n == N).then_some(out)
}

/// Feeds the bytes of unpadded `digits` to `push`, which returns false to stop; `None` for
/// an impossible length, a character outside the alphabets, or a refused byte. Leftover
/// bits should be zero in a canonical encoding; they are tolerated.
fn decode_digits(digits: &[u8], mut push: impl FnMut(u8) -> bool) -> Option<()> {
    if digits.len() % 4 == 1 {
        return None;
    }
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in digits {
        acc = (acc << 6) | digit(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if !push((acc >> bits) as u8) {
                return None;
            }
            acc &= (1 << bits) - 1;
        }
    }
    Some(())
}

fn strip_padding(text: &[u8]) -> &[u8] {
    match text {
        [rest @ .., b'=', b'='] | [rest @ .., b'='] => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_encoding_with_padding() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"h"), "aA==");
        assert_eq!(encode(b"hi"), "aGk=");
        assert_eq!(encode(b"hi!?"), "aGkhPw==");
        assert_eq!(encode(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn decodes_both_alphabets_padded_or_not() {
        assert_eq!(decode(b"aGkhPw==").as_deref(), Some(&b"hi!?"[..]));
        assert_eq!(decode(b"aGkhPw").as_deref(), Some(&b"hi!?"[..]));
        assert_eq!(decode(b"aGk_").as_deref(), Some(&[0x68, 0x69, 0x3f][..]));
        assert_eq!(decode(b"-_8=").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(decode(b"a*"), None);
        assert_eq!(decode(b"aGkhP"), None);
    }

    #[test]
    fn exact_lengths() {
        let id = [0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6];
        let text = encode(&id);
        assert_eq!(text, "S/kvNXezTaY=");
        assert_eq!(decode_exact::<8>(text.as_bytes()), Some(id));
        assert_eq!(decode_exact::<8>(b"S/kvNXezTaY"), Some(id));
        assert_eq!(decode_exact::<8>(b"S_kvNXezTaY"), Some(id));
        assert_eq!(decode_exact::<8>(b"S/kvNXezTa=="), None);
        assert_eq!(decode_exact::<16>(text.as_bytes()), None);
    }

    #[test]
    fn round_trip_every_length() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37).wrapping_add(n)).collect();
            assert_eq!(decode(encode(&bytes).as_bytes()), Some(bytes));
        }
    }
}
