//! `stats`, `show`, `diff` and `replay`: exact figures on fixtures with known durations, a
//! snapshot of a multi-node trace with its critical path, run-versus-run verdicts, and a replay
//! into a receiver started here.

mod common;

use assert_cmd::Command;
use common::root;
use opentelemetry_proto::tonic::trace::v1::TracesData;
use polars_io::SerReader as _;
use prost::Message as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;

fn tracecheck() -> Command {
    let mut c = Command::cargo_bin("tracecheck").expect("binary built");
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = tracecheck().args(args).output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

const MS: u64 = 1_000_000;
const T0: u64 = 1_763_712_000_000_000_000;

fn span(trace: u8, id: u16, parent: Option<u16>, name: &str, start_ms: u64, end_ms: u64, error: bool) -> Value {
    json!({
        "traceId": format!("{:032x}", u128::from(trace) + 0xabc0_0000_0000_0000_0000_0000_0000_0000u128),
        "spanId": format!("{:016x}", u64::from(id) + 0x1000),
        "parentSpanId": parent.map_or(String::new(), |p| format!("{:016x}", u64::from(p) + 0x1000)),
        "name": name,
        "kind": 1,
        "startTimeUnixNano": (T0 + start_ms * MS).to_string(),
        "endTimeUnixNano": (T0 + end_ms * MS).to_string(),
        "status": if error { json!({"code": 2, "message": "boom"}) } else { json!({"code": 1}) },
    })
}

fn line(service: &str, spans: Vec<Value>) -> String {
    json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}],
    }]})
    .to_string()
}

/// Known durations: `even` 10/20/30/40 ms (one ERROR), `single` 7 ms, `hundred` 1..=100 ms,
/// and a root `r` (0–100 ms) whose two overlapping children cover 10–50 ms (self time 60 ms).
fn fixture() -> tempfile::NamedTempFile {
    let mut spans = Vec::new();
    let mut id = 0u16;
    let mut next = || {
        id += 1;
        id
    };
    for (k, d) in [10, 20, 30, 40].into_iter().enumerate() {
        spans.push(span(1, next(), None, "even", 0, d, k == 3));
    }
    spans.push(span(2, next(), None, "single", 5, 12, false));
    for d in 1..=100 {
        spans.push(span(3, next(), None, "hundred", 0, d, false));
    }
    let r = next();
    spans.push(span(4, r, None, "r", 0, 100, false));
    spans.push(span(4, next(), Some(r), "child", 10, 30, false));
    spans.push(span(4, next(), Some(r), "child", 20, 50, false));
    let mut f = tempfile::Builder::new().suffix(".jsonl").tempfile().expect("temp");
    writeln!(f, "{}", line("svc", spans[..50].to_vec())).expect("write");
    writeln!(f, "{}", line("svc", spans[50..].to_vec())).expect("write");
    f
}

fn stats_json(args: &[&str]) -> Value {
    let (code, out, err) = run(&[&["stats", "--format", "json"], args].concat());
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("json")
}

fn groups_by_name(v: &Value) -> BTreeMap<String, Value> {
    v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| (g["name"].as_str().unwrap_or("").to_owned(), g.clone()))
        .collect()
}

