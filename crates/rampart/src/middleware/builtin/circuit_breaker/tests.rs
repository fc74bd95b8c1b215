//! oxy's `cbreaker` tests (full cycle, trip during recovery, request threshold, predicates) and
//! rampart's own (fallback, network-error marks, client gone, latency until the body's end),
//! through `Next` on tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::BodyExt;
use tokio::time::advance;

use super::*;
use crate::error::NetworkError;
use crate::middleware::builtin::test_support_b::{config, get_from, run, text};
use crate::middleware::{BoxFuture, Endpoint, Middleware};
use crate::{Body, BoxError, Request, Response};

const NET_RATIO: &str = "NetworkErrorRatio() > 0.5";

/// A service answering `status` (initially 200) with `hello`, optionally marked as a network
/// failure, optionally with a body that streams.
struct Service {
    status: AtomicU16,
    mark: AtomicBool,
    stream: bool,
    calls: AtomicUsize,
}

impl Service {
    fn new() -> Self {
        Service {
            status: AtomicU16::new(200),
            mark: AtomicBool::new(false),
            stream: false,
            calls: AtomicUsize::new(0),
        }
    }
    fn answering(self, status: u16) -> Self {
        self.status.store(status, Ordering::SeqCst);
        self
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Endpoint for Service {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let body = if self.stream {
                let frames = [Ok::<_, BoxError>(Frame::data(Bytes::from_static(b"hello")))];
                Body::new(http_body_util::StreamBody::new(futures_util::stream::iter(
                    frames,
                )))
            } else {
                Body::from("hello")
            };
            let mut res = Response::new(body);
            *res.status_mut() = http::StatusCode::from_u16(self.status.load(Ordering::SeqCst))
                .expect("test status");
            if self.mark.load(Ordering::SeqCst) {
                NetworkError::AfterSent.mark(&mut res);
            }
            res
        })
    }
}

fn breaker(json: &str) -> (Arc<CircuitBreaker>, Arc<dyn Middleware>) {
    let cb = Arc::new(CircuitBreaker::new(&config(json)).expect("builds"));
    let mw: Arc<dyn Middleware> = cb.clone();
    (cb, mw)
}

async fn status(mw: &Arc<dyn Middleware>, service: &Service) -> u16 {
    run(mw, service, get_from("/", "10.0.0.1:1000"))
        .await
        .status()
        .as_u16()
}

/// oxy's `statsNetErrors`: 100 requests, `share` of them 504.
fn net_errors(cb: &CircuitBreaker, share: f64) {
    for i in 0..100u32 {
        let status = if f64::from(i) < share * 100.0 {
            504
        } else {
            200
        };
        cb.record_at(status, 0);
    }
}

