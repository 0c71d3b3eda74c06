//! `tracecheck check FILES…`

use super::args::{Color, Inputs, Output, Rules};
use super::{Exit, FailOn};
use clap::ValueEnum;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use tracecheck::analysis::{self, Analysis, Options};
use tracecheck::finding::FindingsOut;
use tracecheck::input;
use tracecheck::model::time::parse_duration;
use tracecheck::partial::Shard;
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
    options: CheckArgs,
}

/// Every option of `check` but its inputs (`capture` takes them too).
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    rules: Rules,
    /// How far a child may start before or end after its parent, and how large a clock
    /// offset between hosts must be, before it is reported (e.g. 500us, 2ms) [default: 1ms,
    /// or tracecheck.toml's skew_tolerance].
    #[arg(long, value_parser = parse_duration)]
    skew_tolerance: Option<u64>,
    /// The Collector's own metrics, beside those in the dump: a Prometheus text scrape of
    /// its metrics endpoint, or OTLP metrics (JSON or protobuf); repeatable, one file per
    /// Collector. Its span counters are checked (C001-C005).
    #[arg(long, value_name = "FILE")]
    collector_metrics: Vec<PathBuf>,
    /// The least share of spans each Collector must export (C004) [default: 99%, or
    /// tracecheck.toml's min_export_success].
    #[arg(long, value_name = "PERCENT", value_parser = super::parse_percent)]
    min_export_success: Option<f64>,
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
    /// Write every reported finding to FILE while the run goes: JSON lines, or Parquet
    /// when the name ends in `.parquet`.
    #[arg(long, value_name = "FILE")]
    findings_out: Option<PathBuf>,
    /// Analyse only the traces whose bucket (the last four hex digits of the trace id, as
    /// a number) modulo N is K; every input is still read. Use with --partial-out.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Write a partial result to FILE instead of the report; `tracecheck merge` joins the
    /// partials of every shard into the report one check would have written.
    #[arg(long, value_name = "FILE")]
    partial_out: Option<PathBuf>,
    /// The inputs hold only this shard's traces, split by trace bucket beforehand (ClickHouse
    /// PARTITION BY, Spark, a script): read only them, and let merge add up the inputs of the
    /// partials. A span of another shard's trace is an error (exit 2). A parent in another
    /// trace is recognised only within a part. Needs --shard and --partial-out.
    #[arg(long, requires_all = ["shard", "partial_out"])]
    presplit: bool,
    #[command(flatten)]
    report: ReportArgs,
}

/// How a report is written: what `check` and `merge` share.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Output format. `github` prints workflow annotations and, when
    /// $GITHUB_STEP_SUMMARY is set, appends the Markdown summary to that file.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 when there are findings of this severity or worse [default: error, or
    /// tracecheck.toml's fail_on].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Accept input without any spans (exit 0 instead of 3).
    #[arg(long)]
    pub allow_empty: bool,
    #[command(flatten)]
    pub color: Color,
    /// Findings listed per code (and per rule) in the human report, and annotations per code
    /// in `--format github`; the rest are counted ("… and N more").
    #[arg(long, default_value_t = 10)]
    pub max_per_code: usize,
    /// Findings listed per check code or rule in the report (the first ones in report
    /// order; every finding is still counted). 0 lists none [default: 100, or
    /// tracecheck.toml's max_findings].
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
    #[command(flatten)]
    pub output: Output,
    /// Only these checks and rules (codes or ids, comma separated, repeatable; a prefix
    /// selects all it starts: `S` is every structure check): the others are neither counted
    /// nor judged. Replaces tracecheck.toml's select.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Leave out these checks and rules (as --select). Replaces tracecheck.toml's ignore.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Also write the report in FORMAT to PATH (repeatable: `--report junit=junit.xml
    /// --report sarif=results.sarif`); one analysis, every file written.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub reports: Vec<(Format, PathBuf)>,
}

