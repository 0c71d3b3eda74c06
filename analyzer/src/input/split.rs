//! Splitting raw bytes into records: one per line for JSON lines, one per top-level value
//! for (possibly pretty-printed, possibly concatenated) JSON documents.

/// How the records of a JSON input are laid out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    /// One JSON value per line (the Collector file exporter's default).
    Lines,
    /// One or more JSON values spanning any number of lines.
    Documents,
}

/// Where a JSON value that starts at some offset ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scan {
    /// The value closes at this offset (exclusive).
    Complete(usize),
    /// The input ended inside the value.
    Eof,
}

/// Finds the end of the object or array starting at `bytes[start]`, honouring strings and
/// escapes. Does not validate anything else: the parser does that.
pub fn scan_value(bytes: &[u8], start: usize) -> Scan {
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
                        None => return Scan::Eof,
                        Some(p) if bytes[i + p] == b'\\' => i += p + 2,
                        Some(p) => {
                            i += p;
                            break;
                        }
                    }
                    if i >= bytes.len() {
                        return Scan::Eof;
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Scan::Complete(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Scan::Eof
}

/// Skips ASCII whitespace (and a UTF-8 byte order mark at offset 0).
pub fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    if i == 0 && bytes.starts_with(b"\xEF\xBB\xBF") {
        i = 3;
    }
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Decides between [`Layout::Lines`] and [`Layout::Documents`]: JSON lines when the first
/// value closes on the line it started on, with nothing but whitespace after it.
pub fn detect_layout(bytes: &[u8]) -> Layout {
    let start = skip_ws(bytes, 0);
    // A first line longer than a scan block is a JSON-lines record (a pretty-printed
    // document starts with a short line): decided without reading a multi-GB line whole.
    let window = &bytes[start..bytes.len().min(start + SCAN_BLOCK)];
    let line_end = match memchr::memchr(b'\n', window) {
        Some(p) => start + p,
        None if start + window.len() < bytes.len() => return Layout::Lines,
        None => bytes.len(),
    };
    match scan_value(&bytes[..line_end], start) {
        Scan::Complete(end) if skip_ws(&bytes[..line_end], end) == line_end => Layout::Lines,
        // A file that is one unterminated line is still a JSON-lines file, cut off.
        Scan::Eof if line_end == bytes.len() => Layout::Lines,
        _ => Layout::Documents,
    }
}

/// One record of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Offset of the first byte.
    pub offset: usize,
    /// Offset after the last byte.
    pub end: usize,
    /// 1-based line of the first byte, relative to the slice that was split.
    pub line: u64,
    /// The input ended before the value closed.
    pub truncated: bool,
}

/// A chunk of JSON lines: `bytes[start..end]`. A `long` chunk is a single line longer than
/// the record limit, to be reported without being read again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
    pub long: bool,
}

/// Bytes scanned at a time while looking for the end of a line.
const SCAN_BLOCK: usize = 64 << 20;

/// Splits `bytes` into chunks of about `target` bytes, each ending just after a newline
/// (the last one at the end of input), so JSON lines can be parsed chunk by chunk. A line
/// longer than `max_line` that crosses a chunk boundary becomes a chunk of its own. While
/// the end of a line is searched, each block scanned is given to `release`, so finding the
/// end of a multi-GB line costs a block of memory, not its size.
///
/// Chunks come one at a time: finding a chunk's end reads the input around it, and a
/// kernel that maps a file in large folios maps several megabytes per page touched, so
/// chunks are found as they are decoded, not all before (which mapped most of a warm
/// 480 MB dump at once).
#[allow(missing_debug_implementations)]
pub struct LineChunks<'a> {
    bytes: &'a [u8],
    target: usize,
    max_line: usize,
    release: &'a dyn Fn(usize, usize),
    /// Where the next chunk starts.
    start: usize,
    /// A long line's chunk, due after the chunk before it.
    next: Option<Chunk>,
}

