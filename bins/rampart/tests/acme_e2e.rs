//! ACME through the binary, against Debian's pebble with BIND (RFC 2136 + TSIG) or
//! pebble-challtestsrv as its DNS, all on 127.0.0.1 (`rampart_testkit::acme_rig`):
//!
//! * the guide's `websecure` (`certResolver: le`, `domains: example.test + *.example.test`,
//!   `tls-opts@file`) obtains its certificate by DNS-01 `rfc2136`, and the proxy's own listener
//!   presents it for `a.example.test` and `example.test` and proxies the requests; before that,
//!   serving does not wait (the default certificate answers where the options allow it);
//! * a router with only `tls.certResolver` and a `Host` rule gets a certificate for that host;
//! * a restart with the saved `acme.json` serves at once with the CA gone (no new order);
//! * HTTP-01 through `acme-http@internal` on `web`, TLS-ALPN-01 through the acceptor.
//!
//! Needs `pebble` and `named` (`apt-get install -y pebble bind9`, or scripts/install-deps.sh).

mod common;
#[path = "common/e2e_tls.rs"]
mod e2e_tls;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::TestProxy;
use e2e_tls::{Client, fixture, generated_default_leaf, put, render, restart, start_in};
use rampart_testkit::acme_rig::{DnsBackend, Rig, RigOptions, free_port};
use rampart_testkit::{TestCa, Upstream, reply};
use rampart_tls::CertOrigin;

/// Bound on one issuance on the loaded CI machine (it takes 2–4 s here).
const ISSUANCE: Duration = Duration::from_mins(2);

/// Waits until resolver `resolver` has put a certificate for order `main` into the store.
async fn wait_for_certificate(proxy: &TestProxy, rig: &Rig, resolver: &str, main: &str) {
    let deadline = Instant::now() + ISSUANCE;
    while Instant::now() < deadline {
        if has_certificate(proxy, resolver, main) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no certificate for {main} from {resolver} within {ISSUANCE:?}\npebble log:\n{}\nnamed log:\n{}",
        rig.log("pebble"),
        rig.log("named")
    );
}

fn has_certificate(proxy: &TestProxy, resolver: &str, main: &str) -> bool {
    proxy
        .running()
        .live()
        .tls()
        .store
        .certificates()
        .iter()
        .any(|c| {
            matches!(&c.origin, CertOrigin::Acme { resolver: r, main: m }
                if &**r == resolver && &**m == main)
        })
}

fn acme_certificates(proxy: &TestProxy) -> usize {
    proxy
        .running()
        .live()
        .tls()
        .store
        .certificates()
        .iter()
        .filter(|c| matches!(c.origin, CertOrigin::Acme { .. }))
        .count()
}

