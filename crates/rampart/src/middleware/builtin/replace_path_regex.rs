//! `replacePathRegex`: rewrites the escaped path with a regex and a Go-style replacement
//! (`$1`, `${name}`), keeping the original in `X-Replaced-Path`
//! (Traefik `pkg/middlewares/replacepathregex`).

use std::sync::Arc;

use http::StatusCode;
use serde::Deserialize;

use super::go_regex;
use super::replace_path::{X_REPLACED_PATH, replaced_path_value};
use super::strip_prefix::bad_request;
use super::uri_path::{self, decode, escaped_form, is_sanitized};
use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// Options of `replacePathRegex`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplacePathRegexConfig {
    /// A Go regular expression matched against the escaped path.
    #[serde(default)]
    pub regex: String,
    /// The replacement; `$1`, `${1}` and `${name}` expand as in Go's `Regexp.Expand`.
    #[serde(default)]
    pub replacement: String,
}

/// The `replacePathRegex` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::replace_path_regex::{ReplacePathRegex, ReplacePathRegexConfig};
/// use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
/// use rampart::{Body, Request, Response};
///
/// struct Echo;
/// impl Endpoint for Echo {
///     fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
///         let uri = req.uri().to_string();
///         Box::pin(async move { Response::new(Body::from(uri)) })
///     }
/// }
///
/// let config = ReplacePathRegexConfig { regex: "^/foo/(.*)".into(), replacement: "/bar/$1".into() };
/// let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(ReplacePathRegex::new(&config).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut req = Request::new(Body::empty());
/// *req.uri_mut() = "/foo/x/y".parse().unwrap();
/// let res = Next::new(&chain, &Echo).run(req).await;
/// assert_eq!(res.body().as_bytes(), Some(&b"/bar/x/y"[..]));
/// # });
/// ```
#[derive(Debug)]
pub struct ReplacePathRegex {
    regex: regex::Regex,
    replacement: String,
}

impl ReplacePathRegex {
    /// Compiles the expression (trimmed, as Traefik does); an invalid one names `regex`.
    pub fn new(config: &ReplacePathRegexConfig) -> Result<Self, BuildError> {
        Ok(ReplacePathRegex {
            regex: go_regex::compile("regex", config.regex.trim())?,
            replacement: config.replacement.trim().to_owned(),
        })
    }

    fn rewrite(&self, req: &mut Request) -> Result<(), RequestError> {
        let current = req.uri().path();
        if !self.regex.is_match(current) {
            return Ok(());
        }
        let new_raw = self
            .regex
            .replace_all(current, self.replacement.as_str())
            .into_owned();
        let internal = |reason: String| {
            RequestError::new(
                ErrorSource::Internal,
                StatusCode::INTERNAL_SERVER_ERROR,
                reason,
            )
        };
        // Traefik answers 500 when the result does not decode.
        let decoded = decode(&new_raw).map_err(|e| internal(e.to_string()))?;
        // A replacement may build `..%2F` out of captures (attack_cases C7,
        // GHSA-cxjq-mrr5-89rv): the decoded result must be a clean path.
        if !is_sanitized(&decoded) {
            return Err(bad_request(format!(
                "rewritten path {new_raw:?} is not sanitized"
            )));
        }
        let escaped = escaped_form(&new_raw)
            .map_err(|e| internal(e.to_string()))?
            .into_owned();
        let original = replaced_path_value(req);
        uri_path::set_path(req, &escaped).map_err(|e| internal(e.to_string()))?;
        req.headers_mut().append(X_REPLACED_PATH, original);
        Ok(())
    }
}

impl Middleware for ReplacePathRegex {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        match self.rewrite(&mut req) {
            Ok(()) => next.run(req),
            Err(e) => Box::pin(async move { e.into_response() }),
        }
    }
}

/// The registry constructor for `replacePathRegex`.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the registry hands over the decoded config by value"
)]
pub(crate) fn build(
    config: ReplacePathRegexConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(ReplacePathRegex::new(&config)?))
}
