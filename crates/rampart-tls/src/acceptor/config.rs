//! Everything one handshake needs, built per (re)load and swapped whole.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use rustls::ServerConfig;
use rustls::server::{ClientHello, NoServerSessionStorage};

use crate::challenge::ACME_TLS_ALPN;
use crate::options::OptionsSet;
use crate::resolver::{ChallengeResolver, FixedResolver, offers_acme_tls};
use crate::{
    CertStore, ChallengeCerts, FileCerts, HostOptions, HostOptionsBuilder, Report, TlsSpec,
    provider,
};

/// The certificate store, the built TLS options, the host → options map and the TLS-ALPN-01
/// configuration: what [`TlsAcceptor`](crate::TlsAcceptor) reads, once per connection.
///
/// ```
/// use std::sync::Arc;
/// use rampart_tls::{AcceptorConfig, AlpnChallengeCerts, CertStore, HostOptions, TlsSpec};
///
/// let store = Arc::new(CertStore::new());
/// let challenges = Arc::new(AlpnChallengeCerts::new());
/// let mut hosts = HostOptions::builder();
/// hosts.add("app.example.test", "default");
/// let (config, report) = AcceptorConfig::build(&TlsSpec::default(), &hosts, &store, challenges);
/// assert!(report.is_ok());
/// assert_eq!(&*config.hosts().options_for(Some("app.example.test")), "default");
/// ```
#[derive(Debug, Clone)]
pub struct AcceptorConfig {
    store: Arc<CertStore>,
    options: OptionsSet,
    hosts: HostOptions,
    challenge: Arc<ServerConfig>,
    /// File certificates to serve from `store` once this configuration goes live.
    files: Option<FileCerts>,
}

/// What to do with one `ClientHello`.
pub(crate) enum Choice {
    /// Answer an ACME TLS-ALPN-01 validation.
    Challenge(Arc<ServerConfig>),
    /// Handshake with these options.
    Serve {
        options: Arc<str>,
        config: Arc<ServerConfig>,
    },
    /// The options this SNI needs are unusable: refuse (with an alert, through `config`).
    Refuse {
        options: Arc<str>,
        config: Arc<ServerConfig>,
    },
}

impl AcceptorConfig {
    /// Assembles built parts. `challenges` answers TLS-ALPN-01 validations.
    pub fn new(
        store: Arc<CertStore>,
        options: OptionsSet,
        hosts: HostOptions,
        challenges: Arc<dyn ChallengeCerts>,
    ) -> Self {
        AcceptorConfig {
            store,
            options,
            hosts,
            challenge: challenge_config(challenges),
            files: None,
        }
    }

    /// Builds a configuration's `tls` section — file certificates and the default certificate,
    /// every options object, the host → options map of its TLS routers — without changing
    /// anything yet: the file certificates replace the store's when the configuration is given
    /// to [`TlsAcceptor::new`](crate::TlsAcceptor::new) or
    /// [`swap`](crate::TlsAcceptor::swap) (ACME's stay). Everything wrong is in the report;
    /// what works will be served.
    pub fn build(
        spec: &TlsSpec,
        hosts: &HostOptionsBuilder,
        store: &Arc<CertStore>,
        challenges: Arc<dyn ChallengeCerts>,
    ) -> (Self, Report) {
        let (files, mut report) = store.prepare_files(&spec.certificates, &spec.stores);
        let (options, options_report) = OptionsSet::build(&spec.options, store, challenges.clone());
        report.merge(options_report);
        let base = Self::new(store.clone(), options, HostOptions::default(), challenges);
        let (mut config, hosts_report) = base.with_hosts(hosts);
        report.merge(hosts_report);
        config.files = Some(files);
        (config, report)
    }

