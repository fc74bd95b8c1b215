//! TLS wiring: the dynamic configuration's `tls` section and the TLS routers → `rampart-tls`
//! (certificate store, options per SNI, acceptor), and the acceptor as the server's
//! [`TlsAccept`].

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use rampart::compile::TlsRouter;
use rampart::context::TlsInfo;
use rampart::middleware::BoxFuture;
use rampart_config::dynamic_config::{self as dc, ClientAuthType, TlsVersion};
use rampart_config::{DynamicConfig, FileOrContent};
use rampart_tls::{
    AcceptorConfig, AlpnChallengeCerts, CertStore, CertificateSpec, ClientAuthSpec, FileOrPem,
    GeneratedCertSpec, HostOptions, Report, StoreSpec, TlsAcceptor, TlsOptionsSpec, TlsSpec,
};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::server::TlsAccept;

/// The process-wide TLS state: one store (file and ACME certificates), one challenge map, and
/// one acceptor per entrypoint, whose configurations are swapped on reload.
///
/// Each entrypoint has its own acceptor because Traefik chooses TLS options per entrypoint: a
/// host may be served with `mtls@file` on one entrypoint and `default` on another. The
/// acceptors share the store and the built options.
#[derive(Clone)]
pub struct Tls {
    /// Every certificate.
    pub store: Arc<CertStore>,
    /// TLS-ALPN-01 challenge certificates (filled by ACME).
    pub challenges: Arc<AlpnChallengeCerts>,
    acceptors: BTreeMap<String, Arc<TlsAcceptor>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("entrypoints", &self.acceptors.keys())
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// TLS state for `entrypoints`, with the configuration of `dynamic` and its TLS routers.
    pub fn new<'a>(
        entrypoints: impl IntoIterator<Item = &'a str>,
        dynamic: &DynamicConfig,
        routers: &[TlsRouter],
    ) -> (Self, Report) {
        let store = Arc::new(CertStore::new());
        let challenges = Arc::new(AlpnChallengeCerts::new());
        let names: Vec<&str> = entrypoints.into_iter().collect();
        let (configs, report) = build(&names, dynamic, routers, &store, &challenges);
        let acceptors = configs
            .into_iter()
            .map(|(name, config)| (name, Arc::new(TlsAcceptor::new(config))))
            .collect();
        let tls = Tls {
            store,
            challenges,
            acceptors,
        };
        (tls, report)
    }

    /// Applies a new configuration to the handshakes that start from now on (connections
    /// already established keep theirs).
    pub fn reload(&self, dynamic: &DynamicConfig, routers: &[TlsRouter]) -> Report {
        let names: Vec<&str> = self.acceptors.keys().map(String::as_str).collect();
        let (configs, report) = build(&names, dynamic, routers, &self.store, &self.challenges);
        for (name, config) in configs {
            if let Some(acceptor) = self.acceptors.get(&name) {
                acceptor.swap(config);
            }
        }
        report
    }

    /// The acceptor of entrypoint `name`.
    pub fn acceptor(&self, name: &str) -> Option<Arc<TlsAcceptor>> {
        self.acceptors.get(name).cloned()
    }
}

/// Builds the acceptor configuration of each entrypoint for a snapshot (without applying it).
/// The first entrypoint's configuration carries the file certificates (they go live when it
/// is swapped in); the others share its store and options.
pub fn build(
    entrypoints: &[&str],
    dynamic: &DynamicConfig,
    routers: &[TlsRouter],
    store: &Arc<CertStore>,
    challenges: &Arc<AlpnChallengeCerts>,
) -> (BTreeMap<String, AcceptorConfig>, Report) {
    let hosts_of = |ep: &str| {
        let mut hosts = HostOptions::builder();
        for router in routers
            .iter()
            .filter(|r| r.entrypoints.iter().any(|e| e == ep))
        {
            for domain in &router.rule_domains {
                hosts.add(domain, &router.options);
            }
        }
        hosts
    };
    let first = entrypoints.first().copied().unwrap_or_default();
    let (base, mut report) =
        AcceptorConfig::build(&spec(dynamic), &hosts_of(first), store, challenges.clone());
    let mut configs = BTreeMap::new();
    for ep in entrypoints.iter().skip(1) {
        let (config, hosts_report) = base.with_hosts(&hosts_of(ep));
        report.merge(hosts_report);
        configs.insert((*ep).to_owned(), config);
    }
    if !entrypoints.is_empty() {
        configs.insert(first.to_owned(), base);
    }
    dedup(&mut report);
    (configs, report)
}

/// The same host problem found on two entrypoints is one line in the log.
fn dedup(report: &mut Report) {
    let mut seen = std::collections::HashSet::new();
    report
        .warnings
        .retain(|w| seen.insert((w.subject.clone(), w.message.clone())));
}

