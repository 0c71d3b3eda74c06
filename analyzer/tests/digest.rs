//! Reproducibility: the span digest depends on the spans only (not on record order, on how
//! spans are split over records, nor on JSON versus protobuf); any change to a span changes
//! it. The rules digest follows the pack files.

mod common;

use opentelemetry_proto::tonic::trace::v1::TracesData;
use prost::Message as _;
use tracecheck::checks::Severity;

const RUN: &str = "sample-traces/scenario/healthy.jsonl";

fn digest(inputs: &[(&str, &[u8])]) -> String {
    common::report_of(inputs).digest.spans
}

fn lines() -> Vec<String> {
    String::from_utf8(common::read(RUN)).expect("utf-8").lines().map(str::to_owned).collect()
}

fn join(lines: &[String]) -> Vec<u8> {
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

#[test]
fn order_split_and_encoding_do_not_change_the_digest() {
    let original = common::read(RUN);
    let base = digest(&[(RUN, &original)]);
    assert_eq!(base.len(), 64);

    // Records shuffled (a fixed permutation: every third, then the rest reversed).
    let l = lines();
    let mut shuffled: Vec<String> = l.iter().step_by(3).cloned().collect();
    shuffled.extend(l.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(_, s)| s.clone()).rev());
    assert_ne!(shuffled, l);
    assert_eq!(digest(&[("shuffled.jsonl", &join(&shuffled))]), base);

    // Every span in its own record, spread over two files.
    let mut singles = Vec::new();
    for line in &l {
        let data: TracesData = serde_json::from_str(line).expect("OTLP JSON");
        for rs in &data.resource_spans {
            for ss in &rs.scope_spans {
                for span in &ss.spans {
                    let mut one = rs.clone();
                    let mut scope = ss.clone();
                    scope.spans = vec![span.clone()];
                    one.scope_spans = vec![scope];
                    singles.push(TracesData { resource_spans: vec![one] });
                }
            }
        }
    }
    let as_json: Vec<String> = singles.iter().map(|d| serde_json::to_string(d).expect("json")).collect();
    let half = as_json.len() / 2;
    assert_eq!(
        digest(&[("a.jsonl", &join(&as_json[..half])), ("b.jsonl", &join(&as_json[half..]))]),
        base,
        "one span per line over two files"
    );

    // The same spans as the file exporter's protobuf framing.
    let mut proto = Vec::new();
    for d in &singles {
        let body = d.encode_to_vec();
        proto.extend_from_slice(&(body.len() as u32).to_be_bytes());
        proto.extend_from_slice(&body);
    }
    assert_eq!(digest(&[("run.pb", &proto)]), base, "protobuf");
}

#[test]
fn a_changed_span_changes_the_digest() {
    let original = common::read(RUN);
    let base = digest(&[(RUN, &original)]);
    let text = String::from_utf8(original.clone()).expect("utf-8");
    // One end time one nanosecond later.
    let at = text.find("\"endTimeUnixNano\":\"").expect("an end time") + "\"endTimeUnixNano\":\"".len();
    let end = at + text[at..].find('"').expect("closing quote");
    let later: u64 = text[at..end].parse::<u64>().expect("number") + 1;
    let changed = format!("{}{later}{}", &text[..at], &text[end..]);
    assert_ne!(digest(&[(RUN, changed.as_bytes())]), base);
    // One attribute value.
    let changed = text.replacen("\"stringValue\":\"ed25519\"", "\"stringValue\":\"ed25518\"", 1);
    assert_ne!(changed, text);
    assert_ne!(digest(&[(RUN, changed.as_bytes())]), base);
    // One span fewer.
    let l = lines();
    let data: TracesData = serde_json::from_str(&l[0]).expect("json");
    let mut fewer = data.clone();
    fewer.resource_spans[0].scope_spans[0].spans.pop();
    let mut rest = vec![serde_json::to_string(&fewer).expect("json")];
    rest.extend(l[1..].iter().cloned());
    assert_ne!(digest(&[(RUN, &join(&rest))]), base);
}

