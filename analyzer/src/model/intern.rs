//! String interning: every span name, attribute key and string value is stored once.

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// A handle to an interned string. `Sym::EMPTY` is the empty string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Sym(pub u32);

impl Sym {
    /// The empty string, always interned first.
    pub const EMPTY: Sym = Sym(0);
}

/// An append-only string table. Symbols are assigned in first-seen order, so the same
/// input always yields the same symbols regardless of hashing. The text lives in large
/// chunks that never move (no allocation per string; a chunk is never reallocated, so the
/// table grows without a transient copy of itself).
#[derive(Debug)]
pub struct Interner {
    chunks: Vec<String>,
    /// The chunk strings are appended to.
    open: usize,
    /// Where each symbol's text is.
    places: Vec<Place>,
    index: HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

/// A symbol's text: `chunks[chunk][start..start + len]`, or the whole chunk when `len` is
/// [`WHOLE`] (strings too long to share a chunk get their own).
#[derive(Clone, Copy, Debug)]
struct Place {
    chunk: u32,
    start: u32,
    len: u32,
}

const WHOLE: u32 = u32::MAX;
/// Size of a shared chunk.
const CHUNK: usize = 1 << 20;
/// Longer strings get a chunk of their own.
const OWN_CHUNK: usize = CHUNK / 8;

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            chunks: vec![String::new()],
            open: 0,
            places: Vec::new(),
            index: HashTable::new(),
            hasher: foldhash::fast::FixedState::with_seed(0x7472_6163_6563_6b21),
        };
        i.intern("");
        i
    }
}

impl Interner {
    /// Returns the symbol for `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hasher.hash_one(s);
        let (chunks, places) = (&self.chunks, &self.places);
        if let Some(&idx) = self.index.find(hash, |&idx| text(chunks, places[idx as usize]) == s) {
            return Sym(idx);
        }
        let idx = u32::try_from(self.places.len()).expect("more than 4 billion distinct strings");
        let place = self.store(s);
        self.places.push(place);
        let (chunks, places, hasher) = (&self.chunks, &self.places, &self.hasher);
        self.index.insert_unique(hash, idx, |&i| hasher.hash_one(text(chunks, places[i as usize])));
        Sym(idx)
    }

    fn store(&mut self, s: &str) -> Place {
        let chunk_index = |n: usize| u32::try_from(n).expect("more than 4 billion string chunks");
        if s.len() > OWN_CHUNK {
            self.chunks.push(s.to_owned());
            return Place { chunk: chunk_index(self.chunks.len() - 1), start: 0, len: WHOLE };
        }
        let open = &self.chunks[self.open];
        if open.len() + s.len() > open.capacity() {
            // The next chunk, when it is a spare one left by `clear`, else a new one.
            let next = self.open + 1;
            if next < self.chunks.len() && self.chunks[next].is_empty() {
                self.open = next;
            } else {
                self.chunks.push(String::with_capacity(CHUNK));
                self.open = self.chunks.len() - 1;
            }
        }
        let open = &mut self.chunks[self.open];
        // Both fit in u32: a shared chunk holds at most CHUNK bytes.
        let place = Place { chunk: chunk_index(self.open), start: open.len() as u32, len: s.len() as u32 };
        open.push_str(s);
        place
    }

    /// Looks a string up without adding it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(s);
        self.index.find(hash, |&idx| text(&self.chunks, self.places[idx as usize]) == s).map(|&i| Sym(i))
    }

    /// The text of a symbol.
    pub fn resolve(&self, sym: Sym) -> &str {
        text(&self.chunks, self.places[sym.0 as usize])
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Always false: the empty string is interned at creation.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Bytes that [`Interner::clear`] keeps: shared chunks, the places and the index.
    pub fn kept_bytes(&self) -> usize {
        let chunks: usize = self.chunks.iter().map(String::capacity).filter(|&c| c == CHUNK).sum();
        chunks + self.places.capacity() * size_of::<Place>() + self.index.capacity() * size_of::<u32>()
    }

    /// Forgets every string but the empty one, keeping the shared chunks (emptied, in
    /// order) and the index's memory for the next strings.
    pub fn clear(&mut self) {
        self.chunks.retain_mut(|c| {
            c.clear();
            c.capacity() == CHUNK
        });
        if self.chunks.is_empty() {
            self.chunks.push(String::new());
        }
        self.open = 0;
        self.places.clear();
        self.index.clear();
        self.intern("");
    }

    /// Adds every string of `other` and returns the table mapping its symbols to ours.
    pub fn absorb(&mut self, other: &Interner) -> Vec<Sym> {
        other.places.iter().map(|&p| self.intern(text(&other.chunks, p))).collect()
    }
}

