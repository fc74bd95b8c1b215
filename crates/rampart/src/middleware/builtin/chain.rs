//! Traefik's `chain` middleware: a named list of middlewares, run in order.

use std::sync::Arc;

use serde::Deserialize;

use crate::middleware::{
    BoxFuture, BuildContext, BuildError, Endpoint, Middleware, Next, ReservedPath,
};
use crate::{Request, Response};

/// `chain` options, as Traefik's `dynamic.Chain`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChainConfig {
    /// The members, in order; unqualified names resolve in the chain's provider.
    #[serde(default)]
    pub middlewares: Vec<String>,
}

/// The `chain` middleware: its members run in order where the chain stands, then the rest of
/// the outer chain.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::ChainMiddleware;
/// use rampart::middleware::{from_fn, Chain, Middleware};
/// # use rampart::middleware::{BoxFuture, Endpoint};
/// # use rampart::{Body, Request, Response};
/// # #[derive(Debug)] struct Echo;
/// # impl Endpoint for Echo {
/// #     fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
/// #         let v = req.headers().get_all("x-seen").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join(",");
/// #         Box::pin(async move { Response::new(Body::from(v)) })
/// #     }
/// # }
/// let mark = |tag: &'static str| -> Arc<dyn Middleware> {
///     Arc::new(from_fn(move |mut req: Request, next| {
///         req.headers_mut().append("x-seen", http::HeaderValue::from_static(tag));
///         next.run(req)
///     }))
/// };
/// let inner: Arc<dyn Middleware> = Arc::new(ChainMiddleware::new([mark("b"), mark("c")]));
/// let chain = Chain::new([mark("a"), inner, mark("d")], Arc::new(Echo));
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = chain.call(Request::new(Body::empty())).await;
/// assert_eq!(res.body().as_bytes(), Some(&b"a,b,c,d"[..]));
/// # });
/// ```
pub struct ChainMiddleware {
    members: Arc<[Arc<dyn Middleware>]>,
    reserved: Vec<ReservedPath>,
}

impl ChainMiddleware {
    /// A chain of `members`, in order.
    pub fn new(members: impl IntoIterator<Item = Arc<dyn Middleware>>) -> Self {
        let members: Arc<[Arc<dyn Middleware>]> = members.into_iter().collect();
        let reserved = members
            .iter()
            .flat_map(|m| m.reserved_paths().iter().cloned())
            .collect();
        ChainMiddleware { members, reserved }
    }

    /// Builds a chain from its options, its members through `ctx` (which reports cycles).
    pub fn build(config: &ChainConfig, ctx: &dyn BuildContext) -> Result<Self, BuildError> {
        let members = config
            .middlewares
            .iter()
            .map(|name| ctx.middleware(name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ChainMiddleware::new(members))
    }

    /// The members, in order.
    pub fn members(&self) -> &[Arc<dyn Middleware>] {
        &self.members
    }
}

impl std::fmt::Debug for ChainMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainMiddleware")
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

/// The rest of the outer chain, as the endpoint of the members.
struct Continue<'a>(Next<'a>);

impl Endpoint for Continue<'_> {
    fn call<'b>(&'b self, req: Request) -> BoxFuture<'b, Response> {
        self.0.run(req)
    }
}

impl Middleware for ChainMiddleware {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        if self.members.is_empty() {
            return next.run(req);
        }
        Box::pin(async move {
            let rest = Continue(next);
            Next::new(&self.members, &rest).run(req).await
        })
    }

    fn reserved_paths(&self) -> &[ReservedPath] {
        &self.reserved
    }
}

pub(super) fn register(registry: &mut crate::middleware::Registry) {
    registry.register("chain", |config: ChainConfig, ctx: &dyn BuildContext| {
        Ok(Arc::new(ChainMiddleware::build(&config, ctx)?) as Arc<dyn Middleware>)
    });
}
