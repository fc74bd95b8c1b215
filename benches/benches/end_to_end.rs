//! One whole request, in-process: client → rampart (listener, hyper, entrypoint stage, router,
//! chain, load balancer, pool) → loopback upstream → back, all on one current-thread runtime.
//!
//! Decisions it supports: every change to the request path (hyper settings, the entrypoint
//! stage, the chain, the pool, forwardAuth's client) is judged by this bench and by the
//! allocations per request it prints, before the side-by-side harness (`benches/peers/`) is
//! run on a quiet machine. Regressions show here without the harness.
//!
//! Rows (`end_to_end/…`):
//! * `direct` — the client straight to the upstream: the floor (client + upstream + kernel).
//! * `plain` — through rampart, one router, one server (HTTP/1.1 keep-alive both sides).
//! * `forward_auth` — the same with forwardAuth (auth server on loopback, pooled).
//! * `forward_auth_cached` — the same with the opt-in decision cache, answered from it.
//! * `tls_h2_forward_auth` — TLS 1.3 + HTTP/2 client connection, forwardAuth, HTTP/1.1 behind.
//!
//! rampart's own cost is the row minus `direct` (and minus one more upstream-like exchange for
//! the auth rows: the auth server runs in the same process).
//!
//! Before criterion runs, the bench prints the allocations per request of each row, counted by
//! a global allocator over 2,000 requests (the whole process: client, proxy, servers), and the
//! proxy's share (row minus `direct`).
//!
//! `cargo bench -p rampart-benches --bench end_to_end`. For instruction counts, one row alone
//! without criterion: `RAMPART_E2E_ONLY=plain RAMPART_E2E_REQUESTS=20000 valgrind
//! --tool=callgrind target/release/deps/end_to_end-…`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use criterion::Criterion;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rampart::middleware::Registry;
use rampart_benches::allocs::{self, Counting, INSTRUMENTED};
use rampart_benches::peers::{self, Role, UPSTREAM_BODY};
use rampart_proxy::{Options, Running};
use rampart_testkit::TestCa;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

#[global_allocator]
static GLOBAL: &Counting = &INSTRUMENTED;

const ROWS: [&str; 5] = [
    "direct",
    "plain",
    "forward_auth",
    "forward_auth_cached",
    "tls_h2_forward_auth",
];

enum Sender {
    H1(http1::SendRequest<Empty<Bytes>>),
    H2(http2::SendRequest<Empty<Bytes>>),
}

struct Rig {
    rt: Runtime,
    clients: BTreeMap<&'static str, Sender>,
    proxy: Running,
    upstream: SocketAddr,
    _dir: tempfile::TempDir,
}

const STATIC: &str = r#"
entryPoints:
  plain: {address: "127.0.0.1:0"}
  fwd: {address: "127.0.0.1:0"}
  cached: {address: "127.0.0.1:0"}
  tls:
    address: "127.0.0.1:0"
    http: {tls: {}}
providers:
  file: {filename: "{dir}/dynamic.yaml", watch: false}
log: {level: ERROR}
"#;

fn dynamic(upstream: SocketAddr, auth: SocketAddr, dir: &str) -> String {
    format!(
        r#"
http:
  routers:
    plain: {{rule: "PathPrefix(`/`)", entryPoints: [plain], service: up}}
    fwd: {{rule: "PathPrefix(`/`)", entryPoints: [fwd, tls], service: up, middlewares: [fa]}}
    cached: {{rule: "PathPrefix(`/`)", entryPoints: [cached], service: up, middlewares: [fa-cached]}}
  middlewares:
    fa:
      forwardAuth:
        address: "http://{auth}/auth"
        trustForwardHeader: true
        authResponseHeaders: [X-authentik-username, X-authentik-groups]
    fa-cached:
      forwardAuth:
        address: "http://{auth}/auth"
        trustForwardHeader: true
        authResponseHeaders: [X-authentik-username, X-authentik-groups]
        cache: {{ttl: 1h}}
  services:
    up:
      loadBalancer:
        servers: [{{url: "http://{upstream}"}}]
tls:
  stores:
    default:
      defaultCertificate: {{certFile: "{dir}/cert.pem", keyFile: "{dir}/key.pem"}}
"#
    )
}

impl Rig {
    fn start() -> Rig {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = TestCa::new("end-to-end bench CA");
        let cert = ca.server_cert(&["localhost"]);
        std::fs::write(dir.path().join("cert.pem"), &cert.cert_pem).expect("write cert");
        std::fs::write(dir.path().join("key.pem"), &cert.key_pem).expect("write key");
        let (proxy, clients, upstream) = rt.block_on(async {
            let up = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let auth = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let (up_addr, auth_addr) = (
                up.local_addr().expect("addr"),
                auth.local_addr().expect("addr"),
            );
            tokio::spawn(peers::serve(up, Role::Upstream));
            tokio::spawn(peers::serve(auth, Role::Auth));
            let d = dir.path().display().to_string();
            std::fs::write(
                dir.path().join("dynamic.yaml"),
                dynamic(up_addr, auth_addr, &d),
            )
            .expect("write dynamic config");
            std::fs::write(dir.path().join("rampart.yaml"), STATIC.replace("{dir}", &d))
                .expect("write static config");
            let proxy = rampart_proxy::start(Options {
                args: vec![format!("--configFile={d}/rampart.yaml")],
                env: BTreeMap::new(),
                registry: Registry::with_builtins(),
                install_logging: false,
            })
            .await
            .expect("proxy starts");
            let mut clients = BTreeMap::new();
            clients.insert("direct", h1(up_addr).await);
            clients.insert("plain", h1(proxy.addr("plain").expect("plain")).await);
            clients.insert("forward_auth", h1(proxy.addr("fwd").expect("fwd")).await);
            clients.insert(
                "forward_auth_cached",
                h1(proxy.addr("cached").expect("cached")).await,
            );
            clients.insert(
                "tls_h2_forward_auth",
                h2_tls(proxy.addr("tls").expect("tls"), &ca).await,
            );
            (proxy, clients, up_addr)
        });
        Rig {
            rt,
            clients,
            proxy,
            upstream,
            _dir: dir,
        }
    }

