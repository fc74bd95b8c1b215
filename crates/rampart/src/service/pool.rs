//! Keep-alive connection pools over hyper's client connection API.
//!
//! Why not hyper-util's pooled client: it takes the HTTP/2 `:authority` from the same URI it
//! dials and keys its pool by, so a proxy cannot send the client's host as `:authority` to the
//! server it picked (Traefik's `passHostHeader` over HTTP/2: Go sends `req.Host`). Here the
//! pool is keyed by the server dialled, and the request's `Host` becomes `:authority` on
//! HTTP/2 connections.
//!
//! * HTTP/1.1 — every connection to a server stays in that server's list while it is open,
//!   busy or not. A request takes the most recently used one whose previous exchange is over
//!   (hyper's `is_ready()`: the response was read to the end, so a connection whose body
//!   failed is never reused) and hands its request to it under the list's lock, so nothing
//!   has to put a connection back when a response ends: no task per request. At most
//!   `maxIdleConnsPerHost` idle ones are kept (the extra ones are closed when a new one is
//!   dialled, or by the reaper), and one idle for `idleConnTimeout` is closed.
//! * HTTP/2 — one multiplexed connection per server, re-dialled once closed.
//! * A request that a reused connection could not even start sending (the server closed it
//!   while idle) is retried once on a new connection, as hyper-util and Go do.
//!
//! The per-server lists are found without a lock (a copy-on-write map: servers are added when
//! first dialled, which is rare), then each list has its own lock, held for a scan of atomic
//! flags and a channel send.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use http::header::{HOST, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Uri, Version};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_service::Service as _;

use super::transport::Connector;
use crate::table::FxHasher;
use crate::{Body, BoxError};

/// Where a pooled connection goes: a server's scheme and authority.
#[derive(Debug, Clone)]
pub(crate) struct Dial {
    uri: Uri,
    /// The URI's hash, computed once: a dial target is looked up on every request.
    hash: u64,
    /// The authority as a `Host` value, for requests that carry none.
    host: HeaderValue,
}

impl PartialEq for Dial {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.uri == other.uri
    }
}

impl Eq for Dial {}

impl Hash for Dial {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl Dial {
    /// A dial target from a scheme (`http`/`https`) and an authority.
    pub(crate) fn new(scheme: Scheme, authority: Authority) -> Self {
        let uri = Uri::builder()
            .scheme(scheme)
            .authority(authority)
            .path_and_query("/")
            .build()
            .expect("scheme and authority make a URI");
        let mut h = FxHasher::default();
        uri.hash(&mut h);
        Dial {
            hash: h.finish(),
            host: HeaderValue::from_str(uri.authority().map_or("", Authority::as_str))
                .expect("an authority is a valid header value"),
            uri,
        }
    }

    fn authority(&self) -> &Authority {
        self.uri.authority().expect("built with an authority")
    }

    fn scheme(&self) -> &Scheme {
        self.uri.scheme().expect("built with a scheme")
    }
}

/// An HTTP/1.1 connection in a server's list.
struct H1 {
    tx: http1::SendRequest<Body>,
    /// When it last took a request (its idle time is measured from there: conservative).
    last_used: Instant,
}

/// The connections to one server.
#[derive(Default)]
struct Conns {
    h1: Vec<H1>,
    h2: Option<http2::SendRequest<Body>>,
}

type Slots = HashMap<Dial, Arc<Mutex<Conns>>, BuildHasherDefault<FxHasher>>;

struct Inner {
    connector: Connector,
    /// h2c: HTTP/2 with prior knowledge on every connection.
    force_h2: bool,
    max_idle: usize,
    idle_timeout: Option<Duration>,
    slots: ArcSwap<Slots>,
    /// Serialises adding a server to `slots` (read without a lock).
    adding: Mutex<()>,
}

/// One pool: connections to every server a transport talks to, in one mode.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("force_h2", &self.inner.force_h2)
            .field("max_idle", &self.inner.max_idle)
            .finish_non_exhaustive()
    }
}

enum Conn {
    H1(http1::SendRequest<Body>),
    H2(http2::SendRequest<Body>),
}

/// The server's HTTP/2 connection, if it has a live one.
fn cached_h2(conns: &Mutex<Conns>) -> Option<http2::SendRequest<Body>> {
    let mut c = lock(conns);
    match &c.h2 {
        Some(tx) if !tx.is_closed() => Some(tx.clone()),
        Some(_) => {
            c.h2 = None;
            None
        }
        None => None,
    }
}

