//! One accepted connection: optional TLS, then HTTP/1.1 or HTTP/2 (chosen by ALPN or the
//! first bytes; h2c prior knowledge on plain entrypoints), with every request carrying its
//! `Arc<ConnInfo>`.

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
use super::drive::{Http, drive};
use super::settings::ConnSettings;

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
/// bounded by the read timeout, the handshake by the handshake timeout; a stop drops a
/// connection still in either (it has no request yet).
///
/// The connection's HTTP state is allocated on its own, at the size of the protocol it speaks:
/// this task's own state stays small, which is what a parked keep-alive connection costs
/// besides the driver's state (`drive.rs`).
pub(super) async fn serve<H: Handler>(tcp: TcpStream, ctx: ConnCtx<H>, token: ConnToken) {
    let accepted = Instant::now();
    // Boxed: its timers and handshake state are needed once, but inline they would size the
    // task that every idle keep-alive connection keeps.
    let establishing = Box::pin(establish(tcp, &ctx));
    let established = tokio::select! {
        () = token.graceful.wait() => return,
        established = establishing => established,
    };
    let settings = &ctx.settings;
    match established {
        Some(Established::Plain(tcp, info, sniffed)) => {
            let http = match sniffed {
                Sniffed::H2 => Http::Auto(&settings.http2),
                Sniffed::Unsure => Http::Auto(&settings.builder),
                Sniffed::H1 | Sniffed::Tls => Http::H1(&settings.http1),
            };
            let conn = drive(tcp, info, ctx.handler, settings, http, token, accepted);
            Box::pin(conn).await;
        }
        Some(Established::Tls(stream, info)) => {
            let http = http_for_alpn(settings, info.tls.as_ref());
            let conn = drive(
                *stream,
                info.clone(),
                ctx.handler,
                settings,
                http,
                token,
                accepted,
            );
            Box::pin(conn).await;
        }
        None => {}
    }
}

/// HTTP/2 when ALPN chose it, HTTP/1.1 otherwise (no ALPN means HTTP/1.1 over TLS).
fn http_for_alpn<'s>(settings: &'s ConnSettings, tls: Option<&TlsInfo>) -> Http<'s> {
    if tls.and_then(|t| t.alpn.as_deref()) == Some(b"h2") {
        Http::Auto(&settings.http2)
    } else {
        Http::H1(&settings.http1)
    }
}

/// A connection ready for HTTP.
enum Established {
    Plain(TcpStream, Arc<ConnInfo>, Sniffed),
    Tls(Box<TlsStream<TcpStream>>, Arc<ConnInfo>),
}

