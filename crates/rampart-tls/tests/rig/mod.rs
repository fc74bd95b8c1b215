//! The ACME test rig: Debian's `pebble` (the ACME CA) with a DNS server it validates against —
//! BIND (`named`, RFC 2136 updates signed with TSIG) or `pebble-challtestsrv` (TXT records set
//! over its HTTP API) — all on 127.0.0.1 with free ports, configs written into a temp dir, every
//! wait bounded, every process stopped when the [`Rig`] is dropped (even when a test fails).
//!
//! Install the programs with `apt-get install -y pebble bind9` (scripts/install-deps.sh does).

#![allow(dead_code, unreachable_pub, missing_docs)] // each test binary uses a part of the rig

use std::fmt::Write as _;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rampart_testkit::TestCa;

/// Which DNS server pebble asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsBackend {
    /// BIND 9, authoritative for the rig's zones, RFC 2136 + TSIG.
    Bind,
    /// pebble-challtestsrv: answers A 127.0.0.1 for every name; TXT via its HTTP API.
    ChallTestSrv,
}

#[derive(Debug, Clone)]
pub struct RigOptions {
    pub dns: DnsBackend,
    pub zones: Vec<String>,
    /// % of valid nonces pebble rejects (its default is 5).
    pub nonce_reject: u8,
    /// % chance pebble reuses a valid authorization (its default is 50).
    pub authz_reuse: u8,
    /// Leaf validity in seconds.
    pub cert_validity: u64,
    /// Port pebble sends HTTP-01 requests to.
    pub http01_port: u16,
    /// Port pebble sends TLS-ALPN-01 handshakes to.
    pub tlsalpn01_port: u16,
    /// External Account Binding required, with this key id and base64url MAC key.
    pub eab: Option<(String, String)>,
}

impl Default for RigOptions {
    fn default() -> Self {
        RigOptions {
            dns: DnsBackend::Bind,
            zones: vec!["example.test".into()],
            nonce_reject: 0,
            authz_reuse: 0,
            cert_validity: 90 * 24 * 3600,
            http01_port: 5002,
            tlsalpn01_port: 5001,
            eab: None,
        }
    }
}

/// A running rig. Dropping it stops every process it started.
pub struct Rig {
    pub dir: tempfile::TempDir,
    children: Vec<(String, Child)>,
    /// `https://127.0.0.1:<port>/dir`.
    pub directory: String,
    pub acme_port: u16,
    pub management: String,
    /// The DNS server pebble validates against.
    pub dns: SocketAddr,
    /// CA of pebble's own HTTPS (directory and management API): not the issuer.
    pub wfe_ca: PathBuf,
    /// Pebble's issuing root (new at every start), PEM.
    pub issuer_root_pem: String,
    pub tsig_name: String,
    pub tsig_secret: String,
    /// challtestsrv's management API (`http://127.0.0.1:<port>`), for `ChallTestSrv`.
    pub challtestsrv_api: Option<String>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        for (name, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
            let _ = name;
        }
    }
}