fn parse_report(text: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) =
        text.split_once('=').ok_or_else(|| format!("{text:?} is not FORMAT=PATH, such as junit=junit.xml"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        let known: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        format!("unknown format {format:?} (use {})", known.join(", "))
    })?;
    if path.is_empty() {
        return Err(format!("--report {text}: the path is empty"));
    }
    Ok((format, PathBuf::from(path)))
}

impl ReportArgs {
    /// Takes what the command line left unsaid from the run's tracecheck.toml; a broken
    /// config gives exit 2.
    pub fn apply_config(&mut self) -> Result<(), Exit> {
        let Some(c) = super::config()? else { return Ok(()) };
        self.fail_on = self.fail_on.or(c.fail_on.map(FailOn::from));
        self.max_findings = self.max_findings.or(c.max_findings);
        if self.select.is_empty() {
            self.select.clone_from(&c.select);
        }
        if self.ignore.is_empty() {
            self.ignore.clone_from(&c.ignore);
        }
        Ok(())
    }

    /// Findings listed per code.
    pub fn max_findings(&self) -> usize {
        self.max_findings.unwrap_or(tracecheck::finding::DEFAULT_MAX_FINDINGS)
    }

    /// The report of `analysis` as these options shape it; a --select or --ignore pattern
    /// that matches no check or rule is a usage error (exit 2), not a silent no-op.
    pub fn report(&self, analysis: &Analysis) -> Result<Report, Exit> {
        let sel = report::Selection {
            select: self.select.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            ignore: self.ignore.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        };
        let mut ids: Vec<String> = tracecheck::checks::REGISTRY.iter().map(|i| i.code.as_str().to_string()).collect();
        ids.extend(analysis.rules.iter().map(|r| r.id.to_string()));
        let unmatched = sel.unmatched(&ids);
        if !unmatched.is_empty() {
            eprintln!(
                "tracecheck: --select/--ignore {} match no check code or rule id (`tracecheck rules list` lists them)",
                unmatched.join(", ")
            );
            return Err(Exit::Usage);
        }
        let fail_on = self.fail_on.unwrap_or(FailOn::Error).into();
        let opts = VerdictOptions { fail_on, allow_empty: self.allow_empty };
        Ok(Report::selected(analysis, opts, &sel))
    }

