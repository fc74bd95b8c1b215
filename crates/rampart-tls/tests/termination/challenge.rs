//! TLS-ALPN-01 (RFC 8737): the challenge certificate for `acme-tls/1` handshakes.

use rampart_testkit::TestCa;
use rampart_tls::{ClientAuthSpec, FileOrPem, LoadedCert, TlsOptionsSpec};

use crate::rig::{Client, Server, connect, exchange, setup, spec_with};

const ACME: &[u8] = b"acme-tls/1";

fn loaded(cert: &rampart_testkit::TestCert) -> LoadedCert {
    LoadedCert::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes(), "test").unwrap()
}

#[tokio::test]
async fn an_acme_handshake_gets_the_challenge_certificate_and_is_closed() {
    let ca = TestCa::new("acme ca");
    let regular = ca.server_cert(&["app.example.test"]);
    let challenge = ca.server_cert(&["app.example.test"]);
    let s = setup(&spec_with(&[&regular], &[]), &[]);
    s.challenges
        .insert("app.example.test", loaded(&challenge).certified_key());
    let mut server = Server::start(s.acceptor).await;

    let validator = Client::trusting(&ca).alpn(&[ACME]).config();
    let mut stream = connect(server.addr, validator, Some("app.example.test"))
        .await
        .unwrap();
    let (_, conn) = stream.get_ref();
    assert_eq!(conn.alpn_protocol(), Some(ACME));
    assert_eq!(conn.peer_certificates().unwrap()[0], challenge.cert_der);
    // The server closes right after the handshake (RFC 8737 §3).
    let mut rest = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut rest)
        .await
        .unwrap();
    assert!(rest.is_empty());
    let outcome = server.outcome().await.unwrap_err();
    assert!(!outcome.is_failure(), "{outcome}");

    // A regular client for the same name gets the regular certificate.
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("app.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(seen.leaf, regular.cert_der.to_vec());
    assert!(server.outcome().await.is_ok());

    // Taken down: the validation handshake fails (no fallback to the regular certificate).
    assert!(s.challenges.remove("app.example.test"));
    let validator = Client::trusting(&ca).alpn(&[ACME]).config();
    let err = exchange(server.addr, validator, Some("app.example.test"))
        .await
        .unwrap_err();
    assert!(err.contains("alert"), "{err}");
    assert!(server.outcome().await.unwrap_err().is_failure());
}

#[tokio::test]
async fn the_challenge_is_answered_even_where_the_options_demand_a_client_certificate() {
    let ca = TestCa::new("acme ca");
    let clients = TestCa::new("client ca");
    let regular = ca.server_cert(&["admin.example.test"]);
    let mtls = TlsOptionsSpec {
        client_auth: ClientAuthSpec {
            ca_files: vec![FileOrPem::Pem(clients.cert_pem().to_owned())],
            client_auth_type: None,
        },
        alpn_protocols: vec!["h2".into()], // no acme-tls/1 listed
        ..TlsOptionsSpec::traefik_default()
    };
    let s = setup(
        &spec_with(&[&regular], &[("mtls", mtls)]),
        &[("admin.example.test", "mtls")],
    );
    let challenge = ca.server_cert(&["admin.example.test"]);
    s.challenges
        .insert("admin.example.test", loaded(&challenge).certified_key());
    let server = Server::start(s.acceptor).await;
    let validator = Client::trusting(&ca).alpn(&[ACME]).config();
    let stream = connect(server.addr, validator, Some("admin.example.test"))
        .await
        .unwrap();
    assert_eq!(
        stream.get_ref().1.peer_certificates().unwrap()[0],
        challenge.cert_der
    );
}
