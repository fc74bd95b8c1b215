//! The test rig: a real TCP listener on 127.0.0.1 running [`TlsAcceptor`], and real rustls
//! clients (tokio-rustls) talking to it.
//!
//! After a handshake the server writes one line describing it (`options sni alpn version
//! cipher`), echoes whatever the client sends, and closes with `close_notify`; every handshake
//! outcome, good or bad, is also sent to the test through a channel.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rampart_testkit::{TestCa, TestCert};
use rampart_tls::{
    AcceptError, AcceptorConfig, AlpnChallengeCerts, CertStore, CertificateSpec, FileOrPem,
    HostOptions, Report, TlsAcceptor, TlsConnInfo, TlsOptionsSpec, TlsSpec,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, HandshakeKind, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Generous: the machine is shared and tests run in debug builds.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// What the server saw of one connection.
pub(crate) type Outcome = Result<TlsConnInfo, AcceptError>;

/// A TLS server on 127.0.0.1 running the acceptor under test.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub(crate) async fn start(acceptor: TlsAcceptor) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, outcomes) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let local = tcp.local_addr().ok().map(|a| a.ip());
                    match acceptor.accept(tcp, local).await {
                        Ok(accepted) => {
                            let info = accepted.info.clone();
                            let _ = tx.send(Ok(accepted.info));
                            let _ = serve(accepted.stream, &info).await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            }
        });
        Server {
            addr,
            outcomes,
            task,
        }
    }

    /// The outcome of the next connection the server finished with.
    pub(crate) async fn outcome(&mut self) -> Outcome {
        timeout(PATIENCE, self.outcomes.recv())
            .await
            .expect("the server reports every connection in time")
            .expect("the server runs")
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    info: &TlsConnInfo,
) -> std::io::Result<()> {
    let line = format!(
        "{} {} {} {} {}\n",
        info.options,
        info.server_name.as_deref().unwrap_or("-"),
        info.alpn
            .as_deref()
            .map_or("-".into(), |a| String::from_utf8_lossy(a).into_owned()),
        info.version.unwrap_or("-"),
        info.cipher.unwrap_or("-"),
    );
    s.write_all(line.as_bytes()).await?;
    s.flush().await?;
    let mut buf = [0u8; 1024];
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        s.write_all(&buf[..n]).await?;
        s.flush().await?;
    }
    s.shutdown().await
}

/// A store, challenge map and acceptor built from `spec` and (host, options) pairs.
pub(crate) struct Setup {
    pub(crate) store: Arc<CertStore>,
    pub(crate) challenges: AlpnChallengeCerts,
    pub(crate) report: Report,
    pub(crate) acceptor: TlsAcceptor,
}

pub(crate) fn setup(spec: &TlsSpec, hosts: &[(&str, &str)]) -> Setup {
    let store = Arc::new(CertStore::new());
    let challenges = AlpnChallengeCerts::new();
    let (acceptor, report) = acceptor_for(spec, hosts, &store, &challenges);
    Setup {
        store,
        challenges,
        report,
        acceptor,
    }
}

pub(crate) fn acceptor_for(
    spec: &TlsSpec,
    hosts: &[(&str, &str)],
    store: &Arc<CertStore>,
    challenges: &AlpnChallengeCerts,
) -> (TlsAcceptor, Report) {
    let (config, report) = config_for(spec, hosts, store, challenges);
    (TlsAcceptor::new(config), report)
}

pub(crate) fn config_for(
    spec: &TlsSpec,
    hosts: &[(&str, &str)],
    store: &Arc<CertStore>,
    challenges: &AlpnChallengeCerts,
) -> (AcceptorConfig, Report) {
    let mut builder = HostOptions::builder();
    for (host, options) in hosts {
        builder.add(host, options);
    }
    AcceptorConfig::build(spec, &builder, store, Arc::new(challenges.clone()))
}

pub(crate) fn cert_spec(cert: &TestCert) -> CertificateSpec {
    CertificateSpec::new(
        FileOrPem::Pem(cert.cert_pem.clone()),
        FileOrPem::Pem(cert.key_pem.clone()),
    )
}

/// A spec serving `certs` with `options`.
pub(crate) fn spec_with(certs: &[&TestCert], options: &[(&str, TlsOptionsSpec)]) -> TlsSpec {
    TlsSpec {
        certificates: certs.iter().map(|c| cert_spec(c)).collect(),
        stores: BTreeMap::new(),
        options: options
            .iter()
            .map(|(n, o)| ((*n).to_owned(), o.clone()))
            .collect(),
    }
}

/// How a client is set up.
#[derive(Clone)]
pub(crate) struct Client {
    pub(crate) trust: Option<rustls::RootCertStore>,
    pub(crate) versions: Vec<&'static rustls::SupportedProtocolVersion>,
    pub(crate) suites: Option<Vec<rustls::SupportedCipherSuite>>,
    pub(crate) kx: Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) identity: Option<TestCert>,
}