    /// Whether some output is an HTML page (which draws spans: they must be kept).
    pub fn wants_html(&self) -> bool {
        self.format == Format::Html || self.reports.iter().any(|(f, _)| *f == Format::Html)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Junit,
    Github,
    Markdown,
    /// One self-contained HTML page (use with -o): findings, latency histograms, the worst
    /// traces as waterfalls.
    Html,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

pub fn run(mut args: Args) -> Exit {
    run_on(&args.inputs.files, &mut args.options)
}

/// Runs `check` on `files` with `args` (completed from the run's tracecheck.toml).
pub fn run_on(files: &[PathBuf], args: &mut CheckArgs) -> Exit {
    if let Err(exit) = args.report.apply_config() {
        return exit;
    }
    let config = match super::config() {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let mut opts = Options::default();
    opts.checks.skew_tolerance =
        args.skew_tolerance.or(config.and_then(|c| c.skew_tolerance)).unwrap_or(opts.checks.skew_tolerance);
    opts.load.max_record_bytes = args.max_record_size;
    opts.max_findings = args.report.max_findings();
    if let Some(m) = args.min_export_success.or(config.and_then(|c| c.min_export_success)) {
        opts.checks.min_export_success = m;
    }
    for path in &args.collector_metrics {
        let name = path.display().to_string();
        let shown = tracecheck::report::term::escape(&name);
        let read = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| tracecheck::input::telemetry::read_file(&bytes, &name));
        match read {
            Ok(t) if t.is_empty() => super::note!(
                "tracecheck: warning: {shown} holds no Collector span counters (otelcol_receiver_accepted_spans and the like)"
            ),
            Ok(t) => opts.collector_metrics.merge(&t),
            Err(e) => {
                eprintln!("tracecheck: {shown}: {}", tracecheck::report::term::escape(&e));
                return Exit::Usage;
            }
        }
    }
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
    let inputs = super::resolve_inputs(files);
    let (progress, bar) = super::progress::Bar::start(&inputs);
    opts.load.progress = progress;
    let budget_default = stream::default_budget();
    let budget = args.max_memory.map(|b| b as u64).or(budget_default);
    let streaming = budget.filter(|&b| match stream::estimate_memory(&inputs) {
        Some(need) => need > b,
        // stdin or a pipe: its size is known only once read, so a budget given on the
        // command line spools it to disk rather than betting memory on it.
        None => args.max_memory.is_some(),
    });
    let temp_dir = args.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    // A shard reads every input but keeps only its traces, on disk, as streaming mode does.
    let mut kept = None;
    let run = match (streaming, args.shard) {
        (None, None) => {
            let loaded = input::load_inputs(&inputs, &opts.load);
            let p = analysis::partial_of_loaded(&loaded, &opts);
            // The HTML page draws the worst traces: their spans must stay at hand.
            kept = args.report.wants_html().then_some(loaded);
            Ok((p, None))
        }
        (budget, shard) => {
            let s = stream::StreamOptions {
                budget: budget.or(budget_default).unwrap_or(FALLBACK_BUDGET),
                temp_dir: temp_dir.clone(),
                partitions: None,
            };
            let shard = shard.unwrap_or(Shard::ALL);
            let made = if args.presplit {
                stream::presplit_partial(&inputs, &opts, &s, shard)
            } else {
                stream::partial(&inputs, &opts, &s, shard)
            };
            made.map(|(p, st)| (p, budget.map(|b| (b, st))))
        }
    };
    bar.finish();
    let partial = match run {
        Ok((p, None)) => p,
        Ok((p, Some((budget, st)))) => {
            let spooled = if st.spooled > 0 {
                format!(" (and {} of input copied or decompressed there first)", fmt_bytes(st.spooled))
            } else {
                String::new()
            };
            super::note!(
                "tracecheck: streaming mode (memory budget {}): {} partitions, {} spilled to {}{spooled}, largest partition {} spans",
                fmt_bytes(budget),
                st.partitions,
                fmt_bytes(st.spilled),
                temp_dir.display(),
                st.largest_partition
            );
            p
        }
        // Pre-split inputs that hold other shards' traces.
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            eprintln!("tracecheck: {e}");
            return Exit::Usage;
        }
        Err(e) => {
            eprintln!("tracecheck: streaming mode failed with temporary files in {}: {e}", temp_dir.display());
            return Exit::Incomplete;
        }
    };
    // A shard's findings file holds its traces' findings and its share of the input's;
    // the dump-wide ones are made by `merge` (and written by its --findings-out).
    let analysis = match &args.partial_out {
        Some(path) => {
            if let Err(exit) = finish_findings_out(&opts) {
                return exit;
            }
            return write_partial(partial, path);
        }
        None => partial.settle(&opts),
    };
    if let Err(exit) = finish_findings_out(&opts) {
        return exit;
    }
    let r = &args.report;
    let report = match r.report(&analysis) {
        Ok(report) => report,
        Err(exit) => return exit,
    };
    let dump = kept.as_ref().map(|l: &input::Loaded| &l.dump);
    write_report(&report, &analysis, dump, r)
}

/// Closes `--findings-out`; exit 4 when it could not be written.
pub fn finish_findings_out(opts: &Options) -> Result<(), Exit> {
    match &opts.findings_out {
        Some(out) => out.finish().map(|_| ()).map_err(|e| {
            eprintln!("tracecheck: cannot write {}: {e}", out.path().display());
            Exit::Incomplete
        }),
        None => Ok(()),
    }
}

/// The budget of a shard's run when the system says nothing of its memory.
const FALLBACK_BUDGET: u64 = 4 << 30;

/// Writes `partial` to `path` with its latency as sketches (exit 0, or 4 when it cannot be
/// written).
fn write_partial(mut partial: tracecheck::partial::Partial, path: &std::path::Path) -> Exit {
    partial.sketch_latency();
    let shards: Vec<String> = partial.shards.iter().map(|s| format!("{}/{}", s.k, s.n)).collect();
    let (spans, traces) = (partial.spans, partial.structure.traces);
    let written = std::fs::File::create(path).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer(&mut w, &partial).map_err(std::io::Error::other)?;
        w.write_all(b"\n")?;
        w.flush()
    });
    match written {
        Ok(()) => {
            super::note!(
                "tracecheck: partial result of shard {} ({spans} spans in {traces} traces) written to {}; `tracecheck merge` makes the report",
                shards.join(", "),
                path.display()
            );
            Exit::Pass
        }
        Err(e) => {
            eprintln!("tracecheck: cannot write {}: {e}", path.display());
            Exit::Incomplete
        }
    }
}

