//! The collector: every node's exporter hands its finished spans to one writer thread, which
//! batches them per node (as a Collector's batch processor would) and writes each batch as one
//! `TracesData`: a JSON line or a length-prefixed protobuf message in a file, exactly as the
//! Collector's file exporter does, or an OTLP/HTTP request to a real collector.

use anyhow::{Context as _, bail};
use opentelemetry_proto::tonic::trace::v1::TracesData;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::trace::SpanData;
use prost::Message as _;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tracecheck_wire::otlp_http;

/// Where the spans go.
#[derive(Clone, Debug)]
pub enum Output {
    /// File-exporter JSON lines (`traces.json`).
    Json(PathBuf),
    /// File-exporter protobuf: each `TracesData` preceded by its length as a big-endian u32.
    Proto(PathBuf),
    /// OTLP/HTTP protobuf `POST`s to a collector (`…/v1/traces` is added when missing).
    Otlp(String),
}

/// What reached the output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub spans: u64,
    /// Lines (files) or requests (OTLP/HTTP).
    pub batches: u64,
    pub bytes: u64,
    /// Spans the exporter lost on purpose (the `lose-export` fault).
    pub lost: u64,
    /// Log records written (`--logs`).
    pub logs: u64,
}

/// How the collector behaves beyond writing batches.
#[derive(Clone, Copy, Debug, Default)]
pub struct Behaviour {
    /// Ends the output with the Collector's own span counters, as a `resourceMetrics` line
    /// (JSON lines only), the way a Collector exporting its internal telemetry into the
    /// pipeline would.
    pub telemetry: bool,
    /// Loses every n-th batch, as an exporter whose sends fail: its spans are counted as
    /// failed, not written.
    pub lose_every: Option<u64>,
    /// The nodes send log records (JSON lines only): they are written as `resourceLogs`
    /// lines beside the spans, batched per node like spans. Their pipeline loses nothing.
    pub logs: bool,
}

/// Finished spans of one node, with the node's resource.
#[derive(Debug)]
pub(crate) struct Batch {
    pub node: usize,
    pub resource: Arc<ResourceAttributesWithSchema>,
    pub spans: Vec<SpanData>,
}

/// One log record of a node (see the log bridge in `telemetry`).
#[derive(Debug)]
pub(crate) struct LogRecord {
    pub time_ns: u64,
    pub level: tracing::Level,
    /// The event's target, written as the instrumentation scope.
    pub scope: &'static str,
    pub body: String,
    pub attributes: Vec<opentelemetry_proto::tonic::common::v1::KeyValue>,
    /// Trace and span ids of the span the event happened in.
    pub ids: Option<([u8; 16], [u8; 8])>,
}

/// Log records of one node, with the node's resource.
#[derive(Debug)]
pub(crate) struct LogBatch {
    pub node: usize,
    pub resource: Arc<ResourceAttributesWithSchema>,
    pub records: Vec<LogRecord>,
}

#[derive(Debug)]
pub(crate) enum Msg {
    Spans(Batch),
    Logs(LogBatch),
    Finish,
}

/// A batch is written when it holds this many spans, or when it is this old.
const BATCH_SPANS: usize = 64;
const BATCH_AGE: Duration = Duration::from_millis(150);

/// The writer thread and the sending side every node's exporter clones.
#[derive(Debug)]
pub struct Collector {
    tx: Sender<Msg>,
    thread: JoinHandle<anyhow::Result<Written>>,
}

impl Collector {
    /// Opens the output and starts the writer thread.
    pub fn start(output: &Output, behaviour: Behaviour) -> anyhow::Result<Self> {
        if behaviour.telemetry && !matches!(output, Output::Json(_)) {
            bail!("the Collector's own telemetry is written into JSON-lines output only (--format json)");
        }
        if behaviour.logs && !matches!(output, Output::Json(_)) {
            bail!("log records are written into JSON-lines output only (--format json)");
        }
        let sink = Sink::open(output)?;
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("collector".into())
            .spawn(move || run(rx, sink, behaviour))
            .context("cannot start the collector thread")?;
        Ok(Self { tx, thread })
    }

    pub(crate) fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }

    /// Writes what is still buffered, closes the output and tells what was written.
    pub fn finish(self) -> anyhow::Result<Written> {
        // The thread may already have stopped on a write error; join tells why.
        let _ = self.tx.send(Msg::Finish);
        match self.thread.join() {
            Ok(r) => r,
            Err(_) => bail!("the collector thread panicked"),
        }
    }
}

