//! `addPrefix`: puts a prefix in front of the path (Traefik `pkg/middlewares/addprefix`).

use std::sync::Arc;

use http::StatusCode;
use serde::Deserialize;

use super::uri_path::{self, ensure_leading_slash, escape};
use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Request, Response};

/// Options of `addPrefix`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddPrefixConfig {
    /// The prefix, decoded text (Traefik adds it to `URL.Path`); it should start with `/`.
    #[serde(default)]
    pub prefix: String,
}

/// The `addPrefix` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::add_prefix::{AddPrefix, AddPrefixConfig};
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
/// let chain: Vec<Arc<dyn Middleware>> =
///     vec![Arc::new(AddPrefix::new(&AddPrefixConfig { prefix: "/api".into() }).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut req = Request::new(Body::empty());
/// *req.uri_mut() = "/users?id=1".parse().unwrap();
/// let res = Next::new(&chain, &Echo).run(req).await;
/// assert_eq!(res.body().as_bytes(), Some(&b"/api/users?id=1"[..]));
/// # });
/// ```
#[derive(Debug)]
pub struct AddPrefix {
    /// The prefix as the upstream gets it (Go's path escaping of the configured text).
    escaped: String,
}

impl AddPrefix {
    /// Validates `config`: the prefix must not be empty (Traefik: "prefix cannot be empty").
    pub fn new(config: &AddPrefixConfig) -> Result<Self, BuildError> {
        if config.prefix.is_empty() {
            return Err(BuildError::invalid("prefix", "cannot be empty"));
        }
        Ok(AddPrefix {
            escaped: escape(config.prefix.as_bytes()),
        })
    }
}

impl Middleware for AddPrefix {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let joined = format!("{}{}", self.escaped, req.uri().path());
        let path = ensure_leading_slash(&joined);
        match uri_path::set_path(&mut req, &path) {
            Ok(()) => next.run(req),
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

/// The registry constructor for `addPrefix`.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the registry hands over the decoded config by value"
)]
pub(crate) fn build(
    config: AddPrefixConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(AddPrefix::new(&config)?))
}
