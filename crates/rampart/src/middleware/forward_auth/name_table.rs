//! Finding a header name among the configured ones without hashing it.
//!
//! `HeaderMap` hashes every byte of a custom name (FNV) on each lookup; the identity headers of
//! an auth answer are all custom names (`x-authentik-meta-provider`). Matching the answer's
//! names against the configured ones therefore goes through this table: one bit test rules out
//! every name whose length no configured name has, the last eight bytes (where names sharing a
//! prefix differ) rule out the rest, and only a probable match is compared in full.

use super::names::tail;

/// Lengths below this get a slot of their own; longer names are searched in a list.
const SLOTS: usize = 64;
/// Names of one length kept in its slot; more go to the list.
const PER_SLOT: usize = 2;

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// `(tail, index)` of up to [`PER_SLOT`] names of this length.
    names: [(u64, u8); PER_SLOT],
    len: u8,
}

/// Up to 256 configured names (lower-case), found by exact name or by alias.
#[derive(Debug, Clone)]
pub(crate) struct NameTable {
    texts: Vec<&'static str>,
    slots: Box<[Slot; SLOTS]>,
    /// Bit `n`: some name is `n` bytes long (`n` < 64).
    mask: u64,
    /// `(len, tail, index)` of the names that did not fit a slot.
    rest: Vec<(usize, u64, u8)>,
}

impl Default for NameTable {
    fn default() -> Self {
        NameTable::new(&[])
    }
}

impl NameTable {
    /// A table of `texts` (at most 256, lower-case, distinct); index `i` is `texts[i]`.
    pub(crate) fn new(texts: &[&'static str]) -> Self {
        let mut slots = Box::new([Slot::default(); SLOTS]);
        let mut mask = 0u64;
        let mut rest = Vec::new();
        for (i, text) in texts.iter().enumerate().take(256) {
            let index = u8::try_from(i).expect("at most 256 names");
            let len = text.len();
            let t = tail(text);
            if len < SLOTS && usize::from(slots[len].len) < PER_SLOT {
                let slot = &mut slots[len];
                slot.names[usize::from(slot.len)] = (t, index);
                slot.len += 1;
                mask |= 1 << len;
            } else {
                if len < SLOTS {
                    mask |= 1 << len;
                }
                rest.push((len, t, index));
            }
        }
        NameTable {
            texts: texts.iter().take(256).copied().collect(),
            slots,
            mask,
            rest,
        }
    }

    /// Whether some configured name is `len` bytes long (folding keeps the length, so a name
    /// of another length can neither be one of ours nor an alias of one).
    #[inline]
    pub(crate) fn has_len(&self, len: usize) -> bool {
        if len < SLOTS {
            self.mask & (1 << len) != 0
        } else {
            self.rest.iter().any(|&(l, _, _)| l == len)
        }
    }

    /// The index of `name` (exact, lower-case).
    #[inline]
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        let len = name.len();
        if !self.has_len(len) {
            return None;
        }
        let t = tail(name);
        let exact = |index: u8| {
            let i = usize::from(index);
            same_bytes(self.texts[i].as_bytes(), name.as_bytes()).then_some(i)
        };
        if len < SLOTS {
            let slot = &self.slots[len];
            for &(st, index) in &slot.names[..usize::from(slot.len)] {
                if st == t
                    && let Some(i) = exact(index)
                {
                    return Some(i);
                }
            }
            if usize::from(slot.len) < PER_SLOT {
                return None;
            }
        }
        self.rest
            .iter()
            .filter(|&&(l, rt, _)| l == len && rt == t)
            .find_map(|&(_, _, index)| exact(index))
    }
}

/// `a == b` for slices of equal length, eight bytes at a time (header names are short: this
/// beats a call to `memcmp`).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().expect("8 bytes"));
    let (mut a8, mut b8) = (a.chunks_exact(8), b.chunks_exact(8));
    a8.by_ref()
        .zip(b8.by_ref())
        .all(|(x, y)| word(x) == word(y))
        && a8
            .remainder()
            .iter()
            .zip(b8.remainder())
            .all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exact_names_only() {
        let texts = [
            "x-authentik-username",
            "x-authentik-meta-app",
            "x-a",
            "x-b",
            "x-c",
            "remote-user",
        ];
        let table = NameTable::new(&texts);
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(table.index_of(t), Some(i), "{t}");
        }
        assert_eq!(table.index_of("x-authentik-usernamf"), None);
        assert_eq!(
            table.index_of("y-authentik-username"),
            None,
            "same tail, other prefix"
        );
        assert_eq!(table.index_of("x-d"), None);
        assert_eq!(table.index_of("accept"), None);
        assert!(table.has_len(3) && !table.has_len(4));
    }

    #[test]
    fn long_names_and_many_of_one_length() {
        let long: &'static str = Box::leak("x-".repeat(40).into_boxed_str());
        let texts = ["x-1", "x-2", "x-3", "x-4", long];
        let table = NameTable::new(&texts);
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(table.index_of(t), Some(i), "{t}");
        }
        assert!(table.has_len(80));
        assert_eq!(table.index_of("x-5"), None);
    }

    #[test]
    fn byte_comparison() {
        assert!(same_bytes(b"x-authentik-username", b"x-authentik-username"));
        assert!(!same_bytes(
            b"x-authentik-username",
            b"x-authentik-usernamf"
        ));
        assert!(!same_bytes(
            b"y-authentik-username",
            b"x-authentik-username"
        ));
        assert!(!same_bytes(b"abc", b"abcd"));
        assert!(same_bytes(b"", b""));
    }
}
