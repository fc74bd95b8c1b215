//! Rule matching and routing-table lookups.
//!
//! Decision these benches support: routers are indexed by exact host (and path prefix) so
//! that a table of 10,000 `Host` routers answers about as fast as one of 10 (target: at most
//! 100 ns per lookup at 10,000 on the 2-core reference machine), a 1,000-router table shaped
//! like the Authentik guide's (`Host` routers plus `HostRegexp(…) && PathPrefix(…)` outpost
//! routers) answers within 1 µs, and compiling 10,000 routers on a reload takes at most
//! 100 ms. If these regress, revisit the index (`crates/rampart/src/table/index.rs`) before
//! anything else. Numbers and the command are in `BENCHMARKS.md`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rampart::request::RequestView;
use rampart::table::{Router, RoutingTable, TableOptions};

fn host_table(n: usize) -> RoutingTable<usize> {
    let built = RoutingTable::build(
        (0..n).map(|i| {
            Router::new(
                format!("app{i}@file"),
                format!("Host(`app{i}.example.com`)"),
                i,
            )
        }),
        &TableOptions::default(),
    );
    assert!(built.errors.is_empty());
    built.table
}

/// 1,000 routers as the guide lays them out: most services by `Host` (some with a path),
/// each protected domain with an outpost router `HostRegexp(…) && PathPrefix(outpost)`.
fn guide_table() -> RoutingTable<usize> {
    let mut routers = Vec::new();
    for i in 0..900 {
        let rule = if i % 3 == 0 {
            format!("Host(`svc{i}.example.com`) && PathPrefix(`/api`)")
        } else {
            format!("Host(`svc{i}.example.com`)")
        };
        routers.push(Router::new(format!("svc{i}@docker"), rule, i));
    }
    for d in 0..100 {
        routers.push(Router::new(
            format!("outpost{d}@docker"),
            format!("HostRegexp(`^[a-z0-9-]+\\.domain{d}\\.tld$`) && PathPrefix(`/outpost.goauthentik.io/`)"),
            900 + d,
        ));
    }
    let built = RoutingTable::build(routers, &TableOptions::default());
    assert!(built.errors.is_empty());
    built.table
}

fn lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("host_routers");
    for n in [10usize, 1_000, 10_000] {
        let table = host_table(n);
        let first = "app0.example.com".to_string();
        let last = format!("app{}.example.com", n - 1);
        for (label, host) in [
            ("hit_first", first.as_str()),
            ("hit_last", last.as_str()),
            ("miss", "nope.example.com"),
        ] {
            let view = RequestView::new("GET", host, "/index.html");
            assert_eq!(table.route(&view).is_some(), label != "miss");
            group.bench_with_input(BenchmarkId::new(label, n), &view, |b, view| {
                b.iter(|| black_box(table.route(black_box(view))).map(|r| *r.payload()));
            });
        }
    }
    group.finish();

    let table = guide_table();
    let mut group = c.benchmark_group("guide_1000");
    for (label, host, path) in [
        ("app", "svc451.example.com", "/dashboard"),
        ("app_api", "svc300.example.com", "/api/items"),
        (
            "outpost_first",
            "auth.domain0.tld",
            "/outpost.goauthentik.io/start",
        ),
        (
            "outpost_last",
            "auth.domain99.tld",
            "/outpost.goauthentik.io/start",
        ),
        ("miss", "unknown.example.net", "/"),
    ] {
        let view = RequestView::new("GET", host, path);
        assert_eq!(table.route(&view).is_some(), label != "miss", "{label}");
        group.bench_with_input(BenchmarkId::from_parameter(label), &view, |b, view| {
            b.iter(|| black_box(table.route(black_box(view))).map(|r| *r.payload()));
        });
    }
    group.finish();
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.bench_function("host_routers_10000", |b| {
        b.iter(|| black_box(host_table(10_000)).len());
    });
    group.bench_function("guide_1000", |b| {
        b.iter(|| black_box(guide_table()).len());
    });
    group.finish();
}

criterion_group!(benches, lookups, compile);
criterion_main!(benches);
