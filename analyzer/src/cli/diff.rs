//! `tracecheck diff BASE CANDIDATE`

use super::args::Output;
use super::{Exit, load_or_exit, write_out};
use clap::ValueEnum;
use std::path::PathBuf;
use tracecheck::diff::Tolerance;
use tracecheck::model::time::parse_duration;
use tracecheck::report::diff::{self, DiffReport};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The reference run (a dump file or directory).
    base: PathBuf,
    /// The run to judge against it.
    candidate: PathBuf,
    /// A latency percentile (p50, p90, p99) regresses when it grows by more than this…
    /// (also the tolerance on the rate of structural defects per span)
    #[arg(long, default_value = "20%", value_parser = super::parse_percent)]
    max_regression: f64,
    /// …and by more than this.
    #[arg(long, default_value = "1ms", value_parser = parse_duration)]
    min_delta: u64,
    /// An error rate regresses when it grows by more than this many percentage points.
    #[arg(long, default_value = "1%", value_parser = super::parse_percent)]
    max_error_increase: f64,
    /// An operation's span count regresses when it changes (up or down) by more than this
    /// part of the base count: spans lost, or sent twice…
    #[arg(long, default_value = "50%", value_parser = super::parse_percent)]
    max_count_change: f64,
    /// …and either run has at least this many spans of the operation.
    #[arg(long, value_name = "N", default_value_t = 10)]
    min_count: u64,
    /// Compare percentiles only when both runs have at least N timed spans of the
    /// operation (and at least 100 for p99, 10 for p90: fewer make the maximum).
    #[arg(long, value_name = "N", default_value_t = 20)]
    min_samples: u64,
    /// Output format: `human`, `json` (the diff report, schema `tracecheck.diff/v2`), or
    /// `html` (one page, with -o).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also list operations that did not change.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    output: Output,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
    /// One self-contained HTML page (use with -o): each operation shown with its two
    /// latency distributions side by side.
    Html,
}

pub fn run(args: Args) -> Exit {
    let base = match load_or_exit(std::slice::from_ref(&args.base)) {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    let candidate = match load_or_exit(std::slice::from_ref(&args.candidate)) {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    let tol = Tolerance {
        max_regression: args.max_regression,
        min_delta_ns: args.min_delta,
        max_error_rate_increase: args.max_error_increase,
        max_count_change: args.max_count_change,
        min_count: args.min_count,
        min_samples: args.min_samples,
    };
    let (base_path, candidate_path) = (args.base.display().to_string(), args.candidate.display().to_string());
    let report = DiffReport::new((&base_path, &base.dump), (&candidate_path, &candidate.dump), tol, args.all);
    let mut buf = Vec::new();
    let written = match args.format {
        Format::Json => diff::write_json(&report, &mut buf),
        Format::Human => diff::write_human(&report, &mut buf),
        Format::Html => tracecheck::report::html::write_diff(&report, &mut buf),
    };
    if let Err(e) = written {
        eprintln!("tracecheck: cannot write the report: {e}");
        return Exit::Incomplete;
    }
    write_out(&buf, args.output.path(), Exit::failed_if(report.failed()))
}
