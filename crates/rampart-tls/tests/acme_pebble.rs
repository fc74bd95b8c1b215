//! End-to-end ACME against Debian's pebble on 127.0.0.1 with BIND as the authoritative DNS
//! server (RFC 2136 + TSIG): wildcard + apex via DNS-01, a real TLS handshake with the issued
//! chain, restart from `acme.json` without a new order, renewal of a certificate close to
//! expiry, and a CA that fails the first attempts.

use rampart_testkit::acme_rig as rig;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rampart_tls::acme::{
    AcmeManager, AcmeResolverSpec, AcmeStorage, CertFacts, CertificateSink, ChallengeMaps,
    ChallengeSpec, DnsChallengeSpec, DomainRequest, Env, KeyType, RetrySpec,
};
use rig::{Rig, RigOptions};
use tokio::sync::mpsc;

/// Every certificate handed to the sink.
struct Sink(mpsc::UnboundedSender<(DomainRequest, String, String)>);

impl CertificateSink for Sink {
    fn store(&self, _resolver: &str, domain: &DomainRequest, chain_pem: &str, key_pem: &str) {
        let _ = self
            .0
            .send((domain.clone(), chain_pem.to_owned(), key_pem.to_owned()));
    }
}

fn new_sink() -> (
    Arc<Sink>,
    mpsc::UnboundedReceiver<(DomainRequest, String, String)>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Arc::new(Sink(tx)), rx)
}

async fn next_cert(
    rx: &mut mpsc::UnboundedReceiver<(DomainRequest, String, String)>,
    rig: &Rig,
) -> (DomainRequest, String, String) {
    match tokio::time::timeout(Duration::from_mins(2), rx.recv()).await {
        Ok(Some(c)) => c,
        _ => panic!(
            "no certificate within 120 s; pebble log:\n{}\nnamed log:\n{}",
            rig.log("pebble"),
            rig.log("named")
        ),
    }
}

fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("rampart_tls=debug")
        .try_init();
}

/// A resolver using the `rfc2136` provider against the rig's BIND, the TSIG secret read from a
/// `_FILE` variable (docker-secrets style).
fn rfc2136_spec(rig: &Rig, storage: &std::path::Path) -> AcmeResolverSpec {
    let secret_file = rig.dir.path().join("tsig.secret");
    std::fs::write(&secret_file, format!("{}\n", rig.tsig_secret)).unwrap();
    let mut dns = DnsChallengeSpec::new("rfc2136");
    dns.resolvers = vec![rig.dns.to_string()];
    let mut spec = AcmeResolverSpec::new("le", storage, ChallengeSpec::Dns(dns));
    spec.ca_server.clone_from(&rig.directory);
    spec.ca_certificates = vec![rig.wfe_ca.clone()];
    spec.email = Some("admin@example.test".into());
    spec.key_type = KeyType::Ec256;
    spec.retry = RetrySpec::new(Duration::from_millis(200), Duration::from_secs(2));
    spec.env = Env::default()
        .with("RFC2136_NAMESERVER", rig.dns.to_string())
        .with("RFC2136_TSIG_KEY", rig.tsig_name.clone())
        .with("RFC2136_TSIG_SECRET_FILE", secret_file.to_string_lossy())
        .with("RFC2136_TSIG_ALGORITHM", "hmac-sha256.")
        .with("RFC2136_POLLING_INTERVAL", "1")
        .with("RFC2136_PROPAGATION_TIMEOUT", "30");
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_and_apex_via_rfc2136_then_tls_handshake_then_restart_without_new_order() {
    logs();
    let rig = Rig::start(RigOptions::default()).await;
    let storage_path = rig.dir.path().join("acme.json");
    let storage = AcmeStorage::open(&storage_path).unwrap();
    let (sink, mut rx) = new_sink();
    let manager = AcmeManager::new(
        rfc2136_spec(&rig, &storage_path),
        storage,
        sink,
        ChallengeMaps::default(),
    )
    .unwrap();
    let wanted = DomainRequest::new("example.test", ["*.example.test"]);
    assert!(manager.set_domains(vec![wanted.clone()]).is_empty());
    let task = manager.spawn();

    let (domain, chain, key) = next_cert(&mut rx, &rig).await;
    assert_eq!(domain, wanted);
    let facts = CertFacts::from_pem(chain.as_bytes()).unwrap();
    assert_eq!(facts.names, vec!["example.test", "*.example.test"]);

    // A real handshake: the chain verifies to pebble's issuing root for the wildcard and the apex.
    for name in ["a.example.test", "example.test"] {
        let leaf = rig::handshake(&chain, &key, rig.issuer_client_config(), name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!leaf.is_empty());
    }
    // And not for a name it does not hold.
    assert!(
        rig::handshake(&chain, &key, rig.issuer_client_config(), "b.a.example.test")
            .await
            .is_err()
    );

    // Stored in Traefik's shape, mode 0600.
    let info = manager.certificates();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].names, vec!["example.test", "*.example.test"]);
    let text = std::fs::read_to_string(&storage_path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        json["le"]["Account"]["Registration"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    assert_eq!(
        json["le"]["Certificates"][0]["domain"]["main"],
        "example.test"
    );
    assert_eq!(json["le"]["Certificates"][0]["Store"], "default");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&storage_path)
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    task.abort();
    let _ = task.await;

    // Restart from the saved file: the stored certificate is served at once and no new order
    // is placed (the certificate in the file stays the same while the resolver runs).
    let storage = AcmeStorage::open(&storage_path).unwrap();
    let (sink, mut rx) = new_sink();
    let manager = AcmeManager::new(
        rfc2136_spec(&rig, &storage_path),
        storage,
        sink,
        ChallengeMaps::default(),
    )
    .unwrap();
    let (domain, chain_again, _) = rx
        .try_recv()
        .expect("stored certificate handed out at start");
    assert_eq!(domain, wanted);
    assert_eq!(chain_again, chain);
    manager.set_domains(vec![wanted.clone()]);
    let task = manager.spawn();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        rx.try_recv().is_err(),
        "a new certificate was issued although the stored one is valid"
    );
    let stored = AcmeStorage::open(&storage_path).unwrap().resolver("le");
    assert_eq!(stored.certificates.len(), 1);
    assert_eq!(stored.certificates[0].certificate, chain.as_bytes());
    task.abort();
}

