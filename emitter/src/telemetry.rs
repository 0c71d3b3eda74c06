//! One node's instrumentation: an OpenTelemetry SDK tracer provider with the node's own
//! resource, behind a `tracing-opentelemetry` layer installed as the node thread's default
//! subscriber; optionally a log bridge that turns the node's `tracing` events into log records
//! carrying the trace and span they happened in; span helpers for status and W3C trace
//! context.

use crate::collector::{Batch, LogBatch, LogRecord, Msg};
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{Status, TraceContextExt as _, TracerProvider as _};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::common::v1 as proto;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::FilterExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;

pub const SERVICE_NAME: &str = "ggen-p2p-marketplace";
pub const SERVICE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Hands every finished span to the collector, until the node "dies": a crashed process
/// exports nothing more, so spans still open at that moment never reach the dump.
#[derive(Debug)]
struct ToCollector {
    node: usize,
    tx: Sender<Msg>,
    alive: Arc<AtomicBool>,
    resource: Arc<ResourceAttributesWithSchema>,
}

impl SpanExporter for ToCollector {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let result = if self.alive.load(Ordering::Acquire) {
            self.tx
                .send(Msg::Spans(Batch { node: self.node, resource: self.resource.clone(), spans: batch }))
                .map_err(|_| OTelSdkError::InternalFailure("the collector has stopped".into()))
        } else {
            Ok(())
        };
        std::future::ready(result)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = Arc::new(resource.into());
    }
}

/// A node's telemetry; dropping it without [`NodeTelemetry::shutdown`] loses nothing already
/// exported (spans are handed over as they end).
#[derive(Debug)]
pub(crate) struct NodeTelemetry {
    provider: SdkTracerProvider,
    alive: Arc<AtomicBool>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl NodeTelemetry {
    /// Installs the node's subscriber as this thread's default; with `logs`, the node's
    /// events are also written as log records.
    pub(crate) fn install(node: usize, peer_id: &str, instance_id: &str, tx: Sender<Msg>, logs: bool) -> Self {
        let alive = Arc::new(AtomicBool::new(true));
        let resource = Resource::builder()
            .with_service_name(SERVICE_NAME)
            .with_attributes([
                KeyValue::new("service.version", SERVICE_VERSION),
                KeyValue::new("service.instance.id", instance_id.to_owned()),
                KeyValue::new("p2p.peer_id", peer_id.to_owned()),
            ])
            .build();
        let bridge = LogBridge {
            on: logs,
            node,
            tx: tx.clone(),
            alive: alive.clone(),
            resource: Arc::new(ResourceAttributesWithSchema::from(&resource)),
            dispatch: std::sync::OnceLock::new(),
        };
        let exporter =
            ToCollector { node, tx, alive: alive.clone(), resource: Arc::new(ResourceAttributesWithSchema::default()) };
        // The simple processor exports each span as it ends: what ended before a crash is in
        // the dump, as with a collector-side batcher.
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter).with_resource(resource).build();
        let scope = InstrumentationScope::builder("tracecheck_emitter::market").with_version(SERVICE_VERSION).build();
        let tracer = provider.tracer_with_scope(scope);
        // Only the marketplace's own spans and events: libp2p's internal tracing stays out.
        let ours = tracing_subscriber::filter::Targets::new().with_target("tracecheck_emitter", tracing::Level::INFO);
        // Events are logs (through the bridge), not span events: the spans stay as they are
        // with or without logs.
        let spans_only = tracing_subscriber::filter::filter_fn(|m| m.is_span());
        let layer = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_tracked_inactivity(false)
            .with_threads(false)
            .with_filter(ours.clone().and(spans_only));
        let subscriber = tracing_subscriber::registry().with(layer).with(bridge.with_filter(ours));
        let guard = tracing::subscriber::set_default(subscriber);
        Self { provider, alive, _guard: guard }
    }

    /// The switch that makes the node's exporter go silent, as a killed process does.
    pub(crate) fn alive(&self) -> Arc<AtomicBool> {
        self.alive.clone()
    }

    /// Exports what is left and stops the provider (a normal exit).
    pub(crate) fn shutdown(self) {
        // Nothing is buffered by the simple processor; these only make the exit explicit.
        let _ = self.provider.force_flush();
        let _ = self.provider.shutdown();
    }
}

