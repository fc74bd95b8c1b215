//! The `circuitBreaker` middleware: admission, the fallback, and recording what the rest of
//! the chain answered.

use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::StatusCode;
use http_body::{Frame, SizeHint};
use tokio::time::Instant;

use super::config::{CircuitBreakerConfig, Settings};
use super::metrics::{Geometry, Metrics, Outcome};
use super::state::{BreakerState, Machine};
use crate::error::{NetworkError, status_response};
use crate::middleware::builtin::expression::{BreakerFunction, Env, Program, Value};
use crate::middleware::{BoxFuture, BuildError, Middleware, Next};
use crate::{Body, BoxError, Request, Response};

/// The status Traefik records when the client went away before the answer
/// (`StatusClientClosedRequest`).
const CLIENT_CLOSED: u16 = 499;

/// The `circuitBreaker` middleware.
///
/// ```
/// use rampart::middleware::builtin::circuit_breaker::{BreakerState, CircuitBreaker, CircuitBreakerConfig};
/// let cfg: CircuitBreakerConfig = rampart_config::from_value(&serde_json::from_str(r#"{
///     "expression": "ResponseCodeRatio(500, 600, 0, 600) > 0.30 && RequestThreshold() >= 20",
///     "fallbackDuration": "30s"
/// }"#).unwrap()).unwrap();
/// let breaker = CircuitBreaker::new(&cfg).unwrap();
/// assert_eq!(breaker.state(), BreakerState::Standby);
/// ```
#[derive(Debug)]
pub struct CircuitBreaker {
    shared: Arc<Shared>,
    response_code: StatusCode,
}

/// What the request path and the response bodies it wraps share.
#[derive(Debug)]
struct Shared {
    epoch: Instant,
    machine: Machine,
    metrics: Metrics,
    condition: Program,
}

impl CircuitBreaker {
    /// Builds the middleware: compiles and checks `expression`, applies the defaults.
    pub fn new(cfg: &CircuitBreakerConfig) -> Result<Self, BuildError> {
        Self::with_geometry(cfg, Geometry::TRAEFIK)
    }

    pub(super) fn with_geometry(
        cfg: &CircuitBreakerConfig,
        geometry: Geometry,
    ) -> Result<Self, BuildError> {
        let s = Settings::new(cfg)?;
        // Keep only the metrics the expression reads.
        let codes = s
            .condition
            .calls(BreakerFunction::ResponseCodeRatio.index());
        let latency = s
            .condition
            .calls(BreakerFunction::LatencyAtQuantileMs.index());
        Ok(CircuitBreaker {
            shared: Arc::new(Shared {
                epoch: Instant::now(),
                machine: Machine::new(s.timing, &s.expression),
                metrics: Metrics::new(geometry, codes, latency),
                condition: s.condition,
            }),
            response_code: s.response_code,
        })
    }

    /// Where the breaker is. A state whose time is over changes on the next request.
    pub fn state(&self) -> BreakerState {
        self.shared.machine.state()
    }

    #[cfg(test)]
    pub(super) fn record_at(&self, status: u16, latency_micros: u64) {
        let shared = &*self.shared;
        shared.metrics.record(
            shared.now(),
            Outcome {
                status,
                network_error: matches!(status, 502 | 504),
                latency_micros,
            },
        );
    }

    #[cfg(test)]
    pub(super) fn holds(&self) -> bool {
        self.shared.holds(self.shared.now())
    }
}

impl Shared {
    /// Nanoseconds since the breaker was built, on tokio's clock (which tests can pause).
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn holds(&self, now: u64) -> bool {
        self.condition.eval(&Window {
            metrics: &self.metrics,
            now,
        })
    }

    /// Records one outcome, then checks the expression if it is time (oxy's `serve`).
    fn record(&self, start: Option<u64>, status: u16, network_error: bool) {
        let now = self.now();
        let latency_micros = start.map_or(0, |start| now.saturating_sub(start) / 1_000);
        self.metrics.record(
            now,
            Outcome {
                status,
                network_error,
                latency_micros,
            },
        );
        self.machine
            .check(now, || self.holds(now), || self.metrics.reset());
    }
}