fn run(rx: Receiver<Msg>, mut sink: Sink, behaviour: Behaviour) -> anyhow::Result<Written> {
    let started = std::time::SystemTime::now();
    struct Pending {
        resource: Arc<ResourceAttributesWithSchema>,
        spans: Vec<SpanData>,
        since: Instant,
    }
    // Ordered by node, so flushing "everything" is deterministic in order.
    let mut pending: BTreeMap<usize, Pending> = BTreeMap::new();
    // Adds a node's spans to its pending batch; the batch's age starts with its first span.
    fn add(pending: &mut BTreeMap<usize, Pending>, batch: Batch) -> &mut Pending {
        let p = pending.entry(batch.node).or_insert_with(|| Pending {
            resource: batch.resource.clone(),
            spans: Vec::new(),
            since: Instant::now(),
        });
        if p.spans.is_empty() {
            p.since = Instant::now();
        }
        p.resource = batch.resource;
        p.spans.extend(batch.spans);
        p
    }
    // Log records wait per node too, and are written with the same batching.
    let mut logs: BTreeMap<usize, (LogBatch, Instant)> = BTreeMap::new();
    let flush_logs = |batch: &mut LogBatch, sink: &mut Sink, written: &mut Written| -> anyhow::Result<()> {
        if batch.records.is_empty() {
            return Ok(());
        }
        let line = crate::otlp_json::encode_logs(&batch.resource, &batch.records);
        written.bytes += sink.write_line(&line)?;
        written.logs += batch.records.len() as u64;
        batch.records.clear();
        Ok(())
    };
    let mut written = Written::default();
    let mut flushed = 0u64;
    let mut flush = |p: &mut Pending, sink: &mut Sink, written: &mut Written| -> anyhow::Result<()> {
        if p.spans.is_empty() {
            return Ok(());
        }
        let n = p.spans.len() as u64;
        flushed += 1;
        if behaviour.lose_every.is_some_and(|k| flushed.is_multiple_of(k)) {
            p.spans.clear();
            written.lost += n;
            return Ok(());
        }
        let data =
            TracesData { resource_spans: group_spans_by_resource_and_scope(std::mem::take(&mut p.spans), &p.resource) };
        written.bytes += sink.write(&data)?;
        written.spans += n;
        written.batches += 1;
        Ok(())
    };
    loop {
        match rx.recv_timeout(BATCH_AGE) {
            Ok(Msg::Spans(batch)) => {
                let p = add(&mut pending, batch);
                if p.spans.len() >= BATCH_SPANS {
                    flush(p, &mut sink, &mut written)?;
                }
            }
            Ok(Msg::Logs(batch)) => {
                let (p, since) = logs.entry(batch.node).or_insert_with(|| {
                    (
                        LogBatch { node: batch.node, resource: batch.resource.clone(), records: Vec::new() },
                        Instant::now(),
                    )
                });
                if p.records.is_empty() {
                    *since = Instant::now();
                }
                p.records.extend(batch.records);
                if p.records.len() >= BATCH_SPANS {
                    flush_logs(p, &mut sink, &mut written)?;
                }
            }
            Ok(Msg::Finish) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        for p in pending.values_mut() {
            if p.since.elapsed() >= BATCH_AGE {
                flush(p, &mut sink, &mut written)?;
            }
        }
        for (p, since) in logs.values_mut() {
            if since.elapsed() >= BATCH_AGE {
                flush_logs(p, &mut sink, &mut written)?;
            }
        }
    }
    // What was exported after `Finish` was queued (nothing on a normal run) still counts.
    while let Ok(msg) = rx.try_recv() {
        match msg {
            Msg::Spans(batch) => {
                add(&mut pending, batch);
            }
            Msg::Logs(batch) => match logs.get_mut(&batch.node) {
                Some((p, _)) => p.records.extend(batch.records),
                None => {
                    logs.insert(batch.node, (batch, Instant::now()));
                }
            },
            Msg::Finish => {}
        }
    }
    for p in pending.values_mut() {
        flush(p, &mut sink, &mut written)?;
    }
    for (p, _) in logs.values_mut() {
        flush_logs(p, &mut sink, &mut written)?;
    }
    if behaviour.telemetry {
        written.bytes += sink.write_line(&own_telemetry(&written, started))?;
    }
    sink.close()?;
    Ok(written)
}

/// The Collector's own span counters for this run as an OTLP JSON `resourceMetrics` line:
/// the receiver accepted every span the nodes exported, the batch processor passed them all
/// on, the file exporter sent what was written and failed what was lost.
fn own_telemetry(w: &Written, started: std::time::SystemTime) -> String {
    let ns = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()).to_string();
    let (start, now) = (ns(started), ns(std::time::SystemTime::now()));
    let received = w.spans + w.lost;
    let attr = |k: &str, v: &str| serde_json::json!({"key": k, "value": {"stringValue": v}});
    let counter = |name: &str, value: u64, attrs: Vec<serde_json::Value>| {
        serde_json::json!({
            "name": name,
            "unit": "{spans}",
            "sum": {
                "dataPoints": [{"attributes": attrs, "startTimeUnixNano": start, "timeUnixNano": now, "asInt": value.to_string()}],
                "aggregationTemporality": 2,
                "isMonotonic": true
            }
        })
    };
    let metrics = vec![
        counter("otelcol_receiver_accepted_spans", received, vec![attr("receiver", "otlp"), attr("transport", "grpc")]),
        counter("otelcol_receiver_refused_spans", 0, vec![attr("receiver", "otlp"), attr("transport", "grpc")]),
        counter(
            "otelcol_processor_incoming_items",
            received,
            vec![attr("processor", "batch"), attr("otel.signal", "traces")],
        ),
        counter(
            "otelcol_processor_outgoing_items",
            received,
            vec![attr("processor", "batch"), attr("otel.signal", "traces")],
        ),
        counter("otelcol_exporter_sent_spans", w.spans, vec![attr("exporter", "file")]),
        counter("otelcol_exporter_send_failed_spans", w.lost, vec![attr("exporter", "file")]),
    ];
    let resource = serde_json::json!({"attributes": [
        attr("service.name", "tracecheck-emit-collector"),
        attr("service.instance.id", "collector-0"),
    ]});
    serde_json::json!({"resourceMetrics": [{
        "resource": resource,
        "scopeMetrics": [{"scope": {"name": "go.opentelemetry.io/collector/service"}, "metrics": metrics}]
    }]})
    .to_string()
}

