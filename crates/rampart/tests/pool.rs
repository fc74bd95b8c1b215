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

/// An HTTP/1.1 server answering `ok` after `delay`, counting the connections it saw close.
async fn counting_server(delay: Duration) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let closed = Arc::new(AtomicUsize::new(0));
    let counter = closed.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let counter = counter.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |_req| async move {
                    tokio::time::sleep(delay).await;
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(b"ok"),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc)
                    .await;
                counter.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    (url, closed)
}

#[tokio::test]
async fn idle_connections_beyond_max_idle_conns_per_host_are_closed() {
    use std::sync::atomic::Ordering;
    let (url, closed) = counting_server(Duration::from_millis(200)).await;
    let spec = TransportSpec {
        max_idle_conns_per_host: 1,
        ..TransportSpec::default()
    };
    let front = Arc::new(serve(forwarder(&url, true, &spec)).await);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let front = front.clone();
        tasks.push(tokio::spawn(async move {
            get(&client_h1(), &front.url("/")).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    // Four connections were needed at once; once idle, only one may stay open.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while closed.load(Ordering::SeqCst) < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(closed.load(Ordering::SeqCst), 3, "idle connections kept");
    // The one kept is reused.
    assert_eq!(get(&client_h1(), &front.url("/")).await.0, 200);
    assert_eq!(closed.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_busy_connection_is_never_given_a_second_request() {
    // After a warm-up, two requests at once on a pool with one idle connection: the upstream
    // answers neither until both have arrived, so if the second were queued behind the first
    // on the same connection, neither would ever be answered.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let warm = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (b, w) = (barrier.clone(), warm.clone());
    let up = Upstream::start(move |_| {
        let (b, w) = (b.clone(), w.clone());
        async move {
            if w.load(std::sync::atomic::Ordering::SeqCst) {
                b.wait().await;
            }
            reply::text(200, "ok")
        }
    })
    .await;
    let front = Arc::new(serve(forwarder(&up.url(), true, &TransportSpec::default())).await);
    assert_eq!(get(&client_h1(), &front.url("/")).await.0, 200);
    assert_eq!(up.connections(), 1);
    warm.store(true, std::sync::atomic::Ordering::SeqCst);
    let (c1, c2, url) = (client_h1(), client_h1(), front.url("/"));
    let both = async { tokio::join!(get(&c1, &url), get(&c2, &url)) };
    let (a, b) = tokio::time::timeout(Duration::from_secs(20), both)
        .await
        .expect("both requests answered: they did not share a connection");
    assert_eq!((a.0, b.0), (http::StatusCode::OK, http::StatusCode::OK));
    assert_eq!(
        up.connections(),
        2,
        "the second request dialled its own connection"
    );
}
