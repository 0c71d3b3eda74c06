//! Merging decoded batches of one file, in input order, into the dump.

use super::*;

/// Merges the batches of one file, in input order, into a sink.
pub(super) struct Merger<'o> {
    pub(super) format: Format,
    pub(super) accounting: Accounting,
    /// Lines of the file before the next batch.
    pub(super) line_base: u64,
    pub(super) opts: &'o LoadOptions,
    /// The share of the file the next batches cover (1.0 when unknown): in memory, the
    /// arenas are grown to what the whole file is expected to need from the share merged so
    /// far, so they seldom grow again (a growing arena briefly exists twice).
    pub(super) share: f64,
    /// The share of the file merged so far.
    covered: f64,
    /// The lengths of the dump's arenas before this file, once its first batches are merged.
    before: Option<Lens>,
}

impl<'o> Merger<'o> {
    /// A merger for one file whose batches cover `share` of it each (1.0 when unknown,
    /// 0.0 for none: then the arenas grow as vectors do).
    pub(super) fn new(format: Format, accounting: Accounting, opts: &'o LoadOptions, share: f64) -> Merger<'o> {
        Merger { format, accounting, line_base: 0, opts, share, covered: 0.0, before: None }
    }

    pub(super) fn merge(&mut self, sink: &mut Sink<'_>, batches: Vec<Batch>) {
        let loaded = &mut *sink.loaded;
        let first = self.before.is_none();
        let before = *self.before.get_or_insert_with(|| Lens::of(&loaded.dump));
        // The fraction of the file these batches complete, when known: the first window's
        // share, or the running total of a file whose windows say their share.
        let fraction = if sink.drain.is_none() && (first || self.share < 1.0) {
            (self.covered + self.share).min(1.0)
        } else {
            0.0
        };
        self.covered += self.share;
        reserve_for(&mut loaded.dump, &batches, fraction, before);
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

/// The lengths of a dump's arenas: spans, attributes, events, links, resources.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lens([usize; 5]);

impl Lens {
    fn of(d: &Dump) -> Lens {
        Lens([d.spans.len(), d.attrs.len(), d.events.len(), d.links.len(), d.resources.len()])
    }
}

/// Grows the arenas of `dump` so that merging `batches` does not reallocate: when they
/// complete `fraction` (> 0) of the file, whose items start at `before`, to what the whole
/// file is expected to need (plus 5 %), else as a vector grows.
pub(super) fn reserve_for(dump: &mut Dump, batches: &[Batch], fraction: f64, before: Lens) {
    let n = |f: fn(&Batch) -> usize| batches.iter().map(f).sum::<usize>();
    let [s, a, e, l, r] = before.0;
    grow(&mut dump.spans, s, n(|b| b.part.spans.len()), fraction);
    grow(&mut dump.attrs, a, n(|b| b.part.attrs.len()), fraction);
    grow(&mut dump.events, e, n(|b| b.part.events.len()), fraction);
    grow(&mut dump.links, l, n(|b| b.part.links.len()), fraction);
    grow(&mut dump.resources, r, n(|b| b.part.resources.len()), fraction);
}

/// Room for `incoming` more items in `v`, whose file's items start at `before` (see
/// [`reserve_for`]); an estimate that fell short grows by at least an eighth, so a file
/// denser at its end is not copied many times.
fn grow<T>(v: &mut Vec<T>, before: usize, incoming: usize, fraction: f64) {
    let needed = v.len() + incoming;
    if needed <= v.capacity() {
        return;
    }
    if fraction > 0.0 {
        let base = before.min(v.len());
        let expected = base + ((needed - base) as f64 / fraction * 1.05) as usize;
        let at_least = if v.capacity() == 0 { needed } else { needed + needed / 8 };
        v.reserve_exact(expected.max(at_least) - v.len());
    } else {
        v.reserve(incoming);
    }
}

#[cfg(test)]
mod tests {
    use super::grow;

    /// `len` items, and room for no more.
    fn with(len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        v.shrink_to_fit();
        v
    }

    #[test]
    fn arenas_grow_to_the_whole_file_from_the_share_merged() {
        // The first tenth of a file: room for all of it, and 5 % more.
        let mut v = with(0);
        grow(&mut v, 0, 100, 0.1);
        assert!((1050..1060).contains(&v.capacity()), "{}", v.capacity());
        // A second file after 1000 items of the first: its own estimate on top of them,
        // not the first file's items counted again.
        let mut v = with(1000);
        grow(&mut v, 1000, 100, 0.1);
        assert!((2050..2060).contains(&v.capacity()), "{}", v.capacity());
        // An estimate that fell short is made again from the larger share.
        let mut v = with(1050);
        grow(&mut v, 0, 100, 0.5);
        assert!((2415..2425).contains(&v.capacity()), "{}", v.capacity());
        // Near the end, at least an eighth more.
        let mut v = with(1000);
        grow(&mut v, 0, 10, 1.0);
        assert!(v.capacity() >= 1010 + 1010 / 8, "{}", v.capacity());
        // Room enough: nothing moves.
        let mut v = with(10);
        v.reserve_exact(90);
        let cap = v.capacity();
        grow(&mut v, 0, 50, 0.01);
        assert_eq!(v.capacity(), cap);
    }
}
