//! Canonical digests, so a forensic result can be re-checked later: the same spans give the
//! same digest whatever their order, file split or encoding (JSON or protobuf), and however
//! the traces were partitioned or sharded; any change to a span changes it.
//!
//! Spans are hashed one by one, then gathered by their trace's *bucket* (the last two bytes
//! of the trace id, 0 to 65535). A bucket's digest needs only its own spans, so a run that
//! holds some buckets whole can digest them alone, and digests of disjoint bucket sets
//! combine into the digest of all ([`combine_buckets`]).

use crate::model::{Attr, Dump, Parent, Span, TraceId, Value};
use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

/// How the span digest is made, stated in every report.
pub const SPANS_METHOD: &str = "sha256 over the span count and, for each trace-id bucket holding spans (the last two bytes of the trace id, 0-65535) in bucket order, the bucket, its span count and the sha256 of its spans' sha256 digests in ascending order; a span's digest covers its canonical form: trace id, span id, parent, name, kind, status code and message, start and end (ns), scope, attributes, events and links (each sorted), and the sha256 of its resource's attributes (sorted), lengths and counts as unsigned LEB128; independent of record order, file split, encoding, partitions and shards";

/// How the rules digest is made.
pub const RULES_METHOD: &str = "sha256 over the sha256 of each rule pack's canonical form, in load order: its TOML as JSON with keys sorted and its rules and suppressions sorted, so comments, layout and order do not count";

/// The digest of one bucket: its number, its span count, and the sha256 of its spans'
/// digests in ascending order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BucketDigest {
    pub bucket: u16,
    pub spans: u64,
    #[serde(with = "hex32")]
    pub sha256: [u8; 32],
}

/// A sha256 as lowercase hex in partial results.
mod hex32 {
    pub fn serialize<S: serde::Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(b))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        tracecheck_wire::hex::decode::<32>(text.as_bytes())
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a sha256 in hex")))
    }

    use serde::Deserialize as _;
}

/// The bucket of a trace: the integer value of the last four hex digits of its id.
pub fn bucket(t: TraceId) -> u16 {
    u16::from_be_bytes([t.0[14], t.0[15]])
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    tracecheck_wire::hex::encode(bytes)
}

/// The digest of every span of `dump` (a multiset: a span exported twice counts twice).
pub fn spans(dump: &Dump) -> String {
    combine_buckets(&dump_buckets(dump, &resource_digests(dump)))
}

/// The digest of each resource's attributes: each span's canonical form holds its
/// resource's digest (resources are shared by many spans, so they are hashed once).
pub fn resource_digests(dump: &Dump) -> Vec<[u8; 32]> {
    dump.resources
        .par_iter()
        .map(|r| {
            let (mut buf, mut scratch) = (Vec::new(), Scratch::default());
            attrs(dump, &dump.attrs[r.attrs.range()], &mut buf, &mut scratch);
            Sha256::digest(&buf).into()
        })
        .collect()
}

/// The digest of each bucket of `dump`'s spans that holds any, in bucket order, given
/// [`resource_digests`]. The spans' indexes are put in bucket order first (a counting sort),
/// so each thread holds one bucket's span digests at a time, not every span's.
pub fn dump_buckets(dump: &Dump, resources: &[[u8; 32]]) -> Vec<BucketDigest> {
    const BUCKETS: usize = 1 << 16;
    let mut starts = vec![0usize; BUCKETS + 1];
    for s in &dump.spans {
        starts[usize::from(bucket(s.trace_id)) + 1] += 1;
    }
    for b in 0..BUCKETS {
        starts[b + 1] += starts[b];
    }
    let mut order = vec![0u32; dump.spans.len()];
    let mut next = starts.clone();
    for (i, s) in dump.spans.iter().enumerate() {
        let b = usize::from(bucket(s.trace_id));
        order[next[b]] = u32::try_from(i).unwrap_or(u32::MAX);
        next[b] += 1;
    }
    drop(next);
    let held: Vec<u16> = (0..=u16::MAX).filter(|&b| starts[usize::from(b) + 1] > starts[usize::from(b)]).collect();
    held.par_iter()
        .map_init(
            || (Vec::new(), Scratch::default(), Vec::<[u8; 32]>::new()),
            |(buf, scratch, each), &b| {
                let spans = &order[starts[usize::from(b)]..starts[usize::from(b) + 1]];
                each.clear();
                if spans.len() > LARGE_BUCKET {
                    // One huge trace fills one bucket: its spans in parallel too.
                    spans
                        .par_iter()
                        .map_init(
                            || (Vec::new(), Scratch::default()),
                            |(buf, scratch), &i| span_digest(dump, i, resources, buf, scratch),
                        )
                        .collect_into_vec(each);
                    each.par_sort_unstable();
                } else {
                    each.extend(spans.iter().map(|&i| span_digest(dump, i, resources, buf, scratch)));
                    each.sort_unstable();
                }
                let mut h = Sha256::new();
                for d in each.iter() {
                    h.update(d);
                }
                BucketDigest { bucket: b, spans: each.len() as u64, sha256: h.finalize().into() }
            },
        )
        .collect()
}

