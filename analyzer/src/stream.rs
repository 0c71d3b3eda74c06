//! Streaming mode, for dumps larger than memory.
//!
//! Pass 0 copies stdin and pipes to the temporary directory and decompresses gzip and zstd
//! streams there, so no input is ever whole in memory and the partitions can be sized from
//! the text to decode.
//!
//! Pass 1 reads the inputs as the in-memory load does, a few chunks at a time, and moves
//! every decoded span (with its attributes, events and links) to one of N partition files
//! chosen by a hash of its trace id, so each trace lands whole in one partition. The files,
//! the string table and the resources stay in memory: all partitions share them, so symbols
//! and resource indexes mean the same everywhere. A span index file keeps, in input order,
//! each span's ids, start and location.
//!
//! Pass 2 loads one partition at a time and runs the same per-trace work as the in-memory
//! analysis ([`crate::analysis`]). What the dump-wide checks, the rules, the latency table
//! and the digest need is gathered in forms that merge exactly, then settled once: orphans
//! are resolved by one scan of the span index, aggregate values carry their span's index in
//! the whole dump. Suppressions with a `where` selector reload only the partitions holding
//! the spans they must be tested on. The report is the in-memory one, byte for byte.
//!
//! Memory: the string table and resources, the partition being analysed, and per span a
//! duration and the values rule aggregates keep (span digests go to disk sorted per
//! partition and are merged at the end). One trace is never split, so a single trace larger
//! than the budget is analysed whole.

use crate::analysis::{self, Analysis, Gathered, Options};
use crate::graph;
use crate::input::{self, Loaded, Sink};
use crate::model::{
    Attr, Dump, Event, Link, Parent, Slice, SourceLoc, Span, SpanFlags, SpanId, SpanKind, SpanRef, StatusCode, Sym,
    TraceId, ValueType,
};
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Settings of the streaming mode.
#[derive(Clone, Debug)]
pub struct StreamOptions {
    /// The memory the analysis may use, in bytes; partitions are sized from it.
    pub budget: u64,
    /// Where the partition files are written, in a fresh directory removed afterwards.
    pub temp_dir: PathBuf,
    /// Number of partitions; derived from the input size and the budget when `None`.
    pub partitions: Option<usize>,
}

/// How the run went, for a note on stderr.
#[derive(Clone, Debug)]
pub struct StreamStats {
    pub partitions: usize,
    /// Bytes written to the temporary files.
    pub spilled: u64,
    /// Spans of the largest partition.
    pub largest_partition: u64,
    /// Bytes of input copied (stdin, pipes) or decompressed (gzip, zstd) to temporary files.
    pub spooled: u64,
}

/// The memory an in-memory analysis of `inputs` is expected to need, in bytes: about the size
/// of plain input, several times the size of compressed input. `None` when it cannot be
/// known (stdin).
pub fn estimate_memory(inputs: &input::Inputs) -> Option<u64> {
    let mut total = 0u64;
    for path in &inputs.files {
        if input::is_stdin(path) {
            return None;
        }
        let Ok(mut f) = File::open(path) else { continue };
        let meta = f.metadata().ok();
        // A pipe (`<(zcat dump.gz)`) or device has no size to go by.
        if meta.as_ref().is_some_and(|m| !m.is_file()) {
            return None;
        }
        let len = meta.map_or(0, |m| m.len());
        let mut head = [0u8; 8];
        let n = f.read(&mut head).unwrap_or(0);
        let factor = match input::container::detect_compression(&head[..n]) {
            input::Compression::None => 1.2,
            _ => 8.0,
        };
        total = total.saturating_add((len as f64 * factor) as u64);
    }
    Some(total)
}

/// Half of the memory the system says is available, the default budget; `None` when the
/// system does not say.
pub fn default_budget() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024 / 2)
}

