use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::middleware::Endpoint;
use crate::middleware::builtin::test_support_b::{config, run, text};

/// Fails the first `fail` calls the way `how` says, then answers 200 with the request body.
struct Flaky {
    fail: usize,
    how: fn() -> Response,
    calls: AtomicUsize,
}

impl Endpoint for Flaky {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            if n < self.fail {
                return (self.how)();
            }
            Response::new(Body::from(body))
        })
    }
}

fn refused() -> Response {
    let mut res = RequestError::new(
        ErrorSource::Upstream,
        StatusCode::BAD_GATEWAY,
        "connection refused",
    )
    .into_response();
    NetworkError::NotSent.mark(&mut res);
    res
}

fn reset_after_sending() -> Response {
    let mut res =
        RequestError::new(ErrorSource::Upstream, StatusCode::BAD_GATEWAY, "reset").into_response();
    NetworkError::AfterSent.mark(&mut res);
    res
}

fn unavailable() -> Response {
    let mut res = Response::new(Body::from("busy"));
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res
}

fn unauthorized() -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    res
}

fn flaky(fail: usize, how: fn() -> Response) -> Flaky {
    Flaky {
        fail,
        how,
        calls: AtomicUsize::new(0),
    }
}

fn mw(json: &str) -> Arc<dyn Middleware> {
    Arc::new(Retry::new(&config(json)).unwrap())
}

fn post(body: &'static str) -> Request {
    http::Request::post("/").body(Body::from(body)).unwrap()
}

fn get() -> Request {
    http::Request::get("/").body(Body::empty()).unwrap()
}

/// Traefik's `TestRetry` shapes: attempts and what counts as retryable.
#[tokio::test]
async fn network_errors_before_sending_are_retried() {
    for (attempts, fail, want_status, want_calls) in [
        (1, 1, 502, 1),
        (2, 1, 200, 2),
        (3, 2, 200, 3),
        (3, 5, 502, 3),
    ] {
        let up = flaky(fail, refused);
        let res = run(
            &mw(&format!(r#"{{"attempts": {attempts}}}"#)),
            &up,
            post("body"),
        )
        .await;
        assert_eq!(res.status(), want_status, "attempts {attempts} fail {fail}");
        assert_eq!(up.calls.load(Ordering::SeqCst), want_calls);
        if want_status == 200 {
            assert_eq!(text(res).await, "body", "the body is replayed whole");
        }
    }
}

#[tokio::test]
async fn not_retried_after_sending_or_for_chain_answers() {
    for how in [
        reset_after_sending as fn() -> Response,
        unauthorized,
        unavailable,
    ] {
        let up = flaky(1, how);
        let res = run(&mw(r#"{"attempts": 3}"#), &up, get()).await;
        assert_ne!(res.status(), 200);
        assert_eq!(up.calls.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn status_retries_respect_idempotency() {
    let m = mw(r#"{"attempts": 3, "status": ["500-599"]}"#);
    let up = flaky(1, unavailable);
    assert_eq!(run(&m, &up, get()).await.status(), 200);
    let up = flaky(1, unavailable);
    assert_eq!(
        run(&m, &up, post("x")).await.status(),
        503,
        "POST is not retried on status"
    );
    let m = mw(r#"{"attempts": 3, "status": ["503"], "retryNonIdempotentMethod": true}"#);
    let up = flaky(1, unavailable);
    assert_eq!(run(&m, &up, post("x")).await.status(), 200);
    let m = mw(r#"{"attempts": 3, "status": ["503"], "disableRetryOnNetworkError": true}"#);
    let up = flaky(1, refused);
    assert_eq!(run(&m, &up, get()).await.status(), 502);
}

#[tokio::test]
async fn large_bodies_are_sent_once_whole() {
    let up = flaky(1, refused);
    let res = run(
        &mw(r#"{"attempts": 3, "maxRequestBodyBytes": 4}"#),
        &up,
        post("0123456789"),
    )
    .await;
    assert_eq!(res.status(), 502);
    assert_eq!(up.calls.load(Ordering::SeqCst), 1);
    let up = flaky(0, refused);
    let res = run(
        &mw(r#"{"attempts": 3, "maxRequestBodyBytes": 4}"#),
        &up,
        post("0123456789"),
    )
    .await;
    assert_eq!(text(res).await, "0123456789");
}

#[tokio::test(start_paused = true)]
async fn backoff_grows_to_twice_the_initial_interval_and_timeout_stops() {
    let up = flaky(3, refused);
    let start = Instant::now();
    let res = run(
        &mw(r#"{"attempts": 4, "initialInterval": "100ms"}"#),
        &up,
        get(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let waited = start.elapsed();
    // Waits of ~100ms, ~126ms, ~159ms, each ±50%.
    assert!(
        waited >= Duration::from_millis(190) && waited <= Duration::from_millis(580),
        "{waited:?}"
    );
    let up = flaky(10, refused);
    let res = run(
        &mw(r#"{"attempts": 10, "initialInterval": "1s", "timeout": "2s"}"#),
        &up,
        get(),
    )
    .await;
    assert_eq!(res.status(), 502);
    assert!(
        up.calls.load(Ordering::SeqCst) < 10,
        "the timeout cut the retries short"
    );
}

#[test]
fn bad_options() {
    let err = |json: &str| Retry::new(&config(json)).unwrap_err();
    assert!(
        matches!(err(r#"{"attempts": 0}"#), BuildError::Invalid { key, .. } if key == "attempts")
    );
    assert!(matches!(err("{}"), BuildError::Invalid { key, .. } if key == "attempts"));
    assert!(
        matches!(err(r#"{"attempts": 2, "status": ["5xx"]}"#), BuildError::Invalid { key, .. } if key == "status")
    );
    assert!(
        matches!(err(r#"{"attempts": 2, "disableRetryOnNetworkError": true}"#), BuildError::Invalid { key, .. } if key == "disableRetryOnNetworkError")
    );
}
