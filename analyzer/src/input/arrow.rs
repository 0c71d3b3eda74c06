//! Spans handed over in memory as Arrow record batches in the `otel_traces` layout (the
//! partitions of a Spark DataFrame, through the Arrow C data interface): read as one input,
//! batch after batch, with the accounting and locations of a Parquet file of the same rows.

use super::merge::Merger;
use super::otel_traces::read::{Column, Decoded, RecordKey, decode_arrays};
use super::*;

/// One input made of Arrow batches: add them in order, then [`ArrowInput::finish`].
#[derive(Debug)]
pub struct ArrowInput {
    file: u32,
    rows: u64,
    typed: bool,
    accounting: Accounting,
    opts: LoadOptions,
    /// The resources of earlier batches, by key (for anyone's rows, without an index: the
    /// last one), as indices into the dump.
    resources: std::collections::HashMap<RecordKey, u32>,
    last_resource: Option<(RecordKey, u32)>,
}

impl ArrowInput {
    /// Starts an input named `path` (what reports and locations call it) in `loaded`.
    pub fn new(loaded: &mut Loaded, path: &str) -> ArrowInput {
        let file = u32::try_from(loaded.dump.files.len()).unwrap_or(u32::MAX);
        loaded.dump.files.push(InputFile {
            path: path.to_string(),
            bytes: 0,
            format: Format::Arrow,
            compression: Compression::None,
            dialects: Vec::new(),
            notes: Vec::new(),
        });
        ArrowInput {
            file,
            rows: 0,
            typed: true,
            accounting: Accounting::default(),
            opts: LoadOptions::default(),
            resources: std::collections::HashMap::new(),
            last_resource: None,
        }
    }

    /// Decodes one batch, given as its columns by name, of `bytes` bytes in memory; its
    /// rows follow those of the batches before. A batch without the layout's columns is an
    /// error naming them, and nothing of it is read.
    pub fn add(&mut self, loaded: &mut Loaded, columns: &[Column], bytes: u64) -> Result<(), String> {
        let Decoded { batch, typed, resource_keys } = decode_arrays(columns, self.file, self.rows)?;
        self.rows += columns.first().map_or(0, |(_, a)| a.len() as u64);
        self.typed &= typed;
        let (resource_base, span_base) = (loaded.dump.resources.len(), loaded.dump.spans.len());
        let accounting = std::mem::take(&mut self.accounting);
        let mut merger = Merger::new(Format::Arrow, accounting, &self.opts, 0.0);
        merger.merge(&mut Sink::in_memory(loaded), vec![batch]);
        self.accounting = merger.accounting;
        self.join_resources(&mut loaded.dump, resource_base, span_base, &resource_keys);
        self.accounting.bytes += bytes;
        if let Some(f) = loaded.dump.files.get_mut(self.file as usize) {
            f.bytes += bytes;
        }
        Ok(())
    }

    /// Makes the resources this batch met in an earlier batch (they are at the end of the
    /// dump, from `resource_base`, with `keys`) the earlier ones, as one Parquet file's rows
    /// share them: the batch's spans (from `span_base`) are pointed at those, and the copies
    /// removed.
    fn join_resources(&mut self, dump: &mut Dump, resource_base: usize, span_base: usize, keys: &[RecordKey]) {
        if dump.resources.len() != resource_base + keys.len() {
            return; // not the batch's resources (cannot happen): leave them be
        }
        let mut to = Vec::with_capacity(keys.len());
        let mut kept = resource_base;
        for (i, key) in keys.iter().enumerate() {
            let earlier = if key.index >= 0 {
                self.resources.get(key).copied()
            } else {
                self.last_resource.filter(|(k, _)| i == 0 && k == key).map(|(_, idx)| idx)
            };
            match earlier {
                Some(idx) => to.push(idx),
                None => {
                    dump.resources.swap(kept, resource_base + i);
                    let idx = kept as u32;
                    to.push(idx);
                    if key.index >= 0 {
                        self.resources.insert(*key, idx);
                    }
                    kept += 1;
                }
            }
        }
        dump.resources.truncate(kept);
        for s in &mut dump.spans[span_base..] {
            if let Some(&idx) = (s.resource as usize).checked_sub(resource_base).and_then(|k| to.get(k)) {
                s.resource = idx;
            }
        }
        if let (Some(key), Some(&idx)) = (keys.last(), to.last()) {
            self.last_resource = Some((*key, idx));
        }
    }

    /// Ends the input: its counts join the load's, and its entry says what it was decoded
    /// as (and that attribute types were inferred, for batches of string maps only).
    pub fn finish(self, loaded: &mut Loaded) {
        if let Some(f) = loaded.dump.files.get_mut(self.file as usize) {
            f.dialects = self.accounting.decoded_by_dialect.keys().copied().collect();
            if !self.typed && self.rows > 0 {
                f.notes.push(INFERRED_TYPES.to_string());
            }
        }
        loaded.accounting.add(&self.accounting);
    }
}

/// The note of an input whose attributes came as string maps only.
const INFERRED_TYPES: &str =
    "Arrow batches with string maps only (not written by tracecheck export): attribute types inferred from their text";