/// Partitions for an expected in-memory size: each should take about a quarter of the
/// budget, leaving room for graphs, findings and what is kept across partitions.
fn partitions_for(estimate: Option<u64>, budget: u64) -> usize {
    let per = (budget / 4).max(1);
    match estimate {
        Some(e) => e.div_ceil(per).clamp(2, 1024) as usize,
        // Unknown size (stdin, a pipe): enough partitions for a dump many times the budget.
        None => 64,
    }
}

/// The partition of a trace.
fn partition_of(t: TraceId, n: usize) -> usize {
    let (a, b) = t.0.split_at(8);
    let x = u64::from_le_bytes(a.try_into().unwrap_or_default()) ^ u64::from_le_bytes(b.try_into().unwrap_or_default());
    // A multiplicative mix, so ids that differ only in a few bits spread too.
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % n
}

/// A directory removed with everything in it when dropped, or when the process is
/// interrupted (SIGINT, SIGTERM, SIGHUP) while it exists.
struct TempDir(PathBuf);

/// Temporary directories of runs in progress, for the interrupt handler.
static LIVE_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

impl TempDir {
    fn new(base: &Path) -> io::Result<TempDir> {
        remove_on_interrupt();
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        for attempt in 0..100u32 {
            let p = base.join(format!("tracecheck-{}-{stamp}-{attempt}", std::process::id()));
            match std::fs::create_dir(&p) {
                Ok(()) => {
                    LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner()).push(p.clone());
                    return Ok(TempDir(p));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(io::ErrorKind::AlreadyExists, "no fresh directory name"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| *p != self.0);
    }
}

/// Once per process: a thread that waits for SIGINT, SIGTERM or SIGHUP, removes the live
/// temporary directories and exits with 128 + the signal number, as the shell expects of a
/// process killed by it. Partition files can be as large as the dump: an interrupted run
/// must not leave them behind.
fn remove_on_interrupt() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
            std::thread::spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let dirs = LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    for dir in dirs {
                        // Workers may still be adding files: try again if a pass loses.
                        for _ in 0..5 {
                            if std::fs::remove_dir_all(&dir).is_ok() || !dir.exists() {
                                break;
                            }
                        }
                    }
                    std::process::exit(128 + signal);
                }
            });
        });
    }
}

/// Bytes of one record of the span index: trace id, span id, start, file, line, offset.
const INDEX_RECORD: usize = 16 + 8 + 8 + 4 + 8 + 8;

fn index_record(r: &SpanRef) -> [u8; INDEX_RECORD] {
    let mut b = [0u8; INDEX_RECORD];
    b[..16].copy_from_slice(&r.trace_id.0);
    b[16..24].copy_from_slice(&r.span_id.0);
    b[24..32].copy_from_slice(&r.start.to_le_bytes());
    b[32..36].copy_from_slice(&r.loc.file.to_le_bytes());
    b[36..44].copy_from_slice(&r.loc.line.to_le_bytes());
    b[44..52].copy_from_slice(&r.loc.offset.to_le_bytes());
    b
}

fn from_index_record(b: &[u8; INDEX_RECORD]) -> SpanRef {
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
    let mut trace = [0u8; 16];
    trace.copy_from_slice(&b[..16]);
    let mut span = [0u8; 8];
    span.copy_from_slice(&b[16..24]);
    SpanRef {
        trace_id: TraceId(trace),
        span_id: SpanId(span),
        start: u64_at(24),
        loc: SourceLoc {
            file: u32::from_le_bytes(b[32..36].try_into().unwrap_or_default()),
            line: u64_at(36),
            offset: u64_at(44),
        },
    }
}

/// One input made ready for pass 1.
enum Prepared {
    /// A regular file, or a `copy` of stdin or a pipe (removed once loaded), loaded as it is.
    Plain { shown: String, path: PathBuf, copy: bool },
    /// A gzip or zstd stream decompressed to `path`.
    Inflated { shown: String, path: PathBuf, raw_len: usize, compression: input::Compression, error: Option<io::Error> },
    /// An input that could not be read.
    Unreadable { shown: String, error: io::Error },
}