fn lock(conns: &Mutex<Conns>) -> MutexGuard<'_, Conns> {
    // A panic while holding the lock leaves a list of connections, still valid.
    conns
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Pool {
    /// A pool dialling through `connector`. Inside a Tokio runtime it spawns its idle reaper;
    /// outside one, expired idle connections are only dropped when next looked at.
    pub(crate) fn new(
        connector: Connector,
        force_h2: bool,
        max_idle: usize,
        idle_timeout: Option<Duration>,
    ) -> Self {
        let inner = Arc::new(Inner {
            connector,
            force_h2,
            max_idle,
            idle_timeout,
            slots: ArcSwap::default(),
            adding: Mutex::new(()),
        });
        if let Some(timeout) = idle_timeout
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(reap(Arc::downgrade(&inner), timeout));
        }
        Pool { inner }
    }

    /// The connection list of `dial`, created on first use.
    fn conns(&self, dial: &Dial) -> Arc<Mutex<Conns>> {
        if let Some(c) = self.inner.slots.load().get(dial) {
            return c.clone();
        }
        let _adding = self
            .inner
            .adding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = self.inner.slots.load_full();
        if let Some(c) = current.get(dial) {
            return c.clone();
        }
        let mut next = Slots::clone(&current);
        let conns = Arc::new(Mutex::new(Conns::default()));
        next.insert(dial.clone(), conns.clone());
        self.inner.slots.store(Arc::new(next));
        conns
    }

    /// Sends `req` (origin-form URI; `Host` says which host it is for) to `dial`.
    ///
    /// On HTTP/1.1 the request goes as is (a missing `Host` becomes the server's authority);
    /// on HTTP/2 `Host` becomes `:authority`.
    pub(crate) async fn send(
        &self,
        dial: &Dial,
        mut req: http::Request<Body>,
    ) -> Result<http::Response<Incoming>, BoxError> {
        let conns = self.conns(dial);
        // Reused connections first; one whose server closed it while idle hands the request
        // back, and the next one (or a new one) gets it.
        loop {
            if let Some(mut tx) = cached_h2(&conns) {
                h2_form(dial, &mut req)?;
                match tx.try_send_request(req).await {
                    Ok(res) => return Ok(res),
                    Err(mut e) => match e.take_message() {
                        Some(back) => {
                            lock(&conns).h2 = None;
                            req = back;
                        }
                        None => return Err(e.into_error().into()),
                    },
                }
                continue;
            }
            let sent = {
                let mut c = lock(&conns);
                // One clock read serves both the idle check and the new `last_used`.
                let now = Instant::now();
                let Some(conn) = self.ready_h1(&mut c, now) else {
                    break;
                };
                h1_form(dial, &mut req);
                conn.last_used = now;
                // The request is queued on the connection before the lock is released: no
                // other request can take this connection meanwhile.
                conn.tx.try_send_request(req)
            };
            match sent.await {
                Ok(res) => return Ok(res),
                Err(mut e) => match e.take_message() {
                    Some(back) => req = back,
                    None => return Err(e.into_error().into()),
                },
            }
        }
        // Dialling is the cold path: boxed, so the future of every request stays small.
        match Box::pin(self.connect(dial)).await? {
            Conn::H2(mut tx) => {
                lock(&conns).h2 = Some(tx.clone());
                h2_form(dial, &mut req)?;
                Ok(tx.send_request(req).await?)
            }
            Conn::H1(mut tx) => {
                h1_form(dial, &mut req);
                if self.inner.max_idle == 0 {
                    // Never reused: the connection closes once this exchange is over.
                    return Ok(tx.send_request(req).await?);
                }
                let sent = {
                    let mut c = lock(&conns);
                    self.prune(&mut c);
                    // A new connection takes its first request at once (hyper buffers one).
                    let sent = tx.try_send_request(req);
                    c.h1.push(H1 {
                        tx,
                        last_used: Instant::now(),
                    });
                    sent
                };
                sent.await.map_err(|e| e.into_error().into())
            }
        }
    }

    /// The most recently used HTTP/1.1 connection that can take a request now; closed and
    /// expired ones met on the way are dropped.
    fn ready_h1<'c>(&self, c: &'c mut Conns, now: Instant) -> Option<&'c mut H1> {
        let timeout = self.inner.idle_timeout;
        let mut i = c.h1.len();
        while i > 0 {
            i -= 1;
            let conn = &c.h1[i];
            if conn.tx.is_closed() {
                c.h1.swap_remove(i);
                continue;
            }
            if !conn.tx.is_ready() {
                continue; // busy
            }
            if let Some(t) = timeout
                && now.saturating_duration_since(conn.last_used) >= t
            {
                c.h1.swap_remove(i);
                continue;
            }
            return Some(&mut c.h1[i]);
        }
        None
    }

    /// Drops closed connections and the idle ones beyond `maxIdleConnsPerHost` (the least
    /// recently used first).
    fn prune(&self, c: &mut Conns) {
        c.h1.retain(|conn| !conn.tx.is_closed());
        let idle = c.h1.iter().filter(|conn| conn.tx.is_ready()).count();
        if idle > self.inner.max_idle {
            let mut extra = idle - self.inner.max_idle;
            c.h1.sort_by_key(|conn| conn.last_used);
            c.h1.retain(|conn| {
                if extra > 0 && conn.tx.is_ready() {
                    extra -= 1;
                    false
                } else {
                    true
                }
            });
        }
    }

    async fn connect(&self, dial: &Dial) -> Result<Conn, BoxError> {
        let mut connector = self.inner.connector.clone();
        let io = connector.call(dial.uri.clone()).await?;
        let h2 = self.inner.force_h2 || io.connected().is_negotiated_h2();
        if h2 {
            let (tx, conn) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .handshake(io)
                .await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "upstream HTTP/2 connection closed");
                }
            });
            Ok(Conn::H2(tx))
        } else {
            let (tx, conn) = http1::Builder::new().handshake(io).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.with_upgrades().await {
                    tracing::debug!(error = %e, "upstream HTTP/1.1 connection closed");
                }
            });
            Ok(Conn::H1(tx))
        }
    }
}

