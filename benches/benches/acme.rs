//! ACME's costs on the serving path and at start.
//!
//! Decisions it supports:
//! - the HTTP-01 token map and the TLS-ALPN-01 certificate map are `ArcSwap` snapshots, so the
//!   proxy and the TLS resolver look them up on every `/.well-known/acme-challenge/` request and
//!   every `acme-tls/1` handshake without a lock (`challenge_lookup/*` measures the HTTP-01 map;
//!   the TLS-ALPN-01 map is the same structure);
//! - `acme.json` is parsed whole at start and rewritten whole on every change
//!   (`acme_json/*`, 200 certificates: a large self-hosted set-up).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_tls::acme::{AcmeStorage, CertFacts, DomainRequest, Http01Tokens, StoredCertificate};

fn challenge_lookup(c: &mut Criterion) {
    let tokens = Http01Tokens::default();
    for i in 0..10 {
        tokens.insert(
            &format!("token-{i:02}-0123456789abcdefghij"),
            &format!("token-{i:02}.thumbprint"),
        );
    }
    let mut g = c.benchmark_group("challenge_lookup");
    g.bench_function("http01_hit", |b| {
        b.iter(|| {
            tokens.response_for_path(black_box(
                "/.well-known/acme-challenge/token-07-0123456789abcdefghij",
            ))
        });
    });
    g.bench_function("http01_other_path", |b| {
        b.iter(|| tokens.response_for_path(black_box("/api/v1/items")));
    });
    g.finish();
}

fn acme_json(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.json");
    let cert = rcgen::generate_simple_self_signed(vec![
        "app.example.com".to_owned(),
        "www.example.com".to_owned(),
    ])
    .unwrap();
    let (chain, key) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    {
        let store = AcmeStorage::open(&path).unwrap();
        store
            .update("le", |r| {
                for i in 0..200 {
                    let d = DomainRequest::new(
                        format!("app{i}.example.com"),
                        [format!("www{i}.example.com")],
                    );
                    r.certificates
                        .push(StoredCertificate::new(&d, &chain, &key));
                }
            })
            .unwrap();
    }
    let mut g = c.benchmark_group("acme_json");
    g.sample_size(20);
    g.bench_function("open_200_certificates", |b| {
        b.iter(|| AcmeStorage::open(black_box(&path)).unwrap());
    });
    let store = AcmeStorage::open(&path).unwrap();
    g.bench_function("atomic_rewrite_200_certificates", |b| {
        b.iter(|| store.update("le", |_| {}).unwrap());
    });
    g.bench_function("cert_facts_one_certificate", |b| {
        b.iter(|| CertFacts::from_pem(black_box(chain.as_bytes())).unwrap());
    });
    g.finish();
}

criterion_group!(benches, challenge_lookup, acme_json);
criterion_main!(benches);