impl Prepared {
    /// The bytes pass 1 will decode, if known.
    fn content_len(&self) -> Option<u64> {
        match self {
            Prepared::Plain { path, .. } | Prepared::Inflated { path, .. } => {
                std::fs::metadata(path).ok().map(|m| m.len())
            }
            Prepared::Unreadable { .. } => Some(0),
        }
    }
}

/// Makes one input ready to be loaded without holding it whole in memory: stdin and pipes are
/// copied to `spool`, gzip and zstd streams decompressed to it, so that pass 1 decodes a
/// memory map whose pages are given back as they are decoded. Returns the input and the bytes
/// written; `Err` when the spool files cannot be written.
fn prepare(path: &Path, spool: &Path) -> io::Result<(Prepared, u64)> {
    let shown = path.display().to_string();
    let unreadable = |error| Ok((Prepared::Unreadable { shown: shown.clone(), error }, 0));
    let mut written = 0;
    let piped = input::is_stdin(path) || std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    let plain = if piped {
        let mut from: Box<dyn Read> = if input::is_stdin(path) {
            Box::new(io::stdin().lock())
        } else {
            match File::open(path) {
                Ok(f) => Box::new(f),
                Err(e) => return unreadable(e),
            }
        };
        let copied = spool.with_extension("raw");
        let mut to = BufWriter::new(File::create(&copied)?);
        if let Some(e) = input::container::pump(&mut from, &mut to)? {
            return unreadable(e);
        }
        to.flush()?;
        written += to.get_ref().metadata()?.len();
        copied
    } else {
        path.to_path_buf()
    };
    let mut head = [0u8; 8];
    let n = match File::open(&plain).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        // Let the load report it as it would in memory.
        Err(_) => return Ok((Prepared::Plain { shown, path: plain, copy: piped }, written)),
    };
    let compression = input::container::detect_compression(&head[..n]);
    if !matches!(compression, input::Compression::Gzip | input::Compression::Zstd) {
        return Ok((Prepared::Plain { shown, path: plain, copy: piped }, written));
    }
    let src = match input::source::Source::open(&plain) {
        Ok(src) => src,
        Err(e) => return unreadable(e),
    };
    let inflated = spool.with_extension("inflated");
    let mut to = BufWriter::new(File::create(&inflated)?);
    let error = input::container::inflate_to(src.bytes(), compression, &mut to)?;
    to.flush()?;
    written += to.get_ref().metadata()?.len();
    let raw_len = src.bytes().len();
    drop(src);
    if piped {
        std::fs::remove_file(&plain)?;
    }
    Ok((Prepared::Inflated { shown, path: inflated, raw_len, compression, error }, written))
}

