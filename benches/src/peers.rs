//! The fast upstream and auth servers: `200 hello` to every request, and `200` with the two
//! identity headers the harness's forwardAuth copies (`X-authentik-username`,
//! `X-authentik-groups`).
//!
//! Both speak HTTP/1.1 keep-alive only, with `TCP_NODELAY`, one task per connection, so that
//! their cost per request is the floor hyper allows and the same for every proxy in front.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What a peer server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `200` with body `hello`.
    Upstream,
    /// `200`, empty body, `X-authentik-username: akadmin`, `X-authentik-groups: admins|users`.
    Auth,
}

/// The body every upstream answer carries.
pub const UPSTREAM_BODY: &[u8] = b"hello";

/// Serves `listener` forever in the current runtime, one spawned task per connection.
pub async fn serve(listener: TcpListener, role: Role) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let svc = service_fn(move |_req| async move { Ok::<_, Infallible>(answer(role)) });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn answer(role: Role) -> hyper::Response<Full<Bytes>> {
    match role {
        Role::Upstream => hyper::Response::new(Full::new(Bytes::from_static(UPSTREAM_BODY))),
        Role::Auth => {
            let mut res = hyper::Response::new(Full::new(Bytes::new()));
            let h = res.headers_mut();
            h.insert(
                "x-authentik-username",
                http::HeaderValue::from_static("akadmin"),
            );
            h.insert(
                "x-authentik-groups",
                http::HeaderValue::from_static("admins|users"),
            );
            res
        }
    }
}
