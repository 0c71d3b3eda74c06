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
    /// HTTP only). Default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as it is), else
    /// $OTEL_EXPORTER_OTLP_ENDPOINT.
    #[arg(long, value_parser = tracecheck::replay::traces_url)]
    otlp_endpoint: Option<String>,
    /// A request header, `K=V` (repeatable): `X-Scope-OrgID=tenant` for Tempo, or
    /// `Authorization=Bearer …`. $OTEL_EXPORTER_OTLP_HEADERS and $OTEL_EXPORTER_OTLP_TRACES_HEADERS
    /// (`k=v,k2=v2`, values URL-encoded) are added first.
    #[arg(long = "header", value_name = "K=V", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Compress request bodies with gzip (also when $OTEL_EXPORTER_OTLP_COMPRESSION or
    /// $OTEL_EXPORTER_OTLP_TRACES_COMPRESSION is `gzip`).
    #[arg(long)]
    gzip: bool,
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
    /// Output format: `human` (one line) or `json` (schema `tracecheck.replay/v1`).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The same as `--format json` (kept for scripts written before `--format`).
    #[arg(long, hide = true)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

/// `K=V` of `--header`.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (k, v) = text.split_once('=').ok_or_else(|| format!("{text:?} is not K=V, such as X-Scope-OrgID=tenant"))?;
    let k = k.trim();
    if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
        return Err(format!("{k:?} is not a header name"));
    }
    if v.bytes().any(|b| b == b'\r' || b == b'\n') {
        return Err(format!("the value of {k} holds a line break"));
    }
    Ok((k.to_string(), v.trim().to_string()))
}

/// The headers of `OTEL_EXPORTER_OTLP_HEADERS`-style text: `k=v,k2=v2`, values
/// percent-decoded, as the OpenTelemetry specification writes them.
fn env_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = parse_header(p)?;
            Ok((k, percent_decode(&v)))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where requests go and with what headers: the options, else the standard environment.
fn target(args: &Args) -> Result<tracecheck::replay::Target, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let url = match (&args.otlp_endpoint, env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), env("OTEL_EXPORTER_OTLP_ENDPOINT"))
    {
        (Some(u), _, _) => u.clone(),
        // The per-signal variable is the full URL; the general one gets `/v1/traces`.
        (None, Some(u), _) => {
            tracecheck::replay::traces_url(&u).map_err(|e| format!("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {e}"))?;
            u
        }
        (None, None, Some(u)) => {
            tracecheck::replay::traces_url(&u).map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?
        }
        (None, None, None) => {
            return Err("no endpoint: give --otlp-endpoint, or set OTEL_EXPORTER_OTLP_ENDPOINT".into());
        }
    };
    let mut headers = Vec::new();
    for var in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
        if let Some(v) = env(var) {
            headers.extend(env_headers(&v).map_err(|e| format!("{var}: {e}"))?);
        }
    }
    headers.extend(args.headers.iter().cloned());
    let compression = env("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION").or_else(|| env("OTEL_EXPORTER_OTLP_COMPRESSION"));
    let gzip = args.gzip || compression.is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip"));
    Ok(tracecheck::replay::Target { url, headers, gzip })
}

pub fn run(args: Args) -> Exit {
    let target = match target(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tracecheck: {e}");
            return Exit::Usage;
        }
    };
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
    let outcome = tracecheck::replay::send(dump, &ids, shift, &target, args.batch);
    let report = ReplayReport { endpoint: target.url.clone(), shift_ns: shift, outcome };
    let mut buf = Vec::new();
    let written = if args.json || args.format == Format::Json {
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