/// One span with the given attributes (`key`, string value) and events (name, attributes).
fn one_span(attrs: &[(&str, &str)], events: &[(&str, &[(&str, &str)])]) -> Vec<u8> {
    let kv = |list: &[(&str, &str)]| {
        let items: Vec<String> =
            list.iter().map(|(k, v)| format!(r#"{{"key":{k:?},"value":{{"stringValue":{v:?}}}}}"#)).collect();
        items.join(",")
    };
    let events: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, (name, a))| {
            format!(
                r#"{{"timeUnixNano":"{}","name":{name:?},"attributes":[{}]}}"#,
                1_700_000_000_000_000_100u64 + i as u64,
                kv(a)
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":[{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"op","kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000000001000","attributes":[{}],"events":[{}],"status":{{}}}}]}}]}}]}}"#,
        kv(attrs),
        events.join(",")
    )
    .into_bytes()
}

#[test]
fn attribute_and_event_order_do_not_count_but_where_bytes_fall_does() {
    let d =
        |attrs: &[(&str, &str)], events: &[(&str, &[(&str, &str)])]| digest(&[("one.jsonl", &one_span(attrs, events))]);
    let base = d(&[("a", "bc"), ("k", "v")], &[("e1", &[("x", "1"), ("y", "2")])]);
    assert_eq!(base, d(&[("k", "v"), ("a", "bc")], &[("e1", &[("y", "2"), ("x", "1")])]), "order inside a span");
    // The same bytes, split differently between key and value, or between two attributes.
    assert_ne!(base, d(&[("ab", "c"), ("k", "v")], &[("e1", &[("x", "1"), ("y", "2")])]));
    assert_ne!(base, d(&[("a", "bck"), ("", "v")], &[("e1", &[("x", "1"), ("y", "2")])]));
    // An attribute moved from the span to its event, or from one event to another.
    assert_ne!(base, d(&[("a", "bc")], &[("e1", &[("x", "1"), ("y", "2"), ("k", "v")])]));
    let two = d(&[("a", "bc"), ("k", "v")], &[("e1", &[("x", "1")]), ("e2", &[("y", "2")])]);
    assert_ne!(two, d(&[("a", "bc"), ("k", "v")], &[("e1", &[]), ("e2", &[("x", "1"), ("y", "2")])]));
}

#[test]
fn the_rules_digest_follows_the_packs() {
    let pack = String::from_utf8(common::read("rules/p2p-marketplace.toml")).expect("utf-8");
    let a = common::report_with_rules(&[RUN], &pack, Severity::Error);
    let b = common::report_with_rules(&[RUN], &pack, Severity::Error);
    let rules = a.digest.rules.clone().expect("a rules digest when packs are evaluated");
    assert_eq!(Some(rules.clone()), b.digest.rules);
    assert_eq!(a.rule_packs[0].sha256, tracecheck::digest::sha256_hex(pack.as_bytes()));
    // A comment, and the rules in the opposite order: the same rules, the same digest (the
    // pack file's own sha256 changes).
    let (head, body) = pack.split_at(pack.find("[[rule]]").expect("rules"));
    let mut blocks: Vec<&str> = body.split("[[rule]]").filter(|b| !b.trim().is_empty()).collect();
    assert!(blocks.len() > 10, "the pack has its rules");
    blocks.reverse();
    let reordered = format!("# reviewed 2026-11-30\n{head}[[rule]]{}\n", blocks.join("\n[[rule]]"));
    let r = common::report_with_rules(&[RUN], &reordered, Severity::Error);
    assert_eq!(r.rules.len(), a.rules.len());
    assert_ne!(r.rule_packs[0].sha256, a.rule_packs[0].sha256);
    assert_eq!(r.digest.rules.as_deref(), Some(rules.as_str()), "comment and order do not count");
    let edited = pack.replacen("p99(duration) < 500ms", "p99(duration) < 400ms", 1);
    let c = common::report_with_rules(&[RUN], &edited, Severity::Error);
    assert_ne!(c.digest.rules.expect("digest"), rules);
    assert_eq!(c.digest.spans, a.digest.spans, "the spans did not change");
    // Without packs there is no rules digest, and the JSON report says so with null.
    let plain = common::report_of_files(&[RUN]);
    assert!(plain.digest.rules.is_none());
    let json = serde_json::to_value(&plain).expect("json");
    assert_eq!(json["digest"]["spans"], serde_json::Value::String(plain.digest.spans.clone()));
    assert_eq!(json["digest"].get("rules"), Some(&serde_json::Value::Null));
    assert_eq!(json["tool"]["version"], env!("CARGO_PKG_VERSION"));
}

/// Files are memory-mapped and their pages given back as chunks are decoded; the result must
/// be the one of decoding the same bytes from memory.
#[test]
fn giving_back_decoded_pages_changes_nothing() {
    // A dump of many 2 MiB chunks, written by hand: 60k spans over 300 lines.
    let mut text = String::new();
    for l in 0..300u64 {
        let spans: Vec<String> = (0..200u64)
            .map(|k| {
                let i = l * 200 + k;
                format!(
                    r#"{{"traceId":"{:032x}","spanId":"{:016x}","parentSpanId":"","name":"op-{}","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"i","value":{{"intValue":"{i}"}}}},{{"key":"pad","value":{{"stringValue":"{}"}}}}],"status":{{}}}}"#,
                    i + 1,
                    i + 1,
                    i % 7,
                    1_700_000_000_000_000_000u64 + i,
                    1_700_000_000_000_100_000u64 + i * 3,
                    "x".repeat(40)
                )
            })
            .collect();
        text.push_str(&format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"s{}"}}}}]}},"scopeSpans":[{{"scope":{{"name":"t"}},"spans":[{}]}}]}}]}}"#,
            l % 3,
            spans.join(",")
        ));
        text.push('\n');
    }
    assert!(text.len() > 8 << 20, "several chunks");
    let mut file = tempfile::Builder::new().suffix(".jsonl").tempfile().expect("temp");
    std::io::Write::write_all(&mut file, text.as_bytes()).expect("write");
    let from_memory = common::report_of(&[("dump.jsonl", text.as_bytes())]);
    let loaded = tracecheck::input::load(&[file.path().to_path_buf()], &Default::default());
    let a = tracecheck::analysis::analyze_loaded(loaded, &Default::default());
    let from_file = tracecheck::report::Report::new(
        &a,
        tracecheck::report::VerdictOptions { fail_on: Severity::Error, allow_empty: false },
    );
    assert_eq!(from_file.counts.spans, 60_000);
    assert_eq!(from_file.digest.spans, from_memory.digest.spans);
    assert_eq!(common::encoding_independent(&from_file), common::encoding_independent(&from_memory));
}

