//! `tracecheck._native`: the analyzer's entry points for the Python package. Each returns
//! JSON text (a report or a partial result) that the Python side parses; errors become
//! `tracecheck.TracecheckError` with the message the command line would print. The GIL is
//! released while Rust works, so Spark's Python workers run in parallel.

use polars_arrow::array::{Array, StructArray};
use polars_arrow::ffi::{self, ArrowArray, ArrowSchema};
use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use std::path::PathBuf;
use std::sync::Arc;
use tracecheck::analysis::{self, Options};
use tracecheck::finding::{FindingsOut, Severity};
use tracecheck::input::Loaded;
use tracecheck::input::arrow::ArrowInput;
use tracecheck::input::otel_traces::read::Column;
use tracecheck::partial::{self, Partial, Shard};
use tracecheck::report::{Report, VerdictOptions};
use tracecheck::rules::RuleSet;

create_exception!(_native, TracecheckError, pyo3::exceptions::PyException);

fn error(message: impl std::fmt::Display) -> PyErr {
    TracecheckError::new_err(message.to_string())
}

/// The options of a run: rule packs (every error of every pack in one message) and the
/// number of findings listed per code.
fn options(rules: &[String], max_findings: usize) -> Result<Options, String> {
    let mut opts = Options { max_findings, ..Options::default() };
    if !rules.is_empty() {
        let paths: Vec<PathBuf> = rules.iter().map(PathBuf::from).collect();
        let set = RuleSet::load(&paths).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!("{} error(s) in the rule packs:\n{}", lines.len(), lines.join("\n"))
        })?;
        opts.rules = Some(Arc::new(set));
    }
    Ok(opts)
}

/// Writes every finding the run makes to `path` (Parquet), as `--findings-out` does.
fn findings_out(opts: &mut Options, path: Option<&str>) -> Result<(), String> {
    if let Some(path) = path {
        let names = tracecheck::report::check_names(opts.rules.as_deref());
        let out = FindingsOut::create(std::path::Path::new(path), names).map_err(|e| format!("{path}: {e}"))?;
        opts.findings_out = Some(Arc::new(out));
    }
    Ok(())
}

/// Closes the findings file of `opts`, if any.
fn finish_findings(opts: &Options) -> Result<(), String> {
    match &opts.findings_out {
        Some(out) => out.finish().map(|_| ()).map_err(|e| format!("{}: {e}", out.path().display())),
        None => Ok(()),
    }
}

fn verdict(fail_on: &str, allow_empty: bool) -> Result<VerdictOptions, String> {
    let fail_on =
        Severity::parse(fail_on).ok_or_else(|| format!("fail_on {fail_on:?}: expected error, warning or info"))?;
    Ok(VerdictOptions { fail_on, allow_empty })
}

