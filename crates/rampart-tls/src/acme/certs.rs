//! Keys, CSRs and certificate facts: what the ACME flow makes and what it reads back from a
//! PEM bundle (names, expiry, issuer) to decide about renewal.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{CertificateParams, CustomExtension, DistinguishedName, DnType, KeyPair};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::AcmeError;
use super::spec::KeyType;

/// The facts of one certificate bundle that renewal and the API need.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertFacts {
    /// The leaf's DNS names (subjectAltName), lower-cased.
    pub names: Vec<String>,
    /// The leaf's `notBefore`.
    pub not_before: SystemTime,
    /// The leaf's `notAfter`.
    pub not_after: SystemTime,
    /// Common name of the issuer of the bundle's last certificate (what `preferredChain`
    /// compares against, as lego does).
    pub top_issuer: Option<String>,
}

impl CertFacts {
    /// Reads a PEM bundle (leaf first).
    ///
    /// ```
    /// let cert = rcgen::generate_simple_self_signed(vec!["a.test".to_string()]).unwrap();
    /// let facts = rampart_tls::acme::CertFacts::from_pem(cert.cert.pem().as_bytes()).unwrap();
    /// assert_eq!(facts.names, vec!["a.test"]);
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Self, AcmeError> {
        let ders = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AcmeError::Certificate(format!("bad PEM bundle: {e}")))?;
        let leaf = ders
            .first()
            .ok_or_else(|| AcmeError::Certificate("PEM bundle holds no certificate".into()))?;
        let (_, leaf) = x509_parser::parse_x509_certificate(leaf)
            .map_err(|e| AcmeError::Certificate(format!("bad leaf certificate: {e}")))?;
        let mut names = Vec::new();
        if let Ok(Some(san)) = leaf.subject_alternative_name() {
            for n in &san.value.general_names {
                if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                    names.push(d.to_ascii_lowercase());
                }
            }
        }
        let top_issuer = match ders.last() {
            Some(der) => x509_parser::parse_x509_certificate(der)
                .ok()
                .and_then(|(_, c)| {
                    c.issuer()
                        .iter_common_name()
                        .next()
                        .and_then(|cn| cn.as_str().ok().map(str::to_owned))
                }),
            None => None,
        };
        Ok(CertFacts {
            names,
            not_before: to_system_time(leaf.validity().not_before.timestamp()),
            not_after: to_system_time(leaf.validity().not_after.timestamp()),
            top_issuer,
        })
    }

    /// True when every name in `wanted` is matched by one of the certificate's names: exactly,
    /// or by a wildcard `*.d` covering one more label (RFC 6125 §6.4.3).
    pub fn covers(&self, wanted: &[String]) -> bool {
        wanted
            .iter()
            .all(|w| self.names.iter().any(|n| name_matches(n, w)))
    }
}

fn name_matches(cert_name: &str, wanted: &str) -> bool {
    if cert_name.eq_ignore_ascii_case(wanted) {
        return true;
    }
    match (cert_name.strip_prefix("*."), wanted.split_once('.')) {
        // `*.d` covers `x.d` but not `d` or `y.x.d`; a wanted `*.d` needs `*.d` itself.
        (Some(base), Some((label, rest))) => {
            !label.starts_with('*') && rest.eq_ignore_ascii_case(base)
        }
        _ => false,
    }
}

fn to_system_time(unix: i64) -> SystemTime {
    match u64::try_from(unix) {
        Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
        Err(_) => UNIX_EPOCH,
    }
}

/// The key algorithm actually used for `requested`. ring (the only crypto provider allowed in
/// rampart's graph) cannot generate RSA keys, so the RSA key types fall back to ECDSA P-256,
/// which every ACME CA and current client accepts; the caller logs the substitution.
pub fn effective_key_type(requested: KeyType) -> KeyType {
    match requested {
        KeyType::Ec256 | KeyType::Ec384 => requested,
        _ => KeyType::Ec256,
    }
}

