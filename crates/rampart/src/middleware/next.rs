//! [`Next`]: the rest of a middleware chain.

use std::fmt;
use std::sync::Arc;

use super::{BoxFuture, Endpoint, Middleware};
use crate::{Request, Response};

/// The rest of the chain after the current middleware, ending in an [`Endpoint`].
///
/// `Next` is `Copy`: a middleware that retries may run it more than once.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
/// use rampart::{Body, Request, Response};
///
/// #[derive(Debug)]
/// struct Echo;
/// impl Endpoint for Echo {
///     fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
///         let path = req.uri().path().to_owned();
///         Box::pin(async move { Response::new(Body::from(path)) })
///     }
/// }
///
/// #[derive(Debug)]
/// struct Prefix;
/// impl Middleware for Prefix {
///     fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
///         *req.uri_mut() = "/api/x".parse().unwrap();
///         next.run(req)
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(Prefix)];
/// let res = Next::new(&chain, &Echo).run(Request::new(Body::empty())).await;
/// assert_eq!(Body::as_bytes(res.body()), Some(&b"/api/x"[..]));
/// # });
/// ```
#[derive(Clone, Copy)]
pub struct Next<'a> {
    chain: &'a [Arc<dyn Middleware>],
    endpoint: &'a dyn Endpoint,
}

impl<'a> Next<'a> {
    /// The chain `chain`, then `endpoint`.
    pub fn new(chain: &'a [Arc<dyn Middleware>], endpoint: &'a dyn Endpoint) -> Self {
        Next { chain, endpoint }
    }

    /// Runs the rest of the chain with `req`.
    pub fn run(self, req: Request) -> BoxFuture<'a, Response> {
        match self.chain.split_first() {
            Some((first, rest)) => first.handle(
                req,
                Next {
                    chain: rest,
                    endpoint: self.endpoint,
                },
            ),
            None => self.endpoint.call(req),
        }
    }

    /// How many middlewares are left before the endpoint.
    pub fn remaining(&self) -> usize {
        self.chain.len()
    }
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("remaining", &self.chain.len())
            .finish_non_exhaustive()
    }
}
