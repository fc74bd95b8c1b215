//! The guide's stack for end-to-end auth and middleware tests: the project's fixtures in the
//! guide's shape (`fixtures/auth/`, `fixtures/chain/`), real servers on 127.0.0.1 for the
//! containers the guide runs (the Authentik outpost, whoami), a test CA for `*.domain.tld`, and
//! an HTTP/1.1 client that can connect over TLS with any SNI, from any loopback address (the
//! guide trusts `127.0.0.1/32` for `X-Forwarded-*`: a client on `127.0.0.2` is an untrusted
//! internet client, one on `127.0.0.1` plays Cloudflare), or write raw bytes.

#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rampart::middleware::Registry;
use rampart_testkit::auth_server::{AuthServer, Handler, Recorded};
use rampart_testkit::{TestCa, Upstream, reply};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::TestProxy;

/// The guide's `DOMAINNAME`.
pub(crate) const DOMAIN: &str = "domain.tld";

/// The guide's forwardAuth middleware.
pub(crate) const GUIDE_MIDDLEWARE: &str = "auth/rules/middlewares-authentik.yaml";
/// The same with `reservedPathPrefix: /outpost.goauthentik.io/`.
pub(crate) const RESERVED_MIDDLEWARE: &str = "auth/reserved/middlewares-authentik.yaml";

/// The 11 `X-authentik-*` headers of the guide's `authResponseHeaders`.
pub(crate) const GUIDE_HEADERS: [&str; 11] = [
    "x-authentik-username",
    "x-authentik-groups",
    "x-authentik-email",
    "x-authentik-name",
    "x-authentik-uid",
    "x-authentik-jwt",
    "x-authentik-meta-jwks",
    "x-authentik-meta-outpost",
    "x-authentik-meta-provider",
    "x-authentik-meta-app",
    "x-authentik-meta-version",
];

/// How long any single exchange may take before the test fails (the machine is shared).
pub(crate) const DEADLINE: Duration = Duration::from_mins(1);

