//! Reading inputs: files, directories and stdin, format detection from the bytes, record
//! splitting, parallel decoding, and merging into one [`Dump`].

pub mod accounting;
pub mod batch;
pub mod container;
pub mod jaeger_json;
pub mod otlp_json;
pub mod otlp_proto;
pub mod record;
pub mod source;
pub mod split;
pub mod tape;
pub mod zipkin_json;

pub use accounting::{Accounting, Dialect, InputIssue, IssueKind, Signal};
pub use container::Compression;

use crate::model::{Dump, InputFile, SourceLoc};
use batch::Batch;
use rayon::prelude::*;
use record::{RecordClass, RecordDecoder};
use split::Layout;
use std::path::{Path, PathBuf};

/// The format of one input file, as detected from its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// JSON, one record per line (the Collector file exporter's default).
    JsonLines,
    /// JSON documents, pretty-printed or concatenated.
    JsonDocuments,
    /// Length-prefixed records (`[u32 big-endian length][record]`): the file exporter's
    /// proto format, or its per-record zstd compression of JSON or proto.
    Records,
    /// Nothing but whitespace.
    Empty,
    /// Not a format this tool reads.
    Unknown,
}

/// An input that could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadError {
    pub path: String,
    pub message: String,
}

/// What loading produced: the dump, its accounting and the problems met.
#[derive(Debug, Default)]
pub struct Loaded {
    pub dump: Dump,
    pub accounting: Accounting,
    pub issues: Vec<InputIssue>,
    pub errors: Vec<LoadError>,
}

/// Input options.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Bytes per parallel task for JSON lines.
    pub chunk_bytes: usize,
    /// Counters to follow a long load (`None`: nobody watches).
    pub progress: Option<std::sync::Arc<Progress>>,
    /// JSON records longer than this are reported (I007) and skipped unparsed, so one huge
    /// record cannot take several times its size in memory.
    pub max_record_bytes: usize,
}

/// The default limit on one JSON record: 1 GiB.
pub const MAX_RECORD_BYTES: usize = 1 << 30;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { chunk_bytes: 2 << 20, progress: None, max_record_bytes: MAX_RECORD_BYTES }
    }
}

