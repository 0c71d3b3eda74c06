//! `tracecheck check FILES…`

use super::args::{Color, Inputs, Output, Rules};
use super::{Exit, FailOn};
use clap::ValueEnum;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use tracecheck::analysis::{self, Options};
use tracecheck::finding::FindingsOut;
use tracecheck::input;
use tracecheck::model::time::parse_duration;
use tracecheck::report::{self, Report, VerdictOptions};
use tracecheck::stream;

fn fmt_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n => format!("{n} B"),
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    rules: Rules,
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
    /// Memory budget: a dump expected to need more is analysed in streaming mode, partition
    /// by partition through temporary files, with the same report (e.g. 1GiB, 512MB).
    /// Default: half of the memory available when the run starts. Given explicitly, stdin
    /// and pipes (whose size is unknown) are analysed in streaming mode too.
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    max_memory: Option<usize>,
    /// Where streaming mode writes its temporary files (default: $TMPDIR or /tmp).
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
    #[command(flatten)]
    color: Color,
    /// Findings shown per code in human output.
    #[arg(long, default_value_t = 10)]
    max_per_code: usize,
    /// Findings listed per check code or rule in the report (the first ones in report
    /// order; every finding is still counted). 0 lists none.
    #[arg(long, value_name = "N", default_value_t = tracecheck::finding::DEFAULT_MAX_FINDINGS)]
    max_findings: usize,
    /// Write every reported finding to FILE while the run goes: JSON lines, or Parquet
    /// when the name ends in `.parquet`.
    #[arg(long, value_name = "FILE")]
    findings_out: Option<PathBuf>,
    #[command(flatten)]
    output: Output,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
    Junit,
    Github,
    Markdown,
}

pub fn run(args: Args) -> Exit {
    let mut opts = Options::default();
    opts.checks.skew_tolerance = args.skew_tolerance;
    opts.load.max_record_bytes = args.max_record_size;
    opts.max_findings = args.max_findings;
    match super::load_rules(&args.rules.rules) {
        Ok(r) => opts.rules = r,
        Err(exit) => return exit,
    }
    if let Some(path) = &args.findings_out {
        let names = report::check_names(opts.rules.as_deref());
        match FindingsOut::create(path, names) {
            Ok(out) => opts.findings_out = Some(Arc::new(out)),
            Err(e) => {
                eprintln!("tracecheck: cannot create {}: {e}", path.display());
                return Exit::Incomplete;
            }
        }
    }
    // Directories and patterns are expanded once, for the progress total, the memory
    // estimate and the load alike.
    let inputs = input::Inputs::resolve(&args.inputs.files);
    let (progress, bar) = super::progress::Bar::start(&inputs);
    opts.load.progress = progress;
    let budget = args.max_memory.map(|b| b as u64).or_else(stream::default_budget);
    let streaming = budget.filter(|&b| match stream::estimate_memory(&inputs) {
        Some(need) => need > b,
        // stdin or a pipe: its size is known only once read, so a budget given on the
        // command line spools it to disk rather than betting memory on it.
        None => args.max_memory.is_some(),
    });
    let temp_dir = args.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let run = match streaming {
        None => Ok((analysis::analyze_inputs(&inputs, &opts), None)),
        Some(budget) => {
            let s = stream::StreamOptions { budget, temp_dir: temp_dir.clone(), partitions: None };
            stream::analyze(&inputs, &opts, &s).map(|(a, st)| (a, Some((budget, st))))
        }
    };
    bar.finish();
    let analysis = match run {
        Ok((a, None)) => a,
        Ok((a, Some((budget, st)))) => {
            let spooled = if st.spooled > 0 {
                format!(" (and {} of input copied or decompressed there first)", fmt_bytes(st.spooled))
            } else {
                String::new()
            };
            eprintln!(
                "tracecheck: streaming mode (memory budget {}): {} partitions, {} spilled to {}{spooled}, largest partition {} spans",
                fmt_bytes(budget),
                st.partitions,
                fmt_bytes(st.spilled),
                temp_dir.display(),
                st.largest_partition
            );
            a
        }
        Err(e) => {
            eprintln!("tracecheck: streaming mode failed with temporary files in {}: {e}", temp_dir.display());
            return Exit::Incomplete;
        }
    };
    if let Some(out) = &opts.findings_out
        && let Err(e) = out.finish()
    {
        eprintln!("tracecheck: cannot write {}: {e}", out.path().display());
        return Exit::Incomplete;
    }
    let report = Report::new(&analysis, VerdictOptions { fail_on: args.fail_on.into(), allow_empty: args.allow_empty });
    let color = args.color.enabled(&args.output);
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
        return Exit::Incomplete;
    }
    super::write_out(&buf, args.output.path(), report.verdict.outcome.into())
}
