//! `rateLimit`: a token bucket per source, as Traefik's in-memory rate limiter.
//!
//! The rate is `average / period` (default period 1s), the bucket holds `burst` tokens (default
//! 1); `average: 0` means no limit. As in Traefik (Go's `x/time/rate` with a reservation), a
//! request whose token is at most `maxDelay` away is held back until then and goes on; one whose
//! token is further away gets `429 Too Many Requests` with `Retry-After` (seconds, rounded up) and
//! `X-Retry-In` (Go's duration spelling). `maxDelay` is `1 / (2 * rate)`, or 500ms when the rate
//! is below one request per second.
//!
//! Buckets live in a bounded table (at most 65 536 sources, Traefik's bound); see
//! `rate_limit/table.rs` for how it stays small and lock-light.

mod bucket;
mod table;

use std::collections::hash_map::RandomState;
use std::time::Duration;

use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use tokio::time::Instant;

use self::bucket::{Decision, Params};
use self::table::Table;
use super::go_duration::{self, GoDuration};
use super::source::{SourceCriterion, SourceCriterionConfig};
use crate::error::status_response;
use crate::middleware::{BoxFuture, BuildError, Middleware, Next};
use crate::{Request, Response};

/// `rateLimit` options.
///
/// * `average` (0 = no limit), `period` (default `1s`), `burst` (default 1);
/// * `sourceCriterion` (default: the peer IP);
/// * `redis` is refused: distributed rate limiting is not supported yet.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitConfig {
    #[serde(default)]
    average: i64,
    #[serde(default)]
    period: Option<GoDuration>,
    #[serde(default = "one")]
    burst: i64,
    #[serde(default)]
    source_criterion: Option<SourceCriterionConfig>,
    #[serde(default)]
    redis: Option<rampart_config::Value>,
}

fn one() -> i64 {
    1
}

/// The `rateLimit` middleware.
///
/// ```
/// use rampart::middleware::builtin::rate_limit::{RateLimit, RateLimitConfig};
/// // The guide's `middlewares-rate-limit`: 100 requests per second, bursts of 50.
/// let cfg: RateLimitConfig = rampart_config::from_value(
///     &serde_json::from_str(r#"{"average": 100, "burst": 50}"#).unwrap(),
/// ).unwrap();
/// let limiter = RateLimit::new(&cfg).unwrap();
/// assert_eq!(limiter.max_delay(), std::time::Duration::from_millis(5));
/// ```
#[derive(Debug)]
pub struct RateLimit {
    /// `None`: `average` is 0, no limit.
    limit: Option<Limit>,
    criterion: SourceCriterion,
    hasher: RandomState,
}

#[derive(Debug)]
struct Limit {
    params: Params,
    table: Table,
    epoch: Instant,
}

impl RateLimit {
    /// Builds the middleware, checking every option.
    pub fn new(cfg: &RateLimitConfig) -> Result<Self, BuildError> {
        if cfg.redis.is_some() {
            return Err(BuildError::invalid(
                "redis",
                "distributed rate limiting through Redis is not supported yet (buckets are kept in memory)",
            ));
        }
        if cfg.average < 0 {
            return Err(BuildError::invalid(
                "average",
                "must be 0 (no limit) or more",
            ));
        }
        let criterion = SourceCriterion::new(
            cfg.source_criterion.as_ref(),
            SourceCriterion::peer_ip(),
            "sourceCriterion",
        )?;
        let period = match cfg.period {
            Some(GoDuration(p)) if !p.is_zero() => p,
            _ => Duration::from_secs(1),
        };
        #[expect(
            clippy::cast_precision_loss,
            reason = "Traefik computes the rate in float64 too"
        )]
        let burst = cfg.burst.max(1) as f64;
        let limit = (cfg.average > 0).then(|| {
            #[expect(
                clippy::cast_precision_loss,
                reason = "Traefik computes the rate in float64 too"
            )]
            let rate = cfg.average as f64 / period.as_secs_f64();
            // Traefik: maxDelay = 1s / (2 * int(rate)), or 500ms below one request per second.
            let max_delay_ns = if rate < 1.0 {
                500_000_000
            } else {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "Go's time.Duration(rtl) truncation"
                )]
                let whole = rate as u64;
                1_000_000_000 / whole.saturating_mul(2)
            };
            // Traefik forgets a source after 2s idle (1 + 1/rate below one per second). Never
            // before its bucket would be full again, so that forgetting forgives nothing.
            let traefik_ttl = if rate >= 1.0 {
                2.0
            } else {
                1.0 + (1.0 / rate).trunc()
            };
            let refill = burst / rate + 1.0;
            let ttl = Duration::from_secs_f64(traefik_ttl.max(refill).min(1e9));
            Limit {
                params: Params {
                    rate_per_ns: rate / 1e9,
                    burst,
                    max_delay_ns,
                },
                table: Table::new(u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX)),
                epoch: Instant::now(),
            }
        });
        Ok(RateLimit {
            limit,
            criterion,
            hasher: RandomState::new(),
        })
    }

    /// How long a request may be held back before it is refused (zero when there is no limit).
    pub fn max_delay(&self) -> Duration {
        self.limit.as_ref().map_or(Duration::ZERO, |l| {
            Duration::from_nanos(l.params.max_delay_ns)
        })
    }

    /// How many sources currently have a bucket (bounded by 65 536).
    pub fn sources(&self) -> usize {
        self.limit.as_ref().map_or(0, |l| l.table.len())
    }
}

impl Middleware for RateLimit {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let Some(limit) = &self.limit else {
            return next.run(req);
        };
        let key = self.criterion.key(&req, &self.hasher);
        let now = u64::try_from(limit.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        match limit.table.reserve(key, now, &limit.params) {
            Decision::Wait(0) => next.run(req),
            Decision::Wait(ns) => Box::pin(async move {
                tokio::time::sleep(Duration::from_nanos(ns)).await;
                next.run(req).await
            }),
            Decision::Refuse(ns) => Box::pin(async move { too_many(Duration::from_nanos(ns)) }),
        }
    }
}

/// Traefik's `serveDelayError`.
fn too_many(delay: Duration) -> Response {
    let mut res = status_response(StatusCode::TOO_MANY_REQUESTS);
    let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    let h = res.headers_mut();
    h.insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    if let Ok(v) = HeaderValue::try_from(go_duration::format(delay)) {
        h.insert("x-retry-in", v);
    }
    res
}

#[cfg(test)]
mod tests;
