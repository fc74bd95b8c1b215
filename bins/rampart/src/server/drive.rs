//! Driving one connection: hyper (HTTP/1.1 or HTTP/2, as `conn` chose) serves it, while this
//! loop enforces the responding timeouts, the keep-alive limits and the stop signals, and parks
//! idle HTTP/1.1 keep-alive connections.
//!
//! **Parking** (nginx frees an idle keep-alive connection's buffers the same way): after
//! `park_after` with nothing in flight, and only when hyper holds no bytes (`state`), hyper's
//! connection is asked to end — being idle, it ends at once —, its shutdown of the stream is
//! skipped (`io.rs`), and the driver takes the socket back with any bytes hyper had read.
//! hyper's state goes (its read buffer, its response-head buffer, the header map it keeps for
//! the next response: most of the ~20 KiB an idle connection cost) and the bare socket waits
//! for readability; the next request gets a fresh hyper connection on the same socket. The idle
//! timeout, the stop signals and the keep-alive limits carry over: they live in `ConnState`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;
use http::header::{CONNECTION, HeaderValue};
use http::{Method, Version};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rampart::{Body, ConnInfo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use tracing::debug;

use super::bodies::{ClientBody, Tracked};
use super::conn::Handler;
use super::drain::ConnToken;
use super::io::{Readable, WatchedIo};
use super::settings::{ConnSettings, KeepAliveLimits, Timeouts};
use super::state::{ConnState, Due};

/// Which hyper connection serves the stream.
pub(super) enum Http<'s> {
    /// HTTP/1.1 alone (ALPN or the first bytes told): parked when idle.
    H1(&'s http1::Builder),
    /// hyper-util's builder: HTTP/2, or either when the first bytes did not tell yet.
    Auto(&'s auto::Builder<TokioExecutor>),
}

/// Serves `io` until the peer closes, a timeout cuts it, or the proxy stops.
pub(super) async fn drive<I, H>(
    io: I,
    info: Arc<ConnInfo>,
    handler: Arc<H>,
    settings: &ConnSettings,
    http: Http<'_>,
    token: ConnToken,
    accepted: Instant,
) where
    I: AsyncRead + AsyncWrite + Readable + Unpin + Send + 'static,
    H: Handler,
{
    let peer = info.peer;
    let state = ConnState::new(accepted, settings.timeouts);
    let io = TokioIo::new(WatchedIo::new(io, state.clone()));
    let (timeouts, limits) = (settings.timeouts, settings.keep_alive);
    let service = || {
        let (state, info, handler) = (state.clone(), info.clone(), handler.clone());
        hyper::service::service_fn(move |req: http::Request<Incoming>| {
            // Boxed: hyper's HTTP/1 dispatcher allocates a slot sized to this future for every
            // connection, busy or idle; the whole request path inside it is kilobytes, paid by
            // each idle keep-alive connection. One allocation per request instead.
            let served = Box::pin(serve_request(
                &state, timeouts, limits, &info, &*handler, req,
            ));
            async move { Ok::<_, Infallible>(served.await) }
        })
    };
    // The timer is reset only when the deadline it is set for changes, and the state wakes
    // this loop only when a deadline became earlier: a keep-alive connection's requests do
    // not wake it (a deadline that moved later is found when the timer fires).
    let sleep = tokio::time::sleep_until(Instant::now());
    tokio::pin!(sleep);
    let graceful = token.graceful.wait();
    tokio::pin!(graceful);
    let cut = token.cut.wait();
    tokio::pin!(cut);
    let wake = Arc::<SignalWake>::default();
    let mut signals = Signals {
        waker: Waker::from(wake.clone()),
        wake,
        sleep,
        armed: None,
        graceful,
        cut,
        finishing: false,
        state: &state,
        peer,
    };
    match http {
        Http::Auto(builder) => {
            // Boxed: inline, hyper-util's connection (HTTP/1 and HTTP/2 states) would size the
            // future of every connection, parked HTTP/1.1 ones included.
            let mut conn = Box::pin(builder.serve_connection_with_upgrades(io, service()));
            signals
                .serve(
                    conn.as_mut(),
                    auto::UpgradeableConnection::graceful_shutdown,
                )
                .await;
        }
        Http::H1(builder) => {
            let mut io = io;
            loop {
                state.set_park_after(settings.park_after);
                // Boxed: dropped while the connection is parked.
                let mut conn = Box::new(builder.serve_connection(io, service()).with_upgrades());
                let ended = signals
                    .serve(
                        Pin::new(&mut *conn),
                        http1::UpgradeableConnection::graceful_shutdown,
                    )
                    .await;
                state.set_parking(false);
                // `None`: upgraded, the socket is the upgrade's.
                let (Ended::Parked, Some(parts)) = (ended, conn.into_parts()) else {
                    return;
                };
                io = parts.io;
                if parts.read_buf.is_empty() {
                    // Empty, but it may still own hyper's read buffer.
                    drop(parts.read_buf);
                    drop(parts.service);
                    let _parked = token.parked();
                    if !signals.parked(io.inner().get_ref()).await {
                        return;
                    }
                } else {
                    io.inner_mut().rewind(parts.read_buf);
                }
            }
        }
    }
}

/// How hyper's connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Closed (by the peer, a timeout, the stop, an error) or upgraded.
    Closed,
    /// Ended idle at the driver's request: the socket is open, for a fresh connection.
    Parked,
}

/// Which signal woke the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Graceful,
    Cut,
    Timer,
    Changed,
}

