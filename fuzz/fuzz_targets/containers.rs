//! Containers: gzip, zstd streams, per-record zstd and raw frames, from arbitrary bytes
//! behind each magic number.
#![no_main]
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::analyse(data);
    for magic in [&[0x1f, 0x8b][..], &[0x28, 0xb5, 0x2f, 0xfd], &[0, 0, 0, 16, 0x28, 0xb5, 0x2f, 0xfd]] {
        let mut b = magic.to_vec();
        b.extend_from_slice(data);
        common::analyse(&b);
    }
});
