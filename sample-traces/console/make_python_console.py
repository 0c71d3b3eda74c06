"""Writes python-console.txt: what the OpenTelemetry Python SDK's ConsoleSpanExporter prints
for a small checkout (a server span, a database call with an event, a failed charge with an
exception, a span with array, float and bool attributes). Run: pip install opentelemetry-sdk;
python3 make_python_console.py > python-console.txt (prints the span count on stderr)."""
import sys, time
import importlib.metadata
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import Status, StatusCode, SpanKind
provider = TracerProvider(resource=Resource.create({"service.name": "checkout-py", "deployment.environment": "test"}))
provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
ended = []
class Count(SimpleSpanProcessor):
    def on_end(self, span):
        ended.append(span.name)
provider.add_span_processor(Count(ConsoleSpanExporter(out=open("/dev/null", "w"))))
trace.set_tracer_provider(provider)
t = trace.get_tracer("fixture", "1.0")
with t.start_as_current_span("POST /checkout", kind=SpanKind.SERVER, attributes={"http.request.method": "POST", "http.response.status_code": 200}):
    with t.start_as_current_span("SELECT orders", kind=SpanKind.CLIENT, attributes={"db.system": "postgresql", "rows": 3}) as s:
        s.add_event("query.start", {"sql.len": 42})
        time.sleep(0.002)
    with t.start_as_current_span("charge", kind=SpanKind.CLIENT) as s:
        s.set_status(Status(StatusCode.ERROR, "card declined"))
        try:
            raise ValueError("declined")
        except ValueError as e:
            s.record_exception(e)
    with t.start_as_current_span("render", attributes={"tags": ["a", "b"], "ratio": 0.5, "ok": True}):
        pass
provider.shutdown()
print(f"{len(ended)} spans, opentelemetry-sdk {importlib.metadata.version('opentelemetry-sdk')}", file=sys.stderr)
