use rampart_testkit::TestCa;
use rcgen::{CertificateParams, DnType, KeyPair};

use super::*;

const P256_SEC1: &str = include_str!("../../../../fixtures/tls/keys/p256.sec1.pem");
const P256_PKCS8: &str = include_str!("../../../../fixtures/tls/keys/p256.pkcs8.pem");
const P384_SEC1: &str = include_str!("../../../../fixtures/tls/keys/p384.sec1.pem");
const P384_PKCS8: &str = include_str!("../../../../fixtures/tls/keys/p384.pkcs8.pem");
const RSA_PKCS1: &str = include_str!("../../../../fixtures/tls/keys/rsa2048.pkcs1.pem");
const RSA_PKCS8: &str = include_str!("../../../../fixtures/tls/keys/rsa2048.pkcs8.pem");
const ED25519: &str = include_str!("../../../../fixtures/tls/keys/ed25519.pkcs8.pem");
const ENCRYPTED: &str = include_str!("../../../../fixtures/tls/keys/p256.encrypted.pem");

type Case<'a> = (&'a str, &'a str, fn(&TlsError) -> bool);

fn load(cert: &str, key: &str) -> Result<LoadedCert, TlsError> {
    LoadedCert::from_pem(cert.as_bytes(), key.as_bytes(), "test")
}

#[test]
fn every_key_encoding_and_type_loads() {
    let ca = TestCa::new("load ca");
    for (label, pkcs8, as_written) in [
        ("P-256 SEC1", P256_PKCS8, P256_SEC1),
        ("P-256 PKCS#8", P256_PKCS8, P256_PKCS8),
        ("P-384 SEC1", P384_PKCS8, P384_SEC1),
        ("RSA PKCS#1", RSA_PKCS8, RSA_PKCS1),
        ("RSA PKCS#8", RSA_PKCS8, RSA_PKCS8),
        ("Ed25519 PKCS#8", ED25519, ED25519),
    ] {
        let leaf = ca.server_cert_with_key(&["keys.example.test"], pkcs8);
        let cert = load(&leaf.cert_pem, as_written).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(cert.names(), ["keys.example.test"], "{label}");
    }
}

#[test]
fn a_key_from_another_certificate_is_refused() {
    let ca = TestCa::new("load ca");
    let a = ca.server_cert(&["a.example.test"]);
    let b = ca.server_cert(&["b.example.test"]);
    let err = load(&a.cert_pem, &b.key_pem).unwrap_err();
    assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "test: the private key does not belong to the certificate (public keys differ)"
    );
    // Same for a key of another type (RSA key, ECDSA certificate).
    let err = load(&a.cert_pem, RSA_PKCS1).unwrap_err();
    assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err}");
}

#[test]
fn empty_and_garbage_inputs_name_what_is_missing() {
    let ca = TestCa::new("load ca");
    let leaf = ca.server_cert(&["a.example.test"]);
    let cases: [Case<'_>; 6] = [
        ("", &leaf.key_pem, |e| {
            matches!(e, TlsError::NoCertificate { .. })
        }),
        ("garbage, not PEM at all", &leaf.key_pem, |e| {
            matches!(e, TlsError::NoCertificate { .. })
        }),
        (&leaf.cert_pem, "", |e| {
            matches!(e, TlsError::NoPrivateKey { .. })
        }),
        (&leaf.cert_pem, "\x00\x01 binary junk", |e| {
            matches!(e, TlsError::NoPrivateKey { .. })
        }),
        // A certificate where the key should be.
        (&leaf.cert_pem, &leaf.cert_pem, |e| {
            matches!(e, TlsError::NoPrivateKey { .. })
        }),
        (&leaf.cert_pem, ENCRYPTED, |e| {
            matches!(e, TlsError::EncryptedKey { .. })
        }),
    ];
    for (cert, key, expected) in cases {
        let err = load(cert, key).unwrap_err();
        assert!(expected(&err), "cert {cert:.20?} key {key:.20?}: got {err}");
        assert!(err.to_string().starts_with("test: "), "{err}");
    }
}

