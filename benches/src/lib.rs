//! Shared inputs for the benches: a synthetic file-exporter dump generated in memory, and the
//! same spans as the file exporter's protobuf framing.

use tracecheck::input::{LoadOptions, Loaded, load_bytes};

/// A synth dump of about `spans` spans (seed 1, 1 % anomalies) as JSON lines.
pub fn synth_json(spans: u64) -> Vec<u8> {
    let cfg = tracecheck_emitter::synth::Config {
        spans,
        seed: 1,
        anomaly_rate: 0.01,
        nodes: 4,
        shape: tracecheck_emitter::synth::Shape::P2p,
    };
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = tracecheck_emitter::synth::write(&cfg, &mut out);
    out
}

/// Loads bytes as one dump.
pub fn load(name: &str, bytes: &[u8]) -> Loaded {
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, name, bytes, &LoadOptions::default());
    loaded
}

/// The spans of `loaded` as length-prefixed `TracesData` records of 256 spans each.
pub fn proto_frames(loaded: &Loaded) -> Vec<u8> {
    let ids: Vec<u32> = (0..loaded.dump.spans.len() as u32).collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(256) {
        let body = tracecheck::replay::encode_request(&loaded.dump, chunk, 0);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
    }
    out
}
