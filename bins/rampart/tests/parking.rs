//! Idle HTTP/1.1 keep-alive connections are parked (hyper's state dropped, the bare socket
//! waiting for the next request: `server/drive.rs`) after 250 ms. What must not change for
//! a client, end to end: the next request on the same connection is answered (plain and TLS),
//! a response the client reads late arrives whole, and a websocket idle for longer than that
//! stays open.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use std::time::Duration;

use bytes::Bytes;
use common::TestProxy;
use e2e::{PATIENCE, inline_certificate, request};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rampart_testkit::reply::{self, Generated};
use rampart_testkit::{TestCa, Upstream, ws};
use tokio::net::TcpStream;

/// Well past the 250 ms after which an idle connection is parked.
const IDLE: Duration = Duration::from_millis(900);

async fn proxy(up: &str, tls: Option<&TestCa>) -> TestProxy {
    let static_yaml = r#"
entryPoints:
  web:
    address: "127.0.0.1:0"
  websecure:
    address: "127.0.0.1:0"
    http:
      tls: {}
providers:
  file:
    directory: "{dir}/rules"
"#;
    let dynamic = format!(
        r#"
http:
  routers:
    app:
      rule: "Host(`app.test`)"
      entryPoints: [web, websecure]
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: "{up}"
"#
    );
    let cert = tls.map(|ca| inline_certificate(&ca.server_cert(&["app.test"])));
    let mut files = vec![("rules/app.yaml", dynamic.as_str())];
    if let Some(cert) = &cert {
        files.push(("rules/cert.yaml", cert.as_str()));
    }
    TestProxy::start(static_yaml, &files).await
}

fn get() -> http::Request<Empty<Bytes>> {
    let mut req = request("GET", "/", &[("host", "app.test")]).map(|_| Empty::new());
    *req.uri_mut() = "/".parse().unwrap();
    req
}

/// One keep-alive connection: GET, idle past parking, GET again on the same connection.
async fn two_requests_with_an_idle_gap<I>(io: I)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = http1::handshake(TokioIo::new(io)).await.expect("handshake");
    let conn = tokio::spawn(conn);
    for round in 0..3 {
        let res = tokio::time::timeout(PATIENCE, sender.send_request(get()))
            .await
            .expect("in time")
            .unwrap_or_else(|e| panic!("request {round} on the same connection: {e}"));
        assert_eq!(res.status(), 200, "request {round}");
        res.into_body().collect().await.expect("body");
        tokio::time::sleep(IDLE).await;
        assert!(
            !conn.is_finished(),
            "closed while idle after request {round}"
        );
    }
}

#[tokio::test]
async fn a_parked_connection_serves_its_next_request_over_plain_http_and_tls() {
    let up = Upstream::ok().await;
    let ca = TestCa::new("parking CA");
    let proxy = proxy(&up.url(), Some(&ca)).await;

    two_requests_with_an_idle_gap(TcpStream::connect(proxy.addr("web")).await.unwrap()).await;

    let tcp = TcpStream::connect(proxy.addr("websecure")).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(ca.client_config(&[b"http/1.1"]));
    let name = rustls::pki_types::ServerName::try_from("app.test").unwrap();
    let tls = connector.connect(name, tcp).await.expect("TLS handshake");
    two_requests_with_an_idle_gap(tls).await;
    // Each connection opened one upstream connection's worth of requests, on one socket.
    assert_eq!(up.request_count(), 6);
    proxy.stop().await;
}

#[tokio::test]
async fn a_response_the_client_reads_late_arrives_whole() {
    // 16 MiB: more than the socket buffers hold (loopback autotuning grows them to a few MiB),
    // so the proxy's last write waits for the
    // client while the response is, for the proxy, already over (the connection looks idle).
    const LEN: u64 = 16 << 20;
    let up = Upstream::start(|_| async {
        http::Response::new(reply::boxed(Generated::new(LEN, 64 << 10)))
    })
    .await;
    let proxy = proxy(&up.url(), None).await;
    let tcp = TcpStream::connect(proxy.addr("web")).await.unwrap();
    let (mut sender, conn) = http1::handshake(TokioIo::new(tcp))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let res = sender.send_request(get()).await.expect("response head");
    assert_eq!(res.status(), 200);
    // Not reading for longer than parking takes.
    tokio::time::sleep(IDLE + IDLE).await;
    let body = tokio::time::timeout(PATIENCE, res.into_body().collect())
        .await
        .expect("in time")
        .expect("the whole body")
        .to_bytes();
    assert_eq!(body.len() as u64, LEN, "nothing lost");
    let res = sender
        .send_request(get())
        .await
        .expect("the connection lives on");
    assert_eq!(res.status(), 200);
    proxy.stop().await;
}

#[tokio::test]
async fn a_websocket_idle_longer_than_parking_stays_open() {
    let up = ws::echo_upstream().await;
    let proxy = proxy(&up.url(), None).await;
    let url = format!("ws://{}/chat", proxy.addr("web"));
    let (mut socket, res) =
        tokio::time::timeout(PATIENCE, ws::connect(&url, &[("host", "app.test")]))
            .await
            .expect("in time")
            .expect("websocket handshake");
    assert_eq!(res.status(), 101);
    for i in 0..2 {
        tokio::time::sleep(IDLE).await;
        let echoed = ws::round_trip(&mut socket, format!("hello {i}"), PATIENCE).await;
        assert_eq!(echoed, ws::Message::text(format!("hello {i}")));
    }
    proxy.stop().await;
}
