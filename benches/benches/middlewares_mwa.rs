//! Middlewares of catalogue part A (headers, compress, stripPrefix) on the request path.
//!
//! Decision supported: whether these middlewares may stay in every chain of the guide
//! (`chain-no-auth`: rate limit, secure headers, compress) without a measurable cost per request
//! next to proxying, and which compression encoding to recommend for text responses. Each
//! iteration runs one request through the middleware to an in-process endpoint and drains the
//! response body.

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::BodyExt;
use rampart::middleware::builtin::compress::{Compress, CompressConfig};
use rampart::middleware::builtin::headers::{Headers, HeadersConfig};
use rampart::middleware::builtin::strip_prefix::{StripPrefix, StripPrefixConfig};
use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
use rampart::{Body, Request, Response};

struct App(Bytes);

impl Endpoint for App {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        let mut res = Response::new(Body::from(self.0.clone()));
        res.headers_mut()
            .insert("content-type", "text/html; charset=utf-8".parse().unwrap());
        res.headers_mut()
            .insert("server", "upstream".parse().unwrap());
        Box::pin(async move { res })
    }
}

fn guide_secure_headers() -> HeadersConfig {
    let mut c = HeadersConfig {
        access_control_allow_methods: vec!["GET".into(), "OPTIONS".into(), "PUT".into()],
        access_control_max_age: Some(100),
        hosts_proxy_headers: vec!["X-Forwarded-Host".into()],
        sts_seconds: Some(63_072_000),
        sts_include_subdomains: true,
        sts_preload: true,
        force_sts_header: true,
        custom_frame_options_value: "allow-from https:example.com".into(),
        content_type_nosniff: true,
        browser_xss_filter: true,
        referrer_policy: "same-origin".into(),
        permissions_policy: "camera=(), microphone=(), geolocation=(), payment=(), usb=()".into(),
        ..HeadersConfig::default()
    };
    c.custom_response_headers.insert(
        "X-Robots-Tag".into(),
        Some("none,noarchive,nosnippet,notranslate,noimageindex,".into()),
    );
    c.custom_response_headers.insert("server".into(), None);
    c
}

fn page(len: usize) -> Bytes {
    let line = b"<tr><td>rampart</td><td>a line of an HTML table</td></tr>\n";
    Bytes::from(line.iter().copied().cycle().take(len).collect::<Vec<u8>>())
}

fn request(accept_encoding: Option<&str>) -> Request {
    let mut b = http::Request::builder()
        .uri("/api/users/42?x=1")
        .header("host", "app.example.com");
    if let Some(ae) = accept_encoding {
        b = b.header("accept-encoding", ae);
    }
    b.body(Body::empty()).unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let run = |chain: &[Arc<dyn Middleware>], app: &App, req: Request| {
        rt.block_on(async {
            let res = Next::new(chain, app).run(req).await;
            black_box(res.into_body().collect().await.unwrap().to_bytes().len())
        })
    };

    let small = App(page(512));
    let none: Vec<Arc<dyn Middleware>> = Vec::new();
    let headers: Vec<Arc<dyn Middleware>> =
        vec![Arc::new(Headers::new(&guide_secure_headers()).unwrap())];
    let strip: Vec<Arc<dyn Middleware>> = vec![Arc::new(
        StripPrefix::new(&StripPrefixConfig {
            prefixes: vec!["/api".into()],
            force_slash: None,
        })
        .unwrap(),
    )];
    let mut g = c.benchmark_group("mwa_request_path");
    g.bench_function("baseline_no_middleware", |b| {
        b.iter(|| run(&none, &small, request(None)));
    });
    g.bench_function("headers_guide_secure_headers", |b| {
        b.iter(|| run(&headers, &small, request(None)));
    });
    g.bench_function("strip_prefix", |b| {
        b.iter(|| run(&strip, &small, request(None)));
    });
    g.finish();

    let body = page(64 * 1024);
    let big = App(body.clone());
    let compress: Vec<Arc<dyn Middleware>> =
        vec![Arc::new(Compress::new(&CompressConfig::default()).unwrap())];
    let mut g = c.benchmark_group("mwa_compress_64KiB_html");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.sample_size(30);
    for (name, ae) in [
        ("identity", None),
        ("gzip", Some("gzip")),
        ("br", Some("br")),
        ("zstd", Some("zstd")),
    ] {
        g.bench_function(name, |b| b.iter(|| run(&compress, &big, request(ae))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
