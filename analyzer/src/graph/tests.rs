use super::*;
use crate::input::{LoadOptions, Loaded, load_bytes};

fn dump_of(spans: &[(&str, &str)]) -> Dump {
    let body: Vec<String> = spans
        .iter()
        .map(|(id, parent)| {
            format!(
                r#"{{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"{id}","parentSpanId":"{parent}","name":"s{id}","startTimeUnixNano":"1","endTimeUnixNano":"2"}}"#
            )
        })
        .collect();
    let line = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#, body.join(","));
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, "t.json", line.as_bytes(), &LoadOptions::default());
    assert!(loaded.issues.is_empty(), "{:?}", loaded.issues);
    loaded.dump
}

fn build(d: &Dump) -> TraceGraph {
    let t = group(d);
    assert_eq!(t.ranges.len(), 1);
    let (id, r) = &t.ranges[0];
    TraceGraph::build(d, *id, &t.order[r.clone()])
}

const A: &str = "aaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbb";
const C: &str = "cccccccccccccccc";
const D: &str = "dddddddddddddddd";

#[test]
fn tree_facts() {
    let d = dump_of(&[(C, B), (A, ""), (B, A), (D, A)]);
    let g = build(&d);
    assert_eq!(g.roots.len(), 1);
    assert!(g.orphans.is_empty() && g.cycles.is_empty() && g.duplicates.is_empty());
    assert_eq!(g.max_depth(), 2);
    let root = g.roots[0];
    assert_eq!(g.child_count[root.index()], 2);
    assert_eq!(g.children(root).count(), 2);
}

#[test]
fn cycles_orphans_duplicates_self_parent() {
    let e = "eeeeeeeeeeeeeeee";
    let d = dump_of(&[(A, B), (B, A), (C, "ffffffffffffffff"), (D, D), (e, ""), (e, "")]);
    let g = build(&d);
    assert_eq!(g.cycles.len(), 1);
    assert_eq!(g.cycles[0].len(), 2);
    assert_eq!(g.orphans.len(), 1);
    assert_eq!(g.self_parents.len(), 1);
    assert_eq!(g.duplicates.len(), 1);
    assert_eq!(g.roots.len(), 2);
    assert_eq!(g.depth.iter().filter(|d| d.is_none()).count(), 2);
}
