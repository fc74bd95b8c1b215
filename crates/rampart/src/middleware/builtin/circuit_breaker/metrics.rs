//! The rolling metrics a breaker's expression reads (oxy `memmetrics.RTMetrics`): requests,
//! network errors and statuses over the last 10 seconds (10 slots of 1 s), latencies over the
//! last 50–60 seconds (6 slots of 10 s).
//!
//! Recording is lock-free: a slot is found from the time, and its counters are atomics. A slot
//! is cleared when time comes back round to it, under a mutex taken once per slot width (the
//! first request of each second), never per request. Readers sum the live slots; they run once
//! per `checkPeriod`. A record racing with a clear may be lost or kept: a one-request error on
//! a ratio over seconds of traffic, which the check tolerates.
//!
//! Status counters and the latency histogram exist only when the expression reads them
//! (`ResponseCodeRatio`, `LatencyAtQuantileMS`): 36 KiB and 78 KiB a breaker.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::histogram::{self, Histogram};

const SECOND: u64 = 1_000_000_000;

/// Slot geometry: oxy's `counterBuckets`/`counterResolution` and `histBuckets`/`histPeriod`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Geometry {
    pub(super) counter_slots: usize,
    pub(super) counter_width: u64,
    pub(super) latency_slots: usize,
    pub(super) latency_width: u64,
}

impl Geometry {
    pub(super) const TRAEFIK: Geometry = Geometry {
        counter_slots: 10,
        counter_width: SECOND,
        latency_slots: 6,
        latency_width: 10 * SECOND,
    };
}

/// What a slot holds; cleared when its time comes round again.
trait Clear {
    fn clear(&self);
}

/// A ring of time slots: slot `n % len` holds the data of the `n`th period since the breaker
/// was built.
#[derive(Debug)]
struct Ring<T> {
    slots: Box<[(AtomicU64, T)]>,
    width: u64,
    roll: Mutex<()>,
}

impl<T: Clear> Ring<T> {
    fn new(len: usize, width: u64, make: impl Fn() -> T) -> Self {
        Ring {
            slots: (0..len).map(|_| (AtomicU64::new(0), make())).collect(),
            width: width.max(1),
            roll: Mutex::new(()),
        }
    }

    /// The period number of `now`, from 1 (0 tags a slot with nothing in it).
    fn epoch(&self, now: u64) -> u64 {
        now / self.width + 1
    }

    fn slot(&self, epoch: u64) -> &(AtomicU64, T) {
        // The remainder is below `len`, which is a usize.
        let i = usize::try_from(epoch % self.slots.len() as u64).unwrap_or(0);
        &self.slots[i]
    }

    /// The slot of `now`, cleared first if it still holds an older period.
    fn current(&self, now: u64) -> &T {
        let epoch = self.epoch(now);
        let (tag, data) = self.slot(epoch);
        // Acquire pairs with the Release below: who sees the new tag sees the cleared data.
        if tag.load(Ordering::Acquire) < epoch {
            let _roll = self.roll.lock().unwrap_or_else(PoisonError::into_inner);
            // Only ever forward: a recorder that read the clock long ago must not clear a newer
            // period (its count goes to the newer one instead).
            if tag.load(Ordering::Acquire) < epoch {
                data.clear();
                tag.store(epoch, Ordering::Release);
            }
        }
        data
    }

    /// The slots within the window ending at `now`.
    fn live(&self, now: u64) -> impl Iterator<Item = &T> {
        let oldest = (self.epoch(now) + 1).saturating_sub(self.slots.len() as u64);
        self.slots.iter().filter_map(move |(tag, data)| {
            let t = tag.load(Ordering::Acquire);
            (t != 0 && t >= oldest).then_some(data)
        })
    }

    fn reset(&self) {
        let _roll = self.roll.lock().unwrap_or_else(PoisonError::into_inner);
        for (tag, data) in &*self.slots {
            tag.store(0, Ordering::Release);
            data.clear();
        }
    }
}

/// Statuses 100 to 999 (all that `http::StatusCode` allows).
const FIRST_CODE: u16 = 100;
const CODES: usize = 900;

/// One second of requests.
struct Counters {
    total: AtomicU64,
    network: AtomicU64,
    /// Per status, from 100; empty when the expression reads no status.
    codes: Box<[AtomicU32]>,
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes = self
            .codes
            .iter()
            .zip(FIRST_CODE..)
            .filter_map(|(n, code)| {
                let n = n.load(Ordering::Relaxed);
                (n > 0).then_some((code, n))
            })
            .collect::<Vec<_>>();
        f.debug_struct("Counters")
            .field("total", &self.total)
            .field("network", &self.network)
            .field("codes", &codes)
            .finish()
    }
}

