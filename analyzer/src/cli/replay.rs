//! `tracecheck replay FILES… --otlp-endpoint URL`

use super::args::Inputs;
use super::{Exit, find_trace, load_or_exit, parse_filter};
use tracecheck::graph;
use tracecheck::report::replay::{self, ReplayReport};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// The OTLP/HTTP endpoint, e.g. http://localhost:4318 (`/v1/traces` is added; plain
    /// HTTP only).
    #[arg(long, required = true, value_parser = tracecheck::replay::traces_url)]
    otlp_endpoint: String,
    /// Only the spans this selector of the rule language matches.
    #[arg(long = "where", value_name = "SELECTOR")]
    filter: Option<String>,
    /// Only this trace (its hex id, or a unique prefix of 8 characters or more).
    #[arg(long)]
    trace: Option<String>,
    /// Shift every timestamp by one constant so the newest span ends now.
    #[arg(long)]
    rebase_time: bool,
    /// Spans per request.
    #[arg(long, default_value_t = 512)]
    batch: usize,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
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
    let traces = graph::group(dump);
    let mask = filter.as_ref().map(|f| f.mask(dump, &traces));
    let wanted = match args.trace.as_deref().map(|t| find_trace(&traces, t)).transpose() {
        Ok(w) => w.map(|i| traces.ranges[i].0),
        Err(exit) => return exit,
    };
    let ids: Vec<u32> = (0..dump.spans.len() as u32)
        .filter(|&i| mask.as_ref().is_none_or(|m| m[i as usize]))
        .filter(|&i| wanted.is_none_or(|id| dump.spans[i as usize].trace_id == id))
        .collect();
    if ids.is_empty() {
        eprintln!("tracecheck: no span selected; nothing sent");
        return Exit::Fail;
    }
    let shift = if args.rebase_time {
        let newest =
            ids.iter().map(|&i| dump.spans[i as usize].end.max(dump.spans[i as usize].start)).max().unwrap_or(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(newest);
        now as i64 - newest as i64
    } else {
        0
    };
    let outcome = tracecheck::replay::send(dump, &ids, shift, &args.otlp_endpoint, args.batch);
    let report = ReplayReport { endpoint: args.otlp_endpoint, shift_ns: shift, outcome };
    let mut buf = Vec::new();
    let written = if args.json {
        replay::write_json(&report, &mut buf)
    } else {
        replay::write_human(&report, &mut buf, &mut std::io::stderr())
    };
    if let Err(e) = written {
        eprintln!("tracecheck: cannot write the report: {e}");
        return Exit::Incomplete;
    }
    super::write_out(&buf, None, Exit::failed_if(!report.complete()))
}