/// Loads a prepared input into `sink`, as [`input::load_path`] loads the input itself, and
/// removes its spool file.
fn load_prepared(sink: &mut Sink<'_>, p: Prepared, opts: &input::LoadOptions) -> io::Result<()> {
    match p {
        Prepared::Unreadable { shown, error } => {
            sink.loaded.errors.push(input::LoadError { path: shown, message: error.to_string() });
        }
        Prepared::Plain { shown, path, copy } => {
            input::load_path(sink, &path, &shown, opts);
            if copy {
                std::fs::remove_file(&path)?;
            }
        }
        Prepared::Inflated { shown, path, raw_len, compression, error } => {
            let content = input::source::Source::open(&path)?;
            input::load_inflated(sink, &shown, raw_len, compression, &content, error, opts);
            drop(content);
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Pass 1: writes the spans merged into a dump to their partitions.
struct Spill {
    parts: Vec<BufWriter<File>>,
    counts: Vec<u64>,
    index: BufWriter<File>,
    /// Index in the whole dump of the next span.
    next: u32,
    /// Length of the prefix of `dump.attrs` holding resource attributes only.
    resource_attrs: usize,
    /// Resources whose attributes are in that prefix.
    resources_done: usize,
    spilled: u64,
    buf: Vec<u8>,
    error: Option<io::Error>,
}

impl Spill {
    fn new(dir: &Path, n: usize) -> io::Result<Spill> {
        let mut parts = Vec::with_capacity(n);
        for p in 0..n {
            parts.push(BufWriter::with_capacity(64 << 10, File::create(part_path(dir, p))?));
        }
        Ok(Spill {
            parts,
            counts: vec![0; n],
            index: BufWriter::with_capacity(256 << 10, File::create(dir.join("spans.idx"))?),
            next: 0,
            resource_attrs: 0,
            resources_done: 0,
            spilled: 0,
            buf: Vec::new(),
            error: None,
        })
    }

    /// Moves the spans of `dump` out to the partitions and keeps only resource attributes.
    fn drain(&mut self, dump: &mut Dump) {
        if self.error.is_none()
            && let Err(e) = self.write_spans(dump)
        {
            self.error = Some(e);
        }
        dump.spans.clear();
        dump.events.clear();
        dump.links.clear();
        for r in &mut dump.resources[self.resources_done..] {
            let range = r.attrs.range();
            let len = range.len();
            dump.attrs.copy_within(range, self.resource_attrs);
            r.attrs.start = self.resource_attrs as u32;
            self.resource_attrs += len;
        }
        self.resources_done = dump.resources.len();
        dump.attrs.truncate(self.resource_attrs);
    }

    fn write_spans(&mut self, dump: &Dump) -> io::Result<()> {
        let n = self.parts.len();
        for s in &dump.spans {
            self.buf.clear();
            encode_span(dump, s, self.next, &mut self.buf);
            let p = partition_of(s.trace_id, n);
            self.parts[p].write_all(&self.buf)?;
            self.counts[p] += 1;
            self.index.write_all(&index_record(&SpanRef::of(s)))?;
            self.spilled += (self.buf.len() + INDEX_RECORD) as u64;
            self.next = self.next.checked_add(1).ok_or_else(|| io::Error::other("more than 4 billion spans"))?;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<Vec<u64>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        for w in &mut self.parts {
            w.flush()?;
        }
        self.index.flush()?;
        Ok(self.counts)
    }
}

fn part_path(dir: &Path, p: usize) -> PathBuf {
    dir.join(format!("part-{p:04}.bin"))
}

fn put_u32(b: &mut Vec<u8>, x: u32) {
    b.extend_from_slice(&x.to_le_bytes());
}

fn put_u64(b: &mut Vec<u8>, x: u64) {
    b.extend_from_slice(&x.to_le_bytes());
}

fn put_attrs(b: &mut Vec<u8>, attrs: &[Attr]) {
    put_u32(b, attrs.len() as u32);
    for a in attrs {
        put_u32(b, a.key.0);
        let (ty, payload) = a.raw();
        b.push(ty as u8);
        put_u64(b, payload);
    }
}

/// One span, self-contained, with its index in the whole dump. Symbols and the resource
/// index refer to the tables every partition shares.
fn encode_span(dump: &Dump, s: &Span, global: u32, b: &mut Vec<u8>) {
    put_u32(b, global);
    b.extend_from_slice(&s.trace_id.0);
    b.extend_from_slice(&s.span_id.0);
    match s.parent {
        Parent::Root => b.push(0),
        Parent::Span(p) => {
            b.push(1);
            b.extend_from_slice(&p.0);
        }
        Parent::Invalid => b.push(2),
    }
    put_u32(b, s.name.0);
    b.push(s.kind as u8);
    b.push(s.status as u8);
    put_u32(b, s.status_message.0);
    put_u64(b, s.start);
    put_u64(b, s.end);
    put_u32(b, s.resource);
    put_u32(b, s.scope.0);
    b.push(s.flags.0);
    put_u32(b, s.loc.file);
    put_u64(b, s.loc.line);
    put_u64(b, s.loc.offset);
    put_attrs(b, dump.span_attrs(s));
    let events = dump.span_events(s);
    put_u32(b, events.len() as u32);
    for e in events {
        put_u32(b, e.name.0);
        put_u64(b, e.time);
        put_attrs(b, &dump.attrs[e.attrs.range()]);
    }
    let links = dump.span_links(s);
    put_u32(b, links.len() as u32);
    for l in links {
        b.extend_from_slice(&l.trace_id.0);
        b.extend_from_slice(&l.span_id.0);
    }
}

/// Reads what [`encode_span`] wrote.
struct Decoder<R> {
    r: R,
}

impl<R: Read> Decoder<R> {
    fn bytes<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b)?;
        Ok(b)
    }

    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.bytes::<1>()?[0])
    }

    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn attrs(&mut self, into: &mut Vec<Attr>) -> io::Result<Slice> {
        let start = input::batch::arena_len(into);
        for _ in 0..self.u32()? {
            let key = Sym(self.u32()?);
            let tag = self.u8()?;
            let payload = self.u64()?;
            let ty = *ValueType::ALL.get(usize::from(tag)).ok_or_else(|| corrupt(format!("value tag {tag}")))?;
            into.push(Attr::from_raw(key, ty, payload));
        }
        Ok(input::batch::since(into, start))
    }

    /// The next span into `dump`, with its index in the whole dump; `None` at the end.
    fn span(&mut self, dump: &mut Dump) -> io::Result<Option<u32>> {
        let mut first = [0u8; 4];
        match self.r.read(&mut first[..1])? {
            0 => return Ok(None),
            _ => self.r.read_exact(&mut first[1..])?,
        }
        let global = u32::from_le_bytes(first);
        let trace_id = TraceId(self.bytes()?);
        let span_id = SpanId(self.bytes()?);
        let parent = match self.u8()? {
            0 => Parent::Root,
            1 => Parent::Span(SpanId(self.bytes()?)),
            2 => Parent::Invalid,
            t => return Err(corrupt(format!("parent tag {t}"))),
        };
        let name = Sym(self.u32()?);
        let kind = kind_of(self.u8()?)?;
        let status = status_of(self.u8()?)?;
        let status_message = Sym(self.u32()?);
        let start = self.u64()?;
        let end = self.u64()?;
        let resource = self.u32()?;
        let scope = Sym(self.u32()?);
        let flags = SpanFlags(self.u8()?);
        let loc = SourceLoc { file: self.u32()?, line: self.u64()?, offset: self.u64()? };
        let attrs = self.attrs(&mut dump.attrs)?;
        let events_start = input::batch::arena_len(&dump.events);
        for _ in 0..self.u32()? {
            let name = Sym(self.u32()?);
            let time = self.u64()?;
            let attrs = self.attrs(&mut dump.attrs)?;
            dump.events.push(Event { name, time, attrs });
        }
        let events = input::batch::since(&dump.events, events_start);
        let links_start = input::batch::arena_len(&dump.links);
        for _ in 0..self.u32()? {
            let trace_id = TraceId(self.bytes()?);
            let span_id = SpanId(self.bytes()?);
            dump.links.push(Link { trace_id, span_id });
        }
        let links = input::batch::since(&dump.links, links_start);
        dump.spans.push(Span {
            trace_id,
            span_id,
            parent,
            name,
            kind,
            status,
            status_message,
            start,
            end,
            resource,
            scope,
            attrs,
            events,
            links,
            flags,
            loc,
        });
        Ok(Some(global))
    }
}

