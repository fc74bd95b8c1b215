//! [`from_fn`]: a middleware from a closure.

use std::fmt;

use super::{BoxFuture, Middleware, Next};
use crate::{Request, Response};

/// A middleware made from a closure or function: `|req, next| -> BoxFuture<Response>`.
///
/// The closure gets the request and the rest of the chain, as [`Middleware::handle`] does.
/// Return `next.run(req)` to go on unchanged, or `Box::pin(async move { … })` to do work
/// around it.
///
/// ```
/// use rampart::middleware::{from_fn, Chain, Endpoint, BoxFuture};
/// use rampart::{Body, Request, Response};
/// use std::sync::Arc;
///
/// // Answers 403 to requests without `X-Api-Key`, and tags every response it lets through.
/// let guard = from_fn(|req: Request, next| {
///     Box::pin(async move {
///         if !req.headers().contains_key("x-api-key") {
///             let mut res = Response::new(Body::from("no key"));
///             *res.status_mut() = http::StatusCode::FORBIDDEN;
///             return res;
///         }
///         let mut res = next.run(req).await;
///         res.headers_mut().insert("x-checked", http::HeaderValue::from_static("1"));
///         res
///     })
/// });
///
/// #[derive(Debug)]
/// struct Ok200;
/// impl Endpoint for Ok200 {
///     fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
///         Box::pin(async { Response::new(Body::empty()) })
///     }
/// }
/// let chain = Chain::new([Arc::new(guard) as _], Arc::new(Ok200));
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert_eq!(chain.call(Request::new(Body::empty())).await.status(), 403);
/// let req = http::Request::builder().header("x-api-key", "k").body(Body::empty()).unwrap();
/// assert_eq!(chain.call(req).await.headers()["x-checked"], "1");
/// # });
/// ```
pub fn from_fn<F>(f: F) -> FromFn<F>
where
    F: for<'a> Fn(Request, Next<'a>) -> BoxFuture<'a, Response> + Send + Sync + 'static,
{
    FromFn(f)
}

/// The middleware [`from_fn`] returns.
#[derive(Clone, Copy)]
pub struct FromFn<F>(F);

impl<F> Middleware for FromFn<F>
where
    F: for<'a> Fn(Request, Next<'a>) -> BoxFuture<'a, Response> + Send + Sync + 'static,
{
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        (self.0)(req, next)
    }
}

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromFn")
    }
}
