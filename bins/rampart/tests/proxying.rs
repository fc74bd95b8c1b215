//! Proxying through the whole binary against real upstreams on loopback: forwarded headers
//! from an untrusted peer, hop-by-hop and `Connection` handling, websockets, HTTP/2 on both
//! sides, streaming in both directions, the error statuses, health checks.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use std::time::Duration;

use bytes::Bytes;
use common::TestProxy;
use e2e::{H1Conn, H2Conn, PATIENCE, echo_upstream, get_host, raw, request};
use http_body_util::BodyExt;
use rampart_testkit::reply::{self, Channel, Generated};
use rampart_testkit::{Misbehaving, Upstream, misbehave, upstream, ws};

/// One plain entrypoint, the file provider on `rules/`, ping on the entrypoint.
const STATIC: &str = r#"
entryPoints:
  web:
    address: "127.0.0.1:0"
ping:
  entryPoint: web
providers:
  file:
    directory: "{dir}/rules"
    watch: true
"#;

/// A dynamic configuration routing `Host(host)` to a load balancer on `url`.
fn route(host: &str, url: &str) -> String {
    format!(
        r#"
http:
  routers:
    app:
      rule: "Host(`{host}`)"
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: "{url}"
"#
    )
}

async fn proxy_to(url: &str) -> TestProxy {
    TestProxy::start(STATIC, &[("rules/app.yaml", &route("app.test", url))]).await
}

