//! The index that makes lookups cost about the same for 10 or 10,000 host routers.
//!
//! Every router gets "anchors": values that any request it matches must have. A rule whose
//! every `||` branch requires an exact `Host` is filed under those hosts; one that requires a
//! `HostRegexp` ending in a literal (`…\.example\.com$`) under that host suffix in a
//! reversed-byte trie; one that requires a `Path`/`PathPrefix` under that prefix in a byte
//! trie; the rest are scanned. A lookup checks, in priority order, the routers filed under the
//! request's host, each suffix of its host, each prefix of its path, and the scanned ones,
//! and keeps the best match: exactly the router a
//! priority-ordered scan of all routers finds, because every router that can match the
//! request is in one of those lists (the property test in `tests/table_props.rs` checks it).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::rule::{Leaf, Node};

/// Something every request a router matches has.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Anchor {
    /// The canonical host, trailing dots removed.
    Host(String),
    /// A suffix of the canonical host (lower-case, trailing dots removed) that a
    /// `HostRegexp` ending in `…literal$` requires.
    HostSuffix(Vec<u8>),
    /// A prefix of the routing path.
    Prefix(Vec<u8>),
}

/// The anchors of a rule: `None` when it has none (scan it), `Some(empty)` when it can never
/// match.
fn anchors(node: &Node) -> Option<Vec<Anchor>> {
    match node {
        // `*.example.com` is not one host: such a router is scanned.
        Node::Leaf(Leaf::Host(host)) if host.starts_with('*') => None,
        Node::Leaf(Leaf::Host(host)) => Some(vec![Anchor::Host(host_key(host).into_owned())]),
        Node::Leaf(Leaf::HostsV2(hosts)) => Some(
            hosts
                .iter()
                .map(|h| Anchor::Host(host_key(h).into_owned()))
                .collect(),
        ),
        Node::Leaf(Leaf::Path(p) | Leaf::PathPrefix(p)) => {
            Some(vec![Anchor::Prefix(p.as_bytes().to_vec())])
        }
        Node::Leaf(Leaf::HostRegexp(_, Some(suffix))) => {
            Some(vec![Anchor::HostSuffix(suffix.as_bytes().to_vec())])
        }
        Node::Leaf(Leaf::HostTemplates(templates)) => templates
            .iter()
            .map(|(_, suffix)| {
                suffix
                    .as_ref()
                    .map(|s| Anchor::HostSuffix(s.as_bytes().to_vec()))
            })
            .collect(),
        Node::Leaf(Leaf::Const(false)) => Some(Vec::new()),
        Node::Leaf(_) | Node::Not(_) => None,
        Node::All(items) => {
            let found: Vec<Vec<Anchor>> = items.iter().filter_map(anchors).collect();
            if let Some(never) = found.iter().find(|a| a.is_empty()) {
                return Some(never.clone());
            }
            // Prefer exact hosts, then host suffixes, then path prefixes (most selective
            // first), then the fewest anchors.
            found.into_iter().min_by_key(|a| {
                let kind = a
                    .iter()
                    .map(|x| match x {
                        Anchor::Host(_) => 0,
                        Anchor::HostSuffix(_) => 1,
                        Anchor::Prefix(_) => 2,
                    })
                    .max()
                    .unwrap_or(0);
                (kind, a.len())
            })
        }
        Node::Any(items) => {
            let mut all = Vec::new();
            for item in items {
                all.extend(anchors(item)?);
            }
            Some(all)
        }
    }
}

/// The key a host is filed under: lower-case, trailing dots removed (Traefik ignores one
/// trailing dot on either side; removing all keeps the index a superset of the matches).
pub(crate) fn host_key(host: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = host.trim_end_matches('.');
    if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(trimmed.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(trimmed)
    }
}

/// The `FxHash` function (as in rustc): fast on short keys. Keys come from the configuration,
/// so a request cannot choose colliding keys.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A byte trie of path prefixes.
#[derive(Debug, Default)]
struct Trie {
    nodes: Vec<TrieNode>,
}

