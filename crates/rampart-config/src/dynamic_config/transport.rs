//! `http.serversTransports.<name>`: how rampart talks to upstream servers.

use super::raw::RawServersTransport;
use super::tls::{CertificatePair, TlsVersion, build_pair};
use crate::diag::Diagnostics;
use crate::static_config::build_forwarding_timeouts;
use crate::static_config::defaults::MAX_IDLE_CONNS_PER_HOST;
use crate::types::{FileOrContent, ForwardingTimeouts};

/// A servers transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServersTransport {
    /// SNI and verification name for upstream TLS; empty: the URL's host.
    pub server_name: String,
    /// Do not verify upstream certificates.
    pub insecure_skip_verify: bool,
    /// Extra CAs for upstream certificates.
    pub root_cas: Vec<FileOrContent>,
    /// Client certificates for mTLS to upstreams.
    pub certificates: Vec<CertificatePair>,
    /// Cipher suites (Go names); empty: the library's defaults.
    pub cipher_suites: Vec<String>,
    /// Lowest TLS version; `None`: the library's default.
    pub min_version: Option<TlsVersion>,
    /// Highest TLS version; `None`: the library's default.
    pub max_version: Option<TlsVersion>,
    /// Idle connections kept per host (negative: no reuse).
    pub max_idle_conns_per_host: i64,
    /// Timeouts.
    pub forwarding_timeouts: ForwardingTimeouts,
    /// HTTP/1.1 only to upstreams.
    pub disable_http2: bool,
    /// Require this URI SAN in the upstream certificate.
    pub peer_cert_uri: String,
}

/// Validates `http.serversTransports.<name>`.
pub(super) fn build(
    key: &str,
    raw: RawServersTransport,
    d: &mut Diagnostics<'_>,
) -> Option<ServersTransport> {
    let before = d.errors.len();
    for (field, present) in [
        ("peerCertSANs", raw.peer_cert_sans.is_some()),
        ("spiffe", raw.spiffe.is_some()),
    ] {
        if present {
            d.unsupported(&format!("{key}.{field}"));
        }
    }
    let mut version = |field: &str, value: Option<String>| match value.as_deref() {
        None | Some("") => None,
        Some(text) => TlsVersion::parse(text).or_else(|| {
            d.error(
                &format!("{key}.{field}"),
                format!("`{text}` is not one of VersionTLS10 … VersionTLS13"),
            );
            None
        }),
    };
    let min_version = version("minVersion", raw.min_version);
    let max_version = version("maxVersion", raw.max_version);
    let mut certificates = Vec::new();
    for (i, pair) in raw.certificates.unwrap_or_default().into_iter().enumerate() {
        if let Some(p) = build_pair(&format!("{key}.certificates[{i}]"), pair, d) {
            certificates.push(p);
        }
    }
    let cipher_suites = raw.cipher_suites.unwrap_or_default();
    for (i, suite) in cipher_suites.iter().enumerate() {
        if !super::tls::CIPHER_SUITES.contains(&suite.as_str()) {
            d.error(
                &format!("{key}.cipherSuites[{i}]"),
                format!("invalid cipher suite `{suite}`"),
            );
        }
    }
    let transport = ServersTransport {
        server_name: raw.server_name.unwrap_or_default(),
        insecure_skip_verify: raw.insecure_skip_verify.unwrap_or(false),
        root_cas: raw.root_cas.unwrap_or_default(),
        certificates,
        cipher_suites,
        min_version,
        max_version,
        max_idle_conns_per_host: match raw.max_idle_conns_per_host {
            None | Some(0) => MAX_IDLE_CONNS_PER_HOST,
            Some(n) => n,
        },
        forwarding_timeouts: build_forwarding_timeouts(raw.forwarding_timeouts),
        disable_http2: raw.disable_http2.unwrap_or(false),
        peer_cert_uri: raw.peer_cert_uri.unwrap_or_default(),
    };
    (d.errors.len() == before).then_some(transport)
}
