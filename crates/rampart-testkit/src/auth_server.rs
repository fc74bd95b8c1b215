//! A programmable auth server on 127.0.0.1:0 for forwardAuth tests.
//!
//! It speaks HTTP/1.1 itself (no client library to "fix" anything), records every request it
//! receives (method, target, headers with their names as sent, body), and answers each with a
//! [`Reply`] chosen by a closure: any status and headers (several `Set-Cookie`, hop-by-hop
//! ones, `Transfer-Encoding: chunked`), a delay, a hang, a huge body, a closed connection, or
//! raw bytes (malformed responses). [`crate::auth_backends`] has ready-made behaviours of
//! Authentik's outpost, Authelia and oauth2-proxy.
//!
//! ```
//! use rampart_testkit::auth_server::{AuthServer, Reply};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let auth = AuthServer::start(|req| {
//!     if req.header("authorization") == Some("Bearer ok") {
//!         Reply::status(200).header("X-Auth-User", "ada")
//!     } else {
//!         Reply::status(401).body("login first")
//!     }
//! })
//! .await;
//! assert!(auth.url("/verify").starts_with("http://127.0.0.1:"));
//! assert_eq!(auth.count(), 0);
//! # });
//! ```

use std::fmt;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::certs::TestCert;

mod wire;

use wire::{read_request, write_reply};

/// One request the auth server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The method, as sent.
    pub method: String,
    /// The request target, as sent (`/verify?x=1`).
    pub target: String,
    /// The headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Bytes,
}

impl Recorded {
    /// The first value of `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` (case-insensitive), in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The header names, lower-cased, sorted and deduplicated.
    pub fn header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The path of the target.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The value of query parameter `name` in `uri` (a target or a full URL), percent-decoded.
    pub fn query_param(uri: &str, name: &str) -> Option<String> {
        let query = uri.split_once('?')?.1.split('#').next()?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
    }
}

/// Decodes `%XX` escapes and `+` (form encoding).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    let hex = |c: u8| char::from(c).to_digit(16);
    while pos < bytes.len() {
        let byte = bytes[pos];
        if byte == b'%'
            && pos + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[pos + 1]), hex(bytes[pos + 2]))
        {
            out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
            pos += 3;
            continue;
        }
        out.push(if byte == b'+' { b' ' } else { byte });
        pos += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes everything but unreserved characters (RFC 3986 §2.3).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// What the server does after reading a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Send the reply.
    Respond,
    /// Never answer (the connection stays open).
    Hang,
    /// Send the status line and headers, then stall the body forever.
    StallBody,
    /// Close the connection without answering.
    Close,
    /// Write these bytes as the whole answer, then close.
    Raw(Bytes),
    /// Send the headers, then a body of this many bytes (streamed, `Content-Length` set).
    Huge(u64),
}

/// An answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers, in order, names as written.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// Wait this long before answering.
    pub delay: Duration,
    /// What to do.
    pub action: Action,
}

impl Reply {
    /// `status`, no headers, empty body.
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            delay: Duration::ZERO,
            action: Action::Respond,
        }
    }

    /// As Go's `http.Error(w, text, status)`: `text\n`, `text/plain; charset=utf-8`,
    /// `X-Content-Type-Options: nosniff`.
    pub fn go_error(status: u16, text: &str) -> Self {
        Reply::status(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("X-Content-Type-Options", "nosniff")
            .body(format!("{text}\n"))
    }

    /// As Go's `http.Redirect` for a GET: `Location`, an HTML body.
    pub fn redirect(status: u16, location: &str) -> Self {
        Reply::status(status)
            .header("Location", location)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(format!("<a href=\"{location}\">Found</a>.\n\n"))
    }

    /// Adds a header (several with the same name are sent as several lines).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Answers after `delay`.
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sets the action.
    #[must_use]
    pub fn action(mut self, action: Action) -> Self {
        self.action = action;
        self
    }

    /// Never answers.
    pub fn hang() -> Self {
        Reply::status(200).action(Action::Hang)
    }
}

/// How the server answers: a closure from the recorded request to a [`Reply`].
pub type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

struct State {
    log: Mutex<Vec<Recorded>>,
    handler: Handler,
    connections: std::sync::atomic::AtomicUsize,
}

/// The running server; stops when dropped.
pub struct AuthServer {
    addr: SocketAddr,
    tls: bool,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthServer")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AuthServer {
    /// Starts a plain-HTTP server answering with `handler`.
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::spawn(Arc::new(handler), None).await
    }

    /// Starts a server answering with a shared [`Handler`].
    pub async fn with_handler(handler: Handler) -> Self {
        Self::spawn(handler, None).await
    }

    /// Starts an HTTPS server presenting `cert` (HTTP/1.1 only).
    pub async fn start_tls(
        cert: &TestCert,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let mut config = (*cert.server_config()).clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Self::spawn(Arc::new(handler), Some(Arc::new(config))).await
    }

    /// Answers every request with `replies` in turn, repeating the last one.
    pub async fn script(replies: Vec<Reply>) -> Self {
        let replies = Arc::new(replies);
        let next = Arc::new(Mutex::new(0usize));
        Self::start(move |_| {
            let mut i = next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let reply = replies
                .get(*i)
                .or_else(|| replies.last())
                .cloned()
                .unwrap_or_else(|| Reply::status(200));
            *i += 1;
            reply
        })
        .await
    }

    /// An address nothing listens on (an auth server that is down).
    pub async fn down() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        listener.local_addr().expect("local address")
    }

    async fn spawn(handler: Handler, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            log: Mutex::new(Vec::new()),
            handler,
            connections: std::sync::atomic::AtomicUsize::new(0),
        });
        let is_tls = tls.is_some();
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let st = state.clone();
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) aborts every connection.
            let mut conns = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                while conns.try_join_next().is_some() {}
                st.connections
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let st = st.clone();
                let acceptor = acceptor.clone();
                conns.spawn(async move {
                    match acceptor {
                        Some(acc) => {
                            if let Ok(tls) = acc.accept(stream).await {
                                serve(tls, &st).await;
                            }
                        }
                        None => serve(stream, &st).await,
                    }
                });
            }
        });
        AuthServer {
            addr,
            tls: is_tls,
            state,
            task,
        }
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}` (or `https://localhost:PORT{path}` for TLS).
    pub fn url(&self, path: &str) -> String {
        if self.tls {
            format!("https://localhost:{}{path}", self.addr.port())
        } else {
            format!("http://{}{path}", self.addr)
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The last request received.
    pub fn last(&self) -> Option<Recorded> {
        self.requests().pop()
    }

    /// How many connections were accepted (pooling shows as fewer connections than requests).
    pub fn connections(&self) -> usize {
        self.state
            .connections
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        self.state
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

/// Serves one connection: requests in a loop until close.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, state: &State) {
    let mut buf = BytesMut::with_capacity(8192);
    loop {
        let Some((req, close)) = read_request(&mut io, &mut buf).await else {
            return;
        };
        state
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(req.clone());
        let reply = (state.handler)(&req);
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        let Ok(keep) = write_reply(&mut io, &reply).await else {
            return;
        };
        if close || !keep {
            let _ = io.shutdown().await;
            return;
        }
    }
}
