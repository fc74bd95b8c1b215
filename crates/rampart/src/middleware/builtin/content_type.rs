//! `contentType`: sets a missing response `Content-Type` from the first bytes of the body, as
//! Go's `http.DetectContentType` (Traefik `pkg/middlewares/contenttype`).
//!
//! Traefik v3 does not guess a missing `Content-Type`; this middleware turns the guess on.
//! `autoDetect: false` (deprecated) makes it do nothing, as in Traefik.

use std::sync::Arc;

use http::header::{CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderValue, StatusCode};
use serde::Deserialize;

use super::compress::head;
use super::sniff;
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// Options of `contentType`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContentTypeConfig {
    /// Deprecated in Traefik v3 (a warning); `false` turns the middleware off.
    #[serde(default)]
    pub auto_detect: Option<bool>,
}

/// The `contentType` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::content_type::{ContentType, ContentTypeConfig};
/// use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
/// use rampart::{Body, Request, Response};
///
/// struct Png;
/// impl Endpoint for Png {
///     fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
///         Box::pin(async { Response::new(Body::from(&b"\x89PNG\r\n\x1a\n...."[..])) })
///     }
/// }
///
/// let chain: Vec<Arc<dyn Middleware>> =
///     vec![Arc::new(ContentType::new(&ContentTypeConfig::default()))];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = Next::new(&chain, &Png).run(Request::new(Body::empty())).await;
/// assert_eq!(res.headers()["content-type"], "image/png");
/// # });
/// ```
#[derive(Debug)]
pub struct ContentType {
    enabled: bool,
}

impl ContentType {
    /// Builds the middleware; `autoDetect` is accepted with a deprecation warning.
    pub fn new(config: &ContentTypeConfig) -> Self {
        if config.auto_detect.is_some() {
            tracing::warn!(
                "contentType: `autoDetect` is deprecated, please remove any usage of this option"
            );
        }
        ContentType {
            enabled: config.auto_detect != Some(false),
        }
    }
}

impl Middleware for ContentType {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        if !self.enabled {
            return next.run(req);
        }
        Box::pin(async move {
            let res = next.run(req).await;
            let status = res.status();
            // Go's server sniffs only when there is no type, no explicit Transfer-Encoding,
            // and the status allows a body.
            let body_allowed = !(status.is_informational()
                || status == StatusCode::NO_CONTENT
                || status == StatusCode::NOT_MODIFIED);
            if res.headers().contains_key(CONTENT_TYPE)
                || res.headers().contains_key(TRANSFER_ENCODING)
                || !body_allowed
            {
                return res;
            }
            let (mut parts, mut body) = res.into_parts();
            let (first, stop) = head::read(&mut body, sniff::SNIFF_LEN).await;
            if !first.is_empty() {
                parts.headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static(sniff::detect(&first)),
                );
            }
            Response::from_parts(parts, head::rejoin(first, stop, body))
        })
    }
}

/// The registry constructor for `contentType`.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the registry hands over the decoded config by value"
)]
#[expect(
    clippy::unnecessary_wraps,
    reason = "the registry signature returns a Result"
)]
pub(crate) fn build(
    config: ContentTypeConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(ContentType::new(&config)))
}
