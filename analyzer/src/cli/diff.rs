//! `tracecheck diff BASE CANDIDATE`

use super::{load_or_exit, write_out};
use clap::ValueEnum;
use std::fmt::Write as _;
use std::path::PathBuf;
use tracecheck::diff::{self, OpDiff, Profile, Status, StructureChange, Tolerance};
use tracecheck::model::time::{fmt_ns, parse_duration};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The reference run (a dump file or directory).
    base: PathBuf,
    /// The run to judge against it.
    candidate: PathBuf,
    /// A latency percentile (p50, p90, p99) regresses when it grows by more than this…
    /// (also the tolerance on the rate of structural defects per span)
    #[arg(long, default_value = "20%", value_parser = parse_percent)]
    max_regression: f64,
    /// …and by more than this.
    #[arg(long, default_value = "1ms", value_parser = parse_duration)]
    min_delta: u64,
    /// An error rate regresses when it grows by more than this many percentage points.
    #[arg(long, default_value = "1%", value_parser = parse_percent)]
    max_error_increase: f64,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also list operations that did not change.
    #[arg(long)]
    all: bool,
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (t, 1.0),
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("not a percentage: {s:?} (e.g. 20%)"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("not a percentage: {s:?}"));
    }
    Ok(v / scale)
}

pub fn run(args: Args) -> u8 {
    let base = match load_or_exit(std::slice::from_ref(&args.base)) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let candidate = match load_or_exit(std::slice::from_ref(&args.candidate)) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let tol = Tolerance {
        max_regression: args.max_regression,
        min_delta_ns: args.min_delta,
        max_error_rate_increase: args.max_error_increase,
    };
    let (b, c) = (diff::profile(&base.dump), diff::profile(&candidate.dump));
    let diffs = diff::compare(&b.operations, &c.operations, tol);
    let structure = diff::compare_structure(&b, &c, tol);
    let structure_regressed = structure.iter().filter(|s| s.regression).count();
    let failed = diff::fails(&diffs) || structure_regressed > 0;
    let count = |s: Status| diffs.iter().filter(|d| d.status == s).count();
    let summary = [
        ("regressed", count(Status::Regressed)),
        ("vanished", count(Status::Vanished)),
        ("new", count(Status::New)),
        ("improved", count(Status::Improved)),
        ("changed", count(Status::Changed)),
        ("unchanged", count(Status::Unchanged)),
        ("structure_regressed", structure_regressed),
    ];
    let shown: Vec<&OpDiff> = diffs.iter().filter(|d| args.all || d.status != Status::Unchanged).collect();
    let side = |path: &PathBuf, l: &tracecheck::input::Loaded| {
        serde_json::json!({
            "path": path.display().to_string(),
            "spans": l.dump.spans.len(),
            "digest": tracecheck::digest::spans(&l.dump),
        })
    };
    let text = match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "schema": "tracecheck.diff/v1",
                "tool": { "name": "tracecheck", "version": env!("CARGO_PKG_VERSION") },
                "base": side(&args.base, &base),
                "candidate": side(&args.candidate, &candidate),
                "tolerance": tol,
                "summary": summary.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect::<serde_json::Map<_, _>>(),
                "verdict": { "outcome": if failed { "fail" } else { "pass" }, "exit_code": u8::from(failed) },
                "structure": { "base": b.structure, "candidate": c.structure, "changes": structure },
                "operations": shown,
            });
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Human => human(&args, &shown, &summary, failed, (&b, &c), &structure),
    };
    match write_out(text.as_bytes(), args.output.as_deref()) {
        0 => u8::from(failed),
        code => code,
    }
}

fn human(
    args: &Args,
    shown: &[&OpDiff],
    summary: &[(&str, usize)],
    failed: bool,
    (base, candidate): (&Profile, &Profile),
    structure: &[StructureChange],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "diff {} ({} spans) → {} ({} spans); latency beyond +{:.0}% and {}, error rate beyond {:.1} points",
        args.base.display(),
        base.spans,
        args.candidate.display(),
        candidate.spans,
        args.max_regression * 100.0,
        fmt_ns(args.min_delta),
        args.max_error_increase * 100.0
    );
    let (bs, cs) = (&base.structure, &candidate.structure);
    let _ = writeln!(
        out,
        "structure: {} → {} traces, {} → {} roots, max depth {} → {}",
        bs.traces, cs.traces, bs.roots, cs.roots, bs.max_depth, cs.max_depth
    );
    for s in structure {
        let what = match s.metric {
            "orphans" => "orphan spans",
            "traces_without_root" => "traces without a root",
            "duplicate_span_ids" => "duplicate span ids",
            "cycles" => "parent cycles",
            other => other,
        };
        let _ = writeln!(
            out,
            "{:<9} {what} {} → {} ({:.1} → {:.1} per 1,000 spans)",
            if s.regression { "REGRESSED" } else { "CHANGED" },
            s.base,
            s.candidate,
            s.base_per_1k_spans,
            s.candidate_per_1k_spans
        );
    }
    for d in shown {
        let label = match d.status {
            Status::Regressed => "REGRESSED",
            Status::Vanished => "VANISHED",
            Status::New => "NEW",
            Status::Improved => "IMPROVED",
            Status::Changed => "CHANGED",
            Status::Unchanged => "unchanged",
        };
        let path = if d.key.path.is_empty() { "(root)".to_owned() } else { d.key.path.clone() };
        let _ = writeln!(out, "{label:<9} {} {:?} under {path}", d.key.service, d.key.name);
        for c in &d.changes {
            let rel = c.relative.map_or(String::new(), |r| format!(", {:+.0}%", r * 100.0));
            let line = match c.metric {
                "error_rate" => format!(
                    "error rate {:.1}% → {:.1}% ({:+.1} points)",
                    c.base * 100.0,
                    c.candidate * 100.0,
                    c.delta * 100.0
                ),
                "count" => format!("count {} → {} ({:+}{rel})", c.base, c.candidate, c.delta),
                m => format!(
                    "{m} {} → {} ({}{}{rel})",
                    fmt_ns(c.base as u64),
                    fmt_ns(c.candidate as u64),
                    if c.delta >= 0.0 { "+" } else { "-" },
                    fmt_ns(c.delta.abs() as u64)
                ),
            };
            let _ = writeln!(out, "          {line}");
        }
        if matches!(d.status, Status::Vanished | Status::New) {
            let f = d.base.as_ref().or(d.candidate.as_ref());
            if let Some(f) = f {
                let _ = writeln!(out, "          {} span(s), p99 {}", f.count, f.p99.map_or("-".into(), fmt_ns));
            }
        }
    }
    let parts: Vec<String> = summary.iter().map(|(k, v)| format!("{v} {}", k.replace('_', " "))).collect();
    let _ = writeln!(out, "\n{}: {}", if failed { "FAIL" } else { "PASS" }, parts.join(", "));
    out
}
