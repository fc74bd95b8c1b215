//! `retry`: sends the request again when the upstream could not be reached, or (with `status`)
//! when it answered with one of the given statuses.
//!
//! As Traefik:
//! * a network error is retried only when nothing of the request reached the upstream: the
//!   service layer marks such answers with [`NetworkError::NotSent`] (connection refused, DNS
//!   failure, no server); a failure after the request was written is passed on (the upstream may
//!   have acted on it). Answers made earlier in the chain (a 401 from an auth middleware) carry no
//!   mark and are never retried. `disableRetryOnNetworkError` turns this off;
//! * `status` retries come only for idempotent methods (not `POST`, `PATCH`, `LOCK`) unless
//!   `retryNonIdempotentMethod`;
//! * `attempts` counts every try; between tries the wait grows exponentially from
//!   `initialInterval` up to twice it (multiplier `2^(1/(attempts-1))`, ±50% jitter, as
//!   `cenkalti/backoff`), none when `initialInterval` is 0;
//! * `timeout` bounds the time spent retrying; `maxRequestBodyBytes` (default 2 MiB) bounds the
//!   body kept for replays: a larger request is sent once, streamed.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Method, StatusCode};
use http_body_util::BodyExt as _;
use serde::Deserialize;
use tokio::time::Instant;

use super::go_duration::GoDuration;
use super::status_ranges::StatusRanges;
use crate::error::{ErrorSource, NetworkError, RequestError};
use crate::middleware::{BoxFuture, BuildError, Middleware, Next};
use crate::{Body, BoxError, Request, Response};

/// Traefik's `RetryDefaultMaxRequestBodyBytes`.
const DEFAULT_MAX_BODY: i64 = 2 * 1024 * 1024;

/// `retry` options.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryConfig {
    #[serde(default)]
    attempts: i64,
    #[serde(default)]
    initial_interval: Option<GoDuration>,
    #[serde(default)]
    timeout: Option<GoDuration>,
    #[serde(default)]
    max_request_body_bytes: Option<i64>,
    #[serde(default)]
    status: Vec<String>,
    #[serde(default)]
    disable_retry_on_network_error: bool,
    #[serde(default)]
    retry_non_idempotent_method: bool,
}

/// The `retry` middleware.
///
/// ```
/// use rampart::middleware::builtin::retry::{Retry, RetryConfig};
/// let cfg: RetryConfig = rampart_config::from_value(
///     &serde_json::from_str(r#"{"attempts": 4, "initialInterval": "100ms"}"#).unwrap(),
/// ).unwrap();
/// assert!(Retry::new(&cfg).is_ok());
/// ```
#[derive(Debug)]
pub struct Retry {
    attempts: u32,
    initial: Duration,
    multiplier: f64,
    timeout: Option<Duration>,
    max_body: Option<u64>,
    status: StatusRanges,
    on_network_error: bool,
    non_idempotent: bool,
}

impl Retry {
    /// Builds the middleware.
    pub fn new(cfg: &RetryConfig) -> Result<Self, BuildError> {
        let attempts = u32::try_from(cfg.attempts)
            .ok()
            .filter(|a| *a > 0)
            .ok_or_else(|| {
                BuildError::invalid(
                    "attempts",
                    format_args!("must be 1 or more, got {}", cfg.attempts),
                )
            })?;
        let status = StatusRanges::parse(&cfg.status, "status")
            .map_err(|e| BuildError::invalid("status", e))?;
        if status.is_empty() && cfg.disable_retry_on_network_error {
            return Err(BuildError::invalid(
                "disableRetryOnNetworkError",
                "with no `status` either, nothing would ever be retried",
            ));
        }
        let max_body = cfg.max_request_body_bytes.unwrap_or(DEFAULT_MAX_BODY);
        let initial = cfg.initial_interval.map_or(Duration::ZERO, |d| d.0);
        Ok(Retry {
            attempts,
            initial,
            multiplier: if attempts > 1 {
                2f64.powf(1.0 / f64::from(attempts - 1))
            } else {
                1.0
            },
            timeout: cfg.timeout.map(|d| d.0).filter(|d| !d.is_zero()),
            // A negative size means "no limit", as in Traefik.
            max_body: u64::try_from(max_body).ok(),
            status,
            on_network_error: !cfg.disable_retry_on_network_error,
            non_idempotent: cfg.retry_non_idempotent_method,
        })
    }

    /// The wait before try number `attempt + 1`.
    fn backoff(&self, attempt: u32) -> Duration {
        if self.initial.is_zero() {
            return Duration::ZERO;
        }
        let base = self.initial.as_secs_f64()
            * self
                .multiplier
                .powi(i32::try_from(attempt - 1).unwrap_or(i32::MAX));
        let jitter = 0.5 + rand::random::<f64>();
        Duration::from_secs_f64((base * jitter).min(60.0))
    }

    async fn serve(&self, req: Request, next: Next<'_>) -> Response {
        let (parts, body) = req.into_parts();
        let body = match self.keep(body).await {
            Ok(Kept::Whole(bytes)) => bytes,
            Ok(Kept::TooLarge(body)) => return next.run(Request::from_parts(parts, body)).await,
            Err(e) => {
                return RequestError::new(
                    ErrorSource::Downstream,
                    StatusCode::BAD_REQUEST,
                    format!("reading the request body: {e}"),
                )
                .into_response();
            }
        };
        let idempotent = !(parts.method == Method::POST
            || parts.method == Method::PATCH
            || parts.method.as_str() == "LOCK");
        let by_status = !self.status.is_empty() && (idempotent || self.non_idempotent);
        let start = Instant::now();
        let mut attempt = 1;
        loop {
            let res = next
                .run(Request::from_parts(parts.clone(), Body::from(body.clone())))
                .await;
            if attempt >= self.attempts {
                return res;
            }
            let timed_out = self.timeout.is_some_and(|t| start.elapsed() >= t);
            let network =
                self.on_network_error && NetworkError::of(&res) == Some(NetworkError::NotSent);
            let status = by_status && self.status.contains(res.status().as_u16());
            if timed_out || !(network || status) {
                return res;
            }
            drop(res);
            tracing::debug!(attempt, "retry: trying again");
            tokio::time::sleep(self.backoff(attempt)).await;
            attempt += 1;
        }
    }

    async fn keep(&self, mut body: Body) -> Result<Kept, BoxError> {
        let mut kept = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue;
            };
            kept.extend_from_slice(&data);
            if self.max_body.is_some_and(|max| kept.len() as u64 > max) {
                // Too large to replay: send what was read, then the rest, once.
                let head = futures_util::stream::once(async move {
                    Ok::<_, BoxError>(http_body::Frame::data(kept.freeze()))
                });
                let rest = http_body_util::BodyStream::new(body);
                let chained = futures_util::StreamExt::chain(head, rest);
                return Ok(Kept::TooLarge(Body::new(http_body_util::StreamBody::new(
                    chained,
                ))));
            }
        }
        Ok(Kept::Whole(kept.freeze()))
    }
}

enum Kept {
    Whole(Bytes),
    TooLarge(Body),
}

impl Middleware for Retry {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        if self.attempts == 1 {
            return next.run(req);
        }
        Box::pin(self.serve(req, next))
    }
}

#[cfg(test)]
mod tests;
