//! Catalogue part B over a real loopback hop: real clients (hyper-util, curl) → a hyper server
//! running the middleware chain → a real upstream.

#[allow(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod common {
    pub(crate) mod mw_mwb;
}

use std::sync::Arc;
use std::time::Duration;

use common::mw_mwb::{Forward, build, curl, front, upstream};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rampart::middleware::Endpoint;

async fn get(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, http::HeaderMap, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let mut req = http::Request::get(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = tokio::time::timeout(
        Duration::from_secs(30),
        client.request(req.body(Full::default()).unwrap()),
    )
    .await
    .expect("in time")
    .expect("response");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn forward(up: std::net::SocketAddr) -> Arc<dyn Endpoint> {
    Arc::new(Forward::new(up))
}

/// The guide's chain head: `rateLimit` average 100 burst 50, from one real client.
#[tokio::test]
async fn rate_limit_over_loopback() {
    let up = upstream().await;
    let addr = front(
        vec![build(
            "rateLimit",
            r#"{"average": 1, "period": "1m", "burst": 2}"#,
        )],
        forward(up),
    )
    .await;
    assert_eq!(get(addr, "/", &[]).await.0, 200);
    assert_eq!(get(addr, "/", &[]).await.0, 200);
    let (status, headers, body) = get(addr, "/", &[]).await;
    assert_eq!(status, 429);
    assert_eq!(body, "Too Many Requests");
    assert!(
        headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 60
    );
}

#[tokio::test]
async fn ip_allow_list_sees_the_real_peer() {
    let up = upstream().await;
    let allowed = front(
        vec![build("ipAllowList", r#"{"sourceRange": ["127.0.0.1/32"]}"#)],
        forward(up),
    )
    .await;
    assert_eq!(
        get(allowed, "/", &[("x-forwarded-for", "10.9.9.9")])
            .await
            .0,
        200
    );
    let denied = front(
        vec![build("ipWhiteList", r#"{"sourceRange": ["10.0.0.0/8"]}"#)],
        forward(up),
    )
    .await;
    assert_eq!(
        get(denied, "/", &[("x-forwarded-for", "10.9.9.9")]).await.0,
        403,
        "a spoofed X-Forwarded-For does not count"
    );
}

/// curl as the real Basic client, with a hash `htpasswd` writes.
#[tokio::test]
async fn basic_auth_with_curl() {
    let up = upstream().await;
    let mw = build(
        "basicAuth",
        r#"{"users": ["test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/"], "headerField": "X-WebAuth-User", "removeHeader": true}"#,
    );
    let addr = front(vec![mw], forward(up)).await;
    let url = format!("http://{addr}/private");
    let (status, body) = tokio::task::spawn_blocking(move || {
        curl(&["-u", "test:test", "-H", "X-WebAuth-User: admin", &url])
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("x-webauth-user: test"), "{body}");
    assert!(
        !body.contains("admin") && !body.contains("authorization"),
        "{body}"
    );
    let url = format!("http://{addr}/private");
    let (status, _) = tokio::task::spawn_blocking(move || curl(&["-u", "test:wrong", &url]))
        .await
        .unwrap();
    assert_eq!(status, 401);
}

/// curl as the real Digest client: it answers the challenge itself (RFC 2617 qop=auth).
#[tokio::test]
async fn digest_auth_with_curl() {
    let up = upstream().await;
    let mw = build(
        "digestAuth",
        r#"{"users": ["test:traefik:a2688e031edb4be6a3797f3882655c05"], "headerField": "X-User"}"#,
    );
    let addr = front(vec![mw], forward(up)).await;
    let url = format!("http://{addr}/dir/index.html?x=1");
    let (status, body) =
        tokio::task::spawn_blocking(move || curl(&["--digest", "-u", "test:test", &url]))
            .await
            .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("x-user: test"), "{body}");
    let url = format!("http://{addr}/");
    let (status, _) =
        tokio::task::spawn_blocking(move || curl(&["--digest", "-u", "test:nope", &url]))
            .await
            .unwrap();
    assert_eq!(status, 401);
}

/// A 3 MiB chunked upload through `buffering` (1 MiB in memory, the rest spilled to disk)
/// reaches the upstream whole, with a Content-Length.
#[tokio::test]
async fn buffering_spills_and_forwards_a_large_upload() {
    let up = upstream().await;
    let mw = build(
        "buffering",
        r#"{"maxRequestBodyBytes": 10485760, "memRequestBodyBytes": 1048576, "retryExpression": "IsNetworkError() && Attempts() <= 2"}"#,
    );
    let addr = front(vec![mw], forward(up)).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), vec![b'z'; 3 * 1024 * 1024]).unwrap();
    let (path, url) = (
        format!("@{}", file.path().display()),
        format!("http://{addr}/upload"),
    );
    let (status, body) = tokio::task::spawn_blocking(move || {
        curl(&[
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            &path,
            &url,
        ])
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("content-length: 3145728") && body.contains("body-bytes: 3145728"),
        "{body}"
    );
    let mw = build("buffering", r#"{"maxRequestBodyBytes": 1000}"#);
    let small = front(vec![mw], forward(up)).await;
    let (path, url) = (
        format!("@{}", file.path().display()),
        format!("http://{small}/upload"),
    );
    let (status, _) = tokio::task::spawn_blocking(move || curl(&["--data-binary", &path, &url]))
        .await
        .unwrap();
    assert_eq!(status, 413);
}

/// `retry` in front of an upstream that refuses connections: every try fails before sending,
/// and the client gets the 502 after `attempts` tries.
#[tokio::test]
async fn retry_gives_up_on_a_dead_upstream() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let addr = front(
        vec![build(
            "retry",
            r#"{"attempts": 3, "initialInterval": "10ms"}"#,
        )],
        forward(dead),
    )
    .await;
    assert_eq!(get(addr, "/", &[]).await.0, 502);
}
