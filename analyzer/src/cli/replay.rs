//! `tracecheck replay FILES… --otlp-endpoint URL`

use super::{find_trace, load_or_exit, parse_filter};
use std::path::PathBuf;
use tracecheck::graph;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Trace dumps (files, directories or `-`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
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

pub fn run(args: Args) -> u8 {
    let filter = match parse_filter(args.filter.as_deref()) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let loaded = match load_or_exit(&args.files) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let dump = &loaded.dump;
    let traces = graph::group(dump);
    let mask = filter.as_ref().map(|f| f.mask(dump, &traces));
    let wanted = match args.trace.as_deref().map(|t| find_trace(&traces, t)).transpose() {
        Ok(w) => w.map(|i| traces.ranges[i].0),
        Err(code) => return code,
    };
    let ids: Vec<u32> = (0..dump.spans.len() as u32)
        .filter(|&i| mask.as_ref().is_none_or(|m| m[i as usize]))
        .filter(|&i| wanted.is_none_or(|id| dump.spans[i as usize].trace_id == id))
        .collect();
    if ids.is_empty() {
        eprintln!("tracecheck: no span selected; nothing sent");
        return 1;
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
    if args.json {
        let v = serde_json::json!({ "endpoint": args.otlp_endpoint, "shift_ns": shift, "outcome": outcome });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!(
            "replayed {} spans in {} request(s) to {}: {} accepted, {} rejected, {} failed ({} retries){}",
            outcome.spans,
            outcome.batches,
            args.otlp_endpoint,
            outcome.accepted,
            outcome.rejected,
            outcome.failed,
            outcome.retries,
            if shift != 0 { format!("; times shifted by {shift} ns") } else { String::new() }
        );
        for e in &outcome.errors {
            eprintln!("tracecheck: {e}");
        }
    }
    u8::from(outcome.accepted != outcome.spans)
}
