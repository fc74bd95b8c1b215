//! TLS termination through the binary, with the guide's `websecure` entrypoint
//! (`http.tls.options: tls-opts@file`) and its TLS options file: certificates by SNI (exact,
//! then wildcard, then the default), the options per router (`sniStrict`, versions, curves,
//! `mintls13`, `default`), ALPN h2, mTLS with `passTLSClientCert`, TLS and plain HTTP on one
//! port, and the 421 answer when a request's Host needs other TLS options than its SNI got.
//!
//! Every check is a real rustls client handshaking with the proxy's listener and sending real
//! HTTP/1.1 or HTTP/2 to a real upstream on 127.0.0.1.

mod common;
#[path = "common/e2e_tls.rs"]
mod e2e_tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use base64::Engine as _;
use common::TestProxy;
use e2e_tls::{
    Client, fixture, generated_default_leaf, put, render, start_in, write_cert, yaml_block,
};
use rampart_testkit::{TestCa, TestCert, Upstream, reply};
use rustls::crypto::ring::kx_group;

/// The guide's configuration running, with its certificates and an upstream.
struct Guide {
    proxy: TestProxy,
    ca: TestCa,
    client_ca: TestCa,
    upstream: Upstream,
    wildcard: TestCert,
    exact: TestCert,
}

impl Guide {
    /// Starts the fixture configuration plus `extra` rules files (`{dir}` replaced).
    async fn start(extra: &[(&str, &str)]) -> Guide {
        let ca = TestCa::new("e2e-tls CA");
        let client_ca = TestCa::new("e2e-tls client CA");
        let wildcard = ca.server_cert(&["*.example.test"]);
        let exact = ca.server_cert(&["exact.example.test"]);
        let lan = ca.server_cert(&["plain.lan.test", "secure.lan.test"]);
        let upstream = Upstream::start(|req| async move {
            reply::text(200, format!("{} {}", req.method(), req.uri()))
        })
        .await;

        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().to_owned();
        write_cert(&d, "wildcard", &wildcard);
        write_cert(&d, "lan", &lan);
        put(&d, "certs/client-ca.crt", client_ca.cert_pem());
        put(
            &d,
            "rampart.yaml",
            &render(&fixture("rampart.yaml"), &d, &[]),
        );
        put(
            &d,
            "rules/tls-opts.yaml",
            &render(&fixture("rules/tls-opts.yaml"), &d, &[]),
        );
        let upstream_url = upstream.url();
        let inline_cert = yaml_block(&exact.cert_pem, 8);
        let inline_key = yaml_block(&exact.key_pem, 8);
        put(
            &d,
            "rules/apps.yaml",
            &render(
                &fixture("rules/apps.yaml"),
                &d,
                &[
                    ("upstream", &upstream_url),
                    ("inline_cert", &inline_cert),
                    ("inline_key", &inline_key),
                ],
            ),
        );
        for (path, content) in extra {
            put(&d, path, &render(content, &d, &[]));
        }
        let proxy = match start_in(dir, BTreeMap::new()).await {
            Ok(p) => p,
            Err((_, e)) => panic!("proxy starts: {e}"),
        };
        Guide {
            proxy,
            ca,
            client_ca,
            upstream,
            wildcard,
            exact,
        }
    }

    fn websecure(&self) -> SocketAddr {
        self.proxy.addr("websecure")
    }

    fn client(&self) -> Client {
        Client::trusting(&self.ca)
    }
}

