//! The spill codec: one span, self-contained, as partition files hold it.

use crate::input;
use crate::model::{
    Attr, Dropped, Dump, Event, Link, NO_SCOPE, Parent, Scope, Slice, SourceLoc, Span, SpanFlags, SpanId, SpanKind,
    StatusCode, Sym, TraceId, ValueType,
};
use std::io::{self, Read};

pub(super) fn put_u32(b: &mut Vec<u8>, x: u32) {
    b.extend_from_slice(&x.to_le_bytes());
}

pub(super) fn put_u64(b: &mut Vec<u8>, x: u64) {
    b.extend_from_slice(&x.to_le_bytes());
}

pub(super) fn put_attrs(b: &mut Vec<u8>, attrs: &[Attr]) {
    put_u32(b, attrs.len() as u32);
    for a in attrs {
        put_u32(b, a.key.0);
        let (ty, payload) = a.raw();
        b.push(ty as u8);
        put_u64(b, payload);
    }
}

/// One span, self-contained, with its index in the whole dump. Symbols and the resource
/// index refer to the tables every partition shares.
pub(super) fn encode_span(dump: &Dump, s: &Span, global: u32, b: &mut Vec<u8>) {
    put_u32(b, global);
    b.extend_from_slice(&s.trace_id.0);
    b.extend_from_slice(&s.span_id.0);
    match s.parent {
        Parent::Root => b.push(0),
        Parent::Span(p) => {
            b.push(1);
            b.extend_from_slice(&p.0);
        }
        Parent::Invalid => b.push(2),
    }
    put_u32(b, s.name.0);
    b.push(s.kind as u8);
    b.push(s.status as u8);
    put_u32(b, s.status_message.0);
    put_u64(b, s.start);
    put_u64(b, s.end);
    put_u32(b, s.resource);
    // The scope travels with each span (partitions share no scope table).
    match dump.scopes.get(s.scope as usize) {
        None => b.push(0),
        Some(sc) => {
            b.push(1);
            put_u32(b, sc.name.0);
            put_u32(b, sc.version.0);
            put_attrs(b, &dump.attrs[sc.attrs.range()]);
            put_u32(b, sc.dropped_attrs);
        }
    }
    b.push(s.flags.0);
    for n in [s.dropped.attrs, s.dropped.events, s.dropped.links, s.dropped.nested_attrs] {
        b.extend_from_slice(&n.to_le_bytes());
    }
    let loc = dump.loc(s);
    put_u32(b, loc.file);
    put_u64(b, loc.line);
    put_u64(b, loc.offset);
    put_attrs(b, dump.span_attrs(s));
    let events = dump.span_events(s);
    put_u32(b, events.len() as u32);
    for e in events {
        put_u32(b, e.name.0);
        put_u64(b, e.time);
        put_attrs(b, &dump.attrs[e.attrs.range()]);
    }
    let links = dump.span_links(s);
    put_u32(b, links.len() as u32);
    for l in links {
        b.extend_from_slice(&l.trace_id.0);
        b.extend_from_slice(&l.span_id.0);
        put_attrs(b, &dump.attrs[l.attrs.range()]);
    }
}

/// Reads what [`encode_span`] wrote.
pub(super) struct Decoder<R> {
    pub(super) r: R,
}

