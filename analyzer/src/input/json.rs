//! JSON records: lines and documents parsed on the simd-json tape, one parser per thread.

use super::*;

thread_local! {
    /// Parse buffers, kept per worker thread so large buffers are allocated once.
    static PARSER: std::cell::RefCell<Parser> = std::cell::RefCell::new(Parser::default());
}

pub(super) fn with_parser<R>(f: impl FnOnce(&mut Parser) -> R) -> R {
    PARSER.with(|p| match p.try_borrow_mut() {
        Ok(mut p) => f(&mut p),
        // Re-entered on this thread (rayon work stealing inside a task): use a fresh one.
        Err(_) => f(&mut Parser::default()),
    })
}

/// The batch of a line longer than `max` found while chunking: reported as too large, as
/// [`Parser::record`] would, without reading it again.
pub(super) fn long_line(file: u32, content: &[u8], s: usize, e: usize, max: usize) -> Batch {
    let has_newline = content[e - 1] == b'\n';
    let mut b = Batch::fresh();
    b.newlines = u64::from(has_newline);
    let loc = SourceLoc { file, line: 1, offset: s as u64 };
    let len = e - s - usize::from(has_newline);
    b.accounting.records_read += 1;
    b.accounting.skip(IssueKind::TooLarge);
    b.issue(IssueKind::TooLarge, loc, too_large(len, max), None, None);
    b
}

pub(super) fn too_large(len: usize, max: usize) -> String {
    format!("record of {len} bytes is larger than the limit of {max} bytes (--max-record-size); skipped unparsed")
}

pub(super) fn decode_lines(file: u32, chunk: &[u8], chunk_offset: usize, at_eof: bool, max: usize) -> Batch {
    let mut batch = Batch::fresh();
    let newlines = with_parser(|parser| decode_lines_with(parser, &mut batch, file, chunk, chunk_offset, at_eof, max));
    batch.newlines = newlines;
    batch
}

pub(super) fn decode_lines_with(
    parser: &mut Parser,
    batch: &mut Batch,
    file: u32,
    chunk: &[u8],
    chunk_offset: usize,
    at_eof: bool,
    max: usize,
) -> u64 {
    split::for_each_line(chunk, |line, s, e, has_newline| {
        let loc = SourceLoc { file, line: line + 1, offset: (chunk_offset + s) as u64 };
        let rec = &chunk[s..e];
        let truncated =
            at_eof && !has_newline && matches!(split::scan_value(rec, split::skip_ws(rec, 0)), split::Scan::Eof);
        parser.record(batch, rec, loc, truncated, false, max);
    })
}

/// Reusable parse buffers for one task.
#[derive(Default)]
pub(super) struct Parser {
    pub(super) buf: Vec<u8>,
    pub(super) buffers: Option<simd_json::Buffers>,
    pub(super) tape: Option<simd_json::Tape<'static>>,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser").field("buf_capacity", &self.buf.capacity()).finish()
    }
}

impl Parser {
    /// Parses and decodes one record, accounting for it whatever happens.
    pub(super) fn record(
        &mut self,
        batch: &mut Batch,
        rec: &[u8],
        loc: SourceLoc,
        truncated: bool,
        multiline: bool,
        max: usize,
    ) {
        batch.accounting.records_read += 1;
        let issue = |batch: &mut Batch, kind, message| {
            batch.accounting.skip(kind);
            batch.issues.push(InputIssue { kind, loc, message, trace_id: None, span_id: None });
        };
        if rec.len() > max {
            return issue(batch, IssueKind::TooLarge, too_large(rec.len(), max));
        }
        if truncated {
            let msg = format!("record cut off: the input ends after {} bytes of an unclosed JSON value", rec.len());
            return issue(batch, IssueKind::Truncated, msg);
        }
        // A UTF-8 byte-order mark (editors on Windows write one) is not part of the value.
        let rec = rec.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(rec);
        self.buf.clear();
        self.buf.extend_from_slice(rec);
        let len = rec.len();
        self.buf.resize(len + simd_json::INPUT_PADDING, 0);
        let buf_base = self.buf.as_ptr() as usize;
        let buffers = self.buffers.get_or_insert_with(|| simd_json::Buffers::new(len));
        let mut tape = self.tape.take().unwrap_or_else(simd_json::Tape::null).reset();
        match simd_json::fill_tape_padded(&mut self.buf, len, buffers, &mut tape) {
            Err(e) => issue(batch, IssueKind::Malformed, invalid_json(rec, &e)),
            Ok(()) => {
                let class = RecordDecoder::new(batch, &tape.0, buf_base, rec, loc, multiline).decode();
                match class {
                    RecordClass::Traces(d) => {
                        batch.accounting.records_decoded += 1;
                        *batch.accounting.decoded_by_dialect.entry(d).or_default() += 1;
                    }
                    RecordClass::Other(sig) => {
                        batch.accounting.records_other_signal += 1;
                        *batch.accounting.other_signals.entry(sig).or_default() += 1;
                        // The Collector's own counters, when it exports them beside the spans:
                        // read again as a value (metric records are few and small).
                        if sig == Signal::Metrics
                            && memchr::memmem::find(rec, b"otelcol").is_some()
                            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(rec)
                        {
                            batch.accounting.telemetry.add_otlp_json(&v, "the dump");
                        }
                    }
                    RecordClass::NotTraces(why) => issue(batch, IssueKind::NotTraces, why),
                }
            }
        }
        self.tape = Some(tape.reset());
    }
}

/// What is wrong with a record simd-json refused, in words and with its place: serde_json
/// re-reads it (only records that failed pay for this) and says what it expected where.
pub(super) fn invalid_json(rec: &[u8], e: &simd_json::Error) -> String {
    let (what, line, col) = match serde_json::from_slice::<serde::de::IgnoredAny>(rec) {
        Err(s) => {
            let text = s.to_string();
            let what = text.rsplit_once(" at line ").map_or(text.as_str(), |(w, _)| w).to_string();
            // serde_json counts lines from 1 and columns from 1 (0 at the start of a line).
            (what, s.line().saturating_sub(1), s.column().max(1))
        }
        Ok(_) => {
            let (line, col) = line_col(rec, e.index());
            let what = match e.error() {
                simd_json::ErrorType::DepthLimitExceeded => "values nested more than 1024 levels deep".to_string(),
                simd_json::ErrorType::InputTooLarge => "the record is too large to parse".to_string(),
                _ => "not valid JSON".to_string(),
            };
            (what, line, col)
        }
    };
    if line == 0 {
        format!("invalid JSON at column {col}: {what}")
    } else {
        format!("invalid JSON at line +{line}, column {col} of the record: {what}")
    }
}

pub(super) fn line_col(rec: &[u8], index: usize) -> (usize, usize) {
    let upto = &rec[..index.min(rec.len())];
    let line = memchr::memchr_iter(b'\n', upto).count();
    let col = upto.len() - memchr::memrchr(b'\n', upto).map_or(0, |p| p + 1) + 1;
    (line, col)
}
