//! Wire encodings shared by the analyzer (`tracecheck`) and the emitter
//! (`tracecheck-emitter`), each written once: hex and base64 as OTLP JSON writes ids and
//! bytes, protobuf varints, and the OTLP/HTTP export with its retry policy.
//!
//! This crate is small on purpose: the analyzer depends on it and must stay free of the
//! emitter's heavy dependencies (libp2p, the OpenTelemetry SDK).

pub mod base64;
pub mod hex;
pub mod otlp_http;
pub mod varint;
