//! `tracecheck export FILES… -o OUT.parquet`

use super::args::Inputs;
use super::{Exit, load_or_exit, parse_filter};
use tracecheck::graph;
use tracecheck::report::term::escape;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// The Parquet file to write (replaced if it exists).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: std::path::PathBuf,
    /// Only the spans this selector of the rule language matches, e.g.
    /// '{ resource.service.name = "api" }'.
    #[arg(long = "where", value_name = "SELECTOR")]
    filter: Option<String>,
}

pub fn run(args: Args) -> Exit {
    let filter = match parse_filter(args.filter.as_deref()) {
        Ok(f) => f,
        Err(exit) => return exit,
    };
    let loaded = match load_or_exit(&args.inputs.files) {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    let dump = &loaded.dump;
    let mask = filter.as_ref().map(|f| f.mask(dump, &graph::group(dump)));
    let shown = escape(&args.output.display().to_string()).into_owned();
    // Written beside the target, then renamed: a failed export leaves no half file.
    let partial = args.output.with_extension("parquet.partial");
    let written = std::fs::File::create(&partial)
        .map_err(|e| e.to_string())
        .and_then(|f| tracecheck::export::write_parquet(dump, mask.as_deref(), std::io::BufWriter::new(f)))
        .and_then(|n| std::fs::rename(&partial, &args.output).map(|()| n).map_err(|e| e.to_string()));
    let rows = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            eprintln!("tracecheck: {shown}: {}", escape(&e));
            return Exit::Incomplete;
        }
    };
    let logs = loaded.accounting.logs_read;
    let telemetry = !loaded.accounting.telemetry.is_empty();
    eprintln!("tracecheck: wrote {rows} span(s) to {shown}");
    if logs > 0 || telemetry {
        let what = match (logs > 0, telemetry) {
            (true, true) => format!("{logs} log record(s) and the Collector's telemetry"),
            (true, false) => format!("{logs} log record(s)"),
            _ => "the Collector's telemetry".to_owned(),
        };
        eprintln!("tracecheck: not exported: {what} (the otel_traces layout holds spans only)");
    }
    Exit::Pass
}
