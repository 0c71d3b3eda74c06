//! Fast synthetic dumps written as the Collector's file exporter writes them (JSON lines of
//! `TracesData`, one line per exported batch per node or service, so traces are split over
//! many lines and interleaved), with a known number of injected anomalies. Two shapes: the
//! P2P marketplace, and HTTP/RPC/database services as OpenTelemetry SDKs describe them
//! ([`Shape::Services`]). Used by the benches and by tests at scale.

mod services;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::rng::Rng;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Minimum number of spans (whole traces are written).
    pub spans: u64,
    pub seed: u64,
    /// Fraction of traces that get exactly one anomaly.
    pub anomaly_rate: f64,
    /// Number of nodes (resources) of the P2P shape; the services shape has its own.
    pub nodes: u32,
    pub shape: Shape,
}

/// What the generated traces look like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// The P2P marketplace of `tracecheck-emit run`, with its attributes.
    #[default]
    P2p,
    /// Web, RPC and database services with semantic-convention attributes, about 1 KB a
    /// span, with 14 resource attributes: what an OpenTelemetry SDK exports.
    Services,
}

/// An injected defect and the built-in check code that must report it, once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Anomaly {
    /// A leaf span without an end time (T002).
    MissingEnd,
    /// A leaf span whose start and end are swapped (T001).
    EndBeforeStart,
    /// A leaf span with status ERROR and no message (E001).
    ErrorWithoutMessage,
    /// A leaf span whose parent id points nowhere (S001).
    Orphan,
    /// A leaf span exported twice (S005).
    Duplicate,
}

impl Anomaly {
    const ALL: [Anomaly; 5] = [
        Anomaly::MissingEnd,
        Anomaly::EndBeforeStart,
        Anomaly::ErrorWithoutMessage,
        Anomaly::Orphan,
        Anomaly::Duplicate,
    ];

    /// The check code that reports this anomaly.
    pub fn code(self) -> &'static str {
        match self {
            Anomaly::MissingEnd => "T002",
            Anomaly::EndBeforeStart => "T001",
            Anomaly::ErrorWithoutMessage => "E001",
            Anomaly::Orphan => "S001",
            Anomaly::Duplicate => "S005",
        }
    }
}

/// Ground truth of a generated dump.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Truth {
    pub spans: u64,
    pub traces: u64,
    pub lines: u64,
    pub bytes: u64,
    pub anomalies: BTreeMap<Anomaly, u64>,
}

impl Truth {
    /// The ground truth as JSON: counts, and expected findings per check code.
    pub fn to_json(&self) -> serde_json::Value {
        let by_code: BTreeMap<&str, u64> = self.anomalies.iter().map(|(a, n)| (a.code(), *n)).collect();
        serde_json::json!({
            "spans": self.spans,
            "traces": self.traces,
            "lines": self.lines,
            "bytes": self.bytes,
            "expected_findings": by_code,
        })
    }
}

const KIND_INTERNAL: u8 = 1;
const KIND_CLIENT: u8 = 3;
const KIND_PRODUCER: u8 = 4;
const KIND_CONSUMER: u8 = 5;

#[derive(Clone)]
struct Span {
    trace: [u8; 16],
    id: [u8; 8],
    parent: Option<[u8; 8]>,
    name: &'static str,
    kind: u8,
    start: u64,
    end: u64,
    error: bool,
    node: u32,
    /// Operation-specific attributes, already as JSON `KeyValue`s separated by commas.
    extra: String,
    /// Events, already as JSON objects separated by commas.
    events: String,
    status_message: &'static str,
}

struct Gen {
    rng: Rng,
    nodes: u32,
    peer_ids: Vec<String>,
    clock: u64,
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

impl Gen {
    fn id8(&mut self) -> [u8; 8] {
        self.rng.next().max(1).to_be_bytes()
    }

    fn id16(&mut self) -> [u8; 16] {
        let mut t = [0u8; 16];
        t[..8].copy_from_slice(&self.rng.next().to_be_bytes());
        t[8..].copy_from_slice(&self.rng.next().max(1).to_be_bytes());
        t
    }

