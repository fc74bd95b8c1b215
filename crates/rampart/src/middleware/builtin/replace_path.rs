//! `replacePath`: replaces the whole path and keeps the original in `X-Replaced-Path`
//! (Traefik `pkg/middlewares/replacepath`).

use std::sync::Arc;

use http::StatusCode;
use serde::Deserialize;

use super::uri_path::{self, escaped_form};
use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// The header that keeps the path a request had before it was replaced.
pub(crate) const X_REPLACED_PATH: &str = "x-replaced-path";

/// Options of `replacePath`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplacePathConfig {
    /// The new path, in escaped form (Traefik sets it as `URL.RawPath`).
    #[serde(default)]
    pub path: String,
}

/// The `replacePath` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::replace_path::{ReplacePath, ReplacePathConfig};
/// use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
/// use rampart::{Body, Request, Response};
///
/// struct Echo;
/// impl Endpoint for Echo {
///     fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
///         let seen = format!("{} {:?}", req.uri(), req.headers().get("x-replaced-path"));
///         Box::pin(async move { Response::new(Body::from(seen)) })
///     }
/// }
///
/// let config = ReplacePathConfig { path: "/foo".into() };
/// let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(ReplacePath::new(&config).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut req = Request::new(Body::empty());
/// *req.uri_mut() = "/bar?x=1".parse().unwrap();
/// let res = Next::new(&chain, &Echo).run(req).await;
/// assert_eq!(res.body().as_bytes(), Some(&b"/foo?x=1 Some(\"/bar\")"[..]));
/// # });
/// ```
#[derive(Debug)]
pub struct ReplacePath {
    escaped: String,
}

impl ReplacePath {
    /// Validates `config`: the path must decode (Traefik fails every request with 500 otherwise;
    /// rampart refuses the configuration instead).
    pub fn new(config: &ReplacePathConfig) -> Result<Self, BuildError> {
        let escaped = escaped_form(&config.path)
            .map_err(|e| BuildError::invalid("path", e))?
            .into_owned();
        Ok(ReplacePath { escaped })
    }
}

impl Middleware for ReplacePath {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let current = replaced_path_value(&req);
        match uri_path::set_path(&mut req, &self.escaped) {
            Ok(()) => {
                req.headers_mut().append(X_REPLACED_PATH, current);
                next.run(req)
            }
            Err(e) => {
                let err = RequestError::new(
                    ErrorSource::Internal,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    e.to_string(),
                );
                Box::pin(async move { err.into_response() })
            }
        }
    }
}

/// The current escaped path as a header value (a URI path is always a valid one).
pub(crate) fn replaced_path_value(req: &Request) -> http::HeaderValue {
    http::HeaderValue::from_str(req.uri().path())
        .unwrap_or_else(|_| http::HeaderValue::from_static("/"))
}

/// The registry constructor for `replacePath`.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the registry hands over the decoded config by value"
)]
pub(crate) fn build(
    config: ReplacePathConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(ReplacePath::new(&config)?))
}
