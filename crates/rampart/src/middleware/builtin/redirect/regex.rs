//! `redirectRegex`: redirects when a regex replacement changes the request URL
//! (Traefik `pkg/middlewares/redirect/redirect_regex.go`).

use std::sync::Arc;

use http::StatusCode;
use serde::Deserialize;

use super::super::go_regex;
use super::{location, target};
use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// Options of `redirectRegex`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectRegexConfig {
    /// A Go regular expression matched against `scheme://host/path?query`.
    #[serde(default)]
    pub regex: String,
    /// The new URL; `$1`, `${1}` and `${name}` expand as in Go's `Regexp.Expand`.
    #[serde(default)]
    pub replacement: String,
    /// 301 (`GET`) / 308 (other methods) instead of 302 / 307.
    #[serde(default)]
    pub permanent: bool,
}

/// The `redirectRegex` middleware.
///
/// The URL it matches is built as Traefik's `rawURL`: the scheme is `https` only when the
/// connection is TLS (not from `X-Forwarded-Proto`), the host is `Host` with its port.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::redirect::{RedirectRegex, RedirectRegexConfig};
/// use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
/// use rampart::{Body, Request, Response};
///
/// struct Ok200;
/// impl Endpoint for Ok200 {
///     fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
///         Box::pin(async { Response::new(Body::empty()) })
///     }
/// }
///
/// let config = RedirectRegexConfig {
///     regex: "^http://localhost/(.*)".into(),
///     replacement: "http://mydomain/${1}".into(),
///     permanent: false,
/// };
/// let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(RedirectRegex::new(config).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let req = http::Request::builder().method("POST").uri("/a/b").header("host", "localhost")
///     .body(Body::empty()).unwrap();
/// let res = Next::new(&chain, &Ok200).run(req).await;
/// assert_eq!(res.status(), 307);
/// assert_eq!(res.headers()["location"], "http://mydomain/a/b");
/// # });
/// ```
#[derive(Debug)]
pub struct RedirectRegex {
    regex: regex::Regex,
    replacement: String,
    permanent: bool,
}

impl RedirectRegex {
    /// Compiles the expression; an invalid one names `regex`.
    pub fn new(config: RedirectRegexConfig) -> Result<Self, BuildError> {
        Ok(RedirectRegex {
            regex: go_regex::compile("regex", &config.regex)?,
            replacement: config.replacement,
            permanent: config.permanent,
        })
    }
}

impl Middleware for RedirectRegex {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let old = target::raw_url(&req);
        if !self.regex.is_match(&old) {
            return next.run(req);
        }
        let new = self.regex.replace_all(&old, self.replacement.as_str());
        if new == old {
            return next.run(req);
        }
        let new = new.into_owned();
        if !location::parses_as_go_url(&new) {
            // Traefik's error handler answers 502 when the rewritten URL does not parse.
            let err = RequestError::new(
                ErrorSource::Internal,
                StatusCode::BAD_GATEWAY,
                format!("redirectRegex: rewritten URL {new:?} does not parse"),
            );
            return Box::pin(async move { err.into_response() });
        }
        let status = location::status(&req, self.permanent);
        Box::pin(async move { location::redirect(&new, status) })
    }
}

/// The registry constructor for `redirectRegex`.
pub(crate) fn build(
    config: RedirectRegexConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(RedirectRegex::new(config)?))
}
