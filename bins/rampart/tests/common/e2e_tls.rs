//! TLS clients for the binary's end-to-end tests: real rustls handshakes (SNI, ALPN, versions,
//! key-exchange groups, client certificates) against the proxy's entrypoints, then HTTP/1.1 or
//! HTTP/2 (whichever ALPN chose) over the same connection.
//!
//! Declared by each TLS test file with `#[path = "common/e2e_tls.rs"] mod e2e_tls;`.

#![allow(dead_code, reason = "each test binary uses part of the kit")]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rampart_testkit::{TestCa, TestCert};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme, SupportedProtocolVersion};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Bound on one handshake or one request (the machine is shared and loaded).
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// How a test client connects.
#[derive(Clone)]
pub(crate) struct Client {
    roots: Option<rustls::RootCertStore>,
    alpn: Vec<Vec<u8>>,
    versions: Vec<&'static SupportedProtocolVersion>,
    kx_groups: Option<Vec<&'static dyn SupportedKxGroup>>,
    cipher_suites: Option<Vec<rustls::SupportedCipherSuite>>,
    identity: Option<TestCert>,
    resumption: Option<Arc<dyn rustls::client::ClientSessionStore>>,
}

impl Client {
    /// A client trusting only `ca`, offering HTTP/1.1, TLS 1.2 and 1.3.
    pub(crate) fn trusting(ca: &TestCa) -> Self {
        Client {
            roots: Some(ca.root_store()),
            ..Client::accepting_anything()
        }
    }

    /// A client that accepts any server certificate (to look at the default one).
    pub(crate) fn accepting_anything() -> Self {
        Client {
            roots: None,
            alpn: vec![b"http/1.1".to_vec()],
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            kx_groups: None,
            cipher_suites: None,
            identity: None,
            resumption: None,
        }
    }

    /// A client trusting the PEM roots `pem` (pebble's issuing root).
    pub(crate) fn trusting_pem(pem: &str) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::pem::PemObject::pem_slice_iter(pem.as_bytes()) {
            let c: CertificateDer<'static> = c.expect("PEM certificate");
            roots.add(c).expect("usable root");
        }
        Client {
            roots: Some(roots),
            ..Client::accepting_anything()
        }
    }

    /// Offers these ALPN protocols.
    pub(crate) fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    /// Offers TLS 1.2 only.
    pub(crate) fn tls12_only(mut self) -> Self {
        self.versions = vec![&rustls::version::TLS12];
        self
    }

    /// Offers TLS 1.3 only.
    pub(crate) fn tls13_only(mut self) -> Self {
        self.versions = vec![&rustls::version::TLS13];
        self
    }

    /// Offers only these key-exchange groups.
    pub(crate) fn kx_groups(mut self, groups: &[&'static dyn SupportedKxGroup]) -> Self {
        self.kx_groups = Some(groups.to_vec());
        self
    }

    /// Offers only these cipher suites.
    pub(crate) fn cipher_suites(mut self, suites: &[rustls::SupportedCipherSuite]) -> Self {
        self.cipher_suites = Some(suites.to_vec());
        self
    }

    /// Presents `cert` when asked for a client certificate.
    pub(crate) fn identity(mut self, cert: &TestCert) -> Self {
        self.identity = Some(cert.clone());
        self
    }

    /// Shares a session cache between the connections of this client (and its clones), so
    /// that later handshakes resume.
    pub(crate) fn resuming(mut self) -> Self {
        self.resumption = Some(Arc::new(rustls::client::ClientSessionMemoryCache::new(64)));
        self
    }

    /// The rustls configuration.
    pub(crate) fn config(&self) -> Arc<ClientConfig> {
        let mut provider = rustls::crypto::ring::default_provider();
        if let Some(groups) = &self.kx_groups {
            provider.kx_groups.clone_from(groups);
        }
        if let Some(suites) = &self.cipher_suites {
            provider.cipher_suites.clone_from(suites);
        }
        let provider = Arc::new(provider);
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&self.versions)
            .expect("usable versions");
        let builder = match &self.roots {
            Some(roots) => builder.with_root_certificates(roots.clone()),
            None => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider))),
        };
        let mut config = match &self.identity {
            Some(id) => builder
                .with_client_auth_cert(vec![id.cert_der.clone()], id.key())
                .expect("usable client certificate"),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols.clone_from(&self.alpn);
        if let Some(store) = &self.resumption {
            config.resumption = rustls::client::Resumption::store(store.clone());
        }
        Arc::new(config)
    }

    /// Handshakes with `addr`, sending SNI `sni` (or none for an IP address).
    pub(crate) async fn connect(&self, addr: SocketAddr, sni: &str) -> Result<Conn, String> {
        self.connect_with(&self.config(), addr, sni).await
    }

    /// As [`connect`](Self::connect), with an already built configuration (resumption needs
    /// the same one each time).
    pub(crate) async fn connect_with(
        &self,
        config: &Arc<ClientConfig>,
        addr: SocketAddr,
        sni: &str,
    ) -> Result<Conn, String> {
        let name = ServerName::try_from(sni.to_owned()).map_err(|e| e.to_string())?;
        let connector = tokio_rustls::TlsConnector::from(config.clone());
        let fut = async {
            let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
            connector
                .connect(name, tcp)
                .await
                .map_err(|e| e.to_string())
        };
        let stream = tokio::time::timeout(PATIENCE, fut)
            .await
            .map_err(|_| "handshake timed out".to_owned())??;
        Ok(Conn { stream })
    }

    /// Handshake with SNI `sni`, then `GET path` with `Host: host`, on one connection.
    pub(crate) async fn get(
        &self,
        addr: SocketAddr,
        sni: &str,
        host: &str,
        path: &str,
    ) -> Result<Answer, String> {
        self.connect(addr, sni).await?.get(host, path).await
    }
}

