//! The `rfc2136` provider and the propagation check against a real BIND: TSIG-signed adds and
//! deletes that keep both values of a wildcard + apex pair, a wrong secret reported as a TSIG
//! failure, and the authoritative-server discovery (SOA → NS → address) of the check.

use rampart_testkit::acme_rig as rig;

use std::time::Duration;

use rampart_tls::acme::dns::{self, PropagationChecker, Timing, TxtRecord};
use rampart_tls::acme::{DnsChallengeSpec, Env};
use rig::{Rig, RigOptions};

fn env(rig: &Rig, secret: &str) -> Env {
    Env::default()
        .with("RFC2136_NAMESERVER", rig.dns.to_string())
        .with("RFC2136_TSIG_KEY", rig.tsig_name.clone())
        .with("RFC2136_TSIG_SECRET", secret)
        .with("RFC2136_TSIG_ALGORITHM", "hmac-sha256")
        .with("RFC2136_DNS_TIMEOUT", "5")
}

fn timing() -> Timing {
    let mut t = Timing::default();
    t.propagation_timeout = Duration::from_secs(20);
    t.polling_interval = Duration::from_millis(200);
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_values_coexist_and_cleanup_removes_only_its_own() {
    let rig = Rig::start(RigOptions::default()).await;
    let p = dns::provider("rfc2136", &env(&rig, &rig.tsig_secret)).unwrap();
    let apex = TxtRecord::new("example.test", "t1", "t1.k", "value-apex");
    let wild = TxtRecord::new("*.example.test", "t2", "t2.k", "value-wildcard");
    p.present(&apex).await.unwrap();
    p.present(&wild).await.unwrap();

    // Authoritative discovery: SOA and NS of example.test asked of the rig's BIND (the
    // "system resolver" here), ns1.example.test → 127.0.0.1, polled on the rig's port.
    let checker = PropagationChecker::from_spec(&DnsChallengeSpec::new("rfc2136"))
        .unwrap()
        .with_bootstrap(vec![rig.dns])
        .with_authoritative_port(rig.dns.port());
    checker.wait(&apex, timing()).await.unwrap();
    checker.wait(&wild, timing()).await.unwrap();

    p.cleanup(&apex).await.unwrap();
    checker
        .wait(&wild, timing())
        .await
        .expect("the wildcard's value survives the apex's cleanup");
    let mut short = timing();
    short.propagation_timeout = Duration::from_millis(500);
    let e = checker.wait(&apex, short).await.unwrap_err().to_string();
    assert!(
        e.contains("_acme-challenge.example.test.") && e.contains("value-wildcard"),
        "{e}"
    );
    p.cleanup(&wild).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_tsig_secret_is_reported_as_an_authentication_failure() {
    let rig = Rig::start(RigOptions::default()).await;
    let p = dns::provider(
        "rfc2136",
        &env(&rig, "d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldCB3cm9uZyE="),
    )
    .unwrap();
    let e = p
        .present(&TxtRecord::new("example.test", "t", "t.k", "v"))
        .await
        .unwrap_err()
        .to_string();
    println!("{e}");
    assert!(
        e.contains("rfc2136") && (e.contains("TSIG") || e.contains("NOTAUTH")),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_outside_the_servers_zones_is_refused() {
    let rig = Rig::start(RigOptions::default()).await;
    let p = dns::provider("rfc2136", &env(&rig, &rig.tsig_secret)).unwrap();
    let e = p
        .present(&TxtRecord::new("other.invalid", "t", "t.k", "v"))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("rfc2136"), "{e}");
}

#[tokio::test]
async fn disabled_checks_only_wait_the_delay() {
    tokio::time::pause();
    let mut spec = DnsChallengeSpec::new("rfc2136");
    spec.disable_checks = true;
    spec.delay_before_checks = Duration::from_secs(30);
    // No server anywhere: with checks disabled nothing is asked.
    let checker = PropagationChecker::from_spec(&spec)
        .unwrap()
        .with_bootstrap(vec![]);
    let start = tokio::time::Instant::now();
    checker
        .wait(&TxtRecord::new("x.test", "t", "k", "v"), timing())
        .await
        .unwrap();
    // Paused time advances in whole milliseconds past the timer.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
        "{waited:?}"
    );
}