fn corrupt(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("temporary partition file is corrupt: {what}"))
}

/// Kind and status are written as their OTLP numbers (the enums' discriminants).
fn kind_of(n: u8) -> io::Result<SpanKind> {
    SpanKind::from_otlp(i64::from(n)).ok_or_else(|| corrupt(format!("span kind {n}")))
}

fn status_of(n: u8) -> io::Result<StatusCode> {
    StatusCode::from_otlp(i64::from(n)).ok_or_else(|| corrupt(format!("status {n}")))
}

/// The partitions written by pass 1, with the shared tables.
struct Partitions {
    dir: TempDir,
    counts: Vec<u64>,
    resource_attrs: usize,
}

impl Partitions {
    /// Loads partition `p` into a dump built around the shared tables of `skel`, runs `f` on
    /// it with the whole-dump index of each of its spans, and gives the tables back.
    fn with<R>(&self, skel: &mut Dump, p: usize, f: impl FnOnce(&Dump, &[u32]) -> R) -> io::Result<R> {
        let n = self.counts[p] as usize;
        let mut part = Dump {
            files: std::mem::take(&mut skel.files),
            strings: std::mem::take(&mut skel.strings),
            resources: std::mem::take(&mut skel.resources),
            attrs: std::mem::take(&mut skel.attrs),
            spans: Vec::with_capacity(n),
            events: Vec::new(),
            links: Vec::new(),
        };
        let mut global = Vec::with_capacity(n);
        let read = (|| -> io::Result<()> {
            let mut d = Decoder { r: BufReader::with_capacity(1 << 20, File::open(part_path(&self.dir.0, p))?) };
            while let Some(g) = d.span(&mut part)? {
                global.push(g);
            }
            Ok(())
        })();
        let out = read.map(|()| f(&part, &global));
        part.attrs.truncate(self.resource_attrs);
        skel.files = part.files;
        skel.strings = part.strings;
        skel.resources = part.resources;
        skel.attrs = part.attrs;
        out
    }

