//! Command-line interface: one file per subcommand, the flags they share, and the exit
//! status they all return.

mod args;
mod capture;
mod check;
mod diff;
mod exit;
mod explain;
mod export;
mod merge;
mod progress;
mod replay;
mod rules;
mod show;
mod stats;

use clap::{Parser, Subcommand, ValueEnum};
pub use exit::Exit;
use std::process::ExitCode;
use tracecheck::finding::Severity;
use tracecheck::input::Inputs;
use tracecheck::report::term::escape;

#[derive(Parser, Debug)]
#[command(
    name = "tracecheck",
    version,
    about = "Prove what a distributed system did by checking the OpenTelemetry spans it emitted",
    after_help = EXIT_CODES
)]
struct Cli {
    /// Worker threads (default or 0: all cores, or RAYON_NUM_THREADS); at most 4 per core.
    #[arg(long, short = 'j', global = true)]
    threads: Option<usize>,
    /// Print only what the command is for: no progress, no notes or warnings on stderr
    /// (errors still are), and a human report reduced to its findings and verdict.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    /// The progress line on stderr: `auto` draws it on a terminal, `never` not at all (CI
    /// containers often allocate a terminal), `always` even when stderr is not one.
    #[arg(long, value_enum, global = true, default_value_t = progress::When::Auto)]
    progress: progress::When,
    /// The repository's config: default rule packs, fail_on, max_findings, select, ignore,
    /// skew_tolerance and suppressions (default: tracecheck.toml in the working directory
    /// or the nearest parent holding one). Command-line options win; --rules adds packs.
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<std::path::PathBuf>,
    /// Read no tracecheck.toml.
    #[arg(long, global = true, conflicts_with = "config")]
    no_config: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check trace dumps with the built-in checks (the CI command).
    Check(check::Args),
    /// Run a command with an OTLP receiver on 127.0.0.1 for its SDK, then check what it sent.
    Capture(capture::Args),
    /// Latency and error statistics per group of spans (polars; table, CSV, JSON, Parquet).
    Stats(stats::Args),
    /// Draw traces as trees with a waterfall, findings and the critical path.
    Show(show::Args),
    /// Write the spans as Parquet in the Collector's ClickHouse layout (otel_traces), plus
    /// columns that make reading them back lose nothing.
    Export(export::Args),
    /// Join the partial results of `check --shard K/N --partial-out` into the report one
    /// check over all the inputs would have written.
    Merge(merge::Args),
    /// Compare two runs operation by operation and by structure (exit 1 on regression).
    Diff(diff::Args),
    /// Send a dump (or part of it) to an OTLP/HTTP endpoint such as a collector, Jaeger or Tempo.
    Replay(replay::Args),
    /// Print the documentation of a check code.
    Explain(explain::Args),
    /// List or validate checks and rule packs.
    #[command(subcommand)]
    Rules(rules::Command),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one per command into DIR.
    Man {
        /// Write `tracecheck.1` and `tracecheck-COMMAND.1` here instead of printing.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// Severity threshold as a command-line value.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

impl From<Severity> for FailOn {
    fn from(s: Severity) -> FailOn {
        match s {
            Severity::Error => FailOn::Error,
            Severity::Warning => FailOn::Warning,
            Severity::Info => FailOn::Info,
        }
    }
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

/// Parses the command line and runs it.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether `--quiet` was given: notes and warnings are not printed.
pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Prints a note or warning on stderr unless `--quiet`.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::cli::quiet() {
            eprintln!($($arg)*);
        }
    };
}
pub(crate) use note;

/// The exit codes every command uses, shown by `--help`.
const EXIT_CODES: &str = "Exit codes:
  0  pass: nothing at or above --fail-on
  1  fail: findings at or above --fail-on, an inconclusive or failed rule, a regression (diff),
     spans not accepted (replay), or the command run by capture failed
  2  usage: a bad option, a broken rule pack, an unknown code or trace
  3  unusable input: nothing could be read, or no spans
  4  incomplete: the report or a temporary file could not be written";

/// `tracecheck man`: the page of the command, or of every command into `dir`.
fn man(dir: Option<&std::path::Path>) -> Exit {
    use clap::CommandFactory as _;
    let cmd = Cli::command();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        return match clap_mangen::Man::new(cmd).render(&mut out) {
            Ok(()) => write_out(&out, None, Exit::Pass),
            Err(e) => {
                eprintln!("tracecheck: cannot render the man page: {e}");
                Exit::Incomplete
            }
        };
    };
    let mut pages = vec![("tracecheck.1".to_string(), clap_mangen::Man::new(cmd.clone()))];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("tracecheck-{}", sub.get_name());
        pages.push((format!("{name}.1"), clap_mangen::Man::new(sub.clone()).title(name)));
    }
    for (file, page) in pages {
        let mut out = Vec::new();
        let written = page.render(&mut out).and_then(|()| std::fs::write(dir.join(&file), out));
        if let Err(e) = written {
            eprintln!("tracecheck: cannot write {}: {e}", escape(&dir.join(&file).display().to_string()));
            return Exit::Incomplete;
        }
    }
    Exit::Pass
}