/// The metrics as the expression sees them at one instant.
struct Window<'a> {
    metrics: &'a Metrics,
    now: u64,
}

impl Env for Window<'_> {
    fn call(&self, function: usize, args: &[Value]) -> Value {
        let m = self.metrics;
        match (BreakerFunction::from_index(function), args) {
            (Some(BreakerFunction::NetworkErrorRatio), _) => {
                Value::Float(m.network_error_ratio(self.now))
            }
            (
                Some(BreakerFunction::ResponseCodeRatio),
                [
                    Value::Int(from),
                    Value::Int(to),
                    Value::Int(div_from),
                    Value::Int(div_to),
                ],
            ) => Value::Float(m.response_code_ratio(self.now, (*from, *to), (*div_from, *div_to))),
            (Some(BreakerFunction::LatencyAtQuantileMs), [Value::Float(q)]) => {
                // oxy: int(LatencyAtQuantile(q) / time.Millisecond), truncated.
                let ms = m.latency_at_quantile(self.now, *q) / 1_000;
                Value::Int(i64::try_from(ms).unwrap_or(i64::MAX))
            }
            (Some(BreakerFunction::RequestThreshold), _) => {
                Value::Int(i64::try_from(m.total(self.now)).unwrap_or(i64::MAX))
            }
            // The type checker only lets through the calls above.
            _ => Value::Int(0),
        }
    }
}

/// Records an outcome when dropped: 499 if the answer never came (the client went away),
/// else the answer's status, once the answer is done with.
struct Recorder<S: Deref<Target = Shared>> {
    shared: S,
    /// When the request came, if the latency is measured.
    start: Option<u64>,
    status: u16,
    network_error: bool,
    armed: bool,
}

impl<S: Deref<Target = Shared>> Recorder<S> {
    /// The same record, to be made by `shared` (an owner that can go into a response body).
    fn hand_over<T: Deref<Target = Shared>>(mut self, shared: T) -> Recorder<T> {
        self.armed = false;
        Recorder {
            shared,
            start: self.start,
            status: self.status,
            network_error: self.network_error,
            armed: true,
        }
    }
}

impl<S: Deref<Target = Shared>> Drop for Recorder<S> {
    fn drop(&mut self) {
        if self.armed {
            self.shared
                .record(self.start, self.status, self.network_error);
        }
    }
}

impl Middleware for CircuitBreaker {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let shared = &*self.shared;
        // The clock is read only when needed: in Standby without latencies, once, at the end.
        let start = shared.metrics.wants_latency().then(|| shared.now());
        if !shared
            .machine
            .admit(|| start.unwrap_or_else(|| shared.now()))
        {
            // Traefik's fallback: the status and its text, the service is not called, nothing
            // is recorded.
            return Box::pin(std::future::ready(status_response(self.response_code)));
        }
        Box::pin(async move {
            let mut recorder = Recorder {
                shared,
                start,
                status: CLIENT_CLOSED,
                network_error: false,
                armed: true,
            };
            let res = next.run(req).await;
            recorder.status = res.status().as_u16();
            // Traefik counts a 502 or 504 as a network error (what its proxy answers when the
            // upstream is unreachable or too slow); rampart's service layer also marks its
            // network-failure answers, whatever their status.
            recorder.network_error =
                matches!(recorder.status, 502 | 504) || NetworkError::of(&res).is_some();
            if !shared.metrics.wants_latency() || http_body::Body::is_end_stream(res.body()) {
                // `recorder` records as it goes out of scope, here.
                return res;
            }
            // oxy measures until the handler returns, i.e. the body has been sent: the record
            // goes with the body.
            let recorder = recorder.hand_over(Arc::clone(&self.shared));
            res.map(|inner| {
                Body::new(RecordedBody {
                    inner,
                    recorder: Some(recorder),
                })
            })
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that records its request's outcome when it ends or is dropped.
    struct RecordedBody {
        #[pin]
        inner: Body,
        recorder: Option<Recorder<Arc<Shared>>>,
    }
}

impl http_body::Body for RecordedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            this.recorder.take();
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