/// Spans in a bucket above which its span digests are made in parallel.
const LARGE_BUCKET: usize = 1 << 14;

/// The sha256 of span `i`'s canonical form followed by its resource's digest.
fn span_digest(dump: &Dump, i: u32, resources: &[[u8; 32]], buf: &mut Vec<u8>, scratch: &mut Scratch) -> [u8; 32] {
    let s = &dump.spans[i as usize];
    buf.clear();
    canonical_span(dump, s, buf, scratch);
    buf.extend_from_slice(&resources[s.resource as usize]);
    Sha256::digest(&buf[..]).into()
}

/// The span digest from the digests of disjoint sets of buckets, in bucket order.
pub fn combine_buckets(buckets: &[BucketDigest]) -> String {
    let mut all = Sha256::new();
    all.update(buckets.iter().map(|b| b.spans).sum::<u64>().to_be_bytes());
    for b in buckets {
        all.update(b.bucket.to_be_bytes());
        all.update(b.spans.to_be_bytes());
        all.update(b.sha256);
    }
    hex(&all.finalize())
}

/// The digest of rule packs given as the digest of each pack's canonical form, in load
/// order.
pub fn rules<'a>(pack_digests: impl IntoIterator<Item = &'a str>) -> String {
    let mut all = Sha256::new();
    for d in pack_digests {
        all.update(d.as_bytes());
        all.update(b"\n");
    }
    hex(&all.finalize())
}

/// An unsigned LEB128 varint: lengths and counts are mostly below 128, one byte each.
fn varint(buf: &mut Vec<u8>, n: u64) {
    tracecheck_wire::varint::put(buf, n);
}

/// Length-prefixed bytes.
fn bytes(buf: &mut Vec<u8>, b: &[u8]) {
    varint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}

fn value(dump: &Dump, v: &Value, buf: &mut Vec<u8>) {
    match *v {
        Value::Str(s) => {
            buf.push(b's');
            bytes(buf, dump.str(s).as_bytes());
        }
        Value::Bool(b) => buf.extend_from_slice(&[b'b', u8::from(b)]),
        Value::Int(i) => {
            buf.push(b'i');
            buf.extend_from_slice(&i.to_be_bytes());
        }
        Value::Double(d) => {
            buf.push(b'd');
            // One NaN, one zero: the value, not its bit pattern.
            let d = if d.is_nan() {
                f64::NAN
            } else if d == 0.0 {
                0.0
            } else {
                d
            };
            buf.extend_from_slice(&d.to_bits().to_be_bytes());
        }
        Value::Bytes(s) => {
            buf.push(b'y');
            bytes(buf, dump.str(s).as_bytes());
        }
        // Arrays and maps are stored as canonical JSON text.
        Value::Array(s) => {
            buf.push(b'a');
            bytes(buf, dump.str(s).as_bytes());
        }
        Value::Map(s) => {
            buf.push(b'm');
            bytes(buf, dump.str(s).as_bytes());
        }
        Value::Empty => buf.push(b'e'),
    }
}

/// Buffers reused from span to span: canonical entries (attributes, events, links) are
/// written once here and ordered by their bytes.
#[derive(Default)]
struct Scratch {
    entries: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    events: Vec<u8>,
    event_ranges: Vec<(usize, usize)>,
}

