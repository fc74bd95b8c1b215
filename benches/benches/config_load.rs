//! Configuration loading costs.
//!
//! Decision supported: the file provider re-reads, re-renders and re-validates every file on
//! each reload (keeping per-file isolation and "last good content" simple) rather than tracking
//! changes incrementally, and the hand-written Go template engine is fast enough to run on
//! every file. If a reload of a realistic rules directory cost more than a few milliseconds,
//! incremental reloading would be worth its complexity.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_config::static_config::FileSource;
use rampart_config::{Document, DynamicConfig, FileProvider, Format, StaticLoader};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/config")
}

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([("DOMAINNAME".to_owned(), "example.test".to_owned())])
}

/// `n` routers with a forwardAuth middleware and a service each, as one YAML document.
fn many_routers(n: usize) -> String {
    let mut out = String::from("http:\n  routers:\n");
    for i in 0..n {
        let _ = write!(
            out,
            "    app{i}:\n      rule: Host(`app{i}.example.test`) && PathPrefix(`/api`)\n      entryPoints: [websecure]\n      middlewares: [auth{i}, chain-no-auth]\n      service: app{i}\n      tls:\n        certResolver: le\n"
        );
    }
    out.push_str("  middlewares:\n");
    for i in 0..n {
        let _ = write!(
            out,
            "    auth{i}:\n      forwardAuth:\n        address: http://auth:9000/verify\n        authResponseHeaders: [X-User, X-Groups]\n"
        );
    }
    out.push_str("  services:\n");
    for i in 0..n {
        let _ = write!(
            out,
            "    app{i}:\n      loadBalancer:\n        servers:\n          - url: http://10.0.{}.{}:8080\n",
            i / 250,
            i % 250
        );
    }
    out
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("config");
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(3));

    let headers =
        std::fs::read_to_string(fixtures().join("rules/middlewares-secure-headers.yaml")).unwrap();
    let env = env();
    group.bench_function("template/render_secure_headers", |b| {
        b.iter(|| rampart_config::template::render(&headers, &env).unwrap());
    });

    let big = many_routers(1000);
    group.bench_function("dynamic/parse_validate_1000_routers", |b| {
        b.iter(|| {
            let doc = Document::parse(&big, Format::Yaml, "big.yaml").unwrap();
            DynamicConfig::from_document(&doc, "file").unwrap()
        });
    });

    group.bench_function("dynamic/parse_only_1000_routers", |b| {
        b.iter(|| Document::parse(&big, Format::Yaml, "big.yaml").unwrap());
    });
    group.bench_function("dynamic/saphyr_value_only_1000_routers", |b| {
        b.iter(|| serde_saphyr::from_str::<rampart_config::Value>(&big).unwrap());
    });
    let doc = Document::parse(&big, Format::Yaml, "big.yaml").unwrap();
    group.bench_function("dynamic/validate_only_1000_routers", |b| {
        b.iter(|| DynamicConfig::from_document(&doc, "file").unwrap());
    });

    let rules = fixtures().join("rules");
    group.bench_function("provider/load_guide_rules_dir", |b| {
        b.iter(|| FileProvider::load_once(FileSource::Directory(rules.clone()), env.clone()));
    });

    let args = vec![format!(
        "--configFile={}",
        fixtures().join("static/traefik.yaml").display()
    )];
    group.bench_function("static/load_guide_traefik_yaml", |b| {
        b.iter(|| {
            StaticLoader::new()
                .search_paths(Vec::new())
                .load(&args, [])
                .unwrap()
        });
    });
    group.finish();
}

criterion_group!(config, benches);
criterion_main!(config);
