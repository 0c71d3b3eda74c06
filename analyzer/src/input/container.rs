//! Containers around the records: gzip, zstd (a plain multi-frame stream, or the file
//! exporter's per-record compression) and the length-prefixed framing of the proto format,
//! all detected from magic bytes.

/// The zstd frame magic number, little-endian on the wire.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];

pub use crate::model::source::Compression;

/// Detects compression from the first bytes: magic at offset 0, or zstd magic at offset 4
/// behind a length prefix.
pub fn detect_compression(bytes: &[u8]) -> Compression {
    if bytes.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if bytes.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else if bytes.len() >= 8 && bytes[4..8] == ZSTD_MAGIC {
        Compression::ZstdRecords
    } else {
        Compression::None
    }
}

/// A decompressed stream, and how it ended if not cleanly.
#[derive(Debug)]
pub struct Inflated {
    pub bytes: Vec<u8>,
    /// The error that stopped decompression, if any; `bytes` holds what came before it.
    pub error: Option<std::io::Error>,
}

/// Decompresses a whole gzip (all members) or zstd (all frames) stream, keeping what was
/// decompressed before an error.
pub fn inflate(bytes: &[u8], how: Compression) -> Inflated {
    // A guess at the ratio, capped: the vector grows as needed, but a large reservation up
    // front for a large compressed file would claim memory before a byte is read.
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(256 << 20));
    // Writing to a vector cannot fail.
    let error = inflate_to(bytes, how, &mut out).unwrap_or_else(Some);
    Inflated { bytes: out, error }
}

/// Decompresses as [`inflate`] does, into `out` (streaming mode writes to a file, so a large
/// compressed input is never whole in memory). Returns the error that stopped decompression,
/// if any (what came before it has been written); `Err` only when writing fails.
pub fn inflate_to(
    bytes: &[u8],
    how: Compression,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Option<std::io::Error>> {
    match how {
        Compression::Gzip => pump(&mut flate2::read::MultiGzDecoder::new(bytes), out),
        Compression::Zstd => inflate_zstd(bytes, out),
        Compression::None | Compression::ZstdRecords => out.write_all(bytes).map(|()| None),
    }
}

/// Copies `from` to `out`. Returns the error that stopped reading, if any; `Err` only when
/// writing fails.
pub fn pump(from: &mut dyn std::io::Read, out: &mut dyn std::io::Write) -> std::io::Result<Option<std::io::Error>> {
    let mut buf = vec![0u8; 1 << 17];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return Ok(None),
            Ok(n) => out.write_all(&buf[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Ok(Some(e)),
        }
    }
}

/// Decompresses every zstd frame of `bytes` with the raw streaming decoder, so that all
/// output produced before a cut or corrupt block is kept.
fn inflate_zstd(bytes: &[u8], out: &mut dyn std::io::Write) -> std::io::Result<Option<std::io::Error>> {
    use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};
    let mut dec = match Decoder::new() {
        Ok(d) => d,
        Err(e) => return Ok(Some(e)),
    };
    let mut input = InBuffer::around(bytes);
    let mut buf = vec![0u8; 1 << 17];
    loop {
        let mut output = OutBuffer::around(&mut buf[..]);
        let step = dec.run(&mut input, &mut output);
        let n = output.pos();
        out.write_all(&buf[..n])?;
        let remaining_hint = match step {
            Ok(hint) => hint,
            Err(e) => return Ok(Some(e)),
        };
        if input.pos() >= bytes.len() && n < buf.len() {
            if remaining_hint != 0 {
                return Ok(Some(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "incomplete zstd frame")));
            }
            return Ok(None);
        }
    }
}

/// One length-prefixed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// 1-based record number.
    pub index: u64,
    /// Offset of the length prefix.
    pub offset: usize,
    /// The payload range.
    pub start: usize,
    pub end: usize,
}

/// A length prefix that claims more bytes than the input has left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutFrame {
    pub index: u64,
    pub offset: usize,
    pub claimed: u64,
    pub available: usize,
}

/// Splits `[u32 big-endian length][payload]…` into frames.
pub fn frames(bytes: &[u8]) -> (Vec<Frame>, Option<CutFrame>) {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let index = out.len() as u64 + 1;
        let Some(prefix) = bytes.get(pos..pos + 4) else {
            return (out, Some(CutFrame { index, offset: pos, claimed: 4, available: bytes.len() - pos }));
        };
        let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        let start = pos + 4;
        if len > bytes.len() - start {
            return (out, Some(CutFrame { index, offset: pos, claimed: len as u64, available: bytes.len() - start }));
        }
        out.push(Frame { index, offset: pos, start, end: start + len });
        pos = start + len;
    }
    (out, None)
}

