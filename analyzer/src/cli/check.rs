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
    /// Rule packs to evaluate besides the built-in checks: TOML files, or directories
    /// (every *.toml in them).
    #[arg(long = "rules", short = 'r', value_name = "PACK")]
    rules: Vec<PathBuf>,
    /// Output format. `github` prints workflow annotations and, when
    /// $GITHUB_STEP_SUMMARY is set, appends the Markdown summary to that file.
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
    /// Larger JSON records are reported (I007) and skipped unparsed (e.g. 512MiB, 2GB).
    #[arg(long, default_value = "1GiB", value_parser = super::parse_size)]
    max_record_size: usize,
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
    Junit,
    Github,
    Markdown,
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
    opts.load.max_record_bytes = args.max_record_size;
    match super::load_rules(&args.rules) {
        Ok(r) => opts.rules = r,
        Err(code) => return code,
    }
    let (progress, bar) = super::progress::Bar::start(&args.files);
    opts.load.progress = progress;
    let analysis = analysis::analyze(&args.files, &opts);
    bar.finish();
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
        Format::Junit => report::junit::write(&report, &mut buf),
        Format::Markdown => report::markdown::write(&report, &mut buf),
        Format::Github => report::github::write(&report, args.max_per_code, &mut buf).and_then(|()| {
            match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
                Some(path) => {
                    let mut md = Vec::new();
                    report::markdown::write(&report, &mut md)?;
                    std::fs::OpenOptions::new().create(true).append(true).open(path)?.write_all(&md)
                }
                None => Ok(()),
            }
        }),
        Format::Human => {
            let style = report::human::Style { color, per_code: args.max_per_code, ..Default::default() };
            report::human::write(&report, style, &mut buf)
        }
    };
    if let Err(e) = written {
        eprintln!("tracecheck: cannot write the report: {e}");
        return EXIT_USAGE;
    }
    match super::write_out(&buf, args.output.as_deref()) {
        0 => report.verdict.exit_code,
        failed => failed,
    }
}
