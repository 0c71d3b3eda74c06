//! `tracecheck._native`: the analyzer's entry points for the Python package. Each returns
//! JSON text (a report or a partial result) that the Python side parses; errors become
//! `tracecheck.TracecheckError` with the message the command line would print. The GIL is
//! released while Rust works, so Spark's Python workers run in parallel.

use pyo3::create_exception;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use tracecheck::analysis::{self, Options};
use tracecheck::finding::Severity;
use tracecheck::input::Inputs;
use tracecheck::partial::{self, Partial, Shard};
use tracecheck::report::{Report, VerdictOptions};
use tracecheck::rules::RuleSet;
use tracecheck::stream::{self, StreamOptions};

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

/// The partial result (JSON) of shard `k`/`n` from Parquet bytes in the `otel_traces` layout
/// that hold only that shard's traces (a Spark partition): `check --shard K/N --presplit`.
#[pyfunction]
#[pyo3(signature = (parquet, k, n, rules, max_findings))]
fn partial_of_parquet(
    py: Python<'_>,
    parquet: Vec<u8>,
    k: u32,
    n: u32,
    rules: Vec<String>,
    max_findings: usize,
) -> PyResult<String> {
    py.detach(|| {
        let opts = options(&rules, max_findings)?;
        let shard = Shard::parse(&format!("{k}/{n}"))?;
        let dir = std::env::temp_dir().join(format!("tracecheck-py-{}-{k}-{n}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let file = dir.join("part.parquet");
        let made = std::fs::write(&file, &parquet).map_err(|e| format!("{}: {e}", file.display())).and_then(|()| {
            let s = StreamOptions { budget: 1 << 30, temp_dir: dir.clone(), partitions: None };
            stream::presplit_partial(&Inputs::resolve(std::slice::from_ref(&file)), &opts, &s, shard)
                .map_err(|e| e.to_string())
        });
        let _ = std::fs::remove_dir_all(&dir);
        let (mut p, _) = made?;
        p.sketch_latency();
        serde_json::to_string(&p).map_err(|e| e.to_string())
    })
    .map_err(error)
}

/// A number no other call of this process gets, for temporary names.
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
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

/// The JSON report of `tracecheck merge` over partial results given as JSON text.
#[pyfunction]
#[pyo3(signature = (partials, rules, fail_on, max_findings, allow_empty))]
fn merge(
    py: Python<'_>,
    partials: Vec<String>,
    rules: Vec<String>,
    fail_on: String,
    max_findings: usize,
    allow_empty: bool,
) -> PyResult<String> {
    py.detach(|| {
        let opts = options(&rules, max_findings)?;
        let verdict = verdict(&fail_on, allow_empty)?;
        let mut parts = Vec::with_capacity(partials.len());
        for (i, text) in partials.iter().enumerate() {
            let p: Partial =
                serde_json::from_str(text).map_err(|e| format!("partial {i}: not a partial result: {e}"))?;
            parts.push((format!("partial {i}"), p));
        }
        let merged = partial::combine(parts, opts.max_findings).map_err(|e| e.to_string())?;
        report_json(&Report::new(&merged.settle(&opts), verdict))
    })
    .map_err(error)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(export, m)?)?;
    m.add_function(wrap_pyfunction!(partial_of_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(empty_partial, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add("TracecheckError", m.py().get_type::<TracecheckError>())?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
