//! OTLP protobuf: the input is one length-prefixed record, and the raw decoder is run too.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut framed = (data.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(data);
    common::analyse(&framed);
    let mut batch = tracecheck::input::batch::Batch::default();
    let _ = tracecheck::input::otlp_proto::decode_traces_data(&mut batch, data, Default::default());
});
