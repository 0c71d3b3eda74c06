//! Reading inputs: files, directories and stdin, format detection from the bytes, record
//! splitting, parallel decoding, and merging into one [`Dump`].

pub mod accounting;
pub mod arrow;
pub mod batch;
mod console;
pub mod container;
pub mod jaeger_json;
pub mod js_inspect;
pub mod otel_traces;
pub mod otlp_json;
pub mod otlp_proto;
pub mod otlp_transcode;
pub mod record;
pub mod rust_stdout;
pub mod source;
pub mod split;
pub mod tape;
pub mod telemetry;
pub mod zipkin_json;

mod content;
mod frames;
mod json;
mod merge;
mod paths;

use content::{decode_windows, load_content};
use frames::decode_frames;
use json::{decode_lines, long_line, with_parser};
use merge::Merger;
pub use paths::{Inputs, expand, is_stdin};

pub use crate::model::source::{Compression, Dialect, Format};
pub use accounting::{Accounting, InputIssue, IssueKind, Signal};

use crate::model::{Dump, InputFile, SourceLoc};
use batch::Batch;
use rayon::prelude::*;
use record::{RecordClass, RecordDecoder};
use split::Layout;
use std::path::{Path, PathBuf};

/// An input that could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Bytes read from stdin so far (it is read whole before it is decoded).
    pub received: std::sync::atomic::AtomicU64,
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
    load_inputs(&Inputs::resolve(inputs), opts)
}

/// As [`load`], for inputs already resolved.
pub fn load_inputs(inputs: &Inputs, opts: &LoadOptions) -> Loaded {
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
/// decoded batches' memory is reused by the next window instead of fresh pages. Two windows
/// of batches are alive at once: with 8 chunks a thread they added 40 MB to the peak of a
/// 500 MB dump at `-j 2`, with 4 about 20 MB, and no time.
fn in_memory_window() -> usize {
    4 * rayon::current_num_threads()
}

/// As [`load`], into `sink`.
pub fn load_into(inputs: &Inputs, opts: &LoadOptions, sink: &mut Sink<'_>) {
    sink.loaded.errors.extend(inputs.errors.iter().cloned());
    for path in &inputs.files {
        load_path(sink, path, &path.display().to_string(), opts);
    }
    if let Some(p) = &opts.progress {
        p.finish_loading();
    }
}

/// Loads one file (or stdin) into `sink`, named `shown` in the report (streaming mode loads
/// its copy of stdin as `-`); a file that cannot be read is a [`LoadError`].
pub fn load_path(sink: &mut Sink<'_>, path: &Path, shown: &str, opts: &LoadOptions) {
    match source::Source::open_counted(path, opts.progress.as_deref()) {
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
