//! Pass 1 writes every span to its partition file and to the span index; pass 2 reads one
//! partition back around the tables all partitions share.

use super::codec::{Decoder, encode_span};
use super::partition_of;
use super::tempdir::TempDir;
use crate::analysis::partial::Shard;
use crate::model::{Dump, LogRec, SourceLoc, SpanId, SpanRef, Sym, TraceId};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Bytes of one record of the span index: trace id, span id, start, file, line, offset.
pub(super) const INDEX_RECORD: usize = 16 + 8 + 8 + 4 + 8 + 8;

pub(super) fn index_record(r: &SpanRef) -> [u8; INDEX_RECORD] {
    let mut b = [0u8; INDEX_RECORD];
    b[..16].copy_from_slice(&r.trace_id.0);
    b[16..24].copy_from_slice(&r.span_id.0);
    b[24..32].copy_from_slice(&r.start.to_le_bytes());
    b[32..36].copy_from_slice(&r.loc.file.to_le_bytes());
    b[36..44].copy_from_slice(&r.loc.line.to_le_bytes());
    b[44..52].copy_from_slice(&r.loc.offset.to_le_bytes());
    b
}

pub(super) fn from_index_record(b: &[u8; INDEX_RECORD]) -> SpanRef {
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

/// Bytes of one log record in a partition's log file: trace id, whether it names a span,
/// span id, time, severity, excerpt symbol, file, line, offset.
const LOG_RECORD: usize = 16 + 1 + 8 + 8 + 1 + 4 + 4 + 8 + 8;

fn log_record(l: &LogRec) -> [u8; LOG_RECORD] {
    let mut b = [0u8; LOG_RECORD];
    b[..16].copy_from_slice(&l.trace_id.0);
    b[16] = u8::from(l.span_id.is_some());
    b[17..25].copy_from_slice(&l.span_id.map_or([0; 8], |s| s.0));
    b[25..33].copy_from_slice(&l.time.to_le_bytes());
    b[33] = l.severity;
    b[34..38].copy_from_slice(&l.excerpt.0.to_le_bytes());
    b[38..42].copy_from_slice(&l.loc.file.to_le_bytes());
    b[42..50].copy_from_slice(&l.loc.line.to_le_bytes());
    b[50..58].copy_from_slice(&l.loc.offset.to_le_bytes());
    b
}

fn from_log_record(b: &[u8; LOG_RECORD]) -> LogRec {
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
    let mut trace = [0u8; 16];
    trace.copy_from_slice(&b[..16]);
    let mut span = [0u8; 8];
    span.copy_from_slice(&b[17..25]);
    LogRec {
        trace_id: TraceId(trace),
        span_id: (b[16] == 1).then_some(SpanId(span)),
        time: u64_at(25),
        severity: b[33],
        excerpt: Sym(u32_at(34)),
        loc: SourceLoc { file: u32_at(38), line: u64_at(42), offset: u64_at(50) },
    }
}

fn logs_path(dir: &Path, p: usize) -> PathBuf {
    dir.join(format!("part-{p:04}.logs"))
}

/// Pass 1: writes the spans merged into a dump to their partitions (those of the shard),
/// and every span to the index.
pub(super) struct Spill {
    pub(super) shard: Shard,
    pub(super) parts: Vec<BufWriter<File>>,
    pub(super) counts: Vec<u64>,
    pub(super) index: BufWriter<File>,
    /// Index in the whole dump of the next span.
    pub(super) next: u32,
    /// Length of the prefix of `dump.attrs` holding resource attributes only.
    pub(super) resource_attrs: usize,
    /// Resources whose attributes are in that prefix.
    pub(super) resources_done: usize,
    pub(super) spilled: u64,
    pub(super) buf: Vec<u8>,
    pub(super) error: Option<io::Error>,
    /// Each partition's log file, made when it gets its first log.
    pub(super) log_parts: Vec<Option<BufWriter<File>>>,
    pub(super) dir: PathBuf,
}

impl Spill {
    pub(super) fn new(dir: &Path, n: usize, shard: Shard) -> io::Result<Spill> {
        let mut parts = Vec::with_capacity(n);
        for p in 0..n {
            parts.push(BufWriter::with_capacity(64 << 10, File::create(part_path(dir, p))?));
        }
        Ok(Spill {
            shard,
            parts,
            counts: vec![0; n],
            index: BufWriter::with_capacity(256 << 10, File::create(dir.join("spans.idx"))?),
            next: 0,
            resource_attrs: 0,
            resources_done: 0,
            spilled: 0,
            buf: Vec::new(),
            error: None,
            log_parts: (0..n).map(|_| None).collect(),
            dir: dir.to_path_buf(),
        })
    }

    /// Moves the spans of `dump` out to the partitions and keeps only resource attributes.
    pub(super) fn drain(&mut self, dump: &mut Dump) {
        if self.error.is_none()
            && let Err(e) = self.write_spans(dump).and_then(|()| self.write_logs(dump))
        {
            self.error = Some(e);
        }
        dump.logs.clear();
        dump.spans.clear();
        dump.loc_bases.clear();
        dump.events.clear();
        dump.links.clear();
        dump.scopes.clear();
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

    pub(super) fn write_spans(&mut self, dump: &Dump) -> io::Result<()> {
        let n = self.parts.len();
        for s in &dump.spans {
            self.index.write_all(&index_record(&SpanRef::of(dump, s)))?;
            self.spilled += INDEX_RECORD as u64;
            if self.shard.covers(crate::digest::bucket(s.trace_id)) {
                self.buf.clear();
                encode_span(dump, s, self.next, &mut self.buf);
                let p = partition_of(s.trace_id, self.shard, n);
                self.parts[p].write_all(&self.buf)?;
                self.counts[p] += 1;
                self.spilled += self.buf.len() as u64;
            }
            self.next = self.next.checked_add(1).ok_or_else(|| io::Error::other("more than 4 billion spans"))?;
        }
        Ok(())
    }

    /// Writes the logs of `dump` (those of the shard) to the partitions of their traces.
    fn write_logs(&mut self, dump: &Dump) -> io::Result<()> {
        let n = self.parts.len();
        for l in &dump.logs {
            if !self.shard.covers(crate::digest::bucket(l.trace_id)) {
                continue;
            }
            let p = partition_of(l.trace_id, self.shard, n);
            let w = match &mut self.log_parts[p] {
                Some(w) => w,
                slot => slot.insert(BufWriter::with_capacity(64 << 10, File::create(logs_path(&self.dir, p))?)),
            };
            w.write_all(&log_record(l))?;
            self.spilled += LOG_RECORD as u64;
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> io::Result<Vec<u64>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        for w in self.parts.iter_mut().chain(self.log_parts.iter_mut().flatten()) {
            w.flush()?;
        }
        self.index.flush()?;
        Ok(self.counts)
    }
}

pub(super) fn part_path(dir: &Path, p: usize) -> PathBuf {
    dir.join(format!("part-{p:04}.bin"))
}

/// The partitions written by pass 1, with the shared tables.
pub(super) struct Partitions {
    pub(super) dir: TempDir,
    pub(super) counts: Vec<u64>,
    pub(super) resource_attrs: usize,
}

impl Partitions {
    /// Loads partition `p` into a dump built around the shared tables of `skel`, runs `f` on
    /// it with the whole-dump index of each of its spans, and gives the tables back.
    pub(super) fn with<R>(&self, skel: &mut Dump, p: usize, f: impl FnOnce(&Dump, &[u32]) -> R) -> io::Result<R> {
        let n = self.counts[p] as usize;
        let mut part = Dump {
            files: std::mem::take(&mut skel.files),
            strings: std::mem::take(&mut skel.strings),
            resources: std::mem::take(&mut skel.resources),
            scopes: Vec::new(),
            attrs: std::mem::take(&mut skel.attrs),
            spans: Vec::with_capacity(n),
            events: Vec::new(),
            links: Vec::new(),
            logs: Vec::new(),
            loc_bases: Vec::new(),
        };
        let mut global = Vec::with_capacity(n);
        let read = (|| -> io::Result<()> {
            let mut d = Decoder { r: BufReader::with_capacity(1 << 20, File::open(part_path(&self.dir.0, p))?) };
            while let Some(g) = d.span(&mut part)? {
                global.push(g);
            }
            match File::open(logs_path(&self.dir.0, p)) {
                Ok(f) => {
                    let mut r = BufReader::with_capacity(1 << 16, f);
                    let mut b = [0u8; LOG_RECORD];
                    loop {
                        match io::Read::read_exact(&mut r, &mut b) {
                            Ok(()) => part.logs.push(from_log_record(&b)),
                            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
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

    pub(super) fn index(&self) -> io::Result<File> {
        File::open(self.dir.0.join("spans.idx"))
    }
}
