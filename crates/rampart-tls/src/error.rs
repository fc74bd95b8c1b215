//! What can go wrong, in two areas: building (certificates, keys, TLS options) and accepting
//! (handshakes).

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// A certificate, key or TLS options object that cannot be used.
///
/// Every variant names the thing that is wrong (`what`: `tls.certificates[1]`,
/// `TLS options "mtls@file"`, …) so that `rampart check` can print it as is.
///
/// ```
/// use rampart_tls::{LoadedCert, TlsError};
///
/// let err = LoadedCert::from_pem(b"not pem", b"", "tls.certificates[0]").unwrap_err();
/// assert!(matches!(err, TlsError::NoCertificate { .. }));
/// assert_eq!(
///     err.to_string(),
///     "tls.certificates[0]: no PEM certificate (-----BEGIN CERTIFICATE-----) found"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file named in the configuration cannot be read (or is implausibly large).
    #[error("{what}: cannot read {}: {source}", path.display())]
    Read {
        /// What the file is for.
        what: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The certificate input holds no `CERTIFICATE` PEM block.
    #[error("{what}: no PEM certificate (-----BEGIN CERTIFICATE-----) found")]
    NoCertificate {
        /// What the input is for.
        what: String,
    },
    /// The key input holds no private key PEM block.
    #[error(
        "{what}: no PEM private key (-----BEGIN PRIVATE KEY-----, EC PRIVATE KEY or RSA PRIVATE KEY) found"
    )]
    NoPrivateKey {
        /// What the input is for.
        what: String,
    },
    /// The private key is encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`), which Traefik does not
    /// accept either: there is no passphrase setting.
    #[error(
        "{what}: the private key is encrypted; store it unencrypted (openssl pkey -in KEY -out PLAIN)"
    )]
    EncryptedKey {
        /// What the input is for.
        what: String,
    },
    /// A PEM block is malformed (bad base64, missing END line, …).
    #[error("{what}: malformed PEM: {reason}")]
    Pem {
        /// What the input is for.
        what: String,
        /// The parser's reason.
        reason: String,
    },
    /// A certificate of the chain is not valid X.509 DER.
    #[error("{what}: certificate {index} of the chain is not valid X.509: {reason}")]
    Certificate {
        /// What the input is for.
        what: String,
        /// Position in the PEM input, from 0 (the leaf).
        index: usize,
        /// The parser's reason.
        reason: String,
    },
    /// The private key cannot be used for signing with ring (unsupported type or curve, or
    /// malformed).
    #[error("{what}: the private key cannot be used: {reason}")]
    Key {
        /// What the input is for.
        what: String,
        /// Why.
        reason: String,
    },
    /// The private key does not belong to the leaf certificate.
    #[error("{what}: the private key does not belong to the certificate (public keys differ)")]
    KeyMismatch {
        /// What the input is for.
        what: String,
    },
    /// A TLS options field holds a name rampart does not know (`minVersion`, `cipherSuites`,
    /// `curvePreferences`, `clientAuth.clientAuthType`).
    #[error("TLS options {options:?}: {key}: unknown value {value:?}; expected one of {expected}")]
    UnknownValue {
        /// The TLS options name.
        options: String,
        /// The key path inside the options object (`cipherSuites[3]`).
        key: String,
        /// The value found.
        value: String,
        /// The accepted values, comma-separated.
        expected: String,
    },
    /// A TLS options object cannot be built for another reason.
    #[error("TLS options {options:?}: {key}: {reason}")]
    Options {
        /// The TLS options name.
        options: String,
        /// The key path inside the options object.
        key: String,
        /// Why.
        reason: String,
    },
}

/// Why a connection did not become a TLS stream.
///
/// ```
/// use std::time::Duration;
/// use rampart_tls::AcceptError;
///
/// let err = AcceptError::Timeout(Duration::from_secs(10));
/// assert_eq!(err.to_string(), "TLS handshake not finished within 10s");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// The handshake did not finish in time (slow or stalled peer: attack case G2).
    #[error("TLS handshake not finished within {0:?}")]
    Timeout(Duration),
    /// The handshake failed: I/O error, malformed `ClientHello`, no common protocol version or
    /// cipher suite, client certificate refused, no certificate under `sniStrict`, ….
    #[error(
        "TLS handshake failed (SNI {}, TLS options {}): {source}",
        or_none(server_name.as_deref()),
        or_none(options.as_deref())
    )]
    Handshake {
        /// The SNI the client sent, if the `ClientHello` was read.
        server_name: Option<String>,
        /// The TLS options chosen, if the `ClientHello` was read.
        options: Option<String>,
        /// rustls's error (inside an `io::Error` of kind `InvalidData`) or the I/O error.
        #[source]
        source: io::Error,
    },
    /// The TLS options chosen for this SNI could not be built, so the handshake was refused
    /// rather than served with weaker options (Traefik closes such connections too).
    #[error(
        "TLS handshake refused (SNI {}): TLS options {options:?} are unusable",
        or_none(server_name.as_deref())
    )]
    Refused {
        /// The SNI the client sent.
        server_name: Option<String>,
        /// The TLS options name that could not be built.
        options: String,
    },
    /// Not a failure: an ACME server's TLS-ALPN-01 validation handshake completed with the
    /// challenge certificate, and the connection was closed as RFC 8737 §3 asks.
    #[error(
        "TLS-ALPN-01 challenge answered for {}; connection closed",
        or_none(server_name.as_deref())
    )]
    AcmeChallengeAnswered {
        /// The domain being validated.
        server_name: Option<String>,
    },
}

fn or_none(value: Option<&str>) -> String {
    value.map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
}

impl AcceptError {
    /// Whether this is a real failure (everything but
    /// [`AcmeChallengeAnswered`](AcceptError::AcmeChallengeAnswered)), for logs and metrics.
    pub fn is_failure(&self) -> bool {
        !matches!(self, AcceptError::AcmeChallengeAnswered { .. })
    }
}
