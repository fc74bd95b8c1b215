//! `whoami@internal`, `noop@internal` and `ping@internal` behind a real front.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{client_h1, get, serve, serve_with};
use rampart::entrypoint::ForwardedHeadersSpec;
use rampart::service::internal::{Noop, Ping, Whoami};
use rampart::service::{Forwarder, Target, Transport, TransportSpec};
use rampart_testkit::Upstream;

#[tokio::test]
async fn whoami_echoes_the_request_as_traefik_whoami() {
    let front = serve(Arc::new(Whoami::new())).await;
    let (status, _, body) = get(&client_h1(), &front.url("/who?am=i")).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("Hostname: "), "{text}");
    assert!(text.contains("IP: 127.0.0.1\n"), "{text}");
    assert!(text.contains("RemoteAddr: 127.0.0.1:"), "{text}");
    assert!(text.contains("GET /who?am=i HTTP/1.1\r\n"), "{text}");
    assert!(
        text.contains(&format!("Host: {}\r\n", front.addr)),
        "{text}"
    );
    // The entrypoint's headers are part of the request whoami sees.
    assert!(text.contains("X-Forwarded-Proto: http\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "{text}");
}

#[tokio::test]
async fn noop_is_418_and_ping_follows_the_shutdown_flag() {
    let front = serve(Arc::new(Noop)).await;
    let (status, _, body) = get(&client_h1(), &front.url("/")).await;
    assert_eq!((status.as_u16(), body.len()), (418, 0));

    let stopping = Arc::new(AtomicBool::new(false));
    let front = serve(Arc::new(Ping::new(stopping.clone()))).await;
    let (status, _, body) = get(&client_h1(), &front.url("/ping")).await;
    assert_eq!((status.as_u16(), &body[..]), (200, &b"OK"[..]));
    stopping.store(true, Ordering::SeqCst);
    let (status, _, _) = get(&client_h1(), &front.url("/ping")).await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn not_append_x_forwarded_for_leaves_the_header_alone() {
    let up = Upstream::ok().await;
    let transport = Arc::new(Transport::new(&TransportSpec::default()).unwrap());
    let fwd = Arc::new(Forwarder::new(
        Target::parse(&up.url(), false).unwrap(),
        true,
        transport,
    ));
    let spec = ForwardedHeadersSpec {
        insecure: true,
        not_append_x_forwarded_for: true,
        ..ForwardedHeadersSpec::default()
    };
    let front = serve_with(fwd, spec).await;
    let req = http::Request::get(front.url("/"))
        .header("x-forwarded-for", "203.0.113.9")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    common::send(&client_h1(), req).await;
    assert_eq!(
        up.last_request().unwrap().header("x-forwarded-for"),
        "203.0.113.9"
    );
}
