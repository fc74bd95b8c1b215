//! PEM certificate chains and private keys → a checked [`LoadedCert`].
//!
//! Keys may be PKCS#8, SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`), as Go's
//! `tls.X509KeyPair` accepts; the key must belong to the leaf (the first certificate).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use crate::names::normalize;
use crate::{FileOrPem, TlsError, provider};

/// A certificate chain with its private key, parsed and checked, ready to serve; plus the
/// facts selection and exposure need (names, validity, fingerprint).
///
/// ```
/// use rampart_testkit::TestCa;
/// use rampart_tls::LoadedCert;
///
/// let ca = TestCa::new("doc ca");
/// let leaf = ca.server_cert(&["app.example.test", "*.apps.example.test"]);
/// let cert = LoadedCert::from_pem(leaf.cert_pem.as_bytes(), leaf.key_pem.as_bytes(), "doc").unwrap();
/// assert_eq!(cert.names(), ["app.example.test", "*.apps.example.test"]);
/// ```
#[derive(Clone)]
pub struct LoadedCert {
    key: Arc<CertifiedKey>,
    names: Arc<[String]>,
    subject: String,
    issuer: String,
    not_before: SystemTime,
    not_after: SystemTime,
    sha256: String,
}

impl fmt::Debug for LoadedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedCert")
            .field("names", &self.names)
            .field("not_after", &self.not_after)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

impl LoadedCert {
    /// Parses a PEM chain (leaf first, intermediates after) and a PEM private key. `what` names
    /// the input in errors (`tls.certificates[2]`, `ACME le/example.com`).
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8], what: &str) -> Result<Self, TlsError> {
        let chain = parse_chain(chain_pem, what)?;
        let key = parse_key(key_pem, what)?;
        Self::from_der(chain, key, what)
    }

    /// Reads and parses a certificate and key given as files or inline PEM.
    pub fn from_sources(cert: &FileOrPem, key: &FileOrPem, what: &str) -> Result<Self, TlsError> {
        let chain_pem = cert.read(&format!("{what}.certFile"))?;
        let key_pem = key.read(&format!("{what}.keyFile"))?;
        // Name the files in content errors too: `tls.certificates[3]` alone does not say which
        // of a directory's many files holds the broken pair.
        let what = match (cert, key) {
            (FileOrPem::Pem(_), FileOrPem::Pem(_)) => what.to_owned(),
            _ => format!(
                "{what} (certFile {}, keyFile {})",
                cert.describe(),
                key.describe()
            ),
        };
        Self::from_pem(&chain_pem, &key_pem, &what)
    }

    /// Checks a DER chain and key.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        what: &str,
    ) -> Result<Self, TlsError> {
        let Some(leaf_der) = chain.first() else {
            return Err(TlsError::NoCertificate {
                what: what.to_owned(),
            });
        };
        for (index, der) in chain.iter().enumerate().skip(1) {
            x509_parser::parse_x509_certificate(der).map_err(|e| TlsError::Certificate {
                what: what.to_owned(),
                index,
                reason: e.to_string(),
            })?;
        }
        let (_, leaf) =
            x509_parser::parse_x509_certificate(leaf_der).map_err(|e| TlsError::Certificate {
                what: what.to_owned(),
                index: 0,
                reason: e.to_string(),
            })?;
        let names = names_of(&leaf);
        let subject = leaf.subject().to_string();
        let issuer = leaf.issuer().to_string();
        let not_before = system_time(leaf.validity().not_before.timestamp());
        let not_after = system_time(leaf.validity().not_after.timestamp());
        let sha256 = hex(ring::digest::digest(&ring::digest::SHA256, leaf_der).as_ref());

        let signing_key = provider::ring()
            .key_provider
            .load_private_key(key)
            .map_err(|e| TlsError::Key {
                what: what.to_owned(),
                reason: e.to_string(),
            })?;
        let key = CertifiedKey::new(chain, signing_key);
        // ring's keys always expose their public key, so this check is conclusive: a key that
        // does not belong to the leaf would fail every handshake (Go's X509KeyPair refuses it too).
        if let Err(e) = key.keys_match() {
            return Err(match e {
                rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
                    what: what.to_owned(),
                },
                other => TlsError::Certificate {
                    what: what.to_owned(),
                    index: 0,
                    reason: other.to_string(),
                },
            });
        }
        Ok(LoadedCert {
            key: Arc::new(key),
            names: names.into(),
            subject,
            issuer,
            not_before,
            not_after,
            sha256,
        })
    }

    /// The chain and signing key, as rustls serves them.
    pub fn certified_key(&self) -> &Arc<CertifiedKey> {
        &self.key
    }

    /// The names the certificate serves, lower-cased, without trailing dots: its DNS and IP
    /// subject alternative names, or its common name when it has none (the CN fallback that
    /// RFC 6125 §6.4.4 allows only without SANs).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The leaf's subject, RFC 4514 style (`CN=app.example.test`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The leaf's issuer, RFC 4514 style.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Start of validity.
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    /// End of validity (expiry).
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// SHA-256 of the leaf's DER, lower-case hex (Traefik's API keys certificates by it).
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Whether `at` lies within the validity period.
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

/// All `CERTIFICATE` blocks, in order. Other blocks (a key kept in the same file) are skipped.
pub(crate) fn parse_chain(
    pem: &[u8],
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(&e, what))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            what: what.to_owned(),
        });
    }
    Ok(chain)
}

/// The first private key block (PKCS#8, SEC1 or PKCS#1).
fn parse_key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        pem::Error::NoItemsFound if contains(pem, b"-----BEGIN ENCRYPTED PRIVATE KEY-----") => {
            TlsError::EncryptedKey {
                what: what.to_owned(),
            }
        }
        pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            what: what.to_owned(),
        },
        other => pem_error(&other, what),
    })
}

fn pem_error(e: &pem::Error, what: &str) -> TlsError {
    TlsError::Pem {
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn names_of(leaf: &X509Certificate<'_>) -> Vec<String> {
    fn push(names: &mut Vec<String>, name: String) {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    let mut names: Vec<String> = Vec::new();
    if let Ok(Some(san)) = leaf.subject_alternative_name() {
        for general in &san.value.general_names {
            match general {
                GeneralName::DNSName(dns) => push(&mut names, normalize(dns).into_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_string(bytes) {
                        push(&mut names, ip);
                    }
                }
                _ => {}
            }
        }
    }
    if names.is_empty() {
        for cn in leaf.subject().iter_common_name() {
            if let Ok(cn) = cn.as_str() {
                push(&mut names, normalize(cn).into_owned());
            }
        }
    }
    names
}

fn ip_string(bytes: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(Ipv4Addr::from(v4).to_string());
    }
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|v6| Ipv6Addr::from(v6).to_string())
}

fn system_time(unix: i64) -> SystemTime {
    match u64::try_from(unix) {
        Ok(secs) => UNIX_EPOCH + Duration::from_secs(secs),
        Err(_) => UNIX_EPOCH - Duration::from_secs(unix.unsigned_abs()),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests;