    /// One GET on `row`'s connection, body read to the end.
    fn request(&mut self, row: &str) {
        let sender = self.clients.get_mut(row).expect("known row");
        self.rt.block_on(async {
            let req = http::Request::get("/app/page?tab=1")
                .header("host", "bench.test")
                .header("user-agent", "end-to-end-bench/1")
                .header("accept", "*/*")
                .body(Empty::<Bytes>::new())
                .expect("valid request");
            let res = match sender {
                Sender::H1(tx) => {
                    tx.ready().await.expect("connection ready");
                    tx.send_request(req).await
                }
                Sender::H2(tx) => {
                    let (mut parts, body) = req.into_parts();
                    parts.uri = "https://bench.test/app/page?tab=1".parse().expect("uri");
                    parts.headers.remove("host");
                    tx.send_request(http::Request::from_parts(parts, body))
                        .await
                }
            }
            .expect("response");
            assert_eq!(res.status(), 200, "{row}");
            let body = res.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(&body[..], UPSTREAM_BODY, "{row}");
        });
    }
}

async fn h1(addr: SocketAddr) -> Sender {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let (tx, conn) = http1::handshake(TokioIo::new(tcp))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    Sender::H1(tx)
}

async fn h2_tls(addr: SocketAddr, ca: &TestCa) -> Sender {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let connector = tokio_rustls::TlsConnector::from(ca.client_config(&[b"h2"]));
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let tls = connector.connect(name, tcp).await.expect("TLS handshake");
    let (tx, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
        .await
        .expect("h2 handshake");
    tokio::spawn(conn);
    Sender::H2(tx)
}

/// Allocations per request of each row (whole process), over `n` requests after a warm-up.
fn allocation_report(rig: &mut Rig, n: usize) {
    println!("allocations per request (whole process; proxy share = row - direct):");
    let mut direct = 0.0;
    for row in ROWS {
        for _ in 0..200 {
            rig.request(row);
        }
        let ((), counted) = allocs::count(GLOBAL, || {
            for _ in 0..n {
                rig.request(row);
            }
        });
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let per = counted.allocations as f64 / n as f64;
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let bytes = counted.bytes as f64 / n as f64;
        if row == "direct" {
            direct = per;
        }
        println!(
            "  {row:<22} {per:>7.1} allocs/req ({:>5.1} rampart), {bytes:>8.0} bytes/req, {:.2} reallocs/req",
            per - direct,
            {
                #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
                let r = counted.reallocations as f64 / n as f64;
                r
            }
        );
    }
}

/// `RAMPART_E2E_IDLE=N`: opens N keep-alive connections to the plain entrypoint, one request
/// each, and tells the heap bytes (and blocks) each idle connection keeps, and the RSS.
fn idle_report(rig: &mut Rig, n: usize, row: &str, addr: SocketAddr) {
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .unwrap_or(0.0)
    };
    let before = stats_alloc::Region::new(GLOBAL);
    let rss0 = rss();
    let mut held = Vec::with_capacity(n);
    rig.rt.block_on(async {
        for _ in 0..n {
            let Sender::H1(mut tx) = h1(addr).await else {
                unreachable!()
            };
            let req = http::Request::get("/")
                .header("host", "127.0.0.1")
                .body(Empty::<Bytes>::new())
                .expect("request");
            let res = tx.send_request(req).await.expect("response");
            let _ = res.into_body().collect().await.expect("body");
            held.push(tx);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    });
    let s = before.change();
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let (live, blocks) = (
        (s.bytes_allocated as f64 - s.bytes_deallocated as f64) / n as f64,
        (s.allocations as f64 - s.deallocations as f64) / n as f64,
    );
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let per_conn_rss = (rss() - rss0) / n as f64;
    println!(
        "{row}: {n} idle connections (client side included): {live:.0} heap bytes and \
         {blocks:.1} blocks live per connection; RSS +{per_conn_rss:.1} KiB per connection"
    );
}

fn main() {
    let mut rig = Rig::start();
    if let Some(n) = std::env::var("RAMPART_E2E_IDLE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        let upstream = rig.upstream;
        idle_report(&mut rig, n, "direct", upstream);
        let plain = rig.proxy.addr("plain").expect("plain");
        idle_report(&mut rig, n, "plain", plain);
        return;
    }
    if let Ok(row) = std::env::var("RAMPART_E2E_ONLY") {
        let n: usize = std::env::var("RAMPART_E2E_REQUESTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        assert!(
            ROWS.contains(&row.as_str()),
            "RAMPART_E2E_ONLY: one of {ROWS:?}"
        );
        for _ in 0..n {
            rig.request(&row);
        }
        return;
    }
    allocation_report(&mut rig, 2_000);
    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("end_to_end");
        for row in ROWS {
            g.bench_function(row, |b| b.iter(|| rig.request(row)));
        }
        g.finish();
    }
    c.final_summary();
}
