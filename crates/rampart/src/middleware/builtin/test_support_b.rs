//! Helpers for the unit tests of catalogue part B (`rateLimit`, auth, buffering, …).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::middleware::{BoxFuture, Endpoint, Middleware, Next};
use crate::{Body, ConnInfo, Request, Response};

/// Decodes a config from JSON with Traefik's rules.
pub(crate) fn config<T: DeserializeOwned>(json: &str) -> T {
    rampart_config::from_value(&serde_json::from_str(json).expect("test JSON"))
        .expect("test config decodes")
}

/// An endpoint answering 200 with the request's method and path, counting its calls.
#[derive(Debug, Default)]
pub(crate) struct Echo {
    pub(crate) calls: AtomicUsize,
}

impl Endpoint for Echo {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let text = format!("{} {}", req.method(), req.uri().path());
            Response::new(Body::from(text))
        })
    }
}

impl Echo {
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Runs `req` through `mw` then `endpoint`.
pub(crate) async fn run(
    mw: &Arc<dyn Middleware>,
    endpoint: &dyn Endpoint,
    req: Request,
) -> Response {
    let chain = [mw.clone()];
    Next::new(&chain, endpoint).run(req).await
}

/// A GET for `path` from `peer`.
pub(crate) fn get_from(path: &str, peer: &str) -> Request {
    let mut req = http::Request::get(path)
        .body(Body::empty())
        .expect("request");
    req.extensions_mut().insert(Arc::new(ConnInfo::plain(
        peer.parse().expect("peer"),
        "web",
    )));
    req
}

/// The whole body as text.
pub(crate) async fn text(res: Response) -> String {
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}
