//! TraceQL forms as a Tempo user writes them: every form parsed and evaluated on a small
//! hand-made dump with the spans it must select; the negated structural operators against
//! their positive forms; the errors for what is not supported; the bundled packs' verdicts
//! unchanged by the move to anchored regexes.

mod common;

use std::collections::BTreeSet;
use tracecheck::input::{LoadOptions, Loaded, load_bytes};
use tracecheck::rules::{RuleSet, SpanFilter};

const TRACE_A: &str = "0000000000000000000000000000000a";
const TRACE_B: &str = "0000000000000000000000000000000b";
const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

/// `(short name, trace, parent, name, kind, service, start ms, duration ms, status, extra)`.
type Row = (&'static str, &'static str, &'static str, &'static str, u8, &'static str, u64, u64, u8, &'static str);

/// Trace A (frontend, scope "gen" 1.0 with `lang = rust`):
/// a1 GET /cart (server) > a2 dht.put (client, error, event at +5 ms) > a3, a4 kad.store_value
/// (service dht; a3 in error "boom"); a1 > a5 dht.get (client, link to b1 with `why`) > a6
/// kad.get.
/// Trace B (backend, scope "jdbc"): b1 consume (consumer) > b2 db.query (error), b3 db.query.
const ROWS: &[Row] = &[
    (
        "a1",
        TRACE_A,
        "",
        "GET /cart",
        2,
        "frontend",
        0,
        100,
        0,
        r#""attributes":[{"key":"cache.hit","value":{"boolValue":true}},{"key":"http.status_code","value":{"intValue":"200"}}]"#,
    ),
    (
        "a2",
        TRACE_A,
        "a1",
        "dht.put",
        3,
        "frontend",
        1,
        30,
        2,
        r#""events":[{"timeUnixNano":"EVENT","name":"exception"}]"#,
    ),
    ("a3", TRACE_A, "a2", "kad.store_value", 1, "dht", 2, 10, 2, r#""status":{"code":2,"message":"boom"}"#),
    ("a4", TRACE_A, "a2", "kad.store_value", 1, "dht", 3, 12, 0, ""),
    (
        "a5",
        TRACE_A,
        "a1",
        "dht.get",
        3,
        "frontend",
        40,
        20,
        0,
        r#""links":[{"traceId":"0000000000000000000000000000000b","spanId":"00000000000000b1","attributes":[{"key":"why","value":{"stringValue":"follows"}}]}]"#,
    ),
    ("a6", TRACE_A, "a5", "kad.get", 1, "frontend", 41, 5, 0, ""),
    ("b1", TRACE_B, "", "consume", 5, "backend", 500, 400, 0, ""),
    ("b2", TRACE_B, "b1", "db.query", 3, "backend", 510, 300, 2, ""),
    ("b3", TRACE_B, "b1", "db.query", 3, "backend", 820, 50, 0, ""),
];

fn span_id(short: &str) -> String {
    format!("{short:0>16}")
}

fn dump() -> String {
    let mut out = String::new();
    for r in ROWS {
        let (short, trace, parent, name, kind, service, start, dur, status, extra) = *r;
        let scope = if trace == TRACE_A {
            r#"{"name":"gen","version":"1.0","attributes":[{"key":"lang","value":{"stringValue":"rust"}}]}"#
        } else {
            r#"{"name":"jdbc"}"#
        };
        let parent =
            if parent.is_empty() { String::new() } else { format!(r#""parentSpanId":"{}","#, span_id(parent)) };
        let status_json = if extra.contains("\"status\"") || status == 0 {
            String::new()
        } else {
            format!(r#""status":{{"code":{status}}},"#)
        };
        let extra = extra.replace("EVENT", &(T0 + (start + 5) * MS).to_string());
        let extra = if extra.is_empty() { String::new() } else { format!(",{extra}") };
        out.push_str(&format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"scope":{scope},"spans":[{{"traceId":"{trace}","spanId":"{}",{parent}"name":"{name}","kind":{kind},{status_json}"startTimeUnixNano":"{}","endTimeUnixNano":"{}"{extra}}}]}}]}}]}}"#,
            span_id(short),
            T0 + start * MS,
            T0 + (start + dur) * MS,
        ));
        out.push('\n');
    }
    out
}

/// The short names of the spans `selector` selects.
fn select(selector: &str) -> Result<Vec<String>, String> {
    let filter = SpanFilter::parse(selector).map_err(|e| e.to_string())?;
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, "t.jsonl", dump().as_bytes(), &LoadOptions::default());
    assert!(loaded.issues.is_empty(), "{:?}", loaded.issues);
    let traces = tracecheck::graph::group(&loaded.dump);
    let mask = filter.mask(&loaded.dump, &traces);
    let picked: BTreeSet<String> = loaded
        .dump
        .spans
        .iter()
        .zip(mask)
        .filter(|(_, m)| *m)
        .map(|(s, _)| s.span_id.to_string().trim_start_matches('0').to_string())
        .collect();
    Ok(picked.into_iter().collect())
}

const ALL_A: &str = "a1 a2 a3 a4 a5 a6";
const ALL_B: &str = "b1 b2 b3";

