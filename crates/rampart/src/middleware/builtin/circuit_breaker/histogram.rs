//! Latency histogram with the bucket layout of the HDR histogram oxy uses (lowest value 1µs,
//! highest 1h, 2 significant figures), counted in atomics so that recording never locks.
//!
//! Layout (HDR Histogram's, unit magnitude 0): values below 256 have a counter each; above,
//! "bucket" `b` covers `[128·2^b, 256·2^b)` in 128 sub-buckets of width `2^b`, so a value is
//! known to within 1/128 (< 0.8%). Bucket 24 ends at 2^32 µs (~71 min), past the 1h Traefik
//! asks for: 26 × 128 = 3 328 counters (13 KiB). A quantile is reported as the highest value of
//! its sub-bucket, as HDR Histogram's `ValueAtQuantile` does, so the same latencies give the same
//! `LatencyAtQuantileMS` as in Traefik.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

/// log2 of half the sub-bucket count (HDR's `subBucketHalfCountMagnitude` for 2 figures).
const HALF_MAGNITUDE: u32 = 7;
const HALF: usize = 1 << HALF_MAGNITUDE;
/// HDR's bucket count for a highest trackable value of 3 600 000 000 µs.
const BUCKETS: u32 = 25;
/// Counters in one histogram.
pub(super) const LEN: usize = (BUCKETS as usize + 1) * HALF;
/// The largest value a counter holds; larger values are counted there.
pub(super) const MAX_VALUE: u64 = (1 << (HALF_MAGNITUDE + BUCKETS)) - 1;

/// Counts of latencies in microseconds.
pub(super) struct Histogram {
    counts: Box<[AtomicU32]>,
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = (0..LEN).map(|i| self.count_at(i)).sum();
        f.debug_struct("Histogram").field("total", &total).finish()
    }
}

impl Histogram {
    pub(super) fn new() -> Self {
        Histogram {
            counts: (0..LEN).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    /// Counts one latency of `micros` (past [`MAX_VALUE`]: counted as `MAX_VALUE`, where
    /// HDR Histogram refuses the value and oxy drops it).
    pub(super) fn record(&self, micros: u64) {
        // Relaxed: a counter is only ever summed, never used to order other memory.
        self.counts[index_of(micros.min(MAX_VALUE))].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_at(&self, index: usize) -> u64 {
        u64::from(self.counts[index].load(Ordering::Relaxed))
    }

    pub(super) fn clear(&self) {
        for c in &*self.counts {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// The counter of `v` (HDR's `countsIndexFor`).
pub(super) fn index_of(v: u64) -> usize {
    let sub_bucket_mask = (2 << HALF_MAGNITUDE) - 1;
    let pow2_ceiling = 64 - (v | sub_bucket_mask).leading_zeros();
    let bucket = pow2_ceiling - (HALF_MAGNITUDE + 1);
    let sub = v >> bucket;
    let index = ((u64::from(bucket) + 1) << HALF_MAGNITUDE) + sub - HALF as u64;
    usize::try_from(index).map_or(LEN - 1, |i| i.min(LEN - 1))
}

/// The lowest and highest value counted at `index` (HDR's `valueFromIndex` and
/// `highestEquivalentValue`).
pub(super) fn bounds_of(index: usize) -> (u64, u64) {
    let (bucket, sub) = if index < 2 * HALF {
        (0, index)
    } else {
        ((index >> HALF_MAGNITUDE) - 1, (index & (HALF - 1)) + HALF)
    };
    let low = (sub as u64) << bucket;
    (low, low + (1 << bucket) - 1)
}

/// The value at quantile `q` (percent) of the merged `parts`: HDR Histogram's
/// `ValueAtPercentile` (0 when empty; the target count is `q/100 · total` rounded, at least 1;
/// `q == 0` reports the lowest value of its counter, any other `q` the highest).
pub(super) fn value_at_quantile(parts: &[&Histogram], q: f64) -> u64 {
    let total: u64 = (0..LEN)
        .map(|i| parts.iter().map(|h| h.count_at(i)).sum::<u64>())
        .sum();
    if total == 0 {
        return 0;
    }
    let q = q.clamp(0.0, 100.0);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "HDR Histogram's int64((q/100)*total + 0.5), q in [0, 100]: 0 ≤ target ≤ total"
    )]
    let target = (((q / 100.0) * total as f64) + 0.5) as u64;
    let target = target.max(1);
    let mut seen = 0;
    for i in 0..LEN {
        seen += parts.iter().map(|h| h.count_at(i)).sum::<u64>();
        if seen >= target {
            let (low, high) = bounds_of(i);
            return if q == 0.0 { low } else { high };
        }
    }
    // Counters were cleared while summing (a reset on trip): nothing to report.
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[(u64, u32)]) -> Histogram {
        let h = Histogram::new();
        for &(v, n) in values {
            for _ in 0..n {
                h.record(v);
            }
        }
        h
    }

    /// The layout is HDR Histogram's for (1, 3 600 000 000, 2): 3 328 counters.
    #[test]
    fn layout_matches_hdr() {
        assert_eq!(LEN, 3328);
        assert_eq!(MAX_VALUE, (1u64 << 32) - 1);
        assert_eq!(index_of(0), 0);
        assert_eq!(index_of(255), 255);
        assert_eq!(index_of(256), 256);
        assert_eq!(index_of(257), 256);
        assert_eq!(index_of(MAX_VALUE), LEN - 1);
        for i in 0..LEN {
            let (low, high) = bounds_of(i);
            assert_eq!(index_of(low), i, "low of {i}");
            assert_eq!(index_of(high), i, "high of {i}");
            if i + 1 < LEN {
                assert_eq!(bounds_of(i + 1).0, high + 1, "{i} and {} touch", i + 1);
            }
        }
        // 51 ms lands in [50 944, 51 200) µs: reported as 51 199 µs, i.e. 51 ms.
        assert_eq!(bounds_of(index_of(51_000)), (50_944, 51_199));
    }

    /// oxy `TestHDRHistogram_Merge`.
    #[test]
    fn merged_quantiles() {
        let a = of(&[(1, 2)]);
        let b = of(&[(2, 1)]);
        assert_eq!(value_at_quantile(&[&a, &b], 50.0), 1);
        assert_eq!(value_at_quantile(&[&a, &b], 100.0), 2);
    }

    #[test]
    fn quantile_edges() {
        let empty = Histogram::new();
        assert_eq!(value_at_quantile(&[&empty], 50.0), 0);
        let h = of(&[(1_000, 1), (2_000_000, 1)]);
        assert_eq!(value_at_quantile(&[&h], 0.0), 1_000);
        assert_eq!(value_at_quantile(&[&h], 1.0), 1_003, "target at least 1");
        assert_eq!(
            value_at_quantile(&[&h], 50.0),
            1_003,
            "highest of 1 000's counter"
        );
        assert_eq!(value_at_quantile(&[&h], 100.0), 2_007_039);
        assert_eq!(
            value_at_quantile(&[&h], 150.0),
            value_at_quantile(&[&h], 100.0)
        );
        // Past the range: counted in the last counter, not lost.
        let huge = of(&[(u64::MAX, 1)]);
        assert_eq!(value_at_quantile(&[&huge], 100.0), MAX_VALUE);
        huge.clear();
        assert_eq!(value_at_quantile(&[&huge], 100.0), 0);
    }
}