/// A self-signed certificate for `names` that expires in `days`.
fn short_lived(names: &[&str], days: i64) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .unwrap();
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(80);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_certificate_with_less_than_a_third_left_is_renewed() {
    logs();
    let rig = Rig::start(RigOptions::default()).await;
    let storage_path = rig.dir.path().join("acme.json");
    let old = DomainRequest::new("renew.example.test", Vec::<String>::new());
    let (old_chain, old_key) = short_lived(&["renew.example.test"], 10); // 10 of 90 days left
    AcmeStorage::open(&storage_path)
        .unwrap()
        .update("le", |r| {
            r.certificates
                .push(rampart_tls::acme::StoredCertificate::new(
                    &old, &old_chain, &old_key,
                ));
        })
        .unwrap();

    let (sink, mut rx) = new_sink();
    let manager = AcmeManager::new(
        rfc2136_spec(&rig, &storage_path),
        AcmeStorage::open(&storage_path).unwrap(),
        sink,
        ChallengeMaps::default(),
    )
    .unwrap();
    // The old certificate serves until the new one arrives.
    let (_, first, _) = rx
        .try_recv()
        .expect("stored certificate handed out at start");
    assert_eq!(first, old_chain);
    // Not requested by any router: Traefik renews every stored certificate all the same.
    let task = manager.spawn();
    let (domain, chain, _) = next_cert(&mut rx, &rig).await;
    task.abort();
    assert_eq!(domain, old);
    let facts = CertFacts::from_pem(chain.as_bytes()).unwrap();
    assert_eq!(facts.names, vec!["renew.example.test"]);
    assert!(facts.not_after > SystemTime::now() + Duration::from_hours(1920));
    let stored = AcmeStorage::open(&storage_path).unwrap().resolver("le");
    assert_eq!(
        stored.certificates.len(),
        1,
        "the renewed certificate replaces the old one"
    );
    assert_eq!(stored.certificates[0].certificate, chain.as_bytes());
}

