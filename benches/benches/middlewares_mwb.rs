//! Catalogue part B on the request path: what one request costs in `rateLimit` (one source, and
//! a new source per request as under an address-rotating flood), `ipAllowList`, `basicAuth` with
//! an apr1 hash, `retryExpression` evaluation, and `circuitBreaker` (closed with counters only,
//! closed with status counters, closed with the latency histogram, and open).
//!
//! Decisions it supports: keeping buckets keyed by a 64-bit hash in 32 mutex-guarded shards
//! (instead of a `String`-keyed map behind one lock), and checking apr1/SHA1 inline while bcrypt
//! goes to the blocking pool; for `circuitBreaker`, atomics in time slots for the metrics (no
//! lock per request) and a body wrapper only when the expression reads latencies. See
//! BENCHMARKS.md, "Middlewares — part B".

use std::net::Ipv4Addr;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use rampart::middleware::builtin::expression::{Env, Program, Signature, Type, Value};
use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next, Registry};
use rampart::{Body, ConnInfo, Request, Response};

struct Ok200;
impl Endpoint for Ok200 {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        Box::pin(async { Response::new(Body::empty()) })
    }
}

/// Answers with a small body, so that a breaker reading latencies wraps it.
struct Hello;
impl Endpoint for Hello {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        Box::pin(async { Response::new(Body::from("hello")) })
    }
}

/// The least a middleware that looks at the response costs: one boxed future around `next`.
struct Passthrough;
impl Middleware for Passthrough {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        Box::pin(async move { next.run(req).await })
    }
}

struct Err500;
impl Endpoint for Err500 {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        Box::pin(async {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            res
        })
    }
}

struct NoRefs;
impl rampart::middleware::BuildContext for NoRefs {
    fn name(&self) -> &'static str {
        "bench@file"
    }
    fn middleware(
        &self,
        name: &str,
    ) -> Result<Arc<dyn Middleware>, rampart::middleware::BuildError> {
        Err(rampart::middleware::BuildError::UnknownType(
            name.to_owned(),
        ))
    }
    fn service(&self, name: &str) -> Result<Arc<dyn Endpoint>, rampart::middleware::BuildError> {
        Err(rampart::middleware::BuildError::UnknownType(
            name.to_owned(),
        ))
    }
}

fn build(type_name: &str, json: &str) -> Arc<dyn Middleware> {
    let value: rampart_config::Value = serde_json::from_str(json).expect("json");
    Registry::with_builtins()
        .build(type_name, &value, &NoRefs)
        .expect("builds")
}

fn request(peer: Ipv4Addr) -> Request {
    let mut req = http::Request::get("/")
        .header("authorization", "Basic dGVzdDp0ZXN0")
        .body(Body::empty())
        .expect("request");
    req.extensions_mut()
        .insert(Arc::new(ConnInfo::plain((peer, 4000).into(), "web")));
    req
}

const F: &[Signature] = &[
    Signature {
        name: "IsNetworkError",
        params: &[],
        returns: Type::Bool,
    },
    Signature {
        name: "Attempts",
        params: &[],
        returns: Type::Int,
    },
];
struct E;
impl Env for E {
    fn call(&self, f: usize, _: &[Value]) -> Value {
        if f == 0 {
            Value::Bool(true)
        } else {
            Value::Int(2)
        }
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let run = |mw: &Arc<dyn Middleware>, req: Request| {
        let chain = [mw.clone()];
        rt.block_on(Next::new(&chain, &Ok200).run(req))
    };
    let mut g = c.benchmark_group("middlewares_b");

    let rl = build(
        "rateLimit",
        r#"{"average": 1000000000, "burst": 1000000000}"#,
    );
    g.bench_function("rateLimit/one_source", |b| {
        b.iter(|| run(&rl, request(Ipv4Addr::LOCALHOST)));
    });
    let mut n = 0u32;
    g.bench_function("rateLimit/new_source_each_request", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            run(&rl, request(Ipv4Addr::from(n)))
        });
    });

    let allow = build(
        "ipAllowList",
        r#"{"sourceRange": ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "127.0.0.1"]}"#,
    );
    g.bench_function("ipAllowList/allowed", |b| {
        b.iter(|| run(&allow, request(Ipv4Addr::LOCALHOST)));
    });

    let basic = build(
        "basicAuth",
        r#"{"users": ["test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/"]}"#,
    );
    g.bench_function("basicAuth/apr1_ok", |b| {
        b.iter(|| run(&basic, request(Ipv4Addr::LOCALHOST)));
    });

    let p = Program::compile("IsNetworkError() && Attempts() <= 2", F).expect("compiles");
    g.bench_function("expression/guide_retry", |b| b.iter(|| p.eval(&E)));

    let no_chain: [Arc<dyn Middleware>; 0] = [];
    g.bench_function("baseline/no_middleware", |b| {
        b.iter(|| rt.block_on(Next::new(&no_chain, &Hello).run(request(Ipv4Addr::LOCALHOST))));
    });
    let passthrough: [Arc<dyn Middleware>; 1] = [Arc::new(Passthrough)];
    g.bench_function("baseline/passthrough_middleware", |b| {
        b.iter(|| rt.block_on(Next::new(&passthrough, &Hello).run(request(Ipv4Addr::LOCALHOST))));
    });
    // Closed breakers (the expression never holds): the per-request cost of measuring.
    for (name, expression) in [
        (
            "circuitBreaker/closed_network_ratio",
            "NetworkErrorRatio() > 0.5",
        ),
        (
            "circuitBreaker/closed_code_ratio",
            "ResponseCodeRatio(500, 600, 0, 600) > 0.5 && RequestThreshold() >= 20",
        ),
        (
            "circuitBreaker/closed_latency",
            "LatencyAtQuantileMS(50.0) > 100000",
        ),
    ] {
        let cb = build(
            "circuitBreaker",
            &format!(r#"{{"expression": "{expression}"}}"#),
        );
        let chain = [cb];
        g.bench_function(name, |b| {
            b.iter(|| {
                let res = rt.block_on(Next::new(&chain, &Hello).run(request(Ipv4Addr::LOCALHOST)));
                // Dropping the body ends the request (and records it, for the latency one).
                drop(res);
            });
        });
    }
    // An open breaker: the fallback answers (the endpoint 500s once, then the breaker trips).
    let open = build(
        "circuitBreaker",
        r#"{"expression": "ResponseCodeRatio(500, 600, 0, 600) > 0.5", "fallbackDuration": "1h"}"#,
    );
    {
        let chain = [open.clone()];
        let res = rt.block_on(Next::new(&chain, &Err500).run(request(Ipv4Addr::LOCALHOST)));
        assert_eq!(res.status(), 500);
        let res = rt.block_on(Next::new(&chain, &Err500).run(request(Ipv4Addr::LOCALHOST)));
        assert_eq!(res.status(), 503, "tripped");
    }
    g.bench_function("circuitBreaker/open_fallback", |b| {
        b.iter(|| run(&open, request(Ipv4Addr::LOCALHOST)));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
