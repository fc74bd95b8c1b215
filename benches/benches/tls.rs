//! TLS handshakes through rampart-tls's real configuration (store, resolver, options).
//!
//! Decisions this supports (numbers in BENCHMARKS.md, "TLS handshakes"):
//! * the generated default certificate and the recommended key type are ECDSA P-256, not
//!   Traefik's RSA-2048: compare `full_tls13/ecdsa_p256` with `full_tls13/rsa2048`;
//! * session resumption is on by default (tickets + cache per options object): compare
//!   `resumed_tls13` with `full_tls13`;
//! * choosing options and certificates per SNI (arc-swap snapshot, hash lookups,
//!   `LazyConfigAcceptor`) costs next to nothing beside the handshake: `cert_store/lookup` is
//!   measured against a store of 1,100 certificates, and `acceptor/full_tls13` runs the whole
//!   `TlsAcceptor::accept` path.
//!
//! `server_cpu/*` time only the server's side of an in-memory handshake (the client's work is
//! excluded), so 1/time is what one core can terminate. Run:
//! `cargo bench -p rampart-benches --bench tls`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_testkit::{TestCa, TestCert};
use rampart_tls::{
    AcceptorConfig, AlpnChallengeCerts, CertStore, CertificateSpec, FileOrPem, HostOptions,
    TlsAcceptor, TlsSpec,
};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

const RSA2048: &str = include_str!("../../fixtures/tls/keys/rsa2048.pkcs8.pem");
const HOST: &str = "bench.example.test";

fn spec_of(cert: &TestCert) -> CertificateSpec {
    CertificateSpec::new(
        FileOrPem::Pem(cert.cert_pem.clone()),
        FileOrPem::Pem(cert.key_pem.clone()),
    )
}

/// The acceptor of a proxy for a few hundred sites: `target` among 1,000 exact
/// and 100 wildcard certificates, 200 hosts mapped to options.
fn busy(ca: &TestCa, target: &TestCert) -> TlsAcceptor {
    let mut certificates: Vec<CertificateSpec> = (0..1000)
        .map(|i| spec_of(&ca.server_cert(&[&format!("host-{i}.example.test")])))
        .collect();
    certificates
        .extend((0..100).map(|i| spec_of(&ca.server_cert(&[&format!("*.wild-{i}.example.test")]))));
    certificates.push(spec_of(target));
    let spec = TlsSpec {
        certificates,
        ..TlsSpec::default()
    };
    let mut hosts = HostOptions::builder();
    for i in 0..200 {
        hosts.add(&format!("host-{i}.example.test"), "default");
    }
    hosts.add(HOST, "default");
    let store = Arc::new(CertStore::new());
    let (config, report) =
        AcceptorConfig::build(&spec, &hosts, &store, Arc::new(AlpnChallengeCerts::new()));
    assert!(report.is_ok(), "{:?}", report.errors);
    TlsAcceptor::new(config)
}

fn server_config(config: &AcceptorConfig) -> Arc<ServerConfig> {
    config.options().get("default").unwrap().clone()
}

fn client_config(ca: &TestCa) -> Arc<ClientConfig> {
    ca.client_config(&[b"h2", b"http/1.1"])
}

/// Drives an in-memory handshake to its end (post-handshake tickets included); returns the
/// time spent in the server's calls.
fn handshake(client: &mut ClientConnection, server: &mut ServerConnection) -> Duration {
    let mut server_time = Duration::ZERO;
    let mut buf = Vec::with_capacity(8192);
    loop {
        let mut progressed = false;
        buf.clear();
        while client.wants_write() {
            client.write_tls(&mut buf).unwrap();
        }
        if !buf.is_empty() {
            progressed = true;
            let start = Instant::now();
            let mut rd = &buf[..];
            while !rd.is_empty() {
                server.read_tls(&mut rd).unwrap();
                server.process_new_packets().unwrap();
            }
            server_time += start.elapsed();
        }
        buf.clear();
        let start = Instant::now();
        while server.wants_write() {
            server.write_tls(&mut buf).unwrap();
        }
        server_time += start.elapsed();
        if !buf.is_empty() {
            progressed = true;
            let mut rd = &buf[..];
            while !rd.is_empty() {
                client.read_tls(&mut rd).unwrap();
                client.process_new_packets().unwrap();
            }
        }
        if !progressed {
            assert!(
                !client.is_handshaking() && !server.is_handshaking(),
                "handshake stuck"
            );
            return server_time;
        }
    }
}

