//! `inFlightReq`: at most `amount` requests in progress per source; the next ones get
//! `429 Too Many Requests` (body `max connections reached: N`, as oxy's `connlimit`).
//!
//! A request counts until its response body has been sent in full (or dropped): Traefik's
//! handler returns only after writing the body, so a slow download keeps its slot. The slot is
//! held by a guard moved into the response body. The default source is the request host.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::StatusCode;
use http_body::{Frame, SizeHint};
use serde::Deserialize;

use super::source::{SourceCriterion, SourceCriterionConfig};
use crate::middleware::{BoxFuture, BuildError, Middleware, Next};
use crate::{Body, BoxError, Request, Response};

/// `inFlightReq` options: `amount`, `sourceCriterion` (default: the request host).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InFlightReqConfig {
    #[serde(default)]
    amount: i64,
    #[serde(default)]
    source_criterion: Option<SourceCriterionConfig>,
}

/// The `inFlightReq` middleware.
///
/// ```
/// use rampart::middleware::builtin::in_flight_req::{InFlightReq, InFlightReqConfig};
/// let cfg: InFlightReqConfig = rampart_config::from_value(
///     &serde_json::from_str(r#"{"amount": 10, "sourceCriterion": {"ipStrategy": {}}}"#).unwrap(),
/// ).unwrap();
/// let limiter = InFlightReq::new(&cfg).unwrap();
/// assert_eq!(limiter.in_flight(), 0);
/// ```
#[derive(Debug)]
pub struct InFlightReq {
    amount: i64,
    criterion: SourceCriterion,
    hasher: RandomState,
    counts: Arc<Counts>,
}

/// In-flight requests by source key; a source with none has no entry (the map stays small).
#[derive(Debug, Default)]
struct Counts(Mutex<HashMap<u64, i64>>);

impl Counts {
    fn acquire(&self, key: u64, amount: i64) -> bool {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(key).or_insert(0);
        if *n >= amount {
            if *n == 0 {
                map.remove(&key);
            }
            return false;
        }
        *n += 1;
        true
    }

    fn release(&self, key: u64) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&key) {
            *n -= 1;
            if *n <= 0 {
                map.remove(&key);
            }
        }
    }
}

/// Releases one slot when dropped.
#[derive(Debug)]
struct Slot {
    counts: Arc<Counts>,
    key: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counts.release(self.key);
    }
}

impl InFlightReq {
    /// Builds the middleware.
    pub fn new(cfg: &InFlightReqConfig) -> Result<Self, BuildError> {
        if cfg.amount < 0 {
            return Err(BuildError::invalid("amount", "must be 0 or more"));
        }
        let criterion = SourceCriterion::new(
            cfg.source_criterion.as_ref(),
            SourceCriterion::Host,
            "sourceCriterion",
        )?;
        Ok(InFlightReq {
            amount: cfg.amount,
            criterion,
            hasher: RandomState::new(),
            counts: Arc::default(),
        })
    }

    /// Requests in progress, all sources together.
    pub fn in_flight(&self) -> i64 {
        self.counts
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .sum()
    }
}

impl Middleware for InFlightReq {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let key = self.criterion.key(&req, &self.hasher);
        if !self.counts.acquire(key, self.amount) {
            let amount = self.amount;
            return Box::pin(async move {
                let mut res =
                    Response::new(Body::from(format!("max connections reached: {amount}")));
                *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                res
            });
        }
        // Dropped with this future if the client goes away before the response.
        let slot = Slot {
            counts: self.counts.clone(),
            key,
        };
        Box::pin(async move {
            let res = next.run(req).await;
            res.map(|body| {
                if http_body::Body::is_end_stream(&body) {
                    drop(slot);
                    body
                } else {
                    Body::new(SlotBody {
                        inner: body,
                        slot: Some(slot),
                    })
                }
            })
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body holding an in-flight slot until it ends or is dropped.
    struct SlotBody {
        #[pin]
        inner: Body,
        slot: Option<Slot>,
    }
}

impl http_body::Body for SlotBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            this.slot.take();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use http_body_util::BodyExt;

    use super::*;
    use crate::middleware::builtin::test_support_b::{config, get_from, run, text};
    use crate::middleware::{BoxFuture, Endpoint};

    /// Answers with a body that streams until the test drops or drains it.
    struct Streaming;
    impl Endpoint for Streaming {
        fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
            Box::pin(async {
                let frames = ["a", "b"]
                    .map(|s| Ok::<_, BoxError>(Frame::data(Bytes::from_static(s.as_bytes()))));
                let body = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
                Response::new(Body::new(body))
            })
        }
    }

    #[tokio::test]
    async fn slot_is_held_until_the_body_is_done() {
        let limiter = Arc::new(
            InFlightReq::new(&config(
                r#"{"amount": 1, "sourceCriterion": {"ipStrategy": {}}}"#,
            ))
            .unwrap(),
        );
        let mw: Arc<dyn Middleware> = limiter.clone();
        let first = run(&mw, &Streaming, get_from("/", "10.0.0.1:1")).await;
        assert_eq!(first.status(), 200);
        assert_eq!(limiter.in_flight(), 1, "headers sent, body not yet");
        let second = run(&mw, &Streaming, get_from("/", "10.0.0.1:2")).await;
        assert_eq!(second.status(), 429);
        assert_eq!(text(second).await, "max connections reached: 1");
        // Another source is not affected.
        assert_eq!(
            run(&mw, &Streaming, get_from("/", "10.0.0.2:1"))
                .await
                .status(),
            200
        );
        let body = first.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"ab");
        assert_eq!(limiter.in_flight(), 0);
        assert_eq!(
            run(&mw, &Streaming, get_from("/", "10.0.0.1:3"))
                .await
                .status(),
            200
        );
    }

    #[tokio::test]
    async fn dropped_response_releases_the_slot() {
        let limiter = Arc::new(InFlightReq::new(&config(r#"{"amount": 1}"#)).unwrap());
        let mw: Arc<dyn Middleware> = limiter.clone();
        let res = run(&mw, &Streaming, get_from("http://a.test/", "10.0.0.1:1")).await;
        assert_eq!(limiter.in_flight(), 1);
        drop(res);
        assert_eq!(limiter.in_flight(), 0);
    }

    #[tokio::test]
    async fn default_source_is_the_host_and_zero_refuses_all() {
        let mw: Arc<dyn Middleware> =
            Arc::new(InFlightReq::new(&config(r#"{"amount": 0}"#)).unwrap());
        assert_eq!(
            run(&mw, &Streaming, get_from("/", "10.0.0.1:1"))
                .await
                .status(),
            429
        );
        assert!(InFlightReq::new(&config(r#"{"amount": -1}"#)).is_err());
    }
}
