//! Builds middlewares from their Traefik type name and a typed config.
//!
//! This is the Traefik plugin contract: a config type (`CreateConfig`, here any
//! `serde::Deserialize` type, decoded with Traefik's case-insensitive keys) and a constructor
//! (`New`, here the closure given to [`Registry::register`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use rampart_config::Value;
use serde::de::DeserializeOwned;

use super::{Endpoint, Middleware};

/// Why a middleware (or a reference to one) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No constructor is registered under this type name.
    #[error("unknown middleware type `{0}`")]
    UnknownType(String),
    /// The options did not decode into the type's config (the error names the key).
    #[error(transparent)]
    Config(#[from] rampart_config::DeError),
    /// An option has a value the middleware cannot use.
    #[error("`{key}`: {reason}")]
    Invalid {
        /// The option, e.g. `authResponseHeadersRegex`.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A middleware or service this one refers to does not exist or is broken.
    #[error("`{name}`: {reason}")]
    Reference {
        /// The referenced name, as written.
        name: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// Middlewares refer to each other in a loop (`chain` members, directly or through other
    /// chains); the path starts and ends with the same qualified name.
    #[error("middleware cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
}

impl BuildError {
    /// An [`BuildError::Invalid`] for `key`.
    pub fn invalid(key: impl Into<String>, reason: impl fmt::Display) -> Self {
        BuildError::Invalid {
            key: key.into(),
            reason: reason.to_string(),
        }
    }
}

/// What a constructor may ask of the configuration it is built from.
///
/// The compiler implements it; a constructor uses it to reach other objects by name (the
/// `chain` middleware's members, forwardAuth's `authService`, the `errors` middleware's service).
/// Names without `@provider` resolve in the provider of the middleware being built.
pub trait BuildContext {
    /// The qualified name of the middleware being built (`auth@file`).
    fn name(&self) -> &str;
    /// Builds (or returns the already built) middleware called `name`.
    fn middleware(&self, name: &str) -> Result<Arc<dyn Middleware>, BuildError>;
    /// Returns the service called `name`.
    fn service(&self, name: &str) -> Result<Arc<dyn Endpoint>, BuildError>;
}

type Factory =
    dyn Fn(&Value, &dyn BuildContext) -> Result<Arc<dyn Middleware>, BuildError> + Send + Sync;

/// Middleware constructors by Traefik type name (matched case-insensitively, as Traefik's keys).
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next, Registry};
/// use rampart::{Request, Response};
///
/// #[derive(serde::Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct GreetConfig { header_name: String }
///
/// #[derive(Debug)]
/// struct Greet(http::HeaderName);
/// impl Middleware for Greet {
///     fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
///         req.headers_mut().insert(self.0.clone(), http::HeaderValue::from_static("hi"));
///         next.run(req)
///     }
/// }
///
/// let mut registry = Registry::new();
/// registry.register("greet", |cfg: GreetConfig, _ctx: &dyn BuildContext| {
///     let name = http::HeaderName::try_from(cfg.header_name)
///         .map_err(|e| BuildError::invalid("headerName", e))?;
///     Ok(Arc::new(Greet(name)) as Arc<dyn Middleware>)
/// });
/// assert!(registry.contains("Greet"));
/// ```
#[derive(Default)]
pub struct Registry {
    factories: HashMap<String, Arc<Factory>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// A registry holding every built-in middleware type (see [`builtin`](super::builtin)).
    pub fn with_builtins() -> Self {
        let mut registry = Registry::new();
        super::builtin::register_all(&mut registry);
        registry
    }

    /// Registers `type_name`; a later registration of the same name replaces the earlier one.
    pub fn register<C, F>(&mut self, type_name: &str, ctor: F)
    where
        C: DeserializeOwned,
        F: Fn(C, &dyn BuildContext) -> Result<Arc<dyn Middleware>, BuildError>
            + Send
            + Sync
            + 'static,
    {
        let factory = move |value: &Value, ctx: &dyn BuildContext| {
            let config: C = rampart_config::from_value(value)?;
            ctor(config, ctx)
        };
        self.factories
            .insert(type_name.to_ascii_lowercase(), Arc::new(factory));
    }

    /// Whether `type_name` is registered.
    pub fn contains(&self, type_name: &str) -> bool {
        self.factories.contains_key(&type_name.to_ascii_lowercase())
    }

    /// The registered type names (lower-cased), sorted.
    pub fn type_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.factories.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Builds a middleware of type `type_name` from `config`.
    pub fn build(
        &self,
        type_name: &str,
        config: &Value,
        ctx: &dyn BuildContext,
    ) -> Result<Arc<dyn Middleware>, BuildError> {
        let factory = self
            .factories
            .get(&type_name.to_ascii_lowercase())
            .ok_or_else(|| BuildError::UnknownType(type_name.to_owned()))?;
        factory(config, ctx)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("types", &self.type_names())
            .finish()
    }
}