/// A finished handshake.
pub(crate) struct Conn {
    pub(crate) stream: TlsStream<TcpStream>,
}

/// What one request over TLS gave.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: http::StatusCode,
    pub(crate) version: http::Version,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: String,
}

impl Conn {
    /// The server's leaf certificate (DER).
    pub(crate) fn leaf(&self) -> Vec<u8> {
        self.stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.to_vec())
            .unwrap_or_default()
    }

    /// The negotiated ALPN protocol.
    pub(crate) fn alpn(&self) -> Option<Vec<u8>> {
        self.stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// The negotiated version.
    pub(crate) fn version(&self) -> Option<rustls::ProtocolVersion> {
        self.stream.get_ref().1.protocol_version()
    }

    /// Whether the handshake resumed a session.
    pub(crate) fn resumed(&self) -> bool {
        matches!(
            self.stream.get_ref().1.handshake_kind(),
            Some(rustls::HandshakeKind::Resumed)
        )
    }

    /// `GET path` with `Host: host`, over HTTP/2 when ALPN chose it, else HTTP/1.1; the
    /// connection is used once.
    pub(crate) async fn get(self, host: &str, path: &str) -> Result<Answer, String> {
        let mut sender = self.sender().await?;
        sender.get(host, path).await
    }

    /// A request sender over this connection (several requests on one connection).
    pub(crate) async fn sender(self) -> Result<Sender, String> {
        let h2 = self.alpn().as_deref() == Some(b"h2");
        let io = TokioIo::new(self.stream);
        if h2 {
            let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            Ok(Sender::H2(sender))
        } else {
            let (sender, conn) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            Ok(Sender::H1(sender))
        }
    }
}

