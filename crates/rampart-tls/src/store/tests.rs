use std::collections::BTreeMap;

use rampart_testkit::{TestCa, TestCert};
use rcgen::{CertificateParams, KeyPair};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::spec::GeneratedCertSpec;
use crate::{FileOrPem, GENERATED_DEFAULT_CN};

fn spec(cert: &TestCert) -> CertificateSpec {
    CertificateSpec::new(
        FileOrPem::Pem(cert.cert_pem.clone()),
        FileOrPem::Pem(cert.key_pem.clone()),
    )
}

fn no_stores() -> BTreeMap<String, StoreSpec> {
    BTreeMap::new()
}

fn served(store: &CertStore, name: &str) -> Option<Vec<u8>> {
    store.lookup(name).map(|k| k.cert[0].to_vec())
}

/// A self-signed certificate for `names`, valid from `from` to `to` days from now.
fn dated(names: &[&str], from: i64, to: i64) -> TestCert {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
    let now = OffsetDateTime::now_utc();
    params.not_before = now + Duration::days(from);
    params.not_after = now + Duration::days(to);
    let cert = params.self_signed(&key).unwrap();
    TestCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    }
}

#[test]
fn exact_beats_wildcard_and_wildcard_covers_one_label() {
    let ca = TestCa::new("store ca");
    let wild = ca.server_cert(&["*.example.test"]);
    let exact = ca.server_cert(&["a.example.test"]);
    let store = CertStore::new();
    assert!(
        store
            .load_files(&[spec(&wild), spec(&exact)], &no_stores())
            .is_ok()
    );

    assert_eq!(
        served(&store, "a.example.test"),
        Some(exact.cert_der.to_vec())
    );
    assert_eq!(
        served(&store, "b.example.test"),
        Some(wild.cert_der.to_vec())
    );
    assert_eq!(
        served(&store, "B.Example.Test."),
        Some(wild.cert_der.to_vec())
    );
    assert_eq!(served(&store, "x.b.example.test"), None);
    assert_eq!(served(&store, "example.test"), None);
    assert_eq!(served(&store, "other.test"), None);
}

#[test]
fn of_two_certificates_for_a_name_the_valid_then_the_longer_lived_serves() {
    let expired = dated(&["dup.example.test"], -30, -1);
    let short = dated(&["dup.example.test"], -1, 10);
    let long = dated(&["dup.example.test"], -1, 60);
    let store = CertStore::new();
    let report = store.load_files(&[spec(&long), spec(&expired), spec(&short)], &no_stores());
    assert_eq!(
        served(&store, "dup.example.test"),
        Some(long.cert_der.to_vec())
    );
    // The expired one is reported, not refused.
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].message.contains("has expired"),
        "{}",
        report.warnings[0]
    );

    let store = CertStore::new();
    store.load_files(&[spec(&expired)], &no_stores());
    store
        .upsert_acme_pem(
            "le",
            "dup.example.test",
            short.cert_pem.as_bytes(),
            short.key_pem.as_bytes(),
        )
        .unwrap();
    assert_eq!(
        served(&store, "dup.example.test"),
        Some(short.cert_der.to_vec())
    );
}

#[test]
fn acme_certificates_are_added_replaced_and_removed_and_survive_file_reloads() {
    let ca = TestCa::new("store ca");
    let store = CertStore::new();
    let first = ca.server_cert(&["app.example.test"]);
    let renewed = ca.server_cert(&["app.example.test"]);
    let info = store
        .upsert_acme_pem(
            "le",
            "App.Example.Test",
            first.cert_pem.as_bytes(),
            first.key_pem.as_bytes(),
        )
        .unwrap();
    assert_eq!(
        info.origin,
        CertOrigin::Acme {
            resolver: "le".into(),
            main: "app.example.test".into()
        }
    );
    assert_eq!(
        served(&store, "app.example.test"),
        Some(first.cert_der.to_vec())
    );

    store
        .upsert_acme_pem(
            "le",
            "app.example.test",
            renewed.cert_pem.as_bytes(),
            renewed.key_pem.as_bytes(),
        )
        .unwrap();
    assert_eq!(
        served(&store, "app.example.test"),
        Some(renewed.cert_der.to_vec())
    );
    assert_eq!(
        store.certificates().len(),
        2,
        "replaced, not added (plus the default)"
    );

    // A configuration reload replaces file certificates only.
    let file = ca.server_cert(&["file.example.test"]);
    store.load_files(&[spec(&file)], &no_stores());
    store.load_files(&[], &no_stores());
    assert!(served(&store, "file.example.test").is_none());
    assert!(served(&store, "app.example.test").is_some());

    assert!(store.remove_acme("le", "app.example.test"));
    assert!(!store.remove_acme("le", "app.example.test"));
    assert!(served(&store, "app.example.test").is_none());

    let err = store
        .upsert_acme_pem("le", "bad.example.test", b"garbage", b"garbage")
        .unwrap_err();
    assert!(
        err.to_string().starts_with("ACME le/bad.example.test: "),
        "{err}"
    );
}

