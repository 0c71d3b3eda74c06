//! One input's content: its layout detected from the bytes, then decoded window by window
//! in parallel.

use super::*;

/// Detects the format of an input's (decompressed) content and decodes it into `sink`;
/// `raw_len` is the input's size as given, `release` gives back decoded ranges of `content`.
pub(super) fn load_content(
    sink: &mut Sink<'_>,
    path: &str,
    raw_len: usize,
    compression: Compression,
    inflated: &Content<'_>,
    opts: &LoadOptions,
    release: &(dyn Fn(usize, usize) + Sync),
) {
    // Node's inspect text (the JS SDK's ConsoleSpanExporter): read as the JSON it stands for,
    // line for line.
    if compression != Compression::ZstdRecords
        && inflated.error.is_none()
        && js_inspect::looks_like(inflated.bytes)
        && let Ok(json) = js_inspect::to_json(inflated.bytes)
    {
        let converted = Content { bytes: &json, error: None };
        return load_content(sink, path, raw_len, compression, &converted, opts, &|_, _| {});
    }
    // The Rust SDK's stdout text: read as the OTLP JSON lines it stands for, each span on the
    // line of its `Span #N` header, and named for what it was.
    if compression != Compression::ZstdRecords
        && inflated.error.is_none()
        && rust_stdout::looks_like(inflated.bytes)
        && let Ok(json) = rust_stdout::to_json_lines(inflated.bytes)
    {
        let before = sink.loaded.accounting.decoded_by_dialect.get(&Dialect::Otlp).copied().unwrap_or(0);
        let converted = Content { bytes: &json, error: None };
        load_content(sink, path, raw_len, compression, &converted, opts, &|_, _| {});
        let loaded = &mut *sink.loaded;
        let by = &mut loaded.accounting.decoded_by_dialect;
        let records = by.get(&Dialect::Otlp).copied().unwrap_or(0) - before;
        if records > 0 {
            by.entry(Dialect::Otlp).and_modify(|n| *n -= records);
            by.retain(|_, n| *n > 0);
            *by.entry(Dialect::RustStdout).or_default() += records;
        }
        if let Some(f) = loaded.dump.files.last_mut() {
            f.dialects = vec![Dialect::RustStdout];
            f.notes = Dialect::RustStdout.loses().map(str::to_string).into_iter().collect();
        }
        return;
    }
    let loaded = &mut *sink.loaded;
    let file = u32::try_from(loaded.dump.files.len()).unwrap_or(u32::MAX);
    let mut accounting = Accounting { bytes: raw_len as u64, ..Accounting::default() };
    let content = inflated.bytes;
    if let Some(e) = &inflated.error {
        accounting.records_read += 1;
        accounting.skip(IssueKind::Truncated);
        let what = if compression == Compression::Gzip { "gzip" } else { "zstd" };
        loaded.issues.push(InputIssue {
            kind: IssueKind::Truncated,
            loc: SourceLoc { file, line: 0, offset: 0 },
            message: format!(
                "the {what} stream stops after {} decompressed bytes ({e}); the records before that are analysed",
                content.len()
            ),
            trace_id: None,
            span_id: None,
        });
    }
    let start = split::skip_ws(content, 0);
    let format = if compression == Compression::ZstdRecords {
        Format::Records
    } else if otel_traces::read::looks_like(content) {
        Format::Parquet
    } else if container::looks_like_bare_message(content) {
        // Before the JSON test: the message's first byte, 0x0A, is a newline.
        Format::Message
    } else if start >= content.len() {
        Format::Empty
    } else if matches!(content[start], b'{' | b'[') {
        match split::detect_layout(content) {
            Layout::Lines => Format::JsonLines,
            Layout::Documents => Format::JsonDocuments,
        }
    } else if container::looks_like_proto_frames(content) {
        Format::Records
    } else {
        Format::Unknown
    };
    loaded.dump.files.push(InputFile {
        path: path.to_string(),
        bytes: raw_len as u64,
        format,
        compression,
        dialects: Vec::new(),
        notes: Vec::new(),
    });
    let mut merger = Merger::new(format, accounting, opts, 1.0);
    let mut parquet_note = None;
    match format {
        // Never detected from bytes: Arrow batches come through `arrow::ArrowInput`.
        Format::Empty | Format::Arrow => {}
        Format::Unknown => {
            merger.accounting.records_read += 1;
            merger.accounting.skip(IssueKind::UnknownFormat);
            sink.loaded.issues.push(InputIssue {
                kind: IssueKind::UnknownFormat,
                loc: SourceLoc { file, line: 1, offset: 0 },
                message: format!(
                    "{path} is not in a known format: expected OTLP JSON or protobuf (records or one message; plain, gzip or zstd), Jaeger or Zipkin JSON; it starts with {}",
                    preview(&content[start..])
                ),
                trace_id: None,
                span_id: None,
            });
        }
        Format::JsonLines => {
            // Chunks are found a window at a time, as they are decoded (see `LineChunks`).
            let mut chunks = split::LineChunks::new(content, opts.chunk_bytes, opts.max_record_bytes, release);
            let window = sink.window.max(1);
            let windows = std::iter::from_fn(|| {
                let w: Vec<split::Chunk> = chunks.by_ref().take(window).collect();
                (!w.is_empty()).then_some(w)
            });
            // Decompressed text is larger than the input; progress counts input bytes.
            let scale = raw_len as f64 / content.len().max(1) as f64;
            let decode = |&split::Chunk { start: s, end: e, long }: &split::Chunk| {
                let b = if long {
                    long_line(file, content, s, e, opts.max_record_bytes)
                } else {
                    decode_lines(file, &content[s..e], s, e == content.len(), opts.max_record_bytes)
                };
                release(s, e);
                if let Some(p) = &opts.progress {
                    p.add_bytes(((e - s) as f64 * scale) as usize);
                    p.spans.fetch_add(b.part.spans.len() as u64, std::sync::atomic::Ordering::Relaxed);
                }
                b
            };
            decode_windows(windows, &decode, &mut |window, batches| {
                let covered: usize = window.iter().map(|c| c.end - c.start).sum();
                merger.share = covered as f64 / content.len().max(1) as f64;
                merger.merge(sink, batches);
            });
        }
        Format::JsonDocuments => {
            let docs = split::documents(content);
            let decode = |r: &split::Record| {
                let mut b = Batch::fresh();
                let loc = SourceLoc { file, line: r.line, offset: r.offset as u64 };
                with_parser(|p| {
                    p.record(&mut b, &content[r.offset..r.end], loc, r.truncated, true, opts.max_record_bytes)
                });
                b
            };
            decode_windows(docs.chunks(sink.window.max(1)), &decode, &mut |_, batches| merger.merge(sink, batches));
        }
        Format::Records => {
            decode_frames(file, content, compression == Compression::ZstdRecords, opts, &mut |batches| {
                merger.merge(sink, batches)
            })
        }
        Format::Parquet => match otel_traces::read::SpanFile::open(content) {
            Ok(f) => {
                let groups: Vec<usize> = (0..f.row_groups()).collect();
                let decode = |g: &usize| f.decode(*g, file);
                decode_windows(groups.chunks(sink.window.max(1)), &decode, &mut |_, batches| {
                    merger.merge(sink, batches)
                });
                if !f.typed {
                    parquet_note = Some(
                        "Parquet with string maps only (not written by tracecheck export): attribute types inferred from their text",
                    );
                }
            }
            Err(e) => {
                merger.accounting.records_read += 1;
                merger.accounting.skip(IssueKind::UnknownFormat);
                sink.loaded.issues.push(InputIssue {
                    kind: IssueKind::UnknownFormat,
                    loc: SourceLoc { file, line: 0, offset: 0 },
                    message: format!("{path} is {e}"),
                    trace_id: None,
                    span_id: None,
                });
            }
        },
        Format::Message => {
            let mut b = Batch::fresh();
            frames::decode_frame(&mut b, content, SourceLoc { file, line: 1, offset: 0 }, false, opts.max_record_bytes);
            merger.merge(sink, vec![b]);
        }
    }
    if let Some(p) = &opts.progress
        && format != Format::JsonLines
    {
        p.add_bytes(raw_len);
    }
    let loaded = &mut *sink.loaded;
    if let Some(f) = loaded.dump.files.last_mut() {
        f.dialects = merger.accounting.decoded_by_dialect.keys().copied().collect();
        f.notes = f.dialects.iter().filter_map(|d| d.loses()).map(str::to_string).collect();
        f.notes.extend(parquet_note.map(str::to_string));
    }
    loaded.accounting.add(&merger.accounting);
}