/// oxy `TestCircuitBreaker_standbyCycle`.
#[tokio::test(start_paused = true)]
async fn standby_cycle() {
    let (cb, mw) = breaker(&format!(r#"{{"expression": "{NET_RATIO}"}}"#));
    let service = Service::new();
    let res = run(&mw, &service, get_from("/", "10.0.0.1:1")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(text(res).await, "hello");
    assert_eq!(cb.state(), BreakerState::Standby);
}

/// oxy `TestCircuitBreaker_fullCycle`.
#[tokio::test(start_paused = true)]
async fn full_cycle() {
    let (cb, mw) = breaker(&format!(r#"{{"expression": "{NET_RATIO}"}}"#));
    let service = Service::new();
    assert_eq!(status(&mw, &service).await, 200);

    net_errors(&cb, 0.6);
    advance(Duration::from_millis(101)).await;
    assert_eq!(
        status(&mw, &service).await,
        200,
        "this answer is what trips it"
    );
    assert_eq!(cb.state(), BreakerState::Tripped);

    // Some time has passed, but we are still tripped.
    advance(Duration::from_secs(9)).await;
    let calls = service.calls();
    let res = run(&mw, &service, get_from("/", "10.0.0.1:1")).await;
    assert_eq!(res.status(), 503);
    assert_eq!(text(res).await, "Service Unavailable");
    assert_eq!(service.calls(), calls, "the service is not called");
    assert_eq!(cb.state(), BreakerState::Tripped);

    // Recovering now; at its very start nothing goes through.
    advance(Duration::from_millis(1_001)).await;
    assert_eq!(status(&mw, &service).await, 503);
    assert_eq!(cb.state(), BreakerState::Recovering);

    // Five seconds in, some requests pass.
    advance(Duration::from_secs(5)).await;
    let mut allowed = 0;
    for _ in 0..100 {
        if status(&mw, &service).await == 200 {
            allowed += 1;
        }
    }
    assert!(allowed > 0 && allowed < 100, "{allowed}");

    // Recovery is over: standby again.
    advance(Duration::from_millis(5_001)).await;
    assert_eq!(status(&mw, &service).await, 200);
    assert_eq!(cb.state(), BreakerState::Standby);
}

/// oxy `TestCircuitBreaker_triggerDuringRecovery`.
#[tokio::test(start_paused = true)]
async fn trigger_during_recovery() {
    let (cb, mw) = breaker(&format!(
        r#"{{"expression": "{NET_RATIO}", "checkPeriod": "1us"}}"#
    ));
    let service = Service::new();
    net_errors(&cb, 0.6);
    assert_eq!(status(&mw, &service).await, 200);
    assert_eq!(cb.state(), BreakerState::Tripped);

    advance(Duration::from_millis(10_001)).await;
    assert_eq!(status(&mw, &service).await, 503);
    assert_eq!(cb.state(), BreakerState::Recovering);

    // The condition matches again during recovery: back to tripped.
    advance(Duration::from_secs(5)).await;
    net_errors(&cb, 0.6);
    let mut allowed = 0;
    for _ in 0..100 {
        if status(&mw, &service).await == 200 {
            allowed += 1;
        }
    }
    assert!(allowed > 0, "the request that saw the errors went through");
    assert_eq!(cb.state(), BreakerState::Tripped);
}

/// oxy `TestCircuitBreaker_requestThreshold`.
#[tokio::test(start_paused = true)]
async fn request_threshold() {
    let (cb, mw) = breaker(&format!(
        r#"{{"expression": "{NET_RATIO} && RequestThreshold() >= 20"}}"#
    ));
    let service = Service::new().answering(504);
    for _ in 0..18 {
        cb.record_at(504, 0);
    }
    advance(Duration::from_millis(101)).await;
    assert_eq!(status(&mw, &service).await, 504);
    assert_eq!(cb.state(), BreakerState::Standby, "19 requests");

    advance(Duration::from_millis(101)).await;
    assert_eq!(status(&mw, &service).await, 504);
    assert_eq!(cb.state(), BreakerState::Tripped, "20 requests");
    assert_eq!(status(&mw, &service).await, 503);
}

/// oxy `Test_parseExpression_tripped`, and more combinations.
#[tokio::test(start_paused = true)]
async fn expressions_over_metrics() {
    type Stats = fn(&CircuitBreaker);
    fn codes(cb: &CircuitBreaker, ok: u32, errors: u32) {
        (0..ok).for_each(|_| cb.record_at(200, 0));
        (0..errors).for_each(|_| cb.record_at(500, 0));
    }
    let cases: &[(&str, Stats, bool)] = &[
        ("NetworkErrorRatio() > 0.5", |cb| net_errors(cb, 0.6), true),
        ("NetworkErrorRatio() < 0.5", |cb| net_errors(cb, 0.6), false),
        (
            "LatencyAtQuantileMS(50.0) > 50",
            |cb| cb.record_at(200, 51_000),
            true,
        ),
        (
            "LatencyAtQuantileMS(50.0) < 50",
            |cb| cb.record_at(200, 51_000),
            false,
        ),
        (
            "ResponseCodeRatio(500, 600, 0, 600) > 0.5",
            |cb| codes(cb, 5, 6),
            true,
        ),
        (
            "ResponseCodeRatio(500, 600, 0, 600) > 0.5",
            |cb| codes(cb, 5, 4),
            false,
        ),
        // Quantile of latencies that are all 0.
        (
            "LatencyAtQuantileMS(40.0) > 50",
            |cb| net_errors(cb, 0.6),
            false,
        ),
        ("RequestThreshold() >= 100", |cb| net_errors(cb, 0.6), true),
        ("RequestThreshold() > 100", |cb| net_errors(cb, 0.6), false),
        ("NetworkErrorRatio() == 0.6", |cb| net_errors(cb, 0.6), true),
        ("NetworkErrorRatio() > 0", |_| {}, false),
        ("ResponseCodeRatio(500, 600, 0, 600) > 0", |_| {}, false),
        ("LatencyAtQuantileMS(99) >= 0", |_| {}, true),
        (
            "!(NetworkErrorRatio() > 0.5)",
            |cb| net_errors(cb, 0.6),
            false,
        ),
        (
            "ResponseCodeRatio(500, 600, 0, 600) > 0.9 || NetworkErrorRatio() > 0.5",
            |cb| net_errors(cb, 0.6),
            true,
        ),
        (
            "0.5 < NetworkErrorRatio() && LatencyAtQuantileMS(100.0) < 1",
            |cb| net_errors(cb, 0.6),
            true,
        ),
    ];
    for (expression, stats, want) in cases {
        let (cb, _) = breaker(&format!(r#"{{"expression": "{expression}"}}"#));
        stats(&cb);
        assert_eq!(cb.holds(), *want, "{expression}");
    }
}

/// Traefik's fallback: `responseCode` with its reason phrase as `text/plain`.
#[tokio::test(start_paused = true)]
async fn fallback_answers_response_code() {
    let (cb, mw) = breaker(&format!(
        r#"{{"expression": "{NET_RATIO}", "responseCode": 429}}"#
    ));
    let service = Service::new();
    net_errors(&cb, 1.0);
    assert_eq!(status(&mw, &service).await, 200);
    let res = run(&mw, &service, get_from("/", "10.0.0.1:1")).await;
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.headers()[http::header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(text(res).await, "Too Many Requests");
    assert_eq!(service.calls(), 1);
}

/// An answer the service layer marked as a network failure counts whatever its status; an
/// unmarked 503 does not.
#[tokio::test(start_paused = true)]
async fn marked_network_failures_count() {
    let (cb, mw) = breaker(&format!(r#"{{"expression": "{NET_RATIO}"}}"#));
    let service = Service::new().answering(503);
    assert_eq!(status(&mw, &service).await, 503);
    assert_eq!(cb.state(), BreakerState::Standby, "a plain 503 is not one");

    service.mark.store(true, Ordering::SeqCst);
    for _ in 0..2 {
        assert_eq!(status(&mw, &service).await, 503);
    }
    advance(Duration::from_millis(100)).await;
    assert_eq!(status(&mw, &service).await, 503);
    assert_eq!(cb.state(), BreakerState::Tripped, "3 of 4 marked");
}

/// A client that goes away before the answer is recorded as 499 (Traefik's
/// `StatusClientClosedRequest`).
#[tokio::test(start_paused = true)]
async fn client_gone_counts_as_499() {
    struct Never;
    impl Endpoint for Never {
        fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
            Box::pin(std::future::pending())
        }
    }
    let (cb, mw) = breaker(r#"{"expression": "ResponseCodeRatio(499, 500, 0, 600) > 0.5"}"#);
    let gone = tokio::time::timeout(
        Duration::from_millis(10),
        run(&mw, &Never, get_from("/", "10.0.0.1:1")),
    )
    .await;
    assert!(gone.is_err(), "never answered");
    assert_eq!(cb.state(), BreakerState::Tripped);
}

/// With `LatencyAtQuantileMS`, latency runs until the response body has been sent.
#[tokio::test(start_paused = true)]
async fn latency_runs_until_the_body_ends() {
    let (cb, mw) = breaker(r#"{"expression": "LatencyAtQuantileMS(50.0) > 100"}"#);
    let service = Service {
        stream: true,
        ..Service::new()
    };
    let res = run(&mw, &service, get_from("/", "10.0.0.1:1")).await;
    assert!(!cb.holds(), "nothing recorded before the body ends");
    advance(Duration::from_millis(150)).await;
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"hello");
    assert_eq!(cb.state(), BreakerState::Tripped, "checked when recorded");

    // A body dropped unread is recorded too.
    let (cb, mw) = breaker(r#"{"expression": "LatencyAtQuantileMS(50.0) > 100"}"#);
    let res = run(&mw, &service, get_from("/", "10.0.0.1:1")).await;
    advance(Duration::from_millis(101)).await;
    drop(res);
    assert_eq!(cb.state(), BreakerState::Tripped);
}

/// A slow service trips a latency breaker; the fallback then answers at once.
#[tokio::test(start_paused = true)]
async fn slow_service_trips_latency_check() {
    struct Slow;
    impl Endpoint for Slow {
        fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(120)).await;
                Response::new(Body::from("late"))
            })
        }
    }
    let (cb, mw) = breaker(r#"{"expression": "LatencyAtQuantileMS(50.0) > 100"}"#);
    let res = run(&mw, &Slow, get_from("/", "10.0.0.1:1")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(text(res).await, "late");
    assert_eq!(cb.state(), BreakerState::Tripped);
    let start = tokio::time::Instant::now();
    assert_eq!(
        run(&mw, &Slow, get_from("/", "10.0.0.1:1")).await.status(),
        503
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
}

/// Recovery lets a linearly growing share through: about 10% of the first fifth, 90% of the
/// last; the service sees exactly the requests let through.
#[tokio::test(start_paused = true)]
async fn recovery_ramps_up() {
    let (cb, mw) = breaker(&format!(
        r#"{{"expression": "{NET_RATIO}", "fallbackDuration": "1s"}}"#
    ));
    let service = Service::new();
    net_errors(&cb, 1.0);
    assert_eq!(status(&mw, &service).await, 200);
    assert_eq!(cb.state(), BreakerState::Tripped);
    advance(Duration::from_secs(1)).await;

    let calls = service.calls();
    let mut passed = Vec::new();
    for _ in 0..500 {
        passed.push(status(&mw, &service).await == 200);
        advance(Duration::from_millis(20)).await;
    }
    let first = passed[..100].iter().filter(|p| **p).count();
    let last = passed[400..].iter().filter(|p| **p).count();
    assert!(first < 20, "first fifth: {first}");
    assert!(last > 80, "last fifth: {last}");
    assert_eq!(
        service.calls() - calls,
        passed.iter().filter(|p| **p).count()
    );
    advance(Duration::from_millis(1)).await;
    assert_eq!(status(&mw, &service).await, 200);
    assert_eq!(cb.state(), BreakerState::Standby);
}
