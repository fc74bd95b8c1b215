//! Programmable upstream servers on 127.0.0.1: HTTP/1.1 and HTTP/2 (h2c prior knowledge on
//! plain TCP, ALPN over TLS), recording every request they get.
//!
//! ```no_run
//! # async fn demo() {
//! use rampart_testkit::{Upstream, reply};
//! let up = Upstream::start(|req| async move {
//!     reply::text(200, format!("you asked for {}", req.uri()))
//! })
//! .await;
//! // … send requests to up.url() …
//! assert_eq!(up.requests()[0].uri, "/hello");
//! # }
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Method, Uri, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::reply::{self, Reply};

type BoxFut = Pin<Box<dyn Future<Output = Reply> + Send>>;
type Buffered = Arc<dyn Fn(http::Request<Bytes>) -> BoxFut + Send + Sync>;
type Streaming = Arc<dyn Fn(http::Request<Incoming>) -> BoxFut + Send + Sync>;

#[derive(Clone)]
enum Handler {
    Buffered(Buffered),
    Streaming(Streaming),
}

/// What an upstream received: one entry per request, in arrival order.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: Method,
    /// The request target as received (origin-form on HTTP/1.1, absolute on HTTP/2).
    pub uri: Uri,
    /// The protocol version.
    pub version: Version,
    /// Every header, as received.
    pub headers: HeaderMap,
    /// The whole body (empty for streaming handlers, which read it themselves).
    pub body: Bytes,
    /// The trailers, if the body had some (buffered handlers only).
    pub trailers: Option<HeaderMap>,
    /// The TCP peer (the proxy's side of the connection).
    pub peer: SocketAddr,
}

impl Recorded {
    /// The first value of header `name` as a string, `""` when missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The path and query of the request target.
    pub fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map_or("/", |p| p.as_str())
    }
}

/// How an upstream listens.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Serve TLS with this config (ALPN decides between h2 and http/1.1).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Speak HTTP/1.1 only (no h2c prior knowledge).
    pub http1_only: bool,
    /// Speak HTTP/2 only.
    pub http2_only: bool,
}

impl Options {
    /// Plain TCP, HTTP/1.1 and h2c.
    pub fn new() -> Self {
        Options::default()
    }

    /// TLS with `config`.
    #[must_use]
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// HTTP/1.1 only.
    #[must_use]
    pub fn http1_only(mut self) -> Self {
        self.http1_only = true;
        self
    }

    /// HTTP/2 only.
    #[must_use]
    pub fn http2_only(mut self) -> Self {
        self.http2_only = true;
        self
    }
}

struct Shared {
    records: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
}

/// A running test upstream; stops when dropped.
pub struct Upstream {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// A plain HTTP/1.1 + h2c upstream whose handler gets the request with its body read.
    pub async fn start<F, Fut>(handler: F) -> Upstream
    where
        F: Fn(http::Request<Bytes>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        Upstream::start_with(Options::new(), handler).await
    }

    /// Like [`Upstream::start`], listening as `options` say.
    pub async fn start_with<F, Fut>(options: Options, handler: F) -> Upstream
    where
        F: Fn(http::Request<Bytes>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        let h: Buffered = Arc::new(move |req| Box::pin(handler(req)));
        Upstream::spawn(options, Handler::Buffered(h)).await
    }

    /// An upstream whose handler gets hyper's streaming body (and the upgrade, if any); only the
    /// request head is recorded.
    pub async fn start_streaming<F, Fut>(options: Options, handler: F) -> Upstream
    where
        F: Fn(http::Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        let h: Streaming = Arc::new(move |req| Box::pin(handler(req)));
        Upstream::spawn(options, Handler::Streaming(h)).await
    }

    /// An upstream answering `200 OK` with body `ok` to everything.
    pub async fn ok() -> Upstream {
        Upstream::start(|_| async { reply::text(200, "ok") }).await
    }

    /// An upstream answering with its own name as body (to tell servers apart in balancing).
    pub async fn named(name: &'static str) -> Upstream {
        Upstream::start(move |_| async move { reply::text(200, name) }).await
    }

