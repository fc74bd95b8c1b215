//! [`Chain`]: a router's middlewares and its service, compiled once.

use std::fmt;
use std::sync::Arc;

use super::{BoxFuture, Endpoint, Middleware, Next, ReservedPath};
use crate::{Request, Response};

/// The middlewares of a router, in the order they run, and the endpoint (service) they lead to.
///
/// Built once per router when a configuration is compiled, then shared by every request: running
/// it allocates nothing beyond what the middlewares themselves do. The order is Traefik's: the
/// entrypoint's `http.middlewares` first, then the router's `middlewares` in the order listed,
/// a `chain` middleware's members taking its place (see `docs/middleware.md`).
///
/// A `Chain` is an [`Endpoint`] (so a chain can end another chain) and, through
/// [`crate::tower`], a `tower::Service`.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::{from_fn, BoxFuture, Chain, Endpoint, Middleware};
/// use rampart::{Body, Request, Response};
///
/// #[derive(Debug)]
/// struct Hello;
/// impl Endpoint for Hello {
///     fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
///         let who = req.headers().get("x-user").map(|v| v.to_str().unwrap().to_owned());
///         Box::pin(async move { Response::new(Body::from(format!("hello {}", who.unwrap_or_default()))) })
///     }
/// }
///
/// let tag: Arc<dyn Middleware> = Arc::new(from_fn(|mut req: Request, next| {
///     req.headers_mut().insert("x-user", http::HeaderValue::from_static("ada"));
///     next.run(req)
/// }));
/// let chain = Chain::new([tag], Arc::new(Hello));
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = chain.call(Request::new(Body::empty())).await;
/// assert_eq!(res.body().as_bytes(), Some(&b"hello ada"[..]));
/// # });
/// ```
#[derive(Clone)]
pub struct Chain {
    middlewares: Arc<[Arc<dyn Middleware>]>,
    endpoint: Arc<dyn Endpoint>,
}

impl Chain {
    /// `middlewares` (outermost first), then `endpoint`.
    pub fn new(
        middlewares: impl IntoIterator<Item = Arc<dyn Middleware>>,
        endpoint: Arc<dyn Endpoint>,
    ) -> Self {
        Chain {
            middlewares: middlewares.into_iter().collect(),
            endpoint,
        }
    }

    /// The middlewares, outermost first.
    pub fn middlewares(&self) -> &Arc<[Arc<dyn Middleware>]> {
        &self.middlewares
    }

    /// The endpoint the chain ends in.
    pub fn endpoint(&self) -> &Arc<dyn Endpoint> {
        &self.endpoint
    }

    /// Runs `req` through the middlewares and the endpoint.
    pub fn call(&self, req: Request) -> BoxFuture<'_, Response> {
        Next::new(&self.middlewares, &*self.endpoint).run(req)
    }

    /// Every path prefix a middleware of the chain answers by itself (see [`ReservedPath`]).
    pub fn reserved_paths(&self) -> impl Iterator<Item = &ReservedPath> {
        self.middlewares.iter().flat_map(|m| m.reserved_paths())
    }
}

impl Endpoint for Chain {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        Chain::call(self, req)
    }
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("middlewares", &self.middlewares.len())
            .finish_non_exhaustive()
    }
}
