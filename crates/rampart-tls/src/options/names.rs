//! Traefik's (Go's) names for TLS versions, cipher suites and curves, and what rustls with the
//! ring provider makes of each.
//!
//! Every name Traefik accepts (`pkg/tls/cipher.go`, `pkg/tls/certificate.go`) is known here:
//! a name rustls cannot honour is [`Support::Unsupported`] with the reason (the options still
//! build, with a warning); a name Traefik does not know is an error.

use rustls::crypto::SupportedKxGroup;
use rustls::crypto::ring::{cipher_suite as suite, kx_group};
use rustls::{CipherSuite, ProtocolVersion, SupportedCipherSuite};

/// What rustls with ring makes of a name Traefik knows.
#[derive(Debug, Clone, Copy)]
pub enum Support<T> {
    /// Available.
    Supported(T),
    /// Not available; why. The name is skipped with a warning.
    Unsupported(&'static str),
}

/// A protocol version as rustls offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl Version {
    pub(crate) fn rustls(self) -> &'static rustls::SupportedProtocolVersion {
        match self {
            Version::Tls12 => &rustls::version::TLS12,
            Version::Tls13 => &rustls::version::TLS13,
        }
    }
}

/// Traefik's `minVersion`/`maxVersion` names.
pub const VERSION_NAMES: [&str; 4] = [
    "VersionTLS10",
    "VersionTLS11",
    "VersionTLS12",
    "VersionTLS13",
];

const OLD_TLS: &str = "TLS 1.0 and 1.1 are deprecated (RFC 8996) and rustls does not \
                       implement them; TLS 1.2 is used instead";

/// The version named `name` (`VersionTLS12`), or `None` for a name Traefik does not know.
///
/// ```
/// use rampart_tls::options::names::{Support, Version, version};
///
/// assert!(matches!(version("VersionTLS13"), Some(Support::Supported(Version::Tls13))));
/// assert!(matches!(version("VersionTLS10"), Some(Support::Unsupported(_))));
/// assert!(version("TLSv1.3").is_none());
/// ```
pub fn version(name: &str) -> Option<Support<Version>> {
    Some(match name {
        "VersionTLS10" | "VersionTLS11" => Support::Unsupported(OLD_TLS),
        "VersionTLS12" => Support::Supported(Version::Tls12),
        "VersionTLS13" => Support::Supported(Version::Tls13),
        _ => return None,
    })
}

