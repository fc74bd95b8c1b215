//! `clientAuth` (mutual TLS) → a rustls client certificate verifier, with Go's five modes.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::load::parse_chain;
use crate::options::ClientAuthSpec;
use crate::{Report, TlsError, provider};

/// Traefik's `clientAuthType` values.
pub const CLIENT_AUTH_TYPES: [&str; 5] = [
    "NoClientCert",
    "RequestClientCert",
    "RequireAnyClientCert",
    "VerifyClientCertIfGiven",
    "RequireAndVerifyClientCert",
];

/// The verifier for `spec`, as Traefik's `buildTLSConfig` decides: `caFiles` alone mean
/// `RequireAndVerifyClientCert`; the two verifying modes need `caFiles`; the others ignore them
/// (Go does not verify in those modes; the application sees the certificate).
pub(crate) fn verifier(
    options: &str,
    spec: &ClientAuthSpec,
    report: &mut Report,
) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let roots = ca_roots(options, spec)?;
    let mode = match spec.client_auth_type.as_deref() {
        None | Some("") if roots.is_some() => "RequireAndVerifyClientCert",
        None | Some("") => "NoClientCert",
        Some(mode) => mode,
    };
    let invalid = |reason: &str| TlsError::Options {
        options: options.to_owned(),
        key: "clientAuth.clientAuthType".to_owned(),
        reason: reason.to_owned(),
    };
    let verifying = matches!(
        mode,
        "VerifyClientCertIfGiven" | "RequireAndVerifyClientCert"
    );
    if !CLIENT_AUTH_TYPES.contains(&mode) {
        return Err(TlsError::UnknownValue {
            options: options.to_owned(),
            key: "clientAuth.clientAuthType".to_owned(),
            value: mode.to_owned(),
            expected: CLIENT_AUTH_TYPES.join(", "),
        });
    }
    if roots.is_some() && !verifying {
        report.warn(
            format!("TLS options {options:?}"),
            format!("clientAuth.caFiles are not used with clientAuthType {mode} (no verification)"),
        );
    }
    let algorithms = provider::ring().signature_verification_algorithms;
    Ok(match (mode, roots) {
        ("NoClientCert", _) => WebPkiClientVerifier::no_client_auth(),
        ("RequestClientCert", _) => Arc::new(AnyClientCert {
            mandatory: false,
            algorithms,
        }),
        ("RequireAnyClientCert", _) => Arc::new(AnyClientCert {
            mandatory: true,
            algorithms,
        }),
        (_, None) => {
            return Err(invalid(&format!(
                "{mode} needs clientAuth.caFiles to verify client certificates against"
            )));
        }
        (mode, Some(roots)) => {
            let builder = WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider::ring().clone(),
            );
            let builder = if mode == "VerifyClientCertIfGiven" {
                builder.allow_unauthenticated()
            } else {
                builder
            };
            builder.build().map_err(|e| invalid(&e.to_string()))?
        }
    })
}

fn ca_roots(options: &str, spec: &ClientAuthSpec) -> Result<Option<RootCertStore>, TlsError> {
    if spec.ca_files.is_empty() {
        return Ok(None);
    }
    let mut roots = RootCertStore::empty();
    for (i, source) in spec.ca_files.iter().enumerate() {
        let key = format!("clientAuth.caFiles[{i}]");
        let what = format!("TLS options {options:?}: {key} ({})", source.describe());
        let pem = source.read(&what)?;
        for cert in parse_chain(&pem, &what)? {
            roots.add(cert).map_err(|e| TlsError::Options {
                options: options.to_owned(),
                key: key.clone(),
                reason: format!("not a usable CA certificate: {e}"),
            })?;
        }
    }
    Ok(Some(roots))
}

/// Go's `RequestClientCert` / `RequireAnyClientCert`: ask for a certificate (and with
/// `mandatory`, require one) but do not verify its chain — the application decides (e.g.
/// Traefik's passTLSClientCert). The handshake signature is still checked, so the client
/// proves it holds the certificate's key.
#[derive(Debug)]
struct AnyClientCert {
    mandatory: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCert {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
