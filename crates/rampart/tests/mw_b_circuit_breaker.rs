//! `circuitBreaker` over a real loopback hop, on the real clock: a hyper-util client → a hyper
//! server running the breaker → a real upstream that starts failing, then recovers (or a port
//! nobody listens on).

#[allow(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod common {
    pub(crate) mod mw_mwb;
}

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::mw_mwb::{Forward, Switchable, build, front};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::time::{Instant, sleep};

type HttpClient = Client<HttpConnector, Full<bytes::Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn get(client: &HttpClient, addr: SocketAddr) -> (u16, String) {
    let req = http::Request::get(format!("http://{addr}/"))
        .body(Full::default())
        .expect("request");
    let res = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .expect("answered in time")
        .expect("response");
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The upstream starts answering 500: the breaker trips, answers 503 without calling it during
/// `fallbackDuration`, then lets traffic back gradually once it is healthy, then closes.
#[tokio::test]
async fn upstream_fails_then_recovers() {
    let upstream = Switchable::start().await;
    let addr = front(
        vec![build(
            "circuitBreaker",
            r#"{"expression": "ResponseCodeRatio(500, 600, 0, 600) > 0.5",
                "checkPeriod": "10ms", "fallbackDuration": "3s", "recoveryDuration": "1s"}"#,
        )],
        Arc::new(Forward::new(upstream.addr)),
    )
    .await;
    let client = client();
    for _ in 0..5 {
        assert_eq!(get(&client, addr).await, (200, "upstream 200".to_owned()));
    }

    upstream.answer(500);
    let mut tripped = None;
    for _ in 0..500 {
        let (status, body) = get(&client, addr).await;
        if status == 503 {
            assert_eq!(
                body, "Service Unavailable",
                "the fallback, not the upstream"
            );
            tripped = Some(Instant::now());
            break;
        }
        assert_eq!((status, body.as_str()), (500, "upstream 500"));
        sleep(Duration::from_millis(2)).await;
    }
    let tripped = tripped.expect("the breaker trips while the upstream fails");

    // Open: the upstream is not called.
    let hits = upstream.hits();
    for _ in 0..5 {
        assert_eq!(get(&client, addr).await.0, 503);
    }
    assert!(
        tripped.elapsed() < Duration::from_secs(3),
        "five loopback requests took longer than fallbackDuration: machine too loaded"
    );
    assert_eq!(
        upstream.hits(),
        hits,
        "no request reaches the upstream while tripped"
    );

    // The upstream heals; after the fallback, recovery lets a growing share through.
    upstream.answer(200);
    sleep(Duration::from_secs(3).saturating_sub(tripped.elapsed()) + Duration::from_millis(50))
        .await;
    let (mut passed, mut refused) = (0, 0);
    let recovery_start = Instant::now();
    while recovery_start.elapsed() < Duration::from_millis(1_200) {
        match get(&client, addr).await {
            (200, body) => {
                assert_eq!(body, "upstream 200");
                passed += 1;
            }
            (503, _) => refused += 1,
            other => panic!("unexpected answer during recovery: {other:?}"),
        }
        sleep(Duration::from_millis(5)).await;
    }
    assert!(refused > 0, "recovery starts by refusing");
    assert!(passed > 0, "recovery lets requests through");
    // Closed again.
    for _ in 0..10 {
        assert_eq!(get(&client, addr).await.0, 200);
    }
}

/// A port nobody listens on: the forwarder answers 502 (connection refused), which is a network
/// error; `NetworkErrorRatio()` trips the breaker and the custom `responseCode` answers.
#[tokio::test]
async fn dead_upstream_trips_network_error_ratio() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let addr = front(
        vec![build(
            "circuitBreaker",
            r#"{"expression": "NetworkErrorRatio() > 0.5", "checkPeriod": "1ms",
                "responseCode": 429}"#,
        )],
        Arc::new(Forward::new(dead)),
    )
    .await;
    let client = client();
    let mut seen = Vec::new();
    for _ in 0..200 {
        let (status, body) = get(&client, addr).await;
        seen.push(status);
        if status == 429 {
            assert_eq!(body, "Too Many Requests");
            break;
        }
        assert_eq!(status, 502);
        sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(seen.last(), Some(&429), "never tripped: {seen:?}");
    assert_eq!(get(&client, addr).await.0, 429);
}