/// A TCP proxy in front of the CA that closes the first `fail` connections at once.
async fn flaky_proxy(target: u16, fail: usize) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut down, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            if n < fail {
                drop(down);
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut up) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await {
                    let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                }
            });
        }
    });
    (port, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_failing_the_first_attempts_is_retried_with_backoff() {
    logs();
    let rig = Rig::start(RigOptions::default()).await;
    let (proxy, seen) = flaky_proxy(rig.acme_port, 2).await;
    let storage_path = rig.dir.path().join("acme.json");
    let mut spec = rfc2136_spec(&rig, &storage_path);
    spec.ca_server = format!("https://127.0.0.1:{proxy}/dir");
    let (sink, mut rx) = new_sink();
    let manager = AcmeManager::new(
        spec,
        AcmeStorage::open(&storage_path).unwrap(),
        sink,
        ChallengeMaps::default(),
    )
    .unwrap();
    manager.set_domains(vec![DomainRequest::new(
        "retry.example.test",
        Vec::<String>::new(),
    )]);
    let started = std::time::Instant::now();
    let task = manager.spawn();
    let (domain, _, _) = next_cert(&mut rx, &rig).await;
    task.abort();
    assert_eq!(domain.main, "retry.example.test");
    assert!(
        seen.load(std::sync::atomic::Ordering::SeqCst) >= 3,
        "two refused attempts, then one that went through"
    );
    // Backoff 200 ms then 400 ms: the success cannot come before both waits.
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traefik_file_with_an_rsa_account_keeps_its_certificates_and_gets_a_new_account() {
    logs();
    let rig = Rig::start(RigOptions::default()).await;
    let storage_path = rig.dir.path().join("acme.json");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/acme/traefik-acme.json");
    let text = std::fs::read_to_string(fixture).unwrap();
    // The fixture's resolver is `letsencrypt`; run it under that name against pebble.
    std::fs::write(&storage_path, text).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&storage_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut spec = rfc2136_spec(&rig, &storage_path);
    spec.name = "letsencrypt".into();
    spec.email = Some("admin@example.com".into());
    let (sink, mut rx) = new_sink();
    let manager = AcmeManager::new(
        spec,
        AcmeStorage::open(&storage_path).unwrap(),
        sink,
        ChallengeMaps::default(),
    )
    .unwrap();
    let (kept, _, _) = rx
        .try_recv()
        .expect("the user's certificate serves at once");
    assert_eq!(kept.main, "app.example.com");
    manager.set_domains(vec![DomainRequest::new(
        "new.example.test",
        Vec::<String>::new(),
    )]);
    let task = manager.spawn();
    let (domain, _, _) = next_cert(&mut rx, &rig).await;
    task.abort();
    assert_eq!(domain.main, "new.example.test");
    let stored = AcmeStorage::open(&storage_path)
        .unwrap()
        .resolver("letsencrypt");
    let mains: Vec<&str> = stored
        .certificates
        .iter()
        .map(|c| c.domain.main.as_str())
        .collect();
    assert_eq!(
        mains,
        ["app.example.com", "new.example.test"],
        "the user's certificate is kept"
    );
    let account = stored.account.unwrap();
    assert!(
        account
            .registration
            .unwrap()
            .uri
            .starts_with("https://127.0.0.1:"),
        "registered at this CA"
    );
    assert!(
        account.private_key.unwrap().len() < 200,
        "a P-256 PKCS#8 key replaced the RSA one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_authorizations_and_rejected_nonces_do_not_break_orders() {
    logs();
    // Pebble always reuses a valid authorization of the account and rejects one nonce in five:
    // the second order holds an already-valid authorization next to a pending one.
    let rig = Rig::start(RigOptions {
        nonce_reject: 20,
        authz_reuse: 100,
        ..RigOptions::default()
    })
    .await;
    let storage_path = rig.dir.path().join("acme.json");
    let (sink, mut rx) = new_sink();
    let manager = AcmeManager::new(
        rfc2136_spec(&rig, &storage_path),
        AcmeStorage::open(&storage_path).unwrap(),
        sink,
        ChallengeMaps::default(),
    )
    .unwrap();
    let task = manager.spawn();
    manager.set_domains(vec![DomainRequest::new(
        "one.example.test",
        Vec::<String>::new(),
    )]);
    let (first, _, _) = next_cert(&mut rx, &rig).await;
    assert_eq!(first.main, "one.example.test");
    let both = DomainRequest::new("one.example.test", ["two.example.test"]);
    manager.set_domains(vec![both.clone()]);
    let (second, chain, _) = next_cert(&mut rx, &rig).await;
    task.abort();
    assert_eq!(second, both);
    assert_eq!(
        CertFacts::from_pem(chain.as_bytes()).unwrap().names,
        vec!["one.example.test", "two.example.test"]
    );
}
