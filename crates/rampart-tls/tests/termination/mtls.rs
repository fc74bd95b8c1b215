//! Mutual TLS, and the SNI tricks of attack case D6 that try to skip it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use rampart_testkit::TestCa;
use rampart_tls::{ClientAuthSpec, FileOrPem, TlsOptionsSpec};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::rig::{Client, Server, connect_over, exchange, read_line, setup, spec_with};

fn client_auth(ca: &TestCa, mode: Option<&str>) -> TlsOptionsSpec {
    TlsOptionsSpec {
        client_auth: ClientAuthSpec {
            ca_files: vec![FileOrPem::Pem(ca.cert_pem().to_owned())],
            client_auth_type: mode.map(str::to_owned),
        },
        ..TlsOptionsSpec::traefik_default()
    }
}

/// `admin.example.test` requires a client certificate from `clients`; `www.example.test` uses
/// the default options.
async fn admin_and_www(servers: &TestCa, clients: &TestCa, mode: Option<&str>) -> Server {
    let cert = servers.server_cert(&["admin.example.test", "www.example.test"]);
    let s = setup(
        &spec_with(&[&cert], &[("mtls@file", client_auth(clients, mode))]),
        &[("admin.example.test", "mtls@file")],
    );
    assert!(s.report.is_ok(), "{:?}", s.report);
    Server::start(s.acceptor).await
}

