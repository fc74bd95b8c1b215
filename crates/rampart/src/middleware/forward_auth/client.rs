//! The auth leg's transport: a pooled HTTP client (rustls with ring) or a named service.

use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};
use http::Uri;
use http_body_util::BodyExt;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::config::ClientTlsConfig;
use crate::Body;
use crate::middleware::{BuildError, Endpoint};
use crate::service::{Connector, Dial, Pool, TransportSpec, pool_for};

/// Where auth requests go.
#[derive(Clone)]
pub(crate) enum Transport {
    /// Straight to `address` over a keep-alive pool: the same pool as the proxy's upstream
    /// connections (HTTP/1.1 keep-alive, HTTP/2 by ALPN on `https://`), with Go's transport
    /// defaults (`idleConnTimeout` 90s, 30s dial timeout, `maxIdleConnsPerHost` 200).
    Http {
        /// The connections to the auth server.
        pool: Pool,
        /// The auth server: `address`'s scheme and authority.
        dial: Dial,
    },
    /// Through a service (`authService`).
    Service(Arc<dyn Endpoint>),
}

/// Why the auth exchange produced no answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExchangeError {
    #[error("auth request failed: {0}")]
    Transport(String),
    #[error("auth response body larger than {0} bytes")]
    TooLarge(u64),
    #[error("reading the auth response body: {0}")]
    Body(String),
}

impl Transport {
    pub(crate) fn http(tls: Option<&ClientTlsConfig>, address: &Uri) -> Result<Self, BuildError> {
        let needs_tls = address.scheme_str() == Some("https");
        let config = if needs_tls || tls.is_some() {
            tls_config(tls)?
        } else {
            // Never used for `http://` addresses; no need to load the system roots.
            rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| BuildError::invalid("tls", e))?
                .with_root_certificates(RootCertStore::empty())
                .with_no_client_auth()
        };
        let (Some(scheme), Some(authority)) = (address.scheme(), address.authority()) else {
            return Err(BuildError::invalid(
                "address",
                format_args!("`{address}` needs a scheme and a host"),
            ));
        };
        let spec = TransportSpec::default();
        let connector = Connector::new(&spec, config, None, true);
        Ok(Transport::Http {
            pool: pool_for(&spec, connector, false),
            dial: Dial::new(scheme.clone(), authority.clone()),
        })
    }

    /// Sends `req`; the response body is not read yet.
    pub(crate) async fn send(
        &self,
        req: http::Request<Body>,
    ) -> Result<http::Response<Body>, ExchangeError> {
        match self {
            Transport::Http { pool, dial } => pool
                .send(dial, req)
                .await
                .map(|res| res.map(Body::from))
                .map_err(|e| ExchangeError::Transport(error_chain(&*e))),
            Transport::Service(endpoint) => Ok(endpoint.call(req).await),
        }
    }
}

/// `err` and its sources, for the log.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Reads `body` whole, failing past `limit` bytes (Traefik's `readResponseBodyBytes`).
pub(crate) async fn read_body(mut body: Body, limit: Option<u64>) -> Result<Bytes, ExchangeError> {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ExchangeError::Body(error_chain(&*e)))?;
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
            if let Some(limit) = limit
                && buf.len() as u64 > limit
            {
                return Err(ExchangeError::TooLarge(limit));
            }
        }
    }
    Ok(buf.freeze())
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Traefik's `FileOrContent`: a path to an existing file is read, anything else is the content.
fn file_or_content(key: &str, v: &str) -> Result<Vec<u8>, BuildError> {
    match std::fs::metadata(v) {
        Ok(_) => std::fs::read(v).map_err(|e| BuildError::invalid(key, format_args!("{v}: {e}"))),
        Err(_) => Ok(v.as_bytes().to_vec()),
    }
}

fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for err in &found.errors {
                tracing::warn!(error = %err, "loading system root certificates");
            }
            let (added, _) = store.add_parsable_certificates(found.certs);
            tracing::debug!(added, "system root certificates loaded");
            Arc::new(store)
        })
        .clone()
}

/// The rustls client configuration of Traefik's `ClientTLS.CreateTLSConfig`: `ca` replaces
/// the system roots, `cert` + `key` present a client certificate, `insecureSkipVerify` accepts
/// any server certificate.
fn tls_config(tls: Option<&ClientTlsConfig>) -> Result<rustls::ClientConfig, BuildError> {
    let default = ClientTlsConfig::default();
    let tls = tls.unwrap_or(&default);
    if tls.ca_optional.is_some() {
        tracing::warn!("forwardAuth tls.caOptional is deprecated and ignored");
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| BuildError::invalid("tls", e))?;
    let builder = if tls.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider())))
    } else if let Some(ca) = tls.ca.as_deref().filter(|c| !c.is_empty()) {
        let pem = file_or_content("tls.ca", ca)?;
        let mut store = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| BuildError::invalid("tls.ca", e))?;
            store
                .add(cert)
                .map_err(|e| BuildError::invalid("tls.ca", e))?;
        }
        if store.is_empty() {
            return Err(BuildError::invalid("tls.ca", "no PEM certificate found"));
        }
        builder.with_root_certificates(store)
    } else {
        builder.with_root_certificates(system_roots())
    };
    let cert = tls.cert.as_deref().filter(|c| !c.is_empty());
    let key = tls.key.as_deref().filter(|c| !c.is_empty());
    match (cert, key) {
        (Some(cert), Some(key)) => {
            let pem = file_or_content("tls.cert", cert)?;
            let chain = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| BuildError::invalid("tls.cert", e))?;
            let key = PrivateKeyDer::from_pem_slice(&file_or_content("tls.key", key)?)
                .map_err(|e| BuildError::invalid("tls.key", e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| BuildError::invalid("tls.cert", e))
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        _ => Err(BuildError::invalid(
            "tls",
            "a client certificate needs both `cert` and `key`",
        )),
    }
}

/// `insecureSkipVerify`: any certificate is accepted; handshake signatures are still checked,
/// so the session keys belong to whoever holds the presented certificate's key.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
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
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
