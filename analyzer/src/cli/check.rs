//! `tracecheck check FILES…`

use super::{EXIT_USAGE, FailOn};
use clap::ValueEnum;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use tracecheck::analysis::{self, Options};
use tracecheck::model::time::parse_duration;
use tracecheck::report::{self, Report, VerdictOptions};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Trace dumps: files, directories (files in name order) or `-` for stdin; all are
    /// analysed together as one dump.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit 1 when there are findings of this severity or worse.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// How far a child may start before or end after its parent, and how large a clock
    /// offset between hosts must be, before it is reported (e.g. 500us, 2ms).
    #[arg(long, default_value = "1ms", value_parser = parse_duration)]
    skew_tolerance: u64,
    /// Accept input without any spans (exit 0 instead of 3).
    #[arg(long)]
    allow_empty: bool,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Findings shown per code in human output.
    #[arg(long, default_value_t = 10)]
    max_per_code: usize,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

pub fn run(args: Args) -> u8 {
    let mut opts = Options::default();
    opts.checks.skew_tolerance = args.skew_tolerance;
    let analysis = analysis::analyze(&args.files, &opts);
    let report = Report::new(&analysis, VerdictOptions { fail_on: args.fail_on.into(), allow_empty: args.allow_empty });
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let mut buf = Vec::new();
    let written = match args.format {
        Format::Json => report::json::write(&report, &mut buf),
        Format::Human => {
            let style = report::human::Style { color, per_code: args.max_per_code, ..Default::default() };
            report::human::write(&report, style, &mut buf)
        }
    };
    let result = written.and_then(|()| match &args.output {
        Some(path) => std::fs::write(path, &buf),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf).and_then(|()| out.flush())
        }
    });
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return report.verdict.exit_code;
        }
        eprintln!("tracecheck: cannot write the report: {e}");
        return EXIT_USAGE;
    }
    report.verdict.exit_code
}
