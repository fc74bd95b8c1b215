//! The breaker's state machine, as oxy's `cbreaker` (which Traefik uses):
//!
//! ```text
//!            expression holds (checked every checkPeriod, after a response)
//!  Standby ───────────────────────────────────────────────▶ Tripped ◀──────────┐
//!     ▲        (metrics reset)                                │ fallbackDuration │ expression
//!     │                                                       ▼ over             │ holds
//!     └──────────────── recoveryDuration over ─────────── Recovering ───────────┘
//! ```
//!
//! * **Standby**: every request goes on; its outcome is recorded; at most once per
//!   `checkPeriod` (the first response after it has passed) the expression is evaluated and,
//!   if it holds, the breaker trips.
//! * **Tripped**: every request gets the fallback until `fallbackDuration` has passed; the
//!   first request after that moves to Recovering.
//! * **Recovering**: a growing share of requests goes on — a request is let through when the
//!   share of let-through requests so far, counting it, would stay below
//!   `0.5 · elapsed / recoveryDuration` (oxy's `ratioController`: the cumulative share reaches
//!   ½ at the end, i.e. the instant share grows linearly to all). The others get the fallback.
//!   The expression is still checked; the first request after `recoveryDuration` goes back to
//!   Standby.
//!
//! Transitions happen lazily, on requests, as in oxy. Cost on the request path: in Standby one
//! atomic load; while Tripped one more load (the end of the fallback is an atomic too); only in
//! Recovering, and for the check once per `checkPeriod`, a mutex — held for a few arithmetic
//! operations, or for one evaluation of the expression.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Where a circuit breaker is (Traefik's docs call them Closed, Open and Recovering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerState {
    /// Closed: every request goes to the service and is measured.
    Standby,
    /// Open: every request gets the fallback response.
    Tripped,
    /// Letting a growing share of requests through.
    Recovering,
}

impl BreakerState {
    const fn to_u8(self) -> u8 {
        match self {
            BreakerState::Standby => 0,
            BreakerState::Tripped => 1,
            BreakerState::Recovering => 2,
        }
    }

    const fn from_u8(v: u8) -> Self {
        match v {
            0 => BreakerState::Standby,
            1 => BreakerState::Tripped,
            _ => BreakerState::Recovering,
        }
    }
}

/// The three durations, in nanoseconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    pub(super) check_period: u64,
    pub(super) fallback: u64,
    pub(super) recovery: u64,
}

/// oxy's `ratioController`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ratio {
    start: u64,
    duration: u64,
    allowed: u64,
    denied: u64,
}

impl Ratio {
    pub(super) fn new(start: u64, duration: u64) -> Self {
        Ratio {
            start,
            duration: duration.max(1),
            allowed: 0,
            denied: 0,
        }
    }

    /// The share of requests to have let through by `now`: `0.5 · elapsed / duration`.
    #[expect(
        clippy::cast_precision_loss,
        reason = "nanosecond durations as f64, as oxy divides time.Durations"
    )]
    pub(super) fn target(&self, now: u64) -> f64 {
        0.5 * now.saturating_sub(self.start) as f64 / self.duration as f64
    }

    /// Whether to let this request through: would the share of let-through requests, with it,
    /// stay below the target?
    pub(super) fn allow(&mut self, now: u64) -> bool {
        let allowed = self.allowed + 1;
        #[expect(
            clippy::cast_precision_loss,
            reason = "request counts during one recovery"
        )]
        let share = allowed as f64 / (allowed + self.denied) as f64;
        if share < self.target(now) {
            self.allowed = allowed;
            true
        } else {
            self.denied += 1;
            false
        }
    }
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    /// End of the fallback (Tripped) or of the recovery (Recovering).
    until: u64,
    ratio: Ratio,
}

/// The state machine of one breaker. Times are nanoseconds on the breaker's clock.
#[derive(Debug)]
pub(super) struct Machine {
    /// `inner.state`, readable without the lock (written only with it held).
    state: AtomicU8,
    /// `inner.until` while Tripped, readable without the lock.
    tripped_until: AtomicU64,
    /// When the expression may next be evaluated (0: at the first response).
    next_check: AtomicU64,
    inner: Mutex<Inner>,
    timing: Timing,
    /// The expression, for the log.
    label: Box<str>,
}

