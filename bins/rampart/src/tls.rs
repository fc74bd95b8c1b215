//! TLS wiring: the dynamic configuration's `tls` section and the TLS routers → `rampart-tls`
//! (certificate store, options per SNI, acceptor), and the acceptor as the server's
//! [`TlsAccept`].

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

/// The process-wide TLS state: one store (file and ACME certificates), one challenge map, one
/// acceptor whose configuration is swapped on reload.
#[derive(Clone)]
pub struct Tls {
    /// Every certificate.
    pub store: Arc<CertStore>,
    /// TLS-ALPN-01 challenge certificates (filled by ACME).
    pub challenges: Arc<AlpnChallengeCerts>,
    /// The acceptor all entrypoints share.
    pub acceptor: Arc<TlsAcceptor>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    /// TLS state with the configuration of `dynamic` and its TLS routers.
    pub fn new(dynamic: &DynamicConfig, routers: &[TlsRouter]) -> (Self, Report) {
        let store = Arc::new(CertStore::new());
        let challenges = Arc::new(AlpnChallengeCerts::new());
        let (config, report) = build(dynamic, routers, &store, &challenges);
        let acceptor = Arc::new(TlsAcceptor::new(config));
        (
            Tls {
                store,
                challenges,
                acceptor,
            },
            report,
        )
    }

    /// Applies a new configuration to the handshakes that start from now on.
    pub fn reload(&self, dynamic: &DynamicConfig, routers: &[TlsRouter]) -> Report {
        let (config, report) = build(dynamic, routers, &self.store, &self.challenges);
        self.acceptor.swap(config);
        report
    }
}

/// Builds the acceptor configuration of a snapshot (without applying it).
pub fn build(
    dynamic: &DynamicConfig,
    routers: &[TlsRouter],
    store: &Arc<CertStore>,
    challenges: &Arc<AlpnChallengeCerts>,
) -> (AcceptorConfig, Report) {
    let mut hosts = HostOptions::builder();
    for router in routers {
        for domain in &router.rule_domains {
            hosts.add(domain, &router.options);
        }
    }
    AcceptorConfig::build(&spec(dynamic), &hosts, store, challenges.clone())
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
