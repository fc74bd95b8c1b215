//! The upstream connection pools: reuse, limits, idle timeout, stale connections, and the
//! HTTP/2 `:authority` that `passHostHeader` decides.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{client_h1, get, send, serve};
use http_body_util::Full;
use rampart::service::{Forwarder, Target, Transport, TransportSpec};
use rampart_testkit::{Misbehaving, Options, Upstream, reply};

fn forwarder(url: &str, pass_host: bool, spec: &TransportSpec) -> Arc<Forwarder> {
    let transport = Arc::new(Transport::new(spec).unwrap());
    Arc::new(Forwarder::new(
        Target::parse(url, false).unwrap(),
        pass_host,
        transport,
    ))
}

async fn get_host(front: &common::Front, host: &str) -> http::StatusCode {
    let req = http::Request::get(front.url("/x"))
        .header("host", host)
        .body(Full::new(Bytes::new()))
        .unwrap();
    send(&client_h1(), req).await.0
}

#[tokio::test]
async fn h2_authority_is_the_client_host_with_pass_host_header() {
    let up = Upstream::start_with(Options::new().http2_only(), |_| async {
        reply::text(200, "ok")
    })
    .await;
    let front = serve(forwarder(&up.h2c_url(), true, &TransportSpec::default())).await;
    assert_eq!(get_host(&front, "app.test").await, 200);
    let r = up.last_request().unwrap();
    assert_eq!(r.version, http::Version::HTTP_2);
    assert_eq!(r.uri.authority().unwrap(), "app.test");
    assert!(
        !r.headers.contains_key("host"),
        "Host rides as :authority on HTTP/2"
    );

    let front = serve(forwarder(&up.h2c_url(), false, &TransportSpec::default())).await;
    assert_eq!(get_host(&front, "app.test").await, 200);
    let r = up.last_request().unwrap();
    assert_eq!(r.uri.authority().unwrap().as_str(), up.addr().to_string());
    assert_eq!(r.header("x-forwarded-host"), "app.test");
    assert_eq!(
        up.connections(),
        2,
        "one multiplexed connection per transport"
    );
}

#[tokio::test]
async fn negative_max_idle_keeps_no_connection_and_idle_ones_time_out() {
    let up = Upstream::ok().await;
    let spec = TransportSpec {
        max_idle_conns_per_host: -1,
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&up.url(), true, &spec)).await;
    for _ in 0..3 {
        assert_eq!(get(&client_h1(), &front.url("/")).await.0, 200);
    }
    assert_eq!(up.connections(), 3);

    let up = Upstream::ok().await;
    let spec = TransportSpec {
        idle_conn_timeout: Duration::from_millis(150),
        ..TransportSpec::default()
    };
    let front = serve(forwarder(&up.url(), true, &spec)).await;
    assert_eq!(get(&client_h1(), &front.url("/")).await.0, 200);
    assert_eq!(get(&client_h1(), &front.url("/")).await.0, 200);
    assert_eq!(up.connections(), 1, "reused while fresh");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(&client_h1(), &front.url("/")).await.0, 200);
    assert_eq!(
        up.connections(),
        2,
        "the idle connection was closed after the timeout"
    );
}

#[tokio::test]
async fn a_connection_the_server_closed_while_idle_is_not_used() {
    // Answers with keep-alive, then closes: the pooled connection is dead by the next request.
    let server = Misbehaving::raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
    let front = serve(forwarder(&server.url(), true, &TransportSpec::default())).await;
    for _ in 0..3 {
        let (status, _, body) = get(&client_h1(), &front.url("/")).await;
        assert_eq!((status.as_u16(), &body[..]), (200, &b"ok"[..]));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn concurrent_requests_share_the_pool() {
    let up = Upstream::start(|_| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        reply::text(200, "ok")
    })
    .await;
    let front = Arc::new(serve(forwarder(&up.url(), true, &TransportSpec::default())).await);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let front = front.clone();
        tasks.push(tokio::spawn(async move {
            get(&client_h1(), &front.url("/")).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(up.request_count(), 20);
    assert!(up.connections() <= 20);
    // A second wave reuses what the first left idle.
    let before = up.connections();
    for _ in 0..5 {
        assert_eq!(get(&client_h1(), &front.url("/")).await.0, 200);
    }
    assert_eq!(up.connections(), before);
}

#[tokio::test]
async fn r6_an_unrequested_extra_response_never_answers_the_next_request() {
    let server = Misbehaving::extra_response().await;
    let front = serve(forwarder(&server.url(), true, &TransportSpec::default())).await;
    let client = client_h1();
    for _ in 0..20 {
        let (status, _, body) = get(&client, &front.url("/")).await;
        assert_eq!(
            (status.as_u16(), &body[..]),
            (200, &b"ok"[..]),
            "desynced connection reused"
        );
    }
}
