//! Websockets (and upgrades in general) through the proxy.

mod common;

use std::sync::Arc;

use common::{raw, serve};
use futures_util::{SinkExt, StreamExt};
use rampart::service::{Forwarder, Target, Transport, TransportSpec};
use rampart_testkit::ws::{self, Message};
use rampart_testkit::{Misbehaving, Upstream, reply};

fn forwarder(url: &str) -> Arc<Forwarder> {
    let transport = Arc::new(Transport::new(&TransportSpec::default()).unwrap());
    Arc::new(Forwarder::new(
        Target::parse(url, false).unwrap(),
        true,
        transport,
    ))
}

#[tokio::test]
async fn websocket_echo_round_trip() {
    let up = ws::echo_upstream().await;
    let front = serve(forwarder(&up.url())).await;
    let url = format!("ws://{}/chat", front.addr);
    let (mut socket, res) = tokio::time::timeout(common::DEADLINE, ws::connect(&url, &[]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), 101);
    for text in ["hello", "wörld", ""] {
        socket.send(Message::text(text)).await.unwrap();
        let back = tokio::time::timeout(common::DEADLINE, socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(back, Message::text(text));
    }
    socket
        .send(Message::binary(vec![0u8, 1, 2, 255]))
        .await
        .unwrap();
    let back = socket.next().await.unwrap().unwrap();
    assert_eq!(back, Message::binary(vec![0u8, 1, 2, 255]));
    socket.close(None).await.unwrap();

    let r = up.last_request().unwrap();
    assert_eq!(r.header("upgrade"), "websocket");
    assert_eq!(r.header("x-forwarded-proto"), "ws");
    assert!(r.header("connection").eq_ignore_ascii_case("upgrade"));
    assert!(!r.header("sec-websocket-key").is_empty());
}

#[tokio::test]
async fn upgrade_refused_is_relayed_and_the_connection_stays_http() {
    // Attack catalogue E7/H3: no tunnel before a genuine 101; the pipelined bytes after the
    // refused upgrade are parsed as the next request.
    let up = Upstream::start(|req| async move {
        if req.uri().path() == "/ws" {
            reply::text(426, "no websocket here")
        } else {
            reply::text(200, format!("second {}", req.uri().path()))
        }
    })
    .await;
    let front = serve(forwarder(&up.url())).await;
    let out = raw(
        front.addr,
        b"GET /ws HTTP/1.1\r\nHost: app.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\
          GET /next HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 426"), "{out}");
    assert!(out.contains("no websocket here"), "{out}");
    assert!(out.contains("second /next"), "{out}");
    let paths: Vec<String> = up
        .requests()
        .iter()
        .map(|r| r.uri.path().to_owned())
        .collect();
    assert_eq!(paths, ["/ws", "/next"]);
}

#[tokio::test]
async fn a_101_nobody_asked_for_is_a_502() {
    // E9: an upstream switching protocols on a plain request must not turn the client
    // connection into a tunnel.
    let bad = Misbehaving::raw(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
    )
    .await;
    let front = serve(forwarder(&bad.url())).await;
    let out = raw(
        front.addr,
        b"GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 502"), "{out}");
}

#[tokio::test]
async fn a_101_for_another_protocol_is_a_502() {
    let bad = Misbehaving::raw(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
    )
    .await;
    let front = serve(forwarder(&bad.url())).await;
    let out = raw(
        front.addr,
        b"GET /ws HTTP/1.1\r\nHost: app.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 502"), "{out}");
}

#[tokio::test]
async fn websocket_to_a_tls_upstream_uses_http1_even_when_h2_is_offered() {
    // The upgrade pool offers only http/1.1 in ALPN: a websocket cannot ride HTTP/2.
    let ca = rampart_testkit::TestCa::new("ws ca");
    let cert = ca.server_cert(&["127.0.0.1"]);
    let up = Upstream::start_streaming(
        rampart_testkit::Options::new().tls(cert.server_config()),
        |req| async move {
            if req.version() == http::Version::HTTP_11 && req.headers().contains_key("upgrade") {
                ws::echo_handler(req)
            } else {
                reply::text(400, "not an upgrade over http/1.1")
            }
        },
    )
    .await;
    let transport = Arc::new(
        Transport::new(&TransportSpec {
            root_cas: vec![ca.cert_pem().to_owned()],
            ..TransportSpec::default()
        })
        .unwrap(),
    );
    let fwd = Arc::new(Forwarder::new(
        Target::parse(&up.url(), false).unwrap(),
        true,
        transport,
    ));
    let front = serve(fwd).await;
    let (mut socket, _) = ws::connect(&format!("ws://{}/", front.addr), &[])
        .await
        .unwrap();
    socket.send(Message::text("over tls")).await.unwrap();
    let back = tokio::time::timeout(common::DEADLINE, socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(back, Message::text("over tls"));
}

#[tokio::test]
async fn e8_h2c_upgrade_is_not_forwarded() {
    // A backend that would switch to h2c must never see the request as an upgrade.
    let up = Upstream::start(|req| async move {
        if req.headers().contains_key("upgrade") {
            let mut res = reply::status(101);
            res.headers_mut().insert("upgrade", "h2c".parse().unwrap());
            res.headers_mut()
                .insert("connection", "Upgrade".parse().unwrap());
            res
        } else {
            reply::text(200, "plain")
        }
    })
    .await;
    let front = serve(forwarder(&up.url())).await;
    let out = raw(
        front.addr,
        b"GET /public HTTP/1.1\r\nHost: app.test\r\nUpgrade: h2c\r\n\
          HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: Upgrade, HTTP2-Settings, close\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with("plain"), "{out}");
    let r = up.last_request().unwrap();
    for gone in ["upgrade", "http2-settings", "connection"] {
        assert!(!r.headers.contains_key(gone), "{gone} reached the app");
    }
}
