//! Command-line interface: one file per subcommand.

mod check;
mod explain;
mod rules;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;
use tracecheck::checks::Severity;

/// Exit code for bad usage.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "tracecheck",
    version,
    about = "Prove what a distributed system did by checking the OpenTelemetry spans it emitted"
)]
struct Cli {
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long, short = 'j', global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check trace dumps with the built-in checks (the CI command).
    Check(check::Args),
    /// Print the documentation of a check code.
    Explain(explain::Args),
    /// List or validate checks and rule packs.
    #[command(subcommand)]
    Rules(rules::Command),
}

/// Severity threshold as a command-line value.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
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
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    if let Some(n) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global()
    {
        eprintln!("tracecheck: cannot start {n} threads: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Rules(cmd) => rules::run(cmd),
    };
    ExitCode::from(code)
}