#[tokio::test]
async fn an_untrusted_peers_forwarded_headers_are_replaced() {
    let up = echo_upstream().await;
    let proxy = proxy_to(&up.url()).await;
    let port = proxy.addr("web").port();
    let res = get_host(
        proxy.addr("web"),
        "app.test",
        "/x?y=1",
        &[
            ("x-forwarded-for", "10.0.0.1"),
            ("x-real-ip", "10.0.0.1"),
            ("x-forwarded-host", "admin.internal"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
            ("x-forwarded-prefix", "/public"),
            ("x-forwarded-server", "trusted"),
        ],
    )
    .await;
    assert_eq!(res.status, 200);
    let seen = up.last_request().expect("upstream called");
    assert_eq!(seen.header("x-forwarded-for"), "127.0.0.1");
    assert_eq!(seen.header("x-real-ip"), "127.0.0.1");
    assert_eq!(seen.header("x-forwarded-host"), "app.test");
    assert_eq!(seen.header("x-forwarded-proto"), "http");
    // Traefik derives the port from Host, else from the real scheme: 80 here, never the
    // client's 443 (CVE-2026-54764).
    assert_eq!(seen.header("x-forwarded-port"), "80");
    assert_eq!(seen.header("x-forwarded-prefix"), "");
    assert_ne!(seen.header("x-forwarded-server"), "trusted");
    assert!(!seen.header("x-forwarded-server").is_empty());
    assert_eq!(seen.headers.get_all("x-forwarded-for").iter().count(), 1);

    let host = format!("app.test:{port}");
    let res = get_host(
        proxy.addr("web"),
        &host,
        "/",
        &[("x-forwarded-port", "443")],
    )
    .await;
    assert_eq!(res.status, 200);
    let seen = up.last_request().expect("upstream called");
    assert_eq!(seen.header("x-forwarded-port"), port.to_string());
    assert_eq!(seen.header("x-forwarded-host"), host);
    proxy.stop().await;
}

#[tokio::test]
async fn hop_by_hop_headers_and_connection_tokens_never_reach_the_upstream() {
    let up = echo_upstream().await;
    let proxy = proxy_to(&up.url()).await;
    // Raw bytes: lower-case tokens, a list split over two lines, odd spacing, managed names
    // among the tokens (B7, CVE-2024-45410 / CVE-2026-29054).
    let sent = raw(
        proxy.addr("web"),
        b"GET /h HTTP/1.1\r\nHost: app.test\r\n\
          Connection: keep-alive, x-foo , X-Forwarded-Host\r\n\
          connection: x-real-ip,x-forwarded-for\r\n\
          Keep-Alive: 300\r\nTE: trailers, deflate\r\nUpgrade: h2c\r\n\
          HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nProxy-Connection: keep-alive\r\n\
          X-Foo: bar\r\nX-Kept: yes\r\nProxy-Authorization: Basic eDp5\r\n\r\n",
        Duration::from_millis(500),
    )
    .await;
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
    let seen = up.last_request().expect("upstream called");
    for gone in [
        "connection",
        "keep-alive",
        "upgrade",
        "http2-settings",
        "proxy-connection",
        // Go's hop list: credentials for this proxy are not the application's.
        "proxy-authorization",
        "x-foo",
    ] {
        assert!(seen.headers.get(gone).is_none(), "{gone} was forwarded");
    }
    assert_eq!(
        seen.header("te"),
        "trailers",
        "only `trailers` survives in TE"
    );
    assert_eq!(seen.header("x-kept"), "yes");
    // The proxy's own values survive the tokens that named them.
    assert_eq!(seen.header("x-forwarded-host"), "app.test");
    assert_eq!(seen.header("x-real-ip"), "127.0.0.1");
    assert_eq!(seen.header("x-forwarded-for"), "127.0.0.1");
    proxy.stop().await;
}

#[tokio::test]
async fn hop_by_hop_headers_of_the_response_never_reach_the_client() {
    let up = Upstream::start(|_| async {
        let mut res = reply::text(200, "ok");
        let h = res.headers_mut();
        h.insert("connection", "X-Up-Secret".parse().unwrap());
        h.insert("x-up-secret", "1".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert("x-up-kept", "1".parse().unwrap());
        res
    })
    .await;
    let proxy = proxy_to(&up.url()).await;
    let res = get_host(proxy.addr("web"), "app.test", "/", &[]).await;
    assert_eq!(res.status, 200);
    assert!(res.headers.get("x-up-secret").is_none());
    assert!(res.headers.get("keep-alive").is_none());
    assert_eq!(res.header("x-up-kept"), "1");
    proxy.stop().await;
}

#[tokio::test]
async fn websockets_are_tunnelled_through_the_proxy() {
    let up = ws::echo_upstream().await;
    let proxy = proxy_to(&up.url()).await;
    let url = format!("ws://{}/chat", proxy.addr("web"));
    let (mut socket, res) =
        tokio::time::timeout(PATIENCE, ws::connect(&url, &[("host", "app.test")]))
            .await
            .expect("in time")
            .expect("websocket handshake through the proxy");
    assert_eq!(res.status(), 101);
    for i in 0..3 {
        let echoed = ws::round_trip(&mut socket, format!("hello {i}"), PATIENCE).await;
        assert_eq!(echoed, ws::Message::text(format!("hello {i}")));
    }
    let seen = up.last_request().expect("upgrade request");
    assert_eq!(seen.header("upgrade"), "websocket");
    assert!(seen.header("connection").eq_ignore_ascii_case("upgrade"));
    assert_eq!(seen.header("x-forwarded-proto"), "ws");

    // A plain request to the same upstream gets its refusal relayed, not a tunnel.
    let res = get_host(proxy.addr("web"), "app.test", "/chat", &[]).await;
    assert_eq!(res.status, 426);
    proxy.stop().await;
}

#[tokio::test]
async fn http2_on_both_sides() {
    let up = echo_upstream().await;
    let proxy = proxy_to(&up.h2c_url()).await;
    let mut h2 = H2Conn::open(proxy.addr("web")).await;
    for i in 0..3 {
        let res = h2
            .send(request("GET", &format!("http://app.test/s{i}"), &[]))
            .await
            .expect("answer");
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.version, http::Version::HTTP_2);
    }
    let seen = up.requests();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|r| r.version == http::Version::HTTP_2));
    assert_eq!(seen[2].path_and_query(), "/s2");
    assert_eq!(up.connections(), 1, "one pooled HTTP/2 connection upstream");
    proxy.stop().await;
}

