//! Unsigned LEB128 varints, as protobuf writes integers, tags and lengths.

/// Why a varint could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VarintError {
    #[error("varint runs past the end")]
    PastEnd,
    #[error("varint longer than 10 bytes")]
    TooLong,
}

/// Appends `v`.
#[inline]
pub fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at `*pos` of `buf` and moves `*pos` past it.
#[inline]
pub fn read(buf: &[u8], pos: &mut usize) -> Result<u64, VarintError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(&b) = buf.get(*pos) else { return Err(VarintError::PastEnd) };
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(VarintError::TooLong)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut b = Vec::new();
            put(&mut b, v);
            let mut pos = 0;
            assert_eq!(read(&b, &mut pos), Ok(v));
            assert_eq!(pos, b.len());
        }
        let mut b = Vec::new();
        put(&mut b, 300);
        assert_eq!(b, [0xac, 0x02]);
        assert_eq!(read(&b[..1], &mut 0), Err(VarintError::PastEnd));
        assert_eq!(read(&[0xff; 11], &mut 0), Err(VarintError::TooLong));
    }
}