    /// The same store, built options and TLS-ALPN-01 answers with another host → options map:
    /// the configuration of another entrypoint (Traefik chooses TLS options per entrypoint, so
    /// one host may use different options on two entrypoints). The result does not carry the
    /// file certificates: those go live with the configuration [`build`](Self::build) returned.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rampart_tls::{AcceptorConfig, AlpnChallengeCerts, CertStore, HostOptions, TlsSpec};
    ///
    /// let store = Arc::new(CertStore::new());
    /// let challenges = Arc::new(AlpnChallengeCerts::new());
    /// let (web, _) =
    ///     AcceptorConfig::build(&TlsSpec::default(), &HostOptions::builder(), &store, challenges);
    /// let mut hosts = HostOptions::builder();
    /// hosts.add("admin.example.test", "mtls@file");
    /// let (admin, report) = web.with_hosts(&hosts);
    /// assert_eq!(&*admin.hosts().options_for(Some("admin.example.test")), "mtls@file");
    /// assert_eq!(report.warnings.len(), 1); // `mtls@file` does not exist here
    /// ```
    pub fn with_hosts(&self, hosts: &HostOptionsBuilder) -> (Self, Report) {
        let mut report = Report::default();
        let (hosts, warnings) = hosts.build();
        report.warnings.extend(warnings);
        for (host, name) in hosts.entries() {
            if !self.options.contains(&name) {
                report.warn(
                    format!("host {host:?}"),
                    format!(
                        "TLS options {name:?} do not exist; handshakes for this host are refused"
                    ),
                );
            }
        }
        let config = AcceptorConfig {
            store: self.store.clone(),
            options: self.options.clone(),
            hosts,
            challenge: self.challenge.clone(),
            files: None,
        };
        (config, report)
    }

    /// Serves the file certificates this configuration was built with (once).
    pub(crate) fn publish_files(&mut self) {
        if let Some(files) = self.files.take() {
            self.store.set_files(files);
        }
    }

    /// The certificate store.
    pub fn store(&self) -> &Arc<CertStore> {
        &self.store
    }

    /// The built TLS options.
    pub fn options(&self) -> &OptionsSet {
        &self.options
    }

    /// The host → options map (also what the router's SNI check must use).
    pub fn hosts(&self) -> &HostOptions {
        &self.hosts
    }

    pub(crate) fn choose(
        &self,
        hello: &ClientHello<'_>,
        server_name: Option<&str>,
        local_ip: Option<IpAddr>,
    ) -> Choice {
        if offers_acme_tls(hello) {
            return Choice::Challenge(self.challenge.clone());
        }
        let wanted = self.hosts.options_for(server_name);
        let options = self.options.name_arc(&wanted).unwrap_or(wanted);
        let Some(config) = self.options.get(&options) else {
            return Choice::Refuse {
                options,
                config: refuse_config(),
            };
        };
        // No SNI (clients connecting to an IP address may not send one): Traefik matches the
        // local address against the certificates' IP names before the default.
        if server_name.is_none()
            && let Some(ip) = local_ip
            && let Some(entry) = self.store.snapshot().lookup(&ip.to_string())
        {
            let mut per_conn = ServerConfig::clone(config);
            per_conn.cert_resolver =
                Arc::new(FixedResolver(Some(entry.cert.certified_key().clone())));
            return Choice::Serve {
                options,
                config: Arc::new(per_conn),
            };
        }
        Choice::Serve {
            options,
            config: config.clone(),
        }
    }
}

/// TLS-ALPN-01 answers: TLS 1.2+ (RFC 8737 §3 requires 1.2 or later), ALPN `acme-tls/1` only,
/// the challenge certificate only, no client authentication, no resumption (each validation is
/// one fresh handshake), whatever the options of the domain say.
fn challenge_config(challenges: Arc<dyn ChallengeCerts>) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider::ring().clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(ChallengeResolver(challenges)));
    config.alpn_protocols = vec![ACME_TLS_ALPN.to_vec()];
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Arc::new(config)
}

/// A configuration that fails every handshake with an alert: for an SNI whose options could
/// not be built, so that the client sees a TLS error rather than a reset.
fn refuse_config() -> Arc<ServerConfig> {
    static CONFIG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            Arc::new(
                ServerConfig::builder_with_provider(provider::ring().clone())
                    .with_safe_default_protocol_versions()
                    .expect("ring supports TLS 1.2 and 1.3")
                    .with_no_client_auth()
                    .with_cert_resolver(Arc::new(FixedResolver(None))),
            )
        })
        .clone()
}
