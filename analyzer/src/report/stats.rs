//! The `stats` report: per group of spans (by service, name and/or kind), count, errors,
//! error rate, min, mean, exact percentiles, max and self time, computed with polars; one
//! writer per format (table, CSV, JSON, Parquet).

use super::Tool;
use crate::graph::{self, Traces};
use crate::model::Dump;
use crate::model::time::fmt_ns;
use crate::stats::frame::{self, By};
use polars_core::prelude::*;
use polars_io::prelude::*;
use std::io::{self, Write};

/// The JSON schema identifier of the stats report.
pub const SCHEMA: &str = "tracecheck.stats/v1";

/// The statistics of a dump, or of the spans a selector chose.
#[derive(Debug)]
pub struct StatsReport {
    /// The grouping columns.
    pub by: Vec<By>,
    /// One row per group, sorted by the group columns (see [`frame::group_stats`]).
    pub table: DataFrame,
    /// Spans the statistics are over.
    pub spans: usize,
    /// The digest of every span of the dump ([`crate::digest::spans`]).
    pub spans_digest: String,
}

impl StatsReport {
    /// The statistics of the spans of `dump` that `mask` keeps (all without one).
    pub fn new(dump: &Dump, traces: &Traces, by: &[By], mask: Option<&[bool]>) -> PolarsResult<StatsReport> {
        let self_ns = graph::self_times(dump, traces);
        let table = frame::spans_frame(dump, mask, &self_ns, by).and_then(|spans| frame::group_stats(&spans, by))?;
        let spans = mask.map_or(dump.spans.len(), |m| m.iter().filter(|x| **x).count());
        Ok(StatsReport { by: by.to_vec(), table, spans, spans_digest: crate::digest::spans(dump) })
    }
}

/// A failure to write a stats report.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("{0}")]
    Polars(#[from] PolarsError),
}

/// CSV with a header line, written by polars.
pub fn write_csv(report: &StatsReport, out: &mut dyn Write) -> Result<(), WriteError> {
    let mut table = report.table.clone();
    CsvWriter::new(out).include_header(true).finish(&mut table)?;
    Ok(())
}

/// Parquet, written by polars (opens in pandas and DuckDB with the same numbers).
pub fn write_parquet(report: &StatsReport, out: impl Write) -> Result<(), WriteError> {
    let mut table = report.table.clone();
    ParquetWriter::new(out).finish(&mut table)?;
    Ok(())
}

/// The JSON form (schema [`SCHEMA`]); keys in name order, as v1 has always written them.
#[derive(serde::Serialize)]
struct Json<'a> {
    schema: &'static str,
    tool: Tool,
    digest: JsonDigest<'a>,
    by: Vec<&'a str>,
    spans: usize,
    unit: &'static str,
    percentile_method: &'static str,
    groups: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(serde::Serialize)]
struct JsonDigest<'a> {
    spans: &'a str,
    spans_method: &'static str,
}

/// A cell of the table as JSON (strings, integers, floats; nulls stay null).
fn cell(col: &Column, row: usize) -> serde_json::Value {
    match col.get(row) {
        Ok(AnyValue::String(s)) => s.into(),
        Ok(AnyValue::UInt64(v)) => v.into(),
        Ok(AnyValue::Float64(v)) => serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
        _ => serde_json::Value::Null,
    }
}

/// Pretty JSON followed by a newline.
pub fn write_json(report: &StatsReport, out: &mut dyn Write) -> io::Result<()> {
    let t = &report.table;
    let groups = (0..t.height())
        .map(|r| {
            t.columns()
                .iter()
                .filter(|c| c.name().as_str() != "percentile_method")
                .map(|c| (c.name().to_string(), cell(c, r)))
                .collect()
        })
        .collect();
    let json = Json {
        schema: SCHEMA,
        tool: Tool::this(),
        digest: JsonDigest { spans: &report.spans_digest, spans_method: crate::digest::SPANS_METHOD },
        by: report.by.iter().map(|b| b.column()).collect(),
        spans: report.spans,
        unit: "ns",
        percentile_method: frame::METHOD,
        groups,
    };
    super::write_sorted_json(&json, out)
}

/// The table for people: group columns left-aligned, figures right-aligned, durations in
/// their unit, and a closing line naming the percentile method.
pub fn write_table(report: &StatsReport, out: &mut dyn Write) -> io::Result<()> {
    let (table, by) = (&report.table, &report.by);
    let ns = |c: &str, r: usize| match table.column(c).ok().and_then(|c| c.get(r).ok()) {
        Some(AnyValue::UInt64(v)) => fmt_ns(v),
        Some(AnyValue::Float64(v)) => fmt_ns(v.round() as u64),
        _ => "-".into(),
    };
    let text = |c: &str, r: usize| match table.column(c).ok().and_then(|c| c.get(r).ok()) {
        // Names from the dump, escaped for the terminal.
        Some(AnyValue::String(s)) => super::term::escape(s).into_owned(),
        Some(AnyValue::UInt64(v)) => v.to_string(),
        Some(AnyValue::Float64(v)) => format!("{:.1}%", v * 100.0),
        _ => "-".into(),
    };
    let mut header: Vec<String> = by.iter().map(|b| b.column().to_owned()).collect();
    header.extend(
        ["count", "errors", "err%", "min", "mean", "p50", "p90", "p95", "p99", "max", "self"].map(str::to_owned),
    );
    let mut rows = vec![header];
    for r in 0..table.height() {
        let mut row: Vec<String> = by.iter().map(|b| text(b.column(), r)).collect();
        row.push(text("count", r));
        row.push(text("errors", r));
        row.push(text("error_rate", r));
        for c in ["min_ns", "mean_ns", "p50_ns", "p90_ns", "p95_ns", "p99_ns", "max_ns", "self_mean_ns"] {
            row.push(ns(c, r));
        }
        rows.push(row);
    }
    // Columns measured on screen (CJK names take two columns a character); a name column
    // is at most 60 wide, longer names are cut with `…`.
    const MAX_NAME: usize = 60;
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| {
            let w = rows.iter().map(|r| super::term::width(&r[i])).max().unwrap_or(0);
            if i < by.len() { w.min(MAX_NAME) } else { w }
        })
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(
                |(i, c)| {
                    if i < by.len() { super::term::fit(c, widths[i]) } else { super::term::pad_left(c, widths[i]) }
                },
            )
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    writeln!(
        out,
        "\n{} groups over {} spans; self = mean self time; percentiles: {}",
        table.height(),
        report.spans,
        frame::METHOD
    )
}
