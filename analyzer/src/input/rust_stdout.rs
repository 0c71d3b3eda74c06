//! What the OpenTelemetry Rust SDK's stdout exporter (`opentelemetry-stdout`) prints: blocks of
//! `Spans`, the exporter's `Resource` once (`\t ->  key=Value`), then per span `Span #N` and
//! `Name : value` lines, values as Rust's `Debug` (`String(Static("x"))`, `I64(3)`), times in
//! UTC with microseconds, events and links as nested blocks. Each span becomes one OTLP JSON
//! line on the line of its `Span #N` header (the other lines stay empty), so findings point at
//! the span's own line.

use serde_json::{Value as J, json};

/// Whether `text` starts as the exporter's output.
pub fn looks_like(text: &[u8]) -> bool {
    let t = &text[text.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(text.len())..];
    t.starts_with(b"Spans\n") && memchr::memmem::find(&t[..t.len().min(4096)], b"\nSpan #").is_some()
}

/// A value as `Debug` prints it, as an OTLP JSON `AnyValue`.
fn value(text: &str) -> J {
    let t = text.trim();
    let inner = |prefix: &str| t.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
    if let Some(s) = t.strip_prefix("String(") {
        return json!({ "stringValue": first_string(s).unwrap_or_default() });
    }
    if let Some(n) = inner("I64(") {
        return n.parse::<i64>().map_or(json!({}), |n| json!({ "intValue": n.to_string() }));
    }
    if let Some(f) = inner("F64(") {
        return f.parse::<f64>().map_or(json!({}), |f| json!({ "doubleValue": f }));
    }
    if let Some(b) = inner("Bool(") {
        return json!({ "boolValue": b == "true" });
    }
    if let Some(a) = inner("Array(") {
        // Kept as its text: the element types are Rust's, not OTLP's.
        return json!({ "stringValue": a });
    }
    json!({ "stringValue": t })
}

