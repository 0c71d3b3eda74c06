//! Facts about what was read: each input file, the layout of its content, how it was
//! compressed and which trace formats its records were decoded as. The input layer
//! detects them; reports and locations use them.

/// An input file as it was read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
    /// The layout of the (decompressed) content.
    pub format: Format,
    pub compression: Compression,
    /// The trace formats its records were decoded as.
    pub dialects: Vec<Dialect>,
    /// What those formats leave out, so that a check that passes for want of data says so.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The format of one input file, as detected from its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// JSON, one record per line (the Collector file exporter's default).
    JsonLines,
    /// JSON documents, pretty-printed or concatenated.
    JsonDocuments,
    /// Length-prefixed records (`[u32 big-endian length][record]`): the file exporter's
    /// proto format, or its per-record zstd compression of JSON or proto.
    Records,
    /// One bare protobuf message (`TracesData` or `ExportTraceServiceRequest`): an OTLP/HTTP
    /// request body.
    Message,
    /// Nothing but whitespace.
    Empty,
    /// A Parquet file of spans in the Collector's `otel_traces` layout.
    Parquet,
    /// Arrow record batches in the `otel_traces` layout, handed over in memory (a Spark
    /// partition); never detected from a file.
    Arrow,
    /// Not a format this tool reads.
    Unknown,
}

/// How a file is compressed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compression {
    None,
    Gzip,
    /// One zstd stream (possibly several frames) around the whole content.
    Zstd,
    /// The Collector file exporter's `compression: zstd`: each record compressed on its own,
    /// then written with a 4-byte big-endian length prefix.
    ZstdRecords,
}

impl Dialect {
    /// What a dump in this format does not carry, if anything.
    pub fn loses(self) -> Option<&'static str> {
        match self {
            Dialect::JsConsole => Some(
                "OpenTelemetry JS console output: start times in microseconds (the SDK prints milliseconds × 1000), no trace state, no dropped counts, no span kind beyond the JS enum, attribute arrays kept as text",
            ),
            Dialect::PythonConsole => Some(
                "OpenTelemetry Python console output: times in microseconds, no instrumentation scope, no trace flags or dropped counts, attribute arrays kept as text",
            ),
            Dialect::GoStdout => {
                Some("OpenTelemetry Go stdouttrace output: no schema URLs; attribute slices kept as text")
            }
            Dialect::RustStdout => Some(
                "OpenTelemetry Rust stdout output: times in microseconds, the resource printed once for the whole output, no trace state or dropped counts, attribute arrays kept as text",
            ),
            Dialect::Otlp | Dialect::Jaeger | Dialect::Zipkin | Dialect::OtelTraces => None,
        }
    }
}

/// The trace format a record was decoded as.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// OpenTelemetry OTLP (`TracesData`).
    Otlp,
    /// Jaeger's query API JSON (`/api/traces`) or its UI model.
    Jaeger,
    /// Zipkin v2 (or v1) JSON.
    Zipkin,
    /// The OpenTelemetry JS SDK's `ConsoleSpanExporter` (as printed, or as JSON).
    #[serde(rename = "js-console")]
    JsConsole,
    /// The OpenTelemetry Python SDK's `ConsoleSpanExporter`.
    #[serde(rename = "python-console")]
    PythonConsole,
    /// The OpenTelemetry Go SDK's `stdouttrace` exporter.
    #[serde(rename = "go-stdout")]
    GoStdout,
    /// The OpenTelemetry Rust SDK's `opentelemetry-stdout` exporter.
    #[serde(rename = "rust-stdout")]
    RustStdout,
    /// Rows of the Collector's ClickHouse table `otel_traces` (Parquet).
    #[serde(rename = "otel-traces")]
    OtelTraces,
}
