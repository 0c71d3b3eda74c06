//! One node's instrumentation: an OpenTelemetry SDK tracer provider with the node's own
//! resource, behind a `tracing-opentelemetry` layer installed as the node thread's default
//! subscriber; span helpers for status and W3C trace context.

use crate::collector::{Batch, Msg};
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry::{InstrumentationScope, KeyValue};
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
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;

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
    /// Installs the node's subscriber as this thread's default.
    pub(crate) fn install(node: usize, peer_id: &str, instance_id: &str, tx: Sender<Msg>) -> Self {
        let alive = Arc::new(AtomicBool::new(true));
        let resource = Resource::builder()
            .with_service_name(SERVICE_NAME)
            .with_attributes([
                KeyValue::new("service.version", SERVICE_VERSION),
                KeyValue::new("service.instance.id", instance_id.to_owned()),
                KeyValue::new("p2p.peer_id", peer_id.to_owned()),
            ])
            .build();
        let exporter =
            ToCollector { node, tx, alive: alive.clone(), resource: Arc::new(ResourceAttributesWithSchema::default()) };
        // The simple processor exports each span as it ends: what ended before a crash is in
        // the dump, as with a collector-side batcher.
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter).with_resource(resource).build();
        let scope = InstrumentationScope::builder("tracecheck_emitter::market").with_version(SERVICE_VERSION).build();
        let tracer = provider.tracer_with_scope(scope);
        // Only the marketplace's own spans: libp2p's internal tracing spans stay out.
        let filter = tracing_subscriber::filter::Targets::new().with_target("tracecheck_emitter", tracing::Level::INFO);
        let layer = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_tracked_inactivity(false)
            .with_threads(false)
            .with_filter(filter);
        let subscriber = tracing_subscriber::registry().with(layer);
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

/// Why an operation failed: `kind` goes to `error.type`, `message` to `error.message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpError {
    pub kind: String,
    pub message: String,
}

impl OpError {
    pub(crate) fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind: kind.into(), message: message.into() }
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// Runs `fut` inside `span` and sets the span's status from the result: OK, or ERROR with
/// `error.type` and `error.message`.
pub(crate) async fn traced<T>(
    span: tracing::Span,
    fut: impl Future<Output = Result<T, OpError>>,
) -> Result<T, OpError> {
    let result = fut.instrument(span.clone()).await;
    match &result {
        Ok(_) => span.set_status(Status::Ok),
        Err(e) => {
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
