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

mod codec;
mod digests;
mod spill;
mod spool;
mod tempdir;

use crate::analysis::{self, Analysis, Gathered, Options};
use crate::graph;
use crate::input::{self, Loaded, Sink};
use crate::model::{Dump, SpanRef, TraceId};
use rayon::prelude::*;
use spill::{INDEX_RECORD, Partitions, Spill, from_index_record};
use spool::{Prepared, load_prepared, prepare};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use tempdir::TempDir;

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
pub(super) fn partition_of(t: TraceId, n: usize) -> usize {
    let (a, b) = t.0.split_at(8);
    let x = u64::from_le_bytes(a.try_into().unwrap_or_default()) ^ u64::from_le_bytes(b.try_into().unwrap_or_default());
    // A multiplicative mix, so ids that differ only in a few bits spread too.
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % n
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
    settled.spans_digest = digests::merge_digests(&digest_files)?;

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