/// The waker the signals are polled with: it marks them as due a poll, then wakes the task.
#[derive(Debug, Default)]
struct SignalWake {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for SignalWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// The timer and the stop signals of one connection, kept across its hyper connections.
struct Signals<'a, G, K> {
    sleep: Pin<&'a mut Sleep>,
    /// The deadline `sleep` is set for.
    armed: Option<Instant>,
    /// Polled until it completes, and never after: it sets `finishing`.
    graceful: Pin<&'a mut G>,
    cut: Pin<&'a mut K>,
    /// The connection is ending gracefully (a stop, the idle timeout, a keep-alive limit).
    finishing: bool,
    state: &'a ConnState,
    peer: SocketAddr,
    wake: Arc<SignalWake>,
    /// `wake` as a waker, made once.
    waker: Waker,
}

impl<G: Future<Output = ()>, K: Future<Output = ()>> Signals<'_, G, K> {
    fn rearm(&mut self) {
        let at = self.state.arm(self.finishing);
        if at != self.armed {
            if let Some(at) = at {
                self.sleep.as_mut().reset(at);
            }
            self.armed = at;
        }
    }

    /// Drives hyper's connection until it ends; `finish` asks it to end gracefully.
    ///
    /// hyper's connection is polled on every wake-up of the task; the timer and the stop
    /// signals only when one of them woke it (their own waker, `SignalWake`), not on each of
    /// the two or three wake-ups every request causes.
    async fn serve<C, E>(&mut self, mut conn: Pin<&mut C>, finish: impl Fn(Pin<&mut C>)) -> Ended
    where
        C: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let (state, peer) = (self.state, self.peer);
        loop {
            self.rearm();
            let changed = state.changed();
            tokio::pin!(changed);
            // Each round polls every signal once, so that each holds the signal waker.
            self.wake.woken.store(true, Ordering::Relaxed);
            let event = std::future::poll_fn(|cx| {
                if let Poll::Ready(res) = conn.as_mut().poll(cx) {
                    return Poll::Ready(Err(res));
                }
                self.poll_signals(cx, changed.as_mut()).map(Ok)
            })
            .await;
            match event {
                Err(res) => {
                    return match res {
                        Ok(()) if state.parking() => Ended::Parked,
                        Ok(()) => Ended::Closed,
                        Err(e) => {
                            debug!(%peer, error = %e, "connection ended with an error");
                            Ended::Closed
                        }
                    };
                }
                Ok(Signal::Graceful) => {
                    self.finishing = true;
                    state.set_parking(false);
                    finish(conn.as_mut());
                }
                Ok(Signal::Cut) => {
                    debug!(%peer, "grace period over: connection closed");
                    return Ended::Closed;
                }
                Ok(Signal::Timer) => {
                    self.armed = None;
                    let due = state.fired();
                    // After `fired`: a close is due "now" as of that call.
                    let now = Instant::now();
                    match due {
                        Due::Cut(at) if at <= now => {
                            debug!(%peer, "read or write timeout: connection closed");
                            return Ended::Closed;
                        }
                        Due::Finish(at) if at <= now && !self.finishing => {
                            self.finishing = true;
                            state.set_parking(false);
                            finish(conn.as_mut());
                        }
                        Due::Park(at) if at <= now && !self.finishing => {
                            // Not parkable again until hyper has ended (no timer spin).
                            state.set_park_after(None);
                            state.set_parking(true);
                            finish(conn.as_mut());
                        }
                        // Moved later, or nothing due any more: set the timer again.
                        _ => {}
                    }
                }
                Ok(Signal::Changed) => {}
            }
        }
    }

    /// Polls the stop signals, the timer and the state's notification, with the signal
    /// waker, if one of them woke the task (or this round has not polled them yet).
    fn poll_signals(
        &mut self,
        cx: &mut Context<'_>,
        changed: Pin<&mut impl Future<Output = ()>>,
    ) -> Poll<Signal> {
        self.wake.task.register(cx.waker());
        if !self.wake.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let cx = &mut Context::from_waker(&self.waker);
        if !self.finishing && self.graceful.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Signal::Graceful);
        }
        if self.cut.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Signal::Cut);
        }
        if self.armed.is_some() && self.sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Signal::Timer);
        }
        if changed.poll(cx).is_ready() {
            return Poll::Ready(Signal::Changed);
        }
        Poll::Pending
    }

    /// Waits, with no hyper state, for the parked socket to become readable; `false` if the
    /// connection is to be closed instead (idle timeout, stop).
    async fn parked<I: Readable>(&mut self, io: &I) -> bool {
        if self.finishing {
            return false;
        }
        let (state, peer) = (self.state, self.peer);
        let readable = io.readable();
        tokio::pin!(readable);
        loop {
            self.rearm();
            tokio::select! {
                res = readable.as_mut() => return res.is_ok(),
                () = self.graceful.as_mut(), if !self.finishing => {
                    self.finishing = true;
                    return false;
                }
                () = self.cut.as_mut() => return false,
                () = self.sleep.as_mut(), if self.armed.is_some() => {
                    self.armed = None;
                    let due = state.fired();
                    let now = Instant::now();
                    if let Due::Cut(at) | Due::Finish(at) = due
                        && at <= now
                    {
                        debug!(%peer, "idle timeout: parked connection closed");
                        return false;
                    }
                }
                () = state.changed() => {}
            }
        }
    }
}