/// How far a load has got: input bytes decoded and spans merged so far, and whether every
/// input has been read.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: std::sync::atomic::AtomicU64,
    pub spans: std::sync::atomic::AtomicU64,
    pub loaded: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn add_bytes(&self, n: usize) {
        self.bytes.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// Every input has been read; what follows is analysis.
    pub fn finish_loading(&self) {
        self.loaded.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// Loads every input (files; directories, whose files are read in name order, hidden files
/// skipped; patterns such as `dir/data-*.json` not expanded by a shell; `-` for stdin) as one
/// dump.
pub fn load(inputs: &[PathBuf], opts: &LoadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    load_into(inputs, opts, &mut Sink::in_memory(&mut loaded));
    loaded
}

/// Where decoded records go: merged into `loaded.dump`, then handed to `drain` when there
/// is one, which may move the spans elsewhere (streaming mode writes them to partitions).
#[allow(missing_debug_implementations)]
pub struct Sink<'a> {
    pub loaded: &'a mut Loaded,
    /// Called after each batch is merged, with the spans merged so far still in the dump.
    /// Without it the dump keeps every span, and the first window of a file reserves its
    /// arenas for the whole file.
    pub drain: Option<&'a mut (dyn FnMut(&mut Dump) + Send)>,
    /// How many chunks are decoded at once before they are merged and drained.
    pub window: usize,
}

impl<'a> Sink<'a> {
    /// Everything stays in `loaded.dump`.
    pub fn in_memory(loaded: &'a mut Loaded) -> Sink<'a> {
        Sink { loaded, drain: None, window: in_memory_window() }
    }
}

/// Chunks decoded at once in memory: enough to keep every thread busy, few enough that the
/// decoded batches' memory is reused by the next window instead of fresh pages.
fn in_memory_window() -> usize {
    8 * rayon::current_num_threads()
}

/// As [`load`], into `sink`.
pub fn load_into(inputs: &[PathBuf], opts: &LoadOptions, sink: &mut Sink<'_>) {
    for path in expand(inputs, &mut sink.loaded.errors) {
        load_path(sink, &path, &path.display().to_string(), opts);
    }
    if let Some(p) = &opts.progress {
        p.finish_loading();
    }
}

/// Loads one file (or stdin) into `sink`, named `shown` in the report (streaming mode loads
/// its copy of stdin as `-`); a file that cannot be read is a [`LoadError`].
pub fn load_path(sink: &mut Sink<'_>, path: &Path, shown: &str, opts: &LoadOptions) {
    match source::Source::open(path) {
        Ok(src) => load_with(sink, shown, src.bytes(), opts, &|s, e| src.release(s, e)),
        Err(e) => sink.loaded.errors.push(LoadError { path: shown.to_string(), message: e.to_string() }),
    }
}

/// Loads a gzip or zstd input that was decompressed elsewhere (streaming mode inflates to a
/// file): `raw_len` and `compression` describe the input as given, `content` is the
/// decompressed text, and `error` what stopped decompression early, if anything. The result
/// is the one [`load_path`] gives on the compressed input.
pub fn load_inflated(
    sink: &mut Sink<'_>,
    shown: &str,
    raw_len: usize,
    compression: Compression,
    content: &source::Source,
    error: Option<std::io::Error>,
    opts: &LoadOptions,
) {
    let text = Content { bytes: content.bytes(), error };
    load_content(sink, shown, raw_len, compression, &text, opts, &|s, e| content.release(s, e));
}

/// The files `inputs` name: directories and patterns expanded as [`load`] does.
pub fn expand(inputs: &[PathBuf], errors: &mut Vec<LoadError>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in inputs {
        if p.as_os_str() != "-" && p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(rd) => {
                    let mut files: Vec<PathBuf> =
                        rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file() && !is_hidden(p)).collect();
                    files.sort();
                    if files.is_empty() {
                        errors.push(LoadError {
                            path: p.display().to_string(),
                            message: "directory holds no files".into(),
                        });
                    }
                    out.extend(files);
                }
                Err(e) => errors.push(LoadError { path: p.display().to_string(), message: e.to_string() }),
            }
        } else if !p.exists() && is_pattern(p) {
            let matched = glob(p);
            if matched.is_empty() {
                errors
                    .push(LoadError { path: p.display().to_string(), message: "no file matches this pattern".into() });
            }
            out.extend(matched);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn is_pattern(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(['*', '?', '[']))
}

/// Files of the pattern's folder whose names match its last component (`*`, `?`, `[abc]`,
/// `[a-z]`, `[!a]`), in name order; hidden files only when the pattern starts with a dot.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let dir = match pattern.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(pat) = pattern.file_name().and_then(|n| n.to_str()) else { return Vec::new() };
    let Ok(rd) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            (pat.starts_with('.') || !name.starts_with('.')) && wildcard(pat.as_bytes(), name.as_bytes())
        })
        .map(|e| match pattern.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.join(e.file_name()),
            _ => PathBuf::from(e.file_name()),
        })
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Shell-style wildcard match of a whole name.
fn wildcard(pat: &[u8], name: &[u8]) -> bool {
    match pat.first() {
        None => name.is_empty(),
        Some(b'*') => (0..=name.len()).any(|i| wildcard(&pat[1..], &name[i..])),
        Some(b'?') => !name.is_empty() && wildcard(&pat[1..], &name[1..]),
        Some(b'[') => {
            let Some(close) = pat.iter().skip(2).position(|&c| c == b']').map(|p| p + 2) else {
                return name.first() == Some(&b'[') && wildcard(&pat[1..], &name[1..]);
            };
            let (negate, set) = match &pat[1..close] {
                [b'!' | b'^', rest @ ..] => (true, rest),
                set => (false, set),
            };
            let Some(&c) = name.first() else { return false };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && wildcard(&pat[close + 1..], &name[1..])
        }
        Some(&p) => name.first() == Some(&p) && wildcard(&pat[1..], &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        let m = |p: &str, n: &str| wildcard(p.as_bytes(), n.as_bytes());
        assert!(m("data-*.json", "data-2026-11-21T10-00-00.000.json"));
        assert!(!m("data-*.json", "data-1.json.zst"));
        assert!(m("*.json*", "data-1.json.zst"));
        assert!(m("t?.jsonl", "t1.jsonl") && !m("t?.jsonl", "t10.jsonl"));
        assert!(m("t[0-9].json", "t7.json") && !m("t[!0-9].json", "t7.json"));
        assert!(m("[ab]*", "alpha") && !m("[ab]*", "gamma"));
    }
}

/// Decodes the bytes of one input named `path` into `loaded`: detects compression and
/// format from the bytes, decodes every record, and accounts for all of them.
pub fn load_bytes(loaded: &mut Loaded, path: &str, bytes: &[u8], opts: &LoadOptions) {
    load_with(&mut Sink::in_memory(loaded), path, bytes, opts, &|_, _| {});
}

/// The content of an input once decompressed.
struct Content<'a> {
    bytes: &'a [u8],
    /// What stopped decompression before the end, if anything.
    error: Option<std::io::Error>,
}

