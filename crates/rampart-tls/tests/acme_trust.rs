//! Talking to a private ACME server: trust from `caCertificates` or lego's
//! `LEGO_CA_CERTIFICATES`, `caServerName` checked instead of the URL's host, and External
//! Account Binding against a pebble that requires it.

use rampart_testkit::acme_rig as rig;

use std::sync::Arc;
use std::time::Duration;

use rampart_tls::acme::{
    AcmeManager, AcmeResolverSpec, AcmeStorage, CertificateSink, ChallengeMaps, ChallengeSpec,
    DnsChallengeSpec, DomainRequest, Eab, Env, KeyType, RetrySpec,
};
use rig::{DnsBackend, Rig, RigOptions};
use tokio::sync::mpsc;

struct Sink(mpsc::UnboundedSender<String>);

impl CertificateSink for Sink {
    fn store(&self, _: &str, d: &DomainRequest, _: &str, _: &str) {
        let _ = self.0.send(d.main.clone());
    }
}

/// A DNS-01 resolver publishing through `exec` into challtestsrv (a real script calling its
/// HTTP API), so these tests need no BIND.
fn spec(rig: &Rig) -> AcmeResolverSpec {
    let api = rig.challtestsrv_api.clone().unwrap();
    let hook = rig.dir.path().join("hook.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n present) curl -sf -X POST -d \"{{\\\"host\\\":\\\"$2\\\",\\\"value\\\":\\\"$3\\\"}}\" {api}/set-txt ;;\n cleanup) curl -sf -X POST -d \"{{\\\"host\\\":\\\"$2\\\"}}\" {api}/clear-txt ;;\nesac\n"
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut dns = DnsChallengeSpec::new("exec");
    dns.resolvers = vec![rig.dns.to_string()];
    let mut spec = AcmeResolverSpec::new(
        "private",
        rig.dir.path().join("acme.json"),
        ChallengeSpec::Dns(dns),
    );
    spec.ca_server.clone_from(&rig.directory);
    spec.key_type = KeyType::Ec256;
    spec.retry = RetrySpec::new(Duration::from_millis(200), Duration::from_secs(1));
    spec.env = Env::default()
        .with("EXEC_PATH", hook.to_string_lossy())
        .with("EXEC_POLLING_INTERVAL", "1");
    spec
}

/// Runs the resolver for `wanted`; `Some(main)` when a certificate arrived within `wait`.
async fn run(spec: AcmeResolverSpec, wanted: &str, wait: Duration) -> Option<String> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let storage = AcmeStorage::open(&spec.storage).unwrap();
    let manager =
        AcmeManager::new(spec, storage, Arc::new(Sink(tx)), ChallengeMaps::default()).unwrap();
    manager.set_domains(vec![DomainRequest::new(wanted, Vec::<String>::new())]);
    let task = manager.spawn();
    let got = tokio::time::timeout(wait, rx.recv()).await.ok().flatten();
    task.abort();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lego_ca_certificates_and_ca_server_name() {
    rig::program("curl");
    let rig = Rig::start(RigOptions {
        dns: DnsBackend::ChallTestSrv,
        ..RigOptions::default()
    })
    .await;
    // Trust from LEGO_CA_CERTIFICATES (comma list, as lego splits it), and the certificate
    // checked for "localhost" although the URL says 127.0.0.1.
    let mut s = spec(&rig);
    s.env = s.env.with(
        "LEGO_CA_CERTIFICATES",
        format!("{},{}", rig.wfe_ca.display(), rig.wfe_ca.display()),
    );
    s.ca_server_name = Some("localhost".into());
    assert_eq!(
        run(s, "trust.example.test", Duration::from_mins(2))
            .await
            .as_deref(),
        Some("trust.example.test")
    );

    // A name the CA's certificate does not hold: no connection, no certificate.
    let mut s = spec(&rig);
    s.storage = rig.dir.path().join("acme-2.json");
    s.ca_certificates = vec![rig.wfe_ca.clone()];
    s.ca_server_name = Some("wrong.example".into());
    assert_eq!(
        run(s, "untrusted.example.test", Duration::from_secs(3)).await,
        None
    );

    // No trust for pebble's private CA at all: the system roots do not hold it.
    let mut s = spec(&rig);
    s.storage = rig.dir.path().join("acme-3.json");
    assert_eq!(
        run(s, "untrusted.example.test", Duration::from_secs(3)).await,
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_account_binding() {
    rig::program("curl");
    // pebble decodes the MAC key as unpadded base64url, as Traefik's `eab.hmacEncoded` is given.
    let key = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
    let rig = Rig::start(RigOptions {
        dns: DnsBackend::ChallTestSrv,
        eab: Some(("kid-1".into(), key.into())),
        ..RigOptions::default()
    })
    .await;
    let mut without = spec(&rig);
    without.ca_certificates = vec![rig.wfe_ca.clone()];
    assert_eq!(
        run(without, "eab.example.test", Duration::from_secs(3)).await,
        None,
        "pebble requires EAB"
    );

    let mut with = spec(&rig);
    with.ca_certificates = vec![rig.wfe_ca.clone()];
    with.storage = rig.dir.path().join("acme-eab.json");
    with.eab = Some(Eab::new("kid-1", key));
    assert_eq!(
        run(with, "eab.example.test", Duration::from_mins(2))
            .await
            .as_deref(),
        Some("eab.example.test")
    );
}