#[test]
fn stats_gives_exact_nearest_rank_percentiles_and_self_time() {
    let f = fixture();
    let path = f.path().to_str().expect("path");
    let v = stats_json(&[path]);
    assert!(v["percentile_method"].as_str().expect("method").starts_with("nearest-rank"));
    let g = groups_by_name(&v);
    let ms = |name: &str, col: &str| g[name][col].as_u64().map(|x| x as f64 / MS as f64);
    // Even count: p50 of 10/20/30/40 is the 2nd value (rank ceil(0.5 × 4) = 2).
    assert_eq!((ms("even", "p50_ns"), ms("even", "p99_ns")), (Some(20.0), Some(40.0)));
    assert_eq!((ms("even", "min_ns"), ms("even", "max_ns")), (Some(10.0), Some(40.0)));
    assert_eq!(g["even"]["mean_ns"].as_f64(), Some(25.0 * MS as f64));
    assert_eq!((g["even"]["count"].as_u64(), g["even"]["errors"].as_u64()), (Some(4), Some(1)));
    assert_eq!(g["even"]["error_rate"].as_f64(), Some(0.25));
    // One sample: every percentile is that sample.
    for col in ["p50_ns", "p90_ns", "p95_ns", "p99_ns"] {
        assert_eq!(ms("single", col), Some(7.0), "{col}");
    }
    for (col, want) in [("p50_ns", 50.0), ("p90_ns", 90.0), ("p95_ns", 95.0), ("p99_ns", 99.0)] {
        assert_eq!(ms("hundred", col), Some(want), "{col}");
    }
    assert_eq!(ms("r", "self_total_ns"), Some(60.0), "100 ms minus the union 10–50 ms of its children");
    assert_eq!(ms("child", "self_total_ns"), Some(50.0));
    // Sorted by the group columns.
    let names: Vec<&String> = g.keys().collect();
    let listed: Vec<&str> =
        v["groups"].as_array().expect("groups").iter().map(|x| x["name"].as_str().unwrap_or("")).collect();
    assert_eq!(listed, names.iter().map(|s| s.as_str()).collect::<Vec<_>>());

    // --where restricts the spans with a rule-language selector.
    let v = stats_json(&[path, "--where", "{ name = \"child\" } < { }", "--by", "name"]);
    assert_eq!(v["spans"], 1);
    assert_eq!(groups_by_name(&v).keys().collect::<Vec<_>>(), ["r"]);
    // A broken selector is a usage error with its column.
    let (code, _, err) = run(&["stats", path, "--where", "{ name = }"]);
    assert_eq!(code, 2);
    assert!(err.contains("--where:1:"), "{err}");
}

