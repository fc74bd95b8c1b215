//! `tls`: certificates, option sets and stores (`pkg/tls`).

use super::raw::{RawCertificatePair, RawTlsCertificate, RawTlsOptions, RawTlsStore};
use crate::diag::Diagnostics;
use crate::types::{Domain, FileOrContent};

/// A TLS protocol version (`VersionTLS12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.0 (rustls cannot offer it; `rampart-tls` reports that).
    Tls10,
    /// TLS 1.1 (likewise).
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// Parses Traefik's names (`VersionTLS10` … `VersionTLS13`).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "VersionTLS10" => TlsVersion::Tls10,
            "VersionTLS11" => TlsVersion::Tls11,
            "VersionTLS12" => TlsVersion::Tls12,
            "VersionTLS13" => TlsVersion::Tls13,
            _ => return None,
        })
    }
}

/// The cipher suite names Traefik accepts (`pkg/tls/cipher.go`).
pub const CIPHER_SUITES: &[&str] = &[
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_FALLBACK_SCSV",
];

/// The curve names Traefik accepts (`pkg/tls/certificate.go`, `CurveIDs`).
pub const CURVES: &[&str] = &[
    "secp256r1",
    "CurveP256",
    "secp384r1",
    "CurveP384",
    "secp521r1",
    "CurveP521",
    "x25519",
    "X25519",
    "x25519mlkem768",
    "X25519MLKEM768",
    "secp256r1mlkem768",
    "SecP256r1MLKEM768",
    "secp384r1mlkem1024",
    "SecP384r1MLKEM1024",
];

/// Traefik's default ALPN protocols.
pub const DEFAULT_ALPN: &[&str] = &["h2", "http/1.1", "acme-tls/1"];

/// `tls.options.<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// Lowest version (TLS 1.2 unless set, as Traefik's `default` options and Go's server).
    pub min_version: TlsVersion,
    /// Highest version.
    pub max_version: TlsVersion,
    /// Cipher suites by Go name (checked against [`CIPHER_SUITES`]); empty: the TLS library's
    /// secure defaults. They only apply up to TLS 1.2.
    pub cipher_suites: Vec<String>,
    /// Curves by Go or RFC name (checked against [`CURVES`]); empty: the library's defaults.
    pub curve_preferences: Vec<String>,
    /// Client certificates.
    pub client_auth: ClientAuth,
    /// Refuse handshakes whose SNI matches no certificate (and those without SNI).
    pub sni_strict: bool,
    /// ALPN protocols offered.
    pub alpn_protocols: Vec<String>,
    /// No session tickets.
    pub disable_session_tickets: bool,
}

impl Default for TlsOptions {
    /// Traefik's built-in `default` options.
    fn default() -> Self {
        TlsOptions {
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            cipher_suites: Vec::new(),
            curve_preferences: Vec::new(),
            client_auth: ClientAuth::default(),
            sni_strict: false,
            alpn_protocols: DEFAULT_ALPN.iter().map(|&s| s.to_owned()).collect(),
            disable_session_tickets: false,
        }
    }
}

/// `clientAuth`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientAuth {
    /// CAs client certificates must chain to.
    pub ca_files: Vec<FileOrContent>,
    /// What is asked of clients (`RequireAndVerifyClientCert` when only `caFiles` is set).
    pub auth_type: ClientAuthType,
}

/// `clientAuth.clientAuthType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuthType {
    /// No client certificate asked for.
    #[default]
    NoClientCert,
    /// Asked for, not required, not verified.
    RequestClientCert,
    /// Required, not verified.
    RequireAnyClientCert,
    /// Verified when given.
    VerifyClientCertIfGiven,
    /// Required and verified.
    RequireAndVerifyClientCert,
}

/// A certificate and its key (`certFile`/`keyFile`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertificatePair {
    /// The certificate chain (PEM).
    pub cert_file: FileOrContent,
    /// The private key (PEM).
    pub key_file: FileOrContent,
}

/// `tls.certificates[]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsCertificate {
    /// The certificate and key.
    pub pair: CertificatePair,
    /// Stores it goes to (`default` when none is named).
    pub stores: Vec<String>,
}

/// `tls.stores.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsStore {
    /// Served when no certificate matches the SNI.
    pub default_certificate: Option<CertificatePair>,
    /// Have a resolver obtain the default certificate.
    pub default_generated_cert: Option<GeneratedCert>,
}

/// `defaultGeneratedCert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedCert {
    /// The certificate resolver.
    pub resolver: String,
    /// The domain.
    pub domain: Domain,
}

pub(super) fn build_pair(
    key: &str,
    raw: RawCertificatePair,
    d: &mut Diagnostics<'_>,
) -> Option<CertificatePair> {
    match (raw.cert_file, raw.key_file) {
        (Some(cert_file), Some(key_file)) => Some(CertificatePair {
            cert_file,
            key_file,
        }),
        (None, _) => {
            d.error(key, "`certFile` is required");
            None
        }
        (_, None) => {
            d.error(key, "`keyFile` is required");
            None
        }
    }
}

