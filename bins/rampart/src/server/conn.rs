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
    /// The hyper builder (HTTP/1.1 + HTTP/2), configured once.
    builder: auto::Builder<TokioExecutor>,
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
/// With a TLS acceptor, the first byte decides (as Traefik's TCP router does): a TLS record
/// (`0x16`, handshake) gets a handshake and the TLS routers; anything else is plain HTTP for
/// the plain routers. The wait for that byte is bounded by the read timeout.
pub(super) async fn serve<H: Handler>(tcp: TcpStream, ctx: ConnCtx<H>, watcher: Watcher) {
    let ConnCtx {
        entrypoint,
        local,
        peer,
        handler,
        tls,
        settings,
    } = ctx;
    let acceptor = match tls {
        Some(acceptor) => match first_byte(&tcp, settings.first_byte_timeout).await {
            Some(TLS_HANDSHAKE_RECORD) => Some(acceptor),
            Some(_) => None,
            None => return,
        },
        None => None,
    };
    match acceptor {
        None => {
            let info = Arc::new(ConnInfo::plain(peer, &entrypoint).local(local));
            run_http(TokioIo::new(tcp), info, handler, &settings, watcher).await;
        }
        Some(acceptor) => {
            let handshake = tokio::time::timeout(settings.handshake_timeout, acceptor.accept(tcp));
            match handshake.await {
                Ok(Ok((stream, tls_info))) => {
                    let info =
                        Arc::new(ConnInfo::with_tls(peer, &entrypoint, tls_info).local(local));
                    run_http(TokioIo::new(stream), info, handler, &settings, watcher).await;
                }
                Ok(Err(e)) => debug!(%peer, %entrypoint, error = %e, "TLS handshake failed"),
                Err(_) => debug!(%peer, %entrypoint, "TLS handshake timed out"),
            }
        }
    }
}

/// The content type of a TLS handshake record (RFC 8446 §5.1).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// The connection's first byte, without consuming it; `None` if it closed or stayed silent.
async fn first_byte(tcp: &TcpStream, timeout: Duration) -> Option<u8> {
    let mut buf = [0u8; 1];
    match tokio::time::timeout(timeout, tcp.peek(&mut buf)).await {
        Ok(Ok(1)) => Some(buf[0]),
        _ => None,
    }
}

async fn run_http<I, H>(
    io: TokioIo<I>,
    info: Arc<ConnInfo>,
    handler: Arc<H>,
    settings: &ConnSettings,
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
    let conn = settings
        .builder
        .serve_connection_with_upgrades(io, service)
        .into_owned();
    if let Err(e) = watcher.watch(conn).await {
        debug!(%peer, error = %e, "connection ended with an error");
    }
}