#[tokio::test]
async fn file_certificates_are_chosen_by_sni_exact_then_wildcard_and_requests_reach_the_upstream() {
    let g = Guide::start(&[]).await;
    let ws = g.websecure();

    let conn = g.client().connect(ws, "app.example.test").await.unwrap();
    assert_eq!(
        conn.leaf(),
        g.wildcard.cert_der.to_vec(),
        "wildcard for app"
    );
    let answer = conn.get("app.example.test", "/hello?x=1").await.unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body, "GET /hello?x=1");
    let seen = g.upstream.last_request().unwrap();
    assert_eq!(seen.header("x-forwarded-proto"), "https");
    assert_eq!(seen.header("host"), "app.example.test");

    // The inline certificate names exact.example.test: exact beats the wildcard.
    let conn = g.client().connect(ws, "exact.example.test").await.unwrap();
    assert_eq!(conn.leaf(), g.exact.cert_der.to_vec(), "inline exact cert");
    let answer = conn.get("exact.example.test", "/").await.unwrap();
    assert_eq!(answer.status, 200);

    // SNI is case-insensitive and ignores a trailing dot, as a Host is.
    let conn = g.client().connect(ws, "APP.example.test").await.unwrap();
    assert_eq!(conn.leaf(), g.wildcard.cert_der.to_vec());
    g.proxy.stop().await;
}

#[tokio::test]
async fn an_unknown_sni_or_none_gets_the_generated_default_certificate() {
    let g = Guide::start(&[]).await;
    let ws = g.websecure();
    let anything = Client::accepting_anything();

    // No router names the host: the default options (not strict) and the default certificate.
    let conn = anything.connect(ws, "unknown.other.test").await.unwrap();
    assert_eq!(conn.leaf(), generated_default_leaf());
    let answer = conn.get("unknown.other.test", "/").await.unwrap();
    assert_eq!(answer.status, 404);

    // An IP address: rustls sends no SNI (RFC 6066 §3 forbids addresses there).
    let conn = anything.connect(ws, "127.0.0.1").await.unwrap();
    assert_eq!(conn.leaf(), generated_default_leaf());

    // A client verifying against the test CA refuses it, as a browser would.
    assert!(g.client().connect(ws, "unknown.other.test").await.is_err());
    g.proxy.stop().await;
}

#[tokio::test]
async fn a_configured_default_certificate_replaces_the_generated_one() {
    let store = "
tls:
  stores:
    default:
      defaultCertificate:
        certFile: {dir}/certs/fallback.crt
        keyFile: {dir}/certs/fallback.key
";
    // Written before the proxy starts, like the rules.
    let fallback = TestCa::new("fallback CA").server_cert(&["fallback.example.net"]);
    let g = Guide::start(&[
        ("certs/fallback.crt", &fallback.cert_pem),
        ("certs/fallback.key", &fallback.key_pem),
        ("rules/store.yaml", store),
    ])
    .await;
    let conn = Client::accepting_anything()
        .connect(g.websecure(), "unknown.other.test")
        .await
        .unwrap();
    assert_eq!(conn.leaf(), fallback.cert_der.to_vec());
    // Named certificates still win.
    let conn = g
        .client()
        .connect(g.websecure(), "app.example.test")
        .await
        .unwrap();
    assert_eq!(conn.leaf(), g.wildcard.cert_der.to_vec());
    g.proxy.stop().await;
}

