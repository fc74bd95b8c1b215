//! The guide's `chain-no-auth` (rate limit, secure headers, compress) per request — supports
//! the decision to keep the whole chain on every router of the guide (issue 5) rather than
//! only on some.
//!
//! The chain is built the way the compiler builds it (`Builder`, definitions in the guide's
//! shape, a fresh instance per router) and runs one request to an in-process endpoint, the
//! response body drained. Rows:
//!
//! * `baseline_no_middleware` — the endpoint alone (small HTML page).
//! * `chain_small_page` — the chain, a 512-byte page (under compress's 1024-byte minimum: the
//!   rate limiter and the headers do their work, compress decides not to).
//! * `chain_64KiB_gzip` vs `baseline_64KiB` — a browser's `Accept-Encoding`, a 64 KiB HTML
//!   page compressed with gzip (the guide's default order picks gzip).
//! * `refused_429` — the guide's exact limiter with its bucket empty: the 429 path.
//!
//! The passing rows use `average: 1000000000` instead of the guide's 100 so that the bucket
//! never empties during the run (the per-request work of the token bucket is the same).
//!
//! `cargo bench -p rampart-benches --bench guide_chain`; numbers in BENCHMARKS.md.

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::BodyExt;
use rampart::middleware::{BoxFuture, Builder, Chain, Endpoint, Registry};
use rampart::{Body, Request, Response};

struct App(Bytes);

impl Endpoint for App {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        let mut res = Response::new(Body::from(self.0.clone()));
        let h = res.headers_mut();
        h.insert("content-type", "text/html; charset=utf-8".parse().unwrap());
        h.insert("content-length", self.0.len().into());
        h.insert("server", "whoami/1.10".parse().unwrap());
        Box::pin(async move { res })
    }
}

/// The guide's middleware files, as the file provider hands them to the builder.
fn definitions(average: u64) -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "chain-no-auth@file",
            serde_json::json!({"chain": {"middlewares": [
                "middlewares-rate-limit", "middlewares-secure-headers", "middlewares-compress"
            ]}}),
        ),
        (
            "middlewares-rate-limit@file",
            serde_json::json!({"rateLimit": {"average": average, "burst": 50}}),
        ),
        (
            "middlewares-secure-headers@file",
            serde_json::json!({"headers": {
                "accessControlAllowMethods": ["GET", "OPTIONS", "PUT"],
                "accessControlMaxAge": 100,
                "hostsProxyHeaders": ["X-Forwarded-Host"],
                "stsSeconds": 63_072_000,
                "stsIncludeSubdomains": true,
                "stsPreload": true,
                "forceSTSHeader": true,
                "customFrameOptionsValue": "allow-from https:domain.tld",
                "contentTypeNosniff": true,
                "browserXssFilter": true,
                "referrerPolicy": "same-origin",
                "permissionsPolicy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
                "customResponseHeaders": {
                    "X-Robots-Tag": "none,noarchive,nosnippet,notranslate,noimageindex,",
                    "server": ""
                }
            }}),
        ),
        (
            "middlewares-compress@file",
            serde_json::json!({"compress": {}}),
        ),
    ]
}

fn chain(registry: &Registry, average: u64, app: App) -> Chain {
    let mut builder = Builder::new(registry);
    for (name, def) in definitions(average) {
        let value: rampart_config::Value =
            serde_json::from_value(def).expect("definitions are config trees");
        builder
            .define_value(name, &value)
            .expect("the guide's definitions");
    }
    builder
        .fresh()
        .chain("app-rtr@file", ["chain-no-auth@file"], Arc::new(app))
        .expect("the guide's chain builds")
}

fn page(len: usize) -> Bytes {
    let line = b"<tr><td>rampart</td><td>a line of an HTML table</td></tr>\n";
    Bytes::from(line.iter().copied().cycle().take(len).collect::<Vec<u8>>())
}

fn request(accept_encoding: Option<&str>) -> Request {
    let mut b = http::Request::builder()
        .uri("/dashboard")
        .header("host", "app.domain.tld")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0",
        );
    if let Some(ae) = accept_encoding {
        b = b.header("accept-encoding", ae);
    }
    b.body(Body::empty()).unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let registry = Registry::with_builtins();
    let run = |chain: &Chain, req: Request| {
        rt.block_on(async {
            let res = chain.call(req).await;
            black_box(res.into_body().collect().await.unwrap().to_bytes().len())
        })
    };
    let none = |app| Chain::new(Vec::new(), Arc::new(app));

    let mut g = c.benchmark_group("guide_chain");
    let small = none(App(page(512)));
    g.bench_function("baseline_no_middleware", |b| {
        b.iter(|| run(&small, request(None)));
    });
    let guide_small = chain(&registry, 1_000_000_000, App(page(512)));
    g.bench_function("chain_small_page", |b| {
        b.iter(|| run(&guide_small, request(None)));
    });
    let refused = chain(&registry, 100, App(page(512)));
    for _ in 0..200 {
        run(&refused, request(None));
    }
    assert_eq!(
        rt.block_on(refused.call(request(None))).status(),
        429,
        "the guide's bucket is empty"
    );
    g.bench_function("refused_429", |b| {
        b.iter(|| run(&refused, request(None)));
    });
    g.finish();

    let body = page(64 * 1024);
    let mut g = c.benchmark_group("guide_chain_64KiB");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.sample_size(30);
    let big = none(App(body.clone()));
    g.bench_function("baseline", |b| {
        b.iter(|| run(&big, request(Some("gzip, deflate, br, zstd"))));
    });
    let guide_big = chain(&registry, 1_000_000_000, App(body));
    assert_eq!(
        rt.block_on(guide_big.call(request(Some("gzip, deflate, br, zstd"))))
            .headers()["content-encoding"],
        "gzip"
    );
    g.bench_function("chain_gzip", |b| {
        b.iter(|| run(&guide_big, request(Some("gzip, deflate, br, zstd"))));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