#[tokio::test]
async fn require_and_verify_refuses_no_cert_and_a_foreign_ca_and_reports_a_good_chain() {
    let servers = TestCa::new("server ca");
    let clients = TestCa::new("client ca");
    let stranger = TestCa::new("stranger ca");
    let mut server = admin_and_www(&servers, &clients, None).await;
    let admin = Some("admin.example.test");

    let err = exchange(server.addr, Client::trusting(&servers).config(), admin)
        .await
        .unwrap_err();
    assert!(err.contains("alert"), "{err}");
    assert!(server.outcome().await.is_err());

    let foreign = stranger.client_cert("mallory");
    let err = exchange(
        server.addr,
        Client::trusting(&servers).with_identity(&foreign).config(),
        admin,
    )
    .await
    .unwrap_err();
    assert!(err.contains("alert"), "{err}");
    assert!(server.outcome().await.is_err());

    let alice = clients.client_cert("alice");
    let seen = exchange(
        server.addr,
        Client::trusting(&servers).with_identity(&alice).config(),
        admin,
    )
    .await
    .unwrap();
    assert!(
        seen.line.starts_with("mtls@file admin.example.test "),
        "{}",
        seen.line
    );
    let info = server.outcome().await.unwrap();
    let chain = info.client_certs.expect("the chain is reported");
    assert_eq!(chain.len(), 1);
    assert_eq!(chain[0], alice.cert_der.to_vec());

    // The other host does not ask.
    exchange(
        server.addr,
        Client::trusting(&servers).config(),
        Some("www.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(server.outcome().await.unwrap().client_certs, None);
}

#[tokio::test]
async fn verify_if_given_takes_no_cert_but_refuses_a_foreign_one() {
    let servers = TestCa::new("server ca");
    let clients = TestCa::new("client ca");
    let server = admin_and_www(&servers, &clients, Some("VerifyClientCertIfGiven")).await;
    let admin = Some("admin.example.test");
    exchange(server.addr, Client::trusting(&servers).config(), admin)
        .await
        .unwrap();
    let foreign = TestCa::new("stranger").client_cert("mallory");
    exchange(
        server.addr,
        Client::trusting(&servers).with_identity(&foreign).config(),
        admin,
    )
    .await
    .unwrap_err();
    let good = clients.client_cert("alice");
    exchange(
        server.addr,
        Client::trusting(&servers).with_identity(&good).config(),
        admin,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn require_any_takes_an_unverified_cert_and_refuses_none() {
    let servers = TestCa::new("server ca");
    let clients = TestCa::new("client ca");
    let mut server = admin_and_www(&servers, &clients, Some("RequireAnyClientCert")).await;
    let admin = Some("admin.example.test");
    exchange(server.addr, Client::trusting(&servers).config(), admin)
        .await
        .unwrap_err();
    assert!(server.outcome().await.is_err());
    // Not verified (Go's RequireAnyClientCert), but reported for the application to judge.
    let foreign = TestCa::new("stranger").client_cert("mallory");
    exchange(
        server.addr,
        Client::trusting(&servers).with_identity(&foreign).config(),
        admin,
    )
    .await
    .unwrap();
    let chain = server.outcome().await.unwrap().client_certs.unwrap();
    assert_eq!(chain[0], foreign.cert_der.to_vec());
}

#[tokio::test]
async fn request_client_cert_takes_both() {
    let servers = TestCa::new("server ca");
    let clients = TestCa::new("client ca");
    let server = admin_and_www(&servers, &clients, Some("RequestClientCert")).await;
    let admin = Some("admin.example.test");
    exchange(server.addr, Client::trusting(&servers).config(), admin)
        .await
        .unwrap();
    let foreign = TestCa::new("stranger").client_cert("mallory");
    exchange(
        server.addr,
        Client::trusting(&servers).with_identity(&foreign).config(),
        admin,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn ca_files_are_read_from_a_path() {
    let servers = TestCa::new("server ca");
    let clients = TestCa::new("client ca");
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("clients.pem");
    std::fs::write(&ca_path, clients.cert_pem()).unwrap();
    let cert = servers.server_cert(&["admin.example.test"]);
    let mtls = TlsOptionsSpec {
        client_auth: ClientAuthSpec {
            ca_files: vec![FileOrPem::from_traefik(ca_path.to_str().unwrap())],
            client_auth_type: Some("RequireAndVerifyClientCert".into()),
        },
        ..TlsOptionsSpec::traefik_default()
    };
    let s = setup(
        &spec_with(&[&cert], &[("mtls", mtls)]),
        &[("admin.example.test", "mtls")],
    );
    assert!(s.report.is_ok(), "{:?}", s.report.errors);
    let server = Server::start(s.acceptor).await;
    let alice = clients.client_cert("alice");
    exchange(
        server.addr,
        Client::trusting(&servers).with_identity(&alice).config(),
        Some("admin.example.test"),
    )
    .await
    .unwrap();
    exchange(
        server.addr,
        Client::trusting(&servers).config(),
        Some("admin.example.test"),
    )
    .await
    .unwrap_err();
}

#[tokio::test]
async fn sni_spelling_variants_still_get_the_mtls_options() {
    // D6: `ADMIN.EXAMPLE.TEST` must not fall through to the default (non-mTLS) options.
    let servers = TestCa::new("server ca");
    let clients = TestCa::new("client ca");
    let mut server = admin_and_www(&servers, &clients, None).await;
    let err = exchange(
        server.addr,
        Client::trusting(&servers).config(),
        Some("ADMIN.EXAMPLE.TEST"),
    )
    .await
    .unwrap_err();
    assert!(err.contains("alert"), "{err}");
    let outcome = server.outcome().await.unwrap_err();
    assert!(outcome.to_string().contains("mtls@file"), "{outcome}");
}

#[tokio::test]
async fn a_fragmented_client_hello_still_gets_the_mtls_options() {
    // D6 / CVE-2026-32305: a ClientHello split across two TLS records, SNI in the second, must
    // be read whole — never handled with the default options.
    let servers = TestCa::new("server ca");
    let clients = TestCa::new("client ca");
    let mut server = admin_and_www(&servers, &clients, None).await;

    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let result = async {
        let mut s = connect_over(
            Fragmenting::new(tcp),
            Client::trusting(&servers).config(),
            Some("admin.example.test"),
        )
        .await?;
        read_line(&mut s).await
    }
    .await;
    assert!(
        result.is_err(),
        "served without a client certificate: {result:?}"
    );
    let outcome = server.outcome().await.unwrap_err();
    assert!(outcome.to_string().contains("mtls@file"), "{outcome}");

    let alice = clients.client_cert("alice");
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let mut s = connect_over(
        Fragmenting::new(tcp),
        Client::trusting(&servers).with_identity(&alice).config(),
        Some("admin.example.test"),
    )
    .await
    .unwrap();
    assert!(
        s.get_ref().0.split,
        "the ClientHello went out in two records"
    );
    let line = read_line(&mut s).await.unwrap();
    assert!(line.starts_with("mtls@file admin.example.test "), "{line}");
    let info = server.outcome().await.unwrap();
    assert_eq!(info.options.as_ref(), "mtls@file");
}

/// Splits the first TLS record written (the `ClientHello`) into two records, 40 bytes into its
/// payload: the random is in the first, the extensions (SNI) in the second. Everything else
/// passes through.
struct Fragmenting<T> {
    inner: T,
    staging: Vec<u8>,
    out: Vec<u8>,
    split: bool,
}

impl<T> Fragmenting<T> {
    fn new(inner: T) -> Self {
        Fragmenting {
            inner,
            staging: Vec::new(),
            out: Vec::new(),
            split: false,
        }
    }
}

impl<T: AsyncWrite + Unpin> Fragmenting<T> {
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out.drain(..n);
        }
        Poll::Ready(Ok(()))
    }

    fn try_split(&mut self) {
        const AT: usize = 40;
        let s = &self.staging;
        if s.len() < 5 {
            return;
        }
        let len = usize::from(u16::from_be_bytes([s[3], s[4]]));
        if s.len() < 5 + len {
            return;
        }
        assert_eq!(s[0], 0x16, "the first record is a handshake record");
        assert!(len > AT + 40, "a ClientHello is longer than that");
        let (content, version) = (s[0], [s[1], s[2]]);
        let payload = &s[5..5 + len];
        for part in [&payload[..AT], &payload[AT..]] {
            self.out.push(content);
            self.out.extend_from_slice(&version);
            self.out
                .extend_from_slice(&u16::try_from(part.len()).unwrap().to_be_bytes());
            self.out.extend_from_slice(part);
        }
        self.out.extend_from_slice(&s[5 + len..]);
        self.staging.clear();
        self.split = true;
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Fragmenting<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Fragmenting<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        if this.split {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        this.staging.extend_from_slice(buf);
        this.try_split();
        if this.split {
            // Whatever does not go out now goes out on the next write or flush.
            if let Poll::Ready(Err(e)) = this.drain(cx) {
                return Poll::Ready(Err(e));
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
