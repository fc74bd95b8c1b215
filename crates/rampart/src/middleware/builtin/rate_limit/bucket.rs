//! One source's token bucket, with the arithmetic of Go's `golang.org/x/time/rate`.

/// The limiter's parameters, shared by every bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    /// Tokens per nanosecond.
    pub(crate) rate_per_ns: f64,
    /// Bucket size (at least 1).
    pub(crate) burst: f64,
    /// The longest a request may be held back instead of refused, in nanoseconds.
    pub(crate) max_delay_ns: u64,
}

/// What [`Bucket::reserve`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Go on after waiting this many nanoseconds (0: at once).
    Wait(u64),
    /// Refused: the next token is this many nanoseconds away (more than the allowed delay).
    Refuse(u64),
}

/// Tokens available at `last`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket {
    tokens: f64,
    last: u64,
}

impl Bucket {
    /// A full bucket, as `rate.NewLimiter` starts.
    pub(crate) fn full(now: u64, p: &Params) -> Self {
        Bucket {
            tokens: p.burst,
            last: now,
        }
    }

    /// `Limiter.Reserve()` at `now`, then `Reservation.Cancel()` when the delay is too long: a
    /// refused request does not consume a token.
    pub(crate) fn reserve(&mut self, now: u64, p: &Params) -> Decision {
        // advance(): refill for the time elapsed, never past the burst.
        let last = self.last.min(now);
        #[expect(
            clippy::cast_precision_loss,
            reason = "nanosecond spans well below 2^52 in practice"
        )]
        let elapsed = (now - last) as f64;
        let available = (self.tokens + elapsed * p.rate_per_ns).min(p.burst);
        let after = available - 1.0;
        let wait = if after < 0.0 {
            // durationFromTokens() truncates to whole nanoseconds.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "positive, bounded by burst/rate"
            )]
            let ns = (-after / p.rate_per_ns) as u64;
            ns
        } else {
            0
        };
        self.last = now;
        if wait > p.max_delay_ns {
            self.tokens = available;
            Decision::Refuse(wait)
        } else {
            self.tokens = after;
            Decision::Wait(wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn params(rate_per_sec: f64, burst: f64, max_delay_ns: u64) -> Params {
        Params {
            rate_per_ns: rate_per_sec / 1e9,
            burst,
            max_delay_ns,
        }
    }

    #[test]
    fn burst_then_rate() {
        let p = params(10.0, 3.0, 0);
        let mut b = Bucket::full(0, &p);
        for _ in 0..3 {
            assert_eq!(b.reserve(0, &p), Decision::Wait(0));
        }
        assert_eq!(b.reserve(0, &p), Decision::Refuse(SEC / 10));
        // A refused request did not take a token: 100ms later exactly one is back.
        assert_eq!(b.reserve(SEC / 10, &p), Decision::Wait(0));
        assert!(matches!(b.reserve(SEC / 10, &p), Decision::Refuse(_)));
        // Never more than the burst, however long the pause.
        let mut allowed = 0;
        while b.reserve(100 * SEC, &p) == Decision::Wait(0) {
            allowed += 1;
        }
        assert_eq!(allowed, 3);
    }

    #[test]
    fn small_delays_are_waited_out() {
        let p = params(100.0, 1.0, 5_000_000);
        let mut b = Bucket::full(0, &p);
        assert_eq!(b.reserve(0, &p), Decision::Wait(0));
        // The next token is 10ms away, more than 5ms: refused.
        assert_eq!(b.reserve(0, &p), Decision::Refuse(10_000_000));
        // 6ms later it is 4ms away: held back 4ms, and the token is taken.
        assert_eq!(b.reserve(6_000_000, &p), Decision::Wait(4_000_000));
        assert_eq!(b.reserve(6_000_000, &p), Decision::Refuse(14_000_000));
    }
}