/// The `tls` section in `rampart-tls`'s vocabulary.
pub fn spec(dynamic: &DynamicConfig) -> TlsSpec {
    let tls = &dynamic.tls;
    let mut spec = TlsSpec::default();
    for cert in &tls.certificates {
        let mut c = CertificateSpec::new(pem(&cert.pair.cert_file), pem(&cert.pair.key_file));
        c.stores.clone_from(&cert.stores);
        spec.certificates.push(c);
    }
    for (name, store) in &tls.stores {
        spec.stores.insert(
            name.clone(),
            StoreSpec {
                default_certificate: store
                    .default_certificate
                    .as_ref()
                    .map(|p| CertificateSpec::new(pem(&p.cert_file), pem(&p.key_file))),
                default_generated_cert: store.default_generated_cert.as_ref().map(|g| {
                    GeneratedCertSpec {
                        resolver: g.resolver.clone(),
                        main: g.domain.main.clone(),
                        sans: g.domain.sans.clone(),
                    }
                }),
            },
        );
    }
    for (name, options) in &tls.options {
        spec.options.insert(name.clone(), options_spec(options));
    }
    spec
}

fn options_spec(o: &dc::TlsOptions) -> TlsOptionsSpec {
    let version = |v: TlsVersion| {
        match v {
            TlsVersion::Tls10 => "VersionTLS10",
            TlsVersion::Tls11 => "VersionTLS11",
            TlsVersion::Tls12 => "VersionTLS12",
            TlsVersion::Tls13 => "VersionTLS13",
        }
        .to_owned()
    };
    let mut spec = TlsOptionsSpec::traefik_default();
    spec.min_version = Some(version(o.min_version));
    spec.max_version = Some(version(o.max_version));
    spec.cipher_suites.clone_from(&o.cipher_suites);
    spec.curve_preferences.clone_from(&o.curve_preferences);
    spec.sni_strict = o.sni_strict;
    spec.alpn_protocols.clone_from(&o.alpn_protocols);
    spec.disable_session_tickets = o.disable_session_tickets;
    let mut client_auth = ClientAuthSpec::default();
    client_auth.ca_files = o.client_auth.ca_files.iter().map(pem).collect();
    client_auth.client_auth_type = match o.client_auth.auth_type {
        ClientAuthType::NoClientCert if o.client_auth.ca_files.is_empty() => None,
        ClientAuthType::NoClientCert => None,
        ClientAuthType::RequestClientCert => Some("RequestClientCert".into()),
        ClientAuthType::RequireAnyClientCert => Some("RequireAnyClientCert".into()),
        ClientAuthType::VerifyClientCertIfGiven => Some("VerifyClientCertIfGiven".into()),
        ClientAuthType::RequireAndVerifyClientCert => Some("RequireAndVerifyClientCert".into()),
    };
    spec.client_auth = client_auth;
    spec
}

fn pem(f: &FileOrContent) -> FileOrPem {
    match f {
        FileOrContent::File(path) => FileOrPem::File(path.clone()),
        FileOrContent::Content(text) => FileOrPem::Pem(text.clone()),
    }
}

/// The shared acceptor, as the server's [`TlsAccept`].
#[derive(Debug, Clone)]
pub struct Acceptor(pub Arc<TlsAcceptor>);

impl TlsAccept for Acceptor {
    fn accept(
        &self,
        tcp: TcpStream,
    ) -> BoxFuture<'static, io::Result<(TlsStream<TcpStream>, TlsInfo)>> {
        let acceptor = self.0.clone();
        Box::pin(async move {
            let local = tcp.local_addr().ok().map(|a| a.ip());
            let accepted = acceptor
                .accept(tcp, local)
                .await
                .map_err(io::Error::other)?;
            let c = accepted.info;
            let mut info = TlsInfo::default();
            info.server_name = c.server_name;
            info.alpn = c.alpn;
            info.version = c.version;
            info.cipher = c.cipher;
            info.options = Some(c.options);
            info.client_certs = c.client_certs;
            Ok((accepted.stream, info))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The configuration crate validates names and the TLS crate maps them; both hold Traefik's
    /// lists (neither crate depends on the other). The binary sees both: they must agree.
    #[test]
    fn the_config_and_tls_crates_know_the_same_traefik_names() {
        use rampart_config::dynamic_config as config;
        use rampart_tls::options::{self, names};
        fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
            names.iter().copied().collect()
        }
        assert_eq!(set(config::CIPHER_SUITES), set(&names::CIPHER_SUITE_NAMES));
        assert_eq!(set(config::CURVES), set(&names::CURVE_NAMES));
        assert_eq!(config::DEFAULT_ALPN, options::DEFAULT_ALPN);
    }
}
