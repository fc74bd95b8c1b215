//! `headers`: custom request/response headers, security headers and CORS
//! (Traefik `pkg/middlewares/headers`).
//!
//! * [`config`] — the options ([`HeadersConfig`]).
//! * `custom` — `customRequestHeaders` / `customResponseHeaders`.
//! * `secure` — the security headers and `allowedHosts`.
//! * `cors` — origin matching, preflight answers and CORS response headers.
//!
//! The order is Traefik's: a CORS preflight is answered first (and goes no further); then the
//! custom request headers are applied, then the allowed-hosts check; on the way back the security
//! headers are set, then the custom response headers (so `customResponseHeaders` can override or
//! delete a security header), then the CORS headers.

pub mod config;
mod cors;
mod custom;
mod secure;

use std::sync::Arc;

use http::header::ORIGIN;

pub use self::config::HeadersConfig;
use self::cors::Cors;
use self::custom::Custom;
use self::secure::Secure;
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// The `headers` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::headers::{Headers, HeadersConfig};
/// use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
/// use rampart::{Body, Request, Response};
///
/// struct App;
/// impl Endpoint for App {
///     fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
///         Box::pin(async {
///             let mut res = Response::new(Body::from("hi"));
///             res.headers_mut().insert("server", "nginx".parse().unwrap());
///             res
///         })
///     }
/// }
///
/// let mut config = HeadersConfig::default();
/// config.frame_deny = true;
/// config.custom_response_headers.insert("Server".into(), Some(String::new()));
/// let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(Headers::new(&config).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = Next::new(&chain, &App).run(Request::new(Body::empty())).await;
/// assert_eq!(res.headers()["x-frame-options"], "DENY");
/// assert!(res.headers().get("server").is_none());
/// # });
/// ```
#[derive(Debug)]
pub struct Headers {
    request: Vec<Custom>,
    response: Vec<Custom>,
    cors: Option<Cors>,
    secure: Option<Secure>,
}

impl Headers {
    /// Validates `config`: header names and values, CORS regexes, `stsSeconds` ≥ 0; a config
    /// that sets nothing is an error, as in Traefik ("headers configuration not valid").
    pub fn new(config: &HeadersConfig) -> Result<Self, BuildError> {
        let (has_custom, has_cors, has_secure) =
            (config.has_custom(), config.has_cors(), config.has_secure());
        if !has_custom && !has_cors && !has_secure {
            return Err(BuildError::invalid(
                "headers",
                "headers configuration not valid: no option is set",
            ));
        }
        config.warn_removed();
        Ok(Headers {
            request: custom::compile("customRequestHeaders", &config.custom_request_headers)?,
            response: custom::compile("customResponseHeaders", &config.custom_response_headers)?,
            cors: has_cors.then(|| Cors::new(config)).transpose()?,
            secure: has_secure.then(|| Secure::new(config)).transpose()?,
        })
    }
}

impl Middleware for Headers {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        if let Some(preflight) = self.cors.as_ref().and_then(|c| c.preflight(&req)) {
            return Box::pin(async move { preflight });
        }
        custom::apply_request(&self.request, &mut req);
        let origin = self
            .cors
            .as_ref()
            .map(|_| cors::first(req.headers(), &ORIGIN).unwrap_or("").to_owned());
        let mut secure_headers = None;
        if let Some(secure) = &self.secure {
            let Some(h) = secure.process(&req) else {
                let res = self.respond(secure::bad_host(), origin.as_deref());
                return Box::pin(async move { res });
            };
            secure_headers = Some(h);
        }
        Box::pin(async move {
            let mut res = next.run(req).await;
            if let Some(h) = secure_headers {
                for (name, value) in h {
                    if let Some(name) = name {
                        res.headers_mut().insert(name, value);
                    }
                }
            }
            self.respond(res, origin.as_deref())
        })
    }
}

impl Headers {
    /// The outer response modifier: custom response headers, then CORS.
    fn respond(&self, mut res: Response, origin: Option<&str>) -> Response {
        custom::apply_response(&self.response, res.headers_mut());
        if let (Some(cors), Some(origin)) = (&self.cors, origin) {
            cors.apply_response(res.headers_mut(), origin);
        }
        res
    }
}

/// The registry constructor for `headers`.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the registry hands over the decoded config by value"
)]
pub(crate) fn build(
    config: HeadersConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(Headers::new(&config)?))
}
