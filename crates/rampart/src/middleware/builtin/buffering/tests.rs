use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http_body_util::BodyExt;

use super::*;
use crate::Body;
use crate::middleware::builtin::test_support_b::{config, run, text};
use crate::middleware::{BoxFuture, Endpoint};

/// Answers with `status` (502 for the first `fail` calls), echoing the request body and its
/// `Content-Length`, then `extra` bytes.
struct Upstream {
    fail: usize,
    calls: AtomicUsize,
    extra: usize,
}

impl Endpoint for Upstream {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let cl = req
                .headers()
                .get("content-length")
                .map(|v| v.to_str().unwrap().to_owned());
            let chunked = req.headers().contains_key("transfer-encoding");
            let body = req.into_body().collect().await.unwrap().to_bytes();
            if n < self.fail {
                return RequestError::new(
                    ErrorSource::Upstream,
                    StatusCode::BAD_GATEWAY,
                    "refused",
                )
                .into_response();
            }
            let mut out = format!(
                "len={cl:?} chunked={chunked} body={}",
                String::from_utf8_lossy(&body)
            )
            .into_bytes();
            out.extend(std::iter::repeat_n(b'x', self.extra));
            Response::new(Body::from(out))
        })
    }
}

fn upstream(fail: usize, extra: usize) -> Upstream {
    Upstream {
        fail,
        calls: AtomicUsize::new(0),
        extra,
    }
}

fn post(body: &'static str) -> Request {
    http::Request::post("/")
        .header("transfer-encoding", "chunked")
        .body(Body::from(body))
        .unwrap()
}

fn mw(json: &str) -> Arc<dyn Middleware> {
    Arc::new(Buffering::new(&config(json)).unwrap())
}

/// Traefik's `TestBuffering` table.
#[tokio::test]
async fn traefik_limits() {
    let payload = "p".repeat(127).leak();
    assert_eq!(
        run(&mw("{}"), &upstream(0, 0), post(payload))
            .await
            .status(),
        200
    );
    assert_eq!(
        run(
            &mw(r#"{"maxRequestBodyBytes": 1}"#),
            &upstream(0, 0),
            post(payload)
        )
        .await
        .status(),
        413
    );
    assert_eq!(
        run(
            &mw(r#"{"maxResponseBodyBytes": 1}"#),
            &upstream(0, 0),
            post(payload)
        )
        .await
        .status(),
        500
    );
}

#[tokio::test]
async fn declared_length_over_the_limit_is_refused_before_reading() {
    let up = upstream(0, 0);
    let req = http::Request::post("/")
        .header("content-length", "100")
        .body(Body::from("x"))
        .unwrap();
    assert_eq!(
        run(&mw(r#"{"maxRequestBodyBytes": 10}"#), &up, req)
            .await
            .status(),
        413
    );
    assert_eq!(up.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn request_is_de_chunked_and_spilled_bodies_reach_the_upstream() {
    let res = run(
        &mw(r#"{"memRequestBodyBytes": 4, "memResponseBodyBytes": 8}"#),
        &upstream(0, 3000),
        post("hello world"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let len = res.headers()["content-length"].to_str().unwrap().to_owned();
    let body = text(res).await;
    assert!(
        body.starts_with(r#"len=Some("11") chunked=false body=hello world"#),
        "{}",
        &body[..60]
    );
    assert_eq!(len, body.len().to_string());
}

/// The guide's expression: up to two replays on a network error.
#[tokio::test]
async fn retry_expression_replays_the_buffered_request() {
    let m = mw(r#"{"retryExpression": "IsNetworkError() && Attempts() <= 2"}"#);
    let up = upstream(2, 0);
    let res = run(&m, &up, post("again")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(up.calls.load(Ordering::SeqCst), 3);
    assert!(text(res).await.ends_with("body=again"));
    let up = upstream(5, 0);
    assert_eq!(run(&m, &up, post("again")).await.status(), 502);
    assert_eq!(
        up.calls.load(Ordering::SeqCst),
        3,
        "Attempts() <= 2 allows three attempts"
    );
}

#[test]
fn bad_options_are_build_errors() {
    let err = |json: &str| Buffering::new(&config(json)).unwrap_err();
    assert!(
        matches!(err(r#"{"retryExpression": "IsNetworkError() &&"}"#), BuildError::Invalid { key, .. } if key == "retryExpression")
    );
    assert!(
        matches!(err(r#"{"retryExpression": "Nope()"}"#), BuildError::Invalid { key, .. } if key == "retryExpression")
    );
    assert!(
        matches!(err(r#"{"maxRequestBodyBytes": -1}"#), BuildError::Invalid { key, .. } if key == "maxRequestBodyBytes")
    );
}