/// A fresh certificate key of `key_type` (after [`effective_key_type`]).
pub(crate) fn generate_key(key_type: KeyType) -> Result<KeyPair, AcmeError> {
    let alg = match effective_key_type(key_type) {
        KeyType::Ec384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        _ => &rcgen::PKCS_ECDSA_P256_SHA256,
    };
    KeyPair::generate_for(alg).map_err(|e| AcmeError::Certificate(format!("key generation: {e}")))
}

/// A DER CSR for `names` (the first is the common name, as lego sets it).
pub(crate) fn csr(names: &[String], key: &KeyPair) -> Result<Vec<u8>, AcmeError> {
    let mut params = CertificateParams::new(names.to_vec())
        .map_err(|e| AcmeError::Certificate(format!("CSR names: {e}")))?;
    let mut dn = DistinguishedName::new();
    if let Some(cn) = names.first().filter(|n| n.len() <= 64) {
        // RFC 5280's ub-common-name is 64; longer names live in the SAN only.
        dn.push(DnType::CommonName, cn.as_str());
    }
    params.distinguished_name = dn;
    let req = params
        .serialize_request(key)
        .map_err(|e| AcmeError::Certificate(format!("CSR: {e}")))?;
    Ok(req.der().to_vec())
}

/// The self-signed TLS-ALPN-01 certificate for `domain` (RFC 8737 §3): the single DNS name and
/// the critical `acmeIdentifier` extension holding SHA-256 of the key authorization.
pub(crate) fn tls_alpn_certificate(
    domain: &str,
    key_auth_digest: &[u8],
) -> Result<Arc<CertifiedKey>, AcmeError> {
    let bad =
        |e: &dyn std::fmt::Display| AcmeError::Certificate(format!("TLS-ALPN-01 certificate: {e}"));
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| bad(&e))?;
    let mut params = CertificateParams::new(vec![domain.to_owned()]).map_err(|e| bad(&e))?;
    params.custom_extensions = vec![CustomExtension::new_acme_identifier(key_auth_digest)];
    let cert = params.self_signed(&key).map_err(|e| bad(&e))?;
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| bad(&e))?;
    // `CertifiedKey::from_der` would check the pair with webpki, which rejects the critical
    // acmeIdentifier extension; the key was made here, so load it directly.
    let signing_key = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| bad(&e))?;
    let certified = CertifiedKey::new(vec![cert.der().clone()], signing_key);
    Ok(Arc::new(certified))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_one_label_only() {
        assert!(name_matches("*.example.test", "a.example.test"));
        assert!(!name_matches("*.example.test", "example.test"));
        assert!(!name_matches("*.example.test", "b.a.example.test"));
        assert!(name_matches("*.example.test", "*.example.test"));
        assert!(!name_matches("a.example.test", "*.example.test"));
        assert!(name_matches("Example.TEST", "example.test"));
    }

    #[test]
    fn facts_read_names_and_expiry_from_a_bundle() {
        let c = rcgen::generate_simple_self_signed(vec![
            "example.test".into(),
            "*.example.test".into(),
        ])
        .unwrap();
        let f = CertFacts::from_pem(c.cert.pem().as_bytes()).unwrap();
        assert_eq!(f.names, vec!["example.test", "*.example.test"]);
        assert!(f.not_after > SystemTime::now());
        assert!(f.covers(&["a.example.test".into(), "example.test".into()]));
        assert!(!f.covers(&["other.test".into()]));
    }

    #[test]
    fn garbage_pem_is_an_error_not_a_panic() {
        assert!(CertFacts::from_pem(b"not a pem").is_err());
        assert!(
            CertFacts::from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .is_err()
        );
    }

    #[test]
    fn rsa_key_types_fall_back_to_p256() {
        assert_eq!(effective_key_type(KeyType::Rsa4096), KeyType::Ec256);
        assert_eq!(effective_key_type(KeyType::Ec384), KeyType::Ec384);
        let k = generate_key(KeyType::Ec384).unwrap();
        assert!(k.is_compatible(&rcgen::PKCS_ECDSA_P384_SHA384));
    }

    #[test]
    fn tls_alpn_certificate_is_built() {
        let ck = tls_alpn_certificate("a.example.test", &[7u8; 32]).unwrap();
        assert_eq!(ck.cert.len(), 1);
    }
}
