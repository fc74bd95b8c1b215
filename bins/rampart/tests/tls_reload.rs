//! Hot reload of certificates through the binary: a new `tls.certificates` in the rules file
//! serves new handshakes while open connections keep working on theirs; a broken certificate
//! file keeps the last good certificate; swapping certificates under load fails no handshake.

mod common;
#[path = "common/e2e_tls.rs"]
mod e2e_tls;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::TestProxy;
use e2e_tls::{Client, put, render, start_in, write_cert};
use rampart_testkit::{TestCa, TestCert, Upstream, reply};

const STATIC: &str = r#"
entryPoints:
  websecure:
    address: "127.0.0.1:0"
    http:
      tls: {}
providers:
  providersThrottleDuration: 50ms
  file:
    directory: "{dir}/rules"
    watch: true
"#;

const APP: &str = r#"
http:
  routers:
    app:
      rule: "Host(`app.example.test`)"
      service: upstream
  services:
    upstream:
      loadBalancer:
        servers:
          - url: "{upstream}"
"#;

/// `rules/certs.yaml` serving `<dir>/certs/<name>.crt` (a comment makes each write distinct).
fn certs_yaml(name: &str, revision: usize) -> String {
    format!(
        "# revision {revision}\ntls:\n  certificates:\n    - certFile: \"{{dir}}/certs/{name}.crt\"\n      keyFile: \"{{dir}}/certs/{name}.key\"\n"
    )
}

struct Rig {
    proxy: TestProxy,
    ca: TestCa,
    _upstream: Upstream,
    one: TestCert,
    two: TestCert,
}

impl Rig {
    async fn start() -> Rig {
        let ca = TestCa::new("reload CA");
        let one = ca.server_cert(&["app.example.test"]);
        let two = ca.server_cert(&["app.example.test"]);
        let upstream = Upstream::start(|_| async { reply::text(200, "ok") }).await;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_owned();
        write_cert(&d, "one", &one);
        write_cert(&d, "two", &two);
        put(&d, "rampart.yaml", &render(STATIC, &d, &[]));
        put(
            &d,
            "rules/app.yaml",
            &render(APP, &d, &[("upstream", &upstream.url())]),
        );
        put(
            &d,
            "rules/certs.yaml",
            &render(&certs_yaml("one", 0), &d, &[]),
        );
        let proxy = match start_in(dir, BTreeMap::new()).await {
            Ok(p) => p,
            Err((_, e)) => panic!("proxy starts: {e}"),
        };
        Rig {
            proxy,
            ca,
            _upstream: upstream,
            one,
            two,
        }
    }

    /// Points `rules/certs.yaml` at certificate `name` and waits until the proxy applied it.
    async fn serve(&self, name: &str, revision: usize) {
        let before = self.proxy.generation();
        let d = self.proxy.path();
        put(
            &d,
            "rules/certs.yaml",
            &render(&certs_yaml(name, revision), &d, &[]),
        );
        self.proxy.wait_reload(before).await;
    }

    async fn leaf(&self) -> Vec<u8> {
        Client::trusting(&self.ca)
            .connect(self.proxy.addr("websecure"), "app.example.test")
            .await
            .unwrap()
            .leaf()
    }
}

#[tokio::test]
async fn new_handshakes_get_the_new_certificate_while_open_connections_keep_working() {
    let rig = Rig::start().await;
    let ws = rig.proxy.addr("websecure");
    let open = Client::trusting(&rig.ca)
        .connect(ws, "app.example.test")
        .await
        .unwrap();
    assert_eq!(open.leaf(), rig.one.cert_der.to_vec());
    let mut open = open.sender().await.unwrap();
    assert_eq!(open.get("app.example.test", "/").await.unwrap().status, 200);

    rig.serve("two", 1).await;
    assert_eq!(rig.leaf().await, rig.two.cert_der.to_vec());
    // The connection made before the swap goes on, on its own handshake.
    for _ in 0..3 {
        assert_eq!(open.get("app.example.test", "/").await.unwrap().status, 200);
    }
    rig.proxy.stop().await;
}

