//! One accepted connection: optional TLS, then HTTP/1.1 or HTTP/2 (auto-detected, h2c prior
//! knowledge on plain entrypoints), with every request carrying its `Arc<ConnInfo>`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rampart::context::TlsInfo;
use rampart::middleware::BoxFuture;
use rampart::{ConnInfo, Request, Response};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;
use tracing::debug;

use super::drain::ConnToken;
use super::drive::drive;
use super::settings::ConnSettings;

/// Answers the requests of a connection (the live runtime of one entrypoint).
pub trait Handler: Send + Sync + 'static {
    /// Answers one request; its `Arc<ConnInfo>` is in the extensions.
    fn handle(&self, req: Request) -> BoxFuture<'static, Response>;
}

/// Performs TLS handshakes for an entrypoint.
pub trait TlsAccept: Send + Sync + 'static {
    /// Completes the handshake on `tcp` and tells what was negotiated.
    fn accept(
        &self,
        tcp: TcpStream,
    ) -> BoxFuture<'static, io::Result<(TlsStream<TcpStream>, TlsInfo)>>;
}

pub(super) struct ConnCtx {
    pub(super) entrypoint: Arc<str>,
    pub(super) local: SocketAddr,
    pub(super) peer: SocketAddr,
    pub(super) handler: Arc<dyn Handler>,
    pub(super) tls: Option<Arc<dyn TlsAccept>>,
    pub(super) settings: Arc<ConnSettings>,
}

/// Serves one accepted connection to completion.
///
/// With a TLS acceptor, the first byte decides (as Traefik's TCP router does): a TLS record
/// (`0x16`, handshake) gets a handshake and the TLS routers; anything else is plain HTTP for
/// the plain routers. The wait for that byte is bounded by the read timeout, the handshake by
/// the handshake timeout; a stop drops a connection still in either (it has no request yet).
pub(super) async fn serve(tcp: TcpStream, ctx: ConnCtx, token: ConnToken) {
    let accepted = Instant::now();
    let established = tokio::select! {
        () = token.graceful.wait() => return,
        established = establish(tcp, &ctx) => established,
    };
    match established {
        Some(Established::Plain(tcp, info)) => {
            drive(tcp, info, ctx.handler, &ctx.settings, token, accepted).await;
        }
        Some(Established::Tls(stream, info)) => {
            drive(*stream, info, ctx.handler, &ctx.settings, token, accepted).await;
        }
        None => {}
    }
}

/// A connection ready for HTTP.
enum Established {
    Plain(TcpStream, Arc<ConnInfo>),
    Tls(Box<TlsStream<TcpStream>>, Arc<ConnInfo>),
}

/// Tells TLS from plain HTTP and completes the handshake; `None` if the connection went
/// silent, closed, or failed its handshake.
async fn establish(tcp: TcpStream, ctx: &ConnCtx) -> Option<Established> {
    let (peer, entrypoint) = (ctx.peer, &ctx.entrypoint);
    let acceptor = match &ctx.tls {
        Some(acceptor) => match first_byte(&tcp, ctx.settings.first_byte_timeout()).await? {
            TLS_HANDSHAKE_RECORD => Some(acceptor),
            _ => None,
        },
        None => None,
    };
    let Some(acceptor) = acceptor else {
        let info = ConnInfo::plain(peer, entrypoint).local(ctx.local);
        return Some(Established::Plain(tcp, Arc::new(info)));
    };
    let handshake = tokio::time::timeout(ctx.settings.handshake_timeout, acceptor.accept(tcp));
    match handshake.await {
        Ok(Ok((stream, tls_info))) => {
            let info = ConnInfo::with_tls(peer, entrypoint, tls_info).local(ctx.local);
            Some(Established::Tls(Box::new(stream), Arc::new(info)))
        }
        Ok(Err(e)) => {
            debug!(%peer, %entrypoint, error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            debug!(%peer, %entrypoint, "TLS handshake timed out");
            None
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
