//! ACME wiring: `certificatesResolvers.<name>.acme` → one `AcmeManager` per resolver, whose
//! certificates go into the TLS store; the domains each resolver must cover, recomputed on
//! every reload; `acme-http@internal` answering HTTP-01 tokens.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rampart::compile::TlsRouter;
use rampart::middleware::{BoxFuture, Endpoint};
use rampart::{Body, Request, Response};
use rampart_config::StaticConfig;
use rampart_config::static_config::{Acme as AcmeModel, KeyType as KeyTypeModel};
use rampart_tls::CertStore;
use rampart_tls::acme::{
    AcmeManager, AcmeResolverSpec, AcmeStorage, CertificateSink, ChallengeMaps, ChallengeSpec,
    DnsChallengeSpec, DomainRequest, Eab, Env, Http01Tokens, KeyType, serve_stored,
};
use tracing::{error, info, warn};

/// The running ACME resolvers.
#[derive(Default)]
pub struct Acme {
    managers: BTreeMap<String, AcmeManager>,
    /// HTTP-01 tokens, served by `acme-http@internal`.
    pub http01: Http01Tokens,
}

impl std::fmt::Debug for Acme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acme")
            .field("resolvers", &self.managers.keys())
            .finish_non_exhaustive()
    }
}

/// Puts issued certificates into the TLS store.
struct StoreSink(Arc<CertStore>);

impl CertificateSink for StoreSink {
    fn store(&self, resolver: &str, domain: &DomainRequest, chain_pem: &str, key_pem: &str) {
        match self.0.upsert_acme_pem(
            resolver,
            &domain.main,
            chain_pem.as_bytes(),
            key_pem.as_bytes(),
        ) {
            Ok(_) => info!(resolver, domain = %domain.main, "ACME certificate installed"),
            Err(e) => {
                error!(resolver, domain = %domain.main, error = %e, "ACME certificate unusable");
            }
        }
    }
}

impl Acme {
    /// Starts every resolver of the static configuration. A resolver that cannot start (bad
    /// storage, missing DNS credentials) is logged and skipped: serving never waits on ACME.
    pub fn start(
        config: &StaticConfig,
        env: &BTreeMap<String, String>,
        store: &Arc<CertStore>,
        tls_alpn: &rampart_tls::AlpnChallengeCerts,
    ) -> (Self, Vec<String>) {
        let mut acme = Acme::default();
        let mut problems = Vec::new();
        let mut storages: HashMap<std::path::PathBuf, Arc<AcmeStorage>> = HashMap::new();
        let maps = ChallengeMaps {
            http01: acme.http01.clone(),
            tls_alpn: tls_alpn.clone(),
        };
        for (name, resolver) in &config.certificates_resolvers {
            // The storage first: whatever else is wrong with the resolver, the certificates it
            // already obtained keep serving (serving never waits on ACME).
            let path = resolver.acme.storage.clone();
            let storage = match storages.get(&path) {
                Some(s) => s.clone(),
                None => match AcmeStorage::open(&path) {
                    Ok(s) => {
                        storages.insert(path.clone(), s.clone());
                        s
                    }
                    Err(e) => {
                        problems.push(format!("certificatesResolvers.{name}.acme.storage: {e}"));
                        continue;
                    }
                },
            };
            let sink = Arc::new(StoreSink(store.clone()));
            let started = spec(name, &resolver.acme, env).and_then(|spec| {
                AcmeManager::new(spec, storage.clone(), sink.clone(), maps.clone())
                    .map_err(|e| e.to_string())
            });
            match started {
                Ok(manager) => {
                    manager.spawn();
                    acme.managers.insert(name.clone(), manager);
                }
                Err(e) => {
                    let served = serve_stored(name, &storage, sink.as_ref());
                    problems.push(format!(
                        "certificatesResolvers.{name}: {e}; no certificate will be obtained or \
                         renewed, the {served} already stored keep serving"
                    ));
                }
            }
        }
        for p in &problems {
            error!("{p}");
        }
        (acme, problems)
    }

    /// Tells each resolver which domains it must cover now.
    pub fn set_domains(&self, config: &StaticConfig, routers: &[TlsRouter]) {
        for (name, manager) in &self.managers {
            let domains = domains_for(name, config, routers);
            for e in manager.set_domains(domains) {
                warn!(resolver = %name, error = %e, "ACME domain refused");
            }
        }
    }

