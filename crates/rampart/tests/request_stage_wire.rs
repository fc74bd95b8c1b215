//! The request stage and the routing table behind a real hyper server on 127.0.0.1, driven
//! by raw bytes from a `TcpStream` (attack catalogue §C and §D): what hyper hands over, what
//! `normalize` refuses, which router wins, and what would be forwarded.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rampart::ConnInfo;
use rampart::request::{PathOptions, normalize};
use rampart::table::{Router, RoutingTable, TableOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn table() -> Arc<RoutingTable<&'static str>> {
    let built = RoutingTable::build(
        [
            Router::new(
                "priv@file",
                "Host(`app.test`) && PathPrefix(`/admin`)",
                "priv",
            ),
            Router::new(
                "pub@file",
                "Host(`app.test`) && PathPrefix(`/public`)",
                "pub",
            ),
            Router::new("all@file", "Host(`app.test`)", "all"),
            Router::new("ip@file", "Host(`ip.test`) && ClientIP(`127.0.0.1`)", "ip"),
        ],
        &TableOptions::default(),
    );
    assert!(built.errors.is_empty());
    Arc::new(built.table)
}

async fn serve() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let table = table();
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                return;
            };
            let table = table.clone();
            tokio::spawn(async move {
                let info = Arc::new(ConnInfo::plain(peer, "web"));
                let service = service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(info.clone());
                    let table = table.clone();
                    async move {
                        let res = match normalize(&req, &PathOptions::default()) {
                            Err(err) => http::Response::builder()
                                .status(err.status)
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                            Ok(n) => {
                                let router =
                                    table.route(&n.view(&req)).map_or("none", |r| *r.payload());
                                http::Response::builder()
                                    .header("x-router", router)
                                    .header("x-forward", n.path_and_query())
                                    .body(Full::new(Bytes::new()))
                                    .unwrap()
                            }
                        };
                        Ok::<_, Infallible>(res)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Sends raw bytes; returns (status, x-router, x-forward).
async fn send(addr: SocketAddr, raw: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    });
    read.await.expect("the server answers within the timeout");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let header = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
            .unwrap_or("")
            .to_string()
    };
    (status, header("x-router"), header("x-forward"))
}

fn get(target: &str, host: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

#[tokio::test]
async fn dot_segments_route_to_the_protected_router() {
    let addr = serve().await;
    for target in [
        "/public/../admin/secret",
        "/public/./../admin/secret",
        "/public/%2e%2e/admin/secret",
        "/public/.%2E/admin/secret",
        "//admin/secret",
    ] {
        let (status, router, forward) = send(addr, &get(target, "app.test")).await;
        assert_eq!(
            (status, router.as_str(), forward.as_str()),
            (200, "priv", "/admin/secret"),
            "{target}"
        );
    }
}

#[tokio::test]
async fn fragments_never_reach_routing_or_the_upstream() {
    let addr = serve().await;
    // hyper's URI parser drops the fragment: the router and the forwarded path never see it.
    let (status, router, forward) = send(addr, &get("/admin#x", "app.test")).await;
    assert_eq!(
        (status, router.as_str(), forward.as_str()),
        (200, "priv", "/admin")
    );
    let (_, router, forward) = send(addr, &get("/public/x#/../../admin", "app.test")).await;
    assert_eq!((router.as_str(), forward.as_str()), ("pub", "/public/x"));
}

#[tokio::test]
async fn host_refusals_and_canonical_host() {
    let addr = serve().await;
    let two_hosts =
        "GET /admin HTTP/1.1\r\nHost: public.test\r\nHost: app.test\r\nConnection: close\r\n\r\n";
    assert_eq!(send(addr, two_hosts).await.0, 400);
    let no_host = "GET /admin HTTP/1.1\r\nConnection: close\r\n\r\n";
    assert_eq!(send(addr, no_host).await.0, 400);
    assert_eq!(send(addr, &get("/", "app.test@evil.test")).await.0, 400);
    let (status, router, _) = send(addr, &get("/x", "APP.TEST.:80")).await;
    assert_eq!((status, router.as_str()), (200, "all"));
    // Absolute-form: the authority is the host (RFC 9112 §3.2.2), the path alone is routed.
    let (_, router, forward) = send(addr, &get("http://app.test/admin/secret", "other.test")).await;
    assert_eq!(
        (router.as_str(), forward.as_str()),
        ("priv", "/admin/secret")
    );
}

#[tokio::test]
async fn malformed_escapes_are_400_and_queries_are_rewritten() {
    let addr = serve().await;
    assert_eq!(send(addr, &get("/admin%zz", "app.test")).await.0, 400);
    let (_, router, forward) = send(addr, &get("/public?x=1;y=2", "app.test")).await;
    assert_eq!(
        (router.as_str(), forward.as_str()),
        ("pub", "/public?x=1&y=2")
    );
}

#[tokio::test]
async fn client_ip_is_the_tcp_peer() {
    let addr = serve().await;
    let spoof = "GET / HTTP/1.1\r\nHost: ip.test\r\nX-Forwarded-For: 192.0.2.1\r\nConnection: close\r\n\r\n";
    assert_eq!(send(addr, spoof).await.1, "ip");
}