impl Clear for Counters {
    fn clear(&self) {
        self.total.store(0, Ordering::Relaxed);
        self.network.store(0, Ordering::Relaxed);
        for c in &*self.codes {
            c.store(0, Ordering::Relaxed);
        }
    }
}

impl Clear for Histogram {
    fn clear(&self) {
        Histogram::clear(self);
    }
}

/// One finished request, as the breaker saw it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Outcome {
    pub(super) status: u16,
    pub(super) network_error: bool,
    pub(super) latency_micros: u64,
}

/// The rolling metrics of one breaker. Times are nanoseconds on the breaker's clock.
#[derive(Debug)]
pub(super) struct Metrics {
    counters: Ring<Counters>,
    latency: Option<Ring<Histogram>>,
}

impl Metrics {
    /// Metrics with status counters when `codes`, a latency histogram when `latency`.
    pub(super) fn new(geometry: Geometry, codes: bool, latency: bool) -> Self {
        let code_slots = if codes { CODES } else { 0 };
        Metrics {
            counters: Ring::new(geometry.counter_slots, geometry.counter_width, || {
                Counters {
                    total: AtomicU64::new(0),
                    network: AtomicU64::new(0),
                    codes: (0..code_slots).map(|_| AtomicU32::new(0)).collect(),
                }
            }),
            latency: latency.then(|| {
                Ring::new(
                    geometry.latency_slots,
                    geometry.latency_width,
                    Histogram::new,
                )
            }),
        }
    }

    /// Whether recording needs the latency (so the caller waits for the body's end).
    pub(super) fn wants_latency(&self) -> bool {
        self.latency.is_some()
    }

    /// Counts one request (oxy `RTMetrics.Record`).
    pub(super) fn record(&self, now: u64, outcome: Outcome) {
        let c = self.counters.current(now);
        // Relaxed: counters are summed by the checker, which tolerates a racing count.
        c.total.fetch_add(1, Ordering::Relaxed);
        if outcome.network_error {
            c.network.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(slot) = outcome
            .status
            .checked_sub(FIRST_CODE)
            .and_then(|i| c.codes.get(usize::from(i)))
        {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(h) = &self.latency {
            h.current(now).record(outcome.latency_micros);
        }
    }

    /// Forgets everything (on trip, as oxy's `Reset`).
    pub(super) fn reset(&self) {
        self.counters.reset();
        if let Some(h) = &self.latency {
            h.reset();
        }
    }

    /// Requests in the window (`RequestThreshold()`).
    pub(super) fn total(&self, now: u64) -> u64 {
        self.counters
            .live(now)
            .map(|c| c.total.load(Ordering::Relaxed))
            .sum()
    }

    /// Network errors / requests in the window, 0 when there were none (`NetworkErrorRatio()`).
    pub(super) fn network_error_ratio(&self, now: u64) -> f64 {
        let (errors, total) = self.counters.live(now).fold((0, 0), |(e, t), c| {
            (
                e + c.network.load(Ordering::Relaxed),
                t + c.total.load(Ordering::Relaxed),
            )
        });
        ratio(errors, total)
    }

    /// Answers with a status in `[from, to)` / answers with a status in `[div_from, div_to)`,
    /// 0 when the divisor is 0 (`ResponseCodeRatio(…)`).
    pub(super) fn response_code_ratio(
        &self,
        now: u64,
        (from, to): (i64, i64),
        (div_from, div_to): (i64, i64),
    ) -> f64 {
        let count = |from: i64, to: i64| -> u64 {
            let lo = usize::try_from(from - i64::from(FIRST_CODE)).unwrap_or(0);
            let hi = usize::try_from(to - i64::from(FIRST_CODE)).unwrap_or(0);
            self.counters
                .live(now)
                .map(|c| {
                    let hi = hi.min(c.codes.len());
                    c.codes
                        .get(lo.min(hi)..hi)
                        .unwrap_or_default()
                        .iter()
                        .map(|n| u64::from(n.load(Ordering::Relaxed)))
                        .sum::<u64>()
                })
                .sum()
        };
        ratio(count(from, to), count(div_from, div_to))
    }

    /// The latency in microseconds at quantile `q` (percent) over the window; 0 with no data
    /// (`LatencyAtQuantileMS(q)` × 1000).
    pub(super) fn latency_at_quantile(&self, now: u64, q: f64) -> u64 {
        let Some(ring) = &self.latency else {
            return 0;
        };
        let parts: Vec<&Histogram> = ring.live(now).collect();
        histogram::value_at_quantile(&parts, q)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        return 0.0;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts stay far below 2^52 within a 10 s window"
    )]
    let r = a as f64 / b as f64;
    r
}

#[cfg(test)]
mod tests;
