//! The resolver's life: push stored certificates out at start, obtain what is requested and
//! missing, renew what is due, retry failures with backoff — all in its own task, so serving
//! never waits on a CA.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

use super::certs::CertFacts;
use super::challenges::ChallengeMaps;
use super::client;
use super::dns::{self, BoxFuture, PropagationChecker};
use super::error::AcmeError;
use super::order::{self, Issued, OrderSettings, Solver};
use super::renewal::RenewalSchedule;
use super::spec::{AcmeResolverSpec, ChallengeSpec, DomainRequest};
use super::storage::{AcmeStorage, StoredCertificate};

/// Where issued (and, at start, stored) certificates go: the lead wires it to the TLS store.
pub trait CertificateSink: Send + Sync {
    /// A certificate for `domain` from resolver `resolver`: PEM chain (leaf first) and PEM key.
    /// Replaces any earlier certificate for the same request.
    fn store(&self, resolver: &str, domain: &DomainRequest, chain_pem: &str, key_pem: &str);
}

/// One certificate a resolver holds, for the API and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// The resolver's name.
    pub resolver: String,
    /// The request it answers.
    pub domain: DomainRequest,
    /// The names in the certificate.
    pub names: Vec<String>,
    /// When it expires.
    pub not_after: SystemTime,
}

/// Hands every certificate `storage` holds for resolver `name` to `sink`; returns how many.
///
/// [`AcmeManager::new`] does this itself. A proxy calls it alone when a resolver cannot start
/// (its CA trust file is gone, a DNS credential is missing): the certificates it already
/// obtained keep serving until they expire, since serving never waits on ACME.
///
/// ```
/// use rampart_tls::acme::{AcmeStorage, CertificateSink, DomainRequest, serve_stored};
///
/// struct Count(std::sync::atomic::AtomicUsize);
/// impl CertificateSink for Count {
///     fn store(&self, _: &str, _: &DomainRequest, _: &str, _: &str) {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///     }
/// }
/// let dir = tempfile::tempdir().unwrap();
/// let storage = AcmeStorage::open(dir.path().join("acme.json")).unwrap();
/// assert_eq!(serve_stored("le", &storage, &Count(Default::default())), 0);
/// ```
pub fn serve_stored(name: &str, storage: &AcmeStorage, sink: &dyn CertificateSink) -> usize {
    let mut served = 0;
    for c in storage.resolver(name).certificates {
        let (Ok(chain), Ok(key)) = (
            std::str::from_utf8(&c.certificate),
            std::str::from_utf8(&c.key),
        ) else {
            tracing::warn!(resolver = %name, domain = %c.domain.main, "acme: stored certificate is not PEM text; skipped");
            continue;
        };
        sink.store(name, &c.request(), chain, key);
        served += 1;
    }
    served
}

/// Obtains a certificate for one request. The ACME implementation is the only one outside
/// tests; the seam lets the scheduling be tested with paused time.
pub(crate) trait Issuer: Send + Sync {
    fn obtain<'a>(
        &'a self,
        domain: &'a DomainRequest,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<Issued, AcmeError>>;
}

/// "Now" on the wall clock (certificate expiry is wall-clock time).
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A certificate resolver at work.
///
/// ```no_run
/// # async fn demo() -> Result<(), rampart_tls::acme::AcmeError> {
/// use std::sync::Arc;
/// use rampart_tls::acme::*;
///
/// struct Print;
/// impl CertificateSink for Print {
///     fn store(&self, resolver: &str, d: &DomainRequest, _chain: &str, _key: &str) {
///         println!("{resolver}: new certificate for {}", d.main);
///     }
/// }
///
/// let mut spec = AcmeResolverSpec::new("le", "acme.json", ChallengeSpec::TlsAlpn);
/// spec.email = Some("admin@example.com".into());
/// let storage = AcmeStorage::open(&spec.storage)?;
/// let challenges = ChallengeMaps::default(); // also handed to the proxy and TLS resolver
/// let manager = AcmeManager::new(spec, storage, Arc::new(Print), challenges)?;
/// manager.set_domains(vec![DomainRequest::new("app.example.com", ["www.example.com"])]);
/// let _task = manager.spawn();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AcmeManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AcmeManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcmeManager")
            .field("resolver", &self.inner.name)
            .finish_non_exhaustive()
    }
}

