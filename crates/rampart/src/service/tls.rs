//! The rustls client configuration of a servers transport (ring provider only).

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::ServiceError;
use super::spec::TransportSpec;

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The system roots, loaded once per process (loading them reads many files).
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for err in &found.errors {
                tracing::warn!(error = %err, "loading a system root certificate");
            }
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(added, ignored, "system root certificates loaded");
            Arc::new(roots)
        })
        .clone()
}

/// PEM content when it looks like PEM, else a path to read (Traefik's `FileOrContent`).
fn file_or_content(key: &str, value: &str) -> Result<Vec<u8>, ServiceError> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    std::fs::read(value).map_err(|e| ServiceError::Transport {
        key: key.to_owned(),
        reason: format!("reading `{value}`: {e}"),
    })
}

/// Builds the client config of `spec` (ALPN is left to the connector).
pub(super) fn client_config(spec: &TransportSpec) -> Result<ClientConfig, ServiceError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ServiceError::Transport {
            key: "minVersion".into(),
            reason: e.to_string(),
        })?;
    let builder = if spec.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(
                provider().signature_verification_algorithms,
            )))
    } else if spec.root_cas.is_empty() {
        builder.with_root_certificates(system_roots())
    } else {
        let mut roots = RootCertStore::empty();
        for ca in &spec.root_cas {
            let pem = file_or_content("rootCAs", ca)?;
            let mut any = false;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| ServiceError::Transport {
                    key: "rootCAs".into(),
                    reason: format!("`{}`: {e}", short(ca)),
                })?;
                roots.add(cert).map_err(|e| ServiceError::Transport {
                    key: "rootCAs".into(),
                    reason: format!("`{}`: {e}", short(ca)),
                })?;
                any = true;
            }
            if !any {
                return Err(ServiceError::Transport {
                    key: "rootCAs".into(),
                    reason: format!("`{}` holds no PEM certificate", short(ca)),
                });
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match spec.certificates.first() {
        None => builder.with_no_client_auth(),
        Some(cert) => {
            let chain_pem = file_or_content("certificates.certFile", &cert.cert)?;
            let chain = CertificateDer::pem_slice_iter(&chain_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ServiceError::Transport {
                    key: "certificates.certFile".into(),
                    reason: e.to_string(),
                })?;
            let key_pem = file_or_content("certificates.keyFile", &cert.key)?;
            let key =
                PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| ServiceError::Transport {
                    key: "certificates.keyFile".into(),
                    reason: e.to_string(),
                })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| ServiceError::Transport {
                    key: "certificates".into(),
                    reason: e.to_string(),
                })?
        }
    };
    Ok(config)
}

fn short(value: &str) -> &str {
    if value.trim_start().starts_with("-----BEGIN") {
        "<inline PEM>"
    } else {
        value
    }
}

/// `insecureSkipVerify`: any certificate is accepted, but handshake signatures are still
/// checked (so the session keys are bound to the certificate the server showed).
#[derive(Debug)]
struct AcceptAny(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