/// Whether `bytes` look like length-prefixed OTLP protobuf: the first frame fits and its
/// payload starts with field 1 (`resource_spans`, length-delimited) or is empty.
/// Whether `bytes` are one bare protobuf `TracesData` or `ExportTraceServiceRequest` (the body
/// of an OTLP/HTTP request): nothing but field 1 (`resource_spans`, length-delimited) from
/// the first byte to the last, each holding what a `ResourceSpans` starts with (its field
/// 1, 2 or 3). JSON text cannot pass: its first byte is not 0x0A, or (after a newline) the
/// field's first byte is a quote or a brace, not a field tag.
pub fn looks_like_bare_message(bytes: &[u8]) -> bool {
    let mut k = 0;
    while k < bytes.len() {
        if bytes[k] != 0x0A {
            return false;
        }
        k += 1;
        let mut len: u64 = 0;
        let mut shift = 0;
        loop {
            let Some(&b) = bytes.get(k) else { return false };
            k += 1;
            len |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return false;
            }
        }
        let Some(end) = usize::try_from(len).ok().and_then(|l| k.checked_add(l)).filter(|&e| e <= bytes.len()) else {
            return false;
        };
        if end > k && !matches!(bytes[k], 0x0A | 0x12 | 0x1A) {
            return false;
        }
        k = end;
    }
    !bytes.is_empty()
}

pub fn looks_like_proto_frames(bytes: &[u8]) -> bool {
    if bytes.len() < 4 {
        return false;
    }
    let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    len <= bytes.len() - 4 && (len == 0 || bytes[4] == 0x0A)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_cut_frames() {
        let mut b = Vec::new();
        for payload in [&b"\x0aab"[..], b"", b"\x0ac"] {
            b.extend_from_slice(&(payload.len() as u32).to_be_bytes());
            b.extend_from_slice(payload);
        }
        let (f, cut) = frames(&b);
        assert_eq!(f.len(), 3);
        assert_eq!((f[2].index, f[2].start, f[2].end), (3, 15, 17));
        assert!(cut.is_none());
        b.extend_from_slice(&100u32.to_be_bytes());
        b.extend_from_slice(b"\x0a");
        let (f, cut) = frames(&b);
        assert_eq!(f.len(), 3);
        assert_eq!(cut, Some(CutFrame { index: 4, offset: 17, claimed: 100, available: 1 }));
        assert!(looks_like_proto_frames(&b));
        assert!(!looks_like_proto_frames(b"{\"resourceSpans\":[]}"));
        // One bare message: two resource_spans fields, the second empty.
        assert!(looks_like_bare_message(b"\x0a\x02\x0a\x00\x0a\x00"));
        assert!(!looks_like_bare_message(b"\x0a\x03\x0a\x00"), "runs past the end");
        assert!(!looks_like_bare_message(b"\n{\"resourceSpans\":[]}"), "JSON after a newline");
        assert!(!looks_like_bare_message(&b), "length-prefixed frames");
    }

    #[test]
    fn detects_compression_by_magic() {
        assert_eq!(detect_compression(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(detect_compression(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(detect_compression(&[0, 0, 0, 9, 0x28, 0xb5, 0x2f, 0xfd]), Compression::ZstdRecords);
        assert_eq!(detect_compression(b"{\"a\":1}"), Compression::None);
    }

    #[test]
    fn inflate_keeps_what_came_before_an_error() {
        let text = b"{\"resourceSpans\":[]}\n".repeat(1000);
        let z = zstd::stream::encode_all(&text[..], 3).expect("compress");
        let full = inflate(&z, Compression::Zstd);
        assert_eq!(full.bytes, text);
        assert!(full.error.is_none());
        let cut = inflate(&z[..z.len() / 2], Compression::Zstd);
        assert!(cut.error.is_some());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &text).expect("gzip");
        let gz = gz.finish().expect("gzip");
        assert_eq!(inflate(&gz, Compression::Gzip).bytes, text);
        assert!(inflate(&gz[..gz.len() - 10], Compression::Gzip).error.is_some());
    }
}
