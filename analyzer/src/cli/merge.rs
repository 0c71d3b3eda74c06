//! `tracecheck merge PARTIAL…`

use super::Exit;
use super::check::{ReportArgs, write_report};
use std::path::PathBuf;
use std::sync::Arc;
use tracecheck::analysis::Options;
use tracecheck::finding::FindingsOut;
use tracecheck::partial;
use tracecheck::report;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Partial results written by `check --shard K/N --partial-out FILE`, one per shard.
    #[arg(required = true, value_name = "PARTIAL")]
    partials: Vec<PathBuf>,
    /// Write the findings only the merge can make (dump-wide checks, rule aggregates over
    /// the dump) to FILE: JSON lines, or Parquet when the name ends in `.parquet`. With the
    /// shards' own --findings-out files, every finding is written once.
    #[arg(long, value_name = "FILE")]
    findings_out: Option<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
}

pub fn run(mut args: Args) -> Exit {
    if let Err(exit) = args.report.apply_config() {
        return exit;
    }
    let r = &args.report;
    let mut parts = Vec::with_capacity(args.partials.len());
    for path in &args.partials {
        match partial::read(path) {
            Ok(p) => parts.push((path.display().to_string(), p)),
            Err(e) => return refuse(&e),
        }
    }
    let merged = match partial::combine(parts, r.max_findings()) {
        Ok(m) => m,
        Err(e) => return refuse(&e),
    };
    let rules = match merged.settings.rules() {
        Ok(rules) => rules.map(Arc::new),
        Err(message) => return refuse(&partial::MergeError { path: args.partials[0].display().to_string(), message }),
    };
    let mut opts = Options { rules, max_findings: r.max_findings(), ..Options::default() };
    opts.checks.skew_tolerance = merged.settings.skew_tolerance;
    opts.checks.min_export_success = merged.settings.min_export_success;
    opts.load.max_record_bytes = merged.settings.max_record_bytes as usize;
    if let Some(path) = &args.findings_out {
        match FindingsOut::create(path, report::check_names(opts.rules.as_deref())) {
            Ok(out) => opts.findings_out = Some(Arc::new(out)),
            Err(e) => {
                eprintln!("tracecheck: cannot create {}: {e}", path.display());
                return Exit::Incomplete;
            }
        }
    }
    let analysis = merged.settle(&opts);
    if let Err(exit) = super::check::finish_findings_out(&opts) {
        return exit;
    }
    if analysis.missing_buckets.is_some() {
        eprintln!("tracecheck: the partials do not cover every trace bucket: the report says which are missing");
    }
    let report = match r.report(&analysis) {
        Ok(report) => report,
        Err(exit) => return exit,
    };
    write_report(&report, &analysis, None, r)
}

/// Prints why the partials cannot be merged (control characters of a file name escaped).
fn refuse(e: &partial::MergeError) -> Exit {
    eprintln!("tracecheck: {}", tracecheck::report::term::escape(&e.to_string()));
    Exit::Usage
}