#[test]
fn the_default_is_generated_once_configured_or_taken_from_acme() {
    let ca = TestCa::new("store ca");
    let store = CertStore::new();
    let generated = store.default_cert();
    assert_eq!(
        CertStore::new().default_cert().cert[0],
        generated.cert[0],
        "generated once per process"
    );
    let list = store.certificates();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].subject, format!("CN={GENERATED_DEFAULT_CN}"));

    // Configured.
    let default = ca.server_cert(&["default.example.test"]);
    let mut stores = BTreeMap::new();
    stores.insert(
        "default".to_owned(),
        StoreSpec {
            default_certificate: Some(spec(&default)),
            default_generated_cert: None,
        },
    );
    assert!(store.load_files(&[], &stores).is_ok());
    assert_eq!(store.default_cert().cert[0], default.cert_der);
    // Its own name selects it too (so sniStrict does not refuse it).
    assert_eq!(
        served(&store, "default.example.test"),
        Some(default.cert_der.to_vec())
    );
    let list = store.certificates();
    assert_eq!(list.len(), 1, "listed once, as the default: {list:?}");
    assert!(list[0].is_default && list[0].origin == CertOrigin::File);

    // Listed in tls.certificates as well: still one entry.
    store.load_files(&[spec(&default)], &stores);
    assert_eq!(store.certificates().len(), 1);

    // A broken defaultCertificate: error, and the generated one serves.
    stores.get_mut("default").unwrap().default_certificate = Some(CertificateSpec::new(
        FileOrPem::Pem(default.cert_pem.clone()),
        FileOrPem::Pem("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n".into()),
    ));
    let report = store.load_files(&[], &stores);
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0]
            .to_string()
            .starts_with("tls.stores.default.defaultCertificate")
    );
    assert_eq!(store.default_cert().cert[0], generated.cert[0]);

    // defaultGeneratedCert: the ACME certificate covering the domains, once it exists.
    stores.get_mut("default").unwrap().default_certificate = None;
    stores.get_mut("default").unwrap().default_generated_cert = Some(GeneratedCertSpec {
        resolver: "le".into(),
        main: "example.test".into(),
        sans: vec!["*.example.test".into()],
    });
    assert!(store.load_files(&[], &stores).is_ok());
    assert_eq!(store.default_cert().cert[0], generated.cert[0]);
    let acme = ca.server_cert(&["example.test", "*.example.test"]);
    let info = store
        .upsert_acme_pem(
            "le",
            "example.test",
            acme.cert_pem.as_bytes(),
            acme.key_pem.as_bytes(),
        )
        .unwrap();
    assert!(info.is_default);
    assert_eq!(store.default_cert().cert[0], acme.cert_der);
}

#[test]
fn certificates_outside_the_default_store_are_reported_and_not_served() {
    let ca = TestCa::new("store ca");
    let a = ca.server_cert(&["a.example.test"]);
    let b = ca.server_cert(&["b.example.test"]);
    let mut only_other = spec(&a);
    only_other.stores = vec!["other".into()];
    let mut both = spec(&b);
    both.stores = vec!["other".into(), "default".into()];
    let mut stores = BTreeMap::new();
    stores.insert("other".to_owned(), StoreSpec::default());

    let store = CertStore::new();
    let report = store.load_files(&[only_other, both], &stores);
    assert!(served(&store, "a.example.test").is_none());
    assert!(served(&store, "b.example.test").is_some());
    let texts: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].starts_with("tls.certificates[0]: stores [\"other\"]"),
        "{texts:?}"
    );
    assert!(
        texts[1].starts_with("tls.stores.other: only the store named"),
        "{texts:?}"
    );
}

#[test]
fn a_bad_certificate_is_reported_and_the_others_are_served() {
    let ca = TestCa::new("store ca");
    let good = ca.server_cert(&["good.example.test"]);
    let other = ca.server_cert(&["other.example.test"]);
    let mismatched = CertificateSpec::new(
        FileOrPem::Pem(good.cert_pem.clone()),
        FileOrPem::Pem(other.key_pem.clone()),
    );
    let store = CertStore::new();
    let report = store.load_files(&[mismatched, spec(&other)], &no_stores());
    assert_eq!(report.errors.len(), 1);
    assert!(matches!(report.errors[0], TlsError::KeyMismatch { .. }));
    assert!(
        report.errors[0]
            .to_string()
            .starts_with("tls.certificates[0]: ")
    );
    assert!(served(&store, "good.example.test").is_none());
    assert!(served(&store, "other.example.test").is_some());
}