/// As [`load_bytes`]; `release(start, end)` is called for ranges of `bytes` that have been
/// decoded and will not be read again.
fn load_with(
    sink: &mut Sink<'_>,
    path: &str,
    bytes: &[u8],
    opts: &LoadOptions,
    release: &(dyn Fn(usize, usize) + Sync),
) {
    let compression = container::detect_compression(bytes);
    match compression {
        Compression::Gzip | Compression::Zstd => {
            let inflated = container::inflate(bytes, compression);
            let content = Content { bytes: &inflated.bytes, error: inflated.error };
            load_content(sink, path, bytes.len(), compression, &content, opts, &|_, _| {});
        }
        Compression::None | Compression::ZstdRecords => {
            let content = Content { bytes, error: None };
            load_content(sink, path, bytes.len(), compression, &content, opts, release);
        }
    }
}

/// Detects the format of an input's (decompressed) content and decodes it into `sink`;
/// `raw_len` is the input's size as given, `release` gives back decoded ranges of `content`.
fn load_content(
    sink: &mut Sink<'_>,
    path: &str,
    raw_len: usize,
    compression: Compression,
    inflated: &Content<'_>,
    opts: &LoadOptions,
    release: &(dyn Fn(usize, usize) + Sync),
) {
    let loaded = &mut *sink.loaded;
    let file = u32::try_from(loaded.dump.files.len()).unwrap_or(u32::MAX);
    let mut accounting = Accounting { bytes: raw_len as u64, ..Accounting::default() };
    let content = inflated.bytes;
    if let Some(e) = &inflated.error {
        accounting.records_read += 1;
        accounting.skip(IssueKind::Truncated);
        let what = if compression == Compression::Gzip { "gzip" } else { "zstd" };
        loaded.issues.push(InputIssue {
            kind: IssueKind::Truncated,
            loc: SourceLoc { file, line: 0, offset: 0 },
            message: format!(
                "the {what} stream stops after {} decompressed bytes ({e}); the records before that are analysed",
                content.len()
            ),
            trace_id: None,
            span_id: None,
        });
    }
    let start = split::skip_ws(content, 0);
    let format = if compression == Compression::ZstdRecords {
        Format::Records
    } else if start >= content.len() {
        Format::Empty
    } else if matches!(content[start], b'{' | b'[') {
        match split::detect_layout(content) {
            Layout::Lines => Format::JsonLines,
            Layout::Documents => Format::JsonDocuments,
        }
    } else if container::looks_like_proto_frames(content) {
        Format::Records
    } else {
        Format::Unknown
    };
    loaded.dump.files.push(InputFile {
        path: path.to_string(),
        bytes: raw_len as u64,
        format,
        compression,
        dialects: Vec::new(),
    });
    let mut merger = Merger { format, accounting, line_base: 0, opts, share: 1.0, first: true };
    match format {
        Format::Empty => {}
        Format::Unknown => {
            merger.accounting.records_read += 1;
            merger.accounting.skip(IssueKind::UnknownFormat);
            sink.loaded.issues.push(InputIssue {
                kind: IssueKind::UnknownFormat,
                loc: SourceLoc { file, line: 1, offset: 0 },
                message: format!(
                    "{path} is not in a known format: expected OTLP JSON or protobuf (plain, gzip or zstd), Jaeger or Zipkin JSON; it starts with {}",
                    preview(&content[start..])
                ),
                trace_id: None,
                span_id: None,
            });
        }
        Format::JsonLines => {
            let chunks = split::line_chunks(content, opts.chunk_bytes, opts.max_record_bytes, release);
            // Decompressed text is larger than the input; progress counts input bytes.
            let scale = raw_len as f64 / content.len().max(1) as f64;
            let decode = |&split::Chunk { start: s, end: e, long }: &split::Chunk| {
                let b = if long {
                    long_line(file, content, s, e, opts.max_record_bytes)
                } else {
                    decode_lines(file, &content[s..e], s, e == content.len(), opts.max_record_bytes)
                };
                release(s, e);
                if let Some(p) = &opts.progress {
                    p.add_bytes(((e - s) as f64 * scale) as usize);
                    p.spans.fetch_add(b.part.spans.len() as u64, std::sync::atomic::Ordering::Relaxed);
                }
                b
            };
            decode_windows(&chunks, sink.window, &decode, &mut |window, batches| {
                let covered: usize = window.iter().map(|c| c.end - c.start).sum();
                merger.share = covered as f64 / content.len().max(1) as f64;
                merger.merge(sink, batches);
            });
        }
        Format::JsonDocuments => {
            let docs = split::documents(content);
            let decode = |r: &split::Record| {
                let mut b = Batch::fresh();
                let loc = SourceLoc { file, line: r.line, offset: r.offset as u64 };
                with_parser(|p| {
                    p.record(&mut b, &content[r.offset..r.end], loc, r.truncated, true, opts.max_record_bytes)
                });
                b
            };
            decode_windows(&docs, sink.window, &decode, &mut |_, batches| merger.merge(sink, batches));
        }
        Format::Records => {
            decode_frames(file, content, compression == Compression::ZstdRecords, opts, &mut |batches| {
                merger.merge(sink, batches)
            })
        }
    }
    if let Some(p) = &opts.progress
        && format != Format::JsonLines
    {
        p.add_bytes(raw_len);
    }
    let loaded = &mut *sink.loaded;
    if let Some(f) = loaded.dump.files.last_mut() {
        f.dialects = merger.accounting.decoded_by_dialect.keys().copied().collect();
    }
    loaded.accounting.add(&merger.accounting);
}