    /// A child span laid out inside `[start, end)`.
    #[allow(clippy::too_many_arguments)]
    fn span(
        &mut self,
        trace: [u8; 16],
        parent: Option<[u8; 8]>,
        name: &'static str,
        kind: u8,
        start: u64,
        end: u64,
        node: u32,
        extra: String,
    ) -> Span {
        Span {
            trace,
            id: self.id8(),
            parent,
            name,
            kind,
            start,
            end,
            error: false,
            node,
            extra,
            events: String::new(),
            status_message: "",
        }
    }

    /// Splits `[start, end)` into `n` consecutive sub-intervals with small gaps.
    fn slots(&mut self, start: u64, end: u64, n: usize) -> Vec<(u64, u64)> {
        let width = (end - start) / n as u64;
        (0..n as u64)
            .map(|i| {
                let s = start + i * width + self.rng.below(width / 10 + 1);
                let e = start + (i + 1) * width - self.rng.below(width / 10 + 1);
                (s, e.max(s + 1))
            })
            .collect()
    }

    fn publish(&mut self, out: &mut Vec<Span>) {
        let trace = self.id16();
        let node = self.rng.below(u64::from(self.nodes)) as u32;
        let start = self.clock;
        let end = start + 20_000_000 + self.rng.below(180_000_000);
        let pkg = self.rng.below(100_000);
        let root = self.span(
            trace,
            None,
            "p2p.package.publish",
            KIND_INTERNAL,
            start,
            end,
            node,
            format!(
                "{},{}",
                kv_str("package_id", &format!("pkg-{pkg:06}")),
                kv_str("package_version", &format!("1.{}.{}", pkg % 7, pkg % 13))
            ),
        );
        let slots = self.slots(start, end, 3);
        let validate = self.span(
            trace,
            Some(root.id),
            "p2p.package.validate",
            KIND_INTERNAL,
            slots[0].0,
            slots[0].1,
            node,
            String::new(),
        );
        let key: String = (0..4).map(|_| format!("{:016x}", self.rng.next())).collect();
        let extra = format!("{},{}", kv_str("kad.key", &key), kv_int("record_size_bytes", 512 + self.rng.below(4096)));
        let dht = self.span(trace, Some(root.id), "dht.put", KIND_CLIENT, slots[1].0, slots[1].1, node, extra);
        let extra = format!(
            "{},{}",
            kv_str("topic", "/ggen/packages/v1"),
            kv_int("announcement_size_bytes", 200 + self.rng.below(800))
        );
        let gossip =
            self.span(trace, Some(root.id), "gossipsub.publish", KIND_INTERNAL, slots[2].0, slots[2].1, node, extra);
        for (parent, names) in [
            (&validate, &["signature.verify", "content.hash"][..]),
            (&dht, &["kad.query_closest_peers", "kad.store_value", "kad.confirm_storage"][..]),
            (&gossip, &["message.encode", "peers.select", "network.broadcast"][..]),
        ] {
            let slots = self.slots(parent.start, parent.end, names.len());
            for (name, (s, e)) in names.iter().zip(slots) {
                let kind = if *name == "network.broadcast" { KIND_PRODUCER } else { KIND_INTERNAL };
                let child = self.span(trace, Some(parent.id), name, kind, s, e, node, String::new());
                if *name == "network.broadcast" {
                    // Receivers continue the trace of the announcement (gossipsub.publish).
                    self.propagate(trace, gossip.id, &child, out);
                }
                out.push(child);
            }
        }
        out.extend([root, validate, dht, gossip]);
    }

    /// Receiving nodes handle the announcement: CONSUMER spans, children of the broadcast.
    fn propagate(&mut self, trace: [u8; 16], parent: [u8; 8], broadcast: &Span, out: &mut Vec<Span>) {
        let receivers = 1 + self.rng.below(2);
        for k in 0..receivers {
            let node = (broadcast.node + 1 + k as u32) % self.nodes;
            let start = broadcast.start + 200_000 + self.rng.below(2_000_000);
            let end = start + 1_000_000 + self.rng.below(10_000_000);
            let p =
                self.span(trace, Some(parent), "p2p.gossip.propagate", KIND_CONSUMER, start, end, node, String::new());
            let slots = self.slots(start, end, 3);
            for (name, (s, e)) in ["message_validation", "peer_broadcast", "mesh_maintenance"].iter().zip(slots) {
                out.push(self.span(trace, Some(p.id), name, KIND_INTERNAL, s, e, node, String::new()));
            }
            out.push(p);
        }
    }

