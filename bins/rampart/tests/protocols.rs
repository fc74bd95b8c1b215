//! Which HTTP version a connection speaks: decided by ALPN on TLS connections (RFC 9113 §3.3),
//! by the first bytes on plain ones (the HTTP/2 preface means h2c with prior knowledge), and by
//! hyper when a client has sent only part of the preface so far.

mod common;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use common::TestProxy;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rampart_testkit::{TestCa, Upstream, reply};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

const STATIC: &str = r#"
entryPoints:
  web: {address: "127.0.0.1:0"}
  websecure:
    address: "127.0.0.1:0"
    http: {tls: {}}
providers:
  file: {filename: "{dir}/dynamic.yaml", watch: false}
"#;

/// `text` as a YAML block scalar indented by `indent` spaces.
fn block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from("|\n");
    for line in text.lines() {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
    out
}

async fn proxy() -> (TestProxy, Upstream, TestCa) {
    let up = Upstream::start(|_| async { reply::text(200, "ok") }).await;
    let ca = TestCa::new("protocols test CA");
    let cert = ca.server_cert(&["localhost"]);
    // Traefik's FileOrContent: PEM text in place of a file name.
    let dynamic = format!(
        "
http:
  routers:
    app: {{rule: \"PathPrefix(`/`)\", entryPoints: [web, websecure], service: app}}
  services:
    app:
      loadBalancer:
        servers: [{{url: \"{}\"}}]
tls:
  stores:
    default:
      defaultCertificate:
        certFile: {}
        keyFile: {}",
        up.url(),
        block(&cert.cert_pem, 10),
        block(&cert.key_pem, 10),
    );
    let p = TestProxy::start(STATIC, &[("dynamic.yaml", &dynamic)]).await;
    (p, up, ca)
}

/// GET / on an HTTP/1.1 connection over `io`; the response's version.
async fn get_h1<I>(io: I) -> http::Version
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut tx, conn) = http1::handshake(TokioIo::new(io)).await.unwrap();
    tokio::spawn(conn);
    let req = http::Request::get("/")
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = tx.send_request(req).await.unwrap();
    let version = res.version();
    assert_eq!(res.status(), 200);
    assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "ok");
    version
}

/// GET / on an HTTP/2 connection over `io`; the response's version.
async fn get_h2<I>(io: I) -> http::Version
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut tx, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(io))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = http::Request::get("https://localhost/")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = tx.send_request(req).await.unwrap();
    let version = res.version();
    assert_eq!(res.status(), 200);
    assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "ok");
    version
}

async fn tls(
    p: &TestProxy,
    ca: &TestCa,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(p.addr("websecure")).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(ca.client_config(alpn));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

#[tokio::test]
async fn alpn_decides_on_tls_connections() {
    let (p, _up, ca) = proxy().await;
    assert_eq!(
        get_h2(tls(&p, &ca, &[b"h2"]).await).await,
        http::Version::HTTP_2
    );
    let both = tls(&p, &ca, &[b"h2", b"http/1.1"]).await;
    assert_eq!(both.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(get_h2(both).await, http::Version::HTTP_2);
    assert_eq!(
        get_h1(tls(&p, &ca, &[b"http/1.1"]).await).await,
        http::Version::HTTP_11
    );
    // No ALPN: HTTP/1.1, as Go's server does.
    assert_eq!(
        get_h1(tls(&p, &ca, &[]).await).await,
        http::Version::HTTP_11
    );
    p.stop().await;
}

#[tokio::test]
async fn first_bytes_decide_on_plain_connections() {
    let (p, _up, _ca) = proxy().await;
    let tcp = || TcpStream::connect(p.addr("web"));
    assert_eq!(get_h1(tcp().await.unwrap()).await, http::Version::HTTP_11);
    assert_eq!(get_h2(tcp().await.unwrap()).await, http::Version::HTTP_2);
    // A client that sends one byte, then the rest a little later: the choice is left to hyper,
    // which reads on.
    let slow = SlowStart::new(tcp().await.unwrap());
    assert_eq!(get_h2(slow).await, http::Version::HTTP_2);
    let slow = SlowStart::new(tcp().await.unwrap());
    assert_eq!(get_h1(slow).await, http::Version::HTTP_11);
    p.stop().await;
}

/// A TCP stream whose first write sends only one byte, and whose next write waits 100 ms.
struct SlowStart {
    tcp: TcpStream,
    first: bool,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl SlowStart {
    fn new(tcp: TcpStream) -> Self {
        tcp.set_nodelay(true).unwrap();
        SlowStart {
            tcp,
            first: true,
            pause: None,
        }
    }
}

impl AsyncRead for SlowStart {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for SlowStart {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.first {
            let n = std::task::ready!(Pin::new(&mut self.tcp).poll_write(cx, &buf[..1]))?;
            self.first = false;
            self.pause = Some(Box::pin(tokio::time::sleep(Duration::from_millis(100))));
            return Poll::Ready(Ok(n));
        }
        if let Some(pause) = self.pause.as_mut() {
            std::task::ready!(pause.as_mut().poll(cx));
            self.pause = None;
        }
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}