impl<'a> LineChunks<'a> {
    /// The chunks of `bytes` (see [`LineChunks`]).
    pub fn new(bytes: &'a [u8], target: usize, max_line: usize, release: &'a dyn Fn(usize, usize)) -> LineChunks<'a> {
        LineChunks { bytes, target, max_line, release, start: 0, next: None }
    }
}

impl Iterator for LineChunks<'_> {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        if let Some(c) = self.next.take() {
            return Some(c);
        }
        let (bytes, start, len) = (self.bytes, self.start, self.bytes.len());
        if start >= len {
            return None;
        }
        let want = (start + self.target.max(1)).min(len);
        if want == len {
            self.start = len;
            return Some(Chunk { start, end: len, long: false });
        }
        let line_start = memchr::memrchr(b'\n', &bytes[start..want]).map_or(start, |p| start + p + 1);
        let mut pos = want;
        let end = loop {
            let block_end = (pos + SCAN_BLOCK).min(len);
            if let Some(p) = memchr::memchr(b'\n', &bytes[pos..block_end]) {
                break pos + p + 1;
            }
            if block_end == len {
                break len;
            }
            // Only a line longer than a block gets here; if it turns out short enough to
            // be parsed, its pages are read again from the page cache.
            (self.release)(pos, block_end);
            pos = block_end;
        };
        self.start = end;
        let line_len = if bytes[end - 1] == b'\n' { end - 1 - line_start } else { end - line_start };
        if line_len <= self.max_line {
            return Some(Chunk { start, end, long: false });
        }
        let long = Chunk { start: line_start, end, long: true };
        if line_start > start {
            self.next = Some(long);
            return Some(Chunk { start, end: line_start, long: false });
        }
        Some(long)
    }
}

/// Calls `f` for every non-blank line of `chunk` with its 0-based line index in the chunk,
/// offset and end (without the newline), and whether the line had a terminating newline.
pub fn for_each_line(chunk: &[u8], mut f: impl FnMut(u64, usize, usize, bool)) -> u64 {
    let mut line = 0u64;
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', chunk) {
        if !is_blank(&chunk[start..nl]) {
            f(line, start, nl, true);
        }
        line += 1;
        start = nl + 1;
    }
    if start < chunk.len() && !is_blank(&chunk[start..]) {
        f(line, start, chunk.len(), false);
    }
    line
}

fn is_blank(b: &[u8]) -> bool {
    b.iter().all(|c| c.is_ascii_whitespace())
}

/// Splits a documents-layout input into top-level values. Bytes between values that are
/// not whitespace become a record of their own (reported as malformed by the parser),
/// running up to the next line that starts a value.
pub fn documents(bytes: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1u64;
    let mut counted_to = 0;
    loop {
        i = skip_ws(bytes, i);
        if i >= bytes.len() {
            break;
        }
        line += memchr::memchr_iter(b'\n', &bytes[counted_to..i]).count() as u64;
        counted_to = i;
        if matches!(bytes[i], b'{' | b'[') {
            match scan_value(bytes, i) {
                Scan::Complete(end) => {
                    out.push(Record { offset: i, end, line, truncated: false });
                    i = end;
                }
                Scan::Eof => {
                    out.push(Record { offset: i, end: bytes.len(), line, truncated: true });
                    break;
                }
            }
        } else {
            let end = next_value_line(bytes, i);
            out.push(Record { offset: i, end, line, truncated: false });
            i = end;
        }
    }
    out
}

