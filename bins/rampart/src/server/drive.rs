//! Driving one connection: hyper (HTTP/1.1 or HTTP/2, as `conn` chose) serves it, while this
//! loop enforces the responding timeouts, the keep-alive limits and the stop signals.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

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
    let never = Duration::from_hours(365 * 24);
    let sleep = tokio::time::sleep(never);
    tokio::pin!(sleep);
    let mut finishing = false;
    loop {
        let due = match state.due() {
            // Already asked to finish: only the connection itself can end it now.
            Due::Finish(_) if finishing => Due::Nothing,
            due => due,
        };
        match due {
            Due::Cut(at) | Due::Finish(at) => sleep.as_mut().reset(at),
            Due::Nothing => sleep.as_mut().reset(Instant::now() + never),
        }
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            () = token.graceful.wait(), if !finishing => {
                finishing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = token.cut.wait() => {
                debug!(%peer, "grace period over: connection closed");
                return;
            }
            () = &mut sleep, if due != Due::Nothing => {
                if let Due::Cut(_) = due {
                    debug!(%peer, "read or write timeout: connection closed");
                    return;
                }
                finishing = true;
                conn.as_mut().graceful_shutdown();
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
