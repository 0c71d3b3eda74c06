//! `tracecheck-emit`: write trace dumps for tracecheck to analyse.

use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "tracecheck-emit",
    version,
    about = "Write OpenTelemetry trace dumps like the Collector's file exporter"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a large synthetic file-exporter dump (JSON lines) with a known number of
    /// injected anomalies; prints the ground truth as JSON on stdout.
    Synth {
        /// Spans to write (at least this many; whole traces are written).
        #[arg(long)]
        spans: u64,
        /// Seed: the same seed writes the same bytes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Fraction of traces given one anomaly (0 to 1).
        #[arg(long, default_value_t = 0.0)]
        anomalies: f64,
        /// Nodes (resources) the spans come from.
        #[arg(long, default_value_t = 4)]
        nodes: u32,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Synth { spans, seed, out, anomalies, nodes } => {
            anyhow::ensure!((0.0..=1.0).contains(&anomalies), "--anomalies must be between 0 and 1");
            anyhow::ensure!(nodes >= 2, "--nodes must be at least 2");
            let file =
                std::fs::File::create(&out).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
            let cfg = tracecheck_emitter::synth::Config { spans, seed, anomaly_rate: anomalies, nodes };
            let truth = tracecheck_emitter::synth::write(&cfg, std::io::BufWriter::with_capacity(1 << 20, file))?;
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &truth.to_json())?;
            writeln!(stdout)?;
        }
    }
    Ok(())
}
