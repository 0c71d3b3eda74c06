// Writes lambda-otlp-stdout.jsonl: three spans as the AWS Lambda OTLP stdout exporter of
// serverless-otlp-forwarder (@dev7a/otlp-stdout-span-exporter 0.17.3) prints them: one JSON
// envelope per batch around a base64, gzipped OTLP protobuf body.
// Run: npm install @opentelemetry/sdk-trace-base @opentelemetry/api @opentelemetry/resources
// @dev7a/otlp-stdout-span-exporter; node make_lambda_otlp_stdout.js > lambda-otlp-stdout.jsonl
// (prints the span count on stderr).
const api = require('@opentelemetry/api');
const { BasicTracerProvider, SimpleSpanProcessor, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPStdoutSpanExporter } = require('@dev7a/otlp-stdout-span-exporter');
let ended = 0;
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout-lambda' }),
  spanProcessors: [new BatchSpanProcessor(new OTLPStdoutSpanExporter()), { onStart() {}, onEnd() { ended += 1; }, forceFlush: async () => {}, shutdown: async () => {} }],
});
const tracer = provider.getTracer('fixture', '1.0');
const root = tracer.startSpan('handler', { kind: api.SpanKind.SERVER, attributes: { 'faas.trigger': 'http' } });
const ctx = api.trace.setSpan(api.context.active(), root);
const db = tracer.startSpan('GetItem orders', { kind: api.SpanKind.CLIENT, attributes: { 'db.system': 'dynamodb' } }, ctx);
db.end();
const charge = tracer.startSpan('charge', { kind: api.SpanKind.CLIENT }, ctx);
charge.setStatus({ code: api.SpanStatusCode.ERROR, message: 'card declined' });
charge.end();
root.end();
provider.shutdown().then(() => console.error(`${ended} spans`));
