//! `tracecheck capture [CHECK OPTIONS] [--out DIR] -- COMMAND [ARGS…]`: an OTLP/HTTP
//! receiver on 127.0.0.1 for one run of a command, then `check` on what it sent.
//!
//! The receiver takes OTLP/HTTP requests (protobuf or JSON, gzip or not) on `/v1/traces`,
//! `/v1/logs` and `/v1/metrics`, answers each with an empty success, and writes every body
//! as it arrives as one line of the Collector's file exporter JSON (`traces.jsonl`,
//! `logs.jsonl`, `metrics.jsonl`): protobuf bodies are transcoded to OTLP/JSON without loss
//! (`input::otlp_transcode`), a body that is not OTLP is refused with 400 and counted.
//! Memory holds one request at a time; requests are limited in size.
//! gRPC is not served (it would need an HTTP/2 stack): the command's SDK is told to use
//! `http/protobuf`.

use super::Exit;
use super::check::{CheckArgs, run_on};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracecheck::input::otlp_transcode::{Signal, to_json};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    check: CheckArgs,
    /// Where to write what was received (a directory; default: a new one under $TMPDIR,
    /// kept and named on stderr).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// After the command exits, how long to keep listening for late exports at most; the
    /// receiver stops earlier once no request came for half a second.
    #[arg(long, default_value = "5s", value_parser = tracecheck::model::time::parse_duration)]
    grace: u64,
    /// The command to run, and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// The largest request body taken, as sent and once inflated.
const MAX_BODY: usize = 64 << 20;
const MAX_INFLATED: u64 = 256 << 20;
/// Connections served at once.
const MAX_CONNECTIONS: usize = 64;

/// What was received, written as it arrives.
#[derive(Default)]
struct Store {
    dir: PathBuf,
    files: BTreeMap<&'static str, BufWriter<File>>,
    /// Requests per signal.
    requests: BTreeMap<&'static str, u64>,
    refused: u64,
    /// Why the first refused request was refused.
    first_refusal: Option<String>,
    /// Protobuf fields the OTLP schema does not have, skipped while transcoding.
    unknown_fields: u64,
    error: Option<io::Error>,
    last: Option<Instant>,
}

impl Store {
    /// Writes one request body as a JSON line of `SIGNAL.jsonl`; protobuf bodies are
    /// transcoded. A body that is not OTLP is refused with the reason (and counted).
    fn keep(&mut self, signal: Signal, json: bool, body: &[u8]) -> Result<(), String> {
        let line = if json {
            // One line per body: re-serialised compactly when the body spans lines.
            if body.contains(&b'\n') {
                let v: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|e| format!("a {} JSON body is not JSON: {e}", signal.name()))?;
                std::borrow::Cow::Owned(v.to_string().into_bytes())
            } else {
                std::borrow::Cow::Borrowed(body)
            }
        } else {
            let t = to_json(signal, body).map_err(|e| format!("a {} protobuf body: {e}", signal.name()))?;
            self.unknown_fields += t.unknown_fields;
            std::borrow::Cow::Owned(t.json.into_bytes())
        };
        let name = file_of(signal);
        *self.requests.entry(signal.name()).or_default() += 1;
        self.last = Some(Instant::now());
        let written = (|| -> io::Result<()> {
            if !self.files.contains_key(name) {
                let f = File::create(self.dir.join(name))?;
                self.files.insert(name, BufWriter::new(f));
            }
            let Some(w) = self.files.get_mut(name) else { return Ok(()) };
            w.write_all(&line)?;
            w.write_all(b"\n")
        })();
        if let Err(e) = written
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        Ok(())
    }

    fn refuse(&mut self, why: String) {
        self.refused += 1;
        self.first_refusal.get_or_insert(why);
    }
}

/// The signal posted to `path` (`/v1/traces`, `/v1/logs`, `/v1/metrics`).
fn signal_of_path(path: &str) -> Option<Signal> {
    match path.split('?').next().unwrap_or("") {
        "/v1/traces" => Some(Signal::Traces),
        "/v1/logs" => Some(Signal::Logs),
        "/v1/metrics" => Some(Signal::Metrics),
        _ => None,
    }
}

/// The file a signal's JSON lines go to.
fn file_of(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "traces.jsonl",
        Signal::Logs => "logs.jsonl",
        Signal::Metrics => "metrics.jsonl",
    }
}

