//! Jaeger and Zipkin JSON: the input is wrapped so it reaches those decoders more often.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::analyse(data);
    let mut zipkin = b"[{\"traceId\":\"5af7183fb1d4cf5f\",\"id\":\"1\",".to_vec();
    zipkin.extend_from_slice(data);
    common::analyse(&zipkin);
    let mut jaeger = b"{\"data\":[{\"traceID\":\"1\",\"spans\":".to_vec();
    jaeger.extend_from_slice(data);
    common::analyse(&jaeger);
});
