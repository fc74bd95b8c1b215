//! The entrypoint's connection limits, end to end: `respondingTimeouts` (idle, read, write)
//! and `keepAliveMaxRequests` / `keepAliveMaxTime`, on HTTP/1.1 and HTTP/2, with real
//! clients and upstreams on loopback.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::TestProxy;
use e2e::{H1Conn, H2Conn, PATIENCE, read_until_quiet, request};
use http_body_util::BodyExt;
use rampart_testkit::reply::{self, Generated};
use rampart_testkit::{Upstream, upstream};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// An entrypoint with `transport` (YAML, indented under `transport:`) and one route to `up`.
async fn proxy(transport: &str, up: &str) -> TestProxy {
    let static_yaml = format!(
        r#"
entryPoints:
  web:
    address: "127.0.0.1:0"
    transport:
{transport}
providers:
  file:
    directory: "{{dir}}/rules"
"#
    );
    let dynamic = format!(
        r#"
http:
  routers:
    app:
      rule: "Host(`app.test`)"
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: "{up}"
"#
    );
    TestProxy::start(&static_yaml, &[("rules/app.yaml", &dynamic)]).await
}

fn get() -> http::Request<http_body_util::Full<Bytes>> {
    request("GET", "/", &[("host", "app.test")])
}

/// Waits until `closed()` says so, at most `PATIENCE`; returns how long it took.
async fn until(mut closed: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !closed() {
        assert!(started.elapsed() < PATIENCE, "never closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn idle_keep_alive_connections_close_at_idle_timeout_not_read_timeout() {
    let up = Upstream::ok().await;
    let transport =
        "      respondingTimeouts:\n        readTimeout: 300ms\n        idleTimeout: 1500ms";
    let proxy = proxy(transport, &up.url()).await;
    let web = proxy.addr("web");

    // Idle for longer than readTimeout: still open (hyper's header timer would have closed
    // it at 300 ms; Go starts ReadTimeout at the next request's first byte).
    let mut conn = H1Conn::open(web).await;
    assert_eq!(conn.send(get()).await.unwrap().status, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!conn.is_closed());
    assert_eq!(conn.send(get()).await.unwrap().status, 200);

    // Idle past idleTimeout: closed by the proxy.
    let took = until(|| conn.is_closed()).await;
    assert!(took >= Duration::from_millis(1200), "closed after {took:?}");

    // HTTP/2: an idle connection (no stream) goes away too.
    let mut h2 = H2Conn::open(web).await;
    let res = h2
        .send(request("GET", "http://app.test/", &[]))
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    let took = until(|| h2.is_closed()).await;
    assert!(took >= Duration::from_millis(1200), "closed after {took:?}");
    proxy.stop().await;
}

#[tokio::test]
async fn a_request_head_trickling_past_read_timeout_is_cut() {
    let up = Upstream::ok().await;
    let transport = "      respondingTimeouts:\n        readTimeout: 500ms";
    let proxy = proxy(transport, &up.url()).await;
    // Slowloris (catalogue G1): a head that never ends.
    let mut tcp = TcpStream::connect(proxy.addr("web")).await.unwrap();
    let started = Instant::now();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: app.test\r\n")
        .await
        .unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if tcp.write_all(b"X-a: b\r\n").await.is_err() {
            break;
        }
    }
    let got = read_until_quiet(&mut tcp, PATIENCE).await;
    let took = started.elapsed();
    assert!(got.is_empty(), "{got}");
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(10),
        "closed after {took:?}"
    );
    // A connection that never sends anything is closed at the same deadline.
    let mut silent = TcpStream::connect(proxy.addr("web")).await.unwrap();
    let got = read_until_quiet(&mut silent, PATIENCE).await;
    assert!(got.is_empty());
    assert_eq!(up.request_count(), 0);
    proxy.stop().await;
}