/// Regression: a reload while a certificate file was broken (a renewal tool halfway through
/// rewriting the pair, a file deleted) dropped the certificate, and its hosts got the default.
#[tokio::test]
async fn a_broken_certificate_file_keeps_the_last_good_certificate() {
    let rig = Rig::start().await;
    let d = rig.proxy.path();
    rig.serve("two", 1).await;

    // Halfway through a renewal: a new certificate beside the old key.
    let three = rig.ca.server_cert(&["app.example.test"]);
    std::fs::write(d.join("certs/two.crt"), &three.cert_pem).unwrap();
    rig.serve("two", 2).await;
    assert_eq!(rig.leaf().await, rig.two.cert_der.to_vec());

    // Garbage, then a missing key: still the last good pair.
    std::fs::write(d.join("certs/two.crt"), "not a certificate").unwrap();
    rig.serve("two", 3).await;
    assert_eq!(rig.leaf().await, rig.two.cert_der.to_vec());
    std::fs::remove_file(d.join("certs/two.key")).unwrap();
    rig.serve("two", 4).await;
    assert_eq!(rig.leaf().await, rig.two.cert_der.to_vec());

    // The renewal finishes: the new pair serves.
    std::fs::write(d.join("certs/two.crt"), &three.cert_pem).unwrap();
    std::fs::write(d.join("certs/two.key"), &three.key_pem).unwrap();
    rig.serve("two", 5).await;
    assert_eq!(rig.leaf().await, three.cert_der.to_vec());
    rig.proxy.stop().await;
}

/// Regression: the configuration holds paths, so a certificate renewed in place left it
/// unchanged and the watcher published nothing; Traefik reads the files into its
/// configuration and applies the renewal. Certificates inside the watched directory are now
/// re-read when they change, with no edit to the rules.
#[tokio::test]
async fn a_certificate_renewed_in_place_in_the_watched_directory_is_served() {
    let rig = Rig::start().await;
    let d = rig.proxy.path();
    put(&d, "rules/certs/live.crt", &rig.one.cert_pem);
    put(&d, "rules/certs/live.key", &rig.one.key_pem);
    let before = rig.proxy.generation();
    put(
        &d,
        "rules/certs.yaml",
        &render(
            "tls:\n  certificates:\n    - certFile: {dir}/rules/certs/live.crt\n      keyFile: {dir}/rules/certs/live.key\n",
            &d,
            &[],
        ),
    );
    rig.proxy.wait_reload(before).await;
    assert_eq!(rig.leaf().await, rig.one.cert_der.to_vec());

    // A renewal tool writes the new pair over the old one (key first, as certbot's deploy
    // hooks may; in between, the pair does not match and the old one keeps serving).
    put(&d, "rules/certs/live.key", &rig.two.key_pem);
    put(&d, "rules/certs/live.crt", &rig.two.cert_pem);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let leaf = rig.leaf().await;
        if leaf == rig.two.cert_der.to_vec() {
            break;
        }
        assert!(
            leaf == rig.one.cert_der.to_vec(),
            "only the old or the new certificate is ever served"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the renewed certificate was not served within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rig.proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapping_certificates_under_load_fails_no_handshake() {
    let rig = Rig::start().await;
    let ws = rig.proxy.addr("websecure");
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let seen = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let client = Client::trusting(&rig.ca);
        let (stop, ok, failed, seen) = (stop.clone(), ok.clone(), failed.clone(), seen.clone());
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match client.connect(ws, "app.example.test").await {
                    Ok(conn) => {
                        let leaf = conn.leaf();
                        match conn.get("app.example.test", "/").await {
                            Ok(a) if a.status == 200 => {
                                ok.fetch_add(1, Ordering::Relaxed);
                                seen.lock().unwrap().insert(leaf);
                            }
                            other => {
                                eprintln!("request failed: {other:?}");
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    Err(e) => {
                        eprintln!("handshake failed: {e}");
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for revision in 1..=10 {
        let name = if revision % 2 == 1 { "two" } else { "one" };
        rig.serve(name, revision).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert_eq!(
        failed,
        0,
        "{failed} of {} handshakes or requests failed",
        ok + failed
    );
    assert!(ok >= 10, "the clients kept going ({ok} requests)");
    let both = {
        let seen = seen.lock().unwrap();
        seen.contains(&rig.one.cert_der.to_vec()) && seen.contains(&rig.two.cert_der.to_vec())
    };
    assert!(both, "both certificates served during the swaps");
    rig.proxy.stop().await;
}