#[test]
fn listing_shows_names_origin_expiry_and_the_default() {
    let ca = TestCa::new("store ca");
    let file = ca.server_cert(&["file.example.test", "10.0.0.1"]);
    let acme = ca.server_cert(&["acme.example.test"]);
    let store = CertStore::new();
    store.load_files(&[spec(&file)], &no_stores());
    store
        .upsert_acme_pem(
            "le",
            "acme.example.test",
            acme.cert_pem.as_bytes(),
            acme.key_pem.as_bytes(),
        )
        .unwrap();
    let mut list = store.certificates();
    // The default first (its random name sorts anywhere), then by name.
    list.sort_by_key(|c| (!c.is_default, c.names.clone()));
    let summary: Vec<(Vec<String>, bool)> = list
        .iter()
        .map(|c| (c.names.clone(), c.is_default))
        .collect();
    assert_eq!(summary.len(), 3);
    assert_eq!(summary[1], (vec!["acme.example.test".to_owned()], false));
    assert_eq!(
        summary[2],
        (
            vec!["file.example.test".to_owned(), "10.0.0.1".to_owned()],
            false
        )
    );
    assert!(list[0].is_default && list[0].origin == CertOrigin::Generated);
    assert!(
        list.iter()
            .all(|c| c.not_after > SystemTime::now() && c.sha256.len() == 64)
    );
    // The IP name is indexed (served without SNI on that local address).
    assert!(store.lookup("10.0.0.1").is_some());
}

/// Regression: a reload while a renewal tool rewrites `cert.pem` then `key.pem` (or after a
/// file was deleted by mistake) dropped the certificate, and its hosts got the default one.
#[test]
fn a_broken_certificate_file_keeps_the_last_good_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("a.crt"), dir.path().join("a.key"));
    let ca = TestCa::new("store ca");
    let first = ca.server_cert(&["a.example.test"]);
    std::fs::write(&cert_path, &first.cert_pem).unwrap();
    std::fs::write(&key_path, &first.key_pem).unwrap();
    let files = [CertificateSpec::new(
        FileOrPem::File(cert_path.clone()),
        FileOrPem::File(key_path.clone()),
    )];
    let store = CertStore::new();
    assert!(store.load_files(&files, &no_stores()).is_ok());

    // Halfway through a renewal: the new certificate beside the old key.
    let second = ca.server_cert(&["a.example.test"]);
    std::fs::write(&cert_path, &second.cert_pem).unwrap();
    for _ in 0..2 {
        let report = store.load_files(&files, &no_stores());
        assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
        assert!(
            report.warnings[0].message.contains("keeps serving")
                && report.warnings[0].message.contains("a.crt"),
            "{:?}",
            report.warnings
        );
        assert_eq!(
            served(&store, "a.example.test"),
            Some(first.cert_der.to_vec())
        );
    }
    // Deleted: still the last good one.
    std::fs::remove_file(&key_path).unwrap();
    assert!(!store.load_files(&files, &no_stores()).is_ok());
    assert_eq!(
        served(&store, "a.example.test"),
        Some(first.cert_der.to_vec())
    );

    // The pair is whole again: the new certificate serves.
    std::fs::write(&key_path, &second.key_pem).unwrap();
    assert!(store.load_files(&files, &no_stores()).is_ok());
    assert_eq!(
        served(&store, "a.example.test"),
        Some(second.cert_der.to_vec())
    );

    // Taken out of the configuration, it is gone: "last good" only covers broken files.
    assert!(store.load_files(&[], &no_stores()).is_ok());
    assert_eq!(served(&store, "a.example.test"), None);
    std::fs::write(&key_path, "broken").unwrap();
    let report = store.load_files(&files, &no_stores());
    assert_eq!((report.errors.len(), report.warnings.len()), (1, 0));
    assert_eq!(served(&store, "a.example.test"), None);
}

#[test]
fn a_broken_default_certificate_file_keeps_the_last_good_default() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("d.crt"), dir.path().join("d.key"));
    let ca = TestCa::new("store ca");
    let default = ca.server_cert(&["default.example.test"]);
    std::fs::write(&cert_path, &default.cert_pem).unwrap();
    std::fs::write(&key_path, &default.key_pem).unwrap();
    let mut stores = BTreeMap::new();
    stores.insert(
        "default".to_owned(),
        StoreSpec {
            default_certificate: Some(CertificateSpec::new(
                FileOrPem::File(cert_path.clone()),
                FileOrPem::File(key_path),
            )),
            default_generated_cert: None,
        },
    );
    let store = CertStore::new();
    assert!(store.load_files(&[], &stores).is_ok());
    std::fs::write(&cert_path, "not a certificate").unwrap();
    let report = store.load_files(&[], &stores);
    assert_eq!(report.errors.len(), 1);
    assert!(report.warnings[0].message.contains("keeps serving"));
    assert_eq!(store.default_cert().cert[0], default.cert_der);
}