#[tokio::test]
async fn large_bodies_stream_both_ways_without_being_held() {
    // The upstream answers with its first chunk at once and the rest only when told: the
    // client must see the first chunk while the upstream still holds the rest.
    let (release_tx, release_rx) = tokio::sync::watch::channel(false);
    let up = Upstream::start_streaming(upstream::Options::new(), move |req| {
        let mut release = release_rx.clone();
        async move {
            let (tx, body) = Channel::new();
            tokio::spawn(async move {
                // Echo the request body back as it arrives (request streaming), then a tail.
                let mut incoming = req.into_body();
                while let Some(Ok(frame)) = incoming.frame().await {
                    if let Ok(data) = frame.into_data()
                        && tx.send(Ok(http_body::Frame::data(data))).await.is_err()
                    {
                        return;
                    }
                }
                let _ = release.wait_for(|r| *r).await;
                let _ = tx
                    .send(Ok(http_body::Frame::data(Bytes::from_static(b"tail"))))
                    .await;
            });
            let mut res = http::Response::new(reply::boxed(body));
            res.headers_mut()
                .insert("content-type", "application/octet-stream".parse().unwrap());
            res
        }
    })
    .await;
    let proxy = proxy_to(&up.url()).await;

    let (client_tx, client_body) = Channel::new();
    let tcp = tokio::net::TcpStream::connect(proxy.addr("web"))
        .await
        .unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = http::Request::post("/stream")
        .header("host", "app.test")
        .body(client_body)
        .unwrap();
    let res = tokio::spawn(sender.send_request(req));

    // First chunk of the request: echoed back before the request body is finished.
    client_tx
        .send(Ok(http_body::Frame::data(Bytes::from_static(b"first"))))
        .await
        .unwrap();
    let res = tokio::time::timeout(PATIENCE, res)
        .await
        .expect("response head before the request body ended")
        .unwrap()
        .expect("response");
    assert_eq!(res.status(), 200);
    let mut body = res.into_body();
    let first = tokio::time::timeout(PATIENCE, body.frame())
        .await
        .expect("first chunk in time")
        .unwrap()
        .unwrap()
        .into_data()
        .unwrap();
    assert_eq!(
        first, "first",
        "streamed back while the request is still open"
    );

    // 16 MiB more, in 64 KiB frames, checked byte by byte on the way back.
    let total: u64 = 16 << 20;
    let sender_task = tokio::spawn(async move {
        let mut pattern = Generated::new(total, 64 << 10);
        while let Some(Ok(frame)) = pattern.frame().await {
            if client_tx.send(Ok(frame)).await.is_err() {
                return;
            }
        }
    });
    let mut got: u64 = 0;
    while got < total {
        let frame = tokio::time::timeout(PATIENCE, body.frame())
            .await
            .expect("data in time")
            .expect("more data")
            .expect("no error");
        let data = frame.into_data().unwrap();
        for (i, b) in data.iter().enumerate() {
            assert_eq!(
                *b,
                Generated::byte_at(got + i as u64),
                "byte {}",
                got + i as u64
            );
        }
        got += data.len() as u64;
    }
    sender_task.await.unwrap();
    release_tx.send_replace(true);
    let rest = tokio::time::timeout(PATIENCE, body.collect())
        .await
        .expect("tail in time")
        .unwrap()
        .to_bytes();
    assert_eq!(rest, "tail");
    proxy.stop().await;
}

#[tokio::test]
async fn no_router_is_404_refused_is_502_silent_is_504() {
    let refused = misbehave::closed_port().await;
    let hole = Misbehaving::black_hole().await;
    let dynamic = format!(
        r#"
http:
  routers:
    refused:
      rule: "Host(`refused.test`)"
      service: refused
    silent:
      rule: "Host(`silent.test`)"
      service: silent
  services:
    refused:
      loadBalancer:
        servers:
          - url: "http://{refused}"
    silent:
      loadBalancer:
        serversTransport: impatient
        servers:
          - url: "{hole}"
  serversTransports:
    impatient:
      forwardingTimeouts:
        responseHeaderTimeout: 300ms
"#,
        hole = hole.url()
    );
    let proxy = TestProxy::start(STATIC, &[("rules/app.yaml", &dynamic)]).await;
    let web = proxy.addr("web");

    let res = get_host(web, "nobody.test", "/", &[]).await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (404, "404 page not found\n")
    );

    let started = std::time::Instant::now();
    let res = get_host(web, "refused.test", "/", &[]).await;
    assert_eq!(res.status, 502);
    assert_eq!(res.body, "Bad Gateway");
    assert!(started.elapsed() < PATIENCE, "refused is answered fast");

    let started = std::time::Instant::now();
    let res = get_host(web, "silent.test", "/", &[]).await;
    assert_eq!(res.status, 504);
    assert_eq!(res.body, "Gateway Timeout");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "not before responseHeaderTimeout"
    );
    proxy.stop().await;
}

