//! OTLP protobuf: the input is one length-prefixed record, and the raw decoder is run too;
//! `capture`'s transcoder must turn any body it accepts into valid JSON.
#![no_main]
#[path = "common.rs"]
mod common;

use tracecheck::input::otlp_transcode::{Signal, to_json};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut framed = (data.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(data);
    common::analyse(&framed);
    let mut batch = tracecheck::input::batch::Batch::default();
    let _ = tracecheck::input::otlp_proto::decode_traces_data(&mut batch, data, Default::default());
    for signal in [Signal::Traces, Signal::Logs, Signal::Metrics] {
        if let Ok(t) = to_json(signal, data) {
            assert!(serde_json::from_str::<serde_json::Value>(&t.json).is_ok(), "invalid JSON: {}", t.json);
        }
    }
});