/// Hex ids rewritten as base64 (what protobuf's JSON mapping writes), everywhere in `v`.
fn ids_to_base64(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let is_id = matches!(k.as_str(), "traceId" | "spanId" | "parentSpanId");
                match x {
                    serde_json::Value::String(s) if is_id && !s.is_empty() => {
                        let bytes: Vec<u8> = (0..s.len() / 2)
                            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex id"))
                            .collect();
                        *s = tracecheck_wire::base64::encode(&bytes);
                    }
                    _ => ids_to_base64(x),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(ids_to_base64),
        _ => {}
    }
}

/// One run, streaming mode, and 3- and 7-way shard merges give one digest, for the dump as
/// written, as protobuf records, and with base64 ids in shuffled records.
#[test]
fn the_digest_is_the_same_streamed_sharded_and_re_encoded() {
    use tracecheck::input::Inputs;
    use tracecheck::partial::{Shard, combine};
    use tracecheck::stream::{StreamOptions, analyze, partial};
    let base = digest(&[(RUN, &common::read(RUN))]);
    let tmp = tempfile::tempdir().expect("tmp");
    let mut proto = Vec::new();
    let mut b64 = Vec::new();
    for line in lines().iter().rev() {
        let data: TracesData = serde_json::from_str(line).expect("OTLP JSON");
        let body = data.encode_to_vec();
        proto.extend_from_slice(&(body.len() as u32).to_be_bytes());
        proto.extend_from_slice(&body);
        let mut v: serde_json::Value = serde_json::from_str(line).expect("json");
        ids_to_base64(&mut v);
        b64.push(v.to_string());
    }
    // 16- and 8-byte ids in base64 end in padding.
    assert!(b64[0].contains("\"traceId\":\"") && b64[0].contains("==\""), "ids in base64: {}", &b64[0][..200]);
    let files = [
        (common::root().join(RUN), "as written"),
        (tmp.path().join("run.pb"), "protobuf"),
        (tmp.path().join("b64.jsonl"), "base64 ids, records reversed"),
    ];
    std::fs::write(&files[1].0, &proto).expect("write");
    std::fs::write(&files[2].0, join(&b64)).expect("write");
    let opts = tracecheck::analysis::Options::default();
    let s = StreamOptions { budget: 1 << 20, temp_dir: tmp.path().to_path_buf(), partitions: Some(3) };
    for (path, what) in &files {
        let inputs = Inputs::resolve(std::slice::from_ref(path));
        let (streamed, _) = analyze(&inputs, &opts, &s).expect("stream");
        assert_eq!(streamed.spans_digest, base, "{what}, streaming");
        for n in [3, 7] {
            let parts = (0..n)
                .map(|k| (format!("{k}"), partial(&inputs, &opts, &s, Shard { k, n }).expect("shard").0))
                .collect();
            let merged = combine(parts, opts.max_findings).expect("combine").settle(&opts);
            assert_eq!(merged.spans_digest, base, "{what}, {n} shards");
        }
    }
}