/// Writes the entries `ranges` point at into `buf`, count first, in byte order. Every entry
/// encodes its own length (each field is fixed-size or length-prefixed), so they are
/// concatenated without a further prefix.
fn sorted_entries(buf: &mut Vec<u8>, entries: &[u8], ranges: &mut [(usize, usize)]) {
    ranges.sort_unstable_by(|x, y| entries[x.0..x.1].cmp(&entries[y.0..y.1]));
    varint(buf, ranges.len() as u64);
    for &(s, e) in ranges.iter() {
        buf.extend_from_slice(&entries[s..e]);
    }
}

/// Attributes as a sorted list of canonical `key value` entries.
fn attrs(dump: &Dump, list: &[Attr], buf: &mut Vec<u8>, scratch: &mut Scratch) {
    let Scratch { entries, ranges, .. } = scratch;
    entries.clear();
    ranges.clear();
    for a in list {
        let start = entries.len();
        bytes(entries, dump.str(a.key).as_bytes());
        value(dump, &a.value(), entries);
        ranges.push((start, entries.len()));
    }
    sorted_entries(buf, entries, ranges);
}

fn canonical_span(dump: &Dump, s: &Span, buf: &mut Vec<u8>, scratch: &mut Scratch) {
    buf.extend_from_slice(&s.trace_id.0);
    buf.extend_from_slice(&s.span_id.0);
    match s.parent {
        Parent::Root => buf.push(0),
        Parent::Span(p) => {
            buf.push(1);
            buf.extend_from_slice(&p.0);
        }
        Parent::Invalid => buf.push(2),
    }
    bytes(buf, dump.str(s.name).as_bytes());
    buf.push(s.kind as u8);
    buf.push(s.status as u8);
    bytes(buf, dump.str(s.status_message).as_bytes());
    buf.extend_from_slice(&s.start.to_be_bytes());
    buf.extend_from_slice(&s.end.to_be_bytes());
    bytes(buf, dump.str(dump.scope(s).name).as_bytes());
    attrs(dump, dump.span_attrs(s), buf, scratch);
    // Events: each one's entry is built in `events` (its attributes go through the shared
    // attribute scratch first), then the entries are sorted.
    let mut events = std::mem::take(&mut scratch.events);
    let mut event_ranges = std::mem::take(&mut scratch.event_ranges);
    events.clear();
    event_ranges.clear();
    for e in dump.span_events(s) {
        let start = events.len();
        events.extend_from_slice(&e.time.to_be_bytes());
        bytes(&mut events, dump.str(e.name).as_bytes());
        attrs(dump, &dump.attrs[e.attrs.range()], &mut events, scratch);
        event_ranges.push((start, events.len()));
    }
    sorted_entries(buf, &events, &mut event_ranges);
    (scratch.events, scratch.event_ranges) = (events, event_ranges);
    let mut links: Vec<[u8; 24]> = dump
        .span_links(s)
        .iter()
        .map(|l| {
            let mut b = [0u8; 24];
            b[..16].copy_from_slice(&l.trace_id.0);
            b[16..].copy_from_slice(&l.span_id.0);
            b
        })
        .collect();
    links.sort_unstable();
    varint(buf, links.len() as u64);
    for l in links {
        buf.extend_from_slice(&l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A span's digest keyed by its trace's bucket: the bucket (big-endian), then the
    /// digest. Sorting keyed digests sorts them by bucket, then by digest.
    type Keyed = [u8; 34];

    /// The reference form of [`dump_buckets`]: every span's keyed digest at once.
    fn span_digests(dump: &Dump, resources: &[[u8; 32]]) -> Vec<Keyed> {
        dump.spans
            .iter()
            .map(|s| {
                let (mut buf, mut scratch) = (Vec::new(), Scratch::default());
                canonical_span(dump, s, &mut buf, &mut scratch);
                buf.extend_from_slice(&resources[s.resource as usize]);
                let mut k = [0u8; 34];
                k[..2].copy_from_slice(&bucket(s.trace_id).to_be_bytes());
                k[2..].copy_from_slice(&Sha256::digest(&buf[..]));
                k
            })
            .collect()
    }

    /// The digest of a multiset of keyed span digests (sorted here).
    fn combine(each: &mut [Keyed]) -> String {
        each.sort_unstable();
        let mut buckets = Vec::new();
        bucket_digests(each.iter().copied(), |b| buckets.push(b));
        combine_buckets(&buckets)
    }

    /// The digest of each bucket of keyed span digests given in ascending order.
    fn bucket_digests(sorted: impl Iterator<Item = Keyed>, mut each: impl FnMut(BucketDigest)) {
        let mut open: Option<(u16, u64, Sha256)> = None;
        for k in sorted {
            let b = u16::from_be_bytes([k[0], k[1]]);
            match &mut open {
                Some((ob, n, h)) if *ob == b => {
                    *n += 1;
                    h.update(&k[2..]);
                }
                _ => {
                    if let Some((bucket, spans, h)) = open.take() {
                        each(BucketDigest { bucket, spans, sha256: h.finalize().into() });
                    }
                    let mut h = Sha256::new();
                    h.update(&k[2..]);
                    open = Some((b, 1, h));
                }
            }
        }
        if let Some((bucket, spans, h)) = open {
            each(BucketDigest { bucket, spans, sha256: h.finalize().into() });
        }
    }

    #[test]
    fn bucket_digests_of_a_dump_match_the_digests_of_every_span_sorted() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).expect("a readable directory") {
                let p = e.expect("an entry").path();
                if p.is_dir() {
                    walk(&p, out);
                } else if !matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "py" | "sh")) {
                    out.push(p);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let real = root.join("../shared/real-traces");
        assert!(real.is_dir(), "{} is missing: the real dumps are part of this test", real.display());
        let mut inputs = Vec::new();
        walk(&root.join("sample-traces"), &mut inputs);
        walk(&real, &mut inputs);
        let mut loaded = crate::input::load(&inputs, &crate::input::LoadOptions::default());
        let check = |dump: &Dump| {
            let resources = resource_digests(dump);
            let mut keyed = span_digests(dump, &resources);
            keyed.sort_unstable();
            let mut expected = Vec::new();
            bucket_digests(keyed.into_iter(), |b| expected.push(b));
            let buckets = dump_buckets(dump, &resources);
            assert_eq!(buckets, expected);
            assert_eq!(spans(dump), combine_buckets(&expected));
            buckets.len()
        };
        let dump = &mut loaded.dump;
        assert!(dump.spans.len() > 10_000, "only {} spans loaded", dump.spans.len());
        let buckets = check(dump);
        assert!(buckets > 500, "only {buckets} buckets");
        // Every span in one trace, twice over: one bucket larger than LARGE_BUCKET.
        let one = dump.spans[0].trace_id;
        for s in &mut dump.spans {
            s.trace_id = one;
        }
        dump.spans.extend_from_within(..);
        assert!(dump.spans.len() > LARGE_BUCKET);
        assert_eq!(check(dump), 1);
    }

    fn keyed(bucket: u16, fill: u8) -> Keyed {
        let mut k = [fill; 34];
        k[..2].copy_from_slice(&bucket.to_be_bytes());
        k
    }

    #[test]
    fn disjoint_bucket_sets_combine_into_the_digest_of_all() {
        let mut all: Vec<Keyed> = (0..40u8).map(|i| keyed(u16::from(i % 7) * 9000, i)).collect();
        let whole = combine(&mut all.clone());
        // Buckets split three ways by bucket modulo 3, each part digested alone.
        let mut parts: Vec<BucketDigest> = Vec::new();
        for k in 0..3u16 {
            let mut part: Vec<Keyed> =
                all.iter().copied().filter(|x| u16::from_be_bytes([x[0], x[1]]) % 3 == k).collect();
            part.sort_unstable();
            bucket_digests(part.into_iter(), |b| parts.push(b));
        }
        parts.sort_by_key(|b| b.bucket);
        assert_eq!(combine_buckets(&parts), whole);
        // Any change of one span, or one span more, changes it.
        all[3][20] ^= 1;
        assert_ne!(combine(&mut all.clone()), whole);
        all[3][20] ^= 1;
        all.push(all[0]);
        assert_ne!(combine(&mut all), whole);
    }

    #[test]
    fn a_span_moved_to_another_bucket_changes_the_digest() {
        let a = combine(&mut [keyed(1, 5), keyed(2, 6)]);
        let b = combine(&mut [keyed(1, 5), keyed(1, 6)]);
        assert_ne!(a, b);
    }
}
