//! Helpers of the end-to-end proxy tests: the guide's fixtures rendered for a test, clients
//! (HTTP/1.1 and HTTP/2, plain and TLS, raw bytes), and a small request recorder.
//!
//! Test files declare it beside `common`: `#[path = "common/e2e_proxy.rs"] mod e2e;`.

#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rampart_testkit::{AuthServer, TestCa, Upstream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestProxy;

/// The guide's domain in the fixtures.
pub(crate) const DOMAIN: &str = "example.test";

/// How long any single exchange in these tests may take (the machine is shared and loaded).
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// A file under `fixtures/`.
pub(crate) fn fixture(rel: &str) -> String {
    let path = format!("{}/../../fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The guide's static configuration for a test: both entrypoints on a free port of 127.0.0.1,
/// and the ACME server pointed at a closed local port (nothing may leave the machine).
pub(crate) fn guide_static() -> String {
    let text = fixture("guide/traefik.yaml");
    assert!(text.contains("address: \":80\"") && text.contains("address: \":443\""));
    text.replace("address: \":80\"", "address: \"127.0.0.1:0\"")
        .replace("address: \":443\"", "address: \"127.0.0.1:0\"")
        .replace(
            "      #caServer:",
            "      caServer: \"https://127.0.0.1:9/directory\"\r\n      #caServer:",
        )
}

/// The guide's `rules/` files, as `("rules/<name>", content)`.
pub(crate) fn guide_rules() -> Vec<(String, String)> {
    let dir = format!("{}/../../fixtures/guide/rules", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| {
            let entry = entry.expect("dir entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let content = std::fs::read_to_string(entry.path()).expect("rules file");
            (format!("rules/{name}"), content)
        })
        .collect();
    files.sort();
    files
}

/// The environment the guide's templates read.
pub(crate) fn guide_env(
    auth: SocketAddr,
    authentik: &str,
    whoami: &str,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("DOMAINNAME".to_owned(), DOMAIN.to_owned()),
        ("AUTHENTIK_HOST".to_owned(), auth.to_string()),
        ("AUTHENTIK_URL".to_owned(), authentik.to_owned()),
        ("WHOAMI_URL".to_owned(), whoami.to_owned()),
    ])
}

/// The guide's set-up running: the proxy on the guide's configuration, an auth server, the
/// whoami and Authentik upstreams, and a certificate for `example.test` and `*.example.test`
/// (in `rules/certs.yaml`: the guide gets it from ACME).
pub(crate) struct Guide {
    pub(crate) proxy: TestProxy,
    pub(crate) auth: AuthServer,
    pub(crate) whoami: Upstream,
    pub(crate) authentik: Upstream,
    pub(crate) ca: TestCa,
}

impl Guide {
    /// Starts it with `auth` as the auth server.
    pub(crate) async fn start(auth: AuthServer) -> Guide {
        let whoami = echo_upstream().await;
        let authentik = Upstream::named("authentik").await;
        let ca = TestCa::new("guide test CA");
        let leaf = ca.server_cert(&[DOMAIN, &format!("*.{DOMAIN}")]);
        let mut files: Vec<(String, String)> = guide_rules();
        files.push(("rules/certs.yaml".to_owned(), inline_certificate(&leaf)));
        let env = guide_env(auth.addr(), &authentik.url(), &whoami.url());
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let proxy = TestProxy::start_with(
            &guide_static(),
            &borrowed,
            env,
            rampart::middleware::Registry::with_builtins(),
        )
        .await;
        Guide {
            proxy,
            auth,
            whoami,
            authentik,
            ca,
        }
    }

    /// A TLS client for the websecure entrypoint, sending `host` as SNI and Host.
    pub(crate) fn tls(&self, host: &str) -> TlsClient {
        TlsClient {
            addr: self.proxy.addr("websecure"),
            config: self.ca.client_config(&[b"h2", b"http/1.1"]),
            host: host.to_owned(),
        }
    }
}

/// A dynamic-configuration file holding `cert` inline (Traefik's certFile/keyFile take PEM
/// content as well as paths).
pub(crate) fn inline_certificate(cert: &rampart_testkit::TestCert) -> String {
    let indent = |pem: &str| {
        pem.lines().fold(String::new(), |mut out, l| {
            let _ = writeln!(out, "        {l}");
            out
        })
    };
    format!(
        "tls:\n  certificates:\n    - certFile: |\n{}      keyFile: |\n{}",
        indent(&cert.cert_pem),
        indent(&cert.key_pem)
    )
}

/// An upstream that answers every request with a description of it (method, target, version,
/// headers, body length), as `traefik/whoami` does.
pub(crate) async fn echo_upstream() -> Upstream {
    Upstream::start(|req| async move {
        let mut text = format!("{} {} {:?}\n", req.method(), req.uri(), req.version());
        for (k, v) in req.headers() {
            let _ = writeln!(text, "{k}: {}", v.to_str().unwrap_or("?"));
        }
        let _ = writeln!(text, "body: {} bytes", req.body().len());
        rampart_testkit::reply::text(200, text)
    })
    .await
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) version: http::Version,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// The first value of header `name`, `""` when missing.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Reads a response whole; `Err` says why its body did not arrive whole.
async fn read_answer(res: http::Response<hyper::body::Incoming>) -> Result<Answer, String> {
    let (parts, body) = res.into_parts();
    let body = tokio::time::timeout(PATIENCE, body.collect())
        .await
        .map_err(|_| "body not complete within the patience".to_owned())?
        .map_err(|e| format!("{} response, then the body failed: {e}", parts.status))?
        .to_bytes();
    Ok(Answer {
        status: parts.status.as_u16(),
        version: parts.version,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A request with `headers` and no body.
pub(crate) fn request(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> http::Request<Full<Bytes>> {
    let mut req = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(Full::new(Bytes::new())).expect("request")
}

/// One HTTP/1.1 connection to `addr`, kept open across requests (for keep-alive tests).
pub(crate) struct H1Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl H1Conn {
    /// Connects.
    pub(crate) async fn open(addr: SocketAddr) -> H1Conn {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .expect("handshake");
        tokio::spawn(conn.with_upgrades());
        H1Conn { sender }
    }

    /// Sends `req` on this connection; `Err` when the connection is gone.
    pub(crate) async fn send(&mut self, req: http::Request<Full<Bytes>>) -> Result<Answer, String> {
        tokio::time::timeout(PATIENCE, self.sender.ready())
            .await
            .map_err(|_| "not ready in time".to_owned())?
            .map_err(|e| e.to_string())?;
        let res = tokio::time::timeout(PATIENCE, self.sender.send_request(req))
            .await
            .map_err(|_| "no answer in time".to_owned())?
            .map_err(|e| e.to_string())?;
        read_answer(res).await
    }

    /// Whether the connection was closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// One HTTP/2 connection (h2c prior knowledge) to `addr`.
#[derive(Clone)]
pub(crate) struct H2Conn {
    sender: hyper::client::conn::http2::SendRequest<Full<Bytes>>,
}

impl H2Conn {
    /// Connects with HTTP/2 prior knowledge.
    pub(crate) async fn open(addr: SocketAddr) -> H2Conn {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .expect("h2 handshake");
        tokio::spawn(conn);
        H2Conn { sender }
    }

    /// Sends `req` (its URI must be absolute) on this connection.
    pub(crate) async fn send(&mut self, req: http::Request<Full<Bytes>>) -> Result<Answer, String> {
        tokio::time::timeout(PATIENCE, self.sender.ready())
            .await
            .map_err(|_| "not ready in time".to_owned())?
            .map_err(|e| e.to_string())?;
        let res = tokio::time::timeout(PATIENCE, self.sender.send_request(req))
            .await
            .map_err(|_| "no answer in time".to_owned())?
            .map_err(|e| e.to_string())?;
        read_answer(res).await
    }

    /// Whether the connection was closed (or told to go away).
    pub(crate) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// A TLS client for one entrypoint: SNI and Host `host`, trusting the test CA.
pub(crate) struct TlsClient {
    pub(crate) addr: SocketAddr,
    pub(crate) config: Arc<rustls::ClientConfig>,
    pub(crate) host: String,
}

impl TlsClient {
    /// Completes a handshake; `Err` if the proxy refuses it.
    pub(crate) async fn handshake(
        &self,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, std::io::Error> {
        let tcp = TcpStream::connect(self.addr).await?;
        let name = rustls::pki_types::ServerName::try_from(self.host.clone())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        tokio::time::timeout(PATIENCE, connector.connect(name, tcp))
            .await
            .map_err(|_| std::io::Error::other("handshake timed out"))?
    }

    /// GETs `path` (with `headers`) over a new TLS connection, HTTP/2 when ALPN says so.
    pub(crate) async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let tls = self.handshake().await.expect("TLS handshake");
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        let uri = format!("https://{}{path}", self.host);
        let mut req = request("GET", &uri, headers);
        if h2 {
            let (mut sender, conn) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                    .await
                    .expect("h2 handshake");
            tokio::spawn(conn);
            let res = sender.send_request(req).await.expect("h2 response");
            read_answer(res).await.expect("whole body")
        } else {
            *req.uri_mut() = path.parse().expect("path");
            req.headers_mut()
                .insert(http::header::HOST, self.host.parse().expect("host"));
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            let res = sender.send_request(req).await.expect("response");
            read_answer(res).await.expect("whole body")
        }
    }

    /// The same client offering only `alpn`.
    pub(crate) fn with_alpn(&self, alpn: &[&[u8]]) -> TlsClient {
        let mut config = (*self.config).clone();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsClient {
            addr: self.addr,
            config: Arc::new(config),
            host: self.host.clone(),
        }
    }
}

/// GETs `http://{addr}{path}` with `Host: host` over a new HTTP/1.1 connection.
pub(crate) async fn get_host(
    addr: SocketAddr,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let mut conn = H1Conn::open(addr).await;
    let mut all: Vec<(&str, &str)> = vec![("host", host)];
    all.extend_from_slice(headers);
    conn.send(request("GET", path, &all)).await.expect("answer")
}

/// Writes `bytes` on a new connection to `addr` and reads until the proxy closes it or stays
/// silent for `quiet`; returns everything read.
pub(crate) async fn raw(addr: SocketAddr, bytes: &[u8], quiet: Duration) -> String {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(bytes).await.expect("write");
    read_until_quiet(&mut tcp, quiet).await
}

/// Writes `bytes` on a new connection to `addr`; waits up to [`PATIENCE`] for the first byte
/// of an answer, then reads until the proxy closes the connection or stays silent for
/// `quiet`. Returns everything read.
pub(crate) async fn exchange(addr: SocketAddr, bytes: &[u8], quiet: Duration) -> String {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(bytes).await.expect("write");
    let mut buf = vec![0u8; 8192];
    let first = tokio::time::timeout(PATIENCE, tcp.read(&mut buf))
        .await
        .expect("an answer within the patience")
        .unwrap_or(0);
    let mut out = String::from_utf8_lossy(&buf[..first]).into_owned();
    if first > 0 {
        out.push_str(&read_until_quiet(&mut tcp, quiet).await);
    }
    out
}

/// Reads from `tcp` until it closes, errors, or stays silent for `quiet`.
pub(crate) async fn read_until_quiet(tcp: &mut TcpStream, quiet: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        match tokio::time::timeout(quiet, tcp.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The status codes of every HTTP/1.1 response in `text`, in order.
pub(crate) fn statuses(text: &str) -> Vec<u16> {
    text.split("\r\n")
        .filter_map(|line| line.strip_prefix("HTTP/1.1 "))
        .filter_map(|rest| rest.get(..3)?.parse().ok())
        .collect()
}