struct Inner {
    name: String,
    challenge: ChallengeSpec,
    storage: Arc<AcmeStorage>,
    sink: Arc<dyn CertificateSink>,
    schedule: RenewalSchedule,
    retry: super::spec::RetrySpec,
    domains: watch::Sender<Vec<DomainRequest>>,
    issuer: Arc<dyn Issuer>,
    clock: Clock,
}

impl AcmeManager {
    /// Checks `spec`, builds its DNS provider, and hands every stored certificate of this
    /// resolver to `sink` (so they serve before any CA is contacted).
    pub fn new(
        spec: AcmeResolverSpec,
        storage: Arc<AcmeStorage>,
        sink: Arc<dyn CertificateSink>,
        challenges: ChallengeMaps,
    ) -> Result<Self, AcmeError> {
        spec.validate()?;
        let solver = match &spec.challenge {
            ChallengeSpec::Dns(dns) => Solver::Dns {
                provider: dns::provider(&dns.provider, &spec.env)?,
                checker: PropagationChecker::from_spec(dns)?,
            },
            ChallengeSpec::Http { .. } => Solver::Http(challenges.http01),
            ChallengeSpec::TlsAlpn => Solver::TlsAlpn(challenges.tls_alpn),
        };
        Self::with_solver(spec, storage, sink, solver)
    }

    /// As [`AcmeManager::new`], with the propagation check adjusted (e.g. a private zone whose
    /// authoritative servers listen on another port).
    pub fn with_propagation_checker(
        spec: AcmeResolverSpec,
        storage: Arc<AcmeStorage>,
        sink: Arc<dyn CertificateSink>,
        checker: PropagationChecker,
    ) -> Result<Self, AcmeError> {
        spec.validate()?;
        let ChallengeSpec::Dns(dns) = &spec.challenge else {
            return Err(AcmeError::Spec(
                "a propagation checker needs dnsChallenge".into(),
            ));
        };
        let solver = Solver::Dns {
            provider: dns::provider(&dns.provider, &spec.env)?,
            checker,
        };
        Self::with_solver(spec, storage, sink, solver)
    }

    fn with_solver(
        spec: AcmeResolverSpec,
        storage: Arc<AcmeStorage>,
        sink: Arc<dyn CertificateSink>,
        solver: Solver,
    ) -> Result<Self, AcmeError> {
        let tls = client::tls_config(&spec)?;
        let issuer = Arc::new(AcmeIssuer {
            settings: OrderSettings {
                resolver: spec.name.clone(),
                key_type: spec.key_type,
                preferred_chain: spec.preferred_chain.clone(),
                poll_timeout: Duration::from_mins(2),
            },
            spec,
            tls,
            storage: storage.clone(),
            solver,
            account: Mutex::new(None),
        });
        Ok(Self::from_parts(
            &issuer.spec.clone(),
            storage,
            sink,
            issuer,
            Arc::new(SystemTime::now),
        ))
    }

    pub(crate) fn from_parts(
        spec: &AcmeResolverSpec,
        storage: Arc<AcmeStorage>,
        sink: Arc<dyn CertificateSink>,
        issuer: Arc<dyn Issuer>,
        clock: Clock,
    ) -> Self {
        let inner = Inner {
            name: spec.name.clone(),
            challenge: spec.challenge.clone(),
            schedule: RenewalSchedule::for_duration(spec.certificates_duration),
            retry: spec.retry,
            storage,
            sink,
            domains: watch::Sender::new(Vec::new()),
            issuer,
            clock,
        };
        serve_stored(&inner.name, &inner.storage, inner.sink.as_ref());
        AcmeManager {
            inner: Arc::new(inner),
        }
    }

