//! tracecheck-emitter: workloads that write trace dumps exactly as the OpenTelemetry
//! Collector's file exporter does. For now: the synthetic generator ([`synth`]).

pub mod synth;