impl Client {
    /// Trusting `ca`, TLS 1.2 and 1.3, ALPN h2 + http/1.1.
    pub(crate) fn trusting(ca: &TestCa) -> Client {
        Client {
            trust: Some(ca.root_store()),
            ..Client::any_server()
        }
    }

    /// Accepting any server certificate (its handshake signature is still checked): to see
    /// which certificate a server presents, including the generated default.
    pub(crate) fn any_server() -> Client {
        Client {
            trust: None,
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            suites: None,
            kx: None,
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            identity: None,
        }
    }

    pub(crate) fn tls12_only(mut self) -> Client {
        self.versions = vec![&rustls::version::TLS12];
        self
    }

    pub(crate) fn with_identity(mut self, cert: &TestCert) -> Client {
        self.identity = Some(cert.clone());
        self
    }

    pub(crate) fn alpn(mut self, protocols: &[&[u8]]) -> Client {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    pub(crate) fn config(&self) -> Arc<ClientConfig> {
        let mut provider = rustls::crypto::ring::default_provider();
        if let Some(suites) = &self.suites {
            provider.cipher_suites.clone_from(suites);
        }
        if let Some(kx) = &self.kx {
            provider.kx_groups.clone_from(kx);
        }
        let builder = ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&self.versions)
            .unwrap();
        let builder = match &self.trust {
            Some(roots) => builder.with_root_certificates(roots.clone()),
            None => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerCert)),
        };
        let mut config = match &self.identity {
            Some(cert) => builder
                .with_client_auth_cert(vec![cert.cert_der.clone()], cert.key())
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols.clone_from(&self.alpn);
        Arc::new(config)
    }
}

/// What the client saw of a successful exchange.
#[derive(Debug)]
pub(crate) struct Seen {
    /// The server's leaf certificate.
    pub(crate) leaf: Vec<u8>,
    pub(crate) version: rustls::ProtocolVersion,
    pub(crate) suite: rustls::CipherSuite,
    pub(crate) alpn: Option<Vec<u8>>,
    pub(crate) kind: HandshakeKind,
    pub(crate) kx: Option<rustls::NamedGroup>,
    /// The server's description line (`options sni alpn version cipher`).
    pub(crate) line: String,
}

/// Handshakes with `sni` (or none), reads the server's line and closes. Any failure — on
/// either side, including a client certificate the server refuses after the client's
/// handshake finished (TLS 1.3) — is an `Err` with the reason.
pub(crate) async fn exchange(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    sni: Option<&str>,
) -> Result<Seen, String> {
    let mut stream = connect(addr, config, sni).await?;
    let (_, conn) = stream.get_ref();
    let mut seen = Seen {
        leaf: conn
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.to_vec())
            .unwrap_or_default(),
        version: conn.protocol_version().unwrap(),
        suite: conn.negotiated_cipher_suite().unwrap().suite(),
        alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
        kind: conn.handshake_kind().unwrap(),
        kx: conn
            .negotiated_key_exchange_group()
            .map(rustls::crypto::SupportedKxGroup::name),
        line: String::new(),
    };
    seen.line = read_line(&mut stream).await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    let mut rest = Vec::new();
    timeout(PATIENCE, stream.read_to_end(&mut rest))
        .await
        .map_err(|_| "timed out waiting for close".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(seen)
}

pub(crate) async fn connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    sni: Option<&str>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    connect_over(tcp, config, sni).await
}

pub(crate) async fn connect_over<IO: AsyncRead + AsyncWrite + Unpin>(
    io: IO,
    config: Arc<ClientConfig>,
    sni: Option<&str>,
) -> Result<tokio_rustls::client::TlsStream<IO>, String> {
    let name = match sni {
        Some(name) => ServerName::try_from(name.to_owned()).map_err(|e| e.to_string())?,
        None => {
            // No SNI: rustls sends none for an IP address name.
            ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into())
        }
    };
    let connector = tokio_rustls::TlsConnector::from(config);
    timeout(PATIENCE, connector.connect(name, io))
        .await
        .map_err(|_| "handshake timed out".to_owned())?
        .map_err(|e| e.to_string())
}

pub(crate) async fn read_line<S: AsyncRead + Unpin>(s: &mut S) -> Result<String, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let n = timeout(PATIENCE, s.read(&mut byte))
            .await
            .map_err(|_| "timed out reading".to_owned())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!(
                "connection closed after {:?}",
                String::from_utf8_lossy(&line)
            ));
        }
        if byte[0] == b'\n' {
            return Ok(String::from_utf8_lossy(&line).into_owned());
        }
        line.push(byte[0]);
    }
}

/// Accepts any server certificate but still checks the handshake signatures.
#[derive(Debug)]
struct AnyServerCert;

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, &algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, &algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