    /// The resolver's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Replaces the set of requested certificates (from routers' `tls.domains` or `Host`
    /// rules). Requests this resolver cannot serve (a wildcard without `dnsChallenge`, an
    /// empty name) are left out and returned as errors; the rest are ordered as needed.
    pub fn set_domains(&self, domains: Vec<DomainRequest>) -> Vec<AcmeError> {
        let mut errors = Vec::new();
        let mut keep: Vec<DomainRequest> = Vec::new();
        for d in domains {
            match self.check(&d) {
                Ok(()) => {
                    if !keep.contains(&d) {
                        keep.push(d);
                    }
                }
                Err(e) => {
                    tracing::error!(resolver = %self.inner.name, error = %e, "acme: domain request refused");
                    errors.push(e);
                }
            }
        }
        self.inner.domains.send_if_modified(|cur| {
            if *cur == keep {
                false
            } else {
                *cur = keep;
                true
            }
        });
        errors
    }

    fn check(&self, d: &DomainRequest) -> Result<(), AcmeError> {
        let names = d.names();
        if names.is_empty() {
            return Err(AcmeError::Domain {
                domain: d.main.clone(),
                reason: "no name to order".into(),
            });
        }
        for n in &names {
            let base = n.strip_prefix("*.").unwrap_or(n);
            if base.contains('*') || base.is_empty() || base.split('.').any(str::is_empty) {
                return Err(AcmeError::Domain {
                    domain: n.clone(),
                    reason: "not a valid DNS name (only a leading `*.` is allowed)".into(),
                });
            }
            if n.starts_with("*.") && !matches!(self.inner.challenge, ChallengeSpec::Dns(_)) {
                // Traefik: "unable to generate a wildcard certificate in ACME provider for domain ... : ACME needs a DNSChallenge".
                return Err(AcmeError::Domain {
                    domain: n.clone(),
                    reason: format!(
                        "a wildcard certificate needs dnsChallenge, and resolver {:?} uses {}",
                        self.inner.name,
                        self.inner.challenge.kind()
                    ),
                });
            }
        }
        Ok(())
    }

    /// Every certificate this resolver holds, with its names and expiry.
    pub fn certificates(&self) -> Vec<CertificateInfo> {
        self.inner
            .storage
            .resolver(&self.inner.name)
            .certificates
            .iter()
            .filter_map(|c| {
                let f = CertFacts::from_pem(&c.certificate).ok()?;
                Some(CertificateInfo {
                    resolver: self.inner.name.clone(),
                    domain: c.request(),
                    names: f.names,
                    not_after: f.not_after,
                })
            })
            .collect()
    }

