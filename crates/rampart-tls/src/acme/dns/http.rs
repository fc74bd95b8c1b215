//! The HTTP client the API-based providers share: hyper over rustls (ring) trusting the
//! system's roots, plain HTTP allowed for local endpoints, every request bounded in time.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Responses larger than this are cut off: a provider's answer is a small JSON document.
const MAX_BODY: usize = 1 << 20;

#[derive(Clone, Debug)]
pub(crate) struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    pub(crate) fn new(timeout: Duration) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        HttpClient {
            inner: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        }
    }

    /// Sends `req`, returns the status and (at most 1 MiB of) the body.
    pub(crate) async fn send(
        &self,
        req: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), String> {
        let what = format!("{} {}", req.method(), req.uri());
        let fut = async {
            let rsp = self
                .inner
                .request(req)
                .await
                .map_err(|e| format!("{what}: {e}"))?;
            let status = rsp.status();
            let body = http_body_util::Limited::new(rsp.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| format!("{what}: reading the answer: {e}"))?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| format!("{what}: no answer within {:?}", self.timeout))?
    }
}
