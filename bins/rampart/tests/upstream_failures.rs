//! Upstreams failing mid-exchange (reliability R6, catalogue E9): a body cut short or reset
//! reaches the client as an aborted body (never a clean short 200), and a connection that sent
//! more than it was asked never serves another request.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use std::net::SocketAddr;
use std::time::Duration;

use common::TestProxy;
use e2e::{H1Conn, H2Conn, PATIENCE, request};
use rampart_testkit::Misbehaving;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const STATIC: &str = r#"
entryPoints:
  web:
    address: "127.0.0.1:0"
providers:
  file:
    directory: "{dir}/rules"
"#;

async fn proxy_to(url: &str) -> TestProxy {
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
          - url: "{url}"
"#
    );
    TestProxy::start(STATIC, &[("rules/app.yaml", &dynamic)]).await
}

/// A server that answers a head promising 100 000 bytes, sends 1 000, then resets the
/// connection (`SO_LINGER` 0: a RST, not a FIN). Counts its connections.
async fn resetting() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tcp
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                    .await;
                let _ = tcp.write_all(&[b'x'; 1000]).await;
                let _ = tcp.flush().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = tcp.set_zero_linger();
                drop(tcp);
            });
        }
    });
    (addr, task)
}

#[tokio::test]
async fn a_body_cut_short_reaches_the_client_as_an_aborted_body() {
    let up = Misbehaving::truncated_body(1000, 100).await;
    let proxy = proxy_to(&up.url()).await;
    let mut conn = H1Conn::open(proxy.addr("web")).await;
    let res = conn
        .send(request("GET", "/", &[("host", "app.test")]))
        .await;
    let err = res.expect_err("never a clean short response");
    assert!(
        err.starts_with("200 OK response, then the body failed"),
        "{err}"
    );

    // HTTP/2 client: the stream is reset instead.
    let mut h2 = H2Conn::open(proxy.addr("web")).await;
    let res = h2.send(request("GET", "http://app.test/", &[])).await;
    assert!(res.is_err(), "{res:?}");
    proxy.stop().await;
}

#[tokio::test]
async fn a_reset_mid_body_aborts_the_client_and_the_socket_is_not_reused() {
    let (addr, _server) = resetting().await;
    let proxy = proxy_to(&format!("http://{addr}")).await;
    for _ in 0..2 {
        let mut conn = H1Conn::open(proxy.addr("web")).await;
        let res = conn
            .send(request("GET", "/", &[("host", "app.test")]))
            .await;
        assert!(res.is_err(), "{res:?}");
    }
    proxy.stop().await;
}

#[tokio::test]
async fn an_unrequested_second_response_is_never_served_to_the_next_request() {
    // The upstream answers `ok`, then an extra `evil` on the same connection: a pooled
    // connection would hand `evil` to the next client (response desync, E9).
    let up = Misbehaving::extra_response().await;
    let proxy = proxy_to(&up.url()).await;
    for i in 0..4 {
        let mut conn = H1Conn::open(proxy.addr("web")).await;
        let res = conn
            .send(request("GET", &format!("/{i}"), &[("host", "app.test")]))
            .await
            .expect("answered");
        assert_eq!((res.status, res.body.as_str()), (200, "ok"), "request {i}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proxy.stop().await;
}

#[tokio::test]
async fn late_headers_within_patience_are_fine_without_a_response_header_timeout() {
    // Traefik's default responseHeaderTimeout is 0: wait as long as the upstream takes.
    let up = Misbehaving::slow_headers(Duration::from_millis(1500)).await;
    let proxy = proxy_to(&up.url()).await;
    let res = tokio::time::timeout(
        PATIENCE,
        e2e::get_host(proxy.addr("web"), "app.test", "/", &[]),
    )
    .await
    .expect("in time");
    assert_eq!((res.status, res.body.as_str()), (200, "late"));
    proxy.stop().await;
}
