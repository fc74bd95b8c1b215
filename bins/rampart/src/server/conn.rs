//! One accepted connection: optional TLS, then HTTP/1.1 or HTTP/2 (auto-detected, h2c prior
//! knowledge on plain entrypoints), with every request carrying its `Arc<ConnInfo>`.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::Watcher;
use rampart::context::TlsInfo;
use rampart::middleware::BoxFuture;
use rampart::{Body, ConnInfo, Request, Response};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tracing::debug;

/// Answers the requests of a connection (the live runtime of one entrypoint).
///
/// The future is a concrete type (not boxed): hyper keeps it inside the connection's own
/// state, so answering a request costs no allocation here.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request; its `Arc<ConnInfo>` is in the extensions.
    fn handle(&self, req: Request) -> impl Future<Output = Response> + Send + use<Self>;
}

/// Performs TLS handshakes for an entrypoint.
pub trait TlsAccept: Send + Sync + 'static {
    /// Completes the handshake on `tcp` and tells what was negotiated.
    fn accept(
        &self,
        tcp: TcpStream,
    ) -> BoxFuture<'static, io::Result<(TlsStream<TcpStream>, TlsInfo)>>;
}

/// Connection-level settings of an entrypoint (from `transport` and `http2` in the static config).
#[derive(Debug)]
pub struct ConnSettings {
    /// The hyper builder (HTTP/1.1 + HTTP/2, reading the HTTP/2 preface to choose), configured
    /// once.
    builder: auto::Builder<TokioExecutor>,
    /// The same, HTTP/1.1 only: when ALPN or the first bytes already told.
    http1: auto::Builder<TokioExecutor>,
    /// The same, HTTP/2 only.
    http2: auto::Builder<TokioExecutor>,
    /// Bound on the TLS handshake (slow or stalled clients).
    pub handshake_timeout: Duration,
    /// Bound on waiting for a new connection's first byte (the read timeout).
    pub first_byte_timeout: Duration,
}

impl ConnSettings {
    /// Settings from Traefik's knobs: `readTimeout` bounds reading a request head,
    /// `idleTimeout` bounds an idle HTTP/2 connection (keep-alive pings), `max_header_bytes`
    /// bounds the HTTP/1 read buffer, `max_concurrent_streams` the HTTP/2 streams.
    pub fn new(
        read_timeout: Option<Duration>,
        idle_timeout: Option<Duration>,
        max_header_bytes: usize,
        max_concurrent_streams: u32,
    ) -> Self {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .max_buf_size(max_header_bytes.max(8192))
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(max_concurrent_streams)
            .keep_alive_interval(idle_timeout)
            .enable_connect_protocol();
        ConnSettings {
            http1: builder.clone().http1_only(),
            http2: builder.clone().http2_only(),
            builder,
            handshake_timeout: Duration::from_secs(10),
            first_byte_timeout: read_timeout.unwrap_or(Duration::from_mins(1)),
        }
    }
}

impl Default for ConnSettings {
    fn default() -> Self {
        // Traefik's defaults: readTimeout 60s, idleTimeout 180s, maxHeaderBytes 1 MiB, 250 streams.
        ConnSettings::new(
            Some(Duration::from_mins(1)),
            Some(Duration::from_mins(3)),
            1 << 20,
            250,
        )
    }
}

pub(super) struct ConnCtx<H> {
    pub(super) entrypoint: Arc<str>,
    pub(super) local: SocketAddr,
    pub(super) peer: SocketAddr,
    pub(super) handler: Arc<H>,
    pub(super) tls: Option<Arc<dyn TlsAccept>>,
    pub(super) settings: Arc<ConnSettings>,
}