enum Sink {
    Json(std::io::BufWriter<std::fs::File>, PathBuf),
    Proto(std::io::BufWriter<std::fs::File>, PathBuf),
    Otlp(String, ureq::Agent),
}

impl Sink {
    fn open(output: &Output) -> anyhow::Result<Self> {
        let create = |path: &PathBuf| {
            std::fs::File::create(path)
                .map(std::io::BufWriter::new)
                .with_context(|| format!("cannot create {}", path.display()))
        };
        Ok(match output {
            Output::Json(p) => Sink::Json(create(p)?, p.clone()),
            Output::Proto(p) => Sink::Proto(create(p)?, p.clone()),
            Output::Otlp(endpoint) => {
                Sink::Otlp(otlp_http::traces_url(endpoint).map_err(anyhow::Error::msg)?, otlp_http::agent())
            }
        })
    }

    /// Writes one batch; returns the bytes written (or sent).
    fn write(&mut self, data: &TracesData) -> anyhow::Result<u64> {
        match self {
            Sink::Json(w, path) => {
                let mut line = crate::otlp_json::encode_traces_data(data);
                line.push('\n');
                w.write_all(line.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
                Ok(line.len() as u64)
            }
            Sink::Proto(w, path) => {
                let body = data.encode_to_vec();
                let len = u32::try_from(body.len()).context("a batch over 4 GiB cannot be framed")?;
                w.write_all(&len.to_be_bytes())
                    .and_then(|()| w.write_all(&body))
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok(4 + body.len() as u64)
            }
            Sink::Otlp(url, agent) => {
                let body = data.encode_to_vec();
                otlp_http::export(agent, url, &body).with_context(|| format!("OTLP export to {url} failed"))?;
                Ok(body.len() as u64)
            }
        }
    }

    /// Writes one line of JSON-lines output as it is (the Collector's own metrics).
    fn write_line(&mut self, line: &str) -> anyhow::Result<u64> {
        match self {
            Sink::Json(w, path) => {
                w.write_all(line.as_bytes())
                    .and_then(|()| w.write_all(b"\n"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok(line.len() as u64 + 1)
            }
            Sink::Proto(..) | Sink::Otlp(..) => Ok(0),
        }
    }

    fn close(self) -> anyhow::Result<()> {
        match self {
            Sink::Json(mut w, path) | Sink::Proto(mut w, path) => {
                w.flush().with_context(|| format!("cannot write {}", path.display()))
            }
            Sink::Otlp(..) => Ok(()),
        }
    }
}