fn next_value_line(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(p) = memchr::memchr(b'\n', &bytes[i..]) {
        i += p + 1;
        if matches!(bytes.get(i), Some(b'{' | b'[')) {
            return i;
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_chunks(bytes: &[u8], target: usize, max_line: usize, release: &dyn Fn(usize, usize)) -> Vec<Chunk> {
        LineChunks::new(bytes, target, max_line, release).collect()
    }

    #[test]
    fn scans_strings_with_braces_and_escapes() {
        let s = br#"{"a":"}\"{","b":[1,{"c":2}]} tail"#;
        assert_eq!(scan_value(s, 0), Scan::Complete(s.len() - 5));
        assert_eq!(scan_value(br#"{"a":"\"#, 0), Scan::Eof);
        assert_eq!(scan_value(br#"{"a":[1,2"#, 0), Scan::Eof);
    }

    #[test]
    fn detects_layouts() {
        assert_eq!(detect_layout(b"{\"a\":1}\n{\"b\":2}\n"), Layout::Lines);
        assert_eq!(detect_layout(b"{\n\t\"a\": 1\n}\n"), Layout::Documents);
        assert_eq!(detect_layout(b"{\"a\":1}{\"b\":2}"), Layout::Documents);
        assert_eq!(detect_layout(b"{\"a\":[1,"), Layout::Lines);
    }

    #[test]
    fn splits_concatenated_and_pretty_documents() {
        let s = b"{\n \"a\": 1\n}\n{\"b\":\n2}garbage\n{\"c\":3}\n{\"d\":";
        let recs = documents(s);
        let lines: Vec<u64> = recs.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 4, 5, 6, 7]);
        assert_eq!(&s[recs[2].offset..recs[2].end], b"garbage\n");
        assert!(recs[4].truncated);
        assert!(!recs[3].truncated);
    }

    #[test]
    fn chunks_end_on_newlines() {
        let s = b"aaaa\nbbbb\ncccc\ndd";
        let pairs = |c: Vec<Chunk>| c.iter().map(|c| (c.start, c.end, c.long)).collect::<Vec<_>>();
        assert_eq!(pairs(line_chunks(s, 6, 100, &|_, _| {})), vec![(0, 10, false), (10, 17, false)]);
        // A line over the limit crossing a boundary is a chunk of its own.
        let s = b"ab\nccccccccccc\nd\n";
        assert_eq!(pairs(line_chunks(s, 4, 5, &|_, _| {})), vec![(0, 3, false), (3, 15, true), (15, 17, false)]);
    }

    #[test]
    fn chunks_are_found_one_at_a_time() {
        // A short line, then a line longer than a scan block: the block is scanned (and
        // given back) only when the chunk after the first is asked for.
        let mut s = b"{}\n{".to_vec();
        s.resize(SCAN_BLOCK + 100, b'x');
        s.extend_from_slice(b"}\n");
        let released = std::cell::RefCell::new(Vec::new());
        let release = |a, b| released.borrow_mut().push((a, b));
        let mut chunks = LineChunks::new(&s, 1, 1 << 30, &release);
        assert_eq!(chunks.next(), Some(Chunk { start: 0, end: 3, long: false }));
        assert!(released.borrow().is_empty());
        assert_eq!(chunks.next(), Some(Chunk { start: 3, end: s.len(), long: false }));
        assert_eq!(*released.borrow(), vec![(4, 4 + SCAN_BLOCK)]);
        assert_eq!(chunks.next(), None);
    }

    #[test]
    fn a_line_longer_than_a_scan_block_is_found_without_keeping_its_pages() {
        let mut s = vec![b'{'];
        s.resize(SCAN_BLOCK * 2 + 10, b'x');
        s.extend_from_slice(b"}\n{}\n");
        assert_eq!(detect_layout(&s), Layout::Lines);
        let released = std::cell::RefCell::new(Vec::new());
        let chunks = line_chunks(&s, 1 << 20, 1 << 30, &|a, b| released.borrow_mut().push((a, b)));
        let long = SCAN_BLOCK * 2 + 12;
        assert_eq!(
            chunks,
            vec![Chunk { start: 0, end: long, long: false }, Chunk { start: long, end: s.len(), long: false }]
        );
        // The blocks scanned past the first chunk's target were given back as the scan went;
        let released = released.into_inner();
        // The newline is in the second block after the target.
        assert_eq!(released, vec![(1 << 20, (1 << 20) + SCAN_BLOCK)]);
        let mut seen = Vec::new();
        let n = for_each_line(b"x\n\n  \ny\nz", |l, s, e, nl| seen.push((l, s, e, nl)));
        assert_eq!(n, 4);
        assert_eq!(seen, vec![(0, 0, 1, true), (3, 6, 7, true), (4, 8, 9, false)]);
    }
}
