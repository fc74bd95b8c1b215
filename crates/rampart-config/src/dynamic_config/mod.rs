//! Traefik's dynamic (routing) configuration: routers, services, middlewares, servers
//! transports, TLS.
//!
//! Like the static configuration, three forms: the raw serde mirror (`raw.rs`) → this validated
//! model (names qualified `name@provider`, references resolved in their provider, defaults
//! applied) → the runtime tables `rampart` compiles. Middleware options stay a [`Value`](crate::Value): the
//! middleware registry decodes them per type. `tcp` and `udp` sections, `mirroring` and
//! `highestRandomWeight` services and a few keys are reported as not yet supported.
//!
//! A document is turned into a `DynamicConfig` with [`DynamicConfig::from_document`]; the file
//! provider ([`crate::provider`]) does that per file and merges the files.

mod build;
mod diff;
mod load_balancer;
mod middleware;
pub mod names;
mod raw;
mod router;
mod service;
mod tls;
mod transport;

use std::collections::BTreeMap;
use std::fmt;

pub use diff::{Changes, ConfigDiff};
pub use load_balancer::{
    HealthCheck, LoadBalancer, PassiveHealthCheck, SameSite, Server, StickyCookie, Strategy,
};
pub use middleware::Middleware;
pub use names::QualifiedName;
pub use router::{MAX_USER_PRIORITY, Router, RouterObservability, RouterTls};
pub use service::{Failover, FailoverErrors, Mirroring, Service, Weighted, WeightedService};
pub use tls::{
    CIPHER_SUITES, CURVES, CertificatePair, ClientAuth, ClientAuthType, DEFAULT_ALPN,
    GeneratedCert, TlsCertificate, TlsOptions, TlsStore, TlsVersion,
};
pub use transport::ServersTransport;

use crate::diag::Diagnostics;
use crate::error::{ConfigErrors, ConfigWarning, Origin};
use crate::format::Document;

/// A validated dynamic configuration.
///
/// ```
/// use rampart_config::{Document, Format};
/// use rampart_config::dynamic_config::{DynamicConfig, Service};
///
/// let doc = Document::parse(
///     "http:\n  routers:\n    app:\n      rule: Host(`app.example.test`)\n      middlewares: [auth]\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:8080\n",
///     Format::Yaml,
///     "rules/app.yaml",
/// ).unwrap();
/// let (config, _warnings) = DynamicConfig::from_document(&doc, "file").unwrap();
/// let router = &config.http.routers["app@file"];
/// assert_eq!(router.middlewares[0].as_str(), "auth@file");
/// assert_eq!(router.priority, 24); // the length of the rule
/// let Service::LoadBalancer(lb) = &config.http.services["app@file"] else { panic!() };
/// assert!(lb.pass_host_header);
/// assert_eq!(lb.servers_transport.as_str(), "default@internal");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DynamicConfig {
    /// `http`.
    pub http: HttpConfig,
    /// `tls`.
    pub tls: TlsConfig,
    /// Where each object was defined, by kind and qualified name (certificates by
    /// file); not part of the configuration's meaning (the diff ignores it).
    pub origins: BTreeMap<(ObjectKind, String), Origin>,
}

/// `http`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpConfig {
    /// Routers by qualified name.
    pub routers: BTreeMap<QualifiedName, Router>,
    /// Services by qualified name.
    pub services: BTreeMap<QualifiedName, Service>,
    /// Middlewares by qualified name.
    pub middlewares: BTreeMap<QualifiedName, Middleware>,
    /// Servers transports by qualified name.
    pub servers_transports: BTreeMap<QualifiedName, ServersTransport>,
}

/// `tls`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsConfig {
    /// Certificates.
    pub certificates: Vec<TlsCertificate>,
    /// Option sets: `default` (global) or `name@provider`.
    pub options: BTreeMap<String, TlsOptions>,
    /// Stores: `default` (global) or `name@provider`.
    pub stores: BTreeMap<String, TlsStore>,
}

