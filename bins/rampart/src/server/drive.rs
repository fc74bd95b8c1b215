//! Driving one connection: hyper (HTTP/1.1 or HTTP/2, as `conn` chose) serves it, while this
//! loop enforces the responding timeouts, the keep-alive limits and the stop signals.

use std::convert::Infallible;
use std::sync::Arc;

use http::header::{CONNECTION, HeaderValue};
use http::{Method, Version};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rampart::{Body, ConnInfo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tracing::debug;

use super::bodies::{ClientBody, Tracked};
use super::conn::Handler;
use super::drain::ConnToken;
use super::io::WatchedIo;
use super::settings::{ConnSettings, KeepAliveLimits, Timeouts};
use super::state::{ConnState, Due};

/// Serves `io` until the peer closes, a timeout cuts it, or the proxy stops.
pub(super) async fn drive<I, H>(
    io: I,
    info: Arc<ConnInfo>,
    handler: Arc<H>,
    settings: &ConnSettings,
    builder: &auto::Builder<TokioExecutor>,
    token: ConnToken,
    accepted: Instant,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: Handler,
{
    let peer = info.peer;
    let state = ConnState::new(accepted, settings.timeouts);
    let io = TokioIo::new(WatchedIo::new(io, state.clone()));
    let service = {
        let state = state.clone();
        let (timeouts, limits) = (settings.timeouts, settings.keep_alive);
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
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    // The timer is reset only when the deadline it is set for changes, and the state wakes
    // this loop only when a deadline became earlier: a keep-alive connection's requests do
    // not wake it (a deadline that moved later is found when the timer fires).
    let sleep = tokio::time::sleep_until(Instant::now());
    tokio::pin!(sleep);
    let mut armed: Option<Instant> = None;
    let graceful = token.graceful.wait();
    tokio::pin!(graceful);
    let cut = token.cut.wait();
    tokio::pin!(cut);
    let mut finishing = false;
    loop {
        let at = state.arm(finishing);
        if at != armed {
            if let Some(at) = at {
                sleep.as_mut().reset(at);
            }
            armed = at;
        }
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            // Polled until it completes, and never after: it sets `finishing`.
            () = &mut graceful, if !finishing => {
                finishing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = &mut cut => {
                debug!(%peer, "grace period over: connection closed");
                return;
            }
            () = &mut sleep, if armed.is_some() => {
                armed = None;
                let due = state.fired();
                // After `fired`: a close is due "now" as of that call.
                let now = Instant::now();
                match due {
                    Due::Cut(at) if at <= now => {
                        debug!(%peer, "read or write timeout: connection closed");
                        return;
                    }
                    Due::Finish(at) if at <= now && !finishing => {
                        finishing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    // Moved later, or nothing due any more: set the timer again.
                    _ => {}
                }
            }
            () = state.changed() => {}
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