#[derive(Debug, Default)]
struct TrieNode {
    /// Sorted by byte.
    children: Vec<(u8, u32)>,
    routes: Vec<u32>,
}

impl Trie {
    fn insert(&mut self, prefix: &[u8], rank: u32) {
        if self.nodes.is_empty() {
            self.nodes.push(TrieNode::default());
        }
        let mut at = 0usize;
        for &b in prefix {
            let children = &self.nodes[at].children;
            at = match children.binary_search_by_key(&b, |(c, _)| *c) {
                Ok(i) => children[i].1 as usize,
                Err(i) => {
                    let next = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
                    self.nodes[at].children.insert(i, (b, next));
                    self.nodes.push(TrieNode::default());
                    next as usize
                }
            };
        }
        self.nodes[at].routes.push(rank);
    }

    /// Calls `f` with the routes filed under each prefix of `bytes`, shortest first.
    fn for_each_prefix(&self, bytes: impl Iterator<Item = u8>, mut f: impl FnMut(&[u32])) {
        let Some(root) = self.nodes.first() else {
            return;
        };
        if !root.routes.is_empty() {
            f(&root.routes);
        }
        let mut at = 0usize;
        for b in bytes {
            let children = &self.nodes[at].children;
            match children.binary_search_by_key(&b, |(c, _)| *c) {
                Ok(i) => at = children[i].1 as usize,
                Err(_) => return,
            }
            let node = &self.nodes[at];
            if !node.routes.is_empty() {
                f(&node.routes);
            }
        }
    }
}

/// Routers filed by anchor. Ranks are indexes into the priority-ordered routes.
#[derive(Debug, Default)]
pub(crate) struct Index {
    hosts: HashMap<Box<str>, Vec<u32>, BuildHasherDefault<FxHasher>>,
    /// Host suffixes, bytes reversed.
    suffixes: Trie,
    prefixes: Trie,
    scan: Vec<u32>,
}

impl Index {
    /// Files the router of rank `rank` (ranks must be added in increasing order).
    pub(crate) fn add(&mut self, rank: u32, node: &Node) {
        let Some(found) = anchors(node) else {
            self.scan.push(rank);
            return;
        };
        for anchor in found {
            match anchor {
                Anchor::Host(host) => {
                    let list = self.hosts.entry(host.into()).or_default();
                    if list.last() != Some(&rank) {
                        list.push(rank);
                    }
                }
                Anchor::HostSuffix(mut suffix) => {
                    suffix.reverse();
                    self.suffixes.insert(&suffix, rank);
                }
                Anchor::Prefix(prefix) => self.prefixes.insert(&prefix, rank),
            }
        }
    }

    /// Sorts and de-duplicates lists that a rank may have reached twice.
    pub(crate) fn finish(&mut self) {
        for node in self
            .prefixes
            .nodes
            .iter_mut()
            .chain(&mut self.suffixes.nodes)
        {
            node.routes.sort_unstable();
            node.routes.dedup();
        }
    }

    /// The best (lowest) rank among the candidates for which `matches` holds.
    pub(crate) fn best(
        &self,
        host: &str,
        path: &[u8],
        mut matches: impl FnMut(u32) -> bool,
    ) -> Option<u32> {
        let mut best = u32::MAX;
        let mut consider = |list: &[u32]| {
            for &rank in list {
                if rank >= best {
                    return;
                }
                if matches(rank) {
                    best = rank;
                    return;
                }
            }
        };
        let key = host_key(host);
        if let Some(list) = self.hosts.get(&*key) {
            consider(list);
        }
        self.suffixes
            .for_each_prefix(key.bytes().rev(), &mut consider);
        self.prefixes
            .for_each_prefix(path.iter().copied(), &mut consider);
        consider(&self.scan);
        (best != u32::MAX).then_some(best)
    }

    /// How many routers are scanned for every request (for `explain` and tests).
    pub(crate) fn scanned(&self) -> usize {
        self.scan.len()
    }
}
