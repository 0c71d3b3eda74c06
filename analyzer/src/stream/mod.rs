//! Streaming mode, for dumps larger than memory.
//!
//! Pass 0 copies stdin and pipes to the temporary directory and decompresses gzip and zstd
//! streams there, so no input is ever whole in memory and the partitions can be sized from
//! the text to decode.
//!
//! Pass 1 reads the inputs as the in-memory load does, a few chunks at a time, and moves
//! every decoded span (with its attributes, events and links) to one of N partition files
//! chosen by its trace's bucket, so each trace, and each bucket, lands whole in one
//! partition. With a shard (`check --shard K/N`), only the spans of the shard's buckets are
//! kept; the span index still lists every span. The files,
//! the string table and the resources stay in memory: all partitions share them, so symbols
//! and resource indexes mean the same everywhere. A span index file keeps, in input order,
//! each span's ids, start and location.
//!
//! Pass 2 loads one partition at a time, runs the same per-trace work as the in-memory
//! analysis ([`crate::analysis`]) and makes the partition's [`Partial`]; the partials merge
//! as shards' partials do, orphans are resolved by one scan of the span index, and the
//! result settles once ([`Partial::settle`]). The report is the in-memory one, byte for byte.
//!
//! Memory: the string table and resources, the partition being analysed, and per span a
//! duration and the values rule aggregates keep. One trace is never split, so a single trace
//! larger than the budget is analysed whole.

mod codec;
mod spill;
mod spool;
mod tempdir;

use crate::analysis::partial::{InputsRec, Partial, Shard};
use crate::analysis::{self, Analysis, Options};
use crate::graph;
use crate::input::{self, Loaded, Sink};
use crate::model::{Dump, TraceId};
use spill::{INDEX_RECORD, Partitions, Spill, from_index_record};
use spool::{Prepared, load_prepared, prepare};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;
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

/// The partition of a trace kept by `shard`, among `n`: a partition holds whole buckets.
pub(super) fn partition_of(t: TraceId, shard: Shard, n: usize) -> usize {
    (u32::from(crate::digest::bucket(t)) / shard.n) as usize % n
}

/// Analyses `inputs` as [`analysis::analyze`] does, partition by partition.
pub fn analyze(inputs: &input::Inputs, opts: &Options, s: &StreamOptions) -> io::Result<(Analysis, StreamStats)> {
    let (partial, stats) = partial(inputs, opts, s, Shard::ALL)?;
    Ok((partial.settle(opts), stats))
}

/// The partial result of the traces of `shard`, partition by partition: every input is
/// read, only the shard's spans are kept (on disk), orphans are resolved against every span.
pub fn partial(
    inputs: &input::Inputs,
    opts: &Options,
    s: &StreamOptions,
    shard: Shard,
) -> io::Result<(Partial, StreamStats)> {
    partial_of(inputs, opts, s, shard, false)
}

/// The partial result of shard `shard` from inputs that hold only its traces (split by trace
/// bucket beforehand: by ClickHouse, Spark, or a script); `merge` adds up the inputs of
/// such partials. Orphans are resolved against the spans of these inputs only. An input
/// span of another shard's trace is an error: the inputs were not split by bucket.
pub fn presplit_partial(
    inputs: &input::Inputs,
    opts: &Options,
    s: &StreamOptions,
    shard: Shard,
) -> io::Result<(Partial, StreamStats)> {
    let (p, stats) = partial_of(inputs, opts, s, shard, true)?;
    let acc = &p.inputs.as_ref().map(|i| i.accounting.clone()).unwrap_or_default();
    let foreign = (acc.spans_read - acc.spans_dropped).saturating_sub(p.spans);
    if foreign > 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, crate::analysis::partial::not_presplit(foreign, shard)));
    }
    Ok((p, stats))
}

fn partial_of(
    inputs: &input::Inputs,
    opts: &Options,
    s: &StreamOptions,
    shard: Shard,
    presplit: bool,
) -> io::Result<(Partial, StreamStats)> {
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
    let estimate =
        prepared.iter().map(Prepared::content_len).sum::<Option<u64>>().map(|b| (b + b / 5) / u64::from(shard.n));
    let n = s.partitions.unwrap_or_else(|| partitions_for(estimate, s.budget)).max(1);

    // Pass 1: decode and spill.
    let mut spill = Spill::new(&dir.0, n, shard)?;
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
    let inputs_rec = InputsRec::of(&loaded, opts);
    let input_findings = crate::analysis::partial::input_findings(&loaded);
    let skel = &mut loaded.dump;
    let syms = opts.rules.as_deref().map(|r| r.bind(skel)).unwrap_or_default();
    let resource_digests = crate::digest::resource_digests(skel);
    let mut total = Partial::empty(opts, shard);
    for p in 0..n {
        let part = parts.with(skel, p, |dump, _| {
            let traces = graph::group(dump);
            let g = analysis::gather(dump, &traces, opts, &syms, &resource_digests);
            Partial::gathered(dump, g, opts, &syms, &input_findings)
        })?;
        total.merge(part);
    }

    // Orphans against every span of the dump, in the span index.
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
        crate::checks::parent_traces(&total.dump.orphans, refs.map(|r| (r.span_id, r.trace_id)))
    };
    if let Some(e) = scan_error {
        return Err(e);
    }
    total.resolve_orphans(&traces_of);
    // Pre-split inputs are this shard's alone: all their findings are its own.
    let owner = if presplit { Shard::ALL } else { shard };
    total.take_input_findings(input_findings, owner, opts, &inputs_rec.files);
    total.inputs = Some(inputs_rec);
    total.presplit = presplit;
    Ok((total, stats))
}