pub(super) fn build_certificate(
    key: &str,
    raw: RawTlsCertificate,
    d: &mut Diagnostics<'_>,
) -> Option<TlsCertificate> {
    let pair = build_pair(
        key,
        RawCertificatePair {
            cert_file: raw.cert_file,
            key_file: raw.key_file,
        },
        d,
    )?;
    let stores = raw
        .stores
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec!["default".to_owned()]);
    Some(TlsCertificate { pair, stores })
}

pub(super) fn build_options(
    key: &str,
    raw: RawTlsOptions,
    d: &mut Diagnostics<'_>,
) -> Option<TlsOptions> {
    let before = d.errors.len();
    let mut version =
        |field: &str, value: Option<String>, default: TlsVersion| match value.as_deref() {
            None | Some("") => default,
            Some(text) => TlsVersion::parse(text).unwrap_or_else(|| {
                // Traefik ignores an unknown version silently; a typo here would weaken TLS.
                d.error(
                &format!("{key}.{field}"),
                format!(
                    "`{text}` is not one of VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13"
                ),
            );
                default
            }),
        };
    let min_version = version("minVersion", raw.min_version, TlsVersion::Tls12);
    let max_version = version("maxVersion", raw.max_version, TlsVersion::Tls13);
    if min_version > max_version {
        d.error(key, "`minVersion` is above `maxVersion`");
    }
    let cipher_suites = raw.cipher_suites.unwrap_or_default();
    for (i, suite) in cipher_suites.iter().enumerate() {
        if !CIPHER_SUITES.contains(&suite.as_str()) {
            d.error(
                &format!("{key}.cipherSuites[{i}]"),
                format!("invalid cipher suite `{suite}`"),
            );
        }
    }
    let curve_preferences = raw.curve_preferences.unwrap_or_default();
    for (i, curve) in curve_preferences.iter().enumerate() {
        if !CURVES.contains(&curve.as_str()) {
            d.error(
                &format!("{key}.curvePreferences[{i}]"),
                format!("invalid curve `{curve}`"),
            );
        }
    }
    let client_auth = raw.client_auth.map_or_else(ClientAuth::default, |ca| {
        let ca_files = ca.ca_files.unwrap_or_default();
        // Traefik: CA files alone mean "require and verify".
        let given = ca
            .client_auth_type
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| {
                if ca_files.is_empty() {
                    "NoClientCert".to_owned()
                } else {
                    "RequireAndVerifyClientCert".to_owned()
                }
            });
        let auth_type = match given.as_str() {
            "NoClientCert" => ClientAuthType::NoClientCert,
            "RequestClientCert" => ClientAuthType::RequestClientCert,
            "RequireAnyClientCert" => ClientAuthType::RequireAnyClientCert,
            "VerifyClientCertIfGiven" => ClientAuthType::VerifyClientCertIfGiven,
            "RequireAndVerifyClientCert" => ClientAuthType::RequireAndVerifyClientCert,
            other => {
                d.error(
                    &format!("{key}.clientAuth.clientAuthType"),
                    format!("unknown client auth type `{other}`"),
                );
                ClientAuthType::NoClientCert
            }
        };
        if ca_files.is_empty()
            && matches!(
                auth_type,
                ClientAuthType::VerifyClientCertIfGiven
                    | ClientAuthType::RequireAndVerifyClientCert
            )
        {
            d.error(
                &format!("{key}.clientAuth"),
                "verifying client certificates needs `caFiles`",
            );
        }
        ClientAuth {
            ca_files,
            auth_type,
        }
    });
    if raw.prefer_server_cipher_suites.is_some() {
        d.deprecated(
            &format!("{key}.preferServerCipherSuites"),
            "it has no effect; remove it",
        );
    }
    let options = TlsOptions {
        min_version,
        max_version,
        cipher_suites,
        curve_preferences,
        client_auth,
        sni_strict: raw.sni_strict.unwrap_or(false),
        alpn_protocols: raw
            .alpn_protocols
            .unwrap_or_else(|| DEFAULT_ALPN.iter().map(|&s| s.to_owned()).collect()),
        disable_session_tickets: raw.disable_session_tickets.unwrap_or(false),
    };
    (d.errors.len() == before).then_some(options)
}

pub(super) fn build_store(
    key: &str,
    raw: RawTlsStore,
    d: &mut Diagnostics<'_>,
) -> Option<TlsStore> {
    let before = d.errors.len();
    let default_certificate = raw
        .default_certificate
        .and_then(|p| build_pair(&format!("{key}.defaultCertificate"), p, d));
    let default_generated_cert = raw.default_generated_cert.map(|g| {
        let resolver = g.resolver.unwrap_or_default();
        if resolver.is_empty() {
            d.error(
                &format!("{key}.defaultGeneratedCert.resolver"),
                "a certificate resolver is required",
            );
        }
        let domain = g.domain.unwrap_or_default();
        if domain.main.is_empty() {
            d.error(
                &format!("{key}.defaultGeneratedCert.domain.main"),
                "a domain is required",
            );
        }
        GeneratedCert { resolver, domain }
    });
    (d.errors.len() == before).then_some(TlsStore {
        default_certificate,
        default_generated_cert,
    })
}