/// HTTP/1.1: origin-form target; `Host` defaults to the host of an absolute target (a request
/// first prepared for HTTP/2), else to the server's authority.
fn h1_form(dial: &Dial, req: &mut http::Request<Body>) {
    *req.version_mut() = Version::HTTP_11;
    let authority = req.uri().authority().cloned();
    if let Some(authority) = &authority {
        if !req.headers().contains_key(HOST)
            && let Ok(v) = HeaderValue::from_str(authority.as_str())
        {
            req.headers_mut().insert(HOST, v);
        }
        let pq = req.uri().path_and_query().cloned();
        *req.uri_mut() = Uri::from(pq.unwrap_or_else(|| PathAndQuery::from_static("/")));
    }
    if !req.headers().contains_key(HOST) {
        req.headers_mut().insert(HOST, dial.host.clone());
    }
}

/// HTTP/2: absolute target whose authority is the request's `Host` (RFC 9113 §8.3.1; Go sends
/// `req.Host`), the server's when the `Host` is missing or not a valid authority. Idempotent, so
/// a retried request keeps its host.
fn h2_form(dial: &Dial, req: &mut http::Request<Body>) -> Result<(), BoxError> {
    *req.version_mut() = Version::HTTP_2;
    let authority = req
        .headers_mut()
        .remove(HOST)
        .and_then(|h| Authority::try_from(h.as_bytes()).ok())
        .or_else(|| req.uri().authority().cloned())
        .unwrap_or_else(|| dial.authority().clone());
    let pq = req
        .uri()
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    *req.uri_mut() = Uri::builder()
        .scheme(dial.scheme().clone())
        .authority(authority)
        .path_and_query(pq)
        .build()?;
    Ok(())
}

/// Closes idle HTTP/1.1 connections older than `timeout` (Go's `IdleConnTimeout`) and the idle
/// ones beyond `maxIdleConnsPerHost`.
async fn reap(inner: Weak<Inner>, timeout: Duration) {
    // Extra idle connections (beyond `maxIdleConnsPerHost`) are closed within a second.
    let every = (timeout / 2).clamp(Duration::from_millis(100), Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let pool = Pool { inner };
        let slots = pool.inner.slots.load_full();
        for conns in slots.values() {
            let mut c = lock(conns);
            c.h1.retain(|conn| {
                let expired = conn.tx.is_ready() && conn.last_used.elapsed() >= timeout;
                !conn.tx.is_closed() && !expired
            });
            pool.prune(&mut c);
        }
    }
}
