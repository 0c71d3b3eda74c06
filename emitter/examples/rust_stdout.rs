//! Prints four spans (a server request, a database call with an event, a failed charge with an
//! exception event, a span with array, float and bool attributes) with the OpenTelemetry Rust
//! SDK's stdout exporter: the fixture `sample-traces/console/rust-stdout.txt`.
//!
//! `cargo run -p tracecheck-emitter --example rust_stdout > sample-traces/console/rust-stdout.txt`

use opentelemetry::trace::{Span, SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

fn main() {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .with_resource(
            Resource::builder_empty().with_attributes([KeyValue::new("service.name", "checkout-rs")]).build(),
        )
        .build();
    let tracer = provider.tracer("fixture");
    let root = tracer
        .span_builder("POST /checkout")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", "POST"),
            KeyValue::new("http.response.status_code", 200),
        ])
        .start(&tracer);
    let cx = Context::current_with_span(root);
    let mut db = tracer
        .span_builder("SELECT orders")
        .with_kind(SpanKind::Client)
        .with_attributes([KeyValue::new("db.system", "postgresql"), KeyValue::new("rows", 3)])
        .start_with_context(&tracer, &cx);
    db.add_event("query.start", vec![KeyValue::new("sql.len", 42)]);
    db.end();
    let mut charge = tracer.span_builder("charge").with_kind(SpanKind::Client).start_with_context(&tracer, &cx);
    charge.add_event("exception", vec![KeyValue::new("exception.message", "declined")]);
    charge.set_status(Status::error("card declined"));
    charge.end();
    let mut render = tracer
        .span_builder("render")
        .with_attributes([
            KeyValue::new(
                "tags",
                opentelemetry::Value::Array(opentelemetry::Array::String(vec!["a".into(), "b".into()])),
            ),
            KeyValue::new("ratio", 0.5),
            KeyValue::new("ok", true),
        ])
        .start_with_context(&tracer, &cx);
    render.end();
    cx.span().end();
    let _ = provider.shutdown();
}
