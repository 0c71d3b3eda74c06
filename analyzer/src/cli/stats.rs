//! `tracecheck stats FILES…`

use super::{EXIT_USAGE, load_or_exit, parse_filter, write_out};
use clap::ValueEnum;
use polars_core::prelude::*;
use polars_io::prelude::*;
use std::path::PathBuf;
use tracecheck::graph;
use tracecheck::model::time::fmt_ns;
use tracecheck::stats::frame::{self, By};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Trace dumps (files, directories or `-`), analysed together.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Group by these columns, comma separated: service, name, kind.
    #[arg(long, default_value = "service,name", value_parser = parse_by)]
    by: ByList,
    /// Only spans this selector of the rule language matches, e.g.
    /// '{ resource.service.name = "api" && kind = server }' or '{ name = "dht.put" } > { }'.
    #[arg(long = "where", value_name = "SELECTOR")]
    filter: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write here instead of stdout (required for parquet).
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct ByList(Vec<By>);

fn parse_by(s: &str) -> Result<ByList, String> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let by = By::parse(part).ok_or_else(|| format!("unknown column {part:?} (service, name, kind)"))?;
        if !out.contains(&by) {
            out.push(by);
        }
    }
    if out.is_empty() {
        return Err("at least one of service, name, kind".into());
    }
    Ok(ByList(out))
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
    Parquet,
}

pub fn run(args: Args) -> u8 {
    let filter = match parse_filter(args.filter.as_deref()) {
        Ok(f) => f,
        Err(code) => return code,
    };
    if matches!(args.format, Format::Parquet) && args.output.is_none() {
        eprintln!("tracecheck: --format parquet needs --output FILE");
        return EXIT_USAGE;
    }
    let loaded = match load_or_exit(&args.files) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let dump = &loaded.dump;
    let traces = graph::group(dump);
    let mask = filter.as_ref().map(|f| f.mask(dump, &traces));
    let self_ns = frame::self_times(dump, &traces);
    let table =
        frame::spans_frame(dump, mask.as_deref(), &self_ns).and_then(|spans| frame::group_stats(&spans, &args.by.0));
    let mut table = match table {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tracecheck: cannot compute the statistics: {e}");
            return EXIT_USAGE;
        }
    };
    let selected = mask.as_ref().map_or(dump.spans.len(), |m| m.iter().filter(|x| **x).count());
    let mut buf = Vec::new();
    let written: Result<(), String> = match args.format {
        Format::Csv => CsvWriter::new(&mut buf).include_header(true).finish(&mut table).map_err(|e| e.to_string()),
        Format::Parquet => {
            let path = args.output.as_ref().expect("checked above");
            std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))
                .and_then(|f| ParquetWriter::new(f).finish(&mut table).map(drop).map_err(|e| e.to_string()))
        }
        Format::Json => json(&table, &args.by.0, dump, selected).map(|v| {
            buf = serde_json::to_vec_pretty(&v).unwrap_or_default();
            buf.push(b'\n');
        }),
        Format::Table => {
            buf = human(&table, &args.by.0, selected).into_bytes();
            Ok(())
        }
    };
    if let Err(e) = written {
        eprintln!("tracecheck: {e}");
        return EXIT_USAGE;
    }
    if matches!(args.format, Format::Parquet) {
        return 0;
    }
    write_out(&buf, args.output.as_deref())
}

/// Column values of `table` as JSON (strings, integers, floats; nulls stay null).
fn cell(col: &Column, row: usize) -> serde_json::Value {
    match col.get(row) {
        Ok(AnyValue::String(s)) => s.into(),
        Ok(AnyValue::UInt64(v)) => v.into(),
        Ok(AnyValue::Float64(v)) => serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
        _ => serde_json::Value::Null,
    }
}

fn json(
    table: &DataFrame,
    by: &[By],
    dump: &tracecheck::model::Dump,
    selected: usize,
) -> Result<serde_json::Value, String> {
    let rows: Vec<serde_json::Value> = (0..table.height())
        .map(|r| {
            let obj: serde_json::Map<String, serde_json::Value> = table
                .columns()
                .iter()
                .filter(|c| c.name().as_str() != "percentile_method")
                .map(|c| (c.name().to_string(), cell(c, r)))
                .collect();
            serde_json::Value::Object(obj)
        })
        .collect();
    Ok(serde_json::json!({
        "schema": "tracecheck.stats/v1",
        "tool": { "name": "tracecheck", "version": env!("CARGO_PKG_VERSION") },
        "digest": { "spans": tracecheck::digest::spans(dump), "spans_method": tracecheck::digest::SPANS_METHOD },
        "by": by.iter().map(|b| b.column()).collect::<Vec<_>>(),
        "spans": selected,
        "unit": "ns",
        "percentile_method": frame::METHOD,
        "groups": rows,
    }))
}

fn human(table: &DataFrame, by: &[By], selected: usize) -> String {
    let ns = |c: &str, r: usize| match table.column(c).ok().and_then(|c| c.get(r).ok()) {
        Some(AnyValue::UInt64(v)) => fmt_ns(v),
        Some(AnyValue::Float64(v)) => fmt_ns(v.round() as u64),
        _ => "-".into(),
    };
    let text = |c: &str, r: usize| match table.column(c).ok().and_then(|c| c.get(r).ok()) {
        Some(AnyValue::String(s)) => s.to_owned(),
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
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(
                |(i, c)| {
                    if i < by.len() { format!("{c:<w$}", w = widths[i]) } else { format!("{c:>w$}", w = widths[i]) }
                },
            )
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "\n{} groups over {selected} spans; self = mean self time; percentiles: {}\n",
        table.height(),
        frame::METHOD
    ));
    out
}
