//! The two object-safe traits of the request pipeline.

use std::future::Future;
use std::pin::Pin;

use super::{Next, ReservedPath};
use crate::{Request, Response};

/// A boxed, `Send` future borrowing for `'a`: what [`Middleware`] and [`Endpoint`] return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A middleware: gets the request and the rest of the chain; returns the response.
///
/// A middleware either calls [`Next::run`] (possibly with a changed request, and possibly
/// changing the response it gets back) or answers by itself (a redirect, a 401, …) and never
/// calls it. Errors are responses: there is no error channel, so a middleware decides the status
/// the client sees.
///
/// ```
/// use rampart::middleware::{BoxFuture, Middleware, Next};
/// use rampart::{Request, Response};
///
/// /// Adds `X-Hello: world` to every request.
/// #[derive(Debug)]
/// struct Hello;
///
/// impl Middleware for Hello {
///     fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
///         req.headers_mut().insert("x-hello", http::HeaderValue::from_static("world"));
///         next.run(req)
///     }
/// }
/// ```
pub trait Middleware: Send + Sync + 'static {
    /// Handles one request.
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response>;

    /// The path prefixes this middleware answers by itself on every host it protects (see
    /// [`ReservedPath`]); none by default.
    ///
    /// forwardAuth with `reservedPathPrefix` declares one (`/outpost.goauthentik.io/`); the
    /// `chain` middleware declares those of its members. The routing table may add a route for
    /// each ahead of the application's routers, so the prefix wins whatever the priorities.
    fn reserved_paths(&self) -> &[ReservedPath] {
        &[]
    }
}

/// The end of a middleware chain: answers a request.
///
/// Services (load balancers, `api@internal`, `noop@internal`, …) implement it.
///
/// ```
/// use rampart::middleware::{BoxFuture, Endpoint};
/// use rampart::{Body, Request, Response};
///
/// /// Traefik's `noop@internal`: always 418.
/// #[derive(Debug)]
/// struct Noop;
///
/// impl Endpoint for Noop {
///     fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
///         Box::pin(async {
///             let mut res = Response::new(Body::empty());
///             *res.status_mut() = http::StatusCode::IM_A_TEAPOT;
///             res
///         })
///     }
/// }
/// ```
pub trait Endpoint: Send + Sync {
    /// Answers one request.
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response>;
}
