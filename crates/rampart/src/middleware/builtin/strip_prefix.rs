//! `stripPrefix`: removes the first matching prefix from the path and records it in
//! `X-Forwarded-Prefix` (Traefik `pkg/middlewares/stripprefix`).

use std::sync::Arc;

use http::{HeaderValue, StatusCode};
use serde::Deserialize;

use super::uri_path::{self, decode, encoded_prefix_len, ensure_leading_slash, is_sanitized};
use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// The header that records a stripped prefix.
pub(crate) const X_FORWARDED_PREFIX: &str = "x-forwarded-prefix";

/// Options of `stripPrefix`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StripPrefixConfig {
    /// The prefixes, tried in order; the first that starts the (decoded) path is stripped.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Deprecated in Traefik v3 (a warning): strips to `/` instead of the empty path.
    #[serde(default)]
    pub force_slash: Option<bool>,
}

/// The `stripPrefix` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::strip_prefix::{StripPrefix, StripPrefixConfig};
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
/// let config = StripPrefixConfig { prefixes: vec!["/api".into()], ..Default::default() };
/// let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(StripPrefix::new(&config).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut req = Request::new(Body::empty());
/// *req.uri_mut() = "/api/users?id=1".parse().unwrap();
/// let res = Next::new(&chain, &Echo).run(req).await;
/// assert_eq!(res.body().as_bytes(), Some(&b"/users?id=1 Some(\"/api\")"[..]));
/// # });
/// ```
#[derive(Debug)]
pub struct StripPrefix {
    prefixes: Vec<(String, HeaderValue)>,
    force_slash: bool,
}

impl StripPrefix {
    /// Validates `config`: every prefix must be a valid header value (it becomes
    /// `X-Forwarded-Prefix`).
    pub fn new(config: &StripPrefixConfig) -> Result<Self, BuildError> {
        if config.force_slash.is_some() {
            tracing::warn!(
                "stripPrefix: `forceSlash` is deprecated, please remove any usage of this option"
            );
        }
        let prefixes = config
            .prefixes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let p = p.trim().to_owned();
                let value = HeaderValue::from_str(&p).map_err(|_| {
                    BuildError::invalid(format!("prefixes[{i}]"), "not a valid header value")
                })?;
                Ok((p, value))
            })
            .collect::<Result<_, BuildError>>()?;
        Ok(StripPrefix {
            prefixes,
            force_slash: config.force_slash == Some(true),
        })
    }

    fn strip(&self, req: &mut Request) -> Result<(), RequestError> {
        let raw = req.uri().path().to_owned();
        let decoded = decode(&raw).map_err(|e| bad_request(e.to_string()))?;
        let Some((prefix, value)) = self
            .prefixes
            .iter()
            .find(|(p, _)| decoded.starts_with(p.as_bytes()))
        else {
            return Ok(());
        };
        let rest_decoded = &decoded[prefix.len()..];
        let rest_raw = &raw[encoded_prefix_len(&raw, prefix.len())..];
        let (new_decoded, new_raw) = if self.force_slash {
            // Traefik's pre-v3 behaviour: never the empty path.
            let d = rest_decoded.strip_prefix(b"/").unwrap_or(rest_decoded);
            let r = rest_raw.strip_prefix('/').unwrap_or(rest_raw);
            ([b"/", d].concat(), format!("/{r}"))
        } else {
            let mut d = rest_decoded.to_vec();
            if !d.is_empty() && d[0] != b'/' {
                d.insert(0, b'/');
            }
            (d, ensure_leading_slash(rest_raw).into_owned())
        };
        if !is_sanitized(&new_decoded) {
            return Err(bad_request(format!(
                "path after stripping {prefix:?} is not sanitized"
            )));
        }
        uri_path::set_path(req, &new_raw).map_err(|e| bad_request(e.to_string()))?;
        req.headers_mut().append(X_FORWARDED_PREFIX, value.clone());
        Ok(())
    }
}

pub(crate) fn bad_request(reason: String) -> RequestError {
    RequestError::new(ErrorSource::Downstream, StatusCode::BAD_REQUEST, reason)
}

impl Middleware for StripPrefix {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        match self.strip(&mut req) {
            Ok(()) => next.run(req),
            Err(e) => Box::pin(async move { e.into_response() }),
        }
    }
}

/// The registry constructor for `stripPrefix`.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the registry hands over the decoded config by value"
)]
pub(crate) fn build(
    config: StripPrefixConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(StripPrefix::new(&config)?))
}
