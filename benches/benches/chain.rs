//! Middleware chain dispatch: what a hop through [`Next`](rampart::middleware::Next) costs.
//!
//! Decision it supports: middlewares stay object-safe trait objects, each returning a boxed
//! future (`BoxFuture`), with no generic chain types — as long as a hop costs a small fraction
//! of a proxied request (a loopback round trip is tens of µs). Rows:
//!
//! * `chain/depth/0` — the endpoint alone (the request is built in the loop; subtract it).
//! * `chain/depth/{1,4,16}` — that many pass-through middlewares before the endpoint; the
//!   slope is the cost of one hop (one boxed future, one `Next::run`).
//! * `chain/depth_sync/{1,4,16}` — the same with middlewares that only touch the request and
//!   return `next.run(req)` without an `async` block of their own (no extra box per hop).
//!
//! `cargo bench -p rampart-benches --bench chain`.

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rampart::middleware::{BoxFuture, Chain, Endpoint, Middleware, Next};
use rampart::{Body, Request, Response};

#[derive(Debug)]
struct Ok200;

impl Endpoint for Ok200 {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        Box::pin(async { Response::new(Body::empty()) })
    }
}

/// A middleware that looks at the response: its own `async` block around `next`.
#[derive(Debug)]
struct Around;

impl Middleware for Around {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        Box::pin(async move {
            let mut res = next.run(req).await;
            *res.status_mut() = http::StatusCode::OK;
            res
        })
    }
}

/// A middleware that only touches the request and hands on `next`'s future as is.
#[derive(Debug)]
struct Before;

impl Middleware for Before {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        *req.version_mut() = http::Version::HTTP_11;
        next.run(req)
    }
}

fn chain_of(n: usize, m: &Arc<dyn Middleware>) -> Chain {
    Chain::new(std::iter::repeat_n(m.clone(), n), Arc::new(Ok200))
}

fn request() -> Request {
    let mut req = Request::new(Body::empty());
    *req.uri_mut() = http::Uri::from_static("/app");
    req
}

/// Polls a future that never waits (every middleware here is ready at once) to completion.
fn run(fut: BoxFuture<'_, Response>) -> Response {
    let mut fut = fut;
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    loop {
        if let std::task::Poll::Ready(res) = fut.as_mut().poll(&mut cx) {
            return res;
        }
    }
}

fn benches(c: &mut Criterion) {
    let around: Arc<dyn Middleware> = Arc::new(Around);
    let before: Arc<dyn Middleware> = Arc::new(Before);
    let mut g = c.benchmark_group("chain");
    let empty = chain_of(0, &around);
    g.bench_function(BenchmarkId::new("depth", 0), |b| {
        b.iter(|| run(empty.call(request())));
    });
    for depth in [1, 4, 16] {
        let chain = chain_of(depth, &around);
        g.bench_function(BenchmarkId::new("depth", depth), |b| {
            b.iter(|| run(chain.call(request())));
        });
        let chain = chain_of(depth, &before);
        g.bench_function(BenchmarkId::new("depth_sync", depth), |b| {
            b.iter(|| run(chain.call(request())));
        });
    }
    g.finish();
}

criterion_group!(chain, benches);
criterion_main!(chain);