/// Merges the batches of one file, in input order, into a sink.
struct Merger<'o> {
    format: Format,
    accounting: Accounting,
    /// Lines of the file before the next batch.
    line_base: u64,
    opts: &'o LoadOptions,
    /// The share of the file the next batches cover: the first window reserves room for
    /// the whole file in that proportion, so later windows seldom grow the arenas.
    share: f64,
    first: bool,
}

impl Merger<'_> {
    fn merge(&mut self, sink: &mut Sink<'_>, batches: Vec<Batch>) {
        let loaded = &mut *sink.loaded;
        let whole_file = self.first && sink.drain.is_none() && self.share > 0.0;
        let scale = if whole_file { 1.05 / self.share.min(1.0) } else { 1.0 };
        self.first = false;
        reserve_for(&mut loaded.dump, &batches, scale);
        for mut b in batches {
            let n = b.newlines;
            let before = loaded.dump.spans.len();
            b.merge_into(&mut loaded.dump, &mut self.accounting, &mut loaded.issues, self.line_base);
            self.line_base += n;
            // JSON lines count their spans as chunks are decoded; the other formats here.
            if let Some(p) = &self.opts.progress
                && self.format != Format::JsonLines
            {
                p.spans.fetch_add((loaded.dump.spans.len() - before) as u64, std::sync::atomic::Ordering::Relaxed);
            }
            if let Some(drain) = sink.drain.as_mut() {
                drain(&mut loaded.dump);
            }
            b.recycle();
        }
    }
}