/// The first Rust string literal of `s`, unescaped.
fn first_string(s: &str) -> Option<String> {
    let start = s.find('"')?;
    let mut out = String::new();
    let mut chars = s[start + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'u' => {
                    let code: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                    out.extend(u32::from_str_radix(&code, 16).ok().and_then(char::from_u32));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// `key: value` or `key=value` after the ` ->  ` arrow.
fn attribute(line: &str) -> Option<J> {
    let rest = line.trim().strip_prefix("->")?.trim_start();
    let cut = rest.find(": ").filter(|&c| rest.find('=').is_none_or(|e| c < e)).or_else(|| rest.find('='))?;
    let sep = if rest[cut..].starts_with(": ") { 2 } else { 1 };
    Some(json!({ "key": rest[..cut].trim(), "value": value(&rest[cut + sep..]) }))
}

/// `Label : value` split at the first colon.
fn field(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.trim().split_once(':')?;
    Some((k.trim(), v.trim()))
}

/// Nanoseconds since the epoch of `2026-11-30 04:36:45.382402` (UTC).
fn time(t: &str) -> String {
    crate::model::time::parse_rfc3339(&format!("{t}Z")).map_or_else(|| "0".into(), |n| n.to_string())
}

fn kind(k: &str) -> u8 {
    match k {
        "Internal" => 1,
        "Server" => 2,
        "Client" => 3,
        "Producer" => 4,
        "Consumer" => 5,
        _ => 0,
    }
}

/// The list `key` of a span object, made when missing.
fn list<'a>(s: &'a mut serde_json::Map<String, J>, key: &str) -> Option<&'a mut Vec<J>> {
    s.entry(key).or_insert_with(|| J::Array(Vec::new())).as_array_mut()
}

#[derive(PartialEq)]
enum Block {
    Resource,
    Scope,
    Span,
    Attributes,
    Event,
    EventAttributes,
    Link,
    LinkAttributes,
}

/// The OTLP JSON lines `text` stands for, one span per `Span #N` line, other lines empty.
pub fn to_json_lines(text: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(text).map_err(|e| format!("not UTF-8: {e}"))?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = vec![String::new(); lines.len()];
    let mut resource: Vec<J> = Vec::new();
    let mut block = Block::Span;
    let mut span: Option<(usize, serde_json::Map<String, J>, String)> = None;
    let finish =
        |span: &mut Option<(usize, serde_json::Map<String, J>, String)>, resource: &[J], out: &mut Vec<String>| {
            if let Some((at, s, scope)) = span.take() {
                let record = json!({ "resourceSpans": [{ "resource": { "attributes": resource },
                "scopeSpans": [{ "scope": { "name": scope }, "spans": [J::Object(s)] }] }] });
                out[at] = record.to_string();
            }
        };
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim_end();
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t == "Spans" {
            finish(&mut span, &resource, &mut out);
            continue;
        }
        if t == "Resource" && !line.starts_with('\t') {
            resource.clear();
            block = Block::Resource;
            continue;
        }
        if t.starts_with("Span #") && !line.starts_with('\t') {
            finish(&mut span, &resource, &mut out);
            span = Some((i, serde_json::Map::new(), String::new()));
            block = Block::Span;
            continue;
        }
        if t == "Instrumentation Scope" {
            block = Block::Scope;
            continue;
        }
        if block == Block::Resource {
            if let Some(a) = attribute(t) {
                resource.push(a);
            }
            continue;
        }
        let Some((_, s, scope)) = span.as_mut() else { continue };
        match t {
            "Attributes:" => {
                block = match block {
                    Block::Event | Block::EventAttributes => Block::EventAttributes,
                    Block::Link | Block::LinkAttributes => Block::LinkAttributes,
                    _ => Block::Attributes,
                };
                continue;
            }
            "Events:" | "Links:" => continue,
            _ if t.starts_with("Event #") => {
                if let Some(e) = list(s, "events") {
                    e.push(json!({}));
                }
                block = Block::Event;
                continue;
            }
            _ if t.starts_with("Link #") => {
                if let Some(l) = list(s, "links") {
                    l.push(json!({}));
                }
                block = Block::Link;
                continue;
            }
            _ => {}
        }
        if t.starts_with("->") {
            let Some(a) = attribute(t) else { continue };
            let target = match block {
                Block::EventAttributes => list(s, "events").and_then(|e| e.last_mut()),
                Block::LinkAttributes => list(s, "links").and_then(|l| l.last_mut()),
                _ => None,
            };
            match target {
                Some(owner) => {
                    if let Some(v) = owner.as_object_mut().and_then(|o| list(o, "attributes")) {
                        v.push(a);
                    }
                }
                None if block != Block::Scope => {
                    if let Some(v) = list(s, "attributes") {
                        v.push(a);
                    }
                }
                None => {}
            }
            continue;
        }
        let Some((k, v)) = field(t) else { continue };
        // The scope's fields are indented twice, the span's once.
        if block == Block::Scope && !line.starts_with("\t\t") {
            block = Block::Span;
        }
        match (&block, k) {
            (Block::Scope, "Name") => *scope = first_string(v).unwrap_or_else(|| v.to_string()),
            (Block::Event | Block::EventAttributes, "Name") => {
                if let Some(e) = list(s, "events").and_then(|e| e.last_mut()).and_then(J::as_object_mut) {
                    e.insert("name".into(), J::String(v.into()));
                }
            }
            (Block::Event | Block::EventAttributes, "Timestamp") => {
                if let Some(e) = list(s, "events").and_then(|e| e.last_mut()).and_then(J::as_object_mut) {
                    e.insert("timeUnixNano".into(), J::String(time(v)));
                }
            }
            (Block::Link | Block::LinkAttributes, "TraceId" | "SpanId") => {
                if let Some(l) = list(s, "links").and_then(|l| l.last_mut()).and_then(J::as_object_mut) {
                    l.insert(if k == "TraceId" { "traceId" } else { "spanId" }.into(), J::String(v.into()));
                }
            }
            (_, "Name") => {
                block = Block::Span;
                s.insert("name".into(), J::String(v.into()));
            }
            (_, "TraceId") => _ = s.insert("traceId".into(), J::String(v.into())),
            (_, "SpanId") => _ = s.insert("spanId".into(), J::String(v.into())),
            // A root says `None (root span)`.
            (_, "ParentSpanId") if v.starts_with("None") => {}
            (_, "ParentSpanId") => _ = s.insert("parentSpanId".into(), J::String(v.into())),
            (_, "Kind") => _ = s.insert("kind".into(), json!(kind(v))),
            (_, "Start time") => _ = s.insert("startTimeUnixNano".into(), J::String(time(v))),
            (_, "End time") => _ = s.insert("endTimeUnixNano".into(), J::String(time(v))),
            (_, "Status") => {
                let status = if v == "Ok" {
                    json!({ "code": 1 })
                } else if v.starts_with("Error") {
                    json!({ "code": 2, "message": first_string(v).unwrap_or_default() })
                } else {
                    json!({})
                };
                s.insert("status".into(), status);
            }
            _ => {}
        }
    }
    finish(&mut span, &resource, &mut out);
    let mut bytes = out.join("\n").into_bytes();
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_values_and_blocks() {
        assert_eq!(value(r#"String(Owned("a \"b\"\n"))"#), json!({"stringValue": "a \"b\"\n"}));
        assert_eq!(value("I64(-3)"), json!({"intValue": "-3"}));
        assert_eq!(value("Bool(true)"), json!({"boolValue": true}));
        let text = "Spans\nResource\n\t ->  service.name=String(Static(\"svc\"))\nSpan #0\n\tInstrumentation Scope\n\t\tName         : \"lib\"\n\n\tName         : op\n\tTraceId      : 5118aa8c2fff1aeabe11d10adf17b959\n\tSpanId       : cc0182b3ab2180a7\n\tParentSpanId : 0000000000000000\n\tKind         : Server\n\tStart time   : 2026-11-30 04:36:45.382402\n\tEnd time     : 2026-11-30 04:36:45.382404\n\tStatus       : Error { description: \"bad\" }\n\tAttributes:\n\t\t ->  rows: I64(3)\n\tEvents:\n\tEvent #0\n\tName      : e\n\tTimestamp : 2026-11-30 04:36:45.382403\n\tAttributes:\n\t\t ->  k: Bool(false)\n";
        assert!(looks_like(text.as_bytes()));
        let out = String::from_utf8(to_json_lines(text.as_bytes()).expect("converts")).expect("utf-8");
        assert_eq!(out.lines().count(), text.lines().count(), "one line per line");
        let v: J = serde_json::from_str(out.lines().nth(3).expect("the span line")).expect("json");
        let s = &v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(s["kind"], 2);
        assert_eq!(s["status"], json!({"code": 2, "message": "bad"}));
        assert_eq!(s["startTimeUnixNano"], "1796013405382402000");
        assert_eq!(s["attributes"][0]["key"], "rows");
        assert_eq!(s["events"][0]["attributes"][0]["value"], json!({"boolValue": false}));
        assert_eq!(v["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"], "lib");
        assert_eq!(v["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"], "svc");
    }
}