/// Every cipher suite name Traefik accepts in `cipherSuites` (Go's `crypto/tls` names,
/// including the two legacy `ChaCha20` aliases without `_SHA256`).
pub const CIPHER_SUITE_NAMES: [&str; 28] = [
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

const RSA_KX: &str = "RSA key exchange has no forward secrecy (and invites Bleichenbacher-style \
                      oracles); rustls does not implement it";
const RC4: &str = "RC4 is broken and forbidden by RFC 7465; rustls does not implement it";
const TRIPLE_DES: &str = "3DES is open to Sweet32 (CVE-2016-2183); rustls does not implement it";
const CBC: &str = "CBC-mode suites invite padding oracles (Lucky13); rustls implements only \
                   AEAD suites";
const FALLBACK_SCSV: &str = "a signalling value (RFC 7507), not a cipher suite; rustls speaks \
                             only TLS 1.2+, whose downgrade protection (RFC 8446 §4.1.3) covers it";

/// The cipher suite named `name`, or `None` for a name Traefik does not know.
///
/// ```
/// use rampart_tls::options::names::{Support, cipher_suite};
///
/// assert!(matches!(cipher_suite("TLS_AES_128_GCM_SHA256"), Some(Support::Supported(_))));
/// assert!(matches!(cipher_suite("TLS_FALLBACK_SCSV"), Some(Support::Unsupported(_))));
/// assert!(cipher_suite("TLS_NOT_A_SUITE").is_none());
/// ```
pub fn cipher_suite(name: &str) -> Option<Support<SupportedCipherSuite>> {
    use Support::{Supported, Unsupported};
    Some(match name {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => {
            Supported(suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
        }
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => {
            Supported(suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)
        }
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"
        | "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" => {
            Supported(suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)
        }
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => {
            Supported(suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)
        }
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => {
            Supported(suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)
        }
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" | "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" => {
            Supported(suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)
        }
        "TLS_AES_128_GCM_SHA256" => Supported(suite::TLS13_AES_128_GCM_SHA256),
        "TLS_AES_256_GCM_SHA384" => Supported(suite::TLS13_AES_256_GCM_SHA384),
        "TLS_CHACHA20_POLY1305_SHA256" => Supported(suite::TLS13_CHACHA20_POLY1305_SHA256),
        "TLS_RSA_WITH_RC4_128_SHA"
        | "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
        | "TLS_RSA_WITH_AES_128_CBC_SHA"
        | "TLS_RSA_WITH_AES_256_CBC_SHA"
        | "TLS_RSA_WITH_AES_128_CBC_SHA256"
        | "TLS_RSA_WITH_AES_128_GCM_SHA256"
        | "TLS_RSA_WITH_AES_256_GCM_SHA384" => Unsupported(RSA_KX),
        "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA" | "TLS_ECDHE_RSA_WITH_RC4_128_SHA" => Unsupported(RC4),
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" => Unsupported(TRIPLE_DES),
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"
        | "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"
        | "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
        | "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"
        | "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"
        | "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" => Unsupported(CBC),
        "TLS_FALLBACK_SCSV" => Unsupported(FALLBACK_SCSV),
        _ => return None,
    })
}

/// Go's name of a negotiated suite, as Traefik reports it (access logs, `TlsInfo`).
///
/// ```
/// use rampart_tls::options::names::cipher_suite_name;
/// use rustls::CipherSuite;
///
/// assert_eq!(cipher_suite_name(CipherSuite::TLS13_AES_128_GCM_SHA256), Some("TLS_AES_128_GCM_SHA256"));
/// ```
pub fn cipher_suite_name(suite: CipherSuite) -> Option<&'static str> {
    Some(match suite {
        CipherSuite::TLS13_AES_128_GCM_SHA256 => "TLS_AES_128_GCM_SHA256",
        CipherSuite::TLS13_AES_256_GCM_SHA384 => "TLS_AES_256_GCM_SHA384",
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256 => "TLS_CHACHA20_POLY1305_SHA256",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => {
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        }
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => {
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        }
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => {
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        _ => return None,
    })
}

/// Traefik's spelling of a negotiated version (`1.2`, `1.3`).
pub fn version_name(version: ProtocolVersion) -> Option<&'static str> {
    Some(match version {
        ProtocolVersion::TLSv1_2 => "1.2",
        ProtocolVersion::TLSv1_3 => "1.3",
        _ => return None,
    })
}

/// Every curve name Traefik accepts in `curvePreferences` (Go's names and the RFC 8446 ones).
pub const CURVE_NAMES: [&str; 14] = [
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

const P521: &str = "P-521 is not available with the ring provider";
const HYBRID: &str = "post-quantum hybrid key exchange needs the aws-lc-rs provider; rampart \
                      uses ring";

/// The key exchange group named `name`, or `None` for a name Traefik does not know.
///
/// ```
/// use rampart_tls::options::names::{Support, curve};
///
/// assert!(matches!(curve("CurveP384"), Some(Support::Supported(_))));
/// assert!(matches!(curve("secp521r1"), Some(Support::Unsupported(_))));
/// assert!(curve("P-384").is_none());
/// ```
pub fn curve(name: &str) -> Option<Support<&'static dyn SupportedKxGroup>> {
    use Support::{Supported, Unsupported};
    Some(match name {
        "secp256r1" | "CurveP256" => Supported(kx_group::SECP256R1),
        "secp384r1" | "CurveP384" => Supported(kx_group::SECP384R1),
        "x25519" | "X25519" => Supported(kx_group::X25519),
        "secp521r1" | "CurveP521" => Unsupported(P521),
        "x25519mlkem768" | "X25519MLKEM768" | "secp256r1mlkem768" | "SecP256r1MLKEM768"
        | "secp384r1mlkem1024" | "SecP384r1MLKEM1024" => Unsupported(HYBRID),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
