//! The buckets of every source: sharded, bounded in size, forgetting idle sources.
//!
//! Traefik keeps one bucket per source in a TTL map of at most 65 536 entries
//! (`ratelimiter/ttlmap`), evicting the entry closest to expiry when full. This table has the
//! same bound, split in 32 shards of 2 048 entries, each behind its own `Mutex`: a request locks
//! one shard for a few arithmetic operations (no await, no allocation once the shard has grown),
//! so contention stays low without a lock-free map. Keys are already random 64-bit hashes
//! (see `SourceCriterion::key`), so the shard maps hash them with the identity.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, PoisonError};

use super::bucket::{Bucket, Decision, Params};

/// Traefik's `maxSources`.
pub(crate) const CAPACITY: usize = 65_536;
const SHARDS: usize = 32;
const PER_SHARD: usize = CAPACITY / SHARDS;
/// When a full shard needs room, the stalest of this many entries goes.
const EVICTION_SAMPLE: usize = 8;
const SECOND: u64 = 1_000_000_000;

#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

struct Entry {
    bucket: Bucket,
    /// When the source is forgotten if it stays idle (nanoseconds on the table clock).
    expires: u64,
}

#[derive(Default)]
struct Shard {
    map: HashMap<u64, Entry, BuildHasherDefault<IdentityHasher>>,
    last_sweep: u64,
}

/// Buckets by source key.
pub(crate) struct Table {
    shards: Box<[Mutex<Shard>]>,
    ttl: u64,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("len", &self.len())
            .field("ttl_ns", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Table {
    /// A table forgetting sources idle for `ttl` nanoseconds.
    pub(crate) fn new(ttl: u64) -> Self {
        Table {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            ttl,
        }
    }

    /// Takes a token for `key` at `now`.
    pub(crate) fn reserve(&self, key: u64, now: u64, p: &Params) -> Decision {
        // The middle bits pick the shard: the map inside uses the low bits for its index and
        // the high bits for its control bytes, which must stay spread within a shard.
        let shard = &self.shards[((key >> 32) as usize) & (SHARDS - 1)];
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let expires = now.saturating_add(self.ttl);
        if let Some(entry) = shard.map.get_mut(&key) {
            if entry.expires > now {
                entry.expires = expires;
                return entry.bucket.reserve(now, p);
            }
            // Expired: a fresh bucket, exactly what the old one would have refilled to.
            entry.bucket = Bucket::full(now, p);
            entry.expires = expires;
            return entry.bucket.reserve(now, p);
        }
        if shard.map.len() >= PER_SHARD {
            shard.make_room(now);
        }
        let mut bucket = Bucket::full(now, p);
        let decision = bucket.reserve(now, p);
        shard.map.insert(key, Entry { bucket, expires });
        decision
    }

    /// How many sources are remembered (expired ones not yet swept included).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).map.len())
            .sum()
    }
}

impl Shard {
    fn make_room(&mut self, now: u64) {
        // Sweeping costs a pass over the shard: at most once a second.
        if now.saturating_sub(self.last_sweep) >= SECOND {
            self.last_sweep = now;
            self.map.retain(|_, e| e.expires > now);
            if self.map.len() < PER_SHARD {
                return;
            }
        }
        let stalest = self
            .map
            .iter()
            .take(EVICTION_SAMPLE)
            .min_by_key(|(_, e)| e.expires)
            .map(|(k, _)| *k);
        if let Some(key) = stalest {
            self.map.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    fn params() -> Params {
        Params {
            rate_per_ns: 1e-9,
            burst: 1.0,
            max_delay_ns: 0,
        }
    }

    /// 100 000 distinct sources (an attacker rotating addresses) never hold more than the bound.
    #[test]
    fn memory_stays_bounded_with_many_sources() {
        let table = Table::new(2 * SECOND);
        let hasher = std::collections::hash_map::RandomState::new();
        for i in 0..100_000u64 {
            table.reserve(hasher.hash_one(i), 0, &params());
        }
        let len = table.len();
        assert!(len <= CAPACITY, "{len} entries");
        assert!(
            len > CAPACITY * 9 / 10,
            "the table should fill up, has {len}"
        );
    }

    #[test]
    fn idle_sources_are_swept() {
        let table = Table::new(2 * SECOND);
        let hasher = std::collections::hash_map::RandomState::new();
        for i in 0..(CAPACITY as u64) {
            table.reserve(hasher.hash_one(i), 0, &params());
        }
        // Ten seconds later new sources arrive: the idle ones make room as shards fill.
        for i in 0..(CAPACITY as u64) {
            table.reserve(hasher.hash_one(i + 1_000_000), 10 * SECOND, &params());
        }
        assert!(table.len() <= CAPACITY);
    }

    #[test]
    fn a_source_keeps_its_bucket_while_active() {
        let table = Table::new(2 * SECOND);
        assert_eq!(table.reserve(42, 0, &params()), Decision::Wait(0));
        assert!(matches!(
            table.reserve(42, SECOND / 2, &params()),
            Decision::Refuse(_)
        ));
        // After the TTL of idleness the bucket is fresh again (and full, as it would be).
        assert_eq!(table.reserve(42, 3 * SECOND, &params()), Decision::Wait(0));
    }
}