pub fn run(mut args: Args) -> Exit {
    // A broken tracecheck.toml is said before the command runs, not after.
    if let Err(exit) = super::config() {
        return exit;
    }
    let dir = match &args.out {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("tracecheck-capture-{}", std::process::id())),
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("tracecheck: cannot create {}: {e}", dir.display());
        return Exit::Incomplete;
    }
    // Loopback only, on a port the system picks.
    let listener = match TcpListener::bind(("127.0.0.1", 0)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tracecheck: cannot listen on 127.0.0.1: {e}");
            return Exit::Incomplete;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let store = Arc::new(Mutex::new(Store { dir: dir.clone(), ..Store::default() }));
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || serve(listener, &store, &stop))
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let (program, rest) = args.command.split_first().map_or(("", &[][..]), |(p, r)| (p.as_str(), r));
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .env("OTEL_TRACES_EXPORTER", "otlp")
        .env("OTEL_LOGS_EXPORTER", "otlp")
        .env("OTEL_METRICS_EXPORTER", "otlp");
    for signal in ["TRACES", "LOGS", "METRICS"] {
        cmd.env(format!("OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"), format!("{endpoint}/v1/{}", signal.to_lowercase()))
            .env(format!("OTEL_EXPORTER_OTLP_{signal}_PROTOCOL"), "http/protobuf");
    }
    let status = cmd.status();
    // Late exports: listen on until a quiet half second, at most the grace period.
    let exited = Instant::now();
    let grace = Duration::from_nanos(args.grace);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let last = store.lock().ok().and_then(|s| s.last);
        let quiet = last.is_none_or(|t| t.elapsed() >= Duration::from_millis(500));
        if exited.elapsed() >= grace || (quiet && exited.elapsed() >= Duration::from_millis(500)) {
            break;
        }
    }
    stop.store(true, Ordering::Release);
    let _ = server.join();
    let Ok(mut store) = store.lock() else {
        eprintln!("tracecheck: the receiver failed");
        return Exit::Incomplete;
    };
    let flushed: Vec<io::Result<()>> = store.files.values_mut().map(|w| w.flush()).collect();
    if let Some(e) = store.error.take().or_else(|| flushed.into_iter().find_map(Result::err)) {
        eprintln!("tracecheck: cannot write the capture to {}: {e}", dir.display());
        return Exit::Incomplete;
    }
    let got: Vec<String> = store.requests.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let mut refused = match (&store.refused, &store.first_refusal) {
        (0, _) => String::new(),
        (n, Some(why)) => format!("; {n} refused, the first because {why}"),
        (n, None) => format!("; {n} refused"),
    };
    if store.unknown_fields > 0 {
        refused.push_str(&format!("; {} protobuf field(s) unknown to OTLP skipped", store.unknown_fields));
    }
    let shown = args.command.join(" ");
    let command_failed = match &status {
        Ok(s) if s.success() => None,
        Ok(s) => Some(format!("{shown} exited with {s}")),
        Err(e) => Some(format!("cannot run {shown}: {e}")),
    };
    eprintln!(
        "tracecheck: captured {} request(s) from {shown} ({}{refused}) in {}",
        store.requests.values().sum::<u64>(),
        if got.is_empty() { "none".to_string() } else { got.join(", ") },
        dir.display()
    );
    // The check reads the traces, logs and metrics (the latter two counted as other signals).
    let files: Vec<PathBuf> = ["traces.jsonl", "logs.jsonl", "metrics.jsonl"]
        .iter()
        .filter(|n| store.files.contains_key(**n))
        .map(|n| dir.join(n))
        .collect();
    drop(store);
    let exit = if files.iter().any(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("traces"))) {
        run_on(&files, &mut args.check)
    } else {
        eprintln!(
            "tracecheck: {shown} sent no spans to {endpoint} (its SDK is told so by OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_TRACES_EXPORTER=otlp; is it instrumented?)"
        );
        Exit::Unusable
    };
    match command_failed {
        Some(why) => {
            eprintln!("tracecheck: {why}; the check's verdict is exit {}", exit.code());
            if exit.code() >= Exit::Fail.code() { exit } else { Exit::Fail }
        }
        None => exit,
    }
}