/// Decodes the items of `windows` a window at a time, in parallel, and hands each
/// window's batches in order to `merge` with the window's items. Merging a window overlaps
/// decoding the next, so the serial merge does not leave the other threads idle; at most
/// two windows of batches are alive at once.
pub(super) fn decode_windows<T: Sync, W: AsRef<[T]> + Send + Sync>(
    windows: impl Iterator<Item = W>,
    decode: &(dyn Fn(&T) -> Batch + Sync),
    merge: &mut (dyn FnMut(&[T], Vec<Batch>) + Send),
) {
    let mut pending: Option<(W, Vec<Batch>)> = None;
    for w in windows {
        let ((), decoded) = rayon::join(
            || {
                if let Some((items, batches)) = pending.take() {
                    merge(items.as_ref(), batches);
                }
            },
            || w.as_ref().par_iter().map(decode).collect::<Vec<Batch>>(),
        );
        pending = Some((w, decoded));
    }
    if let Some((items, batches)) = pending {
        merge(items.as_ref(), batches);
    }
    Batch::drop_spares();
}

pub(super) fn preview(b: &[u8]) -> String {
    let head = &b[..b.len().min(16)];
    if head.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
        format!("{:?}", String::from_utf8_lossy(head))
    } else {
        let hex: Vec<String> = head.iter().take(8).map(|c| format!("{c:02x}")).collect();
        format!("bytes {}", hex.join(" "))
    }
}