#[tokio::test]
async fn health_checks_take_a_failing_server_out_and_back() {
    let (healthy_tx, healthy_rx) = tokio::sync::watch::channel(false);
    let flaky = Upstream::start(move |req| {
        let healthy = *healthy_rx.borrow();
        async move {
            if req.uri().path() == "/health" {
                reply::status(if healthy { 200 } else { 503 })
            } else {
                reply::text(200, "flaky")
            }
        }
    })
    .await;
    let steady = Upstream::named("steady").await;
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
        healthCheck:
          path: /health
          interval: 100ms
          timeout: 1s
        servers:
          - url: "{}"
          - url: "{}"
"#,
        flaky.url(),
        steady.url()
    );
    let proxy = TestProxy::start(STATIC, &[("rules/app.yaml", &dynamic)]).await;
    let web = proxy.addr("web");

    // Once the first check ran, every request goes to the healthy server.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let bodies = answers(web, 6).await;
        if bodies.iter().all(|b| b == "steady") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never taken out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Healthy again: back in the rotation.
    healthy_tx.send_replace(true);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let bodies = answers(web, 6).await;
        if bodies.iter().any(|b| b == "flaky") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    proxy.stop().await;
}

async fn answers(web: std::net::SocketAddr, n: usize) -> Vec<String> {
    let mut conn = H1Conn::open(web).await;
    let mut out = Vec::new();
    for _ in 0..n {
        let res = conn
            .send(request("GET", "/", &[("host", "app.test")]))
            .await
            .expect("answer");
        assert_eq!(res.status, 200);
        out.push(res.body);
    }
    out
}

#[tokio::test]
async fn pass_host_header_false_sends_the_servers_own_host() {
    let up = echo_upstream().await;
    let dynamic = format!(
        r#"
http:
  routers:
    kept:
      rule: "Host(`kept.test`)"
      service: kept
    replaced:
      rule: "Host(`replaced.test`)"
      service: replaced
  services:
    kept:
      loadBalancer:
        servers:
          - url: "{url}"
    replaced:
      loadBalancer:
        passHostHeader: false
        servers:
          - url: "{url}"
"#,
        url = up.url()
    );
    let proxy = TestProxy::start(STATIC, &[("rules/app.yaml", &dynamic)]).await;
    let web = proxy.addr("web");
    assert_eq!(get_host(web, "kept.test", "/", &[]).await.status, 200);
    let seen = up.last_request().expect("upstream called");
    assert_eq!(
        seen.header("host"),
        "kept.test",
        "passHostHeader defaults to true"
    );

    assert_eq!(get_host(web, "replaced.test", "/", &[]).await.status, 200);
    let seen = up.last_request().expect("upstream called");
    assert_eq!(
        seen.header("host"),
        up.addr().to_string(),
        "the server URL's host"
    );
    assert_eq!(seen.header("x-forwarded-host"), "replaced.test");

    // An HTTP/2 client sends :authority, no Host: it becomes the upstream's Host.
    let mut h2 = H2Conn::open(web).await;
    let res = h2
        .send(request("GET", "http://kept.test/", &[]))
        .await
        .expect("answer");
    assert_eq!(res.status, 200);
    let seen = up.last_request().expect("upstream called");
    assert_eq!(seen.header("host"), "kept.test");
    proxy.stop().await;
}
