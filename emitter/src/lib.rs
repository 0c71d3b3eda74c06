//! tracecheck-emitter: workloads that write trace dumps exactly as the OpenTelemetry
//! Collector's file exporter does.
//!
//! - [`scenario`]: a real libp2p marketplace (several nodes on loopback with Kademlia,
//!   gossipsub, identify and request-response), instrumented with `tracing` and
//!   `tracing-opentelemetry`, its spans written through one [`collector`].
//! - [`synth`]: fast synthetic dumps of any size with a known number of injected anomalies.

pub mod collector;
mod market;
mod net;
pub mod otlp_json;
mod rng;
pub mod scenario;
pub mod synth;
mod telemetry;
