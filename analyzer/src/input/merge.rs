//! Merging decoded batches of one file, in input order, into the dump.

use super::*;

/// Merges the batches of one file, in input order, into a sink.
pub(super) struct Merger<'o> {
    pub(super) format: Format,
    pub(super) accounting: Accounting,
    /// Lines of the file before the next batch.
    pub(super) line_base: u64,
    pub(super) opts: &'o LoadOptions,
    /// The share of the file the next batches cover: the first window reserves room for
    /// the whole file in that proportion, so later windows seldom grow the arenas.
    pub(super) share: f64,
    pub(super) first: bool,
}

impl Merger<'_> {
    pub(super) fn merge(&mut self, sink: &mut Sink<'_>, batches: Vec<Batch>) {
        let loaded = &mut *sink.loaded;
        let whole_file = self.first && sink.drain.is_none() && self.share > 0.0;
        let scale = if whole_file { 1.05 / self.share.min(1.0) } else { 1.0 };
        self.first = false;
        reserve_for(&mut loaded.dump, &batches, scale);
        for mut b in batches {
            let n = b.newlines;
            let before = loaded.dump.spans.len();
            b.merge_into(&mut loaded.dump, &mut self.accounting, &mut loaded.issues, self.line_base);
            self.line_base += n;
            // JSON lines count their spans as chunks are decoded; the other formats here.
            if let Some(p) = &self.opts.progress
                && self.format != Format::JsonLines
            {
                p.spans.fetch_add((loaded.dump.spans.len() - before) as u64, std::sync::atomic::Ordering::Relaxed);
            }
            if let Some(drain) = sink.drain.as_mut() {
                drain(&mut loaded.dump);
            }
            b.recycle();
        }
    }
}

/// Grows the arenas of `dump` once for `batches` (their sizes times `scale`), so merging
/// them does not reallocate.
pub(super) fn reserve_for(dump: &mut Dump, batches: &[Batch], scale: f64) {
    let n = |f: fn(&Batch) -> usize| (batches.iter().map(f).sum::<usize>() as f64 * scale) as usize;
    dump.spans.reserve(n(|b| b.part.spans.len()));
    dump.attrs.reserve(n(|b| b.part.attrs.len()));
    dump.events.reserve(n(|b| b.part.events.len()));
    dump.links.reserve(n(|b| b.part.links.len()));
    dump.resources.reserve(n(|b| b.part.resources.len()));
}
