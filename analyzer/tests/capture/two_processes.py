"""A program instrumented with the real OpenTelemetry Python SDK and its OTLP/HTTP exporter,
configured only by the standard environment: a parent process starts a child and passes the
W3C trace context to it. Known tree: job > spawn worker > work > step 0, step 1, step 2 (six
spans, one trace, two services). The child also writes one log record inside `work` (so it
carries the span's context) and adds 3 to a counter, exported by the SDK's OTLP/HTTP log and
metric exporters. With the argument `fail`, the parent exits with status 3 after exporting."""
import os, subprocess, sys
from opentelemetry import trace, propagate
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
role = sys.argv[1] if len(sys.argv) > 1 else "parent"
fail = role == "fail"
if fail:
    role = "parent"
provider = TracerProvider(resource=Resource.create({"service.name": f"app-{role}"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
t = trace.get_tracer("capture-test")
if role == "parent":
    with t.start_as_current_span("job", kind=trace.SpanKind.SERVER):
        with t.start_as_current_span("spawn worker", kind=trace.SpanKind.CLIENT):
            carrier = {}
            propagate.inject(carrier)
            env = dict(os.environ, TRACEPARENT=carrier["traceparent"])
            subprocess.run([sys.executable, __file__, "child"], env=env, check=True)
else:
    import logging
    from opentelemetry import metrics
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    logs = LoggerProvider(resource=provider.resource)
    logs.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    log = logging.getLogger("worker")
    log.addHandler(LoggingHandler(logger_provider=logs))
    log.setLevel(logging.INFO)
    meters = MeterProvider(resource=provider.resource, metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())])
    metrics.set_meter_provider(meters)
    done = metrics.get_meter("capture-test").create_counter("steps.done")
    ctx = propagate.extract({"traceparent": os.environ["TRACEPARENT"]})
    with t.start_as_current_span("work", context=ctx, kind=trace.SpanKind.SERVER):
        log.warning("working on %d steps", 3)
        for i in range(3):
            with t.start_as_current_span(f"step {i}"):
                done.add(1)
    logs.shutdown()
    meters.shutdown()
provider.shutdown()
if fail:
    sys.exit(3)