/// Writes `report`, made of `analysis` (whose spans `dump` holds, when kept), as `args` say
/// and returns its exit status.
pub fn write_report(
    report: &Report,
    analysis: &Analysis,
    dump: Option<&tracecheck::model::Dump>,
    args: &ReportArgs,
) -> Exit {
    super::say_load_errors(&analysis.errors);
    let mut summary_failed = false;
    let mut exit = match render(args.format, report, analysis, dump, args, &mut summary_failed) {
        Ok(buf) => super::write_out(&buf, args.output.path(), report.verdict.outcome.into()),
        Err(e) => {
            eprintln!("tracecheck: cannot write the report: {e}");
            return Exit::Incomplete;
        }
    };
    for (format, path) in &args.reports {
        let written = render(*format, report, analysis, dump, args, &mut summary_failed)
            .and_then(|buf| std::fs::write(path, buf));
        if let Err(e) = written {
            eprintln!(
                "tracecheck: cannot write {}: {e}",
                tracecheck::report::term::escape(&path.display().to_string())
            );
            exit = Exit::Incomplete;
        }
    }
    // The verdict stands in the annotations; a summary that could not be written makes the
    // run incomplete (unless nothing could be read at all).
    if summary_failed && exit != Exit::Unusable { Exit::Incomplete } else { exit }
}

/// The report in one format.
fn render(
    format: Format,
    report: &Report,
    analysis: &Analysis,
    dump: Option<&tracecheck::model::Dump>,
    args: &ReportArgs,
    summary_failed: &mut bool,
) -> std::io::Result<Vec<u8>> {
    let (color, max_per_code) = (args.color.enabled(&args.output), args.max_per_code);
    let mut buf = Vec::new();
    match format {
        Format::Html => {
            let limits = report::html::Limits::default();
            let extra = report::html::Extra::new(report, &analysis.latency_histograms, &analysis.worst, dump, limits);
            report::html::write(report, &extra, &mut buf)?;
        }
        Format::Json => report::json::write(report, &mut buf)?,
        Format::Junit => report::junit::write(report, Some(super::started().elapsed().as_secs_f64()), &mut buf)?,
        Format::Markdown => report::markdown::write(report, &mut buf)?,
        Format::Sarif => report::sarif::write(report, analysis.rule_set.as_deref(), &mut buf)?,
        Format::Github => {
            // The annotations go out whatever becomes of the step summary; a summary that
            // cannot be written is said, with its path, and makes the run incomplete.
            report::github::write(report, max_per_code, &mut buf)?;
            if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
                let mut md = Vec::new();
                let appended = report::markdown::write(report, &mut md)
                    .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(&path)?.write_all(&md));
                if let Err(e) = appended {
                    eprintln!(
                        "tracecheck: cannot append the summary to $GITHUB_STEP_SUMMARY ({}): {e}",
                        tracecheck::report::term::escape(&path.to_string_lossy())
                    );
                    *summary_failed = true;
                }
            }
        }
        Format::Human => {
            let style =
                report::human::Style { color, per_code: max_per_code, quiet: super::quiet(), ..Default::default() };
            report::human::write(report, style, &mut buf)?;
        }
    }
    Ok(buf)
}
