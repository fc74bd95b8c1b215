//! Forwarding through a real hyper front to real testkit upstreams on 127.0.0.1.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{client_h1, client_h2, get, raw, send, serve, serve_with};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rampart::entrypoint::ForwardedHeadersSpec;
use rampart::service::{Forwarder, Target, Transport, TransportSpec};
use rampart_testkit::{Misbehaving, Options, TestCa, Upstream, misbehave, reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn forwarder(url: &str, spec: &TransportSpec) -> Arc<Forwarder> {
    let transport = Arc::new(Transport::new(spec).unwrap());
    Arc::new(Forwarder::new(
        Target::parse(url, false).unwrap(),
        true,
        transport,
    ))
}

#[tokio::test]
async fn request_reaches_the_upstream_with_forwarded_headers() {
    let up =
        Upstream::start(|req| async move { reply::text(201, format!("got {}", req.body().len())) })
            .await;
    let front = serve(forwarder(&up.url(), &TransportSpec::default())).await;
    let req = http::Request::post(front.url("/a/b?x=1;y=2"))
        .header("host", "app.test")
        .header("x-forwarded-for", "10.0.0.1")
        .header("x-forwarded-host", "evil.test")
        .header("x-custom", "kept")
        .body(Full::new(Bytes::from_static(b"hello")))
        .unwrap();
    let (status, _, body) = send(&client_h1(), req).await;
    assert_eq!(status, 201);
    assert_eq!(body, "got 5");
    let r = up.last_request().unwrap();
    assert_eq!(r.method, "POST");
    assert_eq!(r.path_and_query(), "/a/b?x=1&y=2");
    assert_eq!(r.body, "hello");
    assert_eq!(r.header("host"), "app.test");
    // Attack catalogue B6: the untrusted client's values are gone, the proxy's are set.
    assert_eq!(r.header("x-forwarded-for"), "127.0.0.1");
    assert_eq!(r.header("x-real-ip"), "127.0.0.1");
    assert_eq!(r.header("x-forwarded-host"), "app.test");
    assert_eq!(r.header("x-forwarded-proto"), "http");
    assert_eq!(r.header("x-forwarded-port"), "80");
    assert_eq!(r.header("x-forwarded-server"), "rampart-test");
    assert_eq!(r.header("x-custom"), "kept");
}

#[tokio::test]
async fn trusted_peer_xff_is_appended_to() {
    let up = Upstream::ok().await;
    let spec = ForwardedHeadersSpec {
        trusted_ips: vec!["127.0.0.0/8".into()],
        ..ForwardedHeadersSpec::default()
    };
    let front = serve_with(forwarder(&up.url(), &TransportSpec::default()), spec).await;
    let req = http::Request::get(front.url("/"))
        .header("x-forwarded-for", "203.0.113.9")
        .body(Full::new(Bytes::new()))
        .unwrap();
    send(&client_h1(), req).await;
    assert_eq!(
        up.last_request().unwrap().header("x-forwarded-for"),
        "203.0.113.9, 127.0.0.1"
    );
}

#[tokio::test]
async fn pass_host_header_false_and_preserve_path() {
    let up = Upstream::ok().await;
    let transport = Arc::new(Transport::new(&TransportSpec::default()).unwrap());
    let fwd = Forwarder::new(
        Target::parse(&format!("{}/base/", up.url()), true).unwrap(),
        false,
        transport,
    );
    let front = serve(Arc::new(fwd)).await;
    let req = http::Request::get(front.url("/x"))
        .header("host", "app.test")
        .body(Full::new(Bytes::new()))
        .unwrap();
    send(&client_h1(), req).await;
    let r = up.last_request().unwrap();
    assert_eq!(r.path_and_query(), "/base/x");
    assert_eq!(r.header("host"), up.addr().to_string());
    assert_eq!(r.header("x-forwarded-host"), "app.test");
}

#[tokio::test]
async fn cve_2024_45410_connection_cannot_strip_forwarded_headers_end_to_end() {
    // Attack catalogue B7, as raw bytes (lower-case tokens, two lines, an `_` alias).
    let up = Upstream::ok().await;
    let front = serve(forwarder(&up.url(), &TransportSpec::default())).await;
    let out = raw(
        front.addr,
        b"GET /admin/ HTTP/1.1\r\nHost: app.test\r\n\
          Connection: close, X-Forwarded-Host, X-Forwarded-Port, X-Forwarded-Proto\r\n\
          Connection: x-forwarded-server, x-real-ip, X-Forwarded-For, foo\r\n\
          X_Forwarded_Host: evil\r\nFoo: bar\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let r = up.last_request().unwrap();
    assert_eq!(r.header("x-forwarded-host"), "app.test");
    assert_eq!(r.header("x-forwarded-port"), "80");
    assert_eq!(r.header("x-forwarded-proto"), "http");
    assert_eq!(r.header("x-forwarded-server"), "rampart-test");
    assert_eq!(r.header("x-real-ip"), "127.0.0.1");
    assert_eq!(r.header("x-forwarded-for"), "127.0.0.1");
    assert!(!r.headers.contains_key("x_forwarded_host"));
    assert!(!r.headers.contains_key("foo"));
    assert!(!r.headers.contains_key("connection"));
}

#[tokio::test]
async fn b8_hop_by_hop_headers_never_reach_the_app() {
    let up = Upstream::ok().await;
    let front = serve(forwarder(&up.url(), &TransportSpec::default())).await;
    let out = raw(
        front.addr,
        b"GET /public HTTP/1.1\r\nHost: app.test\r\nConnection: HTTP2-Settings, Foo, close\r\n\
          Keep-Alive: 300\r\nTE: trailers, deflate\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\
          Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eDp5\r\nFoo: bar\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let r = up.last_request().unwrap();
    for gone in [
        "keep-alive",
        "http2-settings",
        "proxy-connection",
        "proxy-authorization",
        "foo",
        "upgrade",
    ] {
        assert!(!r.headers.contains_key(gone), "{gone} reached the app");
    }
    assert_eq!(r.header("te"), "trailers");
}

#[tokio::test]
async fn refused_is_502_and_black_hole_with_response_header_timeout_is_504() {
    let closed = misbehave::closed_port().await;
    let front = serve(forwarder(
        &format!("http://{closed}"),
        &TransportSpec::default(),
    ))
    .await;
    let (status, _, body) = get(&client_h1(), &front.url("/")).await;
    assert_eq!(status, 502);
    assert_eq!(body, "Bad Gateway");

    let hole = Misbehaving::black_hole().await;
    let spec = TransportSpec {
        response_header_timeout: Duration::from_millis(300),
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&hole.url(), &spec)).await;
    let (status, _, body) = get(&client_h1(), &front.url("/")).await;
    assert_eq!(status, 504);
    assert_eq!(body, "Gateway Timeout");

    // The clock starts after the request body is sent: a slow upload is not cut by it.
    let up = Upstream::ok().await;
    let front = serve(forwarder(&up.url(), &spec)).await;
    let (tx, body) = reply::Channel::new();
    let sender = tokio::spawn(async move {
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            tx.send(Ok(http_body::Frame::data(Bytes::from_static(b"slow"))))
                .await
                .unwrap();
        }
    });
    let client = Client::builder(TokioExecutor::new()).build_http::<reply::Channel>();
    let res = client
        .request(http::Request::post(front.url("/up")).body(body).unwrap())
        .await
        .unwrap();
    sender.await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(up.last_request().unwrap().body, "slowslowslow");
}

#[tokio::test]
async fn slow_headers_within_the_timeout_are_fine() {
    let slow = Misbehaving::slow_headers(Duration::from_millis(100)).await;
    let spec = TransportSpec {
        response_header_timeout: Duration::from_secs(5),
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&slow.url(), &spec)).await;
    let (status, _, body) = get(&client_h1(), &front.url("/")).await;
    assert_eq!((status.as_u16(), &body[..]), (200, &b"late"[..]));
}

