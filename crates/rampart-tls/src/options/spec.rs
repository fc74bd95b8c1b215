//! `tls.options.<name>` as plain input.

use crate::FileOrPem;

/// One TLS options object, in Traefik's vocabulary. Names are kept as strings so that building
/// can report every unknown or unsupported one against the options object it belongs to.
///
/// ```
/// use rampart_tls::TlsOptionsSpec;
///
/// // The seed guide's `mintls13` options.
/// let spec = TlsOptionsSpec {
///     min_version: Some("VersionTLS13".into()),
///     ..TlsOptionsSpec::default()
/// };
/// assert!(spec.cipher_suites.is_empty()); // empty means the defaults
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptionsSpec {
    /// `minVersion`: `VersionTLS10` … `VersionTLS13`. Unset means TLS 1.2.
    pub min_version: Option<String>,
    /// `maxVersion`: `VersionTLS10` … `VersionTLS13`. Unset means TLS 1.3.
    pub max_version: Option<String>,
    /// `cipherSuites`: Go's names (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`). Empty means every
    /// suite rustls has.
    pub cipher_suites: Vec<String>,
    /// `curvePreferences`: `CurveP256`/`secp256r1`, `CurveP384`/`secp384r1`, `X25519`/`x25519`,
    /// …. Empty means ring's defaults (X25519, P-256, P-384).
    pub curve_preferences: Vec<String>,
    /// `clientAuth`.
    pub client_auth: ClientAuthSpec,
    /// `sniStrict`: refuse handshakes without SNI or whose SNI no certificate serves.
    pub sni_strict: bool,
    /// `alpnProtocols`. Empty means `h2`, `http/1.1`, `acme-tls/1` (Traefik's default).
    pub alpn_protocols: Vec<String>,
    /// `disableSessionTickets`: no session resumption at all (as Go's `SessionTicketsDisabled`).
    pub disable_session_tickets: bool,
    /// `preferServerCipherSuites`: deprecated and ineffective in Traefik; a warning if set.
    pub prefer_server_cipher_suites: Option<bool>,
}

impl TlsOptionsSpec {
    /// Traefik's built-in `default` options: TLS 1.2 minimum, default suites and curves, ALPN
    /// `h2`, `http/1.1`, `acme-tls/1`, no client authentication.
    pub fn traefik_default() -> Self {
        TlsOptionsSpec {
            min_version: Some("VersionTLS12".to_owned()),
            ..TlsOptionsSpec::default()
        }
    }
}

/// `tls.options.<name>.clientAuth` (mutual TLS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAuthSpec {
    /// `caFiles`: PEM bundles of the CAs that client certificates must chain to.
    pub ca_files: Vec<FileOrPem>,
    /// `clientAuthType`: `NoClientCert`, `RequestClientCert`, `RequireAnyClientCert`,
    /// `VerifyClientCertIfGiven`, `RequireAndVerifyClientCert`. Unset with `caFiles` means
    /// `RequireAndVerifyClientCert`, unset without means `NoClientCert` (as in Traefik).
    pub client_auth_type: Option<String>,
}