/// Decodes length-prefixed records (protobuf, or per-record zstd around JSON or protobuf),
/// in parallel groups of about `chunk_bytes`. A record's line is its 1-based index.
fn decode_frames(file: u32, bytes: &[u8], zstd: bool, opts: &LoadOptions, merge: &mut (dyn FnMut(Vec<Batch>) + Send)) {
    let (frames, cut) = container::frames(bytes);
    let mut groups: Vec<&[container::Frame]> = Vec::new();
    let mut from = 0;
    let mut size = 0;
    for (i, f) in frames.iter().enumerate() {
        size += f.end - f.start;
        if size >= opts.chunk_bytes {
            groups.push(&frames[from..=i]);
            from = i + 1;
            size = 0;
        }
    }
    groups.push(&frames[from..]);
    // As many groups at once as there are threads, a few times over: bounded memory.
    let decode = |group: &&[container::Frame]| {
        let mut b = Batch::fresh();
        for f in group.iter() {
            let loc = SourceLoc { file, line: f.index, offset: f.offset as u64 };
            decode_frame(&mut b, &bytes[f.start..f.end], loc, zstd, opts.max_record_bytes);
        }
        b
    };
    decode_windows(&groups, 4 * rayon::current_num_threads(), &decode, &mut |_, batches| merge(batches));
    if let Some(c) = cut {
        let mut b = Batch::default();
        b.accounting.records_read += 1;
        b.accounting.skip(IssueKind::Truncated);
        b.issues.push(InputIssue {
            kind: IssueKind::Truncated,
            loc: SourceLoc { file, line: c.index, offset: c.offset as u64 },
            message: format!(
                "record {} cut off: its length prefix says {} bytes but only {} remain",
                c.index, c.claimed, c.available
            ),
            trace_id: None,
            span_id: None,
        });
        merge(vec![b]);
    }
}

/// Decodes `items` a window at a time, in parallel, and hands each window's batches in
/// order to `merge` with the window's items. Merging a window overlaps decoding the next,
/// so the serial merge does not leave the other threads idle; at most two windows of
/// batches are alive at once.
fn decode_windows<T: Sync>(
    items: &[T],
    window: usize,
    decode: &(dyn Fn(&T) -> Batch + Sync),
    merge: &mut (dyn FnMut(&[T], Vec<Batch>) + Send),
) {
    let mut pending: Option<(&[T], Vec<Batch>)> = None;
    for w in items.chunks(window.max(1)) {
        let ((), decoded) = rayon::join(
            || {
                if let Some((items, batches)) = pending.take() {
                    merge(items, batches);
                }
            },
            || w.par_iter().map(decode).collect::<Vec<Batch>>(),
        );
        pending = Some((w, decoded));
    }
    if let Some((items, batches)) = pending {
        merge(items, batches);
    }
    Batch::drop_spares();
}

/// Decodes one length-prefixed record.
fn decode_frame(b: &mut Batch, payload: &[u8], loc: SourceLoc, zstd: bool, max: usize) {
    let malformed = |b: &mut Batch, message: String| {
        b.accounting.records_read += 1;
        b.accounting.skip(IssueKind::Malformed);
        b.issues.push(InputIssue { kind: IssueKind::Malformed, loc, message, trace_id: None, span_id: None });
    };
    let inflated;
    let payload = if zstd {
        match zstd::stream::decode_all(payload) {
            Ok(v) => {
                inflated = v;
                &inflated[..]
            }
            Err(e) => return malformed(b, format!("record {} is not a valid zstd frame: {e}", loc.line)),
        }
    } else {
        payload
    };
    let first = payload.get(split::skip_ws(payload, 0)).copied();
    if matches!(first, Some(b'{' | b'[')) {
        let multiline = memchr::memchr(b'\n', payload.trim_ascii_end()).is_some();
        with_parser(|p| p.record(b, payload, loc, false, multiline, max));
        return;
    }
    match otlp_proto::decode_traces_data(b, payload, loc) {
        Ok(()) => {
            b.accounting.records_read += 1;
            b.accounting.records_decoded += 1;
            *b.accounting.decoded_by_dialect.entry(Dialect::Otlp).or_default() += 1;
        }
        Err(e) => malformed(b, format!("record {}: {e}", loc.line)),
    }
}