impl<R: Read> Decoder<R> {
    pub(super) fn bytes<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b)?;
        Ok(b)
    }

    pub(super) fn u8(&mut self) -> io::Result<u8> {
        Ok(self.bytes::<1>()?[0])
    }

    pub(super) fn u16(&mut self) -> io::Result<u16> {
        Ok(u16::from_le_bytes(self.bytes()?))
    }

    pub(super) fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    pub(super) fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    pub(super) fn attrs(&mut self, into: &mut Vec<Attr>) -> io::Result<Slice> {
        let start = input::batch::arena_len(into);
        for _ in 0..self.u32()? {
            let key = Sym(self.u32()?);
            let tag = self.u8()?;
            let payload = self.u64()?;
            let ty = *ValueType::ALL.get(usize::from(tag)).ok_or_else(|| corrupt(format!("value tag {tag}")))?;
            into.push(Attr::from_raw(key, ty, payload));
        }
        Ok(input::batch::since(into, start))
    }

    /// The next span into `dump`, with its index in the whole dump; `None` at the end.
    pub(super) fn span(&mut self, dump: &mut Dump) -> io::Result<Option<u32>> {
        let mut first = [0u8; 4];
        match self.r.read(&mut first[..1])? {
            0 => return Ok(None),
            _ => self.r.read_exact(&mut first[1..])?,
        }
        let global = u32::from_le_bytes(first);
        let trace_id = TraceId(self.bytes()?);
        let span_id = SpanId(self.bytes()?);
        let parent = match self.u8()? {
            0 => Parent::Root,
            1 => Parent::Span(SpanId(self.bytes()?)),
            2 => Parent::Invalid,
            t => return Err(corrupt(format!("parent tag {t}"))),
        };
        let name = Sym(self.u32()?);
        let kind = kind_of(self.u8()?)?;
        let status = status_of(self.u8()?)?;
        let status_message = Sym(self.u32()?);
        let start = self.u64()?;
        let end = self.u64()?;
        let resource = self.u32()?;
        let scope = match self.u8()? {
            0 => NO_SCOPE,
            1 => {
                let (name, version) = (Sym(self.u32()?), Sym(self.u32()?));
                let attrs = self.attrs(&mut dump.attrs)?;
                let dropped_attrs = self.u32()?;
                // Neighbours mostly share a scope: reuse the last one when it is the same.
                let same = dump.scopes.last().is_some_and(|l| {
                    l.name == name
                        && l.version == version
                        && l.dropped_attrs == dropped_attrs
                        && dump.attrs[l.attrs.range()].len() == attrs.range().len()
                        && dump.attrs[l.attrs.range()]
                            .iter()
                            .zip(&dump.attrs[attrs.range()])
                            .all(|(a, b)| a.raw() == b.raw() && a.key == b.key)
                });
                if same {
                    dump.attrs.truncate(attrs.start as usize);
                    (dump.scopes.len() - 1) as u32
                } else {
                    dump.scopes.push(Scope { name, version, attrs, dropped_attrs });
                    (dump.scopes.len() - 1) as u32
                }
            }
            t => return Err(corrupt(format!("scope tag {t}"))),
        };
        let flags = SpanFlags(self.u8()?);
        let dropped =
            Dropped { attrs: self.u16()?, events: self.u16()?, links: self.u16()?, nested_attrs: self.u16()? };
        let loc = SourceLoc { file: self.u32()?, line: self.u64()?, offset: self.u64()? };
        let attrs = self.attrs(&mut dump.attrs)?;
        let events_start = input::batch::arena_len(&dump.events);
        for _ in 0..self.u32()? {
            let name = Sym(self.u32()?);
            let time = self.u64()?;
            let attrs = self.attrs(&mut dump.attrs)?;
            dump.events.push(Event { name, time, attrs });
        }
        let events = input::batch::since(&dump.events, events_start);
        let links_start = input::batch::arena_len(&dump.links);
        for _ in 0..self.u32()? {
            let trace_id = TraceId(self.bytes()?);
            let span_id = SpanId(self.bytes()?);
            let attrs = self.attrs(&mut dump.attrs)?;
            dump.links.push(Link { trace_id, span_id, attrs });
        }
        let links = input::batch::since(&dump.links, links_start);
        let loc = dump.span_loc(loc);
        dump.spans.push(Span {
            trace_id,
            span_id,
            parent,
            name,
            kind,
            status,
            status_message,
            start,
            end,
            resource,
            scope,
            attrs,
            events,
            links,
            flags,
            dropped,
            loc,
        });
        Ok(Some(global))
    }
}

pub(super) fn corrupt(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("temporary partition file is corrupt: {what}"))
}

/// Kind and status are written as their OTLP numbers (the enums' discriminants).
pub(super) fn kind_of(n: u8) -> io::Result<SpanKind> {
    SpanKind::from_otlp(i64::from(n)).ok_or_else(|| corrupt(format!("span kind {n}")))
}

