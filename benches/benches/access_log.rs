//! Access-log line formatting (Traefik's `common` format).
//!
//! Decision it supports: the access log formats each line on the request's own task into a
//! reused buffer (no allocation, no formatting thread), as long as a line costs a small
//! fraction of a proxied request. Rows:
//!
//! * `access_log/common/typical` — a browser request: IPv4 client, user name, referer, user
//!   agent, router and service URL.
//! * `access_log/common/escaped` — the same with a user agent that needs escaping.
//! * `access_log/generic_clf/typical` — the shorter combined log format.
//!
//! `cargo bench -p rampart-benches --bench access_log`.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use rampart::access_log::{Entry, write_common, write_generic_clf};

fn typical() -> Entry<'static> {
    let mut e = Entry::default();
    e.client_host = Some("203.0.113.7".parse().expect("ip"));
    e.client_username = Some("akadmin");
    e.start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    e.method = "GET";
    e.path = "/dashboard/app?tab=1";
    e.protocol = "HTTP/1.1";
    e.status = Some(200);
    e.content_size = Some(5_321);
    e.referer = Some(b"https://app.example.com/");
    e.user_agent = Some(b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
    e.request_count = Some(1_234_567);
    e.router_name = Some("app@file");
    e.service_url = Some("http://10.0.0.5:8080");
    e.duration = Duration::from_micros(1_730);
    e
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("access_log");
    let mut buf = Vec::with_capacity(1024);
    let e = typical();
    g.bench_function("common/typical", |b| {
        b.iter(|| {
            buf.clear();
            write_common(black_box(&e), &mut buf);
            black_box(buf.len())
        });
    });
    let mut escaped = typical();
    escaped.user_agent = Some(b"curl \"quoted\" \\ agent\twith tab");
    g.bench_function("common/escaped", |b| {
        b.iter(|| {
            buf.clear();
            write_common(black_box(&escaped), &mut buf);
            black_box(buf.len())
        });
    });
    g.bench_function("generic_clf/typical", |b| {
        b.iter(|| {
            buf.clear();
            write_generic_clf(black_box(&e), &mut buf);
            black_box(buf.len())
        });
    });
    g.finish();
}

criterion_group!(access_log, benches);
criterion_main!(access_log);
