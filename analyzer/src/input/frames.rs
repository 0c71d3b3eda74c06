//! Length-prefixed records: the file exporter's proto format and its per-record zstd.

use super::*;

/// Decodes length-prefixed records (protobuf, or per-record zstd around JSON or protobuf),
/// in parallel groups of about `chunk_bytes`. A record's line is its 1-based index.
pub(super) fn decode_frames(
    file: u32,
    bytes: &[u8],
    zstd: bool,
    opts: &LoadOptions,
    merge: &mut (dyn FnMut(Vec<Batch>) + Send),
) {
    let (frames, cut) = container::frames(bytes);
    let mut groups: Vec<&[container::Frame]> = Vec::new();
    let mut from = 0;
    let mut size = 0;
    for (i, f) in frames.iter().enumerate() {
        size += f.end - f.start;
        if size >= opts.chunk_bytes {
            groups.push(&frames[from..=i]);
            from = i + 1;
            size = 0;
        }
    }
    groups.push(&frames[from..]);
    // As many groups at once as there are threads, a few times over: bounded memory.
    let decode = |group: &&[container::Frame]| {
        let mut b = Batch::fresh();
        for f in group.iter() {
            let loc = SourceLoc { file, line: f.index, offset: f.offset as u64 };
            decode_frame(&mut b, &bytes[f.start..f.end], loc, zstd, opts.max_record_bytes);
        }
        b
    };
    decode_windows(groups.chunks(4 * rayon::current_num_threads()), &decode, &mut |_, batches| merge(batches));
    if let Some(c) = cut {
        let mut b = Batch::default();
        b.accounting.records_read += 1;
        b.accounting.skip(IssueKind::Truncated);
        b.issues.push(InputIssue {
            kind: IssueKind::Truncated,
            loc: SourceLoc { file, line: c.index, offset: c.offset as u64 },
            message: format!(
                "record {} cut off: its length prefix says {} bytes but only {} remain",
                c.index, c.claimed, c.available
            ),
            trace_id: None,
            span_id: None,
        });
        merge(vec![b]);
    }
}

/// Decodes one length-prefixed record.
pub(super) fn decode_frame(b: &mut Batch, payload: &[u8], loc: SourceLoc, zstd: bool, max: usize) {
    let malformed = |b: &mut Batch, message: String| {
        b.accounting.records_read += 1;
        b.accounting.skip(IssueKind::Malformed);
        b.issues.push(InputIssue { kind: IssueKind::Malformed, loc, message, trace_id: None, span_id: None });
    };
    let inflated;
    let payload = if zstd {
        match zstd::stream::decode_all(payload) {
            Ok(v) => {
                inflated = v;
                &inflated[..]
            }
            Err(e) => return malformed(b, format!("record {} is not a valid zstd frame: {e}", loc.line)),
        }
    } else {
        payload
    };
    let first = payload.get(split::skip_ws(payload, 0)).copied();
    if matches!(first, Some(b'{' | b'[')) {
        let multiline = memchr::memchr(b'\n', payload.trim_ascii_end()).is_some();
        with_parser(|p| p.record(b, payload, loc, false, multiline, max));
        return;
    }
    match otlp_proto::decode_traces_data(b, payload, loc) {
        Ok(otlp_proto::Record::Traces) => {
            b.accounting.records_read += 1;
            b.accounting.records_decoded += 1;
            *b.accounting.decoded_by_dialect.entry(Dialect::Otlp).or_default() += 1;
        }
        Ok(otlp_proto::Record::Logs) => {
            b.accounting.records_read += 1;
            b.accounting.records_other_signal += 1;
            *b.accounting.other_signals.entry(super::Signal::Logs).or_default() += 1;
        }
        Ok(otlp_proto::Record::Metrics) => match super::telemetry::add_proto_metrics(b, payload) {
            Ok(()) => {
                b.accounting.records_read += 1;
                b.accounting.records_other_signal += 1;
                *b.accounting.other_signals.entry(super::Signal::Metrics).or_default() += 1;
            }
            Err(e) => malformed(b, format!("record {}: a metrics record {e}", loc.line)),
        },
        Err(e) => malformed(b, format!("record {}: {e}", loc.line)),
    }
}