/// Sends requests on one TLS connection.
pub(crate) enum Sender {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    /// `GET path` with `Host: host` (`:authority` on HTTP/2).
    pub(crate) async fn get(&mut self, host: &str, path: &str) -> Result<Answer, String> {
        let fut = async {
            let res = match self {
                Sender::H1(s) => {
                    let req = http::Request::get(path)
                        .header(http::header::HOST, host)
                        .body(Full::new(Bytes::new()))
                        .map_err(|e| e.to_string())?;
                    s.ready().await.map_err(|e| e.to_string())?;
                    s.send_request(req).await
                }
                Sender::H2(s) => {
                    let req = http::Request::get(format!("https://{host}{path}"))
                        .version(http::Version::HTTP_2)
                        .body(Full::new(Bytes::new()))
                        .map_err(|e| e.to_string())?;
                    s.ready().await.map_err(|e| e.to_string())?;
                    s.send_request(req).await
                }
            }
            .map_err(|e| e.to_string())?;
            let (parts, body) = res.into_parts();
            let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok(Answer {
                status: parts.status,
                version: parts.version,
                headers: parts.headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        tokio::time::timeout(PATIENCE, fut)
            .await
            .map_err(|_| "no answer in time".to_owned())?
    }
}

/// Accepts every server certificate but still checks the handshake signatures, so the
/// connection is real TLS; the test looks at the certificate itself.
#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
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

/// Writes `cert` as `<dir>/certs/<name>.crt` and `.key`; returns both paths.
pub(crate) fn write_cert(dir: &Path, name: &str, cert: &TestCert) -> (PathBuf, PathBuf) {
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).expect("certs dir");
    let (c, k) = (
        certs.join(format!("{name}.crt")),
        certs.join(format!("{name}.key")),
    );
    std::fs::write(&c, &cert.cert_pem).expect("write cert");
    std::fs::write(&k, &cert.key_pem).expect("write key");
    (c, k)
}

/// The generated default certificate's leaf (`TRAEFIK DEFAULT CERT`).
pub(crate) fn generated_default_leaf() -> Vec<u8> {
    rampart_tls::generated_default().certified_key().cert[0].to_vec()
}

/// A YAML block scalar holding `pem`, indented for a value at `indent` spaces.
pub(crate) fn yaml_block(pem: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from("|\n");
    for line in pem.lines() {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The fixture file `fixtures/e2e-tls/<name>`.
pub(crate) fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/e2e-tls")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `template` with `{dir}` and each `{name}` of `vars` replaced.
pub(crate) fn render(template: &str, dir: &Path, vars: &[(&str, &str)]) -> String {
    let mut out = template.replace("{dir}", &dir.display().to_string());
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Writes `content` at `path` under `dir` (creating folders; atomically, by rename).
pub(crate) fn put(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("create dirs");
    }
    let tmp = full.with_extension("tmp~");
    std::fs::write(&tmp, content).expect("write file");
    std::fs::rename(&tmp, &full).expect("rename file");
}

/// Starts the proxy on `<dir>/rampart.yaml` (already written), keeping `dir` for a restart.
pub(crate) async fn start_in(
    dir: tempfile::TempDir,
    env: std::collections::BTreeMap<String, String>,
) -> Result<crate::common::TestProxy, (tempfile::TempDir, rampart_proxy::StartError)> {
    logs();
    let options = rampart_proxy::Options {
        args: vec![format!(
            "--configFile={}",
            dir.path().join("rampart.yaml").display()
        )],
        env,
        registry: rampart::middleware::Registry::with_builtins(),
        install_logging: false,
    };
    match rampart_proxy::start(options).await {
        Ok(running) => Ok(crate::common::TestProxy {
            running: Some(running),
            dir,
        }),
        Err(e) => Err((dir, e)),
    }
}

/// Stops `proxy` and starts it again on the same directory (its `acme.json`, its files).
pub(crate) async fn restart(
    mut proxy: crate::common::TestProxy,
    env: std::collections::BTreeMap<String, String>,
) -> crate::common::TestProxy {
    if let Some(running) = proxy.running.take() {
        running.stop().await;
    }
    match start_in(proxy.dir, env).await {
        Ok(p) => p,
        Err((_, e)) => panic!("proxy restarts: {e}"),
    }
}

/// Log output for a failing test: `RUST_LOG=rampart_tls=debug,rampart_proxy=debug cargo test`.
pub(crate) fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .try_init();
}
