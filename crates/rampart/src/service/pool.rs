//! Keep-alive connection pools over hyper's client connection API.
//!
//! Why not hyper-util's pooled client: it takes the HTTP/2 `:authority` from the same URI it
//! dials and keys its pool by, so a proxy cannot send the client's host as `:authority` to the
//! server it picked (Traefik's `passHostHeader` over HTTP/2: Go sends `req.Host`). Here the
//! pool is keyed by the server dialled, and the request's `Host` becomes `:authority` on
//! HTTP/2 connections.
//!
//! * HTTP/1.1 — idle connections per server, at most `maxIdleConnsPerHost`, closed after
//!   `idleConnTimeout`; a connection goes back only once its response was read to the end
//!   (hyper's `ready()`), so a connection whose body failed is never reused.
//! * HTTP/2 — one multiplexed connection per server, re-dialled once closed.
//! * A request that a reused connection could not even start sending (the server closed it
//!   while idle) is retried once on a new connection, as hyper-util and Go do.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use http::header::{HOST, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Uri, Version};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_service::Service as _;

use super::transport::Connector;
use crate::{Body, BoxError};

/// Where a pooled connection goes: a server's scheme and authority.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Dial {
    uri: Uri,
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
        Dial { uri }
    }

    fn authority(&self) -> &Authority {
        self.uri.authority().expect("built with an authority")
    }

    fn scheme(&self) -> &Scheme {
        self.uri.scheme().expect("built with a scheme")
    }
}

struct Idle {
    tx: http1::SendRequest<Body>,
    since: Instant,
}

struct Inner {
    connector: Connector,
    /// h2c: HTTP/2 with prior knowledge on every connection.
    force_h2: bool,
    max_idle: usize,
    idle_timeout: Option<Duration>,
    h1: Mutex<HashMap<Dial, Vec<Idle>>>,
    h2: Mutex<HashMap<Dial, http2::SendRequest<Body>>>,
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
            h1: Mutex::new(HashMap::new()),
            h2: Mutex::new(HashMap::new()),
        });
        if let Some(timeout) = idle_timeout
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(reap(Arc::downgrade(&inner), timeout));
        }
        Pool { inner }
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
        // Reused connections first; one whose server closed it while idle hands the request
        // back, and the next one (or a new one) gets it.
        loop {
            if let Some(mut tx) = self.cached_h2(dial) {
                h2_form(dial, &mut req)?;
                match tx.try_send_request(req).await {
                    Ok(res) => return Ok(res),
                    Err(mut e) => match e.take_message() {
                        Some(back) => {
                            self.forget_h2(dial);
                            req = back;
                        }
                        None => return Err(e.into_error().into()),
                    },
                }
                continue;
            }
            let Some(mut tx) = self.checkout_h1(dial) else {
                break;
            };
            h1_form(dial, &mut req);
            match tx.try_send_request(req).await {
                Ok(res) => {
                    self.recycle(dial, tx);
                    return Ok(res);
                }
                Err(mut e) => match e.take_message() {
                    Some(back) => req = back,
                    None => return Err(e.into_error().into()),
                },
            }
        }
        match self.connect(dial).await? {
            Conn::H2(mut tx) => {
                self.inner
                    .h2
                    .lock()
                    .expect("pool poisoned")
                    .insert(dial.clone(), tx.clone());
                h2_form(dial, &mut req)?;
                Ok(tx.send_request(req).await?)
            }
            Conn::H1(mut tx) => {
                h1_form(dial, &mut req);
                let res = tx.send_request(req).await?;
                self.recycle(dial, tx);
                Ok(res)
            }
        }
    }

    fn cached_h2(&self, dial: &Dial) -> Option<http2::SendRequest<Body>> {
        let mut map = self.inner.h2.lock().expect("pool poisoned");
        match map.get(dial) {
            Some(tx) if !tx.is_closed() => Some(tx.clone()),
            Some(_) => {
                map.remove(dial);
                None
            }
            None => None,
        }
    }

    fn forget_h2(&self, dial: &Dial) {
        self.inner.h2.lock().expect("pool poisoned").remove(dial);
    }

    fn checkout_h1(&self, dial: &Dial) -> Option<http1::SendRequest<Body>> {
        let mut map = self.inner.h1.lock().expect("pool poisoned");
        let idle = map.get_mut(dial)?;
        // Most recently used first: the likeliest to still be open.
        while let Some(conn) = idle.pop() {
            let fresh = self
                .inner
                .idle_timeout
                .is_none_or(|t| conn.since.elapsed() < t);
            if fresh && conn.tx.is_ready() {
                return Some(conn.tx);
            }
        }
        None
    }

    /// Returns an HTTP/1.1 connection to the pool once its current response has been read
    /// whole and the connection can take another request.
    fn recycle(&self, dial: &Dial, mut tx: http1::SendRequest<Body>) {
        if self.inner.max_idle == 0 {
            return;
        }
        let inner = Arc::downgrade(&self.inner);
        let dial = dial.clone();
        tokio::spawn(async move {
            if tx.ready().await.is_err() {
                return; // closed, failed or upgraded: never reused
            }
            let Some(inner) = inner.upgrade() else {
                return;
            };
            let mut map = inner.h1.lock().expect("pool poisoned");
            let idle = map.entry(dial).or_default();
            if idle.len() < inner.max_idle {
                idle.push(Idle {
                    tx,
                    since: Instant::now(),
                });
            }
        });
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
    if !req.headers().contains_key(HOST)
        && let Ok(v) = HeaderValue::from_str(dial.authority().as_str())
    {
        req.headers_mut().insert(HOST, v);
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

/// Closes idle HTTP/1.1 connections older than `timeout` (Go's `IdleConnTimeout`).
async fn reap(inner: Weak<Inner>, timeout: Duration) {
    let every = (timeout / 2).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let mut map = inner.h1.lock().expect("pool poisoned");
        for idle in map.values_mut() {
            idle.retain(|c| c.since.elapsed() < timeout && !c.tx.is_closed());
        }
        map.retain(|_, idle| !idle.is_empty());
    }
}
