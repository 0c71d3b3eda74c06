// Writes js-console.txt: what the OpenTelemetry JS SDK's ConsoleSpanExporter prints (Node's
// console.dir) for a small checkout: a server span, a database call with an event, a failed
// charge with an exception, a span with array, float and bool attributes.
// Run: npm install @opentelemetry/sdk-trace-base @opentelemetry/api @opentelemetry/resources;
// node make_js_console.js > js-console.txt (prints the span count on stderr).
const api = require('@opentelemetry/api');
const { BasicTracerProvider, SimpleSpanProcessor, ConsoleSpanExporter } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
let ended = 0;
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout-js', 'deployment.environment': 'test' }),
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter()), { onStart() {}, onEnd() { ended += 1; }, forceFlush: async () => {}, shutdown: async () => {} }],
});
const tracer = provider.getTracer('fixture', '1.0');
const root = tracer.startSpan('POST /checkout', { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 } });
const ctx = api.trace.setSpan(api.context.active(), root);
const db = tracer.startSpan('SELECT orders', { kind: api.SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', rows: 3 } }, ctx);
db.addEvent('query.start', { 'sql.len': 42 });
db.end();
const charge = tracer.startSpan('charge', { kind: api.SpanKind.CLIENT }, ctx);
charge.setStatus({ code: api.SpanStatusCode.ERROR, message: 'card declined' });
charge.recordException(new Error('declined'));
charge.end();
const render = tracer.startSpan('render', { attributes: { tags: ['a', 'b'], ratio: 0.5, ok: true } }, ctx);
render.end();
root.end();
provider.shutdown().then(() => {
  const v = require('@opentelemetry/sdk-trace-base/package.json').version;
  console.error(`${ended} spans, @opentelemetry/sdk-trace-base ${v}`);
});
