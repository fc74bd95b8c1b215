//! forwardAuth's cost per request — supports the decision to run forwardAuth on every request
//! (no sampling, no shortcut) and to keep the decision cache opt-in.
//!
//! * `header_propagation/authentik_11` minus `header_propagation/clone_only`: the 2xx step
//!   alone — delete the client's copies (and aliases) of the guide's 11 `X-authentik-*`
//!   headers and copy the auth answer's. Target ≤ 1 µs.
//! * `header_propagation/authentik_11_moved` minus `header_propagation/clone_request_and_answer`:
//!   the same step as the middleware runs it, moving the values of the answer it owns.
//! * `request/no_auth` vs `request/loopback_auth`: a chain without and with forwardAuth, the
//!   auth server (testkit, Authentik behaviour) on 127.0.0.1 with a pooled keep-alive
//!   connection; the difference is forwardAuth's overhead including the loopback round trip.
//! * `request/cache_hit`: the same with `cache` on, answered from the cache.
//!
//! `cargo bench -p rampart-benches --bench forward_auth`; numbers in BENCHMARKS.md.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderName, HeaderValue};
use rampart::middleware::forward_auth::{ForwardAuth, ForwardAuthConfig};
use rampart::middleware::{BoxFuture, Chain, Endpoint, Middleware};
use rampart::{Body, Request, Response};
use rampart_testkit::auth_backends::Authentik;
use rampart_testkit::auth_server::AuthServer;

const HEADERS: &str = r#"["X-authentik-username", "X-authentik-groups", "X-authentik-email", "X-authentik-name", "X-authentik-uid", "X-authentik-jwt", "X-authentik-meta-jwks", "X-authentik-meta-outpost", "X-authentik-meta-provider", "X-authentik-meta-app", "X-authentik-meta-version"]"#;

fn forward_auth(address: &str, extra: &str) -> ForwardAuth {
    let v: rampart_config::Value = serde_json::from_str(&format!(
        r#"{{"address": "{address}", "trustForwardHeader": true, "authResponseHeaders": {HEADERS}{extra}}}"#
    ))
    .expect("bench config is JSON");
    let cfg: ForwardAuthConfig = rampart_config::from_value(&v).expect("bench config decodes");
    ForwardAuth::new(cfg).expect("forwardAuth builds")
}

/// A browser's request headers.
fn browser_headers(cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("host", "whoami.example.test"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ),
        (
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        ("accept-language", "en-GB,en;q=0.5"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("cookie", cookie),
        ("upgrade-insecure-requests", "1"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-site", "none"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "whoami.example.test"),
        ("x-forwarded-port", "443"),
        ("x-real-ip", "203.0.113.7"),
    ] {
        h.append(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).expect("valid value"),
        );
    }
    h
}

#[derive(Debug)]
struct Ok200;

impl Endpoint for Ok200 {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        Box::pin(async { Response::new(Body::from("ok")) })
    }
}

fn request(headers: &HeaderMap) -> Request {
    let mut req = Request::new(Body::empty());
    *req.uri_mut() = http::Uri::from_static("/dashboard?tab=1");
    *req.headers_mut() = headers.clone();
    req
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let outpost = Authentik::new();
    let server = rt.block_on(AuthServer::with_handler(outpost.handler()));
    let address = server.url("/outpost.goauthentik.io/auth/traefik");
    let cookie = outpost.session_for("akadmin");
    let headers = browser_headers(&cookie);

    // The answer the outpost gives, for the header step.
    let mut answer = HeaderMap::new();
    for (k, v) in outpost_headers() {
        answer.append(
            HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(&v).expect("value"),
        );
    }
    let fa = forward_auth(&address, "");
    let mut spoofed = headers.clone();
    spoofed.insert("x-authentik-username", HeaderValue::from_static("mallory"));
    // Each iteration clones the request headers (as every request brings its own map) and
    // drops them; `clone_only` measures that alone, so the step costs the difference. Fresh
    // inputs per batch (`iter_batched`) would measure page faults of new memory instead.
    c.bench_function("forward_auth/header_propagation/clone_only", |b| {
        b.iter(|| std::hint::black_box(spoofed.clone()));
    });
    c.bench_function("forward_auth/header_propagation/authentik_11", |b| {
        b.iter(|| {
            let mut req = spoofed.clone();
            fa.copy_auth_response_headers(&mut req, &answer);
            req
        });
    });
    // What the middleware does with the answer it owns: names and values move. The answer is
    // cloned per iteration (its baseline, `clone_request_and_answer`, clones both).
    c.bench_function(
        "forward_auth/header_propagation/clone_request_and_answer",
        |b| {
            b.iter(|| std::hint::black_box((spoofed.clone(), answer.clone())));
        },
    );
    c.bench_function("forward_auth/header_propagation/authentik_11_moved", |b| {
        b.iter(|| {
            let mut req = spoofed.clone();
            fa.move_auth_response_headers(&mut req, answer.clone());
            req
        });
    });

    let none = Chain::new(Vec::<Arc<dyn Middleware>>::new(), Arc::new(Ok200));
    c.bench_function("forward_auth/request/no_auth", |b| {
        b.iter(|| rt.block_on(none.call(request(&headers))));
    });
    let with_auth = Chain::new(
        [Arc::new(forward_auth(&address, "")) as Arc<dyn Middleware>],
        Arc::new(Ok200),
    );
    c.bench_function("forward_auth/request/loopback_auth", |b| {
        b.iter(|| {
            let res = rt.block_on(with_auth.call(request(&headers)));
            assert_eq!(res.status(), 200);
        });
    });
    let cached = Chain::new(
        [Arc::new(forward_auth(&address, r#", "cache": {"ttl": "1h"}"#)) as Arc<dyn Middleware>],
        Arc::new(Ok200),
    );
    rt.block_on(cached.call(request(&headers)));
    let before = server.count();
    c.bench_function("forward_auth/request/cache_hit", |b| {
        b.iter(|| rt.block_on(cached.call(request(&headers))));
    });
    assert_eq!(
        server.count(),
        before,
        "every cache_hit iteration was a hit"
    );
}

/// The outpost's 2xx headers (as the testkit's Authentik sends them).
fn outpost_headers() -> Vec<(String, String)> {
    let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", "x".repeat(900));
    [
        ("x-authentik-username", "akadmin"),
        ("x-authentik-groups", "authentik Admins|users"),
        ("x-authentik-entitlements", ""),
        ("x-authentik-email", "akadmin@example.test"),
        ("x-authentik-name", "Test User"),
        ("x-authentik-uid", "b1946ac92492d2347c6235b4d2611184"),
        ("x-authentik-jwt", jwt.as_str()),
        (
            "x-authentik-meta-jwks",
            "https://authentik.example.test/application/o/app/jwks/",
        ),
        ("x-authentik-meta-outpost", "authentik Embedded Outpost"),
        ("x-authentik-meta-provider", "app-provider"),
        ("x-authentik-meta-app", "app"),
        (
            "x-authentik-meta-version",
            "goauthentik.io/outpost/2025.8.3",
        ),
        ("content-length", "0"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

criterion_group!(forward_auth_benches, benches);
criterion_main!(forward_auth_benches);
