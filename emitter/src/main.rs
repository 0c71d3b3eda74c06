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

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Json,
    Proto,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the libp2p marketplace on loopback and write its spans as the Collector's file
    /// exporter would; prints a summary of the run as JSON on stdout.
    Scenario {
        /// Nodes (each its own peer id, service.instance.id and thread).
        #[arg(long, default_value_t = 4)]
        nodes: usize,
        /// Seed for peer identities, packages and the plan of operations.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (not with --otlp-endpoint).
        #[arg(long, required_unless_present = "otlp_endpoint", conflicts_with = "otlp_endpoint")]
        out: Option<PathBuf>,
        /// How the file is written: JSON lines, or length-prefixed protobuf.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Send the spans to this OTLP/HTTP collector (e.g. http://localhost:4318) instead.
        #[arg(long)]
        otlp_endpoint: Option<String>,
        /// Packages to publish.
        #[arg(long, default_value_t = 12)]
        publishes: usize,
        /// Searches to run.
        #[arg(long, default_value_t = 12)]
        searches: usize,
        /// Peer discoveries to run.
        #[arg(long, default_value_t = 10)]
        discoveries: usize,
        /// Content distributions to run.
        #[arg(long, default_value_t = 10)]
        distributions: usize,
        /// Inject a fault.
        #[arg(long, value_enum)]
        fault: Option<tracecheck_emitter::scenario::Fault>,
        /// End the dump with the Collector's own span counters (a `resourceMetrics` line:
        /// accepted, passed on, sent, failed), as a Collector exporting its internal
        /// telemetry into the same pipeline would (JSON lines only).
        #[arg(long)]
        collector_telemetry: bool,
        /// Also write the nodes' log records (`resourceLogs` lines, each record with the
        /// trace and span it was written in), as a Collector receiving logs would (JSON lines
        /// only).
        #[arg(long)]
        logs: bool,
    },
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
        /// Nodes (resources) the spans come from (P2P shape).
        #[arg(long, default_value_t = 4)]
        nodes: u32,
        /// What the traces look like: the P2P marketplace, or web/RPC/database services
        /// with semantic-convention attributes (about 1 KB a span).
        #[arg(long, value_enum, default_value_t = tracecheck_emitter::synth::Shape::P2p)]
        shape: tracecheck_emitter::synth::Shape,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Scenario {
            nodes,
            seed,
            out,
            format,
            otlp_endpoint,
            publishes,
            searches,
            discoveries,
            distributions,
            fault,
            collector_telemetry,
            logs,
        } => {
            use tracecheck_emitter::collector::Output;
            let output = match (otlp_endpoint, out, format) {
                (Some(url), _, _) => Output::Otlp(url),
                (None, Some(path), Format::Json) => Output::Json(path),
                (None, Some(path), Format::Proto) => Output::Proto(path),
                (None, None, _) => anyhow::bail!("--out FILE or --otlp-endpoint URL is needed"),
            };
            let cfg = tracecheck_emitter::scenario::Config {
                nodes,
                seed,
                publishes,
                searches,
                discoveries,
                distributions,
                fault,
                collector_telemetry,
                logs,
            };
            let summary = tracecheck_emitter::scenario::run(&cfg, &output)?;
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &summary)?;
            writeln!(stdout)?;
        }
        Command::Synth { spans, seed, out, anomalies, nodes, shape } => {
            anyhow::ensure!((0.0..=1.0).contains(&anomalies), "--anomalies must be between 0 and 1");
            anyhow::ensure!(nodes >= 2, "--nodes must be at least 2");
            let file =
                std::fs::File::create(&out).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
            let cfg = tracecheck_emitter::synth::Config { spans, seed, anomaly_rate: anomalies, nodes, shape };
            let truth = tracecheck_emitter::synth::write(&cfg, std::io::BufWriter::with_capacity(1 << 20, file))?;
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &truth.to_json())?;
            writeln!(stdout)?;
        }
    }
    Ok(())
}
