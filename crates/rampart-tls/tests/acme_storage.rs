//! `acme.json` in Traefik's exact shape: read a Traefik-written file (hand-made fixture), drop
//! empty certificates and rewrite, keep field casing and indentation, write atomically with mode
//! 0600, refuse a file readable by group or others.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rampart_tls::acme::{AcmeError, AcmeStorage, CertFacts, DomainRequest, StoredCertificate};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/acme/traefik-acme.json")
}

/// The fixture copied into a temp dir with mode 0600.
fn copy_fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.json");
    std::fs::copy(fixture(), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    (dir, path)
}

fn keys(v: &serde_json::Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[test]
fn traefik_file_is_read_and_empty_certificates_are_dropped_and_rewritten() {
    let (_dir, path) = copy_fixture();
    let store = AcmeStorage::open(&path).unwrap();
    let le = store.resolver("letsencrypt");
    let account = le.account.as_ref().unwrap();
    assert_eq!(account.email, "admin@example.com");
    assert_eq!(
        account.registration.as_ref().unwrap().uri,
        "https://acme-v02.api.letsencrypt.org/acme/acct/123456789"
    );
    assert!(
        account.private_key.as_ref().unwrap().len() > 1000,
        "RSA PKCS#1 DER decoded from base64"
    );
    assert_eq!(
        le.certificates.len(),
        1,
        "the entry with an empty certificate is dropped"
    );
    let facts = CertFacts::from_pem(&le.certificates[0].certificate).unwrap();
    assert_eq!(facts.names, vec!["app.example.com", "www.example.com"]);
    assert!(
        std::str::from_utf8(&le.certificates[0].key)
            .unwrap()
            .starts_with("-----BEGIN EC PRIVATE KEY-----")
    );
    assert!(store.resolver("staging").certificates.is_empty());
    assert!(store.resolver("missing").account.is_none());

    // Rewritten (as Traefik's LocalStore does after dropping), in the same shape.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(
            "{\n  \"letsencrypt\": {\n    \"Account\": {\n      \"Email\": \"admin@example.com\","
        ),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys(&v), ["letsencrypt", "staging"]);
    assert_eq!(keys(&v["letsencrypt"]), ["Account", "Certificates"]);
    assert_eq!(
        keys(&v["letsencrypt"]["Account"]),
        ["Email", "PrivateKey", "Registration"],
        "old KeyType is not written back"
    );
    assert_eq!(
        keys(&v["letsencrypt"]["Account"]["Registration"]),
        ["body", "uri"]
    );
    let certs = v["letsencrypt"]["Certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(keys(&certs[0]), ["Store", "certificate", "domain", "key"]);
    assert_eq!(
        certs[0]["domain"],
        serde_json::json!({"main": "app.example.com", "sans": ["www.example.com"]})
    );
    assert_eq!(v["staging"]["Account"], serde_json::Value::Null);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn fields_survive_a_round_trip_byte_for_byte() {
    let (_dir, path) = copy_fixture();
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let store = AcmeStorage::open(&path).unwrap();
    store.update("letsencrypt", |_| {}).unwrap();
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut expected = original.clone();
    expected["letsencrypt"]["Account"]
        .as_object_mut()
        .unwrap()
        .remove("KeyType");
    expected["letsencrypt"]["Certificates"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    // Go writes a nil slice as null; an empty list reads back the same in Traefik.
    expected["staging"]["Certificates"] = serde_json::json!([]);
    assert_eq!(again, expected);
}

#[test]
fn a_file_readable_by_others_is_refused() {
    let (_dir, path) = copy_fixture();
    for mode in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let e = AcmeStorage::open(&path).unwrap_err();
        assert!(matches!(e, AcmeError::StoragePermissions { .. }), "{e}");
        assert!(e.to_string().contains("too open, please use 600"), "{e}");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert!(
        AcmeStorage::open(&path).is_ok(),
        "owner-only modes are fine"
    );
}

#[test]
fn writes_are_atomic_renames_of_a_0600_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.json");
    let store = AcmeStorage::open(&path).unwrap();
    assert!(!path.exists(), "opening a missing file creates nothing yet");
    let d = DomainRequest::new("a.example.test", ["b.example.test"]);
    store
        .update("r1", |r| {
            r.certificates
                .push(StoredCertificate::new(&d, "CHAIN", "KEY"));
        })
        .unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let inode = std::fs::metadata(&path).unwrap().ino();
    store
        .update("r2", |r| {
            r.certificates
                .push(StoredCertificate::new(&d, "CHAIN2", "KEY2"));
        })
        .unwrap();
    // A new inode: the file was replaced by a rename, never rewritten in place.
    assert_ne!(std::fs::metadata(&path).unwrap().ino(), inode);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["acme.json"], "no temporary file is left behind");
    // Two resolvers share the file, keyed by name.
    let again = AcmeStorage::open(&path).unwrap();
    assert_eq!(again.resolver("r1").certificates[0].certificate, b"CHAIN");
    assert_eq!(again.resolver("r2").certificates[0].key, b"KEY2");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        v["r1"]["Certificates"][0]["certificate"], "Q0hBSU4=",
        "standard base64 of the PEM bytes"
    );
    assert_eq!(v["r1"]["Certificates"][0]["Store"], "default");
}

#[test]
fn a_failed_write_is_an_error_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.json");
    let store = AcmeStorage::open(&path).unwrap();
    // Something else took the name: the final rename fails.
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("keep"), "x").unwrap();
    let e = store.update("r", |_| {}).unwrap_err();
    assert!(e.to_string().contains("cannot write"), "{e}");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["acme.json"], "the temporary file is removed");
    assert_eq!(std::fs::read_to_string(path.join("keep")).unwrap(), "x");
}

#[test]
fn empty_and_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.json");
    std::fs::write(&path, "").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(
        AcmeStorage::open(&path)
            .unwrap()
            .resolver("x")
            .certificates
            .is_empty(),
        "an empty file is valid"
    );
    std::fs::write(
        &path,
        "{\"le\": {\"Certificates\": [{\"certificate\": \"%%%\"}]}}",
    )
    .unwrap();
    let e = AcmeStorage::open(&path).unwrap_err().to_string();
    assert!(
        e.contains("acme.json") && e.contains("not valid acme.json"),
        "{e}"
    );
}