/// The kinds of dynamic objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// `http.routers`.
    Router,
    /// `http.services`.
    Service,
    /// `http.middlewares`.
    Middleware,
    /// `http.serversTransports`.
    ServersTransport,
    /// `tls.options`.
    TlsOptions,
    /// `tls.stores`.
    TlsStore,
    /// `tls.certificates`.
    TlsCertificate,
}

impl ObjectKind {
    /// The name used in messages (`router`, `TLS options`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Router => "router",
            ObjectKind::Service => "service",
            ObjectKind::Middleware => "middleware",
            ObjectKind::ServersTransport => "servers transport",
            ObjectKind::TlsOptions => "TLS options",
            ObjectKind::TlsStore => "TLS store",
            ObjectKind::TlsCertificate => "TLS certificate",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DynamicConfig {
    /// Validates one parsed dynamic document defined by `provider` (`file`, later `docker`).
    /// Errors and warnings point into the document.
    pub fn from_document(
        doc: &Document,
        provider: &str,
    ) -> Result<(DynamicConfig, Vec<ConfigWarning>), ConfigErrors> {
        let locate = |key: &str| doc.origin(key);
        let mut d = Diagnostics::new(&locate);
        let config = build::build(doc.value(), provider, &mut d);
        if d.has_errors() {
            Err(ConfigErrors(d.errors))
        } else {
            Ok((config, d.warnings))
        }
    }

    /// Whether there is nothing in it.
    pub fn is_empty(&self) -> bool {
        self.http.routers.is_empty()
            && self.http.services.is_empty()
            && self.http.middlewares.is_empty()
            && self.http.servers_transports.is_empty()
            && self.tls.certificates.is_empty()
            && self.tls.options.is_empty()
            && self.tls.stores.is_empty()
    }

    /// Adds `other`'s objects; an object already defined keeps its first definition and each
    /// later one is reported (Traefik's rule for the files of one provider, including
    /// identical certificates).
    pub fn merge_first_wins(&mut self, other: DynamicConfig) -> Vec<ConfigWarning> {
        let mut warnings = Vec::new();
        let DynamicConfig { http, tls, origins } = other;
        let mut kept_origins = std::mem::take(&mut self.origins);
        let mut keep = |kind: ObjectKind, name: String, exists: bool| -> bool {
            let origin = origins
                .get(&(kind, name.clone()))
                .cloned()
                .unwrap_or_else(|| Origin::new(crate::Source::Builtin));
            if exists {
                let first = kept_origins
                    .get(&(kind, name.clone()))
                    .cloned()
                    .unwrap_or_else(|| origin.clone());
                warnings.push(ConfigWarning::Duplicate {
                    origin,
                    kind: kind.as_str(),
                    name,
                    first,
                });
                false
            } else {
                kept_origins.insert((kind, name), origin);
                true
            }
        };
        macro_rules! merge_map {
            ($field:expr, $source:expr, $kind:expr) => {
                for (name, value) in $source {
                    let exists = $field.contains_key(&name);
                    if keep($kind, name.to_string(), exists) {
                        $field.insert(name, value);
                    }
                }
            };
        }
        merge_map!(self.http.routers, http.routers, ObjectKind::Router);
        merge_map!(self.http.services, http.services, ObjectKind::Service);
        merge_map!(
            self.http.middlewares,
            http.middlewares,
            ObjectKind::Middleware
        );
        merge_map!(
            self.http.servers_transports,
            http.servers_transports,
            ObjectKind::ServersTransport
        );
        merge_map!(self.tls.options, tls.options, ObjectKind::TlsOptions);
        merge_map!(self.tls.stores, tls.stores, ObjectKind::TlsStore);
        for cert in tls.certificates {
            let exists = self.tls.certificates.iter().any(|c| c.pair == cert.pair);
            if keep(
                ObjectKind::TlsCertificate,
                diff::certificate_id(&cert),
                exists,
            ) {
                self.tls.certificates.push(cert);
            }
        }
        self.origins = kept_origins;
        warnings
    }
}

#[cfg(test)]
mod tests;