    /// Runs the resolver on the current tokio runtime until the task is aborted.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { me.run().await })
    }

    /// The resolver's loop: reconcile now, then whenever the requested domains change, a
    /// retry is due, or the schedule's check interval passes.
    pub async fn run(&self) {
        let mut rx = self.inner.domains.subscribe();
        let mut failures: HashMap<DomainRequest, (u32, Instant)> = HashMap::new();
        loop {
            let wanted = rx.borrow_and_update().clone();
            let next_retry = self.reconcile(&wanted, &mut failures).await;
            let mut wake = Instant::now() + self.inner.schedule.check_every;
            if let Some(r) = next_retry {
                wake = wake.min(r);
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return },
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// One pass; returns the earliest pending retry.
    async fn reconcile(
        &self,
        wanted: &[DomainRequest],
        failures: &mut HashMap<DomainRequest, (u32, Instant)>,
    ) -> Option<Instant> {
        let inner = &self.inner;
        let stored = inner.storage.resolver(&inner.name).certificates;
        // Traefik renews every stored certificate of the resolver, requested or not: they all serve.
        let mut todo: Vec<DomainRequest> = wanted.to_vec();
        for c in &stored {
            let r = c.request();
            if !todo.iter().any(|w| w.names() == r.names()) {
                todo.push(r);
            }
        }
        failures.retain(|d, _| todo.contains(d));
        let mut next_retry: Option<Instant> = None;
        for domain in todo {
            let names = domain.names();
            if let Some((_, at)) = failures.get(&domain)
                && Instant::now() < *at
            {
                next_retry = Some(next_retry.map_or(*at, |n| n.min(*at)));
                continue;
            }
            let now = (inner.clock)();
            let covering: Vec<CertFacts> = stored
                .iter()
                .filter_map(|c| CertFacts::from_pem(&c.certificate).ok())
                .filter(|f| f.covers(&names))
                .collect();
            if covering
                .iter()
                .any(|f| !inner.schedule.due(f.not_after, now))
            {
                continue;
            }
            if covering.is_empty() {
                tracing::info!(resolver = %inner.name, domains = ?names, "acme: obtaining a certificate");
            } else {
                tracing::info!(resolver = %inner.name, domains = ?names, "acme: renewing a certificate close to expiry");
            }
            match inner.issuer.obtain(&domain, &names).await {
                Ok(issued) => {
                    failures.remove(&domain);
                    if let Err(e) = self.keep(&domain, &issued) {
                        tracing::error!(resolver = %inner.name, error = %e, "acme: certificate obtained but not saved");
                    }
                }
                Err(e) => {
                    let n = failures.get(&domain).map_or(1, |(n, _)| n + 1);
                    let delay = inner.retry.delay(n);
                    let at = Instant::now() + delay;
                    tracing::warn!(resolver = %inner.name, domains = ?names, error = %e, attempt = n, retry_in = ?delay, "acme: order failed");
                    failures.insert(domain, (n, at));
                    next_retry = Some(next_retry.map_or(at, |x| x.min(at)));
                }
            }
        }
        next_retry
    }

    fn keep(&self, domain: &DomainRequest, issued: &Issued) -> Result<(), AcmeError> {
        let inner = &self.inner;
        let names = domain.names();
        let cert = StoredCertificate::new(domain, &issued.chain_pem, &issued.key_pem);
        inner.storage.update(&inner.name, |r| {
            r.certificates.retain(|c| c.request().names() != names);
            r.certificates.push(cert);
        })?;
        let expiry = CertFacts::from_pem(issued.chain_pem.as_bytes())
            .map(|f| time::OffsetDateTime::from(f.not_after).to_string())
            .unwrap_or_default();
        tracing::info!(resolver = %inner.name, domains = ?names, not_after = %expiry, "acme: certificate stored");
        inner
            .sink
            .store(&inner.name, domain, &issued.chain_pem, &issued.key_pem);
        Ok(())
    }
}

/// The real issuer: an instant-acme account (made on first use) and the resolver's solver.
struct AcmeIssuer {
    spec: AcmeResolverSpec,
    settings: OrderSettings,
    tls: rustls::ClientConfig,
    storage: Arc<AcmeStorage>,
    solver: Solver,
    account: Mutex<Option<instant_acme::Account>>,
}

impl Issuer for AcmeIssuer {
    fn obtain<'a>(
        &'a self,
        _domain: &'a DomainRequest,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<Issued, AcmeError>> {
        Box::pin(async move {
            let account = {
                let mut slot = self.account.lock().await;
                if let Some(a) = &*slot {
                    a.clone()
                } else {
                    let a = client::account(&self.spec, &self.tls, &self.storage).await?;
                    *slot = Some(a.clone());
                    a
                }
            };
            let result = order::obtain(&account, &self.solver, &self.settings, names).await;
            if let Err(AcmeError::Ca(instant_acme::Error::Api(p))) = &result
                && p.r#type.as_deref() == Some("urn:ietf:params:acme:error:accountDoesNotExist")
            {
                // The CA forgot the account (a reset staging CA, a restarted pebble): register anew next time.
                *self.account.lock().await = None;
                self.storage.update(&self.spec.name, |r| r.account = None)?;
            }
            result
        })
    }
}

#[cfg(test)]
#[path = "manager_tests.rs"]
mod tests;
