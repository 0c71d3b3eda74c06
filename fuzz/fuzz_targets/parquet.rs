//! Parquet in the otel_traces layout: any bytes after the magic are read without a panic
//! (the decoder of polars is guarded), and the accounting holds.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut file = b"PAR1".to_vec();
    file.extend_from_slice(data);
    common::analyse(&file);
});