/// Accepts connections until `stop`, one thread each (at most [`MAX_CONNECTIONS`]).
fn serve(listener: TcpListener, store: &Arc<Mutex<Store>>, stop: &AtomicBool) {
    if listener.set_nonblocking(true).is_err() {
        return;
    }
    let live = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    while !stop.load(Ordering::Acquire) {
        match listener.accept() {
            Ok((conn, _)) => {
                if live.load(Ordering::Acquire) >= MAX_CONNECTIONS {
                    drop(conn);
                    continue;
                }
                live.fetch_add(1, Ordering::AcqRel);
                let (store, live) = (store.clone(), live.clone());
                workers.push(std::thread::spawn(move || {
                    let _ = connection(conn, &store);
                    live.fetch_sub(1, Ordering::AcqRel);
                }));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
        workers.retain(|w| !w.is_finished());
    }
    for w in workers {
        let _ = w.join();
    }
}

/// Serves the requests of one connection (HTTP/1.1, kept alive).
fn connection(conn: TcpStream, store: &Mutex<Store>) -> io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut out = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.by_ref().take(8192).read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, path, version) =
            (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        let mut head = line.len();
        loop {
            let mut h = String::new();
            if r.by_ref().take(8192).read_line(&mut h)? == 0 {
                return Ok(());
            }
            head += h.len();
            if head > 64 << 10 {
                return respond(&mut out, 431, "text/plain", b"request head too large", true);
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let close = version == "HTTP/1.0" || headers.get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let body = match read_body(&mut r, &headers) {
            Ok(b) => b,
            Err(Refused(status, why)) => {
                if let Ok(mut s) = store.lock() {
                    s.refuse(why.clone());
                }
                return respond(&mut out, status, "text/plain", why.as_bytes(), true);
            }
        };
        let signal = match signal_of_path(path) {
            Some(s) => s,
            None => {
                respond(
                    &mut out,
                    404,
                    "text/plain",
                    b"tracecheck capture serves /v1/traces, /v1/logs, /v1/metrics",
                    close,
                )?;
                if close {
                    return Ok(());
                }
                continue;
            }
        };
        if method != "POST" {
            respond(&mut out, 405, "text/plain", b"POST only", close)?;
            if close {
                return Ok(());
            }
            continue;
        }
        let gzip = headers.get("content-encoding").is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
        let body = if gzip {
            let mut inflated = Vec::new();
            match flate2::read::GzDecoder::new(&body[..]).take(MAX_INFLATED + 1).read_to_end(&mut inflated) {
                Ok(n) if n as u64 <= MAX_INFLATED => inflated,
                _ => {
                    if let Ok(mut s) = store.lock() {
                        s.refuse(format!("a {} body: bad or oversized gzip", signal.name()));
                    }
                    respond(&mut out, 400, "text/plain", b"bad or oversized gzip body", close)?;
                    continue;
                }
            }
        } else {
            body
        };
        let json = headers.get("content-type").is_some_and(|t| t.contains("json"));
        let kept =
            store.lock().map_or(Ok(()), |mut s| s.keep(signal, json, &body).inspect_err(|why| s.refuse(why.clone())));
        if let Err(why) = kept {
            // 400: the OTLP/HTTP status for a request the sender must not retry.
            respond(&mut out, 400, "text/plain", why.as_bytes(), close)?;
            if close {
                return Ok(());
            }
            continue;
        }
        // An empty Export*ServiceResponse: full success.
        if json {
            respond(&mut out, 200, "application/json", b"{}", close)?;
        } else {
            respond(&mut out, 200, "application/x-protobuf", b"", close)?;
        }
        if close {
            return Ok(());
        }
    }
}

struct Refused(u16, String);

/// The body, by `Content-Length` or chunked, at most [`MAX_BODY`] bytes.
fn read_body(r: &mut BufReader<TcpStream>, headers: &BTreeMap<String, String>) -> Result<Vec<u8>, Refused> {
    let io_err = |e: io::Error| Refused(400, format!("cannot read the body: {e}"));
    if headers.get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            r.by_ref().take(1024).read_line(&mut size).map_err(io_err)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| Refused(400, "bad chunk size".into()))?;
            if body.len() + n > MAX_BODY {
                return Err(Refused(413, format!("body larger than {MAX_BODY} bytes")));
            }
            let start = body.len();
            body.resize(start + n, 0);
            r.read_exact(&mut body[start..]).map_err(io_err)?;
            let mut crlf = String::new();
            r.by_ref().take(1024).read_line(&mut crlf).map_err(io_err)?;
            if n == 0 {
                return Ok(body);
            }
        }
    }
    let n: usize = match headers.get("content-length") {
        Some(v) => v.parse().map_err(|_| Refused(400, "bad Content-Length".into()))?,
        None => 0,
    };
    if n > MAX_BODY {
        return Err(Refused(413, format!("body larger than {MAX_BODY} bytes")));
    }
    let mut body = vec![0; n];
    r.read_exact(&mut body).map_err(io_err)?;
    Ok(body)
}

fn respond(out: &mut TcpStream, status: u16, content_type: &str, body: &[u8], close: bool) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        _ => "Request Header Fields Too Large",
    };
    let connection = if close { "close" } else { "keep-alive" };
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()
}
