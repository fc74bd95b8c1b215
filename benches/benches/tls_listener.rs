//! New connections through the proxy's own listener: TCP connect, first-byte detection, the
//! `websecure` acceptor (per-SNI options and certificate), HTTP/1.1, routing, one answer.
//!
//! Decisions this supports (numbers in BENCHMARKS.md, "TLS through the listener"):
//! * session resumption stays on by default: `resumed_tls13` against `full_tls13`, each a new
//!   connection carrying one request (the request also makes the client read the session
//!   tickets the server sends after the handshake);
//! * what terminating TLS costs a new connection: both against `plain_http`, the same request
//!   on a new plain connection to the same port (first-byte detection sends it to HTTP).
//!
//! The proxy runs in-process (`rampart_proxy::start`) on a two-thread runtime, the client on
//! the same runtime; the router answers from `noop@internal` (418), so no upstream is timed.
//! The client's work is included: read the numbers as connection latency on one machine, not
//! as server capacity (`--bench tls`'s `server_cpu/*` is that). Run:
//! `cargo bench -p rampart-benches --bench tls_listener`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rampart_testkit::TestCa;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

const HOST: &str = "bench.example.test";

fn yaml_block(pem: &str) -> String {
    let mut out = String::from("|\n");
    for line in pem.lines() {
        out.push_str("        ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Starts the proxy with `websecure` (TLS by `http.tls`) and `web` (plain), one router each.
async fn proxy(ca: &TestCa) -> (rampart_proxy::Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let leaf = ca.server_cert(&[HOST]);
    let static_yaml = format!(
        "entryPoints:\n  websecure:\n    address: 127.0.0.1:0\n    http:\n      tls: {{}}\n  web:\n    address: 127.0.0.1:0\nlog:\n  level: ERROR\nproviders:\n  file:\n    filename: {}/dynamic.yaml\n    watch: false\n",
        dir.path().display()
    );
    let dynamic = format!(
        "http:\n  routers:\n    bench:\n      rule: Host(`{HOST}`)\n      service: noop@internal\ntls:\n  certificates:\n    - certFile: {}      keyFile: {}",
        yaml_block(&leaf.cert_pem),
        yaml_block(&leaf.key_pem)
    );
    std::fs::write(dir.path().join("rampart.yaml"), static_yaml).expect("write static");
    std::fs::write(dir.path().join("dynamic.yaml"), dynamic).expect("write dynamic");
    let options = rampart_proxy::Options {
        args: vec![format!(
            "--configFile={}",
            dir.path().join("rampart.yaml").display()
        )],
        env: BTreeMap::new(),
        registry: rampart::middleware::Registry::with_builtins(),
        install_logging: false,
    };
    let running = rampart_proxy::start(options).await.expect("proxy starts");
    (running, dir)
}

/// One GET on `io`; the answer must be `noop@internal`'s 418.
async fn get<IO>(io: IO)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .expect("HTTP/1.1 handshake");
    let conn = tokio::spawn(conn);
    let req = http::Request::get("/")
        .header(http::header::HOST, HOST)
        .body(Empty::<Bytes>::new())
        .expect("request");
    let res = sender.send_request(req).await.expect("answer");
    assert_eq!(res.status(), 418);
    res.into_body().collect().await.expect("body");
    drop(sender);
    let _ = conn.await;
}

/// A new TLS connection, one request; whether the handshake resumed.
async fn tls_request(addr: SocketAddr, client: &Arc<ClientConfig>) -> bool {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let tls = tokio_rustls::TlsConnector::from(client.clone())
        .connect(ServerName::try_from(HOST).expect("name"), tcp)
        .await
        .expect("handshake");
    let resumed = matches!(
        tls.get_ref().1.handshake_kind(),
        Some(rustls::HandshakeKind::Resumed)
    );
    get(tls).await;
    resumed
}

fn listener(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ca = TestCa::new("bench ca");
    let (running, _dir) = rt.block_on(proxy(&ca));
    let tls_addr = running.addr("websecure").expect("websecure");
    let plain_addr = running.addr("web").expect("web");

    let mut group = c.benchmark_group("listener");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));

    // No session cache on the client: every handshake is full.
    let mut full = (*ca.client_config(&[b"http/1.1"])).clone();
    full.resumption = rustls::client::Resumption::disabled();
    let full = Arc::new(full);
    assert!(!rt.block_on(tls_request(tls_addr, &full)));
    group.bench_function("full_tls13", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    tls_request(tls_addr, &full).await;
                }
                start.elapsed()
            })
        });
    });

    // One client config, its session cache kept: every handshake after the first resumes.
    let resuming = ca.client_config(&[b"http/1.1"]);
    rt.block_on(tls_request(tls_addr, &resuming));
    assert!(
        rt.block_on(tls_request(tls_addr, &resuming)),
        "the second handshake resumes"
    );
    group.bench_function("resumed_tls13", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    assert!(tls_request(tls_addr, &resuming).await, "resumed");
                }
                start.elapsed()
            })
        });
    });

    group.bench_function("plain_http", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let tcp = TcpStream::connect(plain_addr).await.expect("connect");
                    tcp.set_nodelay(true).expect("nodelay");
                    get(tcp).await;
                }
                start.elapsed()
            })
        });
    });
    group.finish();
    rt.block_on(running.stop());
}

criterion_group!(benches, listener);
criterion_main!(benches);
