//! Proxying hot paths.
//!
//! Decisions these numbers support:
//! * `entrypoint/*` and `hop/*`: the forwarded-headers stage and hop-by-hop stripping run on
//!   every request, per request, from the `Connection`/`X-Forwarded-*` headers as they come —
//!   no per-connection cache of computed values. If they cost a visible share of a loopback
//!   round trip, that decision is wrong.
//! * `roundtrip/*`: rampart's own pool over hyper's conn API (needed for HTTP/2 `:authority`,
//!   see `service/pool.rs`) must not cost more than hyper-util's pooled client: the whole
//!   `LoadBalancer` → upstream → response path on loopback (HTTP/1.1 and h2c), next to a bare
//!   hyper-util legacy client doing the same GET with no proxy work at all.
//!
//! Run: `cargo bench -p rampart-benches --bench forwarded`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use rampart::entrypoint::{ForwardedHeaders, ForwardedHeadersSpec};
use rampart::middleware::Endpoint;
use rampart::service::{LoadBalancer, LoadBalancerSpec, ServerSpec, Transport, TransportSpec};
use rampart::{Body, ConnInfo, Request};
use rampart_testkit::{Upstream, reply};

fn browser_request(extra: &[(&str, &str)]) -> Request {
    let mut b = http::Request::builder()
        .uri("/dashboard?tab=1")
        .header("host", "app.example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        )
        .header("accept", "text/html,application/xhtml+xml")
        .header("accept-language", "en-GB,en;q=0.5")
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .header("cookie", "authentik_proxy_abc=0123456789abcdef; theme=dark")
        .header("connection", "keep-alive");
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    let mut req = b.body(Body::empty()).expect("valid request");
    req.extensions_mut().insert(Arc::new(ConnInfo::plain(
        "203.0.113.7:51000".parse().expect("addr"),
        "websecure",
    )));
    req
}

fn entrypoint(c: &mut Criterion) {
    let untrusted = ForwardedHeaders::new(&ForwardedHeadersSpec::default()).expect("stage");
    let trusted = ForwardedHeaders::new(&ForwardedHeadersSpec {
        trusted_ips: vec!["203.0.113.0/24".into()],
        ..ForwardedHeadersSpec::default()
    })
    .expect("stage");
    let mut g = c.benchmark_group("entrypoint");
    g.bench_function("untrusted_browser_request", |b| {
        b.iter_batched(
            || browser_request(&[]),
            |mut req| {
                untrusted.apply(&mut req);
                black_box(req)
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("untrusted_spoofed_and_connection_listed", |b| {
        let spoof = [
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-host", "admin.internal"),
            ("x-forwarded-proto", "https"),
            ("x_forwarded_for", "10.0.0.2"),
            ("connection", "close, x-forwarded-host, x-real-ip, foo"),
            ("foo", "bar"),
        ];
        b.iter_batched(
            || browser_request(&spoof),
            |mut req| {
                untrusted.apply(&mut req);
                black_box(req)
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("trusted_proxy_chain", |b| {
        let chain = [
            ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-for", "198.51.100.2"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "app.example.com"),
        ];
        b.iter_batched(
            || browser_request(&chain),
            |mut req| {
                trusted.apply(&mut req);
                black_box(req)
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("baseline_clone_only", |b| {
        // What building the input costs: subtract it from the rows above.
        b.iter_batched(|| browser_request(&[]), black_box, BatchSize::SmallInput);
    });
    g.finish();
}

fn hop(c: &mut Criterion) {
    let mut g = c.benchmark_group("hop");
    let clean = browser_request(&[]).headers().clone();
    let mut clean_no_conn = clean.clone();
    clean_no_conn.remove("connection");
    let dirty: HeaderMap = browser_request(&[
        ("connection", "close, foo, x-forwarded-host"),
        ("keep-alive", "300"),
        ("te", "trailers"),
        ("proxy-authorization", "Basic eDp5"),
        ("foo", "bar"),
    ])
    .headers()
    .clone();
    for (name, headers) in [
        ("strip_request_no_hop_headers", clean_no_conn),
        ("strip_request_keep_alive", clean),
        ("strip_request_many", dirty),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || headers.clone(),
                |mut h| {
                    black_box(rampart::service::hop::strip_request(&mut h));
                    h
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
}

fn roundtrip(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (up, lb_h1, lb_h2c) = rt.block_on(async {
        let up = Upstream::start(|_| async { reply::text(200, "ok") }).await;
        let transport = Arc::new(Transport::new(&TransportSpec::default()).expect("transport"));
        let h1 = LoadBalancer::new(
            "bench@file",
            LoadBalancerSpec::new(vec![ServerSpec::new(up.url())], transport.clone()),
        )
        .expect("lb");
        let h2c = LoadBalancer::new(
            "bench-h2c@file",
            LoadBalancerSpec::new(vec![ServerSpec::new(up.h2c_url())], transport),
        )
        .expect("lb");
        (up, h1, h2c)
    });
    let bare = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let bare_uri: http::Uri = format!("{}/dashboard?tab=1", up.url())
        .parse()
        .expect("uri");
    let mut g = c.benchmark_group("roundtrip");
    g.bench_function("bare_hyper_util_client_h1_get", |b| {
        b.iter(|| {
            rt.block_on(async {
                let res = bare.get(bare_uri.clone()).await.expect("response");
                let body = http_body_util::BodyExt::collect(res.into_body())
                    .await
                    .expect("body");
                black_box(body);
            });
        });
    });
    for (name, lb) in [
        ("loadbalancer_h1_get", &lb_h1),
        ("loadbalancer_h2c_get", &lb_h2c),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let res = lb.call(browser_request(&[])).await;
                    assert_eq!(res.status(), 200);
                    let body = http_body_util::BodyExt::collect(res.into_body())
                        .await
                        .expect("body");
                    black_box(body);
                });
            });
        });
    }
    g.finish();
    drop(up);
}

criterion_group!(benches, entrypoint, hop, roundtrip);
criterion_main!(benches);