fn text(chunks: &[String], p: Place) -> &str {
    let chunk = &chunks[p.chunk as usize];
    if p.len == WHOLE { chunk } else { &chunk[p.start as usize..(p.start + p.len) as usize] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_resolves() {
        let mut i = Interner::default();
        let a = i.intern("dht.put");
        let b = i.intern("gossipsub.publish");
        assert_eq!(i.intern("dht.put"), a);
        assert_ne!(a, b);
        assert_eq!(i.resolve(b), "gossipsub.publish");
        assert_eq!(i.intern(""), Sym::EMPTY);
        assert_eq!(i.get("nope"), None);
    }

    #[test]
    fn strings_of_every_size_across_chunks_resolve_to_themselves() {
        let mut i = Interner::default();
        // Sizes around the own-chunk limit and enough text to fill several shared chunks.
        let sizes = [0, 1, 7, OWN_CHUNK - 1, OWN_CHUNK, OWN_CHUNK + 1, CHUNK + 1, 100];
        let mut made = Vec::new();
        for round in 0..12 {
            for (k, &n) in sizes.iter().enumerate() {
                let s: String = (0..n).map(|j| char::from(b'a' + ((j + k + round) % 26) as u8)).collect();
                made.push((i.intern(&s), s));
            }
        }
        assert!(i.chunks.len() > 4, "{} chunks", i.chunks.len());
        for (sym, s) in &made {
            assert_eq!(i.resolve(*sym), s);
            assert_eq!(i.intern(s), *sym);
            assert_eq!(i.get(s), Some(*sym));
        }
        // Shared chunks never grew past their first allocation.
        assert!(i.chunks.iter().all(|c| c.len() > OWN_CHUNK || c.capacity() <= CHUNK));
        let shared = i.chunks.iter().filter(|c| c.capacity() == CHUNK).count();
        assert!(i.kept_bytes() >= shared * CHUNK && i.kept_bytes() < (shared + 1) * CHUNK, "{}", i.kept_bytes());
    }

    #[test]
    fn a_cleared_table_reuses_its_chunks_and_knows_only_the_empty_string() {
        let mut i = Interner::default();
        let long = "x".repeat(OWN_CHUNK + 1);
        let fill = |i: &mut Interner, tag: &str| -> Vec<(Sym, String)> {
            let mut made: Vec<(Sym, String)> = (0..3 * CHUNK / 1000)
                .map(|k| {
                    let s = format!("{tag}{k:0>996}");
                    (i.intern(&s), s)
                })
                .collect();
            made.push((i.intern(&long), long.clone()));
            made
        };
        fill(&mut i, "a");
        let shared = i.chunks.iter().filter(|c| c.capacity() == CHUNK).count();
        i.clear();
        assert_eq!(i.len(), 1);
        assert_eq!(i.get(""), Some(Sym::EMPTY));
        assert_eq!(i.get(&long), None);
        let again = fill(&mut i, "b");
        for (sym, s) in &again {
            assert_eq!(i.resolve(*sym), s);
        }
        assert_eq!(i.get(&format!("a{:0>996}", 0)), None);
        // The same text needs no more shared chunks than before.
        assert_eq!(i.chunks.iter().filter(|c| c.capacity() == CHUNK).count(), shared);
    }

    #[test]
    fn absorb_maps_symbols() {
        let mut a = Interner::default();
        a.intern("x");
        let mut b = Interner::default();
        let y = b.intern("y");
        let x = b.intern("x");
        let map = a.absorb(&b);
        assert_eq!(a.resolve(map[y.0 as usize]), "y");
        assert_eq!(map[x.0 as usize], a.get("x").unwrap());
    }
}