#[tokio::test]
async fn body_cut_mid_way_aborts_the_client_response() {
    // R6 / E9: never a clean short 200.
    let bad = Misbehaving::truncated_body(1000, 100).await;
    let front = serve(forwarder(&bad.url(), &TransportSpec::default())).await;
    let res = client_h1()
        .request(
            http::Request::get(front.url("/"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let err = tokio::time::timeout(common::DEADLINE, res.into_body().collect())
        .await
        .unwrap();
    assert!(err.is_err(), "the client saw a complete body");
}

#[tokio::test]
async fn a_connection_whose_body_failed_is_not_reused() {
    let up = Upstream::start(|req| async move {
        if req.uri().path() == "/fail" {
            let (tx, body) = reply::Channel::new();
            tokio::spawn(async move {
                let _ = tx
                    .send(Ok(http_body::Frame::data(Bytes::from_static(b"part"))))
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = tx.send(Err("upstream broke".into())).await;
            });
            http::Response::new(reply::boxed(body))
        } else {
            reply::text(200, "fine")
        }
    })
    .await;
    let front = serve(forwarder(&up.url(), &TransportSpec::default())).await;
    let client = client_h1();
    let (s, _, _) = get(&client, &front.url("/ok")).await;
    assert_eq!(s, 200);
    let (s, _, _) = get(&client, &front.url("/ok")).await;
    assert_eq!(s, 200);
    assert_eq!(up.connections(), 1, "keep-alive connections are pooled");
    let res = client
        .request(
            http::Request::get(front.url("/fail"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(res.into_body().collect().await.is_err());
    let (s, _, body) = get(&client_h1(), &front.url("/ok")).await;
    assert_eq!((s.as_u16(), &body[..]), (200, &b"fine"[..]));
    assert_eq!(
        up.connections(),
        2,
        "the broken connection went back to the pool"
    );
}

#[tokio::test]
async fn h2_client_to_h2c_upstream_with_trailers() {
    let up = Upstream::start_with(Options::new().http2_only(), |req| async move {
        assert_eq!(req.version(), http::Version::HTTP_2);
        let mut trailers = http::HeaderMap::new();
        trailers.insert("grpc-status", "0".parse().unwrap());
        let body = reply::Generated::new(10, 4).trailers(trailers);
        http::Response::new(reply::boxed(body))
    })
    .await;
    let front = serve(forwarder(&up.h2c_url(), &TransportSpec::default())).await;
    let res = client_h2()
        .request(
            http::Request::get(front.url("/svc/Method"))
                .header("te", "trailers")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.version(), http::Version::HTTP_2);
    let collected = res.into_body().collect().await.unwrap();
    assert_eq!(collected.trailers().unwrap()["grpc-status"], "0");
    assert_eq!(collected.to_bytes().len(), 10);
    let r = up.last_request().unwrap();
    assert_eq!(r.version, http::Version::HTTP_2);
    assert_eq!(r.header("te"), "trailers");
}

#[tokio::test]
async fn h1_trailers_both_ways() {
    let up = Upstream::start(|req| async move {
        let mut trailers = http::HeaderMap::new();
        let got = req.body().len().to_string();
        trailers.insert("x-checksum", got.parse().unwrap());
        let mut res =
            http::Response::new(reply::boxed(reply::Generated::new(3, 3).trailers(trailers)));
        res.headers_mut()
            .insert("trailer", "x-checksum".parse().unwrap());
        res
    })
    .await;
    let front = serve(forwarder(&up.url(), &TransportSpec::default())).await;
    let out = raw(
        front.addr,
        b"POST / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nTrailer: x-sent\r\n\
          Transfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\nx-sent: yes\r\n\r\n",
    )
    .await;
    assert!(out.contains("x-checksum: 4"), "{out}");
    let r = up.last_request().unwrap();
    assert_eq!(r.body, "body");
    assert_eq!(r.trailers.unwrap()["x-sent"], "yes");
}

#[tokio::test]
async fn tls_upstream_over_h2_with_root_cas_server_name_and_insecure() {
    let ca = TestCa::new("upstream ca");
    let cert = ca.server_cert(&["backend.internal"]);
    let up = Upstream::start_with(Options::new().tls(cert.server_config()), |req| async move {
        reply::text(200, format!("{:?}", req.version()))
    })
    .await;
    let url = up.url();

    let spec = TransportSpec {
        root_cas: vec![ca.cert_pem().to_owned()],
        server_name: Some("backend.internal".into()),
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&url, &spec)).await;
    let (s, _, body) = get(&client_h1(), &front.url("/")).await;
    assert_eq!((s.as_u16(), &body[..]), (200, &b"HTTP/2.0"[..]));

    let spec = TransportSpec {
        root_cas: vec![ca.cert_pem().to_owned()],
        server_name: Some("backend.internal".into()),
        disable_http2: true,
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&url, &spec)).await;
    let (_, _, body) = get(&client_h1(), &front.url("/")).await;
    assert_eq!(body, "HTTP/1.1");

    // The certificate does not name 127.0.0.1 and the CA is unknown: refused, 502.
    let front = serve(forwarder(&url, &TransportSpec::default())).await;
    let (s, _, _) = get(&client_h1(), &front.url("/")).await;
    assert_eq!(s, 502);

    let spec = TransportSpec {
        insecure_skip_verify: true,
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&url, &spec)).await;
    let (s, _, _) = get(&client_h1(), &front.url("/")).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn transport_errors_name_the_option() {
    let spec = TransportSpec {
        root_cas: vec!["/nonexistent/ca.pem".into()],
        ..TransportSpec::default()
    };
    let err = Transport::new(&spec).unwrap_err();
    assert!(err.to_string().contains("rootCAs"), "{err}");
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}

#[tokio::test]
async fn expect_100_continue_gets_its_interim_response() {
    let up = Upstream::ok().await;
    let front = serve(forwarder(&up.url(), &TransportSpec::default())).await;
    let mut tcp = tokio::net::TcpStream::connect(front.addr).await.unwrap();
    tcp.write_all(
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(common::DEADLINE, tcp.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let first = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(first.starts_with("HTTP/1.1 100 Continue"), "{first}");
    tcp.write_all(b"data").await.unwrap();
    let n = tokio::time::timeout(common::DEADLINE, tcp.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let rest = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(
        rest.contains("200 OK") || first.contains("200 OK"),
        "{first}{rest}"
    );
    assert_eq!(up.last_request().unwrap().body, "data");
}

#[tokio::test]
async fn dial_timeout_is_504() {
    // A listener whose accept queue is full drops further SYNs, so connecting hangs: the dial
    // timeout must answer, with Traefik's 504.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        if let Ok(Ok(c)) = tokio::time::timeout(Duration::from_millis(200), s.connect(addr)).await {
            fillers.push(c);
        }
    }
    let spec = TransportSpec {
        dial_timeout: Duration::from_millis(300),
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&format!("http://{addr}"), &spec)).await;
    let (status, _, _) = get(&client_h1(), &front.url("/")).await;
    assert_eq!(status, 504);
    drop(listener);
}

#[tokio::test]
async fn h2_client_to_tls_h2_upstream() {
    let ca = TestCa::new("upstream ca");
    let cert = ca.server_cert(&["127.0.0.1"]);
    let up = Upstream::start_with(Options::new().tls(cert.server_config()), |req| async move {
        reply::text(200, format!("{:?} {}", req.version(), req.uri().path()))
    })
    .await;
    let spec = TransportSpec {
        root_cas: vec![ca.cert_pem().to_owned()],
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&up.url(), &spec)).await;
    let (status, _, body) = get(&client_h2(), &front.url("/grpc.Svc/Call")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "HTTP/2.0 /grpc.Svc/Call");
    let r = up.last_request().unwrap();
    assert_eq!(r.header("x-forwarded-proto"), "http");
    assert_eq!(r.header("x-forwarded-for"), "127.0.0.1");
}

#[test]
fn a_transport_can_be_built_outside_a_runtime() {
    // The config compiler may build transports before the runtime runs: no panic.
    let transport = Transport::new(&TransportSpec::default()).unwrap();
    assert!(transport.response_header_timeout().is_none());
}

#[tokio::test]
async fn client_certificates_are_presented_to_the_upstream() {
    // mTLS to the upstream: the server requires a certificate from the test CA.
    let ca = TestCa::new("mtls ca");
    let server = ca.server_cert(&["127.0.0.1"]);
    let client = ca.client_cert("rampart");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(ca.root_store()),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    .unwrap();
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_client_cert_verifier(verifier)
    .with_single_cert(vec![server.cert_der.clone()], server.key())
    .unwrap();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let up = Upstream::start_with(Options::new().tls(Arc::new(cfg)), |_| async {
        reply::text(200, "mutual")
    })
    .await;

    let mut spec = TransportSpec {
        root_cas: vec![ca.cert_pem().to_owned()],
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&up.url(), &spec)).await;
    assert_eq!(
        get(&client_h1(), &front.url("/")).await.0,
        502,
        "no client certificate"
    );

    spec.certificates = vec![rampart::service::CertificateSpec::new(
        client.cert_pem.clone(),
        client.key_pem.clone(),
    )];
    let front = serve(forwarder(&up.url(), &spec)).await;
    let (status, _, body) = get(&client_h1(), &front.url("/")).await;
    assert_eq!((status.as_u16(), &body[..]), (200, &b"mutual"[..]));
}