/// Answers one request: deadlines on its body, the keep-alive limits on its response, and a
/// guard that keeps the connection busy until the response is written.
fn serve_request<H: Handler>(
    state: &Arc<ConnState>,
    timeouts: Timeouts,
    limits: KeepAliveLimits,
    info: &Arc<ConnInfo>,
    handler: &H,
    req: http::Request<Incoming>,
) -> impl Future<Output = http::Response<Tracked>> + Send + use<H> {
    let version = req.version();
    let h2 = version == Version::HTTP_2;
    let (guard, started, count) = state.request(version);
    let now = Instant::now();
    let close = limits.is_set()
        && ((limits.max_requests > 0 && count >= limits.max_requests)
            || limits.max_time.is_some_and(|t| state.older_than(t)));
    // A tunnel (HTTP/2 extended CONNECT) is not a request body: no read deadline on it.
    let tunnel = req.method() == Method::CONNECT;
    let mut req = req.map(|incoming| {
        if http_body::Body::is_end_stream(&incoming) {
            Body::from(incoming)
        } else {
            let deadline = timeouts.read.filter(|_| !tunnel).map(|read| started + read);
            Body::new(ClientBody::new(incoming, deadline))
        }
    });
    req.extensions_mut().insert(info.clone());
    let fut = handler.handle(req);
    let state = state.clone();
    let write_deadline = if h2 && !tunnel {
        timeouts.write.map(|d| now + d)
    } else {
        None
    };
    async move {
        let res = fut.await;
        let (mut parts, body) = res.into_parts();
        if close {
            if h2 {
                state.close_gracefully();
            } else {
                // Traefik's keep-alive middleware; hyper closes after this response.
                parts
                    .headers
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
        }
        http::Response::from_parts(parts, Tracked::new(body, guard, write_deadline))
    }
}