#[tokio::test]
async fn the_guides_tls_opts_are_strict_about_sni_versions_and_curves() {
    let g = Guide::start(&[]).await;
    let ws = g.websecure();

    // sniStrict: a host of a tls-opts router without a certificate is refused, not given the
    // default certificate.
    let refused = Client::accepting_anything()
        .connect(ws, "nocert.other.test")
        .await;
    assert!(refused.is_err(), "sniStrict refuses: {:?}", refused.err());

    // curvePreferences [secp521r1 (skipped: ring has no P-521), secp384r1]: P-384 only.
    let p384 = g.client().kx_groups(&[kx_group::SECP384R1]);
    let answer = p384
        .get(ws, "app.example.test", "app.example.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    for group in [kx_group::X25519, kx_group::SECP256R1] {
        let only = g.client().kx_groups(&[group]);
        assert!(
            only.connect(ws, "app.example.test").await.is_err(),
            "{group:?} is not in tls-opts' curves"
        );
    }

    // minVersion TLS 1.2, and the guide's TLS 1.2 suites.
    let tls12 = g
        .client()
        .tls12_only()
        .kx_groups(&[kx_group::SECP384R1])
        .cipher_suites(&[
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ]);
    let conn = tls12.connect(ws, "app.example.test").await.unwrap();
    assert_eq!(conn.version(), Some(rustls::ProtocolVersion::TLSv1_2));

    // mintls13 on its router: TLS 1.2 refused, TLS 1.3 served.
    let refused = g
        .client()
        .tls12_only()
        .connect(ws, "strict13.example.test")
        .await;
    assert!(refused.is_err(), "mintls13 refuses TLS 1.2");
    let conn = g
        .client()
        .tls13_only()
        .connect(ws, "strict13.example.test")
        .await
        .unwrap();
    assert_eq!(conn.version(), Some(rustls::ProtocolVersion::TLSv1_3));
    assert_eq!(
        conn.get("strict13.example.test", "/").await.unwrap().status,
        200
    );

    // A router with its own `tls: {}` takes nothing from the entrypoint: the default options
    // (X25519 allowed, no strict SNI), as in Traefik.
    let x25519 = g.client().kx_groups(&[kx_group::X25519]).tls12_only();
    let answer = x25519
        .get(ws, "lax.example.test", "lax.example.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    g.proxy.stop().await;
}

#[tokio::test]
async fn alpn_h2_carries_http2_requests_through_to_the_upstream() {
    let g = Guide::start(&[]).await;
    let h2 = g.client().alpn(&[b"h2", b"http/1.1"]);
    let conn = h2.connect(g.websecure(), "app.example.test").await.unwrap();
    assert_eq!(conn.alpn().as_deref(), Some(&b"h2"[..]));
    let mut sender = conn.sender().await.unwrap();
    for i in 0..3 {
        let answer = sender
            .get("app.example.test", &format!("/h2/{i}"))
            .await
            .unwrap();
        assert_eq!(answer.version, http::Version::HTTP_2);
        assert_eq!(
            (answer.status.as_u16(), answer.body.as_str()),
            (200, &*format!("GET /h2/{i}"))
        );
    }
    let seen = g.upstream.last_request().unwrap();
    assert_eq!(seen.header("x-forwarded-proto"), "https");
    assert_eq!(seen.header("x-forwarded-host"), "app.example.test");

    // Without ALPN, HTTP/1.1.
    let conn = g
        .client()
        .alpn(&[])
        .connect(g.websecure(), "app.example.test")
        .await
        .unwrap();
    assert_eq!(conn.alpn(), None);
    let answer = conn.get("app.example.test", "/").await.unwrap();
    assert_eq!(answer.version, http::Version::HTTP_11);
    g.proxy.stop().await;
}

#[tokio::test]
async fn mtls_requires_a_verified_client_certificate_and_pass_tls_client_cert_forwards_it() {
    let g = Guide::start(&[]).await;
    let ws = g.websecure();
    let alice = g.client_ca.client_cert("alice");

    let answer = g
        .client()
        .identity(&alice)
        .get(ws, "mtls.example.test", "mtls.example.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    let seen = g.upstream.last_request().unwrap();
    assert_eq!(
        seen.header("x-forwarded-tls-client-cert"),
        base64::engine::general_purpose::STANDARD.encode(&alice.cert_der)
    );
    assert!(
        seen.header("x-forwarded-tls-client-cert-info")
            .contains("CN%3Dalice"),
        "{}",
        seen.header("x-forwarded-tls-client-cert-info")
    );

    // No certificate, or one from another CA: no request gets through (TLS 1.3 reports the
    // refusal on the first read, so the request is what fails).
    let stranger = TestCa::new("stranger").client_cert("mallory");
    for client in [g.client(), g.client().identity(&stranger)] {
        let before = g.upstream.request_count();
        let result = client
            .get(ws, "mtls.example.test", "mtls.example.test", "/")
            .await;
        assert!(result.is_err(), "refused: {result:?}");
        assert_eq!(g.upstream.request_count(), before);
    }

    g.proxy.stop().await;
}

#[tokio::test]
async fn tls_and_plain_http_share_a_port_and_each_router_serves_only_its_kind() {
    let g = Guide::start(&[]).await;
    let lan = g.proxy.addr("lan");
    let url = format!("http://{lan}");

    // Plain HTTP: the plain router answers, the TLS router does not exist for it.
    let (status, _, body) = common::get(&url, &[("host", "plain.lan.test")]).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "GET /"));
    let (status, _, _) = common::get(&url, &[("host", "secure.lan.test")]).await;
    assert_eq!(status, 404, "a TLS router never serves plain HTTP");

    // TLS on the same port (the first byte tells): the TLS router answers, the plain one not.
    let answer = g
        .client()
        .get(lan, "secure.lan.test", "secure.lan.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    let answer = g
        .client()
        .get(lan, "plain.lan.test", "plain.lan.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 404, "a plain router never serves TLS");

    // On websecure (http.tls) every router is a TLS router: plain HTTP finds none.
    let (status, _, _) = common::get(
        &format!("http://{}", g.websecure()),
        &[("host", "app.example.test")],
    )
    .await;
    assert_eq!(status, 404);
    g.proxy.stop().await;
}

/// Attack: handshake for a host served with weak options (no client certificate asked), then
/// send the request to a host whose router requires mTLS ("domain fronting" between TLS
/// options). Traefik's `snicheck` answers 421; so must rampart, for every pair of options.
#[tokio::test]
async fn a_request_for_a_host_needing_other_tls_options_than_its_sni_gets_421() {
    let g = Guide::start(&[]).await;
    let ws = g.websecure();

    let fronted = g
        .client()
        .get(ws, "lax.example.test", "mtls.example.test", "/")
        .await
        .unwrap();
    assert_eq!(fronted.status, 421, "{fronted:?}");
    assert_eq!(g.upstream.request_count(), 0);

    for (sni, host) in [
        ("app.example.test", "strict13.example.test"),
        ("lax.example.test", "app.example.test"),
    ] {
        let answer = g.client().get(ws, sni, host, "/").await.unwrap();
        assert_eq!(answer.status, 421, "SNI {sni} → Host {host}");
    }
    // The same options on both sides: served (Traefik allows it, and HTTP/2 coalescing needs it).
    let answer = g
        .client()
        .get(ws, "app.example.test", "other.example.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    let answer = Client::accepting_anything()
        .get(ws, "unknown.other.test", "lax.example.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "both default options");

    // Over one HTTP/2 connection: the second host is refused, the connection stays usable.
    let conn = g
        .client()
        .alpn(&[b"h2"])
        .connect(ws, "app.example.test")
        .await
        .unwrap();
    let mut sender = conn.sender().await.unwrap();
    assert_eq!(
        sender
            .get("strict13.example.test", "/")
            .await
            .unwrap()
            .status,
        421
    );
    assert_eq!(
        sender.get("app.example.test", "/").await.unwrap().status,
        200
    );
    g.proxy.stop().await;
}

/// Traefik chooses TLS options per entrypoint: one host may need TLS 1.3 on one entrypoint and
/// take the default options on another, with no conflict between them.
#[tokio::test]
async fn the_same_host_can_have_different_tls_options_on_two_entrypoints() {
    let dual = "
http:
  routers:
    dual-lan:
      rule: Host(`dual.example.test`)
      entryPoints: [lan]
      service: upstream
      tls: {options: mintls13}
    dual-websecure:
      rule: Host(`dual.example.test`)
      entryPoints: [websecure]
      service: upstream
      tls: {}
";
    let g = Guide::start(&[("rules/dual.yaml", dual)]).await;
    let (lan, ws) = (g.proxy.addr("lan"), g.websecure());
    let tls12 = g.client().tls12_only();
    assert!(
        tls12.connect(lan, "dual.example.test").await.is_err(),
        "mintls13 on lan"
    );
    let answer = g
        .client()
        .tls13_only()
        .get(lan, "dual.example.test", "dual.example.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    let answer = tls12
        .get(ws, "dual.example.test", "dual.example.test", "/")
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "default options on websecure");
    g.proxy.stop().await;
}