/// Tells TLS from plain HTTP and completes the handshake; `None` if the connection went
/// silent, closed, or failed its handshake.
async fn establish<H>(tcp: TcpStream, ctx: &ConnCtx<H>) -> Option<Established> {
    let (peer, entrypoint) = (ctx.peer, &ctx.entrypoint);
    let sniffed = sniff(&tcp, ctx.settings.first_byte_timeout()).await?;
    let acceptor = match (sniffed, &ctx.tls) {
        (Sniffed::Tls, Some(acceptor)) => acceptor,
        (sniffed, _) => {
            let info = ConnInfo::plain(peer, entrypoint).local(ctx.local);
            return Some(Established::Plain(tcp, Arc::new(info), sniffed));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    struct Hello;

    impl Handler for Hello {
        fn handle(&self, _req: Request) -> impl Future<Output = Response> + Send + use<> {
            std::future::ready(Response::new(rampart::Body::empty()))
        }
    }

    /// Every idle keep-alive connection holds its task for as long as it stays open, so what
    /// lives in the task future is paid 10,000 times over (BENCHMARKS.md, "Idle
    /// connections"): the one-off handshake state is boxed away once established.
    #[tokio::test]
    async fn the_connection_task_stays_small() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap();
        let tcp = TcpStream::connect(local).await.unwrap();
        let drain = crate::server::drain::Drain::new();
        let ctx = ConnCtx {
            entrypoint: Arc::from("web"),
            local,
            peer: local,
            handler: Arc::new(Hello),
            tls: None,
            settings: Arc::new(ConnSettings::default()),
        };
        let task = serve(tcp, ctx, drain.token());
        let size = size_of_val(&task);
        eprintln!("connection task future: {size} bytes");
        // 1,216 bytes with the handshake state inline (test profile).
        assert!(size <= 768, "connection task future is {size} bytes");
        // What a parked connection keeps besides the task: the driver's own state. hyper's
        // connection is boxed out of it (inline, hyper-util's made it 2.9 KiB). 1,616 bytes
        // in the test profile: the timer, the stop signals, the stream and the wait futures.
        let client = TcpStream::connect(local).await.unwrap();
        let settings = ConnSettings::default();
        let info = Arc::new(ConnInfo::plain(local, "web"));
        let driver = drive(
            client,
            info,
            Arc::new(Hello),
            &settings,
            Http::H1(&settings.http1),
            drain.token(),
            Instant::now(),
        );
        let size = size_of_val(&driver);
        eprintln!("connection driver future: {size} bytes");
        assert!(size <= 1700, "connection driver future is {size} bytes");
    }

    /// Reads one answer without a body (the handler's) from a raw client.
    async fn answer(client: &mut TcpStream) -> String {
        use tokio::io::AsyncReadExt as _;
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !got.ends_with(b"\r\n\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(5), client.read(&mut buf))
                .await
                .expect("an answer in time")
                .expect("read");
            assert!(
                n > 0,
                "closed before the answer: {:?}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(got).unwrap()
    }

    async fn until(what: &str, mut done: impl FnMut() -> bool) {
        let started = std::time::Instant::now();
        while !done() {
            assert!(started.elapsed() < Duration::from_secs(5), "never {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A served connection with `park_after` and `idle` timeout, and its raw client.
    async fn parkable(
        park_after: Duration,
        idle: Duration,
    ) -> (
        TcpStream,
        crate::server::drain::Drain,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap();
        let defaults = ConnSettings::default();
        let settings = ConnSettings {
            park_after: Some(park_after),
            timeouts: crate::server::Timeouts {
                idle: Some(idle),
                ..defaults.timeouts
            },
            ..defaults
        };
        let client = TcpStream::connect(local).await.unwrap();
        let (tcp, peer) = listener.accept().await.unwrap();
        let drain = crate::server::drain::Drain::new();
        let ctx = ConnCtx {
            entrypoint: Arc::from("web"),
            local,
            peer,
            handler: Arc::new(Hello),
            tls: None,
            settings: Arc::new(settings),
        };
        let task = tokio::spawn(serve(tcp, ctx, drain.token()));
        (client, drain, task)
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    #[tokio::test]
    async fn an_idle_http1_connection_is_parked_and_its_next_request_served() {
        use tokio::io::AsyncWriteExt as _;
        let (mut client, drain, task) =
            parkable(Duration::from_millis(50), Duration::from_mins(1)).await;
        for _ in 0..3 {
            client.write_all(GET).await.unwrap();
            assert!(answer(&mut client).await.starts_with("HTTP/1.1 200"));
            until("parked", || drain.parked() == 1).await;
        }
        // A request head arriving in pieces while parked: the first bytes unpark it, the rest
        // reach the fresh hyper connection.
        client.write_all(&GET[..7]).await.unwrap();
        until("unparked", || drain.parked() == 0).await;
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(drain.parked(), 0, "a request head has started: not idle");
        client.write_all(&GET[7..]).await.unwrap();
        assert!(answer(&mut client).await.starts_with("HTTP/1.1 200"));
        // Two pipelined requests, then the client goes away: both answered, the task ends.
        client.write_all(&[GET, GET].concat()).await.unwrap();
        let both = answer(&mut client).await;
        let both = if both.matches("HTTP/1.1 200").count() == 2 {
            both
        } else {
            both + &answer(&mut client).await
        };
        assert_eq!(both.matches("HTTP/1.1 200").count(), 2, "{both}");
        until("parked", || drain.parked() == 1).await;
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("a parked connection ends when its client closes")
            .unwrap();
        assert_eq!((drain.parked(), drain.connections()), (0, 0));
    }

    #[tokio::test]
    async fn a_parked_connection_closes_at_idle_timeout_and_at_a_stop() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let idle = Duration::from_millis(400);
        let (mut client, drain, task) = parkable(Duration::from_millis(50), idle).await;
        client.write_all(GET).await.unwrap();
        answer(&mut client).await;
        let idle_from = std::time::Instant::now();
        until("parked", || drain.parked() == 1).await;
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(Duration::from_secs(5), client.read(&mut buf))
            .await
            .expect("closed by the idle timeout")
            .unwrap_or(0);
        assert_eq!(n, 0, "closed, nothing sent");
        assert!(idle_from.elapsed() + Duration::from_millis(50) >= idle);
        task.await.unwrap();

        let (mut client, drain, task) =
            parkable(Duration::from_millis(50), Duration::from_mins(1)).await;
        client.write_all(GET).await.unwrap();
        answer(&mut client).await;
        until("parked", || drain.parked() == 1).await;
        drain.start();
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .expect("a stop closes a parked connection at once")
            .unwrap();
    }

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