/// Threads per core `-j` may ask for: more only add memory and switching (each worker
/// decodes and analyses whole chunks), and thousands exhaust the machine.
const MAX_THREADS_PER_CORE: usize = 4;

fn max_threads(cores: usize) -> usize {
    (cores * MAX_THREADS_PER_CORE).max(8)
}

/// When the process started (the run's wall time goes into JUnit reports).
pub fn started() -> std::time::Instant {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *START.get_or_init(std::time::Instant::now)
}

pub fn main() -> ExitCode {
    started();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { Exit::Usage } else { Exit::Pass }.into();
        }
    };
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    let _ = CONFIG_CHOICE.set(match (cli.no_config, cli.config) {
        (true, _) => ConfigChoice::None,
        (false, Some(path)) => ConfigChoice::Given(path),
        (false, None) => ConfigChoice::Discover,
    });
    progress::set_mode(if cli.quiet { progress::When::Never } else { cli.progress });
    let asked = cli.threads.map(|n| (n, "-j")).or_else(|| {
        std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.trim().parse().ok()).map(|n| (n, "RAYON_NUM_THREADS"))
    });
    if let Some((n, from)) = asked {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let most = max_threads(cores);
        if n > most {
            eprintln!(
                "tracecheck: {from} {n}: at most {most} threads here ({MAX_THREADS_PER_CORE} per core, {cores} core(s)); 0 or no {from} uses every core"
            );
            return Exit::Usage.into();
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global() {
            eprintln!("tracecheck: cannot start {n} threads: {e}");
            return Exit::Usage.into();
        }
    }
    let exit = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Capture(args) => capture::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Show(args) => show::run(args),
        Command::Export(args) => export::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            clap_complete::generate(shell, &mut Cli::command(), "tracecheck", &mut std::io::stdout());
            Exit::Pass
        }
        Command::Man { dir } => man(dir.as_deref()),
    };
    exit.into()
}

/// Resolves the inputs of a command, saying which files were named twice (and are read once).
pub fn resolve_inputs(files: &[std::path::PathBuf]) -> Inputs {
    let inputs = Inputs::resolve(files);
    for (again, first) in &inputs.repeated {
        let (again, first) = (again.display().to_string(), first.display().to_string());
        if again == first {
            note!(
                "tracecheck: warning: {} is named twice (a directory given holds it?); it is read once",
                escape(&again)
            );
        } else {
            note!("tracecheck: warning: {} is the same file as {}; it is read once", escape(&again), escape(&first));
        }
    }
    inputs
}

/// Prints `tracecheck: PATH: reason` on stderr for each input that could not be read, whatever
/// the report's format and destination.
pub fn say_load_errors(errors: &[tracecheck::input::LoadError]) {
    for e in errors {
        eprintln!("tracecheck: {}: {}", escape(&e.path), escape(&e.message));
    }
}

/// Loads `files` for the commands other than `check`: input errors are printed; unreadable
/// input or input without spans gives exit 3.
pub fn load_or_exit(files: &[std::path::PathBuf]) -> Result<tracecheck::input::Loaded, Exit> {
    let inputs = resolve_inputs(files);
    let (progress, bar) = progress::Bar::start(&inputs);
    let loaded =
        tracecheck::input::load_inputs(&inputs, &tracecheck::input::LoadOptions { progress, ..Default::default() });
    bar.finish();
    say_load_errors(&loaded.errors);
    // Input problems are reported where they are; the rest of the input is still used.
    const SHOWN: usize = 20;
    for issue in loaded.issues.iter().take(SHOWN) {
        eprintln!("tracecheck: {}: {}", escape(&loaded.dump.location(issue.loc)), escape(&issue.message));
    }
    if loaded.issues.len() > SHOWN {
        eprintln!(
            "tracecheck: … and {} more input problem(s); `tracecheck check` lists them all",
            loaded.issues.len() - SHOWN
        );
    }
    if !loaded.errors.is_empty() {
        return Err(Exit::Unusable);
    }
    if loaded.dump.spans.is_empty() {
        eprintln!("tracecheck: no spans in the input");
        return Err(Exit::Unusable);
    }
    Ok(loaded)
}