/// A file of `fixtures/`.
pub(crate) fn fixture(rel: &str) -> String {
    let path = format!("{}/../../fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// The guide's static configuration with `web` on `127.0.0.1:0`, `websecure` on a free port
/// (`web` redirects there, so the redirection needs the real number), and the file provider on
/// the test's directory.
pub(crate) fn static_config(rel: &str, rules_dir: &str) -> String {
    let text = fixture(rel)
        .replace("127.0.0.1:8080", "127.0.0.1:0")
        .replace("127.0.0.1:8443", &format!("127.0.0.1:{}", free_port()))
        .replace(rules_dir, "{dir}/rules");
    assert!(text.contains("{dir}/rules"), "{rel} names {rules_dir}");
    text
}

/// A port nothing listens on right now (the kernel's pick; it is not handed out again soon).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Replaces the container addresses of a fixture with the test servers'.
pub(crate) fn substitute(text: &str, addrs: &[(&str, SocketAddr)]) -> String {
    let mut out = text.to_owned();
    for (placeholder, addr) in addrs {
        out = out.replace(placeholder, &addr.to_string());
    }
    out
}

/// `rules/tls.yaml`: the certificate of `*.domain.tld` (inline PEM, as Traefik's `certFile`
/// allows), standing in for the guide's Let's Encrypt wildcard.
pub(crate) fn tls_rules(ca: &TestCa) -> String {
    let cert = ca.server_cert(&[DOMAIN, &format!("*.{DOMAIN}")]);
    let indent = |pem: &str| pem.trim_end().replace('\n', "\n          ");
    format!(
        "tls:\n  certificates:\n    - certFile: |\n          {}\n      keyFile: |\n          {}\n",
        indent(&cert.cert_pem),
        indent(&cert.key_pem)
    )
}

/// Starts the proxy on `static_yaml` with `files` under the configuration directory and the
/// guide's environment (`DOMAINNAME`).
pub(crate) async fn start(static_yaml: &str, files: &[(String, String)]) -> TestProxy {
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let env = BTreeMap::from([("DOMAINNAME".to_owned(), DOMAIN.to_owned())]);
    TestProxy::start_with(static_yaml, &files, env, Registry::with_builtins()).await
}

/// Where a test client connects from and how.
#[derive(Clone)]
pub(crate) struct Client {
    /// The proxy's entrypoint.
    pub(crate) addr: SocketAddr,
    /// TLS with this CA (`None`: plain TCP).
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    /// The local address to connect from.
    pub(crate) from: IpAddr,
}

/// An untrusted client's address: not in the guide's `trustedIPs`.
pub(crate) const UNTRUSTED: [u8; 4] = [127, 0, 0, 2];
/// A trusted proxy's address (the guide trusts `127.0.0.1/32`, as it trusts Cloudflare).
pub(crate) const TRUSTED: [u8; 4] = [127, 0, 0, 1];

/// An answer, body read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The status.
    pub(crate) status: StatusCode,
    /// Every header (several `Set-Cookie` stay several).
    pub(crate) headers: HeaderMap,
    /// The body.
    pub(crate) body: Bytes,
}

impl Answer {
    /// The first value of `name`, `""` when missing.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Every value of `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `name=value` pairs of every `Set-Cookie`, joined as a `Cookie` header would be.
    pub(crate) fn cookie_pairs(&self) -> String {
        self.all("set-cookie")
            .iter()
            .filter_map(|c| c.split(';').next())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A bidirectional byte stream (plain or TLS).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

impl Client {
    /// A TLS client trusting `ca`, connecting from `from`.
    pub(crate) fn tls(addr: SocketAddr, ca: &TestCa, from: [u8; 4]) -> Self {
        Client {
            addr,
            tls: Some(ca.client_config(&[b"http/1.1"])),
            from: IpAddr::from(from),
        }
    }

    /// A plain-TCP client, connecting from `from`.
    pub(crate) fn plain(addr: SocketAddr, from: [u8; 4]) -> Self {
        Client {
            addr,
            tls: None,
            from: IpAddr::from(from),
        }
    }

    /// Opens a connection; `sni` is the TLS server name.
    pub(crate) async fn connect(&self, sni: &str) -> Box<dyn Io> {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(self.from, 0))
            .unwrap_or_else(|e| panic!("bind {}: {e}", self.from));
        let tcp: TcpStream = tokio::time::timeout(DEADLINE, socket.connect(self.addr))
            .await
            .expect("connect in time")
            .expect("connect");
        match &self.tls {
            None => Box::new(tcp),
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from(sni.to_owned()).expect("SNI");
                let tls = tokio::time::timeout(
                    DEADLINE,
                    tokio_rustls::TlsConnector::from(config.clone()).connect(name, tcp),
                )
                .await
                .expect("handshake in time")
                .expect("TLS handshake");
                Box::new(tls)
            }
        }
    }

    /// Sends `req` on a new connection (SNI = the `Host` header) and reads the whole answer.
    pub(crate) async fn send(&self, req: Request<Full<Bytes>>) -> Answer {
        let host = host_of(&req);
        let io = self.connect(&host).await;
        let work = async {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
                .await
                .expect("HTTP/1.1 handshake");
            tokio::spawn(conn.with_upgrades());
            let res = sender.send_request(req).await.expect("response");
            let (parts, body) = res.into_parts();
            let body = body.collect().await.expect("body").to_bytes();
            Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        };
        tokio::time::timeout(DEADLINE, work)
            .await
            .expect("answer in time")
    }

    /// `GET https://{host}{path}` with `headers`.
    pub(crate) async fn get(&self, host: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send(request("GET", host, path, headers, Bytes::new()))
            .await
    }

    /// Writes `raw` (a whole request, ending the connection with `Connection: close`) and
    /// reads until the proxy closes; returns the status and the raw answer.
    pub(crate) async fn raw(&self, sni: &str, raw: &str) -> (u16, String) {
        let mut io = self.connect(sni).await;
        let work = async {
            io.write_all(raw.as_bytes()).await.expect("write");
            io.flush().await.expect("flush");
            let mut out = Vec::new();
            // A TLS peer may close without close_notify; what was read counts.
            let _ = io.read_to_end(&mut out).await;
            out
        };
        let out = tokio::time::timeout(DEADLINE, work)
            .await
            .expect("raw answer in time");
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP/1.1 status in {text:?}"));
        (status, text)
    }
}

fn host_of(req: &Request<Full<Bytes>>) -> String {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .expect("requests name their Host");
    host.split(':').next().unwrap_or(host).to_owned()
}

/// A request for `host` (the `Host` header; the connection goes to the proxy).
pub(crate) fn request(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Request<Full<Bytes>> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, host);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(body)).expect("request")
}

/// The guide's stack: outpost, whoami, the rules directory, the proxy.
pub(crate) struct Stack {
    pub(crate) proxy: TestProxy,
    pub(crate) ca: TestCa,
    pub(crate) auth: AuthServer,
    pub(crate) app: Upstream,
}

