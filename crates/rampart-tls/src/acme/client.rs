//! The ACME server connection: TLS trust for the CA (`caCertificates`, `caSystemCertPool`,
//! `caServerName`, and lego's `LEGO_CA_*` variables, which Traefik itself sets from those keys),
//! and the account, restored from `acme.json` or registered.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::Request;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use instant_acme::{
    Account, BodyWrapper, BytesResponse, ExternalAccountKey, HttpClient, Key, NewAccount,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer, ServerName, UnixTime};

use super::error::AcmeError;
use super::spec::AcmeResolverSpec;
use super::storage::{AcmeStorage, Registration, StoredAccount};

/// Traefik's `clientTimeout` default: no single ACME HTTP exchange may take longer.
const CLIENT_TIMEOUT: Duration = Duration::from_mins(2);

/// The rustls client configuration for talking to the CA.
pub(crate) fn tls_config(spec: &AcmeResolverSpec) -> Result<rustls::ClientConfig, AcmeError> {
    let trust = |m: String| AcmeError::Trust(m);
    let mut files: Vec<PathBuf> = spec.ca_certificates.clone();
    if let Some(list) = spec.env.get("LEGO_CA_CERTIFICATES")? {
        // lego splits on commas and on the OS path-list separator.
        files.extend(
            list.split([',', ':'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    let system_too = spec.ca_system_cert_pool
        || spec
            .env
            .get("LEGO_CA_SYSTEM_CERT_POOL")?
            .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "TRUE" | "True"));
    let mut roots = RootCertStore::empty();
    if files.is_empty() || system_too {
        let native = rustls_native_certs::load_native_certs();
        for c in native.certs {
            let _ = roots.add(c);
        }
    }
    for f in &files {
        let certs = read_pem_certs(f).map_err(trust)?;
        for c in certs {
            roots
                .add(c)
                .map_err(|e| trust(format!("{}: {e}", f.display())))?;
        }
    }
    if roots.is_empty() {
        return Err(trust(
            "no trusted roots: the system has none and caCertificates is empty".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| trust(e.to_string()))?;
    let server_name = match &spec.ca_server_name {
        Some(n) if !n.is_empty() => Some(n.clone()),
        _ => spec.env.get("LEGO_CA_SERVER_NAME")?,
    };
    let cfg = match server_name {
        None => builder.with_root_certificates(roots).with_no_client_auth(),
        Some(name) => {
            let name = ServerName::try_from(name.clone())
                .map_err(|e| trust(format!("caServerName {name:?}: {e}")))?;
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| trust(e.to_string()))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NameOverride { inner, name }))
                .with_no_client_auth()
        }
    };
    Ok(cfg)
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("caCertificates {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("caCertificates {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "caCertificates {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(certs)
}

/// `caServerName`: verify the CA's certificate fully, but against this name instead of the
/// URL's host (lego sets `tls.Config.ServerName` the same way).
#[derive(Debug)]
struct NameOverride {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for NameOverride {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// instant-acme's HTTP client, with a deadline on every exchange.
struct TimedClient {
    inner: HyperClient<HttpsConnector<HttpConnector>, BodyWrapper<Bytes>>,
    timeout: Duration,
}

impl HttpClient for TimedClient {
    fn request(
        &self,
        req: Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let fut = self.inner.request(req);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, fut).await {
                Err(_) => Err(instant_acme::Error::Other(
                    format!("no answer from the ACME server within {timeout:?}").into(),
                )),
                Ok(Err(e)) => Err(instant_acme::Error::Other(Box::new(e))),
                Ok(Ok(rsp)) => Ok(BytesResponse::from(rsp)),
            }
        })
    }
}

pub(crate) fn http_client(tls: &rustls::ClientConfig) -> Box<dyn HttpClient> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_or_http()
        .enable_http1()
        .build();
    Box::new(TimedClient {
        inner: HyperClient::builder(TokioExecutor::new()).build(connector),
        timeout: CLIENT_TIMEOUT,
    })
}

/// The resolver's account: restored from `acme.json` when its key is one instant-acme can sign
/// with and it was registered at this CA, else registered anew and saved (certificates kept).
pub(crate) async fn account(
    spec: &AcmeResolverSpec,
    tls: &rustls::ClientConfig,
    storage: &AcmeStorage,
) -> Result<Account, AcmeError> {
    let stored = storage.resolver(&spec.name).account;
    if let Some(acc) = &stored {
        match restorable(spec, acc) {
            Ok((uri, key)) => {
                let account = Account::builder_with_http(http_client(tls))
                    .from_parts(uri, key, spec.ca_server.clone())
                    .await?;
                tracing::info!(resolver = %spec.name, account = account.id(), "acme: account restored from storage");
                return Ok(account);
            }
            Err(why) => {
                tracing::warn!(resolver = %spec.name, "acme: cannot reuse the stored account ({why}); registering a new one, stored certificates are kept");
            }
        }
    }
    let contact = spec
        .email
        .as_ref()
        .filter(|e| !e.is_empty())
        .map(|e| format!("mailto:{e}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let eab = match &spec.eab {
        None => None,
        Some(eab) => {
            let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(eab.hmac_encoded.trim().trim_end_matches('='))
                .map_err(|e| AcmeError::Spec(format!("eab.hmacEncoded is not base64url: {e}")))?;
            Some(ExternalAccountKey::new(eab.kid.clone(), &key))
        }
    };
    let new = NewAccount {
        contact: &contacts,
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    let (account, creds) = Account::builder_with_http(http_client(tls))
        .create(&new, spec.ca_server.clone(), eab.as_ref())
        .await?;
    let body = serde_json::json!({ "status": "valid", "contact": contacts });
    let saved = StoredAccount {
        email: spec.email.clone().unwrap_or_default(),
        registration: Some(Registration {
            body,
            uri: account.id().to_owned(),
        }),
        private_key: Some(creds.private_key().secret_pkcs8_der().to_vec()),
        key_type: None,
    };
    storage.update(&spec.name, |r| r.account = Some(saved))?;
    tracing::info!(resolver = %spec.name, account = account.id(), "acme: account registered");
    Ok(account)
}

fn restorable(
    spec: &AcmeResolverSpec,
    acc: &StoredAccount,
) -> Result<(String, PrivatePkcs8KeyDer<'static>), String> {
    let uri = acc
        .registration
        .as_ref()
        .map(|r| r.uri.clone())
        .filter(|u| !u.is_empty())
        .ok_or("no registration URI")?;
    if origin(&uri) != origin(&spec.ca_server) {
        return Err(format!(
            "it was registered at {}, not at {}",
            origin(&uri),
            origin(&spec.ca_server)
        ));
    }
    let der = acc.private_key.clone().ok_or("no private key")?;
    let key = PrivatePkcs8KeyDer::from(der);
    Key::from_pkcs8_der(key.clone_key())
        .map_err(|_| "its key is not an ECDSA P-256 PKCS#8 key (Traefik writes RSA PKCS#1 account keys, which instant-acme cannot sign with)".to_owned())?;
    if acc.email != spec.email.clone().unwrap_or_default() {
        return Err("the email changed".into());
    }
    Ok((uri, key))
}

/// `scheme://host[:port]` of a URL, for "same CA" checks.
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..].find('/').map_or(url.len(), |i| after + i);
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_of_urls() {
        assert_eq!(
            origin("https://127.0.0.1:14000/my-account/1"),
            "https://127.0.0.1:14000"
        );
        assert_eq!(
            origin("https://acme-v02.api.letsencrypt.org/directory"),
            "https://acme-v02.api.letsencrypt.org"
        );
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let mut spec =
            AcmeResolverSpec::new("r", "acme.json", super::super::spec::ChallengeSpec::TlsAlpn);
        spec.ca_certificates = vec!["/nonexistent/ca.pem".into()];
        let e = tls_config(&spec).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }
}