/// Serves one accepted connection to completion.
///
/// The first bytes decide, without consuming them (as Traefik's TCP router does for TLS): a
/// TLS record (`0x16`, handshake) gets a handshake and the TLS routers, then ALPN chooses
/// HTTP/2 or HTTP/1.1 (RFC 9113 §3.3: HTTP/2 over TLS is negotiated, never guessed); the
/// HTTP/2 preface means h2c with prior knowledge; anything else is HTTP/1.1. Only a client that
/// has sent part of the preface so far leaves the choice to hyper. The wait for those bytes is
/// bounded by the read timeout.
///
/// The connection's HTTP state is allocated on its own, at the size of the protocol it speaks:
/// this task's own state stays a few hundred bytes, which is what an idle keep-alive
/// connection costs besides hyper's buffers.
pub(super) async fn serve<H: Handler>(tcp: TcpStream, ctx: ConnCtx<H>, watcher: Watcher) {
    let ConnCtx {
        entrypoint,
        local,
        peer,
        handler,
        tls,
        settings,
    } = ctx;
    let Some(sniffed) = sniff(&tcp, settings.first_byte_timeout).await else {
        return;
    };
    let acceptor = match (sniffed, tls) {
        (Sniffed::Tls, Some(acceptor)) => acceptor,
        (sniffed, _) => {
            let info = Arc::new(ConnInfo::plain(peer, &entrypoint).local(local));
            let builder = match sniffed {
                Sniffed::H2 => &settings.http2,
                Sniffed::Unsure => &settings.builder,
                Sniffed::H1 | Sniffed::Tls => &settings.http1,
            };
            let conn = run_http(TokioIo::new(tcp), info, handler, builder, watcher);
            Box::pin(conn).await;
            return;
        }
    };
    let handshake = tokio::time::timeout(settings.handshake_timeout, acceptor.accept(tcp));
    match handshake.await {
        Ok(Ok((stream, tls_info))) => {
            let builder = if tls_info.alpn.as_deref() == Some(b"h2") {
                &settings.http2
            } else {
                &settings.http1
            };
            let info = Arc::new(ConnInfo::with_tls(peer, &entrypoint, tls_info).local(local));
            let conn = run_http(TokioIo::new(stream), info, handler, builder, watcher);
            Box::pin(conn).await;
        }
        Ok(Err(e)) => debug!(%peer, %entrypoint, error = %e, "TLS handshake failed"),
        Err(_) => debug!(%peer, %entrypoint, "TLS handshake timed out"),
    }
}

/// The content type of a TLS handshake record (RFC 8446 §5.1).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// The HTTP/2 connection preface (RFC 9113 §3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What a connection's first bytes say it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    /// A TLS handshake record.
    Tls,
    /// The whole HTTP/2 preface: h2c with prior knowledge.
    H2,
    /// Part of the preface so far: could still be either.
    Unsure,
    /// Anything else.
    H1,
}

/// Peeks at a connection's first bytes (nothing is consumed); `None` if it closed or stayed
/// silent for `timeout`.
async fn sniff(tcp: &TcpStream, timeout: Duration) -> Option<Sniffed> {
    let mut buf = [0u8; H2_PREFACE.len()];
    let n = match tokio::time::timeout(timeout, tcp.peek(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => n,
        _ => return None,
    };
    Some(classify(&buf[..n]))
}

fn classify(first: &[u8]) -> Sniffed {
    if first.first() == Some(&TLS_HANDSHAKE_RECORD) {
        Sniffed::Tls
    } else if !H2_PREFACE.starts_with(first) {
        Sniffed::H1
    } else if first.len() == H2_PREFACE.len() {
        Sniffed::H2
    } else {
        Sniffed::Unsure
    }
}

async fn run_http<I, H>(
    io: TokioIo<I>,
    info: Arc<ConnInfo>,
    handler: Arc<H>,
    builder: &auto::Builder<TokioExecutor>,
    watcher: Watcher,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    H: Handler,
{
    let peer = info.peer;
    let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
        let mut req = req.map(Body::from);
        req.extensions_mut().insert(info.clone());
        let fut = handler.handle(req);
        async move { Ok::<_, Infallible>(fut.await) }
    });
    let conn = builder.serve_connection_with_upgrades(io, service);
    if let Err(e) = watcher.watch(conn).await {
        debug!(%peer, error = %e, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bytes_choose_the_protocol() {
        assert_eq!(classify(b"\x16\x03\x01\x02\x00"), Sniffed::Tls);
        assert_eq!(classify(b"GET / HTTP/1.1\r\n"), Sniffed::H1);
        assert_eq!(classify(b"POST /x HTTP/1.1\r\n"), Sniffed::H1);
        assert_eq!(classify(b"PROPFIND / HTTP/1.1"), Sniffed::H1);
        assert_eq!(classify(b"P"), Sniffed::Unsure);
        assert_eq!(classify(b"PRI * HTTP/2.0\r\n"), Sniffed::Unsure);
        assert_eq!(classify(H2_PREFACE), Sniffed::H2);
    }
}