#[tokio::test]
async fn a_request_body_that_never_arrives_is_bounded_by_read_timeout() {
    // CVE-2024-28869: a Content-Length promising bytes that never come held the connection
    // (and an upstream connection) forever.
    let up = Upstream::start_streaming(upstream::Options::new(), |req| async move {
        match req.into_body().collect().await {
            Ok(body) => reply::text(200, format!("{} bytes", body.to_bytes().len())),
            Err(e) => reply::text(400, format!("body error: {e}")),
        }
    })
    .await;
    let transport = "      respondingTimeouts:\n        readTimeout: 700ms";
    let proxy = proxy(transport, &up.url()).await;
    let mut tcp = TcpStream::connect(proxy.addr("web")).await.unwrap();
    let started = Instant::now();
    tcp.write_all(b"POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1000\r\n\r\n0123456789")
        .await
        .unwrap();
    let got = read_until_quiet(&mut tcp, PATIENCE).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(10),
        "answered after {took:?}: {got}"
    );
    // The client was slow, not the upstream: 408, and the connection is closed.
    assert_eq!(e2e::statuses(&got), [408], "{got}");
    assert!(got.contains("connection: close"), "{got}");
    assert!(
        !got.contains("1000 bytes"),
        "the upstream never got a whole body"
    );

    // A small body sent in time, then an upstream slower than readTimeout: not cut (the
    // deadline bounds reading the request, not answering it).
    let slow = Upstream::start(|req| async move {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        reply::text(200, format!("{} bytes", req.body().len()))
    })
    .await;
    let proxy2 = self::proxy(transport, &slow.url()).await;
    let mut conn = H1Conn::open(proxy2.addr("web")).await;
    let mut req = request("POST", "/", &[("host", "app.test")]);
    *req.body_mut() = http_body_util::Full::new(Bytes::from_static(b"hello"));
    let res = conn.send(req).await.expect("answered");
    assert_eq!((res.status, res.body.as_str()), (200, "5 bytes"));
    proxy.stop().await;
    proxy2.stop().await;
}

#[tokio::test]
async fn a_response_still_being_written_at_write_timeout_is_cut() {
    // 20 chunks, one every 100 ms: two seconds to write, writeTimeout is one.
    let up = Upstream::start(|_| async {
        let body = Generated::new(20 * 1024, 1024).every(Duration::from_millis(100));
        http::Response::new(reply::boxed(body))
    })
    .await;
    let transport = "      respondingTimeouts:\n        writeTimeout: 1s";
    let proxy = proxy(transport, &up.url()).await;

    let mut conn = H1Conn::open(proxy.addr("web")).await;
    let started = Instant::now();
    let res = conn.send(get()).await;
    let took = started.elapsed();
    match res {
        Err(_) => {}
        Ok(res) => assert!(res.body.len() < 20 * 1024, "the whole body was written"),
    }
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(10),
        "cut after {took:?}"
    );

    // HTTP/2: the stream is reset, the connection lives on.
    let mut h2 = H2Conn::open(proxy.addr("web")).await;
    let res = h2.send(request("GET", "http://app.test/", &[])).await;
    assert!(
        res.is_err() || res.as_ref().is_ok_and(|r| r.body.len() < 20 * 1024),
        "{res:?}"
    );
    proxy.stop().await;
}

#[tokio::test]
async fn keep_alive_max_requests_closes_http1_and_sends_goaway_on_http2() {
    let up = Upstream::ok().await;
    let proxy = proxy("      keepAliveMaxRequests: 3", &up.url()).await;
    let web = proxy.addr("web");

    let mut conn = H1Conn::open(web).await;
    for i in 1..=3 {
        let res = conn.send(get()).await.expect("answered");
        assert_eq!(res.status, 200);
        let close = res.header("connection") == "close";
        assert_eq!(
            close,
            i == 3,
            "request {i}: Connection: {:?}",
            res.header("connection")
        );
    }
    until(|| conn.is_closed()).await;

    let mut h2 = H2Conn::open(web).await;
    for _ in 1..=3 {
        let res = h2
            .send(request("GET", "http://app.test/", &[]))
            .await
            .expect("answered");
        assert_eq!(res.status, 200);
    }
    until(|| h2.is_closed()).await;
    proxy.stop().await;
}

#[tokio::test]
async fn keep_alive_max_time_closes_connections_older_than_it() {
    let up = Upstream::ok().await;
    let proxy = proxy("      keepAliveMaxTime: 400ms", &up.url()).await;
    let mut conn = H1Conn::open(proxy.addr("web")).await;
    let res = conn.send(get()).await.unwrap();
    assert_eq!(res.header("connection"), "");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let res = conn.send(get()).await.unwrap();
    assert_eq!((res.status, res.header("connection")), (200, "close"));
    until(|| conn.is_closed()).await;
    proxy.stop().await;
}
