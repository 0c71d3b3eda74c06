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
/// input always yields the same symbols regardless of hashing.
#[derive(Debug)]
pub struct Interner {
    strings: Vec<Box<str>>,
    index: HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            strings: Vec::new(),
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
        let strings = &self.strings;
        if let Some(&idx) = self.index.find(hash, |&idx| &*strings[idx as usize] == s) {
            return Sym(idx);
        }
        let idx = u32::try_from(self.strings.len()).expect("more than 4 billion distinct strings");
        self.strings.push(s.into());
        let (strings, hasher) = (&self.strings, &self.hasher);
        self.index.insert_unique(hash, idx, |&i| hasher.hash_one(&*strings[i as usize]));
        Sym(idx)
    }

    /// Looks a string up without adding it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(s);
        self.index.find(hash, |&idx| &*self.strings[idx as usize] == s).map(|&i| Sym(i))
    }

    /// The text of a symbol.
    pub fn resolve(&self, sym: Sym) -> &str {
        &self.strings[sym.0 as usize]
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Always false: the empty string is interned at creation.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Adds every string of `other` and returns the table mapping its symbols to ours.
    pub fn absorb(&mut self, other: &Interner) -> Vec<Sym> {
        other.strings.iter().map(|s| self.intern(s)).collect()
    }
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
