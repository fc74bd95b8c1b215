//! `stripPrefixRegex`: strips the first regex match that starts the path and records it in
//! `X-Forwarded-Prefix` (Traefik `pkg/middlewares/stripprefixregex`).

use std::sync::Arc;

use http::HeaderValue;
use serde::Deserialize;

use super::go_regex;
use super::strip_prefix::{X_FORWARDED_PREFIX, bad_request};
use super::uri_path::{self, decode, encoded_prefix_len, ensure_leading_slash, is_sanitized};
use crate::error::RequestError;
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// Options of `stripPrefixRegex`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StripPrefixRegexConfig {
    /// Go regular expressions, tried in order against the decoded path.
    #[serde(default)]
    pub regex: Vec<String>,
}

/// The `stripPrefixRegex` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::strip_prefix_regex::{StripPrefixRegex, StripPrefixRegexConfig};
/// use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
/// use rampart::{Body, Request, Response};
///
/// struct Echo;
/// impl Endpoint for Echo {
///     fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
///         let seen = format!("{} {:?}", req.uri(), req.headers().get("x-forwarded-prefix"));
///         Box::pin(async move { Response::new(Body::from(seen)) })
///     }
/// }
///
/// let config = StripPrefixRegexConfig { regex: vec!["/foo/[a-z0-9]+/[0-9]+/".into()] };
/// let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(StripPrefixRegex::new(&config).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut req = Request::new(Body::empty());
/// *req.uri_mut() = "/foo/abc/12/bar".parse().unwrap();
/// let res = Next::new(&chain, &Echo).run(req).await;
/// assert_eq!(res.body().as_bytes(), Some(&b"/bar Some(\"/foo/abc/12/\")"[..]));
/// # });
/// ```
#[derive(Debug)]
pub struct StripPrefixRegex {
    expressions: Vec<regex::bytes::Regex>,
}

impl StripPrefixRegex {
    /// Compiles every expression; one that does not compile is an error naming it.
    pub fn new(config: &StripPrefixRegexConfig) -> Result<Self, BuildError> {
        let expressions = config
            .regex
            .iter()
            .enumerate()
            .map(|(i, r)| go_regex::compile_bytes(&format!("regex[{i}]"), r.trim()))
            .collect::<Result<_, _>>()?;
        Ok(StripPrefixRegex { expressions })
    }

    fn strip(&self, req: &mut Request) -> Result<(), RequestError> {
        let raw = req.uri().path().to_owned();
        let decoded = decode(&raw).map_err(|e| bad_request(e.to_string()))?;
        for exp in &self.expressions {
            let Some(m) = exp.find(&decoded) else {
                continue;
            };
            let prefix = m.as_bytes();
            if prefix.is_empty() || !decoded.starts_with(prefix) {
                continue;
            }
            // The prefix comes from the request: it may not be a valid header value (a decoded
            // `%0D%0A`), and is never sent as one then (attack_cases E10).
            let value = HeaderValue::from_bytes(prefix)
                .map_err(|_| bad_request("stripped prefix is not a valid header value".into()))?;
            let mut new_decoded = decoded[prefix.len()..].to_vec();
            if !new_decoded.is_empty() && new_decoded[0] != b'/' {
                new_decoded.insert(0, b'/');
            }
            if !is_sanitized(&new_decoded) {
                return Err(bad_request("path after stripping is not sanitized".into()));
            }
            let new_raw =
                ensure_leading_slash(&raw[encoded_prefix_len(&raw, prefix.len())..]).into_owned();
            uri_path::set_path(req, &new_raw).map_err(|e| bad_request(e.to_string()))?;
            req.headers_mut().append(X_FORWARDED_PREFIX, value);
            return Ok(());
        }
        Ok(())
    }
}

impl Middleware for StripPrefixRegex {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        match self.strip(&mut req) {
            Ok(()) => next.run(req),
            Err(e) => Box::pin(async move { e.into_response() }),
        }
    }
}

/// The registry constructor for `stripPrefixRegex`.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the registry hands over the decoded config by value"
)]
pub(crate) fn build(
    config: StripPrefixRegexConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(StripPrefixRegex::new(&config)?))
}
