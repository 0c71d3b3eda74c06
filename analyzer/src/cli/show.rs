//! `tracecheck show FILES… --trace ID | --worst N`

use super::args::{Color, Inputs, Output, Rules};
use super::{Exit, find_trace, load_rules, write_out};
use std::collections::HashMap;
use tracecheck::analysis::{self, Options};
use tracecheck::finding::Finding;
use tracecheck::graph;
use tracecheck::input;
use tracecheck::model::TraceId;
use tracecheck::report::show::{ShowStyle, render};

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["trace", "worst", "list"])))]
pub struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// The trace to show: its id in hex, or a unique prefix of it (8 characters or more).
    #[arg(long)]
    trace: Option<String>,
    /// Show the N most broken traces: most error findings of the per-trace checks and
    /// rules, then most other findings, then the slowest.
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    worst: Option<usize>,
    /// List the traces (one line each: id, spans, duration, errors, findings, root) instead of
    /// drawing them; with --where, those with a span it matches.
    #[arg(long)]
    list: bool,
    /// Only traces with a span this selector of the rule language matches.
    #[arg(long = "where", value_name = "SELECTOR")]
    filter: Option<String>,
    /// At most this many traces listed (the rest are counted).
    #[arg(long, value_name = "N", default_value_t = 100, requires = "list")]
    limit: usize,
    /// Under each span, its attributes, events and links.
    #[arg(long)]
    attributes: bool,
    #[command(flatten)]
    rules: Rules,
    /// Line width (default: the terminal's width, else $COLUMNS, else 120); the waterfall
    /// needs about 100.
    #[arg(long)]
    width: Option<usize>,
    #[command(flatten)]
    color: Color,
    #[command(flatten)]
    output: Output,
}

pub fn run(args: Args) -> Exit {
    let filter = match super::parse_filter(args.filter.as_deref()) {
        Ok(f) => f,
        Err(exit) => return exit,
    };
    // The worst traces are scored by their findings, so `show` keeps every one (a
    // per-trace tally would bound this too; not done yet).
    let mut opts = Options { max_findings: usize::MAX, worst: args.worst.unwrap_or(1), ..Options::default() };
    match load_rules(&args.rules.rules) {
        Ok(r) => opts.rules = r,
        Err(exit) => return exit,
    }
    let inputs = super::resolve_inputs(&args.inputs.files);
    let (progress, bar) = super::progress::Bar::start(&inputs);
    opts.load.progress = progress;
    let loaded = input::load_inputs(&inputs, &opts.load);
    let a = analysis::analyze_ref(&loaded, &opts);
    bar.finish();
    super::say_load_errors(&a.errors);
    if !a.errors.is_empty() || loaded.dump.spans.is_empty() {
        if a.errors.is_empty() {
            eprintln!("tracecheck: no spans in the input");
        }
        return Exit::Unusable;
    }
    let dump = &loaded.dump;
    let traces = graph::group(dump);
    let mut findings: HashMap<TraceId, Vec<&Finding>> = HashMap::new();
    for f in &a.findings {
        if let Some(t) = f.trace_id {
            findings.entry(t).or_default().push(f);
        }
    }
    // Traces with a span the selector matches (all without one).
    let mask = filter.as_ref().map(|f| f.mask(dump, &traces));
    let matches = |i: usize| {
        mask.as_ref().is_none_or(|m| traces.order[traces.ranges[i].1.clone()].iter().any(|&k| m[k as usize]))
    };
    let chosen: Vec<usize> = if let Some(wanted) = &args.trace {
        match find_trace(&traces, wanted) {
            Ok(i) => vec![i],
            Err(exit) => return exit,
        }
    } else if args.list {
        (0..traces.ranges.len()).filter(|&i| matches(i)).collect()
    } else {
        // The worst traces as the analysis ranked them (the HTML report draws the same).
        a.worst
            .iter()
            .filter_map(|w| traces.ranges.binary_search_by(|(id, _)| id.cmp(&w.trace_id)).ok())
            .filter(|&i| matches(i))
            .collect()
    };
    let color = args.color.enabled(&args.output);
    let width = args
        .width
        .or_else(|| if args.output.path().is_none() { terminal_width() } else { None })
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(120)
        .clamp(60, 400);
    let mut out = String::new();
    if args.list {
        let shown: Vec<(graph::TraceGraph, usize)> = chosen
            .iter()
            .take(args.limit)
            .map(|&i| {
                let g = traces.graph(dump, i);
                let n = findings.get(&g.trace_id).map_or(0, Vec::len);
                (g, n)
            })
            .collect();
        out.push_str(&tracecheck::report::show::list(dump, &shown, width));
        if chosen.len() > args.limit {
            out.push_str(&format!("… and {} more trace(s) (--limit)\n", chosen.len() - args.limit));
        }
        if chosen.is_empty() {
            eprintln!("tracecheck: no trace matches");
            return Exit::Fail;
        }
        return write_out(out.as_bytes(), args.output.path(), Exit::Pass);
    }
    for (k, i) in chosen.into_iter().enumerate() {
        let g = traces.graph(dump, i);
        let fs = findings.get(&g.trace_id).map(Vec::as_slice).unwrap_or_default();
        if k > 0 {
            out.push('\n');
        }
        out.push_str(&render(dump, &g, fs, ShowStyle { width, color, details: args.attributes }));
    }
    write_out(out.as_bytes(), args.output.path(), Exit::Pass)
}

/// The width of the terminal stdout writes to, if it is one.
#[cfg(unix)]
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut size = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct it is given, which lives for
    // the call; stdout is an open descriptor (checked to be a terminal above).
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
fn terminal_width() -> Option<usize> {
    None
}

/// A count of 1 or more (`--worst 0` would show nothing and pass).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("0 shows nothing: give 1 or more".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
