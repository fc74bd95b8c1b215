//! Which certificate a handshake gets.

use std::collections::BTreeMap;

use rampart_testkit::TestCa;
use rampart_tls::{StoreSpec, TlsOptionsSpec, TlsSpec, generated_default};

use crate::rig::{Client, Server, cert_spec, exchange, setup, spec_with};

#[tokio::test]
async fn exact_beats_wildcard_beats_default() {
    let ca = TestCa::new("selection ca");
    let wild = ca.server_cert(&["*.example.test"]);
    let exact = ca.server_cert(&["a.example.test"]);
    let s = setup(&spec_with(&[&wild, &exact], &[]), &[]);
    assert!(s.report.is_ok(), "{:?}", s.report.errors);
    let default = s.store.default_cert().cert[0].to_vec();
    let server = Server::start(s.acceptor).await;
    let client = Client::any_server().config();

    for (sni, expected) in [
        ("a.example.test", exact.cert_der.to_vec()),
        ("b.example.test", wild.cert_der.to_vec()),
        // One label only.
        ("x.b.example.test", default.clone()),
        ("example.test", default.clone()),
        ("unrelated.test", default.clone()),
    ] {
        let seen = exchange(server.addr, client.clone(), Some(sni))
            .await
            .unwrap();
        assert_eq!(seen.leaf, expected, "SNI {sni}");
        assert!(
            seen.line.starts_with(&format!("default {sni} h2 1.3 ")),
            "{}",
            seen.line
        );
    }
}

#[tokio::test]
async fn sni_matches_case_insensitively() {
    let ca = TestCa::new("selection ca");
    let exact = ca.server_cert(&["a.example.test"]);
    let s = setup(&spec_with(&[&exact], &[]), &[]);
    let server = Server::start(s.acceptor).await;
    // Verified against the CA: only the right certificate passes.
    let client = Client::trusting(&ca).config();
    let seen = exchange(server.addr, client, Some("A.Example.TEST"))
        .await
        .unwrap();
    assert_eq!(seen.leaf, exact.cert_der.to_vec());
    assert!(
        seen.line.starts_with("default a.example.test "),
        "{}",
        seen.line
    );
}

#[tokio::test]
async fn the_generated_default_is_traefiks_default_cert() {
    let s = setup(&TlsSpec::default(), &[]);
    let server = Server::start(s.acceptor).await;
    let seen = exchange(
        server.addr,
        Client::any_server().config(),
        Some("anything.test"),
    )
    .await
    .unwrap();
    let generated = generated_default();
    assert_eq!(seen.leaf, generated.certified_key().cert[0].to_vec());
    assert_eq!(generated.subject(), "CN=TRAEFIK DEFAULT CERT");
    // No SNI at all: the default too.
    let seen = exchange(server.addr, Client::any_server().config(), None)
        .await
        .unwrap();
    assert_eq!(seen.leaf, generated.certified_key().cert[0].to_vec());
    assert!(seen.line.starts_with("default - h2 "), "{}", seen.line);
}

#[tokio::test]
async fn a_configured_default_certificate_serves_unknown_and_missing_sni() {
    let ca = TestCa::new("selection ca");
    let fallback = ca.server_cert(&["fallback.example.test"]);
    let mut spec = TlsSpec::default();
    let mut stores = BTreeMap::new();
    stores.insert(
        "default".to_owned(),
        StoreSpec {
            default_certificate: Some(cert_spec(&fallback)),
            default_generated_cert: None,
        },
    );
    spec.stores = stores;
    let s = setup(&spec, &[]);
    assert!(s.report.is_ok());
    let server = Server::start(s.acceptor).await;
    for sni in [Some("unknown.example.test"), None] {
        let seen = exchange(server.addr, Client::any_server().config(), sni)
            .await
            .unwrap();
        assert_eq!(seen.leaf, fallback.cert_der.to_vec(), "SNI {sni:?}");
    }
}

#[tokio::test]
async fn sni_strict_refuses_unknown_and_missing_sni() {
    let ca = TestCa::new("selection ca");
    let known = ca.server_cert(&["known.example.test", "*.wild.example.test"]);
    let strict = TlsOptionsSpec {
        sni_strict: true,
        ..TlsOptionsSpec::traefik_default()
    };
    let s = setup(&spec_with(&[&known], &[("default", strict)]), &[]);
    let mut server = Server::start(s.acceptor).await;
    let client = Client::any_server().config();

    for sni in ["known.example.test", "a.wild.example.test"] {
        exchange(server.addr, client.clone(), Some(sni))
            .await
            .unwrap();
        assert!(server.outcome().await.is_ok());
    }
    for sni in [Some("unknown.example.test"), None] {
        let err = exchange(server.addr, client.clone(), sni)
            .await
            .unwrap_err();
        assert!(err.contains("alert"), "SNI {sni:?}: {err}");
        let refused = server.outcome().await.unwrap_err();
        assert!(
            refused.to_string().contains("TLS handshake failed"),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn without_sni_the_certificate_for_the_local_ip_is_served() {
    let ca = TestCa::new("selection ca");
    let by_ip = ca.server_cert(&["127.0.0.1"]);
    let strict = TlsOptionsSpec {
        sni_strict: true,
        ..TlsOptionsSpec::traefik_default()
    };
    let s = setup(&spec_with(&[&by_ip], &[("default", strict)]), &[]);
    let server = Server::start(s.acceptor).await;
    // The client verifies the certificate against 127.0.0.1 and sends no SNI; even sniStrict
    // serves it, as Traefik does (the local address stands in for the server name).
    let seen = exchange(server.addr, Client::trusting(&ca).config(), None)
        .await
        .unwrap();
    assert_eq!(seen.leaf, by_ip.cert_der.to_vec());
}