#[test]
fn stats_names_bad_records_where_they_are_and_uses_the_rest() {
    let (code, out, err) = run(&["stats", "sample-traces/checks/I001-malformed-record.jsonl", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sample-traces/checks/I001-malformed-record.jsonl:4: invalid JSON"), "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert!(v["spans"].as_u64().is_some_and(|n| n > 0), "the other records were used");
}

#[test]
fn parquet_and_csv_carry_the_same_numbers() {
    let f = fixture();
    let path = f.path().to_str().expect("path");
    let dir = tempfile::tempdir().expect("tempdir");
    let pq = dir.path().join("stats.parquet");
    let (code, _, err) =
        run(&["stats", path, "--by", "service,name", "--format", "parquet", "-o", pq.to_str().expect("p")]);
    assert_eq!(code, 0, "{err}");
    let file = std::fs::File::open(&pq).expect("parquet written");
    let df = polars_io::prelude::ParquetReader::new(file).finish().expect("parquet reads back");
    let json = groups_by_name(&stats_json(&[path, "--by", "service,name"]));
    assert_eq!(df.height(), json.len());
    let names = df.column("name").expect("name").str().expect("str").clone();
    for col in ["count", "errors", "p50_ns", "p99_ns", "max_ns", "self_total_ns"] {
        let values = df.column(col).expect(col).u64().expect("u64").clone();
        for i in 0..df.height() {
            let name = names.get(i).expect("name");
            assert_eq!(values.get(i), json[name][col].as_u64(), "{name} {col}");
        }
    }
    let (code, csv, _) = run(&["stats", path, "--format", "csv"]);
    assert_eq!(code, 0);
    let header = csv.lines().next().expect("header");
    assert!(header.starts_with("service,name,count,errors,error_rate,min_ns,mean_ns,p50_ns"), "{header}");
    let even = csv.lines().find(|l| l.starts_with("svc,even,")).expect("even row");
    assert!(even.starts_with("svc,even,4,1,0.25,10000000,25000000.0,20000000,"), "{even}");
}

#[test]
fn show_draws_a_multi_node_trace_with_its_critical_path() {
    let (code, out, err) = run(&[
        "show",
        "sample-traces/p2p/healthy.jsonl",
        "--trace",
        "5f0c0ffee0000000a3ce929d0e000005",
        "--width",
        "140",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\x1b'), "plain when piped");
    let marked =
        |name: &str, instance: &str| out.lines().any(|l| l.contains(instance) && l.contains(&format!("* {name}")));
    // Publish → validate, put, announce in sequence; the announcement's longest branch is the
    // propagation that finished last, on node-3.
    assert!(marked("dht.put", "node-0") && marked("kad.store_value", "node-0"));
    assert!(marked("p2p.gossip.propagate", "node-3"));
    assert!(!marked("p2p.gossip.propagate", "node-1") && !marked("network.broadcast", "node-0"));
    insta::assert_snapshot!("show_publish_trace", out);
    // The worst traces of a faulted run come with their findings.
    let (code, out, _) =
        run(&["show", "sample-traces/scenario/kill-node.jsonl", "--worst", "1", "-r", "rules/p2p-marketplace.toml"]);
    assert_eq!(code, 0);
    assert!(out.contains("(parent missing)") && out.contains("! MKT050") && out.contains("! S001"), "{out}");
    let (code, _, err) = run(&["show", "sample-traces/p2p/healthy.jsonl", "--trace", "00000000ffff"]);
    assert_eq!(code, 2);
    assert!(err.contains("no trace"), "{err}");
}

/// `sample-traces/p2p/healthy.jsonl` with every span named `name` changed by `edit`
/// (or removed when `edit` returns false).
fn edited(name: &str, edit: impl Fn(&mut Value) -> bool) -> tempfile::NamedTempFile {
    let text = String::from_utf8(common::read("sample-traces/p2p/healthy.jsonl")).expect("utf-8");
    let mut f = tempfile::Builder::new().suffix(".jsonl").tempfile().expect("temp");
    for l in text.lines() {
        let mut v: Value = serde_json::from_str(l).expect("json");
        for rs in v["resourceSpans"].as_array_mut().expect("rs") {
            for ss in rs["scopeSpans"].as_array_mut().expect("ss") {
                let spans = ss["spans"].as_array_mut().expect("spans");
                spans.retain_mut(|s| s["name"] != name || edit(s));
            }
        }
        writeln!(f, "{v}").expect("write");
    }
    f
}

/// Every span sent twice (with new trace ids): the counts double, and the run fails on the
/// operations common enough to judge; a lower --min-count judges the rare ones too.
#[test]
fn diff_fails_when_counts_double() {
    let base = "sample-traces/p2p/healthy.jsonl";
    let text = String::from_utf8(common::read(base)).expect("utf-8");
    // The copy: the same spans under other trace ids (first hex digit flipped).
    let copy: String = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).expect("json");
            walk_spans(&mut v, &mut |s| {
                let t = s["traceId"].as_str().expect("trace").to_string();
                let flipped = match t.strip_prefix('f') {
                    Some(rest) => format!("e{rest}"),
                    None => format!("f{}", &t[1..]),
                };
                s["traceId"] = Value::String(flipped);
            });
            v.to_string() + "\n"
        })
        .collect();
    let mut doubled = tempfile::Builder::new().suffix(".jsonl").tempfile().expect("temp");
    doubled.write_all(text.as_bytes()).expect("write");
    doubled.write_all(copy.as_bytes()).expect("write");
    let path = doubled.path().to_str().expect("p");
    let (code, out, _) = run(&["diff", base, path, "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let ops = v["operations"].as_array().expect("ops");
    let count_regressions: Vec<(&str, f64)> = ops
        .iter()
        .flat_map(|o| o["changes"].as_array().into_iter().flatten().map(move |c| (o, c)))
        .filter(|(_, c)| c["metric"] == "count" && c["regression"] == true)
        .map(|(o, c)| (o["name"].as_str().unwrap_or(""), c["relative"].as_f64().unwrap_or(0.0)))
        .collect();
    assert!(!count_regressions.is_empty(), "{out}");
    assert!(count_regressions.iter().all(|(_, r)| *r == 1.0), "{count_regressions:?}");
    // Operations with fewer than 10 spans in both runs change without failing; with
    // --min-count 1 every operation regresses.
    fn status_of(o: &Value) -> (u64, &str) {
        (o["candidate"]["count"].as_u64().unwrap_or(0), o["status"].as_str().unwrap_or(""))
    }
    for o in ops {
        let (n, status) = status_of(o);
        assert_eq!(status, if n >= 10 { "regressed" } else { "changed" }, "{o}");
    }
    assert!(ops.iter().any(|o| status_of(o).0 < 10), "some operations are rare");
    let judged = run(&["diff", base, path, "--format", "json", "--min-count", "1"]).1;
    let judged: Value = serde_json::from_str(&judged).expect("json");
    let judged = judged["operations"].as_array().expect("ops");
    assert_eq!(judged.len(), ops.len());
    assert!(judged.iter().all(|o| o["status"] == "regressed"), "{judged:?}");
    // A count tolerance above 100 % accepts the doubling.
    let (code, _, _) = run(&["diff", base, path, "--max-count-change", "150%"]);
    assert_eq!(code, 0);
}

fn walk_spans(v: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    if let Some(spans) = v.get_mut("spans").and_then(Value::as_array_mut) {
        spans.iter_mut().for_each(&mut *f);
        return;
    }
    match v {
        Value::Object(m) => m.values_mut().for_each(|c| walk_spans(c, f)),
        Value::Array(a) => a.iter_mut().for_each(|c| walk_spans(c, f)),
        _ => {}
    }
}

#[test]
fn diff_finds_the_slowed_and_the_vanished_operation() {
    let base = "sample-traces/p2p/healthy.jsonl";
    let (code, out, _) = run(&["diff", base, base, "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["operations"], json!([]), "identical runs: no changes");
    assert_eq!(v["summary"]["regressed"], 0);
    assert_eq!(v["structure"]["changes"], json!([]));
    assert_eq!(v["structure"]["base"], v["structure"]["candidate"]);

    let slow = edited("kad.confirm_storage", |s| {
        let end: u64 = s["endTimeUnixNano"].as_str().expect("end").parse().expect("n");
        s["endTimeUnixNano"] = Value::String((end + 200 * MS).to_string());
        true
    });
    // 12 spans of the operation: by default too few for any percentile to be compared.
    let (code, out, _) = run(&["diff", base, slow.path().to_str().expect("p"), "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let op = v["operations"].as_array().expect("ops").iter().find(|o| o["name"] == "kad.confirm_storage");
    assert!(op.is_none(), "unchanged as far as it can be judged: {op:?}");
    let (_, all, _) = run(&["diff", base, slow.path().to_str().expect("p"), "--format", "json", "--all"]);
    let all: Value = serde_json::from_str(&all).expect("json");
    let op =
        all["operations"].as_array().expect("ops").iter().find(|o| o["name"] == "kad.confirm_storage").expect("op");
    assert_eq!(op["not_compared"], json!(["p50_ns", "p90_ns", "p99_ns"]));
    assert_eq!(op["base"]["timed"], 12);
    // With 10 samples enough, p50 and p90 are compared (p99 still needs 100).
    let (code, out, _) =
        run(&["diff", base, slow.path().to_str().expect("p"), "--format", "json", "--min-samples", "10"]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let regressed: Vec<&Value> =
        v["operations"].as_array().expect("ops").iter().filter(|o| o["status"] == "regressed").collect();
    assert_eq!(regressed.len(), 1, "{regressed:#?}");
    assert_eq!(regressed[0]["name"], "kad.confirm_storage");
    assert_eq!(regressed[0]["path"], json!(["p2p.package.publish", "dht.put"]));
    assert_eq!(regressed[0]["path_start"], "root");
    assert_eq!(regressed[0]["not_compared"], json!(["p99_ns"]));
    let p90 =
        regressed[0]["changes"].as_array().expect("changes").iter().find(|c| c["metric"] == "p90_ns").expect("p90");
    assert_eq!(p90["delta"].as_f64(), Some((200 * MS) as f64));
    let (code, human, _) = run(&["diff", base, slow.path().to_str().expect("p"), "--min-samples", "10"]);
    assert_eq!(code, 1);
    assert!(human.contains("REGRESSED") && human.contains("\"kad.confirm_storage\""), "{human}");
    assert!(human.contains("not compared: p99 (over 12 timed span(s): too few)"), "{human}");
    // Within tolerance: 200 ms on ~15 ms is far beyond 20 %, but not beyond --min-delta 1s.
    let (code, _, _) =
        run(&["diff", base, slow.path().to_str().expect("p"), "--min-delta", "1s", "--min-samples", "10"]);
    assert_eq!(code, 0);

    let without = edited("content_fetch", |_| false);
    let (code, out, _) = run(&["diff", base, without.path().to_str().expect("p"), "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("json");
    let vanished: Vec<&str> = v["operations"]
        .as_array()
        .expect("ops")
        .iter()
        .filter(|o| o["status"] == "vanished")
        .map(|o| o["name"].as_str().unwrap_or(""))
        .collect();
    // The fetch is gone, and with it the path its server side ran under: that server span is
    // now an operation under a missing parent.
    assert_eq!(vanished, ["content.serve", "content_fetch"]);
    let new: Vec<(&str, &str, &Value)> = v["operations"]
        .as_array()
        .expect("ops")
        .iter()
        .filter(|o| o["status"] == "new")
        .map(|o| (o["name"].as_str().unwrap_or(""), o["path_start"].as_str().unwrap_or(""), &o["path"]))
        .collect();
    assert_eq!(new, [("content.serve", "missing_parent", &json!([]))]);
    let (_, human, _) = run(&["diff", base, without.path().to_str().expect("p")]);
    assert!(human.contains("\"content.serve\" under (missing parent)\n"), "{human}");
    // The server span left behind is an orphan: a structural regression too.
    assert_eq!(v["summary"]["structure_regressed"], 1);
    let orphans = &v["structure"]["changes"][0];
    assert_eq!(
        (&orphans["metric"], &orphans["base"], &orphans["regression"]),
        (&json!("orphans"), &json!(0), &json!(true))
    );
    assert_eq!(
        orphans["candidate"],
        v["operations"].as_array().expect("ops").iter().find(|o| o["status"] == "new").expect("new")["candidate"]["count"]
    );
}

/// The healthy marketplace dump with one `peer_broadcast` span written twice.
fn with_a_repeated_span() -> tempfile::NamedTempFile {
    let text = String::from_utf8(common::read("sample-traces/p2p/healthy.jsonl")).expect("utf-8");
    let mut f = tempfile::Builder::new().suffix(".jsonl").tempfile().expect("temp");
    f.write_all(text.as_bytes()).expect("write");
    let again = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .find_map(|v| {
            v["resourceSpans"].as_array()?.iter().find_map(|rs| {
                rs["scopeSpans"].as_array()?.iter().find_map(|ss| {
                    let span = ss["spans"].as_array()?.iter().find(|s| s["name"] == "peer_broadcast")?;
                    let scope = json!([{ "scope": ss["scope"], "spans": [span] }]);
                    Some(json!({ "resourceSpans": [{ "resource": rs["resource"], "scopeSpans": scope }] }))
                })
            })
        })
        .expect("a peer_broadcast span");
    writeln!(f, "{again}").expect("write");
    f
}

#[test]
fn diff_fails_on_a_structural_defect_alone() {
    let base = "sample-traces/p2p/healthy.jsonl";
    let twice = with_a_repeated_span();
    let (code, out, _) = run(&["diff", base, twice.path().to_str().expect("p"), "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["summary"]["regressed"], 0, "no operation moved beyond the tolerances: {out}");
    assert_eq!(v["summary"]["vanished"], 0);
    assert_eq!(v["summary"]["structure_regressed"], 1);
    assert_eq!(v["structure"]["changes"].as_array().map(Vec::len), Some(1), "{out}");
    let dup = &v["structure"]["changes"][0];
    assert_eq!((&dup["metric"], &dup["base"], &dup["candidate"]), (&json!("duplicate_span_ids"), &json!(0), &json!(1)));
    let (code, human, _) = run(&["diff", base, twice.path().to_str().expect("p")]);
    assert_eq!(code, 1);
    assert!(human.contains("REGRESSED duplicate span ids 0 → 1"), "{human}");
    // The other way round the defect is gone: not a regression.
    let (code, out, _) = run(&["diff", twice.path().to_str().expect("p"), base, "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["structure"]["changes"][0]["regression"], false);
}

/// A received span's parent id, start and end.
type Received = (Vec<u8>, u64, u64);

#[test]
fn replay_delivers_every_span_once_with_ids_parents_and_one_time_shift() {
    let dump = "sample-traces/p2p/healthy.jsonl";
    let (url, server) = common::otlp_receiver::start();
    let (code, out, err) =
        run(&["replay", dump, "--otlp-endpoint", &url, "--rebase-time", "--batch", "100", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let summary: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(summary["outcome"]["retries"], 1, "the 503 was retried");
    let bodies = server.join().expect("receiver");
    // Received, decoded with opentelemetry-proto (not our decoder).
    // (trace id, span id) → (parent id, start, end)
    let mut got: HashMap<(Vec<u8>, Vec<u8>), Received> = HashMap::new();
    for b in &bodies {
        let data = TracesData::decode(&b[..]).expect("protobuf");
        for rs in data.resource_spans {
            for ss in rs.scope_spans {
                for s in ss.spans {
                    let dup = got.insert(
                        (s.trace_id, s.span_id),
                        (s.parent_span_id, s.start_time_unix_nano, s.end_time_unix_nano),
                    );
                    assert!(dup.is_none(), "a span arrived twice");
                }
            }
        }
    }
    // The original, decoded the same way.
    let mut shifts = std::collections::BTreeSet::new();
    let mut originals = 0;
    for l in String::from_utf8(common::read(dump)).expect("utf-8").lines() {
        let data: TracesData = serde_json::from_str(l).expect("json");
        for rs in data.resource_spans {
            for ss in rs.scope_spans {
                for s in ss.spans {
                    originals += 1;
                    let (parent, start, end) =
                        got.get(&(s.trace_id.clone(), s.span_id.clone())).expect("every span arrives");
                    assert_eq!(parent, &s.parent_span_id, "parentage intact");
                    shifts.insert(*start as i128 - s.start_time_unix_nano as i128);
                    shifts.insert(*end as i128 - s.end_time_unix_nano as i128);
                }
            }
        }
    }
    assert_eq!(got.len(), originals);
    assert_eq!(shifts.len(), 1, "one constant shift: {shifts:?}");
    assert_eq!(summary["shift_ns"].as_i64().map(i128::from), shifts.first().copied());
    assert_eq!(summary["outcome"]["accepted"].as_u64(), Some(originals as u64));
}

/// Runs `tracecheck check -` with `stderr` as its standard error and gives it the healthy
/// scenario dump on stdin only after a pause: the load is still waiting when the progress
/// line is due, however fast the machine.
fn check_stdin_after_a_pause(stderr: std::process::Stdio) -> std::process::Child {
    let dump = common::read("sample-traces/scenario/healthy.jsonl");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tracecheck"))
        .args(["check", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    stdin.write_all(&dump).expect("dump written");
    child
}

#[cfg(unix)]
#[test]
fn progress_is_drawn_on_a_terminal_then_cleared_and_never_when_piped() {
    use std::io::Read as _;
    use std::os::fd::FromRawFd as _;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the integers given; the null pointers
    // ask for no name, default terminal settings and no window size.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    if rc != 0 {
        // A container without /dev/pts: nothing to draw on.
        common::cannot_run(&format!("no pseudo-terminal ({})", std::io::Error::last_os_error()));
        return;
    }
    // SAFETY: both descriptors were just opened and nothing else owns them.
    let (mut master, slave) = unsafe { (std::fs::File::from_raw_fd(master), std::fs::File::from_raw_fd(slave)) };
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // Ends with EIO once the child, the last holder of the terminal's other side, exits.
        while let Ok(n @ 1..) = master.read(&mut buf) {
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let status = check_stdin_after_a_pause(slave.into()).wait().expect("exits");
    assert_eq!(status.code(), Some(0));
    let drawn = reader.join().expect("reader");
    // stdin has no size: the line counts what was decoded, without a made-up total.
    assert!(drawn.contains("\r\x1b[2Kreading: 0.0 MB decoded, 0 spans"), "{drawn:?}");
    assert!(!drawn.contains("/0.0 MB"), "{drawn:?}");
    // Nothing is left on the terminal.
    assert!(drawn.ends_with("\r\x1b[2K"), "{drawn:?}");

    let piped = check_stdin_after_a_pause(std::process::Stdio::piped()).wait_with_output().expect("exits");
    assert_eq!(piped.status.code(), Some(0));
    assert!(piped.stderr.is_empty(), "{:?}", String::from_utf8_lossy(&piped.stderr));
}

#[test]
fn parquet_opens_in_pandas_and_duckdb_with_the_same_numbers() {
    let probe = std::process::Command::new("python3").args(["-c", "import pandas, pyarrow, duckdb"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        common::cannot_run("needs python3 with pandas, pyarrow and duckdb");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (pq, js) = (dir.path().join("stats.parquet"), dir.path().join("stats.json"));
    let dump = "sample-traces/scenario/healthy.jsonl";
    for (format, out) in [("parquet", &pq), ("json", &js)] {
        let out = out.to_str().expect("utf-8 path");
        let (code, _, err) = run(&["stats", dump, "--by", "service,name,kind", "--format", format, "-o", out]);
        assert_eq!(code, 0, "{err}");
    }
    let script = common::root().join("analyzer/tests/data/parquet_in_pandas_and_duckdb.py");
    let out = std::process::Command::new("python3").arg(script).arg(&pq).arg(&js).output().expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    // 37 operations of the healthy run, 15 values each (3 keys and 12 figures).
    assert!(said.contains("pandas: 37 rows, 555 values; duckdb: 37 rows"), "{said}");
}