    fn search(&mut self, out: &mut Vec<Span>) {
        let trace = self.id16();
        let node = self.rng.below(u64::from(self.nodes)) as u32;
        let start = self.clock;
        let end = start + 10_000_000 + self.rng.below(150_000_000);
        let fan_out = 2 + self.rng.below(3);
        let (local, dht) = (self.rng.below(5), self.rng.below(20));
        let extra = format!(
            "{},{},{},{},{}",
            kv_str("query_text", &format!("crate-{}", self.rng.below(5000))),
            kv_int("fan_out", fan_out),
            kv_int("local_results", local),
            kv_int("dht_results", dht),
            kv_int("total_results", local + dht + self.rng.below(10))
        );
        let root = self.span(trace, None, "p2p.package.search", KIND_INTERNAL, start, end, node, extra);
        let slots = self.slots(start, end, 3);
        let providers = self.span(
            trace,
            Some(root.id),
            "dht_get_providers",
            KIND_CLIENT,
            slots[0].0,
            slots[0].1,
            node,
            String::new(),
        );
        let query = self.span(
            trace,
            Some(root.id),
            "peer_query",
            KIND_INTERNAL,
            slots[1].0,
            slots[1].1,
            node,
            kv_int("peers.contacted", fan_out),
        );
        let fetch =
            self.span(trace, Some(root.id), "content_fetch", KIND_CLIENT, slots[2].0, slots[2].1, node, String::new());
        for (s, e) in self.slots(query.start, query.end, fan_out as usize) {
            out.push(self.span(trace, Some(query.id), "dht_peer_query", KIND_CLIENT, s, e, node, String::new()));
        }
        out.extend([root, providers, query, fetch]);
    }
}

impl Gen {
    /// A root with three consecutive children, all on one node.
    fn three_step(
        &mut self,
        root_name: &'static str,
        root_extra: String,
        children: [(&'static str, u8); 3],
        max_ns: u64,
        out: &mut Vec<Span>,
    ) {
        let trace = self.id16();
        let node = self.rng.below(u64::from(self.nodes)) as u32;
        let start = self.clock;
        let end = start + 5_000_000 + self.rng.below(max_ns);
        let root = self.span(trace, None, root_name, KIND_INTERNAL, start, end, node, root_extra);
        for ((name, kind), (s, e)) in children.into_iter().zip(self.slots(start, end, 3)) {
            out.push(self.span(trace, Some(root.id), name, kind, s, e, node, String::new()));
        }
        out.push(root);
    }

    /// One swarm start per node, at the beginning of the run.
    fn swarm_init(&mut self, node: u32, out: &mut Vec<Span>) {
        let extra = format!(
            "{},{}",
            kv_int("bootstrap_node_count", u64::from(node.min(1))),
            kv_int("connected_peers", u64::from(node))
        );
        let before = out.len();
        self.three_step(
            "p2p.swarm.init",
            extra,
            [("swarm_create", KIND_INTERNAL), ("kad_bootstrap", KIND_CLIENT), ("gossipsub_subscribe", KIND_INTERNAL)],
            100_000_000,
            out,
        );
        for s in &mut out[before..] {
            s.node = node;
        }
    }

    fn discovery(&mut self, out: &mut Vec<Span>) {
        let score = self.rng.below(1001) as f64 / 1000.0;
        let extra = format!(r#"{{"key":"new_reputation_score","value":{{"doubleValue":{score}}}}}"#);
        self.three_step(
            "p2p.peer.discovery",
            extra,
            [("kad_query", KIND_CLIENT), ("identify_exchange", KIND_CLIENT), ("reputation_update", KIND_INTERNAL)],
            60_000_000,
            out,
        );
    }

    fn distribute(&mut self, out: &mut Vec<Span>) {
        let extra = kv_int("chunks", 1 + self.rng.below(8));
        self.three_step(
            "p2p.content.distribute",
            extra,
            [("chunked_transfer", KIND_CLIENT), ("peer_selection", KIND_CLIENT), ("replication", KIND_INTERNAL)],
            120_000_000,
            out,
        );
    }
}

fn kv_str(key: &str, v: &str) -> String {
    format!(r#"{{"key":"{key}","value":{{"stringValue":"{v}"}}}}"#)
}

fn kv_int(key: &str, v: u64) -> String {
    format!(r#"{{"key":"{key}","value":{{"intValue":"{v}"}}}}"#)
}

/// Appends one span as OTLP JSON; the P2P shape adds the attributes an instrumented Rust
/// service carries (`peer_id` given), the services shape has them all in `extra`.
fn write_span(out: &mut String, s: &Span, peer_id: Option<&str>) {
    out.push_str(r#"{"traceId":""#);
    tracecheck_wire::hex::push(out, &s.trace);
    out.push_str(r#"","spanId":""#);
    tracecheck_wire::hex::push(out, &s.id);
    out.push_str(r#"","parentSpanId":""#);
    if let Some(p) = s.parent {
        tracecheck_wire::hex::push(out, &p);
    }
    let _ = write!(
        out,
        r#"","flags":257,"name":"{}","kind":{},"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":["#,
        s.name, s.kind, s.start, s.end
    );
    if let Some(peer_id) = peer_id {
        let module = s.name.split('.').next().unwrap_or("p2p");
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{}",
            kv_str("p2p.peer_id", peer_id),
            kv_str("code.namespace", &format!("ggen_p2p::marketplace::{module}")),
            kv_str("code.filepath", &format!("crates/ggen-p2p/src/marketplace/{module}.rs")),
            kv_int("code.lineno", 40 + (s.id[0] as u64) * 3),
            kv_str("thread.name", "tokio-runtime-worker"),
            kv_int("thread.id", 1 + u64::from(s.id[1] % 8)),
            kv_str("otel.library.name", "tracing-opentelemetry"),
            kv_int("busy_ns", (s.end.saturating_sub(s.start)) / 3)
        );
        if !s.extra.is_empty() {
            out.push(',');
        }
    }
    out.push_str(&s.extra);
    out.push_str(r#"],"droppedAttributesCount":0,"events":["#);
    out.push_str(&s.events);
    out.push_str(r#"],"droppedEventsCount":0,"links":[],"droppedLinksCount":0,"status":"#);
    match (s.error, s.status_message) {
        (true, "") => out.push_str(r#"{"code":2}}"#),
        (true, m) => {
            let _ = write!(out, r#"{{"message":"{m}","code":2}}}}"#);
        }
        (false, _) if peer_id.is_some() => out.push_str(r#"{"code":1}}"#),
        // SDKs leave the status unset on spans that did not fail.
        (false, _) => out.push_str(r#"{}}"#),
    }
}

/// Spans per exported batch (the batch span processor's default is 512).
const BATCH: usize = 256;

/// Writes a dump to `w` and returns its ground truth.
pub fn write(cfg: &Config, mut w: impl Write) -> io::Result<Truth> {
    let mut g = Gen { rng: Rng(cfg.seed), nodes: cfg.nodes, peer_ids: Vec::new(), clock: 1_763_712_000_000_000_000 };
    let prefixes: Vec<String> = match cfg.shape {
        Shape::P2p => {
            g.peer_ids = (0..cfg.nodes)
                .map(|_| {
                    let tail: String =
                        (0..44).map(|_| BASE58[g.rng.below(BASE58.len() as u64) as usize] as char).collect();
                    format!("12D3KooW{tail}")
                })
                .collect();
            (0..cfg.nodes)
                .map(|n| {
                    format!(
                        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{},{},{},{},{}]}},"scopeSpans":[{{"scope":{{"name":"ggen_p2p","version":"0.3.1"}},"spans":["#,
                        kv_str("service.name", "ggen-p2p-marketplace"),
                        kv_str("service.version", "0.3.1"),
                        kv_str("service.instance.id", &format!("node-{n}")),
                        kv_str("host.name", "loadgen-1"),
                        kv_str("p2p.peer_id", &g.peer_ids[n as usize])
                    )
                })
                .collect()
        }
        Shape::Services => {
            g.nodes = services::SERVICES.len() as u32;
            services::prefixes(&mut g)
        }
    };
    let cfg = &Config { nodes: g.nodes, ..cfg.clone() };
    const SUFFIX: &str = r#"]}],"schemaUrl":"https://opentelemetry.io/schemas/1.26.0"}]}"#;
    let mut buffers: Vec<(String, usize)> = (0..cfg.nodes).map(|_| (String::new(), 0)).collect();
    let mut truth = Truth::default();
    let flush = |w: &mut dyn Write, node: usize, buf: &mut (String, usize), truth: &mut Truth| -> io::Result<()> {
        if buf.1 == 0 {
            return Ok(());
        }
        w.write_all(prefixes[node].as_bytes())?;
        w.write_all(buf.0.as_bytes())?;
        w.write_all(SUFFIX.as_bytes())?;
        w.write_all(b"\n")?;
        truth.lines += 1;
        truth.bytes += (prefixes[node].len() + buf.0.len() + SUFFIX.len() + 1) as u64;
        buf.0.clear();
        buf.1 = 0;
        Ok(())
    };
    let mut spans = Vec::new();
    let mut next_anomaly = 0usize;
    let mut next_init = 0;
    while truth.spans < cfg.spans {
        spans.clear();
        if cfg.shape == Shape::Services {
            g.service_trace(&mut spans);
        } else if next_init < cfg.nodes {
            g.swarm_init(next_init, &mut spans);
            next_init += 1;
        } else {
            match g.rng.below(10) {
                0..=4 => g.publish(&mut spans),
                5..=7 => g.search(&mut spans),
                8 => g.discovery(&mut spans),
                _ => g.distribute(&mut spans),
            }
        }
        g.clock += 1_000_000 + g.rng.below(4_000_000);
        if cfg.anomaly_rate > 0.0 && g.rng.chance(cfg.anomaly_rate) {
            let a = Anomaly::ALL[next_anomaly % Anomaly::ALL.len()];
            next_anomaly += 1;
            inject(&mut g, &mut spans, a);
            *truth.anomalies.entry(a).or_default() += 1;
        }
        truth.traces += 1;
        // Spans are exported as they end: children before their parents.
        for s in &spans {
            let buf = &mut buffers[s.node as usize];
            if buf.1 > 0 {
                buf.0.push(',');
            }
            write_span(&mut buf.0, s, g.peer_ids.get(s.node as usize).map(String::as_str));
            buf.1 += 1;
            truth.spans += 1;
            if buf.1 == BATCH {
                flush(&mut w, s.node as usize, buf, &mut truth)?;
            }
        }
    }
    for (node, buf) in buffers.iter_mut().enumerate() {
        flush(&mut w, node, buf, &mut truth)?;
    }
    w.flush()?;
    Ok(truth)
}

/// Applies `a` to one leaf span (a span that is nobody's parent).
fn inject(g: &mut Gen, spans: &mut Vec<Span>, a: Anomaly) {
    let leaves: Vec<usize> =
        (0..spans.len()).filter(|&i| !spans.iter().any(|s| s.parent == Some(spans[i].id))).collect();
    let i = leaves[g.rng.below(leaves.len() as u64) as usize];
    match a {
        Anomaly::MissingEnd => spans[i].end = 0,
        Anomaly::EndBeforeStart => {
            let s = &mut spans[i];
            (s.start, s.end) = (s.end, s.start);
        }
        Anomaly::ErrorWithoutMessage => {
            // An exception event would say what went wrong: E001 is about errors nothing
            // explains.
            spans[i].error = true;
            spans[i].status_message = "";
            spans[i].events.clear();
        }
        Anomaly::Orphan => spans[i].parent = Some(g.id8()),
        Anomaly::Duplicate => {
            let copy = spans[i].clone();
            spans.push(copy);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_valid_json_lines() {
        let cfg = Config { spans: 2000, seed: 7, anomaly_rate: 0.2, nodes: 4, shape: Shape::P2p };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ta = write(&cfg, &mut a).expect("write");
        let tb = write(&cfg, &mut b).expect("write");
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        assert_eq!(ta.bytes, a.len() as u64);
        let mut spans = 0;
        for line in a.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).expect("valid JSON line");
            for rs in v["resourceSpans"].as_array().expect("resourceSpans") {
                spans += rs["scopeSpans"][0]["spans"].as_array().expect("spans").len() as u64;
            }
        }
        assert_eq!(spans, ta.spans);
        assert!(ta.anomalies.values().sum::<u64>() > 0);
    }
}
