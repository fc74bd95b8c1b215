//! The whole proxy over loopback: client → rampart (listener, connection driver, entrypoint
//! stage, routing, load balancer) → upstream, next to the same client talking to the upstream
//! directly.
//!
//! Decisions these numbers support:
//! * The connection driver (`bins/rampart/src/server/`: responding timeouts, keep-alive limits,
//!   drain tracking) keeps per-connection state that every request updates (a lock, two wake-ups
//!   of the driver), and wraps every request body and response body. That must not cost a
//!   visible share of a proxied round trip: `*_traefik_timeouts` (readTimeout 60s, idleTimeout
//!   180s, the defaults) against `*_no_timeouts` (every limit 0: the same bookkeeping, no
//!   deadline) tells the deadlines' share; both against `direct_*` the whole proxy's.
//!
//! Run: `cargo bench -p rampart-benches --bench proxy_e2e`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::SocketAddr;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rampart::middleware::Registry;
use rampart_proxy::{Options, Running};
use rampart_testkit::{Upstream, reply};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Starts the proxy with `transport` under the entrypoint, routing `app.test` to `up`.
async fn proxy(dir: &std::path::Path, transport: &str, up: &str) -> Running {
    std::fs::create_dir_all(dir.join("rules")).expect("dir");
    std::fs::write(
        dir.join("rampart.yaml"),
        format!(
            "entryPoints:\n  web:\n    address: \"127.0.0.1:0\"\n    transport:\n{transport}\nproviders:\n  file:\n    directory: \"{}/rules\"\n    watch: false\n",
            dir.display()
        ),
    )
    .expect("static");
    std::fs::write(
        dir.join("rules/app.yaml"),
        format!(
            "http:\n  routers:\n    app:\n      rule: \"Host(`app.test`) || Host(`127.0.0.1`)\"\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: \"{up}\"\n"
        ),
    )
    .expect("dynamic");
    rampart_proxy::start(Options {
        args: vec![format!(
            "--configFile={}",
            dir.join("rampart.yaml").display()
        )],
        env: BTreeMap::new(),
        registry: Registry::with_builtins(),
        install_logging: false,
    })
    .await
    .expect("proxy starts")
}

/// A browser-like request; over HTTP/2 the `:authority` (the address) names the host, over
/// HTTP/1.1 the `Host` header does.
fn request(addr: SocketAddr, method: &str, body: &Bytes, h2: bool) -> http::Request<Full<Bytes>> {
    let builder = http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}/dashboard?tab=1"));
    let builder = if h2 {
        builder
    } else {
        builder.header("host", "app.test")
    };
    builder
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        )
        .header("accept", "text/html,application/xhtml+xml")
        .header("cookie", "authentik_proxy_abc=0123456789abcdef; theme=dark")
        .body(Full::new(body.clone()))
        .expect("request")
}

fn e2e(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    let (up, with, without) = rt.block_on(async {
        let up = Upstream::start(|req| async move {
            reply::text(200, format!("{} bytes", req.body().len()))
        })
        .await;
        let with = proxy(
            dirs[0].path(),
            "      respondingTimeouts:\n        readTimeout: 60s\n        idleTimeout: 180s",
            &up.url(),
        )
        .await;
        let without = proxy(
            dirs[1].path(),
            "      respondingTimeouts:\n        readTimeout: 0\n        writeTimeout: 0\n        idleTimeout: 0",
            &up.url(),
        )
        .await;
        (up, with, without)
    });
    let h1: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let h2: HttpClient = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let empty = Bytes::new();
    let kib = Bytes::from(vec![b'x'; 1024]);
    let cases: [(&str, &HttpClient, SocketAddr, &str, &Bytes); 6] = [
        ("direct_h1_get", &h1, up.addr(), "GET", &empty),
        (
            "proxy_h1_get_traefik_timeouts",
            &h1,
            with.addr("web").expect("web"),
            "GET",
            &empty,
        ),
        (
            "proxy_h1_get_no_timeouts",
            &h1,
            without.addr("web").expect("web"),
            "GET",
            &empty,
        ),
        (
            "proxy_h1_post_1k_traefik_timeouts",
            &h1,
            with.addr("web").expect("web"),
            "POST",
            &kib,
        ),
        (
            "proxy_h1_post_1k_no_timeouts",
            &h1,
            without.addr("web").expect("web"),
            "POST",
            &kib,
        ),
        (
            "proxy_h2c_get_traefik_timeouts",
            &h2,
            with.addr("web").expect("web"),
            "GET",
            &empty,
        ),
    ];
    let mut g = c.benchmark_group("e2e");
    for (name, client, addr, method, body) in cases {
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let res = client
                        .request(request(addr, method, body, name.contains("h2c")))
                        .await
                        .expect("response");
                    assert_eq!(res.status(), 200);
                    black_box(res.into_body().collect().await.expect("body"));
                });
            });
        });
    }
    g.finish();
    rt.block_on(async {
        with.stop().await;
        without.stop().await;
    });
    drop(up);
}

criterion_group!(benches, e2e);
criterion_main!(benches);
