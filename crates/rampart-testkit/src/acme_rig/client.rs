//! Clients for the rig: pebble's HTTPS API, and handshakes with the certificates it issues.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::rig::Rig;

fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_trusting(pem: &[u8]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(pem) {
        roots
            .add(c.expect("a PEM certificate"))
            .expect("a usable CA certificate");
    }
    rustls::ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

impl Rig {
    /// A rustls client config trusting pebble's WFE certificate (its API, not what it issues).
    pub fn wfe_client_config(&self) -> rustls::ClientConfig {
        let pem = std::fs::read(&self.wfe_ca).expect("the rig's WFE CA file");
        client_trusting(&pem)
    }

    /// A rustls client config trusting pebble's issuing root (for handshakes with issued certs).
    pub fn issuer_client_config(&self) -> Arc<rustls::ClientConfig> {
        Arc::new(client_trusting(self.issuer_root_pem.as_bytes()))
    }

    pub(super) async fn fetch_root(&mut self) -> Result<String, String> {
        let url = format!("{}/roots/0", self.management);
        let (status, body) = http_request(Some(self.wfe_client_config()), "GET", &url, None).await;
        // A port taken by someone else answers too: make sure it was pebble.
        self.check_alive("pebble")?;
        if status != 200 {
            return Err(format!("GET {url}: {status}"));
        }
        String::from_utf8(body.to_vec()).map_err(|e| format!("GET {url}: {e}"))
    }
}

/// One HTTP(S) request with hyper (HTTP/1.1); returns status and body. Bounded to 30 s; panics
/// (failing the test) when there is no answer.
///
/// ```no_run
/// # async fn demo() {
/// use rampart_testkit::acme_rig::http_request;
/// let (status, _body) = http_request(None, "GET", "http://127.0.0.1:8055/", None).await;
/// assert_eq!(status, 200);
/// # }
/// ```
pub async fn http_request(
    tls: Option<rustls::ClientConfig>,
    method: &str,
    url: &str,
    body: Option<String>,
) -> (u16, Bytes) {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let tls = tls.unwrap_or_else(|| client_trusting(b""));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .expect("a valid request");
    let fut = async {
        let rsp = client
            .request(req)
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = rsp.status().as_u16();
        let body = rsp
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: body: {e}"));
        (status, body.to_bytes())
    };
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .unwrap_or_else(|_| panic!("{method} {url}: no answer in 30 s"))
}

/// A real TLS handshake: a rustls server presenting `chain_pem` + `key_pem` on 127.0.0.1, a
/// rustls client trusting `client` connecting with SNI `server_name`. Returns the leaf the client
/// saw (DER) or the handshake error.
///
/// ```no_run
/// # async fn demo(rig: &rampart_testkit::acme_rig::Rig, chain: &str, key: &str) {
/// use rampart_testkit::acme_rig::handshake;
/// let leaf = handshake(chain, key, rig.issuer_client_config(), "a.example.test").await;
/// assert!(leaf.is_ok());
/// # }
/// ```
pub async fn handshake(
    chain_pem: &str,
    key_pem: &str,
    client: Arc<rustls::ClientConfig>,
    server_name: &str,
) -> Result<Vec<u8>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| e.to_string())?;
    let server = rustls::ServerConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let srv = tokio::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            let _ = acceptor.accept(tcp).await;
        }
    });
    let connector = tokio_rustls::TlsConnector::from(client);
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from(server_name.to_owned()).map_err(|e| e.to_string())?;
    let result = tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp)).await;
    srv.abort();
    let tls = result
        .map_err(|_| "handshake timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let (_, conn) = tls.get_ref();
    Ok(conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .unwrap_or_default())
}