pub(super) fn status_of(n: u8) -> io::Result<StatusCode> {
    StatusCode::from_otlp(i64::from(n)).ok_or_else(|| corrupt(format!("status {n}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{dump_buckets, resource_digests};
    use crate::input::{LoadOptions, Loaded, load_bytes};

    /// Two resources, every attribute type, events with attributes, links with attributes,
    /// scopes with a version and attributes, an error status, a missing parent and an
    /// invalid one.
    const DUMP: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"scopeSpans":[{"scope":{"name":"s","version":"1","attributes":[{"key":"lang","value":{"stringValue":"rust"}}]},"spans":[
{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","parentSpanId":"","name":"root","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000","attributes":[{"key":"s","value":{"stringValue":"x"}},{"key":"b","value":{"boolValue":true}},{"key":"i","value":{"intValue":"-7"}},{"key":"d","value":{"doubleValue":2.5}},{"key":"y","value":{"bytesValue":"AQI="}},{"key":"arr","value":{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"two"}]}}},{"key":"m","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},{"key":"e","value":{}}],"events":[{"timeUnixNano":"1700000000100000000","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"E"}}]},{"timeUnixNano":"1700000000200000000","name":"retry"}],"links":[{"traceId":"5bf92f3577b34da6a3ce929d0e0e4736","spanId":"10f067aa0ba902b7","attributes":[{"key":"why","value":{"intValue":"3"}}]}],"status":{"code":2,"message":"boom"},"flags":257},
{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8","parentSpanId":"00f067aa0ba90299","name":"child","kind":3,"startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000200000000","status":{}}]}]},
{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"b"}},{"key":"host.name","value":{"stringValue":"h"}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":[
{"traceId":"6bf92f3577b34da6a3ce929d0e0e4736","spanId":"20f067aa0ba902b7","parentSpanId":"zz","name":"other","kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"0","status":{"code":1}}]}]}]}
"#;

    #[test]
    fn every_span_comes_back_as_it_went_out_and_every_truncation_is_an_error() {
        let mut loaded = Loaded::default();
        load_bytes(&mut loaded, "d.jsonl", DUMP.replace('\n', "").as_bytes(), &LoadOptions::default());
        let mut dump = loaded.dump;
        assert_eq!(dump.spans.len(), 3, "{:?}", loaded.issues);
        assert!(!dump.events.is_empty() && !dump.links.is_empty());
        let before = dump_buckets(&dump, &resource_digests(&dump));
        let kept: Vec<(SourceLoc, u8, u32)> = dump.spans.iter().map(|s| (dump.loc(s), s.flags.0, s.resource)).collect();
        let kept_extras = extras(&dump);
        assert!(kept_extras.iter().any(|e| e.contains("lang") && e.contains("why")), "{kept_extras:?}");
        let mut bytes = Vec::new();
        let mut boundaries = vec![0];
        for (i, s) in dump.spans.iter().enumerate() {
            encode_span(&dump, s, 1000 + i as u32, &mut bytes);
            boundaries.push(bytes.len());
        }
        // Back into the same tables: resources keep their attributes, spans are read anew.
        dump.spans.clear();
        dump.events.clear();
        dump.links.clear();
        dump.scopes.clear();
        let mut d = Decoder { r: &bytes[..] };
        let mut globals = Vec::new();
        while let Some(g) = d.span(&mut dump).expect("decodes") {
            globals.push(g);
        }
        assert_eq!(globals, [1000, 1001, 1002]);
        assert_eq!(dump_buckets(&dump, &resource_digests(&dump)), before);
        let back: Vec<(SourceLoc, u8, u32)> = dump.spans.iter().map(|s| (dump.loc(s), s.flags.0, s.resource)).collect();
        assert_eq!(back, kept);
        assert_eq!(extras(&dump), kept_extras, "scopes and link attributes");

        for cut in 1..bytes.len() {
            let mut scratch = Dump::default();
            let mut d = Decoder { r: &bytes[..cut] };
            let outcome = loop {
                match d.span(&mut scratch) {
                    Ok(Some(_)) => continue,
                    Ok(None) => break None,
                    Err(e) => break Some(e.kind()),
                }
            };
            match outcome {
                None => assert!(boundaries.contains(&cut), "a cut at {cut} read as complete"),
                Some(kind) => assert_eq!(kind, io::ErrorKind::UnexpectedEof, "cut at {cut}"),
            }
        }
    }

    /// Each span's scope (name, version, attributes) and its links' attributes, spelled out.
    fn extras(dump: &Dump) -> Vec<String> {
        let attrs = |sl: Slice| -> String {
            dump.attrs[sl.range()].iter().map(|a| format!("{}={:?}", dump.str(a.key), a.raw())).collect()
        };
        dump.spans
            .iter()
            .map(|s| {
                let sc = dump.scope(s);
                let links: Vec<String> = dump.span_links(s).iter().map(|l| attrs(l.attrs)).collect();
                format!("{} {} [{}] {links:?}", dump.str(sc.name), dump.str(sc.version), attrs(sc.attrs))
            })
            .collect()
    }

    #[test]
    fn a_bad_tag_is_reported_as_corrupt() {
        let mut loaded = Loaded::default();
        load_bytes(&mut loaded, "d.jsonl", DUMP.replace('\n', "").as_bytes(), &LoadOptions::default());
        let dump = loaded.dump;
        let mut bytes = Vec::new();
        encode_span(&dump, &dump.spans[0], 0, &mut bytes);
        // The parent tag follows the index (4 bytes) and the ids (16 + 8).
        bytes[28] = 9;
        let err = Decoder { r: &bytes[..] }.span(&mut Dump::default()).expect_err("corrupt");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("parent tag 9"), "{err}");
    }
}