/// The path of a program, or a panic that says how to install it.
pub fn program(name: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':').chain([
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
    ]) {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{name}` is not installed: run `apt-get install -y pebble bind9` (or scripts/install-deps.sh)"
    );
}

/// A port free on 127.0.0.1 for both TCP and UDP right now.
pub fn free_port() -> u16 {
    for _ in 0..200 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both TCP and UDP");
}

fn write(path: &Path, text: &str) {
    let mut f =
        std::fs::File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    f.write_all(text.as_bytes()).unwrap();
}

impl Rig {
    pub async fn start(opts: RigOptions) -> Rig {
        let pebble = program("pebble");
        let dir = tempfile::tempdir().expect("temp dir");
        let run = dir.path().to_owned();

        // TLS for pebble's WFE and management API (Debian ships no test certificate).
        let wfe_ca = TestCa::new("rampart rig WFE CA");
        let wfe = wfe_ca.server_cert(&["localhost", "127.0.0.1"]);
        write(&run.join("wfe-ca.pem"), wfe_ca.cert_pem());
        write(&run.join("wfe.pem"), &wfe.cert_pem);
        write(&run.join("wfe.key"), &wfe.key_pem);

        let mut secret = [0u8; 32];
        rand::fill(&mut secret);
        let mut rig = Rig {
            dir,
            children: Vec::new(),
            directory: String::new(),
            acme_port: 0,
            management: String::new(),
            dns: SocketAddr::from(([127, 0, 0, 1], 0)),
            wfe_ca: run.join("wfe-ca.pem"),
            issuer_root_pem: String::new(),
            tsig_name: "rampart-acme-key".into(),
            tsig_secret: base64::engine::general_purpose::STANDARD.encode(secret),
            challtestsrv_api: None,
        };

        let dns_port = free_port();
        rig.dns = SocketAddr::from(([127, 0, 0, 1], dns_port));
        match opts.dns {
            DnsBackend::Bind => rig.start_bind(&opts, dns_port).await,
            DnsBackend::ChallTestSrv => rig.start_challtestsrv(dns_port),
        }

        let acme_port = free_port();
        let mgmt_port = free_port();
        let (eab_required, eab_keys) = match &opts.eab {
            Some((kid, key)) => (true, format!(r#"{{"{kid}": "{key}"}}"#)),
            None => (false, "{}".to_owned()),
        };
        let config = format!(
            r#"{{"pebble": {{"listenAddress": "127.0.0.1:{acme_port}", "managementListenAddress": "127.0.0.1:{mgmt_port}",
  "certificate": "{run}/wfe.pem", "privateKey": "{run}/wfe.key", "httpPort": {http}, "tlsPort": {tls},
  "ocspResponderURL": "", "externalAccountBindingRequired": {eab_required},
  "externalAccountMACKeys": {eab_keys}, "certificateValidityPeriod": {validity}}}}}"#,
            run = run.display(),
            http = opts.http01_port,
            tls = opts.tlsalpn01_port,
            validity = opts.cert_validity,
        );
        write(&run.join("pebble.json"), &config);
        let log = std::fs::File::create(run.join("pebble.log")).unwrap();
        let child = Command::new(pebble)
            .arg("-config")
            .arg(run.join("pebble.json"))
            .arg("-dnsserver")
            .arg(rig.dns.to_string())
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_VA_ALWAYS_VALID", "0")
            .env("PEBBLE_WFE_NONCEREJECT", opts.nonce_reject.to_string())
            .env("PEBBLE_AUTHZREUSE", opts.authz_reuse.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start pebble");
        rig.children.push(("pebble".into(), child));
        rig.wait_tcp(acme_port, "pebble");
        rig.wait_tcp(mgmt_port, "pebble");
        rig.acme_port = acme_port;
        rig.directory = format!("https://127.0.0.1:{acme_port}/dir");
        rig.management = format!("https://127.0.0.1:{mgmt_port}");
        rig.issuer_root_pem = rig.fetch_root().await;
        rig
    }

    async fn start_bind(&mut self, opts: &RigOptions, port: u16) {
        let named = program("named");
        let run = self.dir.path().join("bind");
        std::fs::create_dir_all(&run).unwrap();
        let mut conf = format!(
            r#"options {{
    directory "{run}";
    pid-file "{run}/named.pid";
    session-keyfile "{run}/session.key";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query {{ any; }};
}};
controls {{ }};
logging {{ channel to_stderr {{ stderr; severity info; print-time yes; }}; category default {{ to_stderr; }}; category update {{ to_stderr; }}; }};
key "{key}" {{ algorithm hmac-sha256; secret "{secret}"; }};
"#,
            run = run.display(),
            key = self.tsig_name,
            secret = self.tsig_secret,
        );
        for z in &opts.zones {
            // Only TXT records, only with the key: what an ACME client needs and no more.
            writeln!(
                conf,
                "zone \"{z}\" {{ type primary; file \"{z}.zone\"; update-policy {{ grant {key} zonesub TXT; }}; }};",
                key = self.tsig_name
            )
            .unwrap();
            write(
                &run.join(format!("{z}.zone")),
                &format!(
                    "$ORIGIN {z}.\n$TTL 60\n@ IN SOA ns1.{z}. hostmaster.{z}. ( 1 3600 600 86400 60 )\n@ IN NS ns1.{z}.\nns1 IN A 127.0.0.1\n@ IN A 127.0.0.1\n* IN A 127.0.0.1\n"
                ),
            );
        }
        write(&run.join("named.conf"), &conf);
        let log = std::fs::File::create(self.dir.path().join("named.log")).unwrap();
        let child = Command::new(named)
            .arg("-f")
            .arg("-c")
            .arg(run.join("named.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start named");
        self.children.push(("named".into(), child));
        for z in &opts.zones {
            self.wait_dns(z).await;
        }
    }

    fn start_challtestsrv(&mut self, dns_port: u16) {
        let srv = program("pebble-challtestsrv");
        let api_port = free_port();
        let log = std::fs::File::create(self.dir.path().join("challtestsrv.log")).unwrap();
        // Its defaults listen on every interface; bind loopback only and turn off what we don't use.
        let child = Command::new(srv)
            .args([
                "-dns01",
                &format!("127.0.0.1:{dns_port}"),
                "-management",
                &format!("127.0.0.1:{api_port}"),
            ])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            // A and nothing else: pebble must reach the test's HTTP-01/TLS-ALPN-01 servers on 127.0.0.1.
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start pebble-challtestsrv");
        self.children.push(("challtestsrv".into(), child));
        self.wait_tcp(api_port, "challtestsrv");
        self.challtestsrv_api = Some(format!("http://127.0.0.1:{api_port}"));
    }

    fn check_alive(&mut self, name: &str) {
        for (n, c) in &mut self.children {
            if n == name
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("{name} exited ({status}); log:\n{}", self.log(name));
            }
        }
    }

    /// A process's log, for failure messages.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }

    fn wait_tcp(&mut self, port: u16, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            self.check_alive(name);
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{name} did not listen on {port} within 30 s; log:\n{}",
            self.log(name)
        );
    }

    async fn wait_dns(&mut self, zone: &str) {
        use hickory_net::client::{Client, ClientHandle};
        use hickory_net::proto::rr::{DNSClass, Name, RecordType};
        use hickory_net::runtime::TokioRuntimeProvider;
        use hickory_net::udp::UdpClientStream;
        let deadline = Instant::now() + Duration::from_secs(30);
        let name = Name::from_ascii(format!("{zone}.")).unwrap();
        while Instant::now() < deadline {
            let stream = UdpClientStream::builder(self.dns, TokioRuntimeProvider::new())
                .with_timeout(Some(Duration::from_millis(500)))
                .build();
            let (mut client, bg) = Client::<TokioRuntimeProvider>::from_sender(stream);
            let bg = tokio::spawn(bg);
            let r = client
                .query(name.clone(), DNSClass::IN, RecordType::SOA)
                .await;
            bg.abort();
            if r.is_ok_and(|m| !m.answers.is_empty()) {
                return;
            }
            self.check_alive("named");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "named did not serve {zone} within 30 s; log:\n{}",
            self.log("named")
        );
    }

    /// A rustls client config trusting pebble's WFE certificate.
    pub fn wfe_client_config(&self) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(&self.wfe_ca).unwrap();
        for c in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
            roots.add(c.unwrap()).unwrap();
        }
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
    }

    async fn fetch_root(&self) -> String {
        let url = format!("{}/roots/0", self.management);
        let (status, body) = http_request(Some(self.wfe_client_config()), "GET", &url, None).await;
        assert_eq!(status, 200, "GET {url}");
        String::from_utf8(body.to_vec()).unwrap()
    }

    /// A rustls client config trusting pebble's issuing root (for handshakes with issued certs).
    pub fn issuer_client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pki_types::CertificateDer::pem_slice_iter(self.issuer_root_pem.as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
        )
    }
}

use rustls_pki_types::pem::PemObject;

/// One HTTP(S) request with hyper; returns status and body. Bounded to 30 s.
pub async fn http_request(
    tls: Option<rustls::ClientConfig>,
    method: &str,
    url: &str,
    body: Option<String>,
) -> (u16, Bytes) {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let tls = tls.unwrap_or_else(|| {
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
    });
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
        .unwrap();
    let fut = async {
        let rsp = client
            .request(req)
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = rsp.status().as_u16();
        (status, rsp.into_body().collect().await.unwrap().to_bytes())
    };
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .unwrap_or_else(|_| panic!("{method} {url}: no answer in 30 s"))
}

/// A real TLS handshake: a rustls server presenting `chain_pem` + `key_pem` on 127.0.0.1, a
/// rustls client trusting `client` connecting with SNI `server_name`. Returns the leaf the client
/// saw (DER) or the handshake error.
pub async fn handshake(
    chain_pem: &str,
    key_pem: &str,
    client: Arc<rustls::ClientConfig>,
    server_name: &str,
) -> Result<Vec<u8>, String> {
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| e.to_string())?;
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let srv = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = acceptor.accept(tcp).await;
    });
    let connector = tokio_rustls::TlsConnector::from(client);
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from(server_name.to_owned()).unwrap();
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