impl Stack {
    /// `middleware` is the fixture of `rules/middlewares-authentik.yaml`; `apps` are files of `fixtures/auth/apps/` mounted under `rules/apps/`; `extra` more
    /// `(path, content)` files. Placeholders: the outpost (and Authelia, oauth2-proxy) are
    /// `auth`, the applications `app`.
    pub(crate) async fn start(
        middleware: &str,
        auth: Handler,
        apps: &[&str],
        extra: &[(&str, &str)],
    ) -> Stack {
        let auth = AuthServer::with_handler(auth).await;
        let app = Upstream::start(|_| async {
            let mut res = reply::text(200, "whoami");
            res.headers_mut()
                .insert("x-app", http::HeaderValue::from_static("whoami"));
            res
        })
        .await;
        let ca = TestCa::new("guide test CA");
        let subst = |text: &str| {
            let a = auth.addr().to_string();
            text.replace("authentik_server:9000", &a)
                .replace("authelia:9091", &a)
                .replace("oauth2-proxy:4180", &a)
                .replace("whoami:80", &app.addr().to_string())
        };
        let mut files = vec![
            (
                "rules/middlewares-authentik.yaml".to_owned(),
                subst(&fixture(middleware)),
            ),
            (
                "rules/tls-opts.yaml".to_owned(),
                fixture("auth/rules/tls-opts.yaml"),
            ),
            ("rules/tls.yaml".to_owned(), tls_rules(&ca)),
        ];
        for a in apps {
            files.push((
                format!("rules/apps/{a}"),
                subst(&fixture(&format!("auth/apps/{a}"))),
            ));
        }
        for (p, c) in extra {
            files.push(((*p).to_owned(), subst(c)));
        }
        let proxy = start(
            &static_config("auth/rampart.yaml", "fixtures/auth/rules"),
            &files,
        )
        .await;
        Stack {
            proxy,
            ca,
            auth,
            app,
        }
    }

    /// A browser on the internet (untrusted for `X-Forwarded-*`), over TLS.
    pub(crate) fn browser(&self) -> Client {
        Client::tls(self.proxy.addr("websecure"), &self.ca, UNTRUSTED)
    }

    /// Cloudflare in front of rampart (a trusted peer), over TLS.
    pub(crate) fn cloudflare(&self) -> Client {
        Client::tls(self.proxy.addr("websecure"), &self.ca, TRUSTED)
    }

    pub(crate) fn last_auth(&self) -> Recorded {
        self.auth.last().expect("the auth server was asked")
    }
}

/// Runs the `rampart` binary with `args` and `--configFile=<dir>/rampart.yaml` (the running
/// test proxy's configuration), in the guide's environment; returns (success, stdout, stderr).
pub(crate) fn rampart_cli(proxy: &TestProxy, args: &[&str]) -> (bool, String, String) {
    let config = format!(
        "--configFile={}",
        proxy.path().join("rampart.yaml").display()
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .arg(config)
        .env("DOMAINNAME", DOMAIN)
        .output()
        .expect("run the rampart binary");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

impl Client {
    /// Sends `n` requests for `https://{host}{path}` at once, as HTTP/2 streams of one TLS
    /// connection (a browser's burst, without a TLS handshake per request); returns the
    /// statuses and the headers of the first refusal (429), if any.
    pub(crate) async fn h2_burst(
        &self,
        ca: &TestCa,
        host: &str,
        path: &str,
        n: usize,
    ) -> (Vec<StatusCode>, Option<HeaderMap>) {
        let client = Client {
            tls: Some(ca.client_config(&[b"h2"])),
            ..self.clone()
        };
        let io = client.connect(host).await;
        let work = async {
            let (sender, conn) = hyper::client::conn::http2::handshake(
                hyper_util::rt::TokioExecutor::new(),
                TokioIo::new(io),
            )
            .await
            .expect("HTTP/2 handshake");
            tokio::spawn(conn);
            let uri = format!("https://{host}{path}");
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let mut sender = sender.clone();
                    let req = Request::get(uri.as_str())
                        .body(Full::new(Bytes::new()))
                        .expect("request");
                    tokio::spawn(async move {
                        let res = sender.send_request(req).await.expect("response");
                        let (parts, body) = res.into_parts();
                        let _ = body.collect().await;
                        (parts.status, parts.headers)
                    })
                })
                .collect();
            let mut statuses = Vec::with_capacity(n);
            let mut refusal = None;
            for t in tasks {
                let (status, headers) = t.await.expect("request task");
                if status == StatusCode::TOO_MANY_REQUESTS && refusal.is_none() {
                    refusal = Some(headers);
                }
                statuses.push(status);
            }
            (statuses, refusal)
        };
        tokio::time::timeout(DEADLINE, work)
            .await
            .expect("burst answered in time")
    }
}