impl Machine {
    pub(super) fn new(timing: Timing, label: &str) -> Self {
        Machine {
            state: AtomicU8::new(BreakerState::Standby.to_u8()),
            tripped_until: AtomicU64::new(0),
            next_check: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                state: BreakerState::Standby,
                until: 0,
                ratio: Ratio::new(0, timing.recovery),
            }),
            timing,
            label: label.into(),
        }
    }

    pub(super) fn state(&self) -> BreakerState {
        BreakerState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Whether the request arriving now goes to the service (oxy's `activateFallback`,
    /// negated). Moves Tripped → Recovering → Standby when their time is over. `clock` is read
    /// only when the state is not Standby.
    pub(super) fn admit(&self, clock: impl FnOnce() -> u64) -> bool {
        let state = self.state();
        if state == BreakerState::Standby {
            return true;
        }
        let now = clock();
        // The Acquire load of `state` above makes the `tripped_until` stored before it visible;
        // a stale Tripped only ever answers "fallback" while it is still due.
        if state == BreakerState::Tripped && now < self.tripped_until.load(Ordering::Acquire) {
            return false;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match inner.state {
            BreakerState::Standby => return true,
            BreakerState::Tripped => {
                if now < inner.until {
                    return false;
                }
                self.set(
                    &mut inner,
                    BreakerState::Recovering,
                    now.saturating_add(self.timing.recovery),
                );
                inner.ratio = Ratio::new(now, self.timing.recovery);
            }
            BreakerState::Recovering => {}
        }
        if now > inner.until {
            self.set(&mut inner, BreakerState::Standby, now);
            return true;
        }
        inner.ratio.allow(now)
    }

    /// After a response at `now`: once per `checkPeriod`, unless Tripped, evaluates
    /// `condition` and trips when it holds, calling `on_trip` (oxy's `checkAndSet`).
    pub(super) fn check(&self, now: u64, condition: impl FnOnce() -> bool, on_trip: impl FnOnce()) {
        let due = self.next_check.load(Ordering::Acquire);
        if now < due {
            return;
        }
        // One evaluation per period, by whoever moves `next_check` on.
        let next = now.saturating_add(self.timing.check_period);
        if self
            .next_check
            .compare_exchange(due, next, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.state == BreakerState::Tripped || !condition() {
            return;
        }
        self.set(
            &mut inner,
            BreakerState::Tripped,
            now.saturating_add(self.timing.fallback),
        );
        on_trip();
    }

    fn set(&self, inner: &mut Inner, state: BreakerState, until: u64) {
        match state {
            BreakerState::Tripped => tracing::warn!(
                expression = %self.label,
                "circuit breaker tripped: answering with the fallback"
            ),
            BreakerState::Recovering => tracing::info!(
                expression = %self.label,
                "circuit breaker recovering: letting some requests through"
            ),
            BreakerState::Standby => {
                tracing::info!(expression = %self.label, "circuit breaker back to standby");
            }
        }
        inner.state = state;
        inner.until = until;
        if state == BreakerState::Tripped {
            self.tripped_until.store(until, Ordering::Release);
        }
        self.state.store(state.to_u8(), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const S: u64 = 1_000 * MS;

    fn timing() -> Timing {
        Timing {
            check_period: 100 * MS,
            fallback: 10 * S,
            recovery: 10 * S,
        }
    }

    /// oxy `Test_ratioController_rampUp`: one request a millisecond for the whole recovery; the
    /// share let through stays within 0.05 of the target.
    #[test]
    fn ratio_ramps_up_with_the_target() {
        let mut r = Ratio::new(0, 10 * S);
        let (mut allowed, mut denied) = (0u32, 0u32);
        for ms in 0..10_000 {
            let now = ms * MS;
            if r.allow(now) {
                allowed += 1;
            } else {
                denied += 1;
            }
            let share = f64::from(allowed) / f64::from(allowed + denied);
            assert!(
                (share - r.target(now)).abs() < 0.05,
                "at {ms} ms: share {share}, target {}",
                r.target(now)
            );
        }
        assert!(allowed > 4_000 && allowed < 5_100, "{allowed}");
    }

    #[test]
    fn checks_once_per_period() {
        let m = Machine::new(timing(), "test");
        let mut evaluations = 0;
        for now in [0, 1, 50 * MS, 100 * MS, 150 * MS, 199 * MS, 200 * MS] {
            m.check(
                now,
                || {
                    evaluations += 1;
                    false
                },
                || unreachable!("never trips"),
            );
        }
        assert_eq!(evaluations, 3, "at 0, 100 ms and 200 ms");
    }

    #[test]
    fn full_cycle() {
        let m = Machine::new(timing(), "test");
        let mut resets = 0;
        assert!(m.admit(|| 0));
        m.check(0, || true, || resets += 1);
        assert_eq!((m.state(), resets), (BreakerState::Tripped, 1));
        // Tripped: no check, no admission, until the fallback is over.
        m.check(5 * S, || unreachable!("not evaluated while tripped"), || {});
        assert!(!m.admit(|| 10 * S - 1));
        assert_eq!(m.state(), BreakerState::Tripped);
        // The first request after the fallback: Recovering, and (share 0) refused.
        assert!(!m.admit(|| 10 * S));
        assert_eq!(m.state(), BreakerState::Recovering);
        let allowed = (0..100).filter(|_| m.admit(|| 15 * S)).count();
        assert!(allowed > 0 && allowed < 100, "{allowed}");
        // Exactly at the end of recovery still recovering (oxy: "after until").
        m.admit(|| 20 * S);
        assert_eq!(m.state(), BreakerState::Recovering);
        assert!(m.admit(|| 20 * S + 1));
        assert_eq!(m.state(), BreakerState::Standby);
    }

    #[test]
    fn trips_again_during_recovery() {
        let m = Machine::new(timing(), "test");
        m.check(0, || true, || {});
        assert!(!m.admit(|| 10 * S));
        assert_eq!(m.state(), BreakerState::Recovering);
        m.check(15 * S, || true, || {});
        assert_eq!(m.state(), BreakerState::Tripped);
        assert!(!m.admit(|| 25 * S - 1), "a new full fallback");
        assert!(!m.admit(|| 25 * S));
        assert_eq!(m.state(), BreakerState::Recovering);
    }
}