    fn index(&self) -> io::Result<File> {
        File::open(self.dir.0.join("spans.idx"))
    }
}

/// The span digest ([`crate::digest::combine`]) of the sorted digest files of all
/// partitions, merged as they are read.
fn merge_digests(files: &[PathBuf]) -> io::Result<String> {
    let mut readers = Vec::with_capacity(files.len());
    for f in files {
        let file = File::open(f)?;
        readers.push(BufReader::with_capacity(64 << 10, file));
    }
    let next = |r: &mut BufReader<File>| -> io::Result<Option<crate::digest::Keyed>> {
        let mut d = [0u8; 34];
        match r.read_exact(&mut d) {
            Ok(()) => Ok(Some(d)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut heap = BinaryHeap::new();
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(d) = next(r)? {
            heap.push(Reverse((d, i)));
        }
    }
    let mut error = None;
    let sorted = std::iter::from_fn(|| {
        let Reverse((d, i)) = heap.pop()?;
        match next(&mut readers[i]) {
            Ok(Some(n)) => heap.push(Reverse((n, i))),
            Ok(None) => {}
            Err(e) => error = Some(e),
        }
        Some(d)
    });
    let digest = crate::digest::combine_sorted(sorted);
    match error {
        Some(e) => Err(e),
        None => Ok(digest),
    }
}

/// Analyses `inputs` as [`analysis::analyze`] does, partition by partition.
pub fn analyze(inputs: &input::Inputs, opts: &Options, s: &StreamOptions) -> io::Result<(Analysis, StreamStats)> {
    let dir = TempDir::new(&s.temp_dir)?;
    let mut loaded = Loaded { errors: inputs.errors.clone(), ..Loaded::default() };

    // Pass 0: stdin, pipes and compressed streams to disk, so that their size is known.
    let mut prepared = Vec::new();
    let mut spooled = 0;
    for (i, path) in inputs.files.iter().enumerate() {
        let (p, written) = prepare(path, &dir.0.join(format!("input-{i}")))?;
        prepared.push(p);
        spooled += written;
    }
    let estimate = prepared.iter().map(Prepared::content_len).sum::<Option<u64>>().map(|b| b + b / 5);
    let n = s.partitions.unwrap_or_else(|| partitions_for(estimate, s.budget)).max(1);

    // Pass 1: decode and spill.
    let mut spill = Spill::new(&dir.0, n)?;
    let window = 2 * rayon::current_num_threads();
    let mut sink = Sink { loaded: &mut loaded, drain: Some(&mut |d: &mut Dump| spill.drain(d)), window };
    for p in prepared {
        load_prepared(&mut sink, p, &opts.load)?;
    }
    if let Some(p) = &opts.load.progress {
        p.finish_loading();
    }
    let (resource_attrs, spilled) = (spill.resource_attrs, spill.spilled);
    let counts = spill.finish()?;
    let parts = Partitions { dir, counts, resource_attrs };
    let largest_partition = parts.counts.iter().copied().max().unwrap_or(0);
    let stats = StreamStats { partitions: n, spilled, largest_partition, spooled };

    // Pass 2: analyse each partition.
    let skel = &mut loaded.dump;
    let syms = opts.rules.as_deref().map(|r| r.bind(skel)).unwrap_or_default();
    let resource_digests = crate::digest::resource_digests(skel);
    let mut total = Gathered::empty(opts);
    let mut digest_files = Vec::with_capacity(n);
    for p in 0..n {
        let (mut g, global) = parts.with(skel, p, |dump, global| {
            let traces = graph::group(dump);
            (analysis::gather(dump, &traces, opts, &syms, &resource_digests), global.to_vec())
        })?;
        // Span digests are kept sorted on disk per partition and merged at the end.
        let mut digests = g.take_digests();
        digests.par_sort_unstable();
        let path = parts.dir.0.join(format!("digests-{p:04}.bin"));
        let mut w = BufWriter::new(File::create(&path)?);
        for d in &digests {
            w.write_all(d)?;
        }
        w.flush()?;
        digest_files.push(path);
        total.merge(g, &global);
    }

    // Dump-wide: orphans against the span index, rule values by whole-dump index.
    let index = Mutex::new(parts.index()?);
    let mut scan_error = None;
    let traces_of = {
        let mut r = BufReader::with_capacity(1 << 20, parts.index()?);
        let refs = std::iter::from_fn(|| {
            let mut b = [0u8; INDEX_RECORD];
            match r.read_exact(&mut b) {
                Ok(()) => Some(from_index_record(&b)),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => None,
                Err(e) => {
                    scan_error = Some(e);
                    None
                }
            }
        });
        crate::checks::parent_traces(&total.dump_acc.orphans, refs.map(|r| (r.span_id, r.trace_id)))
    };
    if let Some(e) = scan_error {
        return Err(e);
    }
    let span_at = |i: u32| -> Option<SpanRef> {
        let mut f = index.lock().ok()?;
        let mut b = [0u8; INDEX_RECORD];
        f.seek(SeekFrom::Start(u64::from(i) * INDEX_RECORD as u64)).ok()?;
        f.read_exact(&mut b).ok()?;
        Some(from_index_record(&b))
    };
    let mut settled = analysis::settle(&loaded, total, opts, &syms, &traces_of, &span_at);
    settled.spans_digest = merge_digests(&digest_files)?;

    // Suppressions whose `where` needs the finding's span: test them partition by partition.
    let mut holds: HashSet<(usize, usize)> = HashSet::new();
    if let Some(set) = opts.rules.as_deref() {
        let mut wanted: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        for (k, f) in settled.findings.iter().enumerate() {
            let Some(t) = f.trace_id else { continue };
            for i in set.suppression_candidates(f).filter(|&i| set.suppression_has_where(i)) {
                wanted.entry(partition_of(t, n)).or_default().push((k, i));
            }
        }
        let mut order: Vec<usize> = wanted.keys().copied().collect();
        order.sort_unstable();
        for p in order {
            let findings = &settled.findings;
            let hits = parts.with(&mut loaded.dump, p, |dump, _| {
                let traces = graph::group(dump);
                wanted[&p]
                    .iter()
                    .copied()
                    .filter(|&(k, i)| set.suppression_where_holds(dump, &syms, &traces, &findings[k], i))
                    .collect::<Vec<_>>()
            })?;
            holds.extend(hits);
        }
    }
    settled.suppress(&loaded.dump, opts, &|k, _, i| holds.contains(&(k, i)));
    Ok((settled.into_analysis(loaded, opts), stats))
}