#[test]
fn malformed_pem_and_non_x509_blocks_are_refused() {
    let ca = TestCa::new("load ca");
    let leaf = ca.server_cert(&["a.example.test"]);

    let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n";
    let err = load(bad_base64, &leaf.key_pem).unwrap_err();
    assert!(matches!(err, TlsError::Pem { .. }), "{err}");

    let no_end = "-----BEGIN CERTIFICATE-----\nMIIB\n";
    let err = load(no_end, &leaf.key_pem).unwrap_err();
    assert!(matches!(err, TlsError::Pem { .. }), "{err}");

    let not_x509 = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let err = load(not_x509, &leaf.key_pem).unwrap_err();
    assert!(
        matches!(err, TlsError::Certificate { index: 0, .. }),
        "{err}"
    );

    let bad_intermediate = format!("{}{not_x509}", leaf.cert_pem);
    let err = load(&bad_intermediate, &leaf.key_pem).unwrap_err();
    assert!(
        matches!(err, TlsError::Certificate { index: 1, .. }),
        "{err}"
    );
}

#[test]
fn chain_with_intermediate_and_key_in_the_cert_file_loads() {
    let ca = TestCa::new("load ca");
    let leaf = ca.server_cert(&["a.example.test"]);
    // Leaf, then the issuer, then (as some users keep it) the key in the same file.
    let bundle = format!("{}{}{}", leaf.cert_pem, ca.cert_pem(), leaf.key_pem);
    let cert = load(&bundle, &bundle).unwrap();
    assert_eq!(cert.certified_key().cert.len(), 2);
}

#[test]
fn names_are_sans_lowercased_with_ips_and_cn_only_as_fallback() {
    let ca = TestCa::new("load ca");
    let leaf = ca.server_cert(&[
        "App.Example.TEST",
        "127.0.0.1",
        "::1",
        "*.Wild.example.test",
    ]);
    let cert = load(&leaf.cert_pem, &leaf.key_pem).unwrap();
    assert_eq!(
        cert.names(),
        [
            "app.example.test",
            "127.0.0.1",
            "::1",
            "*.wild.example.test"
        ]
    );

    // SANs present: a different CN is not a name (RFC 6125 §6.4.4).
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["san.example.test".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "cn.example.test");
    let c = params.self_signed(&key).unwrap();
    let cert = load(&c.pem(), &key.serialize_pem()).unwrap();
    assert_eq!(cert.names(), ["san.example.test"]);

    // No SANs: the CN is the name.
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "Legacy.Example.TEST");
    let c = params.self_signed(&key).unwrap();
    let cert = load(&c.pem(), &key.serialize_pem()).unwrap();
    assert_eq!(cert.names(), ["legacy.example.test"]);
    assert_eq!(cert.subject(), "CN=Legacy.Example.TEST");
}

#[test]
fn validity_and_fingerprint_are_exposed() {
    let ca = TestCa::new("load ca");
    let leaf = ca.server_cert(&["a.example.test"]);
    let cert = load(&leaf.cert_pem, &leaf.key_pem).unwrap();
    let now = SystemTime::now();
    assert!(cert.is_valid_at(now));
    assert!(cert.not_after() > now && cert.not_before() < cert.not_after());
    let expected = hex(ring::digest::digest(&ring::digest::SHA256, &leaf.cert_der).as_ref());
    assert_eq!(cert.sha256(), expected);
    assert_eq!(cert.sha256().len(), 64);
    assert_eq!(cert.issuer(), "CN=load ca");
}

#[test]
fn files_are_read_through_file_or_pem() {
    let ca = TestCa::new("load ca");
    let leaf = ca.server_cert(&["a.example.test"]);
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    std::fs::write(&cert_path, &leaf.cert_pem).unwrap();
    let cert_src = FileOrPem::File(cert_path);
    let key_src = FileOrPem::from_traefik(&leaf.key_pem);
    let cert = LoadedCert::from_sources(&cert_src, &key_src, "tls.certificates[0]").unwrap();
    assert_eq!(cert.names(), ["a.example.test"]);

    let missing = FileOrPem::File(dir.path().join("missing.pem"));
    let err = LoadedCert::from_sources(&cert_src, &missing, "tls.certificates[0]").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("tls.certificates[0].keyFile: cannot read "),
        "{err}"
    );

    // A file that reads but holds no certificate: the error names the files.
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let err = LoadedCert::from_sources(&FileOrPem::File(garbage), &key_src, "tls.certificates[0]")
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("tls.certificates[0] (certFile /")
            && err
                .to_string()
                .contains("garbage.pem, keyFile inline PEM): no PEM certificate"),
        "{err}"
    );
}