    async fn spawn(options: Options, handler: Handler) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            records: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
        });
        let tls = options.tls.is_some();
        let task = tokio::spawn(accept_loop(listener, options, handler, shared.clone()));
        Upstream {
            addr,
            tls,
            shared,
            task,
        }
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (or `https://`).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// `h2c://127.0.0.1:PORT`: Traefik's scheme for HTTP/2 with prior knowledge.
    pub fn h2c_url(&self) -> String {
        format!("h2c://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.records.lock().expect("not poisoned").clone()
    }

    /// The last request received.
    pub fn last_request(&self) -> Option<Recorded> {
        self.shared
            .records
            .lock()
            .expect("not poisoned")
            .last()
            .cloned()
    }

    /// How many requests arrived.
    pub fn request_count(&self) -> usize {
        self.shared.records.lock().expect("not poisoned").len()
    }

    /// How many TCP connections were accepted (to see pooling and non-reuse).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    options: Options,
    handler: Handler,
    shared: Arc<Shared>,
) {
    let acceptor = options.tls.clone().map(TlsAcceptor::from);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let (options, handler, shared, acceptor) = (
            options.clone(),
            handler.clone(),
            shared.clone(),
            acceptor.clone(),
        );
        // Connections live in the JoinSet, so dropping the upstream (aborting this loop) closes
        // them too.
        conns.spawn(async move {
            match acceptor {
                Some(acceptor) => {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve(TokioIo::new(tls), peer, &options, handler, shared).await;
                    }
                }
                None => serve(TokioIo::new(tcp), peer, &options, handler, shared).await,
            }
        });
        while conns.try_join_next().is_some() {}
    }
}

async fn serve<I>(io: I, peer: SocketAddr, options: &Options, handler: Handler, shared: Arc<Shared>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    if options.http1_only {
        builder = builder.http1_only();
    } else if options.http2_only {
        builder = builder.http2_only();
    }
    let svc = service_fn(move |req: http::Request<Incoming>| {
        let (handler, shared) = (handler.clone(), shared.clone());
        async move { Ok::<_, std::convert::Infallible>(handle(req, peer, handler, shared).await) }
    });
    let _ = builder.serve_connection_with_upgrades(io, svc).await;
}

async fn handle(
    req: http::Request<Incoming>,
    peer: SocketAddr,
    handler: Handler,
    shared: Arc<Shared>,
) -> Reply {
    let mut record = Recorded {
        method: req.method().clone(),
        uri: req.uri().clone(),
        version: req.version(),
        headers: req.headers().clone(),
        body: Bytes::new(),
        trailers: None,
        peer,
    };
    match handler {
        Handler::Streaming(h) => {
            shared.records.lock().expect("not poisoned").push(record);
            h(req).await
        }
        Handler::Buffered(h) => {
            let (parts, body) = req.into_parts();
            let collected = match body.collect().await {
                Ok(c) => c,
                Err(e) => return reply::text(400, format!("body error: {e}")),
            };
            record.trailers = collected.trailers().cloned();
            let bytes = collected.to_bytes();
            record.body = bytes.clone();
            shared.records.lock().expect("not poisoned").push(record);
            h(http::Request::from_parts(parts, bytes)).await
        }
    }
}

/// Connects a plain TCP stream to an upstream (for raw-socket tests).
pub async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("connect")
}

#[cfg(test)]
mod tests {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;

    use super::*;
    use crate::reply::Generated;

    #[tokio::test]
    async fn records_requests_and_answers_h1_and_h2c() {
        let up = Upstream::start(|req| async move {
            reply::text(200, format!("{} bytes", req.body().len()))
        })
        .await;
        for h2 in [false, true] {
            let client = Client::builder(TokioExecutor::new())
                .http2_only(h2)
                .build_http::<Full<Bytes>>();
            let req = http::Request::post(format!("{}/p?q=1", up.url()))
                .header("x-test", "1")
                .body(Full::new(Bytes::from_static(b"abc")))
                .unwrap();
            let res = client.request(req).await.unwrap();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, "3 bytes");
            let r = up.last_request().unwrap();
            assert_eq!(r.path_and_query(), "/p?q=1");
            assert_eq!(r.header("x-test"), "1");
            assert_eq!(r.body, "abc");
            let want = if h2 {
                Version::HTTP_2
            } else {
                Version::HTTP_11
            };
            assert_eq!(r.version, want);
        }
        assert_eq!(up.request_count(), 2);
    }

    #[tokio::test]
    async fn generated_bodies_follow_their_pattern() {
        let body = Generated::new(1000, 64).collect().await.unwrap().to_bytes();
        assert_eq!(body.len(), 1000);
        assert!(
            body.iter()
                .enumerate()
                .all(|(i, b)| *b == Generated::byte_at(i as u64))
        );
    }
}