/// The log bridge: every event of the node becomes a log record with the time, severity,
/// message and fields of the event, and the trace and span ids of the span it happened in
/// (as OpenTelemetry's log bridges for `tracing` do). A dead node logs nothing more.
#[derive(Debug)]
struct LogBridge {
    /// Off unless logs are asked for (always installed: `Option<Layer>` does not pass on
    /// `on_register_dispatch`).
    on: bool,
    node: usize,
    tx: Sender<Msg>,
    alive: Arc<AtomicBool>,
    resource: Arc<ResourceAttributesWithSchema>,
    /// The subscriber this layer is part of: a span's OpenTelemetry context is asked of it
    /// (inside `on_event` the thread's default dispatcher is not available).
    dispatch: std::sync::OnceLock<tracing::dispatcher::WeakDispatch>,
}

impl<S> Layer<S> for LogBridge
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if !self.on || !self.alive.load(Ordering::Acquire) {
            return;
        }
        let mut fields = EventFields::default();
        event.record(&mut fields);
        let span = ctx.event_span(event).map(|s| s.id());
        let ids = span.and_then(|id| {
            let dispatch = self.dispatch.get()?.upgrade()?;
            let cx = tracing_opentelemetry::get_otel_context(&id, &dispatch)?;
            let sc = cx.span().span_context().clone();
            sc.is_valid().then(|| (sc.trace_id().to_bytes(), sc.span_id().to_bytes()))
        });
        let time =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        let record = LogRecord {
            time_ns: time,
            level: *event.metadata().level(),
            scope: event.metadata().target(),
            body: fields.message,
            attributes: fields.attributes,
            ids,
        };
        let _ = self.tx.send(Msg::Logs(LogBatch {
            node: self.node,
            resource: self.resource.clone(),
            records: vec![record],
        }));
    }
}

/// An event's message and its other fields (integers stay integers).
#[derive(Default)]
struct EventFields {
    message: String,
    attributes: Vec<proto::KeyValue>,
}

impl EventFields {
    fn push(&mut self, field: &tracing::field::Field, value: proto::any_value::Value) {
        let value = Some(proto::AnyValue { value: Some(value) });
        self.attributes.push(proto::KeyValue { key: field.name().to_owned(), value, ..proto::KeyValue::default() });
    }
}

impl tracing::field::Visit for EventFields {
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.push(field, proto::any_value::Value::IntValue(value));
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        match i64::try_from(value) {
            Ok(v) => self.record_i64(field, v),
            Err(_) => self.push(field, proto::any_value::Value::StringValue(value.to_string())),
        }
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.push(field, proto::any_value::Value::BoolValue(value));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.message);
        } else {
            self.push(field, proto::any_value::Value::StringValue(value.to_owned()));
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.push(field, proto::any_value::Value::StringValue(text));
        }
    }
}

/// Why an operation failed: `kind` goes to `error.type`, `message` to `error.message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpError {
    pub kind: String,
    pub message: String,
    /// Already logged, by the innermost span it failed (spans it fails on the way out do not
    /// log it again).
    logged: bool,
}

impl OpError {
    pub(crate) fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind: kind.into(), message: message.into(), logged: false }
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// Runs `fut` inside `span` and sets the span's status from the result: OK, or ERROR with
/// `error.type` and `error.message`. A failure is logged (a warning) in the span where it
/// happened.
pub(crate) async fn traced<T>(
    span: tracing::Span,
    fut: impl Future<Output = Result<T, OpError>>,
) -> Result<T, OpError> {
    let mut result = fut.instrument(span.clone()).await;
    match &mut result {
        Ok(_) => span.set_status(Status::Ok),
        Err(e) => {
            if !std::mem::replace(&mut e.logged, true) {
                span.in_scope(|| tracing::warn!(error.type = %e.kind, "{}", e.message));
            }
            span.set_attribute("error.type", e.kind.clone());
            span.set_attribute("error.message", e.message.clone());
            span.set_status(Status::error(e.message.clone()));
        }
    }
    result
}

/// The W3C `traceparent` of `span`, to travel inside a message or request.
pub(crate) fn traceparent(span: &tracing::Span) -> String {
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    carrier.remove("traceparent").unwrap_or_default()
}

/// Makes `span` a child of the remote span named by `traceparent` (left a root when the
/// header is missing or malformed, as a real receiver would).
pub(crate) fn continue_from(span: tracing::Span, traceparent: &str) -> tracing::Span {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(cx);
    span
}
