//! The span digest of a streaming run, from the sorted digest files of its partitions.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;

/// The span digest ([`crate::digest::combine`]) of the sorted digest files of all
/// partitions, merged as they are read.
pub(super) fn merge_digests(files: &[PathBuf]) -> io::Result<String> {
    let mut readers = Vec::with_capacity(files.len());
    for f in files {
        let file = File::open(f)?;
        readers.push(BufReader::with_capacity(64 << 10, file));
    }
    let next = |r: &mut BufReader<File>| -> io::Result<Option<crate::digest::Keyed>> {
        let mut d = [0u8; 34];
        match r.read_exact(&mut d) {
            Ok(()) => Ok(Some(d)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut heap = BinaryHeap::new();
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(d) = next(r)? {
            heap.push(Reverse((d, i)));
        }
    }
    let mut error = None;
    let sorted = std::iter::from_fn(|| {
        let Reverse((d, i)) = heap.pop()?;
        match next(&mut readers[i]) {
            Ok(Some(n)) => heap.push(Reverse((n, i))),
            Ok(None) => {}
            Err(e) => error = Some(e),
        }
        Some(d)
    });
    let digest = crate::digest::combine_sorted(sorted);
    match error {
        Some(e) => Err(e),
        None => Ok(digest),
    }
}