fn preview(b: &[u8]) -> String {
    let head = &b[..b.len().min(16)];
    if head.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
        format!("{:?}", String::from_utf8_lossy(head))
    } else {
        let hex: Vec<String> = head.iter().take(8).map(|c| format!("{c:02x}")).collect();
        format!("bytes {}", hex.join(" "))
    }
}

/// Grows the arenas of `dump` once for `batches` (their sizes times `scale`), so merging
/// them does not reallocate.
fn reserve_for(dump: &mut Dump, batches: &[Batch], scale: f64) {
    let n = |f: fn(&Batch) -> usize| (batches.iter().map(f).sum::<usize>() as f64 * scale) as usize;
    dump.spans.reserve(n(|b| b.part.spans.len()));
    dump.attrs.reserve(n(|b| b.part.attrs.len()));
    dump.events.reserve(n(|b| b.part.events.len()));
    dump.links.reserve(n(|b| b.part.links.len()));
    dump.resources.reserve(n(|b| b.part.resources.len()));
}

thread_local! {
    /// Parse buffers, kept per worker thread so large buffers are allocated once.
    static PARSER: std::cell::RefCell<Parser> = std::cell::RefCell::new(Parser::default());
}

fn with_parser<R>(f: impl FnOnce(&mut Parser) -> R) -> R {
    PARSER.with(|p| match p.try_borrow_mut() {
        Ok(mut p) => f(&mut p),
        // Re-entered on this thread (rayon work stealing inside a task): use a fresh one.
        Err(_) => f(&mut Parser::default()),
    })
}

/// The batch of a line longer than `max` found while chunking: reported as too large, as
/// [`Parser::record`] would, without reading it again.
fn long_line(file: u32, content: &[u8], s: usize, e: usize, max: usize) -> Batch {
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

fn too_large(len: usize, max: usize) -> String {
    format!("record of {len} bytes is larger than the limit of {max} bytes (--max-record-size); skipped unparsed")
}

fn decode_lines(file: u32, chunk: &[u8], chunk_offset: usize, at_eof: bool, max: usize) -> Batch {
    let mut batch = Batch::fresh();
    let newlines = with_parser(|parser| decode_lines_with(parser, &mut batch, file, chunk, chunk_offset, at_eof, max));
    batch.newlines = newlines;
    batch
}

fn decode_lines_with(
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
struct Parser {
    buf: Vec<u8>,
    buffers: Option<simd_json::Buffers>,
    tape: Option<simd_json::Tape<'static>>,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser").field("buf_capacity", &self.buf.capacity()).finish()
    }
}

impl Parser {
    /// Parses and decodes one record, accounting for it whatever happens.
    fn record(&mut self, batch: &mut Batch, rec: &[u8], loc: SourceLoc, truncated: bool, multiline: bool, max: usize) {
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
        self.buf.clear();
        self.buf.extend_from_slice(rec);
        let len = rec.len();
        self.buf.resize(len + simd_json::INPUT_PADDING, 0);
        let buf_base = self.buf.as_ptr() as usize;
        let buffers = self.buffers.get_or_insert_with(|| simd_json::Buffers::new(len));
        let mut tape = self.tape.take().unwrap_or_else(simd_json::Tape::null).reset();
        match simd_json::fill_tape_padded(&mut self.buf, len, buffers, &mut tape) {
            Err(e) => {
                let (line, col) = line_col(rec, e.index());
                let what = format!("{:?}", e.error());
                let msg = if line == 0 {
                    format!("invalid JSON ({what}) at column {col}")
                } else {
                    format!("invalid JSON ({what}) at line +{line}, column {col} of the record")
                };
                issue(batch, IssueKind::Malformed, msg);
            }
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
                    }
                    RecordClass::NotTraces(why) => issue(batch, IssueKind::NotTraces, why),
                }
            }
        }
        self.tape = Some(tape.reset());
    }
}

fn line_col(rec: &[u8], index: usize) -> (usize, usize) {
    let upto = &rec[..index.min(rec.len())];
    let line = memchr::memchr_iter(b'\n', upto).count();
    let col = upto.len() - memchr::memrchr(b'\n', upto).map_or(0, |p| p + 1) + 1;
    (line, col)
}

fn is_hidden(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// Returns whether `path` names stdin.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}
