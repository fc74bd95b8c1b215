//! Certificates for tests, made on the fly with rcgen: a CA and leaves it signs.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A test certificate authority.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert_der: CertificateDer<'static>,
    cert_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A leaf certificate and its key.
#[derive(Debug, Clone)]
pub struct TestCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PEM (PKCS#8).
    pub key_pem: String,
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// The private key, DER (PKCS#8).
    pub key_der: Vec<u8>,
}

impl TestCert {
    /// The private key as rustls wants it.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// A rustls server config presenting this certificate (ring provider, ALPN h2 + http/1.1).
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_no_client_auth()
        .with_single_cert(vec![self.cert_der.clone()], self.key())
        .expect("test certificate is valid");
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(cfg)
    }
}

impl TestCa {
    /// A new CA called `name`.
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("key generation");
        let cert = params.self_signed(&key).expect("self-signed CA");
        TestCa {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// A root store trusting only this CA.
    pub fn root_store(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.cert_der.clone())
            .expect("valid CA certificate");
        roots
    }

    /// A rustls client config trusting only this CA (ring provider), with ALPN `alpn`.
    pub fn client_config(&self, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
        let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_root_certificates(self.root_store())
        .with_no_client_auth();
        cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(cfg)
    }

    /// A server certificate for `names` (DNS names or IP addresses), signed by this CA.
    pub fn server_cert(&self, names: &[&str]) -> TestCert {
        self.leaf(names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate with common name `cn`, signed by this CA (for mTLS).
    pub fn client_cert(&self, cn: &str) -> TestCert {
        self.leaf(&[cn], ExtendedKeyUsagePurpose::ClientAuth)
    }

    /// A server certificate for `names` whose key is `key_pem` (PKCS#8 PEM: ECDSA P-256/P-384,
    /// Ed25519 or RSA), signed by this CA. rcgen cannot generate RSA keys with ring, so tests
    /// that need one bring it from `fixtures/`.
    ///
    /// The returned [`TestCert::key_pem`] is `key_pem` as given.
    pub fn server_cert_with_key(&self, names: &[&str], key_pem: &str) -> TestCert {
        let key = KeyPair::from_pem(key_pem).expect("a PKCS#8 key rcgen can sign with");
        let mut cert = self.leaf_with_key(names, ExtendedKeyUsagePurpose::ServerAuth, &key);
        key_pem.clone_into(&mut cert.key_pem);
        cert
    }

    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> TestCert {
        let key = KeyPair::generate().expect("key generation");
        self.leaf_with_key(names, usage, &key)
    }

    fn leaf_with_key(
        &self,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
        key: &KeyPair,
    ) -> TestCert {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("valid names");
        if let Some(first) = names.first() {
            params
                .distinguished_name
                .push(DnType::CommonName, first.as_str());
        }
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(key, &self.issuer).expect("signing");
        TestCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_verifies_against_its_ca() {
        let ca = TestCa::new("test ca");
        let leaf = ca.server_cert(&["a.example.test", "127.0.0.1"]);
        assert!(leaf.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let _server = leaf.server_config();
        let _client = ca.client_config(&[b"h2"]);
    }
}