    /// The `acme-http@internal` service.
    pub fn http_endpoint(&self) -> Arc<dyn Endpoint> {
        Arc::new(Http01 {
            tokens: self.http01.clone(),
        })
    }
}

/// The domains resolver `name` must cover: its entrypoints' `http.tls.domains`, and each TLS
/// router using it (its `tls.domains`, else the `Host` names of its rule, as one certificate).
pub fn domains_for(name: &str, config: &StaticConfig, routers: &[TlsRouter]) -> Vec<DomainRequest> {
    let mut out: Vec<DomainRequest> = Vec::new();
    let mut push = |names: &[String]| {
        let Some((main, sans)) = names.split_first() else {
            return;
        };
        let req = DomainRequest::new(
            main.to_ascii_lowercase(),
            sans.iter().map(|s| s.to_ascii_lowercase()),
        );
        if !out.contains(&req) {
            out.push(req);
        }
    };
    for ep in config.entry_points.values() {
        if let Some(tls) = &ep.http.tls
            && tls.cert_resolver.as_deref() == Some(name)
        {
            for d in &tls.domains {
                push(&d.names().map(str::to_owned).collect::<Vec<_>>());
            }
        }
    }
    for r in routers
        .iter()
        .filter(|r| r.cert_resolver.as_deref() == Some(name))
    {
        if r.domains.is_empty() {
            push(&r.rule_domains);
        } else {
            for d in &r.domains {
                push(d);
            }
        }
    }
    out
}

fn spec(
    name: &str,
    a: &AcmeModel,
    env: &BTreeMap<String, String>,
) -> Result<AcmeResolverSpec, String> {
    let challenge = if let Some(dns) = &a.dns_challenge {
        let mut d = DnsChallengeSpec::new(dns.provider.clone());
        d.resolvers.clone_from(&dns.resolvers);
        d.delay_before_checks = dns
            .propagation
            .delay_before_checks
            .to_std()
            .unwrap_or_default();
        d.disable_checks = dns.propagation.disable_checks;
        ChallengeSpec::Dns(d)
    } else if let Some(http) = &a.http_challenge {
        ChallengeSpec::Http {
            entry_point: http.entry_point.clone(),
        }
    } else if a.tls_challenge.is_some() {
        ChallengeSpec::TlsAlpn
    } else {
        return Err("no challenge configured (dnsChallenge, httpChallenge or tlsChallenge)".into());
    };
    let mut spec = AcmeResolverSpec::new(name, a.storage.clone(), challenge);
    spec.email = Some(a.email.clone()).filter(|e| !e.is_empty());
    if !a.ca_server.is_empty() {
        spec.ca_server.clone_from(&a.ca_server);
    }
    spec.ca_certificates.clone_from(&a.ca_certificates);
    spec.ca_system_cert_pool = a.ca_system_cert_pool;
    spec.ca_server_name = Some(a.ca_server_name.clone()).filter(|s| !s.is_empty());
    spec.key_type = match a.key_type {
        KeyTypeModel::Ec256 => KeyType::Ec256,
        KeyTypeModel::Ec384 => KeyType::Ec384,
        KeyTypeModel::Rsa2048 => KeyType::Rsa2048,
        KeyTypeModel::Rsa8192 => KeyType::Rsa8192,
        KeyTypeModel::Rsa4096 => KeyType::Rsa4096,
    };
    spec.eab = a
        .eab
        .as_ref()
        .map(|e| Eab::new(e.kid.clone(), e.hmac_encoded.clone()));
    if a.certificates_duration_hours > 0 {
        spec.certificates_duration = std::time::Duration::from_secs(
            u64::try_from(a.certificates_duration_hours).unwrap_or(2160) * 3600,
        );
    }
    spec.preferred_chain = Some(a.preferred_chain.clone()).filter(|s| !s.is_empty());
    spec.env = env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<Env>();
    Ok(spec)
}

/// `acme-http@internal`: answers `/.well-known/acme-challenge/<token>` with the key
/// authorisation (RFC 8555 §8.3), 404 for unknown tokens.
#[derive(Debug)]
struct Http01 {
    tokens: Http01Tokens,
}

impl Endpoint for Http01 {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let answer = self.tokens.response_for_path(req.uri().path());
        Box::pin(async move {
            match answer {
                Some(key_auth) => {
                    let mut res = Response::new(Body::from(key_auth));
                    res.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("text/plain"),
                    );
                    res
                }
                None => rampart::error::status_response(http::StatusCode::NOT_FOUND),
            }
        })
    }
}
