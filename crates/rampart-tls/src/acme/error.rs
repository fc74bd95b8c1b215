//! The one error type of the ACME area.

use std::path::PathBuf;

/// Everything that can go wrong obtaining, storing or renewing certificates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcmeError {
    /// The resolver's settings are unusable (names the key and why).
    #[error("invalid ACME settings: {0}")]
    Spec(String),
    /// A requested domain cannot be ordered (e.g. a wildcard without `dnsChallenge`).
    #[error("domain {domain:?}: {reason}")]
    Domain {
        /// The name as requested.
        domain: String,
        /// Why it cannot be ordered.
        reason: String,
    },
    /// `acme.json` could not be read, parsed or written.
    #[error("acme storage {path}: {reason}")]
    Storage {
        /// The storage file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Traefik refuses a storage file readable by group or others; so do we.
    #[error("acme storage {path}: permissions {mode:o} are too open, please use 600")]
    StoragePermissions {
        /// The storage file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Trust for the ACME server could not be set up (`caCertificates`, `LEGO_CA_CERTIFICATES`).
    #[error("ACME server trust: {0}")]
    Trust(String),
    /// The ACME server answered with an error or could not be reached.
    #[error("ACME server: {0}")]
    Ca(#[from] instant_acme::Error),
    /// An authorization or order ended invalid, or a challenge could not be answered.
    #[error("challenge for {domain:?}: {reason}")]
    Challenge {
        /// The identifier being validated.
        domain: String,
        /// What went wrong.
        reason: String,
    },
    /// The DNS provider failed to publish or remove a record.
    #[error("DNS provider {provider}: {reason}")]
    Dns {
        /// The provider's lego name.
        provider: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The TXT record did not become visible in time.
    #[error("propagation of {fqdn}: {reason}")]
    Propagation {
        /// The `_acme-challenge` name.
        fqdn: String,
        /// What was last seen.
        reason: String,
    },
    /// A key or certificate could not be made or parsed.
    #[error("certificate: {0}")]
    Certificate(String),
}

impl AcmeError {
    pub(crate) fn dns(provider: &'static str, reason: impl Into<String>) -> Self {
        AcmeError::Dns {
            provider,
            reason: reason.into(),
        }
    }

    pub(crate) fn storage(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        AcmeError::Storage {
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }
}
