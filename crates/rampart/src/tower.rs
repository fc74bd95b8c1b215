//! tower glue: mount rampart middlewares (a whole chain, or [`ForwardAuth`] alone) in any
//! hyper or axum application, and serve a [`Chain`] as a `tower::Service`.
//!
//! [`MiddlewareLayer`] wraps a service: requests run through the middlewares, and the wrapped
//! service is the chain's endpoint. Request bodies of any `http_body::Body` type are accepted
//! (and converted to [`Body`] without a copy); the layer never fails: middleware answers and
//! the wrapped service's errors (as a 500) are responses.
//!
//! ```
//! use std::convert::Infallible;
//! use rampart::middleware::from_fn;
//! use rampart::tower::MiddlewareLayer;
//! use tower::{Layer, ServiceExt};
//!
//! let app = tower::service_fn(|req: http::Request<rampart::Body>| async move {
//!     let user = req.headers().get("x-user").cloned();
//!     Ok::<_, Infallible>(http::Response::new(format!("{user:?}")))
//! });
//! let tag = from_fn(|mut req, next| {
//!     req.headers_mut().insert("x-user", http::HeaderValue::from_static("ada"));
//!     next.run(req)
//! });
//! let svc = MiddlewareLayer::new(tag).layer(app);
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let res = svc.oneshot(http::Request::new(String::from("body"))).await.unwrap();
//! assert_eq!(res.body().as_bytes(), Some(&br#"Some("ada")"#[..]));
//! # });
//! ```
//!
//! [`ForwardAuth`]: crate::middleware::ForwardAuth

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::StatusCode;
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, Chain, Endpoint, Middleware, Next};
use crate::{Body, BoxError, Request, Response};

/// Converts any body to [`Body`]; a [`Body`], hyper's `Incoming` or a `String` is moved, not
/// boxed.
fn into_body<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let mut slot = Some(body);
    let any: &mut dyn Any = &mut slot;
    if let Some(b) = any.downcast_mut::<Option<Body>>().and_then(Option::take) {
        return b;
    }
    if let Some(b) = any
        .downcast_mut::<Option<hyper::body::Incoming>>()
        .and_then(Option::take)
    {
        return Body::from(b);
    }
    if let Some(b) = any.downcast_mut::<Option<String>>().and_then(Option::take) {
        return Body::from(b);
    }
    match slot {
        Some(b) => Body::new(b),
        None => Body::empty(),
    }
}

/// A `tower::Layer` running rampart middlewares in front of the service it wraps.
#[derive(Clone)]
pub struct MiddlewareLayer {
    middlewares: Arc<[Arc<dyn Middleware>]>,
}

impl MiddlewareLayer {
    /// One middleware (e.g. a [`ForwardAuth`](crate::middleware::ForwardAuth)).
    pub fn new<M: Middleware>(middleware: M) -> Self {
        MiddlewareLayer {
            middlewares: Arc::from([Arc::new(middleware) as Arc<dyn Middleware>]),
        }
    }

    /// Several middlewares, outermost first.
    pub fn from_middlewares(middlewares: impl IntoIterator<Item = Arc<dyn Middleware>>) -> Self {
        MiddlewareLayer {
            middlewares: middlewares.into_iter().collect(),
        }
    }

    /// The middlewares of `chain` (its endpoint is replaced by the wrapped service).
    pub fn from_chain(chain: &Chain) -> Self {
        MiddlewareLayer {
            middlewares: chain.middlewares().clone(),
        }
    }
}

impl fmt::Debug for MiddlewareLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MiddlewareLayer")
            .field("middlewares", &self.middlewares.len())
            .finish()
    }
}

impl<S> Layer<S> for MiddlewareLayer {
    type Service = MiddlewareService<S>;

    fn layer(&self, inner: S) -> MiddlewareService<S> {
        MiddlewareService {
            middlewares: self.middlewares.clone(),
            inner,
        }
    }
}

/// The service [`MiddlewareLayer`] makes.
#[derive(Clone)]
pub struct MiddlewareService<S> {
    middlewares: Arc<[Arc<dyn Middleware>]>,
    inner: S,
}

impl<S> fmt::Debug for MiddlewareService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MiddlewareService")
            .field("middlewares", &self.middlewares.len())
            .finish_non_exhaustive()
    }
}

/// The wrapped service as the end of the chain. The service is cloned per call (tower's
/// `&mut self` contract); the mutex only makes the endpoint `Sync`.
struct ServiceEndpoint<S>(Mutex<S>);

impl<S, ResB> Endpoint for ServiceEndpoint<S>
where
    S: Service<Request, Response = http::Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let mut svc = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Box::pin(async move {
            if let Err(e) = poll_fn(|cx| svc.poll_ready(cx)).await {
                return service_failed(&e.into());
            }
            match svc.call(req).await {
                Ok(res) => res.map(into_body),
                Err(e) => service_failed(&e.into()),
            }
        })
    }
}

fn service_failed(e: &BoxError) -> Response {
    RequestError::new(
        ErrorSource::Internal,
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("wrapped service failed: {e}"),
    )
    .into_response()
}

impl<S, B, ResB> Service<http::Request<B>> for MiddlewareService<S>
where
    S: Service<Request, Response = http::Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Readiness of the wrapped service is awaited per request, on its clone.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let req = req.map(into_body);
        let middlewares = self.middlewares.clone();
        let endpoint = ServiceEndpoint(Mutex::new(self.inner.clone()));
        Box::pin(async move { Ok(Next::new(&middlewares, &endpoint).run(req).await) })
    }
}

impl<B> Service<http::Request<B>> for Chain
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let chain = self.clone();
        let req = req.map(into_body);
        Box::pin(async move { Ok(chain.call(req).await) })
    }
}