/// The RFC 2136 credentials of the rig's BIND, as lego's variables.
fn rfc2136_env(rig: &Rig) -> BTreeMap<String, String> {
    [
        ("RFC2136_NAMESERVER", rig.dns.to_string()),
        ("RFC2136_TSIG_KEY", rig.tsig_name.clone()),
        ("RFC2136_TSIG_SECRET", rig.tsig_secret.clone()),
        ("RFC2136_TSIG_ALGORITHM", "hmac-sha256.".to_owned()),
        ("RFC2136_POLLING_INTERVAL", "1".to_owned()),
        ("RFC2136_PROPAGATION_TIMEOUT", "60".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The guide's websecure with resolver `le` on the rig, and the routers of `acme-apps.yaml`.
async fn start_dns01(rig: &Rig, upstream: &Upstream) -> (TestProxy, BTreeMap<String, String>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let vars = [
        ("ca_server", rig.directory.clone()),
        ("wfe_ca", rig.wfe_ca.display().to_string()),
        ("dns", rig.dns.to_string()),
        ("upstream", upstream.url()),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    put(
        &d,
        "rampart.yaml",
        &render(&fixture("acme.yaml"), &d, &vars),
    );
    put(
        &d,
        "rules/tls-opts.yaml",
        &render(&fixture("rules/tls-opts.yaml"), &d, &[]),
    );
    put(&d, "certs/client-ca.crt", TestCa::new("unused").cert_pem());
    put(
        &d,
        "rules/apps.yaml",
        &render(&fixture("acme-apps.yaml"), &d, &vars),
    );
    let env = rfc2136_env(rig);
    match start_in(dir, env.clone()).await {
        Ok(p) => (p, env),
        Err((_, e)) => panic!("proxy starts: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_websecure_gets_its_wildcard_certificate_by_dns01_and_serves_it() {
    let rig = Rig::start(RigOptions {
        dns: DnsBackend::Bind,
        zones: vec!["example.test".into(), "solo.test".into()],
        ..RigOptions::default()
    })
    .await;
    let upstream = Upstream::start(|req| async move {
        reply::text(200, format!("hello from {}", req.uri().path()))
    })
    .await;
    let (proxy, env) = start_dns01(&rig, &upstream).await;
    let ws = proxy.addr("websecure");

    // Serving does not wait for ACME (delayBeforeChecks puts issuance 2 s away at least).
    assert_eq!(acme_certificates(&proxy), 0, "nothing issued yet");
    let anything = Client::accepting_anything();
    let early = anything.connect(ws, "app.solo.test").await.unwrap();
    assert_eq!(
        early.leaf(),
        generated_default_leaf(),
        "the default answers"
    );
    let answer = early.get("app.solo.test", "/early").await.unwrap();
    assert_eq!(
        (answer.status.as_u16(), answer.body.as_str()),
        (200, "hello from /early")
    );
    // …except under the guide's sniStrict, which refuses the default certificate (as Traefik).
    assert!(anything.connect(ws, "a.example.test").await.is_err());
    assert_eq!(acme_certificates(&proxy), 0, "still nothing issued");

    wait_for_certificate(&proxy, &rig, "le", "example.test").await;
    wait_for_certificate(&proxy, &rig, "le", "app.solo.test").await;

    // The proxy's listener presents the issued chain, verified against pebble's root.
    let pebble = Client::trusting_pem(&rig.issuer_root_pem);
    let mut leaves = BTreeMap::new();
    for (host, path) in [
        ("a.example.test", "/wildcard"),
        ("example.test", "/apex"),
        ("app.solo.test", "/solo"),
    ] {
        let conn = pebble
            .connect(ws, host)
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        leaves.insert(host, conn.leaf());
        let answer = conn.get(host, path).await.unwrap();
        assert_eq!(
            (answer.status.as_u16(), answer.body),
            (200, format!("hello from {path}")),
            "{host}"
        );
    }
    assert_eq!(
        leaves["a.example.test"], leaves["example.test"],
        "one certificate"
    );
    assert_ne!(leaves["a.example.test"], leaves["app.solo.test"], "its own");

    // Saved in Traefik's acme.json shape.
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(proxy.path().join("acme.json")).unwrap())
            .unwrap();
    let mains: Vec<&str> = stored["le"]["Certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["domain"]["main"].as_str().unwrap())
        .collect();
    assert_eq!(mains.len(), 2, "{mains:?}");
    assert!(mains.contains(&"example.test") && mains.contains(&"app.solo.test"));

    // Restart with the CA and the DNS server gone: the saved certificates serve at once.
    // Regression: the resolver could not start without its `caCertificates` file (gone with
    // the rig), and then its stored certificates were not served either.
    let issuer_root = rig.issuer_root_pem.clone();
    drop(rig);
    let saved = std::fs::read(proxy.path().join("acme.json")).unwrap();
    let proxy = restart(proxy, env).await;
    let ws = proxy.addr("websecure");
    let pebble = Client::trusting_pem(&issuer_root);
    for host in ["a.example.test", "example.test", "app.solo.test"] {
        let conn = pebble.connect(ws, host).await.unwrap();
        assert_eq!(conn.leaf(), leaves[host], "{host} after restart");
        assert_eq!(conn.get(host, "/").await.unwrap().status, 200);
    }
    assert_eq!(
        std::fs::read(proxy.path().join("acme.json")).unwrap(),
        saved,
        "no new order"
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http01_through_acme_http_internal_and_tls_alpn01_through_the_acceptor() {
    let upstream = Upstream::start(|_| async { reply::text(200, "issued") }).await;
    // Pebble validates on fixed ports, which the proxy must then bind: if another process took
    // one meanwhile, start over on new ports.
    let mut attempt = 0;
    let (rig, proxy) = loop {
        attempt += 1;
        let (http_port, tls_port) = (free_port(), free_port());
        let rig = Rig::start(RigOptions {
            dns: DnsBackend::ChallTestSrv,
            http01_port: http_port,
            tlsalpn01_port: tls_port,
            ..RigOptions::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_owned();
        let vars = [
            ("ca_server", rig.directory.clone()),
            ("http_port", http_port.to_string()),
            ("tls_port", tls_port.to_string()),
            ("upstream", upstream.url()),
        ];
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        put(
            &d,
            "rampart.yaml",
            &render(&fixture("acme-challenges.yaml"), &d, &vars),
        );
        put(
            &d,
            "rules/apps.yaml",
            &render(&fixture("acme-challenges-apps.yaml"), &d, &vars),
        );
        let env = BTreeMap::from([(
            "LEGO_CA_CERTIFICATES".to_owned(),
            rig.wfe_ca.display().to_string(),
        )]);
        match start_in(dir, env).await {
            Ok(proxy) => break (rig, proxy),
            Err((_, e)) if attempt < 3 => eprintln!("attempt {attempt}: {e}; new ports"),
            Err((_, e)) => panic!("proxy starts: {e}"),
        }
    };

    wait_for_certificate(&proxy, &rig, "http", "web.example.test").await;
    wait_for_certificate(&proxy, &rig, "alpn", "alpn.example.test").await;
    let pebble = Client::trusting_pem(&rig.issuer_root_pem);
    let ws = proxy.addr("websecure");
    for host in ["web.example.test", "alpn.example.test"] {
        let answer = pebble
            .get(ws, host, host, "/")
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert_eq!(
            (answer.status.as_u16(), answer.body.as_str()),
            (200, "issued")
        );
    }
    // The validations were answered by the proxy: pebble fetched the HTTP-01 token from `web`;
    // the `alpn` resolver has no other way than TLS-ALPN-01 on `websecure`'s port.
    let log = rig.log("pebble");
    assert!(
        log.contains("Attempting to validate w/ HTTP: http://web.example.test:"),
        "{log}"
    );

    // And `web` still redirects everything else to websecure.
    let (status, headers, _) = common::get(
        &format!("http://{}/x", proxy.addr("web")),
        &[("host", "web.example.test")],
    )
    .await;
    assert_eq!(status, 301);
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .starts_with("https://web.example.test")
    );
    proxy.stop().await;
}