#[test]
fn every_traceql_form_selects_what_tempo_would() {
    let cases: &[(&str, &str)] = &[
        // pipelines
        (r#"{ name =~ "dht.*" } | count() > 1"#, "a2 a5"),
        (r#"{ name =~ "kad.*" } | count() > 3"#, ""),
        ("{ } | avg(duration) > 100ms", ALL_B),
        ("{ } | max(duration) > 350ms", ALL_B),
        ("{ } | min(duration) < 6ms", ALL_A),
        ("{ } | sum(duration) > 700ms", ALL_B),
        ("{ kind = client } | quantile(duration, 0.5) > 40ms", "b2 b3"),
        ("{ kind = client } | p50(duration) > 40ms", "b2 b3"),
        ("{ } | by(resource.service.name) | count() = 2", "a3 a4"),
        ("{ } | by(resource.service.name) | count() > 2 | coalesce()", "a1 a2 a5 a6 b1 b2 b3"),
        ("{ } | { kind = client }", "a2 a5 b2 b3"),
        (r#"({ name =~ "db.*" } | count() > 1) && { kind = consumer }"#, ALL_B),
        ("count() > 5", ALL_A),
        // spanset operators
        (r#"{ name = "dht.put" } && { name = "kad.get" }"#, "a2 a6"),
        (r#"{ name = "dht.put" } && { name = "consume" }"#, ""),
        (r#"{ name = "dht.put" } || { name = "consume" }"#, "a2 b1"),
        (r#"{ name = "GET /cart" } > { } > { }"#, "a3 a4 a6"),
        (r#"{ name = "dht.put" } > { } && { name = "consume" }"#, ""),
        (r#"{ name = "dht.put" } &> { status = error }"#, "a2 a3"),
        // scoped intrinsics and the older unscoped names
        ("{ trace:duration > 300ms }", ALL_B),
        ("{ traceDuration > 300ms }", ALL_B),
        (r#"{ span:name = "dht.put" }"#, "a2"),
        ("{ span:duration > 250ms }", "b1 b2"),
        ("{ span:kind = consumer }", "b1"),
        ("{ span:status = error }", "a2 a3 b2"),
        (r#"{ span:statusMessage = "boom" }"#, "a3"),
        ("{ span:childCount = 2 }", "a1 a2 b1"),
        (r#"{ trace:rootName = "consume" }"#, ALL_B),
        (r#"{ rootName = "consume" }"#, ALL_B),
        (r#"{ trace:rootService = "frontend" }"#, ALL_A),
        (r#"{ rootServiceName = "frontend" }"#, ALL_A),
        (r#"{ event:name = "exception" }"#, "a2"),
        ("{ event:timeSinceStart > 4ms }", "a2"),
        ("{ event:timeSinceStart > 6ms }", ""),
        (r#"{ link:traceID = "0000000000000000000000000000000b" }"#, "a5"),
        (r#"{ link:spanID = "b1" }"#, "a5"),
        (r#"{ instrumentation:name = "gen" }"#, ALL_A),
        (r#"{ instrumentation:version = "1.0" }"#, ALL_A),
        (r#"{ instrumentation:version = nil }"#, ALL_B),
        (r#"{ instrumentation.lang = "rust" }"#, ALL_A),
        (r#"{ link.why = "follows" }"#, "a5"),
        (r#"{ link.why = nil }"#, "a1 a2 a3 a4 a6 b1 b2 b3"),
        (r#"{ span:id = "a1" }"#, "a1"),
        (r#"{ span:parentID = "00000000000000a2" }"#, "a3 a4"),
        (r#"{ trace:id = "b" }"#, ALL_B),
        // regexes match the whole value
        (r#"{ name =~ "dht" }"#, ""),
        (r#"{ name =~ "dht\\..*" }"#, "a2 a5"),
        (r#"{ name !~ "kad.*|db.*" }"#, "a1 a2 a5 b1"),
        // field against field; an absent side compares with nothing
        ("{ resource.service.name = trace:rootService }", "a1 a2 a5 a6 b1 b2 b3"),
        ("{ span.http.status_code != resource.nothing }", ""),
        // The parent's fields, self time, the critical path, trace counts (issue 22).
        ("{ parent.status = error }", "a3 a4"),
        ("{ parent.resource.service.name != resource.service.name }", "a3 a4"),
        ("{ parent.kind = server }", "a2 a5"),
        ("{ parent.duration > 200ms }", "b2 b3"),
        ("{ parent.span.cache.hit }", "a2 a5"),
        ("{ selfTime > 80ms }", "b2"),
        ("{ selfTime = 50ms }", "a1 b1 b3"),
        ("{ criticalPath }", "a1 a2 a4 a5 a6 b1 b2 b3"),
        ("{ criticalPath = false }", "a3"),
        ("{ trace.spanCount = 3 }", ALL_B),
        ("{ trace.errorCount = 2 }", ALL_A),
        // a boolean attribute alone
        ("{ span.cache.hit }", "a1"),
        ("{ span.cache.hit || span.http.status_code = 500 }", "a1"),
        ("{ .http.status_code = 200 }", "a1"),
    ];
    let mut wrong = Vec::new();
    for (selector, want) in cases {
        match select(selector) {
            Ok(got) if got.join(" ") == *want => {}
            Ok(got) => wrong.push(format!("{selector}: selected [{}], want [{want}]", got.join(" "))),
            Err(e) => wrong.push(format!("{selector}: {e}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Each negated operator against its positive form on the same sides: the two together
/// select exactly the right side's spans, and on this dump both are non-empty.
#[test]
fn negated_structural_operators_complement_their_positive_forms() {
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        // (left, op, right, positive, negated)
        (r#"{ name = "dht.put" }"#, ">", r#"{ name =~ "kad.*" }"#, "a3 a4", "a6"),
        (r#"{ name = "dht.get" }"#, ">>", "{ kind = internal }", "a6", "a3 a4"),
        ("{ status = error }", "<", "{ }", "a1 a2 b1", "a3 a4 a5 a6 b2 b3"),
        (r#"{ name = "kad.store_value" }"#, "<<", "{ }", "a1 a2", "a3 a4 a5 a6 b1 b2 b3"),
        ("{ status = error }", "~", "{ }", "a4 a5 b3", "a1 a2 a3 a6 b1 b2"),
    ];
    for (l, op, r, positive, negated) in cases {
        let p = select(&format!("{l} {op} {r}")).expect("positive");
        let n = select(&format!("{l} !{op} {r}")).expect("negated");
        assert_eq!(p.join(" "), *positive, "{l} {op} {r}");
        assert_eq!(n.join(" "), *negated, "{l} !{op} {r}");
        let right = select(r).expect("right side");
        let mut both: Vec<String> = p.iter().chain(&n).cloned().collect();
        both.sort();
        assert_eq!(both, right, "{op}: positive and negated partition the right side");
    }
}

#[test]
fn what_is_not_supported_says_what_to_write() {
    let forms = [
        "{ } | rate()",
        "{ } | quantile_over_time(duration, 0.99)",
        "{ } | count_over_time() by (resource.service.name)",
        "{ } | select(span.http.url)",
        "{ } | by(name, kind) | count() > 1",
        "{ span.size > 10 * 1024 }",
        "{ } with (most_recent=true)",
        "{ scope.name = \"gen\" }",
        "{ span:nam = \"x\" }",
        "{ trace:foo = 1 }",
        "{ } | median(duration) > 1s",
        "{ } | p0(duration) > 1s",
        "{ } | p101(duration) > 1s",
        "{ } | quantile(duration, 99) > 1s",
        "{ } &",
        "{ } !",
        "{ status }",
        "{ span:id =~ \"ab.*\" }",
        "{ span:id = \"xyz\" }",
    ];
    let mut out = String::new();
    for f in forms {
        let e = SpanFilter::parse(f).err().unwrap_or_else(|| panic!("{f} must be refused"));
        let e = e.to_string();
        assert!(!e.contains("unexpected character"), "{f}: {e}");
        out.push_str(&format!("{f}\n  {e}\n"));
    }
    insta::assert_snapshot!(out);
}

/// The bundled packs moved to schema 2 (anchored regexes); the same packs as schema 1
/// (kept in the test data) give the same rule outcomes and findings on every dump.
#[test]
fn the_bundled_packs_keep_their_verdicts_on_every_dump() {
    let root = common::root();
    // The p2p pack has grown rules since its move to schema 2: its schema-2 twin of that
    // day is kept beside the schema-1 original.
    for (name, new) in [
        ("otel-basics", "rules/otel-basics.toml"),
        ("p2p-marketplace", "analyzer/tests/data/packs-schema1/p2p-marketplace.schema2.toml"),
    ] {
        let new = RuleSet::load(&[root.join(new)]).expect("new pack");
        let old = RuleSet::load(&[root.join(format!("analyzer/tests/data/packs-schema1/{name}.toml"))]).expect("old");
        assert_eq!(new.packs()[0].schema, 2);
        assert_eq!(old.packs()[0].schema, 1);
        let mut dumps = 0;
        for path in common::dumps::all_dumps() {
            let bytes = std::fs::read(&path).expect("dump");
            let rel = path.to_string_lossy().to_string();
            let a = common::report_with_rules_bytes(
                &[(&rel, &bytes)],
                &new.packs()[0].text,
                tracecheck::checks::Severity::Error,
            );
            let b = common::report_with_rules_bytes(
                &[(&rel, &bytes)],
                &old.packs()[0].text,
                tracecheck::checks::Severity::Error,
            );
            let outcome = |r: &tracecheck::report::Report| -> serde_json::Value {
                let mut v = serde_json::to_value(r).expect("json");
                // The reason of an inconclusive rule quotes its selector, which changed.
                for rule in v["rules"].as_array_mut().expect("rules") {
                    rule["reason"] = serde_json::Value::Null;
                }
                serde_json::json!([v["rules"], v["verdict"], v["summary"]["by_code"]])
            };
            assert_eq!(outcome(&a), outcome(&b), "{name} on {rel}");
            dumps += 1;
        }
        assert!(dumps > 50, "{dumps} dumps");
    }
}
