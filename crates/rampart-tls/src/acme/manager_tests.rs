//! The resolver loop's timing with paused tokio time and a stand-in issuer: daily checks,
//! renewal once less than a third of the lifetime is left, exponential backoff on failure,
//! immediate orders when the requested domains change.

use std::sync::Mutex;

use super::*;
use crate::acme::spec::RetrySpec;

const DAY: Duration = Duration::from_hours(24);

/// Wall-clock time that moves with tokio's (paused) clock.
fn clock() -> Clock {
    let base = SystemTime::now();
    let start = Instant::now();
    Arc::new(move || base + (Instant::now() - start))
}

fn cert_until(names: &[String], not_after: SystemTime) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(names.to_vec()).unwrap();
    params.not_after = time::OffsetDateTime::from(not_after);
    params.not_before = time::OffsetDateTime::from(not_after) - time::Duration::days(90);
    (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

/// Records when it was called; fails the first `fail` calls, then issues 90-day certificates.
struct FakeIssuer {
    calls: Mutex<Vec<Instant>>,
    fail: usize,
    clock: Clock,
}

impl Issuer for FakeIssuer {
    fn obtain<'a>(
        &'a self,
        _domain: &'a DomainRequest,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<Issued, AcmeError>> {
        Box::pin(async move {
            let n = {
                let mut calls = self.calls.lock().unwrap();
                calls.push(Instant::now());
                calls.len()
            };
            if n <= self.fail {
                return Err(AcmeError::Challenge {
                    domain: names[0].clone(),
                    reason: "CA said no".into(),
                });
            }
            let (chain_pem, key_pem) = cert_until(names, (self.clock)() + 90 * DAY);
            Ok(Issued { chain_pem, key_pem })
        })
    }
}

struct NullSink;
impl CertificateSink for NullSink {
    fn store(&self, _: &str, _: &DomainRequest, _: &str, _: &str) {}
}

fn manager(dir: &std::path::Path, fail: usize, clock: &Clock) -> (AcmeManager, Arc<FakeIssuer>) {
    let mut spec = AcmeResolverSpec::new("le", dir.join("acme.json"), ChallengeSpec::TlsAlpn);
    spec.retry = RetrySpec::new(Duration::from_mins(1), Duration::from_mins(8));
    let issuer = Arc::new(FakeIssuer {
        calls: Mutex::new(Vec::new()),
        fail,
        clock: clock.clone(),
    });
    let storage = AcmeStorage::open(&spec.storage).unwrap();
    let m = AcmeManager::from_parts(
        &spec,
        storage,
        Arc::new(NullSink),
        issuer.clone(),
        clock.clone(),
    );
    (m, issuer)
}

fn calls(i: &FakeIssuer) -> usize {
    i.calls.lock().unwrap().len()
}

#[tokio::test(start_paused = true)]
async fn renewal_happens_on_the_first_daily_check_with_less_than_a_third_left() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let domain = DomainRequest::new("a.example.test", Vec::<String>::new());
    // 40 of 90 days left: due in 10 days (30 days before expiry).
    let (chain, key) = cert_until(&domain.names(), clock() + 40 * DAY);
    let storage = AcmeStorage::open(dir.path().join("acme.json")).unwrap();
    storage
        .update("le", |r| {
            r.certificates
                .push(StoredCertificate::new(&domain, &chain, &key));
        })
        .unwrap();
    let (m, issuer) = manager(dir.path(), 0, &clock);
    m.set_domains(vec![domain.clone()]);
    let task = m.spawn();

    tokio::time::sleep(9 * DAY + Duration::from_hours(12)).await;
    assert_eq!(calls(&issuer), 0, "not due before day 10");
    tokio::time::sleep(DAY).await;
    assert_eq!(
        calls(&issuer),
        1,
        "renewed at the first daily check past day 10"
    );
    let renewed = m.certificates();
    assert_eq!(renewed.len(), 1);
    assert!(renewed[0].not_after > clock() + 89 * DAY);
    tokio::time::sleep(30 * DAY).await;
    assert_eq!(
        calls(&issuer),
        1,
        "the new certificate is not due for another 60 days"
    );
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_exponentially_up_to_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (m, issuer) = manager(dir.path(), 6, &clock);
    m.set_domains(vec![DomainRequest::new(
        "b.example.test",
        Vec::<String>::new(),
    )]);
    let task = m.spawn();
    tokio::time::sleep(Duration::from_hours(1)).await;
    let at = issuer.calls.lock().unwrap().clone();
    assert_eq!(at.len(), 7, "six failures, then success");
    let gaps: Vec<u64> = at
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs() / 60)
        .collect();
    assert_eq!(
        gaps,
        [1, 2, 4, 8, 8, 8],
        "minutes between attempts: doubling, capped at 8"
    );
    assert_eq!(m.certificates().len(), 1);
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_new_domain_is_ordered_at_once_and_an_unchanged_set_orders_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (m, issuer) = manager(dir.path(), 0, &clock);
    let task = m.spawn();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(calls(&issuer), 0);
    m.set_domains(vec![DomainRequest::new(
        "c.example.test",
        Vec::<String>::new(),
    )]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        calls(&issuer),
        1,
        "ordered without waiting for the daily check"
    );
    m.set_domains(vec![DomainRequest::new(
        "c.example.test",
        Vec::<String>::new(),
    )]);
    // The same name spelled differently is covered by the certificate just issued.
    m.set_domains(vec![DomainRequest::new(
        "C.example.test.",
        Vec::<String>::new(),
    )]);
    tokio::time::sleep(2 * DAY).await;
    assert_eq!(calls(&issuer), 1);
    task.abort();
}