fn report_json(report: &Report) -> Result<String, String> {
    let mut out = Vec::new();
    tracecheck::report::json::write(report, &mut out).map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// The JSON report of `tracecheck check PATHS --rules RULES`.
#[pyfunction]
#[pyo3(signature = (paths, rules, fail_on, max_findings, allow_empty))]
fn check(
    py: Python<'_>,
    paths: Vec<String>,
    rules: Vec<String>,
    fail_on: String,
    max_findings: usize,
    allow_empty: bool,
) -> PyResult<String> {
    py.detach(|| {
        let opts = options(&rules, max_findings)?;
        let verdict = verdict(&fail_on, allow_empty)?;
        let inputs: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let a = analysis::analyze(&inputs, &opts);
        report_json(&Report::new(&a, verdict))
    })
    .map_err(error)
}

/// `tracecheck export PATHS -o OUT [--where SELECTOR]`: the number of spans written.
#[pyfunction]
#[pyo3(signature = (paths, out, selector))]
fn export(py: Python<'_>, paths: Vec<String>, out: String, selector: Option<String>) -> PyResult<u64> {
    py.detach(|| {
        let filter =
            selector.as_deref().map(tracecheck::rules::SpanFilter::parse).transpose().map_err(|e| e.to_string())?;
        let inputs: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let loaded = tracecheck::input::load(&inputs, &Default::default());
        if let Some(e) = loaded.errors.first() {
            return Err(format!("{}: {}", e.path, e.message));
        }
        let dump = &loaded.dump;
        let mask = filter.map(|f| f.mask(dump, &tracecheck::graph::group(dump)));
        let file = std::fs::File::create(&out).map_err(|e| format!("{out}: {e}"))?;
        tracecheck::export::write_parquet(dump, mask.as_deref(), std::io::BufWriter::new(file))
            .map_err(|e| format!("{out}: {e}"))
    })
    .map_err(error)
}

/// The kernel of the Spark integration: the spans of one shard (a Spark partition, which
/// holds only that shard's traces) handed over as Arrow record batches in the `otel_traces`
/// layout, through the Arrow C data interface (no copy, no file), then checked in memory as
/// `check --shard K/N --presplit` does. Each batch is decoded into the compact span model
/// as it comes, so the partition is held once, compactly, not as Arrow.
#[pyclass(module = "tracecheck._native")]
struct ShardKernel {
    opts: Options,
    shard: Shard,
    loaded: Loaded,
    input: Option<ArrowInput>,
}

#[pymethods]
impl ShardKernel {
    /// A kernel for shard `k`/`n`; `name` is what the report calls its input. With
    /// `findings_out`, every finding of the shard's traces (and its share of the input's) is
    /// written there as Parquet, as `check --shard K/N --findings-out` writes them.
    #[new]
    #[pyo3(signature = (k, n, rules, max_findings, name, findings_out=None))]
    fn new(
        k: u32,
        n: u32,
        rules: Vec<String>,
        max_findings: usize,
        name: String,
        findings_out: Option<String>,
    ) -> PyResult<ShardKernel> {
        let mut opts = options(&rules, max_findings).map_err(error)?;
        self::findings_out(&mut opts, findings_out.as_deref()).map_err(error)?;
        let shard = Shard::parse(&format!("{k}/{n}")).map_err(error)?;
        let mut loaded = Loaded::default();
        let input = Some(ArrowInput::new(&mut loaded, &name));
        Ok(ShardKernel { opts, shard, loaded, input })
    }

    /// Decodes one batch: any object with `__arrow_c_array__` (a `pyarrow.RecordBatch`).
    /// Columns named with `__dot__` (Spark's stand-in for a dot) are read as dotted.
    fn add(&mut self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<()> {
        let columns = import_batch(batch)?;
        let Some(input) = self.input.as_mut() else { return Err(error("the kernel has finished")) };
        let loaded = &mut self.loaded;
        let bytes: u64 = columns.iter().map(|(_, a)| array_bytes(a.as_ref())).sum();
        let made = py.detach(|| input.add(loaded, &columns, bytes));
        // The arrays go back to pyarrow with the interpreter held.
        drop(columns);
        made.map_err(error)
    }

    /// The partial result (JSON) of the batches added: latency as sketches, so it stays
    /// small whatever the number of spans.
    fn finish(&mut self, py: Python<'_>) -> PyResult<String> {
        let Some(input) = self.input.take() else { return Err(error("the kernel has finished")) };
        let loaded = std::mem::take(&mut self.loaded);
        let (opts, shard) = (&self.opts, self.shard);
        py.detach(move || {
            let mut loaded = loaded;
            input.finish(&mut loaded);
            let made = analysis::presplit_partial_of_loaded(&loaded, opts, shard);
            drop(loaded);
            let written = finish_findings(opts);
            let mut p = made?;
            written?;
            p.sketch_latency();
            serde_json::to_string(&p).map_err(|e| e.to_string())
        })
        .map_err(error)
    }
}

/// The columns of an Arrow record batch (by the Arrow PyCapsule interface), by name.
fn import_batch(batch: &Bound<'_, PyAny>) -> PyResult<Vec<Column>> {
    let pair = batch.call_method0("__arrow_c_array__")?;
    let (schema, array): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) = pair.extract()?;
    let schema_ptr = schema.pointer_checked(Some(c"arrow_schema"))?.cast::<ArrowSchema>();
    let array_ptr = array.pointer_checked(Some(c"arrow_array"))?.cast::<ArrowArray>();
    // SAFETY: by the Arrow PyCapsule interface, the capsules named `arrow_schema` and
    // `arrow_array` hold a valid ArrowSchema and ArrowArray, alive as long as the capsules
    // (held here). The schema is only read (copied into a Field); the array is moved out,
    // leaving a released one (release = NULL) for the capsule's destructor, as the
    // interface asks of a consumer.
    let field = unsafe { ffi::import_field_from_c(schema_ptr.as_ref()) }
        .map_err(|e| error(format!("not an Arrow batch this kernel reads: {e}")))?;
    let raw = unsafe { std::ptr::replace(array_ptr.as_ptr(), ArrowArray::empty()) };
    let imported = unsafe { ffi::import_array_from_c(raw, field.dtype.clone()) }
        .map_err(|e| error(format!("not an Arrow batch this kernel reads: {e}")))?;
    let Some(record) = imported.as_any().downcast_ref::<StructArray>() else {
        return Err(error(format!("an Arrow batch must be a struct of columns, not {:?}", field.dtype)));
    };
    Ok(record.fields().iter().zip(record.values()).map(|(f, a)| (f.name.replace("__dot__", "."), a.clone())).collect())
}

/// The bytes an array's buffers take (what the report counts as the input's size).
fn array_bytes(a: &dyn Array) -> u64 {
    polars_arrow::compute::aggregate::estimated_bytes_size(a) as u64
}

/// The partial result of shard `k`/`n` that holds no span (a Spark partition that got no
/// row): it covers its buckets, so `merge` knows they were looked at.
#[pyfunction]
#[pyo3(signature = (k, n, rules, max_findings))]
fn empty_partial(k: u32, n: u32, rules: Vec<String>, max_findings: usize) -> PyResult<String> {
    (|| {
        let opts = options(&rules, max_findings)?;
        let shard = Shard::parse(&format!("{k}/{n}"))?;
        let mut p = Partial::empty(&opts, shard);
        p.inputs = Some(Default::default());
        p.presplit = true;
        serde_json::to_string(&p).map_err(|e| e.to_string())
    })()
    .map_err(error)
}

/// The JSON report of `tracecheck merge` over partial results given as JSON text; with
/// `findings_out`, the dump-wide findings (those only the merge can make) are written there
/// as Parquet, as `merge --findings-out` writes them.
#[pyfunction]
#[pyo3(signature = (partials, rules, fail_on, max_findings, allow_empty, findings_out=None))]
fn merge(
    py: Python<'_>,
    partials: Vec<String>,
    rules: Vec<String>,
    fail_on: String,
    max_findings: usize,
    allow_empty: bool,
    findings_out: Option<String>,
) -> PyResult<String> {
    py.detach(|| {
        let mut opts = options(&rules, max_findings)?;
        let verdict = verdict(&fail_on, allow_empty)?;
        let mut parts = Vec::with_capacity(partials.len());
        for (i, text) in partials.iter().enumerate() {
            let p: Partial =
                serde_json::from_str(text).map_err(|e| format!("partial {i}: not a partial result: {e}"))?;
            parts.push((format!("partial {i}"), p));
        }
        let merged = partial::combine(parts, opts.max_findings).map_err(|e| e.to_string())?;
        self::findings_out(&mut opts, findings_out.as_deref())?;
        let analysis = merged.settle(&opts);
        finish_findings(&opts)?;
        report_json(&Report::new(&analysis, verdict))
    })
    .map_err(error)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(export, m)?)?;
    m.add_class::<ShardKernel>()?;
    m.add_function(wrap_pyfunction!(empty_partial, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add("TracecheckError", m.py().get_type::<TracecheckError>())?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
