//! Every bundled and real dump, and rules that exercise what crosses partitions and shards.

use super::root;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracecheck::analysis::{Analysis, Options};
use tracecheck::checks::Severity;
use tracecheck::report::{self, Report, VerdictOptions};
use tracecheck::rules::RuleSet;

/// Rules that exercise what crosses partitions: dump-scope aggregates pointing at one span
/// (ties included: many spans share a duration), trace-scope aggregates, an `any` over the
/// dump, and suppressions whose `where` must be tested on the finding's span.
pub const CROSS_PARTITION_PACK: &str = r#"schema = 1
name = "streaming-test"

[[rule]]
id = "ST1"
title = "slowest span per name under 1 ms"
each = '{ }'
group_by = ["name"]
aggregate = ['max(duration) < 1ms', 'p50(duration) < 100us', 'count() < 3']

[[rule]]
id = "ST2"
title = "per trace, at most 3 spans"
scope = "trace"
each = '{ }'
aggregate = ['count() <= 3']

[[rule]]
id = "ST3"
title = "somewhere a span is slower than a minute"
any = '{ duration > 60s }'

[[rule]]
id = "ST4"
title = "every span is shorter than 2 ms"
each = '{ }'
expect = ['duration < 2ms']

[[suppress]]
rule = "ST4"
reason = "errors may be slow"
where = '{ status = error }'

[[suppress]]
rule = "S001"
reason = "gossip may arrive after its publisher died"
where = '{ name =~ `propagate` }'

[[suppress]]
rule = "ST2"
reason = "test"
where = '{ name = "p2p.package.publish" }'
"#;

/// Every bundled and real dump, analysed as one.
pub fn all_dumps() -> Vec<PathBuf> {
    let root = root();
    vec![root.join("sample-traces"), root.join("../shared/real-traces")]
        .into_iter()
        .flat_map(|d| walk(&d))
        .filter(|p| !matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "py" | "sh")))
        .collect()
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

pub fn options() -> Options {
    let root = root();
    let mut rules = RuleSet::load(&[root.join("rules/p2p-marketplace.toml")]).expect("p2p pack");
    rules.add("streaming-test.toml", CROSS_PARTITION_PACK).expect("test pack");
    Options { rules: Some(Arc::new(rules)), ..Options::default() }
}

pub fn json(a: &Analysis) -> String {
    let r = Report::new(a, VerdictOptions { fail_on: Severity::Error, allow_empty: false });
    let mut buf = Vec::new();
    report::json::write(&r, &mut buf).expect("json");
    String::from_utf8(buf).expect("utf-8")
}

/// Two spans of one trace as length-prefixed protobuf records (a root, then a child in ERROR
/// without a message: one E001 finding), and the byte offset of the second record.
pub fn protobuf_records_with_an_error() -> (Vec<u8>, u64) {
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, TracesData};
    use prost::Message as _;
    let span = |id: u8| Span {
        trace_id: vec![7; 16],
        span_id: vec![id; 8],
        name: "op".into(),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_100_000_000,
        status: Some(Status { code: if id == 2 { 2 } else { 0 }, message: String::new() }),
        parent_span_id: if id == 1 { Vec::new() } else { vec![1; 8] },
        ..Default::default()
    };
    let record = |s: Span| {
        TracesData {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans { spans: vec![s], ..Default::default() }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    };
    let mut bytes = Vec::new();
    for s in [span(1), span(2)] {
        let r = record(s);
        bytes.extend_from_slice(&(r.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&r);
    }
    let second = (bytes.len() - record(span(2)).len() - 4) as u64;
    (bytes, second)
}