/// Writes `buf` to `output` or stdout; a closed pipe is not an error. Returns `done`, or
/// [`Exit::Incomplete`] when the output cannot be written.
pub fn write_out(buf: &[u8], output: Option<&std::path::Path>, done: Exit) -> Exit {
    use std::io::Write;
    let result = match output {
        Some(path) => std::fs::write(path, buf),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(buf).and_then(|()| out.flush())
        }
    };
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            match output {
                Some(path) => eprintln!("tracecheck: cannot write {}: {e}", escape(&path.display().to_string())),
                None => eprintln!("tracecheck: cannot write to stdout: {e}"),
            }
            Exit::Incomplete
        }
        _ => done,
    }
}

/// Which `tracecheck.toml` applies, as the command line says.
enum ConfigChoice {
    Discover,
    Given(std::path::PathBuf),
    None,
}

static CONFIG_CHOICE: std::sync::OnceLock<ConfigChoice> = std::sync::OnceLock::new();

/// The `tracecheck.toml` of this run (`--config`, else the nearest one from the working
/// directory up, unless `--no-config`), read once; a broken one prints every error and
/// gives exit 2.
pub fn config() -> Result<Option<&'static tracecheck::rules::Config>, Exit> {
    use tracecheck::rules::Config;
    static LOADED: std::sync::OnceLock<Result<Option<Config>, ()>> = std::sync::OnceLock::new();
    let loaded = LOADED.get_or_init(|| {
        let path = match CONFIG_CHOICE.get().unwrap_or(&ConfigChoice::Discover) {
            ConfigChoice::None => return Ok(None),
            ConfigChoice::Given(p) => p.clone(),
            ConfigChoice::Discover => {
                match std::env::current_dir().ok().and_then(|d| Config::discover(&d)) {
                    // Shown relative to the working directory when it is there.
                    Some(p) => std::env::current_dir()
                        .ok()
                        .and_then(|d| p.strip_prefix(&d).ok().map(std::path::Path::to_path_buf))
                        .unwrap_or(p),
                    None => return Ok(None),
                }
            }
        };
        Config::read(&path)
            .map(Some)
            .map_err(|errors| rules::say_errors(&errors, &path.display().to_string(), "; nothing was checked"))
    });
    loaded.as_ref().map(Option::as_ref).map_err(|()| Exit::Usage)
}

/// Loads the rule packs of `paths` and of the run's `tracecheck.toml`, and its suppressions
/// (none when there are neither); a broken pack prints its errors and gives exit 2.
pub fn load_rules(paths: &[std::path::PathBuf]) -> Result<Option<std::sync::Arc<tracecheck::rules::RuleSet>>, Exit> {
    let config = config()?;
    if paths.is_empty() && config.is_none() {
        return Ok(None);
    }
    rules::load(paths, config, "; nothing was checked").map(|set| Some(std::sync::Arc::new(set))).ok_or(Exit::Usage)
}

pub use tracecheck::model::parse_percent;

/// Parses a size: bytes, or a number with KB/MB/GB (powers of 1000) or KiB/MiB/GiB (of 1024).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("not a size: {text:?} (e.g. 512MiB, 2GB)"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown size unit {other:?} (B, KB, MB, GB, KiB, MiB, GiB)")),
    };
    let bytes = n * scale;
    if !bytes.is_finite() || bytes < 1.0 {
        return Err(format!("not a size: {text:?}"));
    }
    Ok(bytes as usize)
}

/// Compiles a `--where` selector; a broken one prints its error and gives exit 2.
pub fn parse_filter(text: Option<&str>) -> Result<Option<tracecheck::rules::SpanFilter>, Exit> {
    text.map(tracecheck::rules::SpanFilter::parse).transpose().map_err(|e| {
        eprintln!("tracecheck: {e}");
        Exit::Usage
    })
}

/// The index in `traces.ranges` of the one trace whose hex id starts with `wanted` (8 hex
/// characters or more); otherwise prints why and gives exit 2.
pub fn find_trace(traces: &tracecheck::graph::Traces, wanted: &str) -> Result<usize, Exit> {
    let wanted = wanted.trim().to_ascii_lowercase();
    if wanted.len() < 8 {
        eprintln!("tracecheck: --trace needs at least 8 hex characters");
        return Err(Exit::Usage);
    }
    let hits: Vec<usize> =
        (0..traces.ranges.len()).filter(|&i| traces.ranges[i].0.to_string().starts_with(&wanted)).collect();
    match hits[..] {
        [one] => Ok(one),
        [] => {
            eprintln!("tracecheck: no trace {wanted} in the input ({} traces)", traces.ranges.len());
            Err(Exit::Usage)
        }
        _ => {
            eprintln!("tracecheck: {} traces start with {wanted}; give more of the id", hits.len());
            Err(Exit::Usage)
        }
    }
}