fn one(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (Duration, rustls::HandshakeKind) {
    let name = ServerName::try_from(HOST).unwrap();
    let mut c = ClientConnection::new(client.clone(), name).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let t = handshake(&mut c, &mut s);
    (t, c.handshake_kind().unwrap())
}

fn handshakes(c: &mut Criterion) {
    let ca = TestCa::new("bench ca");
    let ecdsa = ca.server_cert(&[HOST]);
    let rsa = ca.server_cert_with_key(&[HOST], RSA2048);
    let mut group = c.benchmark_group("server_cpu");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    for (label, cert) in [("ecdsa_p256", &ecdsa), ("rsa2048", &rsa)] {
        let server = server_config(&busy(&ca, cert).config());
        // A fresh client config per handshake has no session to resume: full handshakes.
        group.bench_function(format!("full_tls13/{label}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let client = Arc::new(ClientConfig::clone(&client_config(&ca)));
                        let (t, kind) = one(&client, &server);
                        assert_eq!(kind, rustls::HandshakeKind::Full);
                        t
                    })
                    .sum()
            });
        });
        // One client config: each handshake resumes with a ticket from the previous one.
        let client = client_config(&ca);
        one(&client, &server);
        group.bench_function(format!("resumed_tls13/{label}"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let (t, kind) = one(&client, &server);
                        assert_eq!(kind, rustls::HandshakeKind::Resumed);
                        t
                    })
                    .sum()
            });
        });
    }
    group.finish();
}

fn acceptor(c: &mut Criterion) {
    let ca = TestCa::new("bench ca");
    let ecdsa = ca.server_cert(&[HOST]);
    let acceptor = busy(&ca, &ecdsa);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let client = client_config(&ca);

    let mut group = c.benchmark_group("acceptor");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    // Both sides on one thread over an in-memory pipe: client + server CPU.
    group.bench_function("full_tls13/ecdsa_p256_client_and_server", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (c_io, s_io) = tokio::io::duplex(64 * 1024);
                let fresh = Arc::new(ClientConfig::clone(&client));
                let connector = tokio_rustls::TlsConnector::from(fresh);
                let name = ServerName::try_from(HOST).unwrap();
                let (server, client) =
                    tokio::join!(acceptor.accept(s_io, None), connector.connect(name, c_io));
                black_box((server.unwrap().info, client.unwrap()));
            });
        });
    });
    // The same handshake through plain tokio-rustls with the same `ServerConfig`: the
    // difference is what per-SNI selection (`LazyConfigAcceptor`, host → options) costs.
    let plain = tokio_rustls::TlsAcceptor::from(server_config(&acceptor.config()));
    group.bench_function(
        "full_tls13/ecdsa_p256_client_and_server_plain_tokio_rustls",
        |b| {
            b.iter(|| {
                rt.block_on(async {
                    let (c_io, s_io) = tokio::io::duplex(64 * 1024);
                    let fresh = Arc::new(ClientConfig::clone(&client));
                    let connector = tokio_rustls::TlsConnector::from(fresh);
                    let name = ServerName::try_from(HOST).unwrap();
                    let (server, client) =
                        tokio::join!(plain.accept(s_io), connector.connect(name, c_io));
                    black_box((server.unwrap(), client.unwrap()));
                });
            });
        },
    );
    group.finish();
}

fn lookup(c: &mut Criterion) {
    let ca = TestCa::new("bench ca");
    let acceptor = busy(&ca, &ca.server_cert(&[HOST]));
    let store = acceptor.config().store().clone();
    let mut group = c.benchmark_group("cert_store/lookup");
    for (label, name) in [
        ("exact", "host-500.example.test"),
        ("exact_mixed_case", "Host-500.Example.TEST"),
        ("wildcard", "app.wild-50.example.test"),
        ("miss", "nothing.example.test"),
    ] {
        group.bench_function(label, |b| {
            b.iter(|| black_box(store.lookup(black_box(name))));
        });
    }
    group.finish();
}

criterion_group!(benches, lookup, handshakes, acceptor);
criterion_main!(benches);
