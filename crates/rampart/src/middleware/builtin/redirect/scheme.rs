//! `redirectScheme`: redirects to another scheme (and port) unless the request is already there
//! (Traefik `pkg/middlewares/redirect/redirect_scheme.go`).

use std::sync::Arc;

use serde::Deserialize;

use super::{location, target};
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// Options of `redirectScheme`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectSchemeConfig {
    /// The target scheme (`https`); required.
    #[serde(default)]
    pub scheme: String,
    /// The target port; empty keeps none (the scheme's default).
    #[serde(default)]
    pub port: String,
    /// 301 (`GET`) / 308 (other methods) instead of 302 / 307.
    #[serde(default)]
    pub permanent: bool,
}

/// The `redirectScheme` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::redirect::{RedirectScheme, RedirectSchemeConfig};
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
/// let config = RedirectSchemeConfig { scheme: "https".into(), permanent: true, ..Default::default() };
/// let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(RedirectScheme::new(config).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let req = http::Request::builder().uri("/login?next=%2F").header("host", "app.example.com:80")
///     .body(Body::empty()).unwrap();
/// let res = Next::new(&chain, &Ok200).run(req).await;
/// assert_eq!(res.status(), 301);
/// assert_eq!(res.headers()["location"], "https://app.example.com/login?next=%2F");
/// # });
/// ```
#[derive(Debug)]
pub struct RedirectScheme {
    scheme: String,
    /// Empty, or `:port` (never the target scheme's default).
    port: String,
    permanent: bool,
}

impl RedirectScheme {
    /// Validates `config`: a scheme is required (Traefik: "you must provide a target scheme"),
    /// and the port, when given, must be a port number.
    pub fn new(config: RedirectSchemeConfig) -> Result<Self, BuildError> {
        let scheme = config.scheme;
        if scheme.is_empty() {
            return Err(BuildError::invalid(
                "scheme",
                "you must provide a target scheme",
            ));
        }
        let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid_scheme {
            return Err(BuildError::invalid(
                "scheme",
                format_args!("`{scheme}` is not a URL scheme"),
            ));
        }
        let port = config.port.trim();
        if !port.is_empty() && port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(BuildError::invalid(
                "port",
                format_args!("`{port}` is not a port number"),
            ));
        }
        let default = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
        let port = if port.is_empty() || default {
            String::new()
        } else {
            format!(":{port}")
        };
        Ok(RedirectScheme {
            scheme,
            port,
            permanent: config.permanent,
        })
    }
}

impl Middleware for RedirectScheme {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let old = target::client_url(&req);
        // Traefik rewrites `scheme://host:port/uri` into `{scheme}://host{port}/uri` and
        // redirects only when that changes the URL.
        let new = format!("{}://{}{}{}", self.scheme, old.host, self.port, old.uri);
        if new == old.join() {
            return next.run(req);
        }
        let status = location::status(&req, self.permanent);
        Box::pin(async move { location::redirect(&new, status) })
    }
}

/// The registry constructor for `redirectScheme`.
pub(crate) fn build(
    config: RedirectSchemeConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(RedirectScheme::new(config)?))
}
