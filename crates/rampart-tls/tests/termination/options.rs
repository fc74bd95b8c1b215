//! TLS options observed in real handshakes.

use rampart_testkit::TestCa;
use rampart_tls::TlsOptionsSpec;
use rustls::{CipherSuite, HandshakeKind, NamedGroup, ProtocolVersion};

use crate::rig::{Client, Server, config_for, exchange, setup, spec_with};

fn opts(f: impl FnOnce(&mut TlsOptionsSpec)) -> TlsOptionsSpec {
    let mut spec = TlsOptionsSpec::traefik_default();
    f(&mut spec);
    spec
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn min_tls13_refuses_a_tls12_client_and_max_tls12_caps_a_tls13_client() {
    let ca = TestCa::new("options ca");
    let cert = ca.server_cert(&["v.example.test"]);
    let tls13 = opts(|o| o.min_version = Some("VersionTLS13".into()));
    let s = setup(&spec_with(&[&cert], &[("default", tls13)]), &[]);
    let server = Server::start(s.acceptor).await;
    let err = exchange(
        server.addr,
        Client::trusting(&ca).tls12_only().config(),
        Some("v.example.test"),
    )
    .await
    .unwrap_err();
    assert!(err.contains("alert") || err.contains("version"), "{err}");
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("v.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(seen.version, ProtocolVersion::TLSv1_3);

    let tls12 = opts(|o| o.max_version = Some("VersionTLS12".into()));
    let s = setup(&spec_with(&[&cert], &[("default", tls12)]), &[]);
    let server = Server::start(s.acceptor).await;
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("v.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(seen.version, ProtocolVersion::TLSv1_2);
    assert!(seen.line.contains(" 1.2 TLS_ECDHE_ECDSA_"), "{}", seen.line);
}

#[tokio::test]
async fn cipher_suite_restriction_shows_in_the_negotiated_suite() {
    let ca = TestCa::new("options ca");
    let cert = ca.server_cert(&["c.example.test"]); // ECDSA P-256
    let restricted = opts(|o| {
        o.cipher_suites = strings(&[
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
            "TLS_AES_256_GCM_SHA384",
        ]);
    });
    let s = setup(&spec_with(&[&cert], &[("default", restricted)]), &[]);
    let server = Server::start(s.acceptor).await;

    // rustls clients prefer AES-128-GCM; the server's list decides.
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("c.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(seen.suite, CipherSuite::TLS13_AES_256_GCM_SHA384);
    assert!(
        seen.line.ends_with(" 1.3 TLS_AES_256_GCM_SHA384"),
        "{}",
        seen.line
    );

    let seen = exchange(
        server.addr,
        Client::trusting(&ca).tls12_only().config(),
        Some("c.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(
        seen.suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
    );
    assert!(
        seen.line
            .ends_with(" 1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
        "{}",
        seen.line
    );

    // A client offering only suites outside the list gets no handshake.
    let mut only_aes128 = Client::trusting(&ca);
    only_aes128.suites = Some(vec![
        rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ]);
    let err = exchange(server.addr, only_aes128.config(), Some("c.example.test"))
        .await
        .unwrap_err();
    assert!(err.contains("alert"), "{err}");
}

#[tokio::test]
async fn curve_preferences_restrict_the_key_exchange() {
    let ca = TestCa::new("options ca");
    let cert = ca.server_cert(&["k.example.test"]);
    // The seed guide's list: P-521 is skipped (ring), P-384 remains.
    let curves = opts(|o| o.curve_preferences = strings(&["secp521r1", "secp384r1"]));
    let s = setup(&spec_with(&[&cert], &[("default", curves)]), &[]);
    assert_eq!(s.report.warnings.len(), 1, "{:?}", s.report.warnings);
    let server = Server::start(s.acceptor).await;

    // The client's first key share is X25519; the server asks again for P-384.
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("k.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(seen.kx, Some(NamedGroup::secp384r1));

    let mut x25519_only = Client::trusting(&ca);
    x25519_only.kx = Some(vec![rustls::crypto::ring::kx_group::X25519]);
    let err = exchange(server.addr, x25519_only.config(), Some("k.example.test"))
        .await
        .unwrap_err();
    assert!(err.contains("alert"), "{err}");
}

#[tokio::test]
async fn alpn_h2_is_negotiated_and_options_can_narrow_it() {
    let ca = TestCa::new("options ca");
    let cert = ca.server_cert(&["h.example.test", "h1.example.test"]);
    let h1 = opts(|o| o.alpn_protocols = strings(&["http/1.1"]));
    let s = setup(
        &spec_with(&[&cert], &[("h1only", h1)]),
        &[("h1.example.test", "h1only")],
    );
    let server = Server::start(s.acceptor).await;
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("h.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]));
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("h1.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(seen.alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert!(
        seen.line.starts_with("h1only h1.example.test http/1.1 "),
        "{}",
        seen.line
    );
}

#[tokio::test]
async fn options_are_chosen_per_sni_with_conflicts_falling_back_to_default() {
    let ca = TestCa::new("options ca");
    let cert = ca.server_cert(&["*.example.test", "*.modern.example.test"]);
    let tls13 = opts(|o| o.min_version = Some("VersionTLS13".into()));
    let other = opts(|o| o.alpn_protocols = strings(&["http/1.1"]));
    let s = setup(
        &spec_with(&[&cert], &[("tls13@file", tls13), ("other@file", other)]),
        &[
            ("modern.example.test", "tls13@file"),
            ("*.modern.example.test", "tls13@file"),
            ("shared.example.test", "tls13@file"),
            ("shared.example.test", "other@file"),
        ],
    );
    assert_eq!(
        s.report.warnings.len(),
        1,
        "the conflict: {:?}",
        s.report.warnings
    );
    let mut server = Server::start(s.acceptor).await;
    let tls12 = Client::trusting(&ca).tls12_only().config();

    for sni in [
        "modern.example.test",
        "a.modern.example.test",
        "MODERN.example.test",
    ] {
        let err = exchange(server.addr, tls12.clone(), Some(sni))
            .await
            .unwrap_err();
        assert!(err.contains("alert"), "{sni}: {err}");
        let outcome = server.outcome().await.unwrap_err();
        assert!(
            outcome.to_string().contains("TLS options \"tls13@file\""),
            "{outcome}"
        );
    }
    for sni in ["legacy.example.test", "shared.example.test"] {
        let seen = exchange(server.addr, tls12.clone(), Some(sni))
            .await
            .unwrap();
        assert!(
            seen.line.starts_with(&format!("default {sni} ")),
            "{}",
            seen.line
        );
        assert_eq!(server.outcome().await.unwrap().options.as_ref(), "default");
    }
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("modern.example.test"),
    )
    .await
    .unwrap();
    assert!(
        seen.line
            .starts_with("tls13@file modern.example.test h2 1.3 "),
        "{}",
        seen.line
    );
}

#[tokio::test]
async fn hosts_whose_options_are_unusable_or_missing_are_refused_not_downgraded() {
    let ca = TestCa::new("options ca");
    let cert = ca.server_cert(&["*.example.test"]);
    let broken = opts(|o| o.cipher_suites = strings(&["TLS_NOT_A_SUITE"]));
    let s = setup(
        &spec_with(&[&cert], &[("broken@file", broken)]),
        &[
            ("broken.example.test", "broken@file"),
            ("missing.example.test", "missing@file"),
        ],
    );
    assert_eq!(s.report.errors.len(), 1);
    assert!(
        s.report.warnings.iter().any(|w| w.to_string()
            == "host \"missing.example.test\": TLS options \"missing@file\" do not exist; \
                handshakes for this host are refused"),
        "{:?}",
        s.report.warnings
    );
    let mut server = Server::start(s.acceptor).await;
    let client = Client::trusting(&ca).config();
    for (sni, options) in [
        ("broken.example.test", "broken@file"),
        ("missing.example.test", "missing@file"),
    ] {
        let err = exchange(server.addr, client.clone(), Some(sni))
            .await
            .unwrap_err();
        assert!(err.contains("alert"), "{sni}: {err}");
        let outcome = server.outcome().await.unwrap_err();
        assert_eq!(
            outcome.to_string(),
            format!("TLS handshake refused (SNI {sni:?}): TLS options {options:?} are unusable")
        );
    }
    exchange(server.addr, client, Some("fine.example.test"))
        .await
        .unwrap();
}

#[tokio::test]
async fn sessions_resume_unless_tickets_are_disabled() {
    let ca = TestCa::new("options ca");
    let cert = ca.server_cert(&["r.example.test", "off.example.test"]);
    let off = opts(|o| o.disable_session_tickets = true);
    let s = setup(
        &spec_with(&[&cert], &[("off", off)]),
        &[("off.example.test", "off")],
    );
    let server = Server::start(s.acceptor).await;
    for client in [Client::trusting(&ca), Client::trusting(&ca).tls12_only()] {
        // One client config: its session cache carries the ticket from one handshake to the next.
        let config = client.config();
        let first = exchange(server.addr, config.clone(), Some("r.example.test"))
            .await
            .unwrap();
        assert_eq!(first.kind, HandshakeKind::Full);
        let second = exchange(server.addr, config.clone(), Some("r.example.test"))
            .await
            .unwrap();
        assert_eq!(second.kind, HandshakeKind::Resumed, "{:?}", second.version);

        exchange(server.addr, config.clone(), Some("off.example.test"))
            .await
            .unwrap();
        let again = exchange(server.addr, config.clone(), Some("off.example.test"))
            .await
            .unwrap();
        assert_eq!(again.kind, HandshakeKind::Full, "{:?}", again.version);
    }
}

#[tokio::test]
async fn a_reload_invalidates_tickets_issued_before_it() {
    // Tickets are bound to the options object that issued them: after a reload (which may
    // have changed, say, client authentication) an old ticket gets a full handshake.
    let ca = TestCa::new("options ca");
    let cert = ca.server_cert(&["r.example.test"]);
    let spec = spec_with(&[&cert], &[]);
    let s = setup(&spec, &[]);
    let server = Server::start(s.acceptor.clone()).await;
    let config = Client::trusting(&ca).config();
    exchange(server.addr, config.clone(), Some("r.example.test"))
        .await
        .unwrap();
    let resumed = exchange(server.addr, config.clone(), Some("r.example.test"))
        .await
        .unwrap();
    assert_eq!(resumed.kind, HandshakeKind::Resumed);

    let (reloaded, _) = config_for(&spec, &[], &s.store, &s.challenges);
    s.acceptor.swap(reloaded);
    let after = exchange(server.addr, config.clone(), Some("r.example.test"))
        .await
        .unwrap();
    assert_eq!(after.kind, HandshakeKind::Full);
}
