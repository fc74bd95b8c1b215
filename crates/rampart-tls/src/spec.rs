//! Plain inputs in Traefik's vocabulary (`tls.certificates`, `tls.stores`, `tls.options`).
//!
//! This crate does not know the configuration model: the binary maps it onto these types, and
//! the builders here report what they cannot honour.

use std::collections::BTreeMap;

use crate::FileOrPem;
use crate::options::TlsOptionsSpec;

/// The name of the only certificate store Traefik serves from, and of the built-in TLS options.
pub const DEFAULT_NAME: &str = "default";

/// One entry of `tls.certificates`.
///
/// ```
/// use rampart_tls::{CertificateSpec, FileOrPem};
///
/// let spec = CertificateSpec::new(
///     FileOrPem::from_traefik("/certs/example.com.crt"),
///     FileOrPem::from_traefik("/certs/example.com.key"),
/// );
/// assert!(spec.stores.is_empty()); // empty means the default store, as in Traefik
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSpec {
    /// `certFile`: the chain, leaf first.
    pub cert_file: FileOrPem,
    /// `keyFile`: the private key.
    pub key_file: FileOrPem,
    /// `stores`: empty means `default`. Traefik only serves from `default`.
    pub stores: Vec<String>,
}

impl CertificateSpec {
    /// A certificate for the default store.
    pub fn new(cert_file: FileOrPem, key_file: FileOrPem) -> Self {
        CertificateSpec {
            cert_file,
            key_file,
            stores: Vec::new(),
        }
    }
}

/// `tls.stores.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreSpec {
    /// `defaultCertificate`: served when no certificate matches the SNI. The `stores` field of
    /// the spec is not used here.
    pub default_certificate: Option<CertificateSpec>,
    /// `defaultGeneratedCert`: use the certificate an ACME resolver obtained for these domains
    /// as the default, once it exists.
    pub default_generated_cert: Option<GeneratedCertSpec>,
}

/// `tls.stores.default.defaultGeneratedCert`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratedCertSpec {
    /// `resolver`: the ACME resolver that obtains it.
    pub resolver: String,
    /// `domain.main`.
    pub main: String,
    /// `domain.sans`.
    pub sans: Vec<String>,
}

/// The whole `tls` section of the dynamic configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSpec {
    /// `tls.certificates`.
    pub certificates: Vec<CertificateSpec>,
    /// `tls.stores`, by name.
    pub stores: BTreeMap<String, StoreSpec>,
    /// `tls.options`, by (provider-qualified) name. `default` replaces the built-in default.
    pub options: BTreeMap<String, TlsOptionsSpec>,
}
